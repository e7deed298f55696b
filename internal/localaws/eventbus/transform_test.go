package eventbus_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/eventbus"
)

// The input transformation examples of "Amazon EventBridge input transformation" (EventBridge User Guide): its EC2
// event, its input paths, and each template's documented output.
const transformEvent = `{
  "version": "0",
  "id": "7bf73129-1428-4cd3-a780-95db273d1602",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "123456789012",
  "time": "2015-11-11T21:29:54Z",
  "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
  "detail": {"instance-id": "i-0123456789", "state": "RUNNING"}
}`

var docPaths = map[string]string{
	"timestamp": "$.time",
	"instance":  "$.detail.instance-id",
	"state":     "$.detail.state",
	"resource":  "$.resources[0]",
}

var exampleRule = eventbus.Context{
	RuleARN: "arn:aws:events:us-east-2:123456789012:rule/example", RuleName: "example",
	Ingested: time.Date(2015, 11, 11, 21, 29, 55, 0, time.UTC),
}

func TestTransformerRendersTheDocumentedExamples(t *testing.T) {
	tests := []struct{ name, template, want string }{
		{"simple string", `"instance <instance> is in <state>"`, `"instance i-0123456789 is in RUNNING"`},
		{"string with escaped quotes", `"instance \"<instance>\" is in <state>"`, `"instance \"i-0123456789\" is in RUNNING"`},
		{"simple JSON", `{"instance" : <instance>, "state": <state>}`, `{"instance" : "i-0123456789", "state": "RUNNING"}`},
		{"JSON with strings and variables",
			`{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \"<instance>\" is in <state>"}`,
			`{"instance" : "i-0123456789", "state": "RUNNING", "instanceStatus": "instance \"i-0123456789\" is in RUNNING"}`},
		{"JSON with a mix of variables and static information",
			`{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}`,
			`{"instance" : "i-0123456789", "state": [ 9, "RUNNING", true ], "Transformed" : "Yes"}`},
		{"reserved variables in a string", `"<aws.events.rule-name> triggered"`, `"example triggered"`},
		{"an array index", `{"r": <resource>}`, `{"r": "arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"}`},
		{"the ingestion time", `{"at": <aws.events.event.ingestion-time>}`, `{"at": "2015-11-11T21:29:55Z"}`},
		{"text in angle brackets that names no variable", `"a <b> c"`, `"a <b> c"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := eventbus.Transformer{InputPathsMap: docPaths, InputTemplate: tt.template}.Render([]byte(transformEvent), exampleRule)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("renders\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// "Including reserved variables in JSON": the rule's ARN and name as strings, the whole event as the JSON it is.
func TestTransformerReservedVariablesInJSON(t *testing.T) {
	tmpl := `{"instance" : <instance>, "state": <state>, "ruleArn" : <aws.events.rule-arn>, "ruleName" : <aws.events.rule-name>, "originalEvent" : <aws.events.event.json>, "envelope": <aws.events.event>}`
	got, err := eventbus.Transformer{InputPathsMap: docPaths, InputTemplate: tmpl}.Render([]byte(transformEvent), exampleRule)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Instance, State, RuleArn, RuleName string
		OriginalEvent                      map[string]any
		Envelope                           map[string]any
	}
	if err := json.Unmarshal([]byte(got), &out); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if out.Instance != "i-0123456789" || out.RuleArn != exampleRule.RuleARN || out.RuleName != "example" {
		t.Errorf("rendered %s", got)
	}
	if d, _ := out.OriginalEvent["detail"].(map[string]any); d["state"] != "RUNNING" || out.OriginalEvent["id"] != "7bf73129-1428-4cd3-a780-95db273d1602" {
		t.Errorf("aws.events.event.json is not the whole event: %v", out.OriginalEvent)
	}
	if _, has := out.Envelope["detail"]; has || out.Envelope["source"] != "aws.ec2" {
		t.Errorf("aws.events.event is the event without its detail, got %v", out.Envelope)
	}
}

// "Common issues with transforming input": values taken by an input path are not escaped, an object inside a
// string loses its quotes, a path the event lacks makes no variable, and the whole event may only be a field's value.
func TestTransformerCommonIssues(t *testing.T) {
	event := `{"source": "x", "detail": {"key": "a\"b", "obj": {"k": "v"}, "n": 5, "ok": true}}`
	render := func(paths map[string]string, tmpl string) (string, error) {
		return eventbus.Transformer{InputPathsMap: paths, InputTemplate: tmpl}.Render([]byte(event), exampleRule)
	}
	tests := []struct {
		name, template, want string
		paths                map[string]string
	}{
		{"a quote in a value is not escaped", `{"k": <key>}`, `{"k": "a"b"}`, map[string]string{"key": "$.detail.key"}},
		{"nor inside a string", `{"k": "x<key>y"}`, `{"k": "xa"by"}`, map[string]string{"key": "$.detail.key"}},
		{"an object as a value", `{"o": <obj>}`, `{"o": {"k":"v"}}`, map[string]string{"obj": "$.detail.obj"}},
		{"an object inside a string loses its quotes", `"Detail is <obj>"`, `"Detail is {k:v}"`, map[string]string{"obj": "$.detail.obj"}},
		{"a number and a boolean", `{"n": <n>, "s": "<n>", "b": <ok>}`, `{"n": 5, "s": "5", "b": true}`, map[string]string{"n": "$.detail.n", "ok": "$.detail.ok"}},
		{"a path the event lacks", `{"m": <missing>, "k": 1}`, `{"m": , "k": 1}`, map[string]string{"missing": "$.detail.nothing"}},
		{"a wildcard gives an array", `{"all": <all>}`, `{"all": ["a\"b",5,{"k":"v"},true]}`, map[string]string{"all": "$.detail.*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := render(tt.paths, tt.template)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("renders %s, want %s", got, tt.want)
			}
		})
	}
	if _, err := render(nil, `"event: <aws.events.event.json>"`); err == nil || !strings.Contains(err.Error(), "may only be the value of a JSON field") {
		t.Errorf("the whole event inside a string: %v, want refused", err)
	}
}

func TestTransformerCheck(t *testing.T) {
	many := map[string]string{}
	for i := range 101 {
		many["v"+strings.Repeat("x", i)] = "$.a"
	}
	for name, tr := range map[string]eventbus.Transformer{
		"a dotted name":     {InputPathsMap: map[string]string{"aws.events.rule-arn": "$.a"}, InputTemplate: "x"},
		"a name with space": {InputPathsMap: map[string]string{"a b": "$.a"}, InputTemplate: "x"},
		"a bad path":        {InputPathsMap: map[string]string{"a": "detail.a"}, InputTemplate: "x"},
		"a bracket":         {InputPathsMap: map[string]string{"a": "$.a[x]"}, InputTemplate: "x"},
		"no template":       {},
		"a long template":   {InputTemplate: strings.Repeat("x", 8193)},
		"101 paths":         {InputPathsMap: many, InputTemplate: "x"},
	} {
		if err := tr.Check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
