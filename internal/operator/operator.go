// Package operator is what an operator does with the deployer, for the CLI and the demo: start a deployment, a
// rollback or a reconcile (the input validated before StartExecution), follow an execution as it runs (Follower),
// list an app's past executions (History), read an app's status (the state its records say, the traffic, the
// stacks and their versions, the lock, a pending approval, stacks no slot names), and answer an approval gate.
package operator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// sfnAPI lists the Step Functions calls an operator makes.
type sfnAPI interface {
	StartExecution(ctx context.Context, params *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	DescribeExecution(ctx context.Context, params *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	GetExecutionHistory(ctx context.Context, params *sfn.GetExecutionHistoryInput, optFns ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
	ListExecutions(ctx context.Context, params *sfn.ListExecutionsInput, optFns ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
	SendTaskSuccess(ctx context.Context, params *sfn.SendTaskSuccessInput, optFns ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
}

// lockReader reads an app's lock item.
type lockReader interface {
	Get(ctx context.Context, app string) (*applock.Item, error)
}

// paramAPI reads the apps' stored configurations.
type paramAPI interface {
	GetParameter(ctx context.Context, params *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

var (
	_ sfnAPI     = (*sfn.Client)(nil)
	_ lockReader = (*applock.Table)(nil)
	_ paramAPI   = (*ssm.Client)(nil)
)

// Operator talks to one deployer: its state machine, lock table and configuration parameters.
type Operator struct {
	SFN          sfnAPI
	Locks        lockReader
	Params       paramAPI
	StateMachine string // ARN
	ConfigPrefix string
	// Warn, when set, hears what a check could not do (the stored configuration unreadable here, say).
	Warn func(string)
	// Now is the clock executions are named by (nil: time.Now).
	Now func() time.Time
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// maxName is the longest execution name Step Functions accepts.
const maxName = 80

// ExecutionName is a readable, unique execution name for an input: app, action, version and the time. It begins
// with the app's name and a hyphen (History finds an app's executions by that prefix; app names have no hyphen), so
// a long version is shortened, never the app or the time.
func ExecutionName(in deploy.Input, now time.Time) string {
	app := in.App
	if app == "" {
		app = "app"
	}
	safe := func(s string) string { return strings.Trim(unsafeName.ReplaceAllString(s, "-"), "-") }
	head := safe(app) + "-" + string(in.ActionOrDefault()) + "-"
	tail := now.UTC().Format("20060102T150405.000")
	tail = safe(tail)
	version := safe(in.Version)
	if room := maxName - len(head) - len(tail) - 1; len(version) > room {
		version = strings.TrimRight(version[:max(room, 0)], "-")
	}
	parts := []string{strings.TrimSuffix(head, "-"), version, tail}
	return strings.Join(slices.DeleteFunc(parts, func(p string) bool { return p == "" }), "-")
}

// ExecutionARN is the ARN of an execution of the operator's state machine named by its ARN or its name.
func (o *Operator) ExecutionARN(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		return ref
	}
	return strings.Replace(o.StateMachine, ":stateMachine:", ":execution:", 1) + ":" + ref
}

// Start validates an execution input and starts it under ExecutionName, so the console lists runs readably. A
// malformed input never reaches StartExecution. A reconcile, whose input need not name its app, is named after the
// app of the execution it reconciles, so that the app's history lists it.
func (o *Operator) Start(ctx context.Context, in deploy.Input) (string, error) {
	named := in
	if named.App == "" && named.Action == deploy.ActionReconcile {
		if r, err := o.Execution(ctx, in.Execution); err == nil && r.Input != nil {
			named.App = r.Input.App
		}
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	return o.StartNamed(ctx, ExecutionName(named, now()), in)
}

// StartNamed is Start with the execution's name given.
func (o *Operator) StartNamed(ctx context.Context, name string, in deploy.Input) (string, error) {
	if len(in.Config) > 0 && !json.Valid(in.Config) {
		return "", &deploy.ValidationError{Problems: []string{"config is not valid JSON"}}
	}
	body, err := json.Marshal(in)
	if err != nil {
		return "", err
	}
	if _, err := o.Check(ctx, body, nil); err != nil {
		return "", err
	}
	out, err := o.SFN.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(o.StateMachine), Name: aws.String(name), Input: aws.String(string(body)),
	})
	if err != nil {
		return "", fmt.Errorf("start %s of app %s: %w", in.ActionOrDefault(), in.App, err)
	}
	return aws.ToString(out.ExecutionArn), nil
}

// Step is one state an execution entered, with how it left it.
type Step struct {
	Name   string
	Failed bool
	Error  string
	Cause  string
}

// Result is where an execution stands.
type Result struct {
	ARN, Name string
	Status    string // RUNNING, SUCCEEDED, FAILED, ABORTED, TIMED_OUT
	Error     string
	Cause     string
	// Input is the execution's input as Prepare reads it (a trigger's event made into version, artifact and
	// source); nil when it does not decode.
	Input            *deploy.Input
	Output           *deploy.State
	Started, Stopped time.Time // Stopped is zero while it runs
	Path             []Step
}

// Running reports whether the execution is still running.
func (r Result) Running() bool { return r.Status == string(sfntypes.ExecutionStatusRunning) }

// Describe returns an execution's status and output, and its path (every state entered, in order).
func (o *Operator) Describe(ctx context.Context, arn string) (Result, error) {
	r, err := o.Execution(ctx, arn)
	if err != nil {
		return r, err
	}
	r.Path, err = o.Path(ctx, arn)
	return r, err
}

// Execution returns an execution's status, input and output, without its path: one DescribeExecution, however
// long its history.
func (o *Operator) Execution(ctx context.Context, arn string) (Result, error) {
	d, err := o.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		return Result{}, fmt.Errorf("describe %s: %w", arn, err)
	}
	r := Result{
		ARN: aws.ToString(d.ExecutionArn), Name: aws.ToString(d.Name), Status: string(d.Status),
		Error: aws.ToString(d.Error), Cause: aws.ToString(d.Cause), Started: aws.ToTime(d.StartDate), Stopped: aws.ToTime(d.StopDate),
	}
	if r.ARN == "" {
		r.ARN = arn
	}
	if d.Input != nil {
		r.Input = inputOf([]byte(*d.Input))
	}
	if d.Output != nil {
		var s deploy.State
		if json.Unmarshal([]byte(*d.Output), &s) == nil {
			r.Output = &s
		}
	}
	return r, nil
}

// inputOf reads an execution's input as Prepare does, or, when Prepare would refuse it, as plain JSON (an operator
// still wants to see what a refused run was given); nil when it is not JSON of an input.
func inputOf(raw []byte) *deploy.Input {
	if in, err := deploy.CheckInput(raw); err == nil {
		return &in
	}
	var in deploy.Input
	if json.Unmarshal(raw, &in) != nil {
		return nil
	}
	return &in
}

// Path returns the states an execution entered, in order, marking the tasks that failed.
func (o *Operator) Path(ctx context.Context, arn string) ([]Step, error) {
	var steps []Step
	p := sfn.NewGetExecutionHistoryPaginator(o.SFN, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", arn, err)
		}
		for _, e := range page.Events {
			switch {
			case e.StateEnteredEventDetails != nil:
				steps = append(steps, Step{Name: aws.ToString(e.StateEnteredEventDetails.Name)})
			case e.TaskFailedEventDetails != nil && len(steps) > 0:
				last := &steps[len(steps)-1]
				last.Failed, last.Error, last.Cause = true, aws.ToString(e.TaskFailedEventDetails.Error), aws.ToString(e.TaskFailedEventDetails.Cause)
			case e.LambdaFunctionFailedEventDetails != nil && len(steps) > 0:
				last := &steps[len(steps)-1]
				last.Failed, last.Error, last.Cause = true, aws.ToString(e.LambdaFunctionFailedEventDetails.Error), aws.ToString(e.LambdaFunctionFailedEventDetails.Cause)
			}
		}
	}
	return steps, nil
}

// Names returns the names of the states on a path.
func Names(path []Step) []string {
	out := make([]string, len(path))
	for i, s := range path {
		out[i] = s.Name
	}
	return out
}

// Wait polls an execution until it is no longer running, calling progress with each state it enters (nil to stay
// quiet). Without progress it reads only the execution's status while it runs, and its path once, at the end.
func (o *Operator) Wait(ctx context.Context, arn string, every time.Duration, progress func(Step)) (Result, error) {
	seen := 0
	for {
		r, err := o.Execution(ctx, arn)
		if err != nil {
			return r, err
		}
		done := !r.Running()
		if progress != nil || done {
			if r.Path, err = o.Path(ctx, arn); err != nil {
				return r, err
			}
		}
		if progress != nil {
			for ; seen < len(r.Path); seen++ {
				progress(r.Path[seen])
			}
		}
		if done {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return r, fmt.Errorf("wait for %s: %w", arn, ctx.Err())
		case <-time.After(every):
		}
	}
}

// Lock reads an app's lock; nil when the app is not locked.
func (o *Operator) Lock(ctx context.Context, app string) (*applock.Item, error) {
	return o.Locks.Get(ctx, app)
}

// ErrNoApproval says an app has no approval gate waiting.
var ErrNoApproval = errors.New("no approval is waiting")

// Decide answers the approval gate an app's deployment waits at: promote, promote-full or abort.
func (o *Operator) Decide(ctx context.Context, app string, a deploy.Approval) error {
	if err := a.Validate(); err != nil {
		return err
	}
	l, err := o.Lock(ctx, app)
	if err != nil {
		return err
	}
	if l == nil || l.Approval == nil {
		return fmt.Errorf("app %s: %w", app, ErrNoApproval)
	}
	body, _ := json.Marshal(a)
	_, err = o.SFN.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(l.Approval.Token), Output: aws.String(string(body))})
	var gone *sfntypes.TaskTimedOut
	var invalid *sfntypes.InvalidToken
	if errors.As(err, &gone) || errors.As(err, &invalid) {
		return fmt.Errorf("app %s: the approval gate at %d%% is no longer waiting (%v): %w", app, l.Approval.Step, err, ErrNoApproval)
	}
	if err != nil {
		return fmt.Errorf("answer the approval gate of app %s: %w", app, err)
	}
	return nil
}

// Check reads an execution input exactly as Prepare does (deploy.CheckInput) and, for an input that names its app,
// makes the app's configuration as Prepare does (deploy.ResolveConfig) from stored, or from the app's stored
// configuration in SSM when stored is nil. When SSM cannot be read here, the configuration is left to Prepare and
// Warn hears so; an app without a stored configuration is refused as Prepare refuses it. It returns the input as
// Prepare reads it and, when made, the configuration.
func (o *Operator) Check(ctx context.Context, raw, stored []byte) (Checked, error) {
	in, err := deploy.CheckInput(raw)
	if err != nil {
		return Checked{}, err
	}
	c := Checked{Input: in}
	if in.App == "" || in.Action == deploy.ActionReconcile {
		return c, nil // a reconcile takes the stopped run's configuration, which only Prepare can read
	}
	if stored == nil {
		name := o.ConfigPrefix + in.App
		out, err := o.Params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		var notFound *ssmtypes.ParameterNotFound
		switch {
		case errors.As(err, &notFound):
			return Checked{}, &deploy.ValidationError{Problems: []string{fmt.Sprintf("app %s has no stored configuration (SSM parameter %s): add it to the deployer's apps", in.App, name)}}
		case err != nil:
			if o.Warn != nil {
				o.Warn(fmt.Sprintf("the stored configuration of app %s could not be read (%v): only the input was checked", in.App, err))
			}
			return c, nil
		}
		stored = []byte(aws.ToString(out.Parameter.Value))
	}
	cfg, err := deploy.ResolveConfig(in.App, stored, in.Config)
	if err != nil {
		return Checked{}, err
	}
	c.Config = &cfg
	return c, nil
}

// Checked is an execution input as Prepare reads it and, when it could be made, the app's configuration.
type Checked struct {
	Input  deploy.Input
	Config *deploy.Config
}

// Config reads an app's stored configuration, resolved.
func (o *Operator) Config(ctx context.Context, app string) (deploy.Config, error) {
	out, err := o.Params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(o.ConfigPrefix + app)})
	if err != nil {
		return deploy.Config{}, fmt.Errorf("read the configuration of app %s: %w", app, err)
	}
	cfg, err := deploy.DecodeConfig([]byte(aws.ToString(out.Parameter.Value)))
	if err != nil {
		return deploy.Config{}, err
	}
	cfg.Resolve()
	return cfg, nil
}
