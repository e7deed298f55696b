package createstack_test

import (
	"encoding/json"
	"strings"
	"testing"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// liveEnv is the create-stack function with demoapp live in blue: its records and its stack.
func liveEnv(t *testing.T) *env {
	e := setup(t, liveIn(records.Blue, liveID, "")...)
	e.stacks.add(liveID, "CREATE_COMPLETE")
	return e
}

// bodyConfig is a stored configuration with a template body that executions may override (allowOverrides).
func bodyConfig(body string) string {
	return `{"hostedZoneId":"Z0EXAMPLE12345","template":{"body":"` + body + `"},` +
		`"serviceRoleArn":"arn:aws:iam::123456789012:role/demoapp-cfn","allowOverrides":["template"]}`
}

// A template body never travels in the state document: prepare leaves its size and digest in its place, and create
// reads the body again where prepare did — the stored configuration, or the execution's own override.
func TestTemplateBodyIsNotCarried(t *testing.T) {
	const stored, override = "Resources: {} # stored body", "Resources: {} # overriding body"
	tests := []struct{ name, input, want string }{
		{"stored body", `{"app":"demoapp","version":"v2"}`, stored},
		{"overriding body", `{"app":"demoapp","version":"v2","config":{"template":{"body":"` + override + `"}}}`, override},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := liveEnv(t)
			e.params[prefix+"demoapp"] = bodyConfig(stored)
			e.execs[me] = execution{status: sfntypes.ExecutionStatusRunning, input: tt.input}
			s, err := e.call("prepare", deploy.State{})
			if err != nil {
				t.Fatal(err)
			}
			if s.TemplateBody == nil || s.TemplateBody.Bytes != len(tt.want) {
				t.Errorf("state.templateBody = %+v, want the digest of %d bytes", s.TemplateBody, len(tt.want))
			}
			for _, op := range []string{"plan", "create"} {
				if s, err = e.call(op, s); err != nil {
					t.Fatalf("%s: %v", op, err)
				}
				assertNoBody(t, op, s)
			}
			if len(e.stacks.specs) != 1 {
				t.Fatalf("created %d stacks, want 1", len(e.stacks.specs))
			}
			if got := e.stacks.specs[0]; got.TemplateBody != tt.want || got.TemplateURL != "" {
				t.Errorf("stack created from body %q, url %q; want body %q", got.TemplateBody, got.TemplateURL, tt.want)
			}
		})
	}
}

// assertNoBody fails when the state document carries a template body in any form.
func assertNoBody(t *testing.T, after string, s deploy.State) {
	t.Helper()
	doc, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(doc), "Resources: {}") {
		t.Errorf("after %s the state document carries the template body: %s", after, doc)
	}
}

// A body that changed between prepare and create (the stored configuration was rewritten) is refused before any
// stack is created: the run would otherwise build what it did not validate.
func TestCreateRefusesAChangedBody(t *testing.T) {
	e := liveEnv(t)
	e.params[prefix+"demoapp"] = bodyConfig("Resources: {} # v1")
	e.execs[me] = execution{status: sfntypes.ExecutionStatusRunning, input: `{"app":"demoapp","version":"v2"}`}
	s, err := e.call("prepare", deploy.State{})
	if err == nil {
		s, err = e.call("plan", s)
	}
	if err != nil {
		t.Fatal(err)
	}
	e.params[prefix+"demoapp"] = bodyConfig("Resources: {} # v2, longer")
	_, err = e.call("create", s)
	if typeName(err) != "ValidationError" || !strings.Contains(err.Error(), "no longer the one this run was prepared with") {
		t.Errorf("create after the body changed = %v, want a ValidationError saying so", err)
	}
	if len(e.stacks.specs) != 0 {
		t.Errorf("created %d stacks from a body the run did not validate", len(e.stacks.specs))
	}
}

// A run started by an earlier version carries its body in state.config: create still uses it.
func TestCreateFromAnEarlierVersionsState(t *testing.T) {
	e := setup(t)
	s := planned(func(c *deploy.Config) { c.Template = deploy.Template{Body: "Resources: {} # carried"} })
	if _, err := e.call("create", s); err != nil {
		t.Fatal(err)
	}
	if len(e.stacks.specs) != 1 || e.stacks.specs[0].TemplateBody != "Resources: {} # carried" {
		t.Errorf("specs = %+v, want one stack from the carried body", e.stacks.specs)
	}
}
