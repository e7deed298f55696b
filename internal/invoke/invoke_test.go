package invoke_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

const execARN = "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-deploy-v2"

// errorType is the name the Lambda runtime reports for a returned error (aws-lambda-go's getErrorType).
func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// recorder is a function whose ops and guard record their calls.
type recorder struct {
	ops    []string
	guards []string
	guard  error
	fail   map[string]error
	logs   bytes.Buffer
}

func (r *recorder) function() *invoke.Function {
	op := func(name string) invoke.Op {
		return func(_ context.Context, req *deploy.Request, _ *slog.Logger) (deploy.State, error) {
			r.ops = append(r.ops, name)
			if err := r.fail[name]; err != nil {
				return req.State, err
			}
			s := req.State
			s.Result = name + " done"
			return s, nil
		}
	}
	return &invoke.Function{
		Name:   "shiftweight",
		Ops:    map[string]invoke.Op{"shift": op("shift"), "sync": op("sync"), "approval": op("approval")},
		Writes: []string{"shift"},
		Guard: func(_ context.Context, app, execution string) error {
			r.guards = append(r.guards, app+" "+execution)
			return r.guard
		},
		Log: slog.New(slog.NewJSONHandler(&r.logs, nil)),
	}
}

func request(op string, app bool) deploy.Request {
	req := deploy.Request{Op: op, Execution: execARN, State: deploy.State{Input: deploy.Input{App: "demoapp", Version: "v2"}}}
	if app {
		req.State.App = &records.App{Name: "demoapp", Zone: "example.com"}
		req.State.Plan = &deploy.Plan{New: &deploy.Slot{Color: records.Green, StackID: "123456", Stack: "demoapp-123456"}}
	}
	return req
}

func TestHandleUnknownOp(t *testing.T) {
	r := &recorder{}
	_, err := r.function().Handle(context.Background(), request("shfit", true))
	var v *deploy.ValidationError
	if !errors.As(err, &v) || errorType(err) != "ValidationError" {
		t.Fatalf("Handle(unknown op) = %v (%T), want a *ValidationError", err, err)
	}
	for _, want := range []string{"shiftweight", `"shfit"`, "approval, shift, sync"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if len(r.ops)+len(r.guards) != 0 {
		t.Errorf("ops %v and guards %v ran for an unknown op", r.ops, r.guards)
	}
}

func TestHandleNamesErrors(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	inconsistent := &deploy.StateInconsistentError{App: "demoapp", Problems: []string{"p"}}
	boom := errors.New("boom")
	tests := []struct {
		name     string
		err      error
		cause    error // what the returned error is or wraps
		wantType string
		wantMsg  string
	}{
		{name: "named in a chain", err: fmt.Errorf("plan: %w", inconsistent), cause: inconsistent,
			wantType: "StateInconsistentError", wantMsg: "records of app demoapp are inconsistent: p"},
		{name: "throttling", err: fmt.Errorf("list records: %w", throttled), cause: throttled, wantType: "RetryableError", wantMsg: "shift: list records"},
		{name: "bare error", err: boom, cause: boom, wantType: "InternalError", wantMsg: "shift: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{fail: map[string]error{"shift": tt.err}}
			got, err := r.function().Handle(context.Background(), request("shift", true))
			if errorType(err) != tt.wantType || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Handle = %s %q, want %s containing %q", errorType(err), err, tt.wantType, tt.wantMsg)
			}
			if !errors.Is(err, tt.cause) {
				t.Errorf("the named error %v lost its cause %v", err, tt.cause)
			}
			if diff := cmp.Diff(got, deploy.State{}); diff != "" {
				t.Errorf("a failed op returned a state:\n%s", diff)
			}
			if !strings.Contains(r.logs.String(), `"errorType":"`+tt.wantType+`"`) {
				t.Errorf("the failure is not logged with its error type:\n%s", r.logs.String())
			}
		})
	}
}

func TestHandleGuardsWrites(t *testing.T) {
	lost := &deploy.LockLostError{App: "demoapp", Execution: execARN, Holder: "arn:other"}
	tests := []struct {
		name       string
		op         string
		app        bool
		guard      error
		wantGuards []string
		wantOps    []string
		wantType   string
	}{
		{name: "a write with an app", op: "shift", app: true, wantGuards: []string{"demoapp " + execARN}, wantOps: []string{"shift"}},
		{name: "a read", op: "sync", app: true, wantOps: []string{"sync"}},
		{name: "not a write: the token's op", op: "approval", app: true, wantOps: []string{"approval"}},
		{name: "a write before prepare set the app", op: "shift", app: false, wantOps: []string{"shift"}},
		{name: "the lock is lost", op: "shift", app: true, guard: lost, wantGuards: []string{"demoapp " + execARN}, wantType: "LockLostError"},
		{name: "the guard cannot read the lock", op: "shift", app: true, guard: errors.New("dynamodb down"),
			wantGuards: []string{"demoapp " + execARN}, wantType: "InternalError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{guard: tt.guard}
			got, err := r.function().Handle(context.Background(), request(tt.op, tt.app))
			if diff := cmp.Diff(r.guards, tt.wantGuards); diff != "" {
				t.Errorf("guard calls (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(r.ops, tt.wantOps); diff != "" {
				t.Errorf("op calls (-got +want):\n%s", diff)
			}
			if tt.wantType != "" {
				if errorType(err) != tt.wantType {
					t.Errorf("Handle = %v (%T), want %s", err, err, tt.wantType)
				}
				return
			}
			if err != nil || got.Result != tt.op+" done" {
				t.Errorf("Handle = %+v, %v; want the op's state", got.Result, err)
			}
		})
	}
}

func TestHandleLogsWhatTheRequestConcernsButNoToken(t *testing.T) {
	r := &recorder{}
	req := request("approval", true)
	req.Token = "AQCEAAAAKgAAAAMAAAAAAAAAAsecret-task-token"
	if _, err := r.function().Handle(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.logs.String(), "secret-task-token") {
		t.Errorf("the task token was logged:\n%s", r.logs.String())
	}
	var line map[string]any
	if err := json.Unmarshal(bytes.SplitN(r.logs.Bytes(), []byte("\n"), 2)[0], &line); err != nil {
		t.Fatalf("log line: %v\n%s", err, r.logs.String())
	}
	want := map[string]any{"function": "shiftweight", "op": "approval", "execution": execARN, "app": "demoapp", "color": "green", "stackId": "123456"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("log attribute %s = %v, want %v", k, line[k], v)
		}
	}
}

func TestEnvFrom(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want invoke.Env
	}{
		{env: map[string]string{}, want: invoke.Env{ConfigPrefix: invoke.DefaultConfigPrefix}},
		{env: map[string]string{"CONFIG_PARAMETER_PREFIX": "/x/", "LOCK_TABLE": "locks", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"},
			want: invoke.Env{ConfigPrefix: "/x/", LockTable: "locks", LocalEndpoint: true}},
		{env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", invoke.EnvLocalLoadBalancers: "true"},
			want: invoke.Env{ConfigPrefix: invoke.DefaultConfigPrefix, LocalEndpoint: true, LocalLoadBalancers: true}},
		// Without the local endpoint the local load balancers are never used, whatever the environment says.
		{env: map[string]string{invoke.EnvLocalLoadBalancers: "true"}, want: invoke.Env{ConfigPrefix: invoke.DefaultConfigPrefix}},
	}
	for _, tt := range tests {
		got := invoke.EnvFrom(func(k string) string { return tt.env[k] })
		if diff := cmp.Diff(got, tt.want); diff != "" {
			t.Errorf("EnvFrom(%v) (-got +want):\n%s", tt.env, diff)
		}
	}
}

// An operation runs under a deadline Reserve before the invocation's: cut short by it (SDK calls waiting in their
// retries), it returns a RetryableError the state machine retries, never the function's timeout; an error the
// operation decided (a lost lock) stays what it is.
func TestHandleBoundsTheOperationsTime(t *testing.T) {
	tests := []struct {
		name     string
		op       invoke.Op
		want     string
		wantLeft time.Duration // at least this much of the invocation's time is left when Handle returns
	}{
		{name: "waits until its budget is gone", want: "RetryableError", wantLeft: 100 * time.Millisecond,
			op: func(ctx context.Context, req *deploy.Request, _ *slog.Logger) (deploy.State, error) {
				<-ctx.Done()
				return req.State, fmt.Errorf("change records: operation error Route 53: %w", ctx.Err())
			}},
		{name: "decides at its budget", want: "LockLostError", wantLeft: 100 * time.Millisecond,
			op: func(ctx context.Context, req *deploy.Request, _ *slog.Logger) (deploy.State, error) {
				<-ctx.Done()
				return req.State, &deploy.LockLostError{App: "demoapp", Execution: execARN}
			}},
		{name: "a plain failure in time", want: "InternalError", wantLeft: 150 * time.Millisecond,
			op: func(_ context.Context, req *deploy.Request, _ *slog.Logger) (deploy.State, error) {
				return req.State, errors.New("boom")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &invoke.Function{Name: "switch", Ops: map[string]invoke.Op{"switch": tt.op}, Reserve: 150 * time.Millisecond,
				Log: slog.New(slog.DiscardHandler)}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			dl, _ := ctx.Deadline()
			_, err := f.Handle(ctx, request("switch", true))
			if errorType(err) != tt.want {
				t.Fatalf("Handle = %v (%s), want a %s", err, errorType(err), tt.want)
			}
			if left := time.Until(dl); left < tt.wantLeft {
				t.Errorf("Handle returned %v before the invocation's deadline, want at least %v", left, tt.wantLeft)
			}
		})
	}
}
