// Package invoke dispatches a Lambda invocation to the operation it names, logs it with the execution, app, color
// and stack it concerns, and returns failures as the named error types the state machine routes on.
package invoke

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/awsenv"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// Op is one operation of a function: it returns the updated state document.
type Op func(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error)

// Function is one of the deployer's Lambdas: a name and its operations.
type Function struct {
	Name string
	Ops  map[string]Op
	Log  *slog.Logger
	// Writes names the operations that change records or stacks; before them, Guard (when set) must confirm that
	// the execution still holds the app's lock.
	Writes []string
	Guard  func(ctx context.Context, app, execution string) error
	// Reserve is the time an operation leaves before the invocation's deadline (DefaultReserve when 0): the
	// operation, its SDK calls and their retries included, runs under a deadline that much earlier, and an operation
	// cut short by it returns a RetryableError, which the state machine retries with backoff, rather than running
	// into the function's timeout.
	Reserve time.Duration
}

// DefaultReserve is the time an operation leaves before the invocation's deadline by default.
const DefaultReserve = 5 * time.Second

func (f *Function) reserve() time.Duration {
	if f.Reserve <= 0 {
		return DefaultReserve
	}
	return f.Reserve
}

// budget returns ctx with its deadline moved Reserve earlier (a context without a deadline is left alone).
func (f *Function) budget(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, dl.Add(-f.reserve()))
}

// Handle runs the operation a request names. Its signature is the one lambda.Start takes.
func (f *Function) Handle(ctx context.Context, req deploy.Request) (deploy.State, error) {
	log := f.logger(req)
	op, ok := f.Ops[req.Op]
	if !ok {
		err := &deploy.ValidationError{Problems: []string{fmt.Sprintf("function %s has no operation %q (it has %s)", f.Name, req.Op, f.opNames())}}
		log.Error("unknown operation", "errorType", "ValidationError", "error", err.Error())
		return deploy.State{}, err
	}
	start := time.Now()
	outer := ctx
	ctx, cancel := f.budget(ctx)
	defer cancel()
	if f.Guard != nil && req.State.App != nil && slices.Contains(f.Writes, req.Op) {
		app, execution := req.State.App.Name, req.Execution
		check := func(ctx context.Context) error { return f.Guard(ctx, app, execution) }
		if err := check(ctx); err != nil {
			named := deploy.Named(req.Op, err, awsenv.Transient)
			log.Error("refused to write", "errorType", typeName(named), "error", named.Error())
			return deploy.State{}, named
		}
		// An operation may write more than once, and wait in between (a change's INSYNC): each write checks again,
		// through the writers it is built with (traffic.Writers, the stack creator's guard).
	}
	state, err := op(ctx, &req, log)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && outer.Err() == nil {
		// Cut short by its own budget (throttled calls waiting in the SDK's retries, say): idempotent, so the
		// state machine tries again later.
		err = &deploy.RetryableError{Op: req.Op, Err: fmt.Errorf("out of time %v before the function's timeout: %w", f.reserve(), err)}
	}
	if err != nil {
		named := deploy.Named(req.Op, err, awsenv.Transient)
		log.Error("operation failed", "errorType", typeName(named), "error", named.Error(), "ms", time.Since(start).Milliseconds())
		return deploy.State{}, named
	}
	log.Info("operation done", "ms", time.Since(start).Milliseconds(), "result", state.Result)
	return state, nil
}

// logger returns a logger carrying what the request concerns. It never logs the task token.
func (f *Function) logger(req deploy.Request) *slog.Logger {
	log := f.Log
	if log == nil {
		log = slog.Default()
	}
	attrs := []any{"function", f.Name, "op", req.Op, "execution", req.Execution}
	s := req.State
	app := s.Input.App
	if s.App != nil {
		app = s.App.Name
	}
	attrs = append(attrs, "app", app)
	if s.Plan != nil {
		if c := s.Plan.Candidate(); c != nil {
			attrs = append(attrs, "color", string(c.Color), "stackId", c.StackID)
		}
	}
	return log.With(attrs...)
}

func (f *Function) opNames() string {
	names := make([]string, 0, len(f.Ops))
	for n := range f.Ops {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// typeName is the name the Lambda runtime reports for an error: its concrete type's name.
func typeName(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// Env is the functions' environment.
type Env struct {
	// ConfigPrefix is the SSM parameter name prefix of the apps' configurations (CONFIG_PARAMETER_PREFIX).
	ConfigPrefix string
	// LockTable is the lock table's name (LOCK_TABLE).
	LockTable string
	// LocalEndpoint is true when the SDK talks to a local emulator (AWS_ENDPOINT_URL set).
	LocalEndpoint bool
	// Topic is the notification topic's ARN (NOTIFICATION_TOPIC); approval gates announce themselves there.
	Topic string
	// LocalLoadBalancers is true when the local AWS serves the stacks' load balancers (EnvLocalLoadBalancers is
	// "true") and LocalEndpoint is: the health check then asks the local AWS where a load balancer's name and port
	// are served instead of DNS (package lbaddr). Never set on AWS.
	LocalLoadBalancers bool
}

// EnvLocalLoadBalancers is the environment variable the local AWS sets for its functions (see
// Env.LocalLoadBalancers).
const EnvLocalLoadBalancers = "BLUEGREEN_LOCAL_LB_ADDRESSES"

// DefaultConfigPrefix is where the infra stores each app's configuration.
const DefaultConfigPrefix = "/bluegreen/apps/"

// EnvFrom reads the environment through getenv (os.Getenv in the binaries).
func EnvFrom(getenv func(string) string) Env {
	e := Env{
		ConfigPrefix:  getenv("CONFIG_PARAMETER_PREFIX"),
		LockTable:     getenv("LOCK_TABLE"),
		LocalEndpoint: getenv("AWS_ENDPOINT_URL") != "",
		Topic:         getenv("NOTIFICATION_TOPIC"),
	}
	e.LocalLoadBalancers = e.LocalEndpoint && getenv(EnvLocalLoadBalancers) == "true"
	if e.ConfigPrefix == "" {
		e.ConfigPrefix = DefaultConfigPrefix
	}
	return e
}
