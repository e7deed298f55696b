package triggers_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/eventbus"
	"github.com/bluegreen-aws/bluegreen/internal/triggers"
)

// The rules are judged by the local AWS's model of EventBridge (package eventbus, itself tested against
// EventBridge's documented examples), against the sample events of events/: the shapes AWS documents, with this
// deployment's names.

const (
	bucket  = "bluegreen-artifacts-123456789012"
	machine = "arn:aws:states:us-east-1:123456789012:stateMachine:bluegreen"
	sweeper = "arn:aws:states:us-east-1:123456789012:stateMachine:bluegreen-sweep"
	digest  = "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234ef56"
)

var deployment = triggers.Deployment{ArtifactBucket: bucket, StateMachine: machine, Sweeper: sweeper,
	Apps: []triggers.App{{Name: "demoapp", EcrRepository: "demoapp"}, {Name: "shop"}}}

func sample(t *testing.T, name string) map[string]any {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(read(t, filepath.Join("..", "..", "events", "eventbridge-"+name+".json")), &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func encode(t *testing.T, e map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rules(t *testing.T) map[string]triggers.Rule {
	t.Helper()
	out := map[string]triggers.Rule{}
	for _, r := range triggers.Rules(deployment) {
		out[r.ID] = r
	}
	return out
}

// matches says whether the rule's pattern matches the event, as EventBridge would.
func matches(t *testing.T, r triggers.Rule, event []byte) bool {
	t.Helper()
	p, err := eventbus.Compile(r.Pattern.JSON())
	if err != nil {
		t.Fatalf("%s: %v", r.ID, err)
	}
	return p.Match(event)
}

// input is what the rule's target gets for the event, as EventBridge would render it.
func input(t *testing.T, r triggers.Rule, event []byte) string {
	t.Helper()
	if r.Input != "" {
		return r.Input
	}
	out, err := eventbus.Transformer{InputPathsMap: r.Paths, InputTemplate: r.Template}.Render(event, eventbus.Context{
		RuleARN: "arn:aws:events:us-east-1:123456789012:rule/" + r.ID, RuleName: r.ID, Ingested: time.Now()})
	if err != nil {
		t.Fatalf("%s: %v", r.ID, err)
	}
	return out
}

func TestTheRules(t *testing.T) {
	var ids []string
	for _, r := range triggers.Rules(deployment) {
		ids = append(ids, r.ID)
		if (r.Pattern == nil) == (r.Schedule == "") || (r.Input == "") == (r.Template == "") {
			t.Errorf("%s: a rule has a pattern or a schedule, and a constant input or a template: %+v", r.ID, r)
		}
	}
	want := []string{"DeploydemoappOnUpload", "DeploydemoappOnPush", "DeployshopOnUpload", "SweepOnStop", "SweepOnSchedule"}
	if diff := cmp.Diff(ids, want); diff != "" {
		t.Errorf("rules (-got +want):\n%s", diff)
	}
	if r := rules(t)["SweepOnSchedule"]; r.Target != sweeper || r.Schedule != "rate(5 minutes)" {
		t.Errorf("schedule %+v", r)
	}
	if _, err := eventbus.ParseRate(triggers.SweepRate); err != nil {
		t.Error(err)
	}
}

// Each event rule matches its sample event and no other; the upload and push rules start exactly the inputs
// documented in events/input/, which decode strictly and, once Prepare derives the release from the event, validate.
func TestRulesMatchTheirEventsAndStartTheDocumentedInputs(t *testing.T) {
	want := map[string]map[string]deploy.Input{ // rule -> sample -> input, its release derived
		"DeploydemoappOnUpload": {"s3-object-created": {App: "demoapp", Version: "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e", Artifact: "s3://" + bucket + "/demoapp/releases/1.4.2/demoapp.zip", Source: "s3"}},
		"DeploydemoappOnPush":   {"ecr-image-push": {App: "demoapp", Version: "1.4.2", Artifact: "123456789012.dkr.ecr.us-east-1.amazonaws.com/demoapp@" + digest, Source: "ecr"}},
		"DeployshopOnUpload":    {},
		"SweepOnStop":           {"sfn-execution-aborted": {}},
	}
	documented := map[string]string{"s3-object-created": "s3-trigger.json", "ecr-image-push": "ecr-trigger.json"}
	for id, inputs := range want {
		r := rules(t)[id]
		for _, name := range []string{"s3-object-created", "ecr-image-push", "sfn-execution-aborted"} {
			event := encode(t, sample(t, name))
			in, wanted := inputs[name]
			if got := matches(t, r, event); got != wanted {
				t.Errorf("%s matches the %s sample: %v, want %v", id, name, got, wanted)
				continue
			}
			if !wanted || r.Target == sweeper {
				continue
			}
			rendered := input(t, r, event)
			var got, doc any
			_ = json.Unmarshal([]byte(rendered), &got)
			_ = json.Unmarshal(read(t, filepath.Join("..", "..", "events", "input", documented[name])), &doc)
			if !cmp.Equal(got, doc) {
				t.Errorf("%s starts %s, not the input documented in events/input/%s", id, rendered, documented[name])
			}
			decoded, err := deploy.CheckInput([]byte(rendered))
			if err != nil {
				t.Errorf("%s: %s: %v", id, rendered, err)
				continue
			}
			in.Action = deploy.ActionDeploy
			if diff := cmp.Diff(decoded, in, cmpopts.IgnoreFields(deploy.Input{}, "Event")); diff != "" {
				t.Errorf("%s: execution input (-got +want):\n%s", id, diff)
			}
		}
	}
}

// What must start nothing.
func TestRulesLetOtherEventsBe(t *testing.T) {
	r := rules(t)
	edit := func(name string, change func(e, d map[string]any)) []byte {
		e := sample(t, name)
		change(e, e["detail"].(map[string]any))
		return encode(t, e)
	}
	key := func(k string) func(_, d map[string]any) {
		return func(_, d map[string]any) { d["object"].(map[string]any)["key"] = k }
	}
	for _, tt := range []struct {
		name, rule string
		event      []byte
	}{
		{"an object under another app's prefix", "DeploydemoappOnUpload", edit("s3-object-created", key("shop/v1.zip"))},
		{"an object under a longer name", "DeploydemoappOnUpload", edit("s3-object-created", key("demoappx/v1.zip"))},
		{"an object in another bucket", "DeploydemoappOnUpload", edit("s3-object-created", func(_, d map[string]any) { d["bucket"] = map[string]any{"name": "elsewhere"} })},
		{"an object deleted", "DeploydemoappOnUpload", edit("s3-object-created", func(e, _ map[string]any) { e["detail-type"] = "Object Deleted" })},
		{"a failed push", "DeploydemoappOnPush", edit("ecr-image-push", func(_, d map[string]any) { d["result"] = "FAILURE" })},
		{"a push without a tag", "DeploydemoappOnPush", edit("ecr-image-push", func(_, d map[string]any) { delete(d, "image-tag") })},
		{"a push to another repository", "DeploydemoappOnPush", edit("ecr-image-push", func(_, d map[string]any) { d["repository-name"] = "shop" })},
		{"an image deleted", "DeploydemoappOnPush", edit("ecr-image-push", func(_, d map[string]any) { d["action-type"] = "DELETE" })},
		{"a failed execution (a dirty failure is an operator's)", "SweepOnStop", edit("sfn-execution-aborted", func(_, d map[string]any) { d["status"] = "FAILED" })},
		{"a succeeded execution", "SweepOnStop", edit("sfn-execution-aborted", func(_, d map[string]any) { d["status"] = "SUCCEEDED" })},
		{"a running execution", "SweepOnStop", edit("sfn-execution-aborted", func(_, d map[string]any) { d["status"] = "RUNNING" })},
		{"another state machine's execution", "SweepOnStop", edit("sfn-execution-aborted", func(_, d map[string]any) { d["stateMachineArn"] = sweeper })},
		{"a reconcile a sweep started, stopped", "SweepOnStop", edit("sfn-execution-aborted", func(_, d map[string]any) { d["name"] = triggers.ReconcileName("demoapp", machine) })},
		{"a reconcile an operator started, timed out", "SweepOnStop", edit("sfn-execution-aborted", func(_, d map[string]any) {
			d["status"], d["name"] = "TIMED_OUT", "demoapp-reconcile-20260312T154221.984"
		})},
	} {
		if matches(t, r[tt.rule], tt.event) {
			t.Errorf("%s: %s matches", tt.name, tt.rule)
		}
	}
	// A timed-out deployment an operator named starts a sweep, whatever its input says.
	timedOut := edit("sfn-execution-aborted", func(_, d map[string]any) {
		d["status"], d["name"] = "TIMED_OUT", "demoapp-deploy-1.4.2-20260312T154221.984"
		d["input"] = `{"action":"reconcile","execution":"x"}`
	})
	if !matches(t, r["SweepOnStop"], timedOut) {
		t.Error("SweepOnStop misses a timed-out deployment")
	}
}

// No value of an S3 or ECR event is spliced into the input's text: a key written to inject fields stays inside the
// artifact. The sweep rules take nothing from their events.
func TestTriggersCannotInject(t *testing.T) {
	for _, r := range triggers.Rules(deployment) {
		if len(r.Paths) > 0 {
			t.Errorf("%s takes %v by path: an event's values must reach an execution only inside the whole event", r.ID, r.Paths)
		}
	}
	key := `demoapp/x","config":{"hostedZoneId":"ZEVIL"},"app":"shop","a":"\`
	e := sample(t, "s3-object-created")
	e["detail"].(map[string]any)["object"].(map[string]any)["key"] = key
	rendered := input(t, rules(t)["DeploydemoappOnUpload"], encode(t, e))
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(rendered), &top); err != nil || len(top) != 2 || top["app"] == nil || top["event"] == nil {
		t.Fatalf("rendered input %s (%v): want exactly app and event", rendered, err)
	}
	in, err := deploy.CheckInput([]byte(rendered))
	if err != nil {
		t.Fatal(err)
	}
	if in.App != "demoapp" || in.Artifact != "s3://"+bucket+"/"+key || len(in.Config) != 0 {
		t.Errorf("hostile key %q gave app %q, artifact %q, config %s", key, in.App, in.Artifact, in.Config)
	}
}

func TestReconcileNames(t *testing.T) {
	a := "arn:aws:states:us-east-1:123456789012:execution:bluegreen:6a1e9c4e-5b0d-4f55-9d3a-2f0a1c7e8b21"
	b := "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-deploy-v2-20260312T154221.984"
	name := triggers.ReconcileName("demoapp", a)
	if name != triggers.ReconcileName("demoapp", a) || name == triggers.ReconcileName("demoapp", b) {
		t.Errorf("ReconcileName is not one name per stopped run: %s", name)
	}
	long := triggers.ReconcileName(strings.Repeat("a", 24), a)
	if len(long) > 80 || !strings.HasPrefix(name, "demoapp-reconcile-") {
		t.Errorf("names %s, %s (%d characters)", name, long, len(long))
	}
	for n, want := range map[string]bool{
		name: true, long: true, "demoapp-reconcile-20260312T154221.984": true,
		"demoapp-deploy-v2-20260312T154221.984": false, "demoapp-deploy-x-reconcile-y": false,
		"6a1e9c4e-5b0d-4f55-9d3a-2f0a1c7e8b21": false, "reconcile-x": false, "Demo-reconcile-x": false,
	} {
		if got := triggers.IsReconcile(n); got != want {
			t.Errorf("IsReconcile(%s) = %v, want %v", n, got, want)
		}
	}
	if got := triggers.ExecutionName(a); got != "6a1e9c4e-5b0d-4f55-9d3a-2f0a1c7e8b21" {
		t.Errorf("ExecutionName = %s", got)
	}
}
