package operator

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
)

// Update is one task state an execution went through, with what it changed, as an operator follows it.
type Update struct {
	At    time.Time
	State string
	// Waiting: the state waits for an operator's decision (an approval gate's task token). Such an update comes
	// when the wait begins; the state's own comes when it is answered.
	Waiting bool
	// Weights is each color's weight as the run's last accepted batch left them; set when this state changed them.
	Weights map[records.Color]int64
	// Step is the weight step this state applied (a shift).
	Step *deploy.Step
	// Verdict is the health check verdict this state made.
	Verdict *deploy.Verdict
	// Approval is the operator's decision this state received.
	Approval *deploy.Approval
	// Failure is a failure the run recorded in its state document: it changed the run's course (a rollback, a
	// refusal) or is a warning (a clean-up that left a stack).
	Failure *deploy.TaskError
	// Handled is a failure the state machine routed on without recording it, by design: the lock's conditional
	// put failing because another run holds the lock leads to the takeover. Not a failure of the run.
	Handled *deploy.TaskError
	// Retried counts this state's failures that the state machine retried (a throttle, a timeout): not failures of
	// the run either.
	Retried int
	// Doc is the state document after the state.
	Doc *deploy.State
}

// historyPage is how many events Follower asks for at a time.
const historyPage = 100

// Follower follows one execution: each Read returns the task states it went through since the last Read.
//
// It reads only events it has not seen: newest first (ReverseOrder), a page at a time, stopping at the first page
// that reaches an event it has seen, so that following a long execution costs a page a poll on AWS. moto ignores
// ReverseOrder and MaxResults and answers every event, oldest first: the same events, sorted and filtered by id.
type Follower struct {
	o       *Operator
	arn     string
	last    int64
	started time.Time
	ended   bool
	cur     *entered
	doc     *deploy.State
	weights map[records.Color]int64
	// judges are the functions seen making a health check verdict in this execution.
	judges map[string]bool
}

// entered is the state the execution is in.
type entered struct {
	name    string
	task    bool
	lambda  bool   // a task that calls a Lambda function
	fn      string // the function it calls
	at      time.Time
	input   string
	failure *deploy.TaskError
	retries int
}

// Follow starts following an execution.
func (o *Operator) Follow(arn string) *Follower {
	return &Follower{o: o, arn: arn}
}

// Read returns the task states the execution went through since the last Read, in order.
func (f *Follower) Read(ctx context.Context) ([]Update, error) {
	events, err := f.newEvents(ctx)
	if err != nil {
		return nil, err
	}
	var ups []Update
	for _, e := range events {
		ups = f.apply(e, ups)
		f.last = e.Id
	}
	return ups, nil
}

// Started is when the execution started (zero before the first Read).
func (f *Follower) Started() time.Time { return f.started }

// Ended reports whether the history read so far holds the execution's end.
func (f *Follower) Ended() bool { return f.ended }

// Current is the state the execution is in, and since when ("" before the first Read).
func (f *Follower) Current() (string, time.Time) {
	if f.cur == nil {
		return "", time.Time{}
	}
	return f.cur.name, f.cur.at
}

// Weights is each color's weight as the run's last accepted batch left them (nil before its first).
func (f *Follower) Weights() map[records.Color]int64 { return f.weights }

// Doc is the last state document seen: the input of the state the execution is in, or ended in.
func (f *Follower) Doc() *deploy.State { return f.doc }

// newEvents returns the events after the last one read, oldest first.
func (f *Follower) newEvents(ctx context.Context) ([]sfntypes.HistoryEvent, error) {
	var got []sfntypes.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(f.o.SFN, &sfn.GetExecutionHistoryInput{
		ExecutionArn: aws.String(f.arn), ReverseOrder: true, MaxResults: historyPage, IncludeExecutionData: aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", f.arn, err)
		}
		reached := false
		for _, e := range page.Events {
			if e.Id > f.last {
				got = append(got, e)
			} else {
				reached = true
			}
		}
		if reached {
			break
		}
	}
	slices.SortFunc(got, func(a, b sfntypes.HistoryEvent) int { return int(a.Id - b.Id) })
	return slices.CompactFunc(got, func(a, b sfntypes.HistoryEvent) bool { return a.Id == b.Id }), nil
}

// apply reads one event, appending the update it completes.
func (f *Follower) apply(e sfntypes.HistoryEvent, ups []Update) []Update {
	at := aws.ToTime(e.Timestamp)
	switch {
	case e.ExecutionStartedEventDetails != nil:
		f.started = at
	case e.StateEnteredEventDetails != nil:
		d := e.StateEnteredEventDetails
		f.cur = &entered{name: aws.ToString(d.Name), task: e.Type == sfntypes.HistoryEventTypeTaskStateEntered, at: at, input: aws.ToString(d.Input)}
		if doc := decodeDoc(f.cur.input); doc != nil {
			f.doc = doc
		}
	case e.TaskScheduledEventDetails != nil && f.cur != nil:
		if f.cur.failure != nil { // scheduled again: the failure was retried
			f.cur.retries++
			f.cur.failure = nil
		}
		f.cur.lambda = aws.ToString(e.TaskScheduledEventDetails.ResourceType) == "lambda"
		f.cur.fn = functionOf(aws.ToString(e.TaskScheduledEventDetails.Parameters))
		if strings.HasSuffix(aws.ToString(e.TaskScheduledEventDetails.Resource), ".waitForTaskToken") {
			ups = append(ups, Update{At: at, State: f.cur.name, Waiting: true, Doc: f.doc})
		}
	case e.TaskFailedEventDetails != nil && f.cur != nil:
		f.cur.failure = &deploy.TaskError{Error: aws.ToString(e.TaskFailedEventDetails.Error), Cause: aws.ToString(e.TaskFailedEventDetails.Cause)}
	case e.TaskTimedOutEventDetails != nil && f.cur != nil:
		f.cur.failure = &deploy.TaskError{Error: aws.ToString(e.TaskTimedOutEventDetails.Error), Cause: aws.ToString(e.TaskTimedOutEventDetails.Cause)}
	case e.LambdaFunctionFailedEventDetails != nil && f.cur != nil:
		f.cur.failure = &deploy.TaskError{Error: aws.ToString(e.LambdaFunctionFailedEventDetails.Error), Cause: aws.ToString(e.LambdaFunctionFailedEventDetails.Cause)}
	case e.StateExitedEventDetails != nil && f.cur != nil:
		out := aws.ToString(e.StateExitedEventDetails.Output)
		doc := decodeDoc(out)
		if f.cur.task {
			ups = append(ups, f.exited(at, out, doc))
		}
		if doc != nil {
			f.doc = doc
		}
	case e.ExecutionSucceededEventDetails != nil, e.ExecutionFailedEventDetails != nil, e.ExecutionAbortedEventDetails != nil,
		e.ExecutionTimedOutEventDetails != nil:
		f.ended = true
	}
	return ups
}

// exited is the update of the task state the execution left, with the document it left it with.
func (f *Follower) exited(at time.Time, out string, doc *deploy.State) Update {
	u := Update{At: at, State: f.cur.name, Retried: f.cur.retries, Doc: doc}
	if fail := f.cur.failure; fail != nil {
		// A Catch that records the error changes the document; one that discards it (ResultPath null: the state
		// machine routes on the error by design) leaves it as it came in.
		if sameJSON(f.cur.input, out) {
			u.Handled = fail
		} else {
			u.Failure = fail
		}
	}
	if doc == nil {
		return u
	}
	if w := weightsOf(doc); w != nil && !maps.Equal(w, f.weights) {
		u.Weights, f.weights = w, w
	}
	prev := f.doc
	if prev == nil {
		prev = &deploy.State{}
	}
	if s := doc.Step; s != nil && s.Index >= 0 && (prev.Step == nil || *prev.Step != *s) {
		u.Step = s
	}
	if v := doc.Verdict; v != nil && f.cur.lambda && f.cur.failure == nil && f.judged(v) {
		u.Verdict = v
	}
	if a := doc.Approval; a != nil && (prev.Approval == nil || *prev.Approval != *a) {
		u.Approval = a
	}
	return u
}

// judged reports whether the Lambda task the execution left made the verdict its output carries. A verdict that
// differs from the one the task was given is the task's; its function is then known to judge health, and every
// later call of it made the verdict it returns, even one identical to the last (two checks in the same second: a
// verdict's time has a resolution of seconds). Other tasks carry the last verdict on unchanged.
func (f *Follower) judged(v *deploy.Verdict) bool {
	var before []byte
	if in := decodeDoc(f.cur.input); in != nil && in.Verdict != nil {
		before, _ = json.Marshal(in.Verdict)
	}
	after, _ := json.Marshal(v)
	if string(after) != string(before) && f.cur.fn != "" {
		if f.judges == nil {
			f.judges = map[string]bool{}
		}
		f.judges[f.cur.fn] = true
	}
	return string(after) != string(before) || f.judges[f.cur.fn]
}

// functionOf is the function a Lambda task's parameters call ("" when they name none).
func functionOf(parameters string) string {
	var p struct{ FunctionName string }
	_ = json.Unmarshal([]byte(parameters), &p)
	return p.FunctionName
}

// decodeDoc reads a state document; nil when the text is not one (a state's input before Prepare is).
func decodeDoc(s string) *deploy.State {
	var doc deploy.State
	if s == "" || json.Unmarshal([]byte(s), &doc) != nil {
		return nil
	}
	return &doc
}

// weightsOf reads the weights the records in a state document give each color (package zone encodes them): both
// colors, 0 for one without a weighted record; nil when no color has one (no traffic is routed yet).
func weightsOf(doc *deploy.State) map[records.Color]int64 {
	if doc.App == nil || len(doc.Records) == 0 {
		return nil
	}
	var l zone.Listing
	if json.Unmarshal(doc.Records, &l) != nil {
		return nil
	}
	st := records.Read(*doc.App, l.Records, records.Facts{OtherRunning: true})
	if len(st.Weighted) == 0 {
		return nil
	}
	return map[records.Color]int64{records.Blue: st.Weight(records.Blue), records.Green: st.Weight(records.Green)}
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	return reflect.DeepEqual(x, y)
}
