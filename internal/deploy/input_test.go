package deploy_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

const execARN = "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-deploy-v2-20261125T101500-000"

// problemsOf returns the problems of a *ValidationError, failing the test when err is another error.
func problemsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var v *deploy.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("error %v (%T) is not a *ValidationError", err, err)
	}
	return v.Problems
}

// checkProblems checks that there are as many problems as wanted and that each wanted substring is in one of them.
func checkProblems(t *testing.T, got []string, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d:\n  %s", len(got), len(want), strings.Join(got, "\n  "))
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.Contains(g, w)
		}
		if !found {
			t.Errorf("no problem mentions %q:\n  %s", w, strings.Join(got, "\n  "))
		}
	}
}

func TestValidateInput(t *testing.T) {
	tests := []struct {
		name string
		in   deploy.Input
		want []string // one substring per expected problem
	}{
		{name: "deploy", in: deploy.Input{App: "demoapp", Version: "v2", Artifact: "s3://bucket/demoapp/v2.zip", Source: "cli"}},
		{name: "deploy without action or artifact", in: deploy.Input{App: "demoapp", Version: "2026.11.25-1+build.7"}},
		{name: "rollback", in: deploy.Input{Action: deploy.ActionRollback, App: "demoapp"}},
		{name: "reconcile without app", in: deploy.Input{Action: deploy.ActionReconcile, Execution: execARN}},
		{name: "reconcile with app", in: deploy.Input{Action: deploy.ActionReconcile, App: "demoapp", Execution: execARN}},
		{name: "deploy without app", in: deploy.Input{Version: "v1"}, want: []string{"app is required"}},
		{name: "repair", in: deploy.Input{Action: deploy.ActionRepair, App: "demoapp", Live: "green"}},
		{name: "repair without a color", in: deploy.Input{Action: deploy.ActionRepair, App: "demoapp"}, want: []string{`repair needs live`}},
		{name: "repair to red", in: deploy.Input{Action: deploy.ActionRepair, App: "demoapp", Live: "red"}, want: []string{`(got "red")`}},
		{name: "repair with a version", in: deploy.Input{Action: deploy.ActionRepair, App: "demoapp", Live: "blue", Version: "v2"}, want: []string{"a repair takes no version"}},
		{name: "live on a deploy", in: deploy.Input{App: "demoapp", Version: "v2", Live: "blue"}, want: []string{"live is only for the repair action"}},
		{name: "bad app name", in: deploy.Input{App: "demo-app", Version: "v1"}, want: []string{`app name "demo-app"`}},
		{name: "reserved app name", in: deploy.Input{App: "stack", Version: "v1"}, want: []string{"reserved"}},
		{name: "no version", in: deploy.Input{App: "demoapp"}, want: []string{`version ""`}},
		{name: "version with a space", in: deploy.Input{App: "demoapp", Version: "v 1"}, want: []string{`version "v 1"`}},
		{name: "version too long", in: deploy.Input{App: "demoapp", Version: strings.Repeat("1", 129)}, want: []string{"1-128 characters"}},
		{name: "artifact too long", in: deploy.Input{App: "demoapp", Version: "v1", Artifact: strings.Repeat("a", 1025)}, want: []string{"artifact"}},
		{name: "artifact with a newline", in: deploy.Input{App: "demoapp", Version: "v1", Artifact: "s3://b/k\n"}, want: []string{"control characters"}},
		{name: "deploy with execution", in: deploy.Input{App: "demoapp", Version: "v1", Execution: execARN}, want: []string{"only for the reconcile action"}},
		{name: "rollback with version", in: deploy.Input{Action: deploy.ActionRollback, App: "demoapp", Version: "v1"}, want: []string{"a rollback takes no version"}},
		{name: "rollback without app", in: deploy.Input{Action: deploy.ActionRollback}, want: []string{"app is required"}},
		{name: "reconcile without execution", in: deploy.Input{Action: deploy.ActionReconcile}, want: []string{"reconcile needs execution"}},
		{name: "reconcile of a state machine ARN", in: deploy.Input{Action: deploy.ActionReconcile, Execution: "arn:aws:states:us-east-1:123456789012:stateMachine:bluegreen"}, want: []string{"reconcile needs execution"}},
		{name: "reconcile with artifact", in: deploy.Input{Action: deploy.ActionReconcile, Execution: execARN, Artifact: "x"}, want: []string{"a reconcile takes no version or artifact"}},
		{name: "reconcile with a bad app", in: deploy.Input{Action: deploy.ActionReconcile, Execution: execARN, App: "Demo"}, want: []string{`app name "Demo"`}},
		{name: "unknown action", in: deploy.Input{Action: "promote", App: "demoapp"}, want: []string{`action "promote"`}},
		{name: "bad source", in: deploy.Input{App: "demoapp", Version: "v1", Source: "Code Pipeline"}, want: []string{`source "Code Pipeline"`}},
		{
			name: "every problem at once",
			in:   deploy.Input{App: "Demo_App", Version: "", Artifact: "a\x00b", Execution: execARN, Source: "UPPER"},
			want: []string{`app name "Demo_App"`, `version ""`, "artifact", "only for the reconcile action", `source "UPPER"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, deploy.ValidateInput(tt.in))
			checkProblems(t, got, tt.want)
		})
	}
}

func TestDecodeInputIsStrict(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    deploy.Input
		wantErr string
	}{
		{name: "minimal", data: `{"app": "demoapp", "version": "v1"}`, want: deploy.Input{App: "demoapp", Version: "v1"}},
		{name: "config kept raw", data: `{"app":"demoapp","config":{"keepFailedStack":true}}`,
			want: deploy.Input{App: "demoapp", Config: json.RawMessage(`{"keepFailedStack":true}`)}},
		{name: "misspelt field", data: `{"app": "demoapp", "verison": "v1"}`, wantErr: `verison is not a field`},
		{name: "two values", data: `{"app": "demoapp"} {"app": "other"}`, wantErr: "the execution input has more after its JSON value"},
		{name: "a stray closing brace", data: `{"app": "demoapp"}}`, wantErr: "has more after its JSON value"},
		{name: "a stray closing bracket", data: `{"app": "demoapp"}]`, wantErr: "has more after its JSON value"},
		{name: "not an object", data: `["demoapp"]`, wantErr: "the execution input must be a JSON object"},
		{name: "a number", data: `[1,2,3]`, wantErr: "the execution input must be a JSON object"},
		{name: "null", data: `null`, wantErr: "the execution input must be a JSON object"},
		{name: "empty", data: ``, wantErr: "the execution input is empty"},
		{name: "malformed", data: `{"app": `, wantErr: "the execution input is not valid JSON"},
		{name: "wrong type", data: `{"app": 7}`, wantErr: "app must be a string"},
		{name: "other letter case", data: `{"App": "demoapp"}`, wantErr: `App is not a field: keys must be spelt exactly as "app"`},
		{name: "a duplicate key", data: `{"app": "demoapp", "app": "other"}`, wantErr: "app appears more than once"},
		{name: "a folded key in config", data: `{"app": "demoapp", "config": {"hoſt": "x"}}`, wantErr: `config.hoſt is not a field: keys must be spelt exactly as "host"`},
		{name: "Kelvin sign in config", data: `{"app": "demoapp", "config": {"KeepFailedStack": true}}`, wantErr: `spelt exactly as "keepFailedStack"`},
		{name: "a nested case variant", data: `{"app": "demoapp", "config": {"health": {"AllowLinkLocal": true}}}`, wantErr: `config.health.AllowLinkLocal is not a field`},
		{name: "a duplicate in config", data: `{"app": "demoapp", "config": {"host": "a", "host": "b"}}`, wantErr: "config.host appears more than once"},
		{name: "config not an object", data: `{"app": "demoapp", "config": [1]}`, wantErr: "config must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := deploy.DecodeInput([]byte(tt.data))
			if tt.wantErr != "" {
				if p := problemsOf(t, err); len(p) != 1 || !strings.Contains(p[0], tt.wantErr) {
					t.Errorf("DecodeInput(%s) problems = %q, want one containing %q", tt.data, p, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeInput(%s): %v", tt.data, err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("DecodeInput(%s) (-got +want):\n%s", tt.data, diff)
			}
		})
	}
}

func TestActionOrDefault(t *testing.T) {
	for _, tt := range []struct {
		in   deploy.Action
		want deploy.Action
	}{{"", deploy.ActionDeploy}, {deploy.ActionRollback, deploy.ActionRollback}, {deploy.ActionReconcile, deploy.ActionReconcile}} {
		if got := (deploy.Input{Action: tt.in}).ActionOrDefault(); got != tt.want {
			t.Errorf("Input{Action: %q}.ActionOrDefault() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzDecodeInput: decoding, deriving the release of a trigger's event and validating any bytes never panics, every
// refusal is a ValidationError, and an input that validates re-encodes to one that decodes equal (the config
// overrides and the event compared as JSON values).
func FuzzDecodeInput(f *testing.F) {
	files, _ := filepath.Glob("../../events/input/*.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		`{}`, `null`, `{"app":"demoapp","version":"v1","config":null}`,
		`{"action":"reconcile","execution":"` + execARN + `"}`,
		`{"app":"demoapp","version":"v1","config":{"a": [1, {"b": null}], "c": "<&>"}}`,
		`{"app":"demoapp","version":"v1","artifact":"\u00e9\ud800"}`,
		`{"app":"demoapp","event":{ "source": "aws.s3", "detail-type": "Object Created" }}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := deploy.DecodeInput(data)
		if err != nil {
			problemsOf(t, err)
			return
		}
		if err := deploy.ReleaseFromEvent(&in); err != nil {
			problemsOf(t, err)
			return
		}
		if err := deploy.ValidateInput(in); err != nil {
			problemsOf(t, err)
			return
		}
		enc, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("a valid input does not encode: %v", err)
		}
		again, err := deploy.DecodeInput(enc)
		if err != nil {
			t.Fatalf("re-encoded input %s does not decode: %v", enc, err)
		}
		if err := deploy.ValidateInput(again); err != nil {
			t.Fatalf("re-encoded input %s does not validate: %v", enc, err)
		}
		if diff := cmp.Diff(asJSON(t, again.Config), asJSON(t, in.Config)); diff != "" {
			t.Errorf("config overrides changed in a round trip (-got +want):\n%s", diff)
		}
		if diff := cmp.Diff(asJSON(t, again.Event), asJSON(t, in.Event)); diff != "" {
			t.Errorf("event changed in a round trip (-got +want):\n%s", diff)
		}
		in.Config, again.Config, in.Event, again.Event = nil, nil, nil, nil
		if diff := cmp.Diff(again, in); diff != "" {
			t.Errorf("input changed in a round trip (-got +want):\n%s", diff)
		}
	})
}

// asJSON decodes raw JSON into a generic value (nil for none).
func asJSON(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return v
}
