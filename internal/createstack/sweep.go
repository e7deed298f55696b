package createstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/triggers"
)

// stateMachineARNRE is a state machine's ARN.
var stateMachineARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]{1,80}$`)

// SweepSource is the source of the reconciles a sweep starts (deploy.Input.Source).
const SweepSource = "sweep"

// sweep is the sweeper's one task: for every lock held by an execution of the deployer's state machine that was
// aborted or timed out — the runs the status-change rule reconciles, when their event arrives — it starts that run's
// reconcile, named triggers.ReconcileName(app, run), once: a second sweep (or the status-change rule's, racing the
// schedule's) finds the name taken and starts nothing. It leaves a lock whose holder runs, finished (the next run
// takes it over), failed (a dirty failure is an operator's to reconcile), is gone, is another state machine's, or is
// itself a reconcile (a stopped reconcile is an operator's: reconciles are recognised by their name, and by the
// action the lock records). With no lock to act on it writes nothing: one Scan of the lock table and one
// DescribeExecution per lock.
func (h *Handler) sweep(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	if s.Sweep == nil || !stateMachineARNRE.MatchString(s.Sweep.StateMachine) {
		return s, &deploy.ValidationError{Problems: []string{"a sweep needs sweep.stateMachine, the ARN of the deployer's state machine (the sweeper sets it)"}}
	}
	machine := s.Sweep.StateMachine
	locks, err := h.d.Locks.List(ctx)
	if err != nil {
		return s, err
	}
	slices.SortFunc(locks, func(a, b applock.Item) int { return strings.Compare(a.App, b.App) })
	sw := &deploy.Sweep{StateMachine: machine}
	started := 0
	for _, it := range locks {
		l := deploy.SweptLock{App: it.App, Holder: it.Execution, Progress: it.Progress, Action: it.Action}
		if err := h.sweepLock(ctx, machine, &l, log); err != nil {
			return s, err
		}
		if l.Started {
			started++
		}
		sw.Locks = append(sw.Locks, l)
	}
	s.Sweep = sw
	s.Result = deploy.ResultSwept
	s.Notice = fmt.Sprintf("sweep: %d lock(s), %d reconcile(s) started", len(sw.Locks), started)
	log.Info("swept", "locks", len(sw.Locks), "started", started)
	return s, nil
}

// sweepLock decides what to do with one lock, and starts its holder's reconcile when that is what it needs.
func (h *Handler) sweepLock(ctx context.Context, machine string, l *deploy.SweptLock, log *slog.Logger) error {
	if l.Holder == "" {
		l.Left = "the lock names no execution"
		return nil
	}
	if !strings.HasPrefix(l.Holder, executionPrefix(machine)) {
		l.Left = "its holder is not an execution of " + machine
		return nil
	}
	status, err := h.statusOf(ctx, l.Holder)
	if err != nil {
		return err
	}
	l.Status = status
	switch {
	case running(status):
		l.Left = "its holder is " + status
		return nil
	case status == "":
		l.Left = "its holder no longer exists: reconcile it by hand, naming the app"
		return nil
	case status != string(sfntypes.ExecutionStatusAborted) && status != string(sfntypes.ExecutionStatusTimedOut):
		l.Left = "its holder ended " + status + ": the next run takes over a finished run's lock, and a dirty failure is an operator's to reconcile"
		return nil
	case l.Action == deploy.ActionReconcile || triggers.IsReconcile(triggers.ExecutionName(l.Holder)):
		l.Left = "its holder is a reconcile that stopped: an operator reconciles it"
		return nil
	}
	name := triggers.ReconcileName(l.App, l.Holder)
	input, err := json.Marshal(deploy.Input{Action: deploy.ActionReconcile, Execution: l.Holder, Source: SweepSource})
	if err != nil {
		return err
	}
	out, err := h.d.Executions.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machine), Name: aws.String(name), Input: aws.String(string(input)),
	})
	var exists *sfntypes.ExecutionAlreadyExists
	switch {
	case err == nil:
		l.Reconcile, l.Started = aws.ToString(out.ExecutionArn), true
		log.Warn("reconcile started", "app", l.App, "holder", l.Holder, "holderStatus", status, "progress", l.Progress, "reconcile", l.Reconcile)
		return nil
	case !errors.As(err, &exists):
		return fmt.Errorf("start the reconcile of %s (app %s): %w", l.Holder, l.App, err)
	}
	// An earlier sweep started it (Step Functions answers a second start of a running execution with the same name and
	// input with the first one's ARN, and refuses any other with ExecutionAlreadyExists).
	l.Reconcile = executionPrefix(machine) + name
	rec, err := h.statusOf(ctx, l.Reconcile)
	if err != nil {
		return err
	}
	if running(rec) {
		l.Left = "its reconcile is under way"
	} else {
		l.Left = "its reconcile ended " + orGone(rec) + " without taking the lock over: reconcile it by hand"
	}
	return nil
}

// executionPrefix is what the ARNs of a state machine's executions begin with:
// arn:<partition>:states:<region>:<account>:execution:<name>:.
func executionPrefix(machine string) string {
	return strings.Replace(machine, ":stateMachine:", ":execution:", 1) + ":"
}
