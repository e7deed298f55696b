package createstack_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/deploy/deploytest"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

const stopped = "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-deploy-v1-stopped"

func TestPrepare(t *testing.T) {
	ptr := func(n int) *int { return &n }
	tests := []struct {
		name     string
		in       deploy.Input
		execs    executions
		stored   string   // the stored configuration, when not storedConfig
		wantErr  string   // the error's type name
		problems []string // substrings, one per problem
		check    func(t *testing.T, s deploy.State)
	}{
		{
			name: "stored configuration resolved, zone filled",
			in:   deploy.Input{App: "demoapp", Version: "v2", Artifact: "s3://artifacts/demoapp/v2.zip"},
			check: func(t *testing.T, s deploy.State) {
				want := prepared(nil)
				if diff := cmp.Diff(s.Config, want.Config); diff != "" {
					t.Errorf("config (-got +want):\n%s", diff)
				}
				if diff := cmp.Diff(s.App, &records.App{Name: "demoapp", Zone: "example.com", Host: "demoapp.example.com"}); diff != "" {
					t.Errorf("app (-got +want):\n%s", diff)
				}
				if s.Input.Action != deploy.ActionDeploy || s.Notice != "demoapp v2 (deploy): started" || len(s.Warnings) != 0 {
					t.Errorf("action %q, notice %q, warnings %q", s.Input.Action, s.Notice, s.Warnings)
				}
			},
		},
		{
			name: "overrides merged",
			in: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(
				`{"strategy":{"steps":[],"bakeSeconds":0},"keepFailedStack":true,"health":{"path":null},"host":"www.example.com"}`)},
			check: func(t *testing.T, s deploy.State) {
				want := prepared(func(c *deploy.Config) {
					c.Strategy.Steps, c.Strategy.BakeSeconds, c.KeepFailedStack = []int{}, ptr(0), true
					c.Health.Path, c.Host = "", "www.example.com"
				})
				if diff := cmp.Diff(s.Config, want.Config); diff != "" {
					t.Errorf("config (-got +want):\n%s", diff)
				}
				if s.App.HostName() != "www.example.com" {
					t.Errorf("host = %s, want the override's", s.App.HostName())
				}
			},
		},
		{
			name: "opting out of the service role warns",
			in:   deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(`{"serviceRoleArn":null,"noServiceRole":true}`)},
			check: func(t *testing.T, s deploy.State) {
				if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "no CloudFormation service role") {
					t.Errorf("warnings = %q, want one about the service role", s.Warnings)
				}
			},
		},
		{name: "invalid input", in: deploy.Input{App: "demoapp"}, wantErr: "ValidationError", problems: []string{`version ""`}},
		{name: "no stored configuration", in: deploy.Input{App: "shop", Version: "v1"}, wantErr: "ValidationError",
			problems: []string{"app shop has no stored configuration (SSM parameter /bluegreen/apps/shop)"}},
		{name: "misspelt override", in: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(`{"strategy":{"step":[10]}}`)},
			wantErr: "ValidationError", problems: []string{`config.strategy.step is not a field`}},
		{
			name: "every problem of the configuration",
			in: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(
				`{"strategy":{"steps":[50,20]},"health":{"scheme":"ftp"},"drainSeconds":-1,"serviceRoleArn":null}`)},
			wantErr:  "ValidationError",
			problems: []string{"20 after 50", `health scheme "ftp"`, "drainSeconds -1", "serviceRoleArn is required"},
		},
		{name: "hosted zone does not exist", in: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(`{"hostedZoneId":"ZNOSUCHZONE"}`)},
			wantErr: "ValidationError", problems: []string{"hosted zone ZNOSUCHZONE does not exist"}},
		{name: "zone mismatch", in: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(`{"zone":"example.org"}`)},
			wantErr: "ValidationError", problems: []string{"hosted zone Z0EXAMPLE12345 is example.com, not example.org"}},
		{name: "host outside the zone", in: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(`{"host":"demoapp.example.org"}`)},
			wantErr: "ValidationError", problems: []string{`host "demoapp.example.org" is not in zone "example.com"`}},
		{name: "CNAME at the apex", in: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(`{"host":"example.com","endpoint":{"type":"cname"}}`)},
			wantErr: "ValidationError", problems: []string{"zone apex"}},
		{
			name:  "reconcile learns the app from the stopped execution",
			in:    deploy.Input{Action: deploy.ActionReconcile, Execution: stopped},
			execs: executions{stopped: {status: sfntypes.ExecutionStatusAborted, input: `{"app":"demoapp","version":"v1","source":"cli"}`}},
			check: func(t *testing.T, s deploy.State) {
				if s.App == nil || s.App.Name != "demoapp" || s.Input.Action != deploy.ActionReconcile {
					t.Errorf("app %+v, action %q; want demoapp, reconcile", s.App, s.Input.Action)
				}
			},
		},
		{name: "reconcile of a running execution", in: deploy.Input{Action: deploy.ActionReconcile, Execution: stopped},
			execs:   executions{stopped: {status: sfntypes.ExecutionStatusRunning, input: `{"app":"demoapp","version":"v1"}`}},
			wantErr: "ValidationError", problems: []string{"is still RUNNING: stop it before reconciling"}},
		{name: "reconcile of a missing execution", in: deploy.Input{Action: deploy.ActionReconcile, Execution: stopped},
			wantErr: "ValidationError", problems: []string{"execution " + stopped + " does not exist"}},
		{
			name:  "reconcile of a stopped reconcile, naming the app",
			in:    deploy.Input{Action: deploy.ActionReconcile, Execution: stopped, App: "demoapp"},
			execs: executions{stopped: {status: sfntypes.ExecutionStatusAborted, input: `{"action":"reconcile","execution":"` + stopped + `"}`}},
			check: func(t *testing.T, s deploy.State) {
				if s.App == nil || s.App.Name != "demoapp" {
					t.Errorf("app %+v, want demoapp", s.App)
				}
			},
		},
		{
			// A reconcile acts with the stopped run's overrides (its zone, host, drain), following a stopped
			// reconcile to the run it was repairing.
			name: "reconcile of a stopped reconcile follows its target and takes its overrides",
			in:   deploy.Input{Action: deploy.ActionReconcile, Execution: stopped + "-reconcile"},
			execs: executions{
				stopped + "-reconcile": {status: sfntypes.ExecutionStatusAborted, input: `{"action":"reconcile","execution":"` + stopped + `"}`},
				stopped:                {status: sfntypes.ExecutionStatusAborted, input: `{"app":"demoapp","version":"v1","config":{"drainSeconds":5,"keepFailedStack":true}}`},
			},
			check: func(t *testing.T, s deploy.State) {
				if s.App == nil || s.App.Name != "demoapp" || *s.Config.DrainSeconds != 5 || !s.Config.KeepFailedStack {
					t.Errorf("app %+v, drain %d, keep %v; want demoapp with the stopped run's drain 5 and keep", s.App, *s.Config.DrainSeconds, s.Config.KeepFailedStack)
				}
			},
		},
		{name: "reconcile of a stopped reconcile, without the app", in: deploy.Input{Action: deploy.ActionReconcile, Execution: stopped},
			execs:   executions{stopped: {status: sfntypes.ExecutionStatusAborted, input: `{"action":"reconcile","execution":"` + stopped + `"}`}},
			wantErr: "ValidationError", problems: []string{"its input names no app (give app in the reconcile's input)"}},
		{name: "reconcile of another state machine's execution", in: deploy.Input{Action: deploy.ActionReconcile, Execution: "arn:aws:states:us-east-1:123456789012:execution:other:demoapp-deploy-v1"},
			execs:   executions{"arn:aws:states:us-east-1:123456789012:execution:other:demoapp-deploy-v1": {status: sfntypes.ExecutionStatusAborted, input: `{"app":"demoapp","version":"v1"}`}},
			wantErr: "ValidationError", problems: []string{"is not an execution of this state machine"}},
		{name: "reconcile of a refused run with protected overrides", in: deploy.Input{Action: deploy.ActionReconcile, Execution: stopped},
			execs:  executions{stopped: {status: sfntypes.ExecutionStatusFailed, input: `{"app":"demoapp","version":"v1","config":{"hostedZoneId":"ZOTHER","host":"shop.example.com"}}`}},
			stored: strictConfig, wantErr: "ValidationError", problems: []string{"config.hostedZoneId cannot be overridden", "config.host cannot be overridden"}},
		{name: "repair", in: deploy.Input{Action: deploy.ActionRepair, App: "demoapp", Live: "green"},
			check: func(t *testing.T, s deploy.State) {
				if s.App == nil || s.Input.Action != deploy.ActionRepair || s.Input.Live != "green" {
					t.Errorf("app %+v, input %+v; want a repair of demoapp to green", s.App, s.Input)
				}
			}},
		{name: "the execution's own input is read key by key: a repeated key", in: deploy.Input{App: "demoapp", Version: "v2"},
			execs:   executions{me: {status: sfntypes.ExecutionStatusRunning, input: `{"app":"demoapp","version":"v2","app":"shop"}`}},
			wantErr: "ValidationError", problems: []string{"app appears more than once"}},
		{name: "the execution's own input is read key by key: a folded protected key", in: deploy.Input{App: "demoapp", Version: "v2"},
			execs:   executions{me: {status: sfntypes.ExecutionStatusRunning, input: `{"app":"demoapp","version":"v2","config":{"Host":"shop.example.com"}}`}},
			wantErr: "ValidationError", problems: []string{`config.Host is not a field: keys must be spelt exactly as "host"`}},
		{name: "a non-object input", in: deploy.Input{App: "demoapp", Version: "v2"},
			execs:   executions{me: {status: sfntypes.ExecutionStatusRunning, input: `[1,2,3]`}},
			wantErr: "ValidationError", problems: []string{"the execution input must be a JSON object"}},
		{name: "reconcile naming another app", in: deploy.Input{Action: deploy.ActionReconcile, Execution: stopped, App: "shop"},
			execs:   executions{stopped: {status: sfntypes.ExecutionStatusFailed, input: `{"app":"demoapp","version":"v1"}`}},
			wantErr: "ValidationError", problems: []string{"deployed app demoapp, not shop"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, liveIn(records.Blue, liveID, "")...)
			if tt.stored != "" {
				e.params[prefix+"demoapp"] = tt.stored
			}
			for k, v := range tt.execs {
				e.execs[k] = v
			}
			got, err := e.call("prepare", deploy.State{Input: tt.in})
			if tt.wantErr != "" {
				if name := typeName(err); name != tt.wantErr {
					t.Fatalf("prepare = %v (%s), want a %s", err, name, tt.wantErr)
				}
				var v *deploy.ValidationError
				if errors.As(err, &v) {
					checkProblems(t, v.Problems, tt.problems)
				}
			} else if err != nil {
				t.Fatalf("prepare: %v", err)
			} else {
				tt.check(t, got)
			}
			if n := e.changes() + e.locks.Writes() + len(e.stacks.specs) + len(e.stacks.deleted); n != 0 {
				t.Errorf("prepare made %d writes: it may only read", n)
			}
		})
	}
}

func checkProblems(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("problems = %q, want %d", got, len(want))
	}
	for _, w := range want {
		if !strings.Contains(strings.Join(got, "\n"), w) {
			t.Errorf("no problem contains %q: %q", w, got)
		}
	}
}

// Where the app lives and which role builds its stacks come from its stored configuration: an execution's input may
// override them only when that configuration lists them in allowOverrides.
func TestPrepareRefusesProtectedOverrides(t *testing.T) {
	tests := []struct {
		config string
		want   []string
	}{
		{`{"host":"shop.example.com"}`, []string{"config.host cannot be overridden"}},
		{`{"hostedZoneId":"ZOTHER","serviceRoleArn":"arn:aws:iam::123456789012:role/admin"}`, []string{"config.hostedZoneId", "config.serviceRoleArn"}},
		{`{"health":{"allowLinkLocal":true}}`, []string{"config.health.allowLinkLocal"}},
		{`{"allowOverrides":["host"],"host":"shop.example.com"}`, []string{"config.host", "config.allowOverrides"}},
		{`{"template":{"url":"https://templates.s3.amazonaws.com/demoapp-v2.yaml"}}`, []string{"config.template cannot be overridden"}},
		{`{"template":{"body":"Resources: {}"}}`, []string{"config.template"}},
		{`{"adoptExistingRecord":true}`, []string{"config.adoptExistingRecord"}},
		{`{"serviceRoleArn":null,"noServiceRole":true}`, []string{"config.serviceRoleArn", "config.noServiceRole"}},
		// Failover is the stored configuration's alone: no spelling of it in an input gets through.
		{`{"routing":{"failover":true}}`, []string{"config.routing.failover cannot be overridden by an execution's input: only the app's stored configuration"}},
		{`{"Routing":{"failover":true}}`, []string{`config.Routing is not a field: keys must be spelt exactly as "routing"`}},
		{`{"routing":{"FAILOVER":true}}`, []string{`config.routing.FAILOVER is not a field`}},
		{`{"routing":{"Failover":true}}`, []string{`config.routing.Failover is not a field`}},
		{`{"allowOverrides":["routing.failover"],"routing":{"failover":true}}`, []string{"config.routing.failover", "config.allowOverrides"}},
	}
	for _, tt := range tests {
		e := setup(t)
		e.params[prefix+"demoapp"] = strictConfig
		_, err := e.call("prepare", deploy.State{Input: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(tt.config)}})
		var v *deploy.ValidationError
		if !errors.As(err, &v) || len(v.Problems) != len(tt.want) {
			t.Errorf("overrides %s: %v, want a ValidationError with %d problems", tt.config, err, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(v.Problems[i], w) {
				t.Errorf("overrides %s: problem %q, want it to mention %q", tt.config, v.Problems[i], w)
			}
		}
		if n := len(e.zone.Batches); n != 0 {
			t.Errorf("a refused input wrote %d batches", n)
		}
	}
	// The others stay open to every input, and so does a protected field given its stored value.
	e := setup(t)
	e.params[prefix+"demoapp"] = strictConfig
	if _, err := e.call("prepare", deploy.State{Input: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(`{"strategy":{"steps":[50]},"keepFailedStack":true}`)}}); err != nil {
		t.Errorf("unprotected overrides: %v", err)
	}
}

// Prepare refuses every input of the shared table (deploytest), with every problem; `bluegreen validate` is held to
// the same table.
func TestPrepareRefusesTheSharedTable(t *testing.T) {
	stored, err := os.ReadFile("../../events/config/demoapp.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range deploytest.RefusedInputs() {
		t.Run(tt.Name, func(t *testing.T) {
			e := setup(t)
			e.params[prefix+"demoapp"] = string(stored)
			e.execs[me] = execution{status: sfntypes.ExecutionStatusRunning, input: tt.Input}
			_, err := e.call("prepare", deploy.State{})
			var v *deploy.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("prepare of %s = %v, want a ValidationError", tt.Input, err)
			}
			checkProblems(t, v.Problems, tt.Problems)
		})
	}
}
