package operator_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// stepFunctions is an in-memory Step Functions: it starts executions (recording each input), describes and lists
// them (newest first, MaxResults a page, as AWS does) and answers their histories — a page of MaxResults events in
// the order asked, as AWS does, or, with moto set, every event oldest first whatever was asked, as moto 5.2.1 does.
// It counts every call by operation. A token in expired is timed out.
type stepFunctions struct {
	started    []*sfn.StartExecutionInput
	sent       []*sfn.SendTaskSuccessInput
	expired    map[string]bool
	executions []*execution // oldest first
	moto       bool
	calls      map[string]int
}

// execution is one stored execution.
type execution struct {
	name, status, input, output, errName, cause string
	start, stop                                 time.Time
	events                                      []sfntypes.HistoryEvent
}

func (e *execution) arn() string {
	return "arn:aws:states:us-east-1:123456789012:execution:bluegreen:" + e.name
}

func newStepFunctions() *stepFunctions {
	return &stepFunctions{expired: map[string]bool{"old-token": true}, calls: map[string]int{}}
}

func (f *stepFunctions) find(arn string) *execution {
	for _, e := range f.executions {
		if e.arn() == arn {
			return e
		}
	}
	return nil
}

func (f *stepFunctions) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	f.calls["StartExecution"]++
	f.started = append(f.started, in)
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String("arn:aws:states:us-east-1:123456789012:execution:bluegreen:" + aws.ToString(in.Name))}, nil
}

func (f *stepFunctions) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	f.calls["DescribeExecution"]++
	e := f.find(aws.ToString(in.ExecutionArn))
	if e == nil {
		return nil, &sfntypes.ExecutionDoesNotExist{Message: aws.String("no execution")}
	}
	out := &sfn.DescribeExecutionOutput{
		ExecutionArn: aws.String(e.arn()), Name: aws.String(e.name), Status: sfntypes.ExecutionStatus(e.status),
		StartDate: aws.Time(e.start), Input: aws.String(e.input),
	}
	if !e.stop.IsZero() {
		out.StopDate = aws.Time(e.stop)
	}
	if e.output != "" {
		out.Output = aws.String(e.output)
	}
	if e.errName != "" {
		out.Error, out.Cause = aws.String(e.errName), aws.String(e.cause)
	}
	return out, nil
}

func (f *stepFunctions) ListExecutions(_ context.Context, in *sfn.ListExecutionsInput, _ ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error) {
	f.calls["ListExecutions"]++
	newest := slices.Clone(f.executions)
	slices.Reverse(newest)
	from, _ := strconv.Atoi(aws.ToString(in.NextToken))
	size := int(in.MaxResults)
	if size <= 0 || size > 1000 {
		size = 100
	}
	out := &sfn.ListExecutionsOutput{}
	for _, e := range newest[from:min(from+size, len(newest))] {
		out.Executions = append(out.Executions, sfntypes.ExecutionListItem{ExecutionArn: aws.String(e.arn()), Name: aws.String(e.name),
			Status: sfntypes.ExecutionStatus(e.status), StartDate: aws.Time(e.start)})
	}
	if from+size < len(newest) {
		out.NextToken = aws.String(strconv.Itoa(from + size))
	}
	return out, nil
}

func (f *stepFunctions) GetExecutionHistory(_ context.Context, in *sfn.GetExecutionHistoryInput, _ ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error) {
	f.calls["GetExecutionHistory"]++
	e := f.find(aws.ToString(in.ExecutionArn))
	if e == nil {
		return nil, &sfntypes.ExecutionDoesNotExist{Message: aws.String("no execution")}
	}
	events := slices.Clone(e.events)
	if f.moto {
		return &sfn.GetExecutionHistoryOutput{Events: events}, nil
	}
	if in.ReverseOrder {
		slices.Reverse(events)
	}
	from, _ := strconv.Atoi(aws.ToString(in.NextToken))
	size := int(in.MaxResults)
	if size <= 0 || size > 1000 {
		size = 1000
	}
	out := &sfn.GetExecutionHistoryOutput{Events: events[from:min(from+size, len(events))]}
	if from+size < len(events) {
		out.NextToken = aws.String(strconv.Itoa(from + size))
	}
	return out, nil
}

func (f *stepFunctions) SendTaskSuccess(_ context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	f.calls["SendTaskSuccess"]++
	if f.expired[aws.ToString(in.TaskToken)] {
		return nil, &sfntypes.TaskTimedOut{Message: aws.String("Task Timed Out")}
	}
	f.sent = append(f.sent, in)
	return &sfn.SendTaskSuccessOutput{}, nil
}

// history writes an execution's events as Step Functions records them, one at a time, a millisecond apart.
type history struct {
	e  *execution
	at time.Time
}

func (h *history) add(e sfntypes.HistoryEvent) {
	h.at = h.at.Add(time.Millisecond)
	e.Id, e.Timestamp = int64(len(h.e.events)+1), aws.Time(h.at)
	h.e.events = append(h.e.events, e)
}

// enter records a state entered with its input document; a Task state's kind of task follows with scheduled.
func (h *history) enter(name string, typ sfntypes.HistoryEventType, input string) {
	h.add(sfntypes.HistoryEvent{Type: typ, StateEnteredEventDetails: &sfntypes.StateEnteredEventDetails{Name: aws.String(name), Input: aws.String(input)}})
}

// scheduled records a task scheduled: resource is e.g. "lambda invoke createstack" (the function last) or
// "dynamodb putItem".
func (h *history) scheduled(resource string) {
	parts := strings.Fields(resource)
	params := "{}"
	if len(parts) == 3 {
		params = `{"FunctionName":"arn:aws:lambda:us-east-1:123456789012:function:` + parts[2] + `","Payload":{}}`
	}
	h.add(sfntypes.HistoryEvent{Type: sfntypes.HistoryEventTypeTaskScheduled, TaskScheduledEventDetails: &sfntypes.TaskScheduledEventDetails{
		ResourceType: aws.String(parts[0]), Resource: aws.String(parts[1]), Region: aws.String("us-east-1"), Parameters: aws.String(params)}})
}

func (h *history) failed(name, cause string) {
	h.add(sfntypes.HistoryEvent{Type: sfntypes.HistoryEventTypeTaskFailed, TaskFailedEventDetails: &sfntypes.TaskFailedEventDetails{
		Error: aws.String(name), Cause: aws.String(cause), Resource: aws.String("invoke"), ResourceType: aws.String("lambda")}})
}

func (h *history) exit(name, output string) {
	h.add(sfntypes.HistoryEvent{Type: sfntypes.HistoryEventTypeTaskStateExited, StateExitedEventDetails: &sfntypes.StateExitedEventDetails{Name: aws.String(name), Output: aws.String(output)}})
}

// task records a Task state that ran once and succeeded, from input to output.
func (h *history) task(name, resource, input, output string) {
	h.enter(name, sfntypes.HistoryEventTypeTaskStateEntered, input)
	h.scheduled(resource)
	h.add(sfntypes.HistoryEvent{Type: sfntypes.HistoryEventTypeTaskSucceeded, TaskSucceededEventDetails: &sfntypes.TaskSucceededEventDetails{Output: aws.String("{}")}})
	h.exit(name, output)
}
