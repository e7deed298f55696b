package createstack_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// s3TriggerInput is the execution input the S3 rule starts for an object created under key (its input template,
// {"app":"demoapp","event":<aws.events.event.json>}, over the sample event with that key).
func s3TriggerInput(t *testing.T, key string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "events", "eventbridge-s3-object-created.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]any
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	e["detail"].(map[string]any)["object"].(map[string]any)["key"] = key
	event, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return `{"app":"demoapp","event":` + string(event) + `}`
}

// Prepare derives the release from a trigger's event, and a key written to inject fields stays inside the artifact:
// the configuration is the stored one.
func TestPrepareFromEvent(t *testing.T) {
	tests := []struct {
		name, raw string
		artifact  string
		problems  []string
	}{
		{name: "an S3 upload", raw: s3TriggerInput(t, "demoapp/releases/1.4.2/demoapp.zip"),
			artifact: "s3://bluegreen-artifacts-123456789012/demoapp/releases/1.4.2/demoapp.zip"},
		{name: "a key that would inject a zone", raw: s3TriggerInput(t, `demoapp/x","config":{"hostedZoneId":"ZEVIL","host":"www.example.org"},"a":"`),
			artifact: `s3://bluegreen-artifacts-123456789012/demoapp/x","config":{"hostedZoneId":"ZEVIL","host":"www.example.org"},"a":"`},
		{name: "a key under another app", raw: s3TriggerInput(t, "shop/v1.zip"), problems: []string{`"shop/v1.zip" is not under demoapp/`}},
		{name: "an event beside a version", raw: `{"app":"demoapp","version":"v9","event":{"source":"aws.s3"}}`,
			problems: []string{"an input with an event gives no version, artifact or source"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			got, err := e.call("prepare", deploy.State{Raw: tt.raw})
			if n := e.changes() + e.locks.Writes() + len(e.stacks.specs) + len(e.stacks.deleted); n != 0 {
				t.Errorf("prepare made %d writes: it may only read", n)
			}
			if tt.problems != nil {
				if typeName(err) != "ValidationError" {
					t.Fatalf("prepare = %v, want a ValidationError", err)
				}
				checkProblems(t, err.(*deploy.ValidationError).Problems, tt.problems)
				return
			}
			if err != nil {
				t.Fatalf("prepare: %v", err)
			}
			in := got.Input
			if in.App != "demoapp" || in.Version != "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e" || in.Artifact != tt.artifact || in.Source != "s3" || len(in.Config) != 0 {
				t.Errorf("input: app %q, version %q, artifact %q, source %q, config %s", in.App, in.Version, in.Artifact, in.Source, in.Config)
			}
			want := prepared(nil)
			if diff := cmp.Diff(got.Config, want.Config); diff != "" {
				t.Errorf("config (-got +stored):\n%s", diff)
			}
		})
	}
}
