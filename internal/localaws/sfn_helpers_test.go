package localaws_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/bluegreen-aws/bluegreen/internal/localaws"
)

const roleARN = "arn:aws:iam::123456789012:role/local"

func sfnClient(t *testing.T, a *localaws.AWS) *sfn.Client {
	t.Helper()
	cfg, err := a.Config(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return sfn.NewFromConfig(cfg)
}

func createStateMachine(t *testing.T, c *sfn.Client, name, definition string) string {
	t.Helper()
	out, err := c.CreateStateMachine(t.Context(), &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(definition), RoleArn: aws.String(roleARN),
	})
	if err != nil {
		t.Fatalf("create state machine %s: %v", name, err)
	}
	return aws.ToString(out.StateMachineArn)
}

func startExecution(t *testing.T, c *sfn.Client, machine, name, input string) string {
	t.Helper()
	out, err := c.StartExecution(t.Context(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machine), Name: aws.String(name), Input: aws.String(input),
	})
	if err != nil {
		t.Fatalf("start execution %s: %v", name, err)
	}
	return aws.ToString(out.ExecutionArn)
}

// waitExecution polls an execution until it leaves RUNNING or the timeout passes.
func waitExecution(t *testing.T, c *sfn.Client, arn string, timeout time.Duration) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out, err := c.DescribeExecution(t.Context(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("describe execution %s: %v", arn, err)
		}
		if out.Status != sfntypes.ExecutionStatusRunning || time.Now().After(deadline) {
			return out
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// enteredStates returns the names of the states an execution entered, in order.
func enteredStates(t *testing.T, c *sfn.Client, arn string) []string {
	t.Helper()
	out, err := c.GetExecutionHistory(t.Context(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("execution history %s: %v", arn, err)
	}
	var names []string
	for _, e := range out.Events {
		if e.StateEnteredEventDetails != nil {
			names = append(names, aws.ToString(e.StateEnteredEventDetails.Name))
		}
	}
	return names
}

// historyTypes returns the types of an execution's events, in order.
func historyTypes(ctx context.Context, t *testing.T, c *sfn.Client, arn string) []sfntypes.HistoryEventType {
	t.Helper()
	out, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("execution history %s: %v", arn, err)
	}
	var types []sfntypes.HistoryEventType
	for _, e := range out.Events {
		types = append(types, e.Type)
	}
	return types
}

// startTogether starts n executions of one name and input at once and returns how many executions have that name.
func startTogether(t *testing.T, c *sfn.Client, machine, name string, n int) int {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = c.StartExecution(t.Context(), &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String(name), Input: aws.String(`{"same": true}`)})
		}()
	}
	wg.Wait()
	out, err := c.ListExecutions(t.Context(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine)})
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, e := range out.Executions {
		if aws.ToString(e.Name) == name {
			count++
		}
	}
	return count
}

// stopAll stops a state machine's running executions.
func stopAll(t *testing.T, c *sfn.Client, machine string) {
	t.Helper()
	out, err := c.ListExecutions(t.Context(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine), StatusFilter: sfntypes.ExecutionStatusRunning})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range out.Executions {
		_, _ = c.StopExecution(t.Context(), &sfn.StopExecutionInput{ExecutionArn: e.ExecutionArn})
	}
}
