package operator_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// seen is what a test compares of an update.
type seen struct {
	State    string
	Waiting  bool                    `json:",omitempty"`
	Weights  map[records.Color]int64 `json:",omitempty"`
	Step     *deploy.Step            `json:",omitempty"`
	Verdict  string                  `json:",omitempty"`
	Approval string                  `json:",omitempty"`
	Failure  string                  `json:",omitempty"`
	Handled  string                  `json:",omitempty"`
	Retried  int                     `json:",omitempty"`
}

func seenOf(ups []operator.Update) []seen {
	var out []seen
	for _, u := range ups {
		s := seen{State: u.State, Waiting: u.Waiting, Weights: u.Weights, Step: u.Step, Retried: u.Retried}
		if u.Verdict != nil {
			s.Verdict = u.Verdict.Summary
		}
		if u.Approval != nil {
			s.Approval = u.Approval.Decision + " by " + u.Approval.By
		}
		if u.Failure != nil {
			s.Failure = u.Failure.Error
		}
		if u.Handled != nil {
			s.Handled = u.Handled.Error
		}
		out = append(out, s)
	}
	return out
}

// doc is a state document of app demoapp with the weights given (none: no weighted records) and edit applied.
func doc(t *testing.T, blue, green int64, edit func(*deploy.State)) string {
	t.Helper()
	s := deploy.State{
		Input:  deploy.Input{Action: deploy.ActionDeploy, App: "demoapp", Version: "v2"},
		App:    &records.App{Name: "demoapp", Zone: "example.com", Host: "demoapp.example.com"},
		Config: &deploy.Config{Strategy: deploy.Strategy{Steps: []int{10, 30}}},
	}
	if blue+green > 0 {
		var sets []r53types.ResourceRecordSet
		for c, w := range map[records.Color]int64{records.Blue: blue, records.Green: green} {
			sets = append(sets, r53types.ResourceRecordSet{Name: aws.String("demoapp.example.com."), Type: r53types.RRTypeA,
				SetIdentifier: aws.String("demoapp-" + string(c)), Weight: aws.Int64(w),
				AliasTarget: &r53types.AliasTarget{DNSName: aws.String("demoapp-" + map[records.Color]string{records.Blue: "111111", records.Green: "222222"}[c] + ".example.com."), HostedZoneId: aws.String("Z1")}})
		}
		s.Records, _ = json.Marshal(sets)
	}
	if edit != nil {
		edit(&s)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// release writes the history of a deployment that meets a held lock it may take over, waits for its stack, shifts
// (the first shift throttled once and retried), passes a health check, waits at an approval gate (stop: the
// history so far), is promoted, shifts again, passes a check, switches, passes a check of its watch, fails the
// next one and rolls back.
func release(t *testing.T, e *execution, stop bool) {
	h := &history{e: e, at: e.start}
	h.add(sfntypes.HistoryEvent{Type: sfntypes.HistoryEventTypeExecutionStarted, ExecutionStartedEventDetails: &sfntypes.ExecutionStartedEventDetails{Input: aws.String(e.input)}})
	d0 := doc(t, 0, 0, nil)
	h.task("Prepare", "lambda invoke", `{"raw":"{}"}`, d0)
	// The lock is held: the conditional put fails and the Catch discards the error (ResultPath null).
	h.enter("Lock", sfntypes.HistoryEventTypeTaskStateEntered, d0)
	h.scheduled("dynamodb putItem")
	h.failed("DynamoDB.ConditionalCheckFailedException", "The conditional request failed")
	h.exit("Lock", d0)
	h.task("TakeOverLock", "lambda invoke", d0, d0)
	d1 := doc(t, 100, 0, func(s *deploy.State) {
		s.Plan = &deploy.Plan{New: &deploy.Slot{Color: records.Green, StackID: "222222"}}
		s.Step = &deploy.Step{Index: -1, More: true}
	})
	h.task("Plan", "lambda invoke", d0, d1)
	for range 30 { // a stack that takes a while: one page of history is not enough on AWS
		h.enter("StackWait", sfntypes.HistoryEventTypeWaitStateEntered, d1)
		h.task("StackStatus", "lambda invoke", d1, d1)
	}
	d2 := doc(t, 90, 10, func(s *deploy.State) {
		s.Plan = &deploy.Plan{New: &deploy.Slot{Color: records.Green, StackID: "222222"}}
		s.Step = &deploy.Step{Index: 0, Percent: 10, More: true, Approval: true}
	})
	h.enter("Shift", sfntypes.HistoryEventTypeTaskStateEntered, d1)
	h.scheduled("lambda invoke")
	h.failed("Lambda.TooManyRequestsException", "Rate exceeded")
	h.scheduled("lambda invoke")
	h.exit("Shift", d2)
	verdict := &deploy.Verdict{Healthy: true, Summary: "healthy: 3 probes in a row succeeded", CheckedAt: "2026-12-01T10:00:01Z"}
	d3 := doc(t, 90, 10, func(s *deploy.State) {
		s.Step = &deploy.Step{Index: 0, Percent: 10, More: true, Approval: true}
		s.Verdict = verdict
	})
	h.task("StepHealth", "lambda invoke healthcheck", d2, d3)
	h.enter("Approval", sfntypes.HistoryEventTypeTaskStateEntered, d3)
	h.scheduled("lambda invoke.waitForTaskToken")
	if stop {
		return
	}
	d4 := doc(t, 90, 10, func(s *deploy.State) {
		s.Step = &deploy.Step{Index: 0, Percent: 10, More: true, Approval: true}
		s.Verdict, s.Approval = verdict, &deploy.Approval{Decision: deploy.DecisionPromote, By: "alice"}
	})
	h.add(sfntypes.HistoryEvent{Type: sfntypes.HistoryEventTypeTaskSucceeded, TaskSucceededEventDetails: &sfntypes.TaskSucceededEventDetails{Output: aws.String("{}")}})
	h.exit("Approval", d4)
	h.enter("Decision", sfntypes.HistoryEventTypeChoiceStateEntered, d4)
	d5 := doc(t, 70, 30, func(s *deploy.State) {
		s.Step = &deploy.Step{Index: 1, Percent: 30}
		s.Verdict, s.Approval = verdict, &deploy.Approval{Decision: deploy.DecisionPromote, By: "alice"}
	})
	h.task("Shift", "lambda invoke shiftweight", d4, d5)
	// A check that confirms the last verdict within the same second: the same verdict, still this check's.
	h.task("StepHealth", "lambda invoke healthcheck", d5, d5)
	d6 := doc(t, 0, 100, func(s *deploy.State) {
		s.Step, s.Switched, s.Verdict = &deploy.Step{Index: 1, Percent: 30}, true, verdict
	})
	h.task("Switch", "lambda invoke switch", d5, d6) // carries the verdict on: not a check
	d7 := doc(t, 0, 100, func(s *deploy.State) {
		s.Step, s.Switched, s.Verdict = &deploy.Step{Index: 1, Percent: 30}, true, verdict
		s.Watch = &deploy.Watch{Until: "2026-12-01T10:05:00Z", WaitSeconds: 60}
	})
	h.task("Watch", "lambda invoke healthcheck", d6, d7)
	// The next check fails: the Catch records the error in the document.
	d8 := doc(t, 0, 100, func(s *deploy.State) {
		s.Step, s.Switched, s.Verdict = &deploy.Step{Index: 1, Percent: 30}, true, verdict
		s.Error = &deploy.TaskError{Error: "HealthCheckError", Cause: "stack demoapp-222222 failed its health check"}
	})
	h.enter("Watch", sfntypes.HistoryEventTypeTaskStateEntered, d7)
	h.scheduled("lambda invoke healthcheck")
	h.failed("HealthCheckError", "stack demoapp-222222 failed its health check")
	h.exit("Watch", d8)
	h.task("Rollback", "lambda invoke rollback", d8, doc(t, 100, 0, nil))
	h.enter("RolledBack", sfntypes.HistoryEventTypeFailStateEntered, doc(t, 100, 0, nil))
	h.add(sfntypes.HistoryEvent{Type: sfntypes.HistoryEventTypeExecutionFailed, ExecutionFailedEventDetails: &sfntypes.ExecutionFailedEventDetails{Error: aws.String("HealthCheckError")}})
}

func TestFollower(t *testing.T) {
	untilGate := []seen{
		{State: "Prepare"},
		{State: "Lock", Handled: "DynamoDB.ConditionalCheckFailedException"}, // the takeover follows: not the run's failure
		{State: "TakeOverLock"},
		{State: "Plan", Weights: map[records.Color]int64{records.Blue: 100, records.Green: 0}},
	}
	for range 30 {
		untilGate = append(untilGate, seen{State: "StackStatus"})
	}
	untilGate = append(untilGate,
		seen{State: "Shift", Retried: 1, Step: &deploy.Step{Index: 0, Percent: 10, More: true, Approval: true}, Weights: map[records.Color]int64{records.Blue: 90, records.Green: 10}},
		seen{State: "StepHealth", Verdict: "healthy: 3 probes in a row succeeded"},
		seen{State: "Approval", Waiting: true},
	)
	afterGate := []seen{
		{State: "Approval", Approval: "promote by alice"},
		{State: "Shift", Step: &deploy.Step{Index: 1, Percent: 30}, Weights: map[records.Color]int64{records.Blue: 70, records.Green: 30}},
		{State: "StepHealth", Verdict: "healthy: 3 probes in a row succeeded"},
		{State: "Switch", Weights: map[records.Color]int64{records.Blue: 0, records.Green: 100}},
		{State: "Watch", Verdict: "healthy: 3 probes in a row succeeded"},
		{State: "Watch", Failure: "HealthCheckError"},
		{State: "Rollback", Weights: map[records.Color]int64{records.Blue: 100, records.Green: 0}},
	}
	for _, tt := range []struct {
		name string
		moto bool
		// wantCalls is how many GetExecutionHistory calls the read after the gate makes.
		wantCalls int
	}{
		{name: "AWS: newest first, a page at a time, stopping at the events seen", wantCalls: 1},
		{name: "moto: every event, oldest first", moto: true, wantCalls: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o, f := newOperator(locks{})
			f.moto = tt.moto
			e := &execution{name: "demoapp-deploy-v2-20261201T100000-000", status: "RUNNING", input: `{"app":"demoapp","version":"v2"}`,
				start: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
			f.executions = append(f.executions, e)
			release(t, e, true)
			fol := o.Follow(e.arn())
			ups, err := fol.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(seenOf(ups), untilGate); diff != "" {
				t.Errorf("updates until the gate (-got +want):\n%s", diff)
			}
			if state, _ := fol.Current(); state != "Approval" || fol.Ended() || !fol.Started().Equal(e.start.Add(time.Millisecond)) {
				t.Errorf("current %q, ended %v, started %v", state, fol.Ended(), fol.Started())
			}
			if ups, err := fol.Read(context.Background()); err != nil || len(ups) != 0 {
				t.Errorf("a read with nothing new = %v, %v", seenOf(ups), err)
			}
			// The gate is answered and the run goes on to its end; the history is written again from the start.
			e.events = nil
			release(t, e, false)
			before := f.calls["GetExecutionHistory"]
			ups, err = fol.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(seenOf(ups), afterGate); diff != "" {
				t.Errorf("updates after the gate (-got +want):\n%s", diff)
			}
			if n := f.calls["GetExecutionHistory"] - before; n != tt.wantCalls {
				t.Errorf("the read after the gate made %d GetExecutionHistory calls, want %d", n, tt.wantCalls)
			}
			if !fol.Ended() || fol.Doc() == nil {
				t.Errorf("ended %v, doc %v; want the end and the last document", fol.Ended(), fol.Doc())
			}
			if w := fol.Weights(); w[records.Blue] != 100 || w[records.Green] != 0 {
				t.Errorf("weights at the end %v, want blue 100", w)
			}
		})
	}
}
