package bluegreen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// Sample events: the shapes AWS documents, with this deployment's names.
var samples = map[string]string{
	"s3":  filepath.Join("..", "..", "events", "eventbridge-s3-object-created.json"),
	"ecr": filepath.Join("..", "..", "events", "eventbridge-ecr-image-push.json"),
	"sfn": filepath.Join("testdata", "eventbridge-sfn-execution-aborted.json"),
}

// What the sample events' resources are called in the test: the artifact bucket, the state machine.
const (
	sampleBucket       = "bluegreen-artifacts-123456789012"
	sampleStateMachine = "arn:aws:states:us-east-1:123456789012:stateMachine:bluegreen"
)

// The execution inputs the S3 and ECR rules start for demoapp over the sample events, as documented in events/.
var triggerInputs = map[string]string{
	"s3":  filepath.Join("..", "..", "events", "input", "s3-trigger.json"),
	"ecr": filepath.Join("..", "..", "events", "input", "ecr-trigger.json"),
}

// Each rule matches its sample event and no other, and its input transformer turns the event into an execution
// input that decodes strictly and, once Prepare derives the release from its event, validates. The S3 and ECR rules
// give exactly the inputs documented in events/input/.
func TestInputTransformers(t *testing.T) {
	s := base
	refs := map[string]string{s.ids.bucket: sampleBucket, s.ids.stateMachine: sampleStateMachine}
	digest := "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234ef56"
	want := map[string]map[string]deploy.Input{ // rule id prefix -> sample -> input, its release derived
		"DeployerDeploydemoappOnUpload": {"s3": {App: "demoapp", Version: "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e", Artifact: "s3://" + sampleBucket + "/demoapp/releases/1.4.2/demoapp.zip", Source: "s3"}},
		"DeployerDeploydemoappOnPush":   {"ecr": {App: "demoapp", Version: "1.4.2", Artifact: "123456789012.dkr.ecr.us-east-1.amazonaws.com/demoapp@" + digest, Source: "ecr"}},
		"DeployerDeployshopOnUpload":    {},
		"DeployerDeployapexOnUpload":    {},
		"DeployerReconcileStopped": {"sfn": {
			Action: deploy.ActionReconcile, Source: "reconcile",
			Execution: "arn:aws:states:us-east-1:123456789012:execution:bluegreen:6a1e9c4e-5b0d-4f55-9d3a-2f0a1c7e8b21",
		}},
	}
	events := map[string][]byte{}
	for name, path := range samples {
		events[name] = readFile(t, path)
	}
	rules := s.resources("AWS::Events::Rule")
	if len(rules) != len(want) {
		t.Errorf("%d rules, want %d", len(rules), len(want))
	}
	for prefix, inputs := range want {
		id := findID(t, rules, prefix)
		rule := resolve(props(rules[id]), refs).(map[string]any)
		target := rule["Targets"].([]any)[0].(map[string]any)
		if target["Arn"] != sampleStateMachine || target["RoleArn"] != "{"+s.ids.eventsRole+".Arn}" {
			t.Errorf("%s: target %v with role %v, want the state machine with the events role", prefix, target["Arn"], target["RoleArn"])
		}
		for sample, event := range events {
			in, wanted := inputs[sample]
			if matched := matches(rule["EventPattern"].(map[string]any), decodeEvent(t, event)); matched != wanted {
				t.Errorf("%s matches the %s sample: %v, want %v", prefix, sample, matched, wanted)
				continue
			}
			if !wanted {
				continue
			}
			rendered := render(t, target["InputTransformer"].(map[string]any), event)
			if doc, ok := triggerInputs[sample]; ok && !sameJSON(t, []byte(rendered), readFile(t, doc)) {
				t.Errorf("%s: the rule starts %s, not the input documented in %s", prefix, rendered, doc)
			}
			got, err := deploy.DecodeInput([]byte(rendered))
			if err == nil {
				err = deploy.ReleaseFromEvent(&got)
			}
			if err == nil {
				err = deploy.ValidateInput(got)
			}
			if err != nil {
				t.Errorf("%s: %s: %v", prefix, rendered, err)
				continue
			}
			if diff := cmp.Diff(got, in, cmpopts.IgnoreFields(deploy.Input{}, "Event")); diff != "" {
				t.Errorf("%s: execution input (-got +want):\n%s", prefix, diff)
			}
		}
	}
}

// No value of an S3 or ECR event is spliced into the input's text: those rules take no input paths, and a key
// written to inject fields stays inside the artifact. The one value the deployer still takes by path is the stopped
// execution's ARN (see reconcileInputTemplate).
func TestTriggersCannotInject(t *testing.T) {
	rules := base.resources("AWS::Events::Rule")
	for id, r := range rules {
		transformer, _ := props(r)["Targets"].([]any)[0].(map[string]any)["InputTransformer"].(map[string]any)
		paths, _ := transformer["InputPathsMap"].(map[string]any)
		switch {
		case strings.HasPrefix(id, "DeployerReconcileStopped"):
			if diff := cmp.Diff(paths, map[string]any{"execution": "$.detail.executionArn"}); diff != "" {
				t.Errorf("%s: input paths (-got +want):\n%s", id, diff)
			}
		case len(paths) > 0:
			t.Errorf("%s takes %v by path: an event's values must reach the execution only inside the whole event", id, paths)
		}
	}
	rule := props(rules[findID(t, rules, "DeployerDeploydemoappOnUpload")])
	transformer := rule["Targets"].([]any)[0].(map[string]any)["InputTransformer"].(map[string]any)
	key := `demoapp/x","config":{"hostedZoneId":"ZEVIL"},"app":"shop","a":"\`
	e := decodeEvent(t, readFile(t, samples["s3"]))
	e["detail"].(map[string]any)["object"].(map[string]any)["key"] = key
	event, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	rendered := render(t, transformer, event)
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(rendered), &top); err != nil || len(top) != 2 || top["app"] == nil || top["event"] == nil {
		t.Fatalf("rendered input %s (%v): want exactly app and event", rendered, err)
	}
	in, err := deploy.DecodeInput([]byte(rendered))
	if err == nil {
		err = deploy.ReleaseFromEvent(&in)
	}
	if err != nil {
		t.Fatal(err)
	}
	if in.App != "demoapp" || in.Artifact != "s3://"+sampleBucket+"/"+key || len(in.Config) != 0 {
		t.Errorf("hostile key %q gave app %q, artifact %q, config %s", key, in.App, in.Artifact, in.Config)
	}
}

// A stopped automatic reconcile does not start another one.
func TestReconcileSkipsStoppedReconciles(t *testing.T) {
	rules := base.resources("AWS::Events::Rule")
	refs := map[string]string{base.ids.stateMachine: sampleStateMachine}
	rule := resolve(props(rules[findID(t, rules, "DeployerReconcileStopped")]), refs).(map[string]any)
	event := decodeEvent(t, readFile(t, samples["sfn"]))
	detail := event["detail"].(map[string]any)
	detail["input"] = `{"action":"reconcile","execution":"arn:aws:states:us-east-1:123456789012:execution:bluegreen:x","source":"reconcile"}`
	if matches(rule["EventPattern"].(map[string]any), event) {
		t.Errorf("the reconcile rule matches a stopped reconcile")
	}
	detail["input"] = `{"app":"demoapp","version":"1"}`
	detail["status"] = "TIMED_OUT"
	if !matches(rule["EventPattern"].(map[string]any), event) {
		t.Errorf("the reconcile rule misses a timed-out deployment")
	}
	detail["status"] = "FAILED"
	if matches(rule["EventPattern"].(map[string]any), event) {
		t.Errorf("the reconcile rule matches a failed execution (a dirty failure is reconciled by an operator)")
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func decodeEvent(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	return e
}

// sameJSON says whether a and b are the same JSON value.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return cmp.Equal(x, y)
}

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

var placeholderRE = regexp.MustCompile(`<([A-Za-z0-9_.-]+)>`)

// render does what EventBridge does with an input transformer ("Amazon EventBridge input transformation"): each
// <name> of the template is replaced by the value at the name's path in the event, as it is, unescaped, and
// <aws.events.event.json> by the original event's JSON. The result must be JSON.
func render(t *testing.T, transformer map[string]any, event []byte) string {
	t.Helper()
	paths, _ := transformer["InputPathsMap"].(map[string]any)
	template := transformer["InputTemplate"].(string)
	var compact bytes.Buffer
	if err := json.Compact(&compact, event); err != nil {
		t.Fatal(err)
	}
	decoded := decodeEvent(t, event)
	out := placeholderRE.ReplaceAllStringFunc(template, func(m string) string {
		name := m[1 : len(m)-1]
		if name == "aws.events.event.json" {
			return compact.String()
		}
		path, ok := paths[name].(string)
		if !ok {
			t.Errorf("template placeholder %s has no path", m)
			return m
		}
		v, ok := lookup(decoded, path)
		if !ok {
			t.Errorf("path %s is not in the event", path)
			return ""
		}
		s, isString := v.(string)
		if !isString {
			t.Errorf("path %s is a %T, not a string", path, v)
			s = fmt.Sprint(v)
		}
		return s // EventBridge does not escape it
	})
	if !json.Valid([]byte(out)) {
		t.Errorf("template %s renders %s: not JSON", template, out)
	}
	return out
}

func lookup(event map[string]any, path string) (any, bool) {
	var v any = event
	for _, key := range strings.Split(strings.TrimPrefix(path, "$."), ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[key]; !ok {
			return nil, false
		}
	}
	return v, true
}

// matches evaluates the part of EventBridge's pattern language the deployer uses: exact strings, prefix, exists,
// anything-but prefix, nested objects.
func matches(pattern, event map[string]any) bool {
	for key, p := range pattern {
		v, present := event[key]
		switch x := p.(type) {
		case map[string]any:
			sub, ok := v.(map[string]any)
			if !ok || !matches(x, sub) {
				return false
			}
		case []any:
			if !matchesOne(x, v, present) {
				return false
			}
		default:
			panic(fmt.Sprintf("pattern %s: %T", key, p))
		}
	}
	return true
}

func matchesOne(options []any, v any, present bool) bool {
	s, isString := v.(string)
	for _, o := range options {
		switch x := o.(type) {
		case string:
			if isString && s == x {
				return true
			}
		case map[string]any:
			if pre, ok := x["prefix"].(string); ok && isString && strings.HasPrefix(s, pre) {
				return true
			}
			if ex, ok := x["exists"].(bool); ok && ex == present {
				return true
			}
			if ab, ok := x["anything-but"].(map[string]any); ok && isString && !strings.HasPrefix(s, ab["prefix"].(string)) {
				return true
			}
		}
	}
	return false
}
