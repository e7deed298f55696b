package localaws_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
)

const passMachine = `{"StartAt": "Pass", "States": {"Pass": {"Type": "Pass", "End": true}}}`

// waitMachine runs for a minute (tests stop it).
const waitMachine = `{"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 60, "End": true}}}`

// invokeMachine invokes the function named by the input's "function" and catches BoomError.
const invokeMachine = `{
  "StartAt": "Invoke",
  "States": {
    "Invoke": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName.$": "$.function", "Payload.$": "$"},
      "ResultSelector": {"payload.$": "$.Payload"},
      "Catch": [{"ErrorEquals": ["BoomError"], "ResultPath": "$.error", "Next": "Caught"}],
      "Next": "Done"
    },
    "Caught": {"Type": "Pass", "End": true},
    "Done": {"Type": "Succeed"}
  }
}`

// The fix for moto issue 10077: without it, every StartExecution after the first fails.
func TestStartExecutionTwice(t *testing.T) {
	a := localawstest.Use(t, local)
	c := sfnClient(t, a)
	machine := createStateMachine(t, c, "twice", passMachine)
	for _, name := range []string{"first", "second", "third"} {
		arn := startExecution(t, c, machine, name, `{}`)
		if got := waitExecution(t, c, arn, 10*time.Second).Status; got != sfntypes.ExecutionStatusSucceeded {
			t.Errorf("execution %s: status %s, want SUCCEEDED", name, got)
		}
	}
}

func TestLambdaTask(t *testing.T) {
	a := localawstest.Use(t, local)
	c := sfnClient(t, a)
	machine := createStateMachine(t, c, "invoke", invokeMachine)
	tests := []struct {
		function   string // greet runs in-process, echo under aws-lambda-rie
		input      string
		wantPath   []string
		wantOutput map[string]any
	}{
		{
			function: "greet", input: `{"value": "hi"}`, wantPath: []string{"Invoke", "Done"},
			wantOutput: map[string]any{"payload": map[string]any{"echo": "hi"}},
		},
		{
			function: "echo", input: `{"value": "hi"}`, wantPath: []string{"Invoke", "Done"},
			wantOutput: map[string]any{"payload": map[string]any{
				"echo": "hi", "function": "echo", "endpoint": a.Endpoint, "extra": "extra"}},
		},
		{
			function: "greet", input: `{"fail": "on purpose"}`, wantPath: []string{"Invoke", "Caught"},
			wantOutput: map[string]any{"function": "greet", "fail": "on purpose", "error": map[string]any{
				"Error": "BoomError", "Cause": `{"errorMessage":"boom: on purpose","errorType":"BoomError"}`}},
		},
		{
			function: "echo", input: `{"fail": "on purpose"}`, wantPath: []string{"Invoke", "Caught"},
			wantOutput: map[string]any{"function": "echo", "fail": "on purpose", "error": map[string]any{
				"Error": "BoomError", "Cause": `{"errorMessage":"boom: on purpose","errorType":"BoomError"}`}},
		},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%s %s", tt.function, tt.input), func(t *testing.T) {
			var input map[string]any
			if err := json.Unmarshal([]byte(tt.input), &input); err != nil {
				t.Fatal(err)
			}
			input["function"] = tt.function
			b, _ := json.Marshal(input)
			arn := startExecution(t, c, machine, fmt.Sprintf("run-%d", i), string(b))
			out := waitExecution(t, c, arn, 20*time.Second)
			if out.Status != sfntypes.ExecutionStatusSucceeded {
				t.Fatalf("status %s (%s: %s), want SUCCEEDED", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
			}
			if diff := cmp.Diff(tt.wantPath, enteredStates(t, c, arn)); diff != "" {
				t.Errorf("path (-want +got):\n%s", diff)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
				t.Fatalf("output %s: %v", aws.ToString(out.Output), err)
			}
			if diff := cmp.Diff(tt.wantOutput, got); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
	if got := a.Gateway.Count("lambda", "Invoke:echo"); got != 2 {
		t.Errorf("invokes of echo: %d, want 2", got)
	}
}

// moto's Step Functions interpreter makes its SDK integrations' calls over HTTP to
// localhost:MOTO_PORT, the gateway: they are logged, and faults apply to them.
func TestSDKIntegrationPassesThroughGateway(t *testing.T) {
	a := localawstest.Use(t, local)
	cfg, _ := a.Config(t.Context())
	db := dynamodb.NewFromConfig(cfg)
	_, err := db.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:            aws.String("locks"),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("app"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("app"), KeyType: ddbtypes.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := sfnClient(t, a)
	machine := createStateMachine(t, c, "lock", `{
	  "StartAt": "Lock",
	  "States": {"Lock": {
	    "Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
	    "Parameters": {"TableName": "locks", "Item": {"app": {"S.$": "$.app"}}},
	    "ResultPath": null, "End": true}}}`)

	a.Gateway.Throttle("dynamodb", "PutItem", 1)
	arn := startExecution(t, c, machine, "throttled", `{"app": "demoapp"}`)
	out := waitExecution(t, c, arn, 10*time.Second)
	if out.Status != sfntypes.ExecutionStatusFailed || aws.ToString(out.Error) != "DynamoDB.ThrottlingException" {
		t.Errorf("throttled execution: %s %s, want FAILED DynamoDB.ThrottlingException", out.Status, aws.ToString(out.Error))
	}
	arn = startExecution(t, c, machine, "accepted", `{"app": "demoapp"}`)
	if out := waitExecution(t, c, arn, 10*time.Second); out.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("status %s (%s: %s), want SUCCEEDED", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	if got := a.Gateway.Count("dynamodb", "PutItem"); got != 1 {
		t.Errorf("accepted PutItem calls through the gateway: %d, want 1", got)
	}
	if got := a.Gateway.CountRejected("dynamodb", "PutItem"); got != 1 {
		t.Errorf("throttled PutItem calls: %d, want 1", got)
	}
	item, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("locks"),
		Key: map[string]ddbtypes.AttributeValue{"app": &ddbtypes.AttributeValueMemberS{Value: "demoapp"}}})
	if err != nil || len(item.Item) == 0 {
		t.Errorf("the lock item was not written: %v", err)
	}
}

// StopExecution while a task's call is held ends the execution at once, as on AWS (launcher fix).
func TestStopWhileAnInvokeIsHeldAbortsAtOnce(t *testing.T) {
	a := localawstest.Use(t, local)
	if status := stopWhileInvokeHeld(t, a, sfnClient(t, a)); status != sfntypes.ExecutionStatusAborted {
		t.Errorf("status after StopExecution while the invoke is held: %s, want ABORTED", status)
	}
}

// stopWhileInvokeHeld stops an execution whose Lambda invoke is held, and returns its status right after the stop
// (the invoke is released when the test ends).
func stopWhileInvokeHeld(t *testing.T, a *localaws.AWS, c *sfn.Client) sfntypes.ExecutionStatus {
	t.Helper()
	machine := createStateMachine(t, c, "stopped", invokeMachine)
	hold := a.Gateway.HoldInvoke("greet", 0)
	t.Cleanup(hold.Release)
	arn := startExecution(t, c, machine, "stopped", `{"function": "greet", "value": "x"}`)
	select {
	case <-hold.Arrived():
	case <-time.After(10 * time.Second):
		t.Fatal("the invoke of greet never arrived")
	}
	if _, err := c.StopExecution(t.Context(), &sfn.StopExecutionInput{ExecutionArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	return waitExecution(t, c, arn, 0).Status
}

// A hold on a Lambda function stops an execution at that step.
func TestHoldInvokeThenStop(t *testing.T) {
	a := localawstest.Use(t, local)
	c := sfnClient(t, a)
	machine := createStateMachine(t, c, "held", invokeMachine)
	hold := a.Gateway.HoldInvoke("greet", 0)
	arn := startExecution(t, c, machine, "held", `{"function": "greet", "value": "x"}`)
	select {
	case <-hold.Arrived():
	case <-time.After(10 * time.Second):
		t.Fatal("the invoke of greet never arrived")
	}
	time.Sleep(200 * time.Millisecond)
	if got := waitExecution(t, c, arn, 0).Status; got != sfntypes.ExecutionStatusRunning {
		t.Fatalf("status while the invoke is held: %s, want RUNNING", got)
	}
	if _, err := c.StopExecution(t.Context(), &sfn.StopExecutionInput{ExecutionArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	hold.Release()
	if got := waitExecution(t, c, arn, 10*time.Second).Status; got != sfntypes.ExecutionStatusAborted {
		t.Errorf("status: %s, want ABORTED", got)
	}
	reqs := a.Gateway.Requests()
	var held time.Duration
	for _, r := range reqs {
		if r.Function == "greet" {
			held = r.Held
		}
	}
	if held < 200*time.Millisecond {
		t.Errorf("the invoke was held %v, want at least 200ms", held)
	}
	if got := enteredStates(t, c, arn); !cmp.Equal(got, []string{"Invoke"}) {
		t.Errorf("path %v, want [Invoke]", got)
	}
}

// waitForTokenMachine invokes greet with a task token, and waits for the token.
const waitForTokenMachine = `{
  "StartAt": "Approve",
  "States": {"Approve": {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
    "Parameters": {"FunctionName": "greet", "Payload": {"value.$": "$$.Task.Token"}},
    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
    "End": true},
    "Caught": {"Type": "Pass", "End": true}}}`

// The fix that makes StopExecution end a task waiting for a task token.
func TestStopWaitForTaskToken(t *testing.T) {
	a := localawstest.Use(t, local)
	c := sfnClient(t, a)
	status, events := stopWhileWaitingForToken(t, a, c, 10*time.Second)
	if status != sfntypes.ExecutionStatusAborted {
		t.Fatalf("status after StopExecution: %s, want ABORTED", status)
	}
	for _, e := range events {
		if e == sfntypes.HistoryEventTypeTaskFailed || e == sfntypes.HistoryEventTypeTaskTimedOut {
			t.Errorf("history has %s: a stopped task must not fail (history %v)", e, events)
		}
	}
	if got := events[len(events)-1]; got != sfntypes.HistoryEventTypeExecutionAborted {
		t.Errorf("last event %s, want ExecutionAborted", got)
	}
}

// A throttled invoke fails the task as on AWS, with Lambda.TooManyRequestsException.
func TestThrottledInvoke(t *testing.T) {
	a := localawstest.Use(t, local)
	c := sfnClient(t, a)
	machine := createStateMachine(t, c, "throttled", invokeMachine)
	a.Gateway.Throttle("lambda", "Invoke", 1)
	arn := startExecution(t, c, machine, "throttled", `{"function": "greet"}`)
	out := waitExecution(t, c, arn, 10*time.Second)
	if out.Status != sfntypes.ExecutionStatusFailed || aws.ToString(out.Error) != "Lambda.TooManyRequestsException" {
		t.Errorf("throttled invoke: %s %s, want FAILED Lambda.TooManyRequestsException", out.Status, aws.ToString(out.Error))
	}
}

// A name is one execution's: starts of one name and input at once make one execution (the others are answered
// with it), as Step Functions' StartExecution documents. moto checks the name and adds the execution in separate
// steps, but no race was seen (16 concurrent starts, five rounds, without any lock): no launcher fix, this test
// watches for one.
func TestConcurrentStartsOfOneNameMakeOneExecution(t *testing.T) {
	a := localawstest.Use(t, local)
	c := sfnClient(t, a)
	machine := createStateMachine(t, c, "once", waitMachine)
	if n := startTogether(t, c, machine, "once", 16); n != 1 {
		t.Errorf("16 starts of one name made %d executions, want 1", n)
	}
	stopAll(t, c, machine)
}
