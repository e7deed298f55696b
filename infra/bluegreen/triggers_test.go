package bluegreen

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/triggers"
	"github.com/bluegreen-aws/bluegreen/statemachine"
)

// What the deployment's resources are called in the tests: the artifact bucket, the two state machines.
const (
	sampleBucket       = "bluegreen-artifacts-123456789012"
	sampleStateMachine = "arn:aws:states:us-east-1:123456789012:stateMachine:bluegreen"
	sampleSweeper      = "arn:aws:states:us-east-1:123456789012:stateMachine:bluegreen-sweep"
)

// The template's rules are exactly package triggers' (whose tests judge their patterns and inputs against the
// documented events, with the local AWS's model of EventBridge): same ids, descriptions, patterns, schedules,
// targets and inputs, each target with the events role.
func TestRulesAreTheTriggersPackages(t *testing.T) {
	s := base
	refs := map[string]string{s.ids.bucket: sampleBucket, s.ids.stateMachine: sampleStateMachine, s.ids.sweeper: sampleSweeper}
	var apps []triggers.App
	for _, a := range testApps() {
		apps = append(apps, triggers.App{Name: a.Name, EcrRepository: a.EcrRepository})
	}
	want := triggers.Rules(triggers.Deployment{ArtifactBucket: sampleBucket, StateMachine: sampleStateMachine, Sweeper: sampleSweeper, Apps: apps})
	rules := s.resources("AWS::Events::Rule")
	if len(rules) != len(want) {
		t.Errorf("%d rules, want %d", len(rules), len(want))
	}
	for _, w := range want {
		id := findID(t, rules, "Deployer"+w.ID)
		got := resolve(props(rules[id]), refs).(map[string]any)
		expect := map[string]any{"Description": w.Description, "State": "ENABLED"}
		if w.Pattern != nil {
			expect["EventPattern"] = decodeJSON(t, w.Pattern.JSON())
		} else {
			expect["ScheduleExpression"] = w.Schedule
		}
		target := map[string]any{"Arn": w.Target, "Id": "Target0", "RoleArn": "{" + s.ids.eventsRole + ".Arn}"}
		if w.Template != "" {
			tr := map[string]any{"InputTemplate": w.Template}
			if len(w.Paths) > 0 {
				tr["InputPathsMap"] = anyMap(w.Paths)
			}
			target["InputTransformer"] = tr
		} else {
			target["Input"] = w.Input
		}
		expect["Targets"] = []any{target}
		if diff := cmp.Diff(got, expect); diff != "" {
			t.Errorf("rule %s (-template +triggers):\n%s", w.ID, diff)
		}
	}
}

// The sweeper: the generated definition inlined as written, its placeholders the deployer's state machine and the
// create-stack function, logged and traced as the deployer's state machine.
func TestSweeper(t *testing.T) {
	s := base
	p := props(s.resource(t, s.ids.sweeper))
	if p["StateMachineType"] != "STANDARD" || p["StateMachineName"] != DefaultStateMachineName+SweeperSuffix || p["DefinitionString"] != statemachine.SweepDefinition {
		t.Errorf("sweeper type %v, name %v, definition as written %v", p["StateMachineType"], p["StateMachineName"], p["DefinitionString"] == statemachine.SweepDefinition)
	}
	subs := resolve(p["DefinitionSubstitutions"], nil)
	want := map[string]any{
		statemachine.CreateStackFunction: "{" + s.ids.functions["createstack"] + ".Arn}",
		statemachine.StateMachine:        "{Ref:" + s.ids.stateMachine + "}",
	}
	if diff := cmp.Diff(subs, any(want)); diff != "" {
		t.Errorf("sweeper substitutions (-got +want):\n%s", diff)
	}
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if ph := append([]string(nil), statemachine.SweepPlaceholders...); !cmp.Equal(keys, sortStrings(ph)) {
		t.Errorf("substituted %v, the sweeper's placeholders are %v", keys, ph)
	}
	logging := p["LoggingConfiguration"].(map[string]any)
	if logging["Level"] != "ALL" || logging["IncludeExecutionData"] != false || !cmp.Equal(p["TracingConfiguration"], map[string]any{"Enabled": true}) {
		t.Errorf("sweeper logging %v, tracing %v", logging, p["TracingConfiguration"])
	}
}

func sortStrings(s []string) []string { sort.Strings(s); return s }

func findID(t *testing.T, resources map[string]map[string]any, prefix string) string {
	t.Helper()
	var ids []string
	for id := range resources {
		if strings.HasPrefix(id, prefix) && len(id) == len(prefix)+8 {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if len(ids) != 1 {
		t.Fatalf("resources %s: %v", prefix, ids)
	}
	return ids[0]
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

func anyMap(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
