package deploy_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// errorName is the name the Lambda runtime reports for an error (aws-lambda-go's getErrorType).
func errorName(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

var errThrottled = errors.New("Throttling: Rate exceeded")

func transient(err error) bool { return errors.Is(err, errThrottled) }

func TestNamed(t *testing.T) {
	named := []error{
		&deploy.ValidationError{Problems: []string{"p"}},
		&deploy.StackFailedError{Stack: "demoapp-123456", Status: "CREATE_FAILED", Reason: "r"},
		&deploy.HealthCheckError{Stack: "demoapp-123456", Summary: "s"},
		&deploy.SplitInconclusiveError{Stack: "demoapp-123456", Percent: 10, Summary: "s"},
		&deploy.StateInconsistentError{App: "demoapp", Problems: []string{"p"}},
		&deploy.RecordConflictError{Name: "demoapp.example.com", Type: "A", Reason: "r"},
		&deploy.TargetMissingError{App: "demoapp", Color: "blue", Reason: "r"},
		&deploy.StackInUseError{Stack: "demoapp-123456", Reason: "r"},
		&deploy.LockHeldError{App: "demoapp", Holder: execARN},
		&deploy.ReconcileRequiredError{App: "demoapp", Holder: execARN, Status: "ABORTED", Progress: deploy.ProgressShifting},
		&deploy.LockLostError{App: "demoapp", Execution: execARN},
	}
	var names []string
	for _, err := range named {
		names = append(names, errorName(err))
		wrapped := fmt.Errorf("plan app demoapp: %w", fmt.Errorf("read: %w", err))
		got := deploy.Named("plan", wrapped, transient)
		if got != err {
			t.Errorf("Named(wrapped %s) = %v (%T), want the %s itself", errorName(err), got, got, errorName(err))
		}
	}
	names = append(names, "RetryableError", "InternalError")
	if diff := cmp.Diff(names, deploy.ErrorNames); diff != "" {
		t.Errorf("ErrorNames does not list every named type, in order (-types +ErrorNames):\n%s", diff)
	}

	tests := []struct {
		name     string
		err      error
		wantType string
		wantMsg  string
		wantIs   error
	}{
		{name: "transient", err: fmt.Errorf("list records: %w", errThrottled), wantType: "RetryableError",
			wantMsg: "shift: list records: Throttling: Rate exceeded", wantIs: errThrottled},
		{name: "retryable in the chain", err: fmt.Errorf("take the lock: %w", &deploy.RetryableError{Op: "lock", Err: errors.New("lost a race")}),
			wantType: "RetryableError", wantMsg: "shift: take the lock: lock: lost a race"},
		{name: "internal in the chain", err: fmt.Errorf("decode: %w", &deploy.InternalError{Err: errors.New("bad plan")}),
			wantType: "InternalError", wantMsg: "decode: bad plan"},
		{name: "anything else", err: errors.New("boom"), wantType: "InternalError", wantMsg: "shift: boom"},
		{name: "a bare string error", err: fmt.Errorf("zone example.com: %w", errors.New("no such change")), wantType: "InternalError",
			wantMsg: "shift: zone example.com: no such change"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := deploy.Named("shift", tt.err, transient)
			if errorName(got) != tt.wantType || got.Error() != tt.wantMsg {
				t.Errorf("Named = %s %q, want %s %q", errorName(got), got, tt.wantType, tt.wantMsg)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("Named(%v) lost its cause from the chain", tt.err)
			}
		})
	}
	if got := deploy.Named("x", nil, transient); got != nil {
		t.Errorf("Named(nil) = %v, want nil", got)
	}
	if got := deploy.Named("x", errThrottled, nil); errorName(got) != "InternalError" {
		t.Errorf("Named(throttled, no transient test) = %T, want InternalError", got)
	}
}

func TestErrorMessagesNameTheThing(t *testing.T) {
	tests := []struct {
		err  error
		want []string
	}{
		{&deploy.ValidationError{Problems: []string{"a", "b"}}, []string{"a; b"}},
		{&deploy.StackFailedError{Stack: "demoapp-123456", Status: "CREATE_FAILED", Reason: "quota"}, []string{"demoapp-123456", "CREATE_FAILED", "quota"}},
		{&deploy.TargetMissingError{App: "demoapp", Color: "blue", Reason: "the idle slot is empty"}, []string{"demoapp", "blue", "the idle slot is empty"}},
		{&deploy.TargetMissingError{App: "demoapp", Color: "blue", StackID: "819273", Reason: "gone"}, []string{"demoapp", "819273", "gone"}},
		{&deploy.LockHeldError{App: "demoapp", Holder: execARN}, []string{"demoapp", execARN}},
		{&deploy.ReconcileRequiredError{App: "demoapp", Holder: execARN, Status: "ABORTED", Progress: "shifting"}, []string{execARN, "ABORTED", "shifting", "reconcile"}},
		{&deploy.LockLostError{App: "demoapp", Execution: execARN}, []string{"held by nobody"}},
		{&deploy.RecordConflictError{Name: "demoapp.example.com", Type: "A", Reason: "in the way"}, []string{"demoapp.example.com A"}},
	}
	for _, tt := range tests {
		for _, w := range tt.want {
			if !strings.Contains(tt.err.Error(), w) {
				t.Errorf("%s %q does not contain %q", errorName(tt.err), tt.err, w)
			}
		}
	}
}

func TestFailureOf(t *testing.T) {
	tests := []struct {
		name string
		in   *deploy.TaskError
		want *deploy.TaskError
	}{
		{name: "none recorded", in: nil, want: &deploy.TaskError{Error: "Unknown", Cause: "no error was recorded"}},
		{name: "a Lambda's named error", in: &deploy.TaskError{Error: "HealthCheckError",
			Cause: `{"errorMessage":"stack demoapp-123456 failed its health check: 3 of 5 probes failed","errorType":"HealthCheckError"}`},
			want: &deploy.TaskError{Error: "HealthCheckError", Cause: "stack demoapp-123456 failed its health check: 3 of 5 probes failed"}},
		{name: "a States error loses its prefix", in: &deploy.TaskError{Error: "States.Timeout", Cause: "the approval gate timed out"},
			want: &deploy.TaskError{Error: "Timeout", Cause: "States.Timeout: the approval gate timed out"}},
		{name: "a pass state's error", in: &deploy.TaskError{Error: "ApprovalAborted", Cause: "an operator aborted the deployment"},
			want: &deploy.TaskError{Error: "ApprovalAborted", Cause: "an operator aborted the deployment"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(deploy.FailureOf(tt.in), tt.want); diff != "" {
				t.Errorf("FailureOf (-got +want):\n%s", diff)
			}
		})
	}
}

func TestCauseMessage(t *testing.T) {
	long := strings.Repeat("x", 400)
	tests := []struct {
		name, cause, want string
	}{
		{name: "plain", cause: "no such stack", want: "no such stack"},
		{name: "lambda JSON", cause: `{"errorType":"LockHeldError","errorMessage":"app demoapp is locked"}`, want: "app demoapp is locked"},
		{name: "lambda JSON with a stack trace", cause: `{"errorMessage":"boom\nat main.go:3","errorType":"InternalError","stackTrace":[]}`, want: "boom"},
		{name: "JSON without a message stays", cause: `{"errorType":"X"}`, want: `{"errorType":"X"}`},
		{name: "first line only", cause: "line one\nline two", want: "line one"},
		{name: "capped", cause: long, want: long[:300] + "…"},
		{name: "capped on a character boundary", cause: strings.Repeat("x", 299) + "é" + long, want: strings.Repeat("x", 299) + "…"},
		{name: "empty", cause: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := deploy.CauseMessage(tt.cause); got != tt.want {
				t.Errorf("CauseMessage(%q) = %q, want %q", tt.cause, got, tt.want)
			}
		})
	}
}

func TestStateDescribeAndReason(t *testing.T) {
	s := deploy.State{Input: deploy.Input{App: "demoapp", Version: "v2"}}
	if got, want := s.Describe("started"), "demoapp v2 (deploy): started"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	if got, want := s.Reason(), "no reason recorded"; got != want {
		t.Errorf("Reason = %q, want %q", got, want)
	}
	s = deploy.State{Input: deploy.Input{Action: deploy.ActionReconcile}, App: &records.App{Name: "demoapp"},
		Error: &deploy.TaskError{Error: "StackFailedError", Cause: `{"errorMessage":"stack demoapp-123456 is CREATE_FAILED: quota"}`}}
	if got, want := s.Describe("reconciled"), "demoapp (reconcile): reconciled"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	if got, want := s.Reason(), "StackFailedError: stack demoapp-123456 is CREATE_FAILED: quota"; got != want {
		t.Errorf("Reason = %q, want %q", got, want)
	}
}

func TestPlanRoundTrip(t *testing.T) {
	app := records.App{Name: "demoapp", Zone: "example.com"}
	plans := []*deploy.Plan{
		{Action: deploy.ActionDeploy, New: &deploy.Slot{Color: records.Blue, StackID: "123456", Stack: "demoapp-123456"}, Before: []records.Record{}},
		{
			Action: deploy.ActionDeploy,
			Live:   &deploy.Slot{Color: records.Blue, StackID: "819273", Stack: "demoapp-819273"},
			New:    &deploy.Slot{Color: records.Green, StackID: "123456", Stack: "demoapp-123456"},
			Retire: &deploy.Slot{Color: records.Green, StackID: "554433", Stack: "demoapp-554433"},
			Kept:   []string{"101010"},
			Before: []records.Record{
				records.TXT(app.SlotName(records.Blue), 60, "819273"),
				{Name: "demoapp.example.com", Type: "A", SetIdentifier: "demoapp-blue", Weight: records.Weight(100),
					Alias: &records.Alias{HostedZoneID: "Z0EXAMPLE12345", DNSName: "demoapp-819273.example.com"}},
			},
			Adopt: &records.Record{Name: "demoapp.example.com", Type: "CNAME", TTL: 300, Values: []string{"legacy.example.net"}},
		},
		{Action: deploy.ActionRollback, Live: &deploy.Slot{Color: records.Green, StackID: "123456", Stack: "demoapp-123456"},
			Target: &deploy.Slot{Color: records.Blue, StackID: "819273", Stack: "demoapp-819273"}, Before: []records.Record{}},
	}
	for _, p := range plans {
		got, err := deploy.DecodePlan(p.Encode())
		if err != nil {
			t.Fatalf("DecodePlan(%s): %v", p.Encode(), err)
		}
		if diff := cmp.Diff(got, p); diff != "" {
			t.Errorf("plan changed in a round trip (-got +want):\n%s", diff)
		}
	}
	for _, bad := range []string{``, `{"action":"deploy",`, `{"action":"deploy"} {}`, `[]`} {
		if _, err := deploy.DecodePlan(bad); err == nil {
			t.Errorf("DecodePlan(%q) = nil error, want one", bad)
		}
	}
	// A plan stored by another version of the deployer still decodes: unknown fields are ignored.
	if p, err := deploy.DecodePlan(`{"action":"deploy","before":[],"futureField":1}`); err != nil || p.Action != deploy.ActionDeploy {
		t.Errorf("DecodePlan with an unknown field = %+v, %v; want the plan", p, err)
	}
}

func TestPlanCandidate(t *testing.T) {
	n, tg := &deploy.Slot{StackID: "123456"}, &deploy.Slot{StackID: "819273"}
	if got := (&deploy.Plan{New: n}).Candidate(); got != n {
		t.Errorf("a deployment's candidate = %v, want its new stack", got)
	}
	if got := (&deploy.Plan{Live: n, Target: tg}).Candidate(); got != tg {
		t.Errorf("a rollback's candidate = %v, want its target", got)
	}
}

func TestProgressFree(t *testing.T) {
	// "created" is not free: a run stopped while publishing its stack still says "created".
	free := []deploy.Progress{deploy.ProgressLocked, deploy.ProgressPlanned, deploy.ProgressDone, deploy.ProgressRolledBack}
	for _, p := range append(slices.Clone(deploy.Progresses), "", "unknown") {
		if got, want := p.Free(), slices.Contains(free, p); got != want {
			t.Errorf("Progress(%q).Free() = %v, want %v", p, got, want)
		}
	}
	if len(deploy.Progresses) != 11 {
		t.Errorf("Progresses lists %d values, want 11: %v", len(deploy.Progresses), deploy.Progresses)
	}
}
