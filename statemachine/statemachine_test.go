package statemachine_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/statemachine"
)

type state struct {
	Type     string            `json:"Type"`
	Next     string            `json:"Next"`
	Default  string            `json:"Default"`
	End      bool              `json:"End"`
	Choices  []json.RawMessage `json:"Choices"`
	Retry    []rule            `json:"Retry"`
	Catch    []rule            `json:"Catch"`
	Resource string            `json:"Resource"`
	// Parameters.Payload.op for Lambda tasks.
	Parameters struct {
		FunctionName string `json:"FunctionName"`
		Payload      struct {
			Op string `json:"op"`
		} `json:"Payload"`
		ExpressionAttributeValues map[string]map[string]string `json:"ExpressionAttributeValues"`
	} `json:"Parameters"`
}

// rule is a Retry or Catch entry.
type rule struct {
	ErrorEquals []string `json:"ErrorEquals"`
	Next        string   `json:"Next"`
	// MaxAttempts of a retrier; absent means Step Functions' default, 3.
	MaxAttempts *int `json:"MaxAttempts"`
	// ResultPath of a catcher: where the error is put.
	ResultPath json.RawMessage `json:"ResultPath"`
}

type machine struct {
	StartAt string           `json:"StartAt"`
	States  map[string]state `json:"States"`
}

func load(t *testing.T) machine { return loadDefinition(t, statemachine.Definition) }

func loadDefinition(t *testing.T, def string) machine {
	t.Helper()
	var m machine
	if err := json.Unmarshal([]byte(def), &m); err != nil {
		t.Fatalf("the ASL file is not JSON: %v", err)
	}
	return m
}

// choiceTargets returns every Next of a Choice state's rules.
func choiceTargets(t *testing.T, raw []json.RawMessage) []string {
	t.Helper()
	var out []string
	for _, r := range raw {
		var c struct{ Next string }
		if err := json.Unmarshal(r, &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c.Next)
	}
	return out
}

// definitions are the committed definitions: the deployer's and the sweeper's.
var definitions = map[string]string{"bluegreen": statemachine.Definition, "sweep": statemachine.SweepDefinition}

func TestEveryTransitionTargetExistsAndEveryStateIsReachable(t *testing.T) {
	for name, def := range definitions {
		t.Run(name, func(t *testing.T) { checkReachable(t, loadDefinition(t, def)) })
	}
}

func checkReachable(t *testing.T, m machine) {
	if _, ok := m.States[m.StartAt]; !ok {
		t.Fatalf("StartAt %q is not a state", m.StartAt)
	}
	reached := map[string]bool{m.StartAt: true}
	queue := []string{m.StartAt}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		s := m.States[name]
		targets := []string{s.Next, s.Default}
		targets = append(targets, choiceTargets(t, s.Choices)...)
		for _, c := range s.Catch {
			targets = append(targets, c.Next)
		}
		terminal := s.Type == "Succeed" || s.Type == "Fail" || s.End
		if !terminal && s.Next == "" && s.Type != "Choice" {
			t.Errorf("state %s (%s) has no Next and does not end", name, s.Type)
		}
		if s.Type == "Choice" && s.Default == "" {
			t.Errorf("choice %s has no Default: an unexpected value would fail the execution", name)
		}
		for _, n := range targets {
			if n == "" {
				continue
			}
			if _, ok := m.States[n]; !ok {
				t.Errorf("state %s goes to %q, which does not exist", name, n)
				continue
			}
			if !reached[n] {
				reached[n] = true
				queue = append(queue, n)
			}
		}
	}
	for name := range m.States {
		if !reached[name] {
			t.Errorf("state %s is unreachable", name)
		}
	}
}

func TestErrorNamesAreTheContractsOrServiceNames(t *testing.T) {
	m := load(t)
	known := map[string]bool{}
	for _, n := range deploy.ErrorNames {
		known[n] = true
	}
	for name, s := range m.States {
		for _, r := range append(append([]rule{}, s.Retry...), s.Catch...) {
			for _, e := range r.ErrorEquals {
				switch {
				case known[e], strings.HasPrefix(e, "States."), strings.HasPrefix(e, "Lambda."), strings.HasPrefix(e, "DynamoDB."),
					e == "Sandbox.Timedout": // the name Step Functions gives a function's own timeout
				default:
					t.Errorf("state %s routes on %q, which is neither a named error of package deploy nor a States./Lambda./DynamoDB. name", name, e)
				}
			}
		}
	}
}

func TestLambdaTasksCallKnownOperations(t *testing.T) {
	ops := map[string][]string{
		"${" + statemachine.CreateStackFunction + "}": {"prepare", "lock", "plan", "create", "status", "publish", "sync", "cleanup", "delete", "sweep"},
		"${" + statemachine.HealthCheckFunction + "}": {"pretraffic", "step", "watch"},
		"${" + statemachine.ShiftWeightFunction + "}": {"shift", "sync", "approval"},
		"${" + statemachine.SwitchFunction + "}":      {"switch", "sync"},
		"${" + statemachine.RollbackFunction + "}":    {"restore", "manual", "repair", "reconcile", "sync"},
	}
	states := load(t).States
	for name, s := range loadDefinition(t, statemachine.SweepDefinition).States {
		states["sweep."+name] = s
	}
	for name, s := range states {
		if !strings.HasPrefix(s.Resource, "arn:aws:states:::lambda:invoke") {
			continue
		}
		fn, op := s.Parameters.FunctionName, s.Parameters.Payload.Op
		if !slices.Contains(ops[fn], op) {
			t.Errorf("state %s calls %s with op %q, which it does not have", name, fn, op)
		}
		if len(s.Retry) == 0 {
			t.Errorf("Lambda task %s has no Retry", name)
		}
		if !slices.ContainsFunc(s.Retry, func(r rule) bool { return slices.Contains(r.ErrorEquals, "RetryableError") }) {
			t.Errorf("Lambda task %s does not retry RetryableError", name)
		}
	}
}

func TestProgressValuesAreTheContracts(t *testing.T) {
	for name, s := range load(t).States {
		if s.Resource != "arn:aws:states:::dynamodb:updateItem" {
			continue
		}
		v, sets := s.Parameters.ExpressionAttributeValues[":p"]
		if !sets {
			continue // an update that records no progress (the answered approval gate)
		}
		p := v["S"]
		if !slices.Contains(deploy.Progresses, deploy.Progress(p)) {
			t.Errorf("state %s records progress %q, which package deploy does not know", name, p)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	used := statemachine.Used()
	list := slices.Clone(statemachine.Placeholders)
	sort.Strings(list)
	if !slices.Equal(used, list) {
		t.Errorf("placeholders used %v, listed %v", used, list)
	}
	values := map[string]string{}
	for _, p := range statemachine.Placeholders {
		values[p] = "arn:aws:test:" + p
	}
	out, err := statemachine.Render(values)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "${") {
		t.Error("Render left a placeholder")
	}
	delete(values, statemachine.LockTable)
	if _, err := statemachine.Render(values); err == nil {
		t.Error("Render without the lock table succeeded")
	}
}

// Every DynamoDB task (lock, progress, unlock) retries DynamoDB's transient errors: one 500 must not roll back a
// healthy release.
func TestDynamoDBTasksRetry(t *testing.T) {
	for name, s := range load(t).States {
		if !strings.HasPrefix(s.Resource, "arn:aws:states:::dynamodb:") {
			continue
		}
		if !slices.ContainsFunc(s.Retry, func(r rule) bool { return slices.Contains(r.ErrorEquals, "DynamoDB.ThrottlingException") }) {
			t.Errorf("DynamoDB task %s does not retry throttling", name)
		}
		if slices.ContainsFunc(s.Retry, func(r rule) bool { return slices.Contains(r.ErrorEquals, "DynamoDB.ConditionalCheckFailedException") }) {
			t.Errorf("DynamoDB task %s retries a failed condition (the lock is not this run's)", name)
		}
	}
}

// The sweeper's placeholders are exactly SweepPlaceholders, and RenderSweep fills them all.
func TestRenderSweep(t *testing.T) {
	values := map[string]string{
		statemachine.CreateStackFunction: "arn:aws:lambda:us-east-1:123456789012:function:createstack",
		statemachine.StateMachine:        "arn:aws:states:us-east-1:123456789012:stateMachine:bluegreen",
	}
	out, err := statemachine.RenderSweep(values)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "${") || !strings.Contains(out, values[statemachine.StateMachine]) {
		t.Errorf("rendered sweeper:\n%s", out)
	}
	delete(values, statemachine.StateMachine)
	if _, err := statemachine.RenderSweep(values); err == nil {
		t.Error("a missing placeholder was rendered")
	}
	var used []string
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z0-9]+)\}`).FindAllStringSubmatch(statemachine.SweepDefinition, -1) {
		if !slices.Contains(used, m[1]) {
			used = append(used, m[1])
		}
	}
	sort.Strings(used)
	if want := slices.Sorted(slices.Values(statemachine.SweepPlaceholders)); !slices.Equal(used, want) {
		t.Errorf("the sweeper uses %v, SweepPlaceholders lists %v", used, want)
	}
}
