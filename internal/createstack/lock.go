package createstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// lock runs when the state machine's conditional put found the app locked. It fails fast, naming the holder, while
// the holder runs; it takes the lock over from a holder that is no longer running when that run changed no record or
// finished, or when this run is a reconcile; otherwise it refuses and says to reconcile. Taking over is a conditional
// update naming the old holder, so two runs never both win.
func (h *Handler) lock(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	app := s.App.Name
	item, err := h.d.Locks.Get(ctx, app)
	if err != nil {
		return s, err
	}
	if item == nil {
		// Released since the state machine tried: take it the way the state machine does.
		if err := h.d.Locks.Take(ctx, app, req.Execution, s.Input.Action); err != nil {
			return s, retryLost(err)
		}
		s.Lock = &deploy.LockInfo{TakenOver: true}
		return s, nil
	}
	if item.Execution == req.Execution {
		s.Lock = &deploy.LockInfo{Holder: item.Execution, Progress: item.Progress, Plan: item.Plan, TakenOver: true}
		if item.Progress.Free() {
			return s, nil // a retry of this operation after it took the lock
		}
		return s, h.takeFence(ctx, req.Execution, &s)
	}
	status, err := h.statusOf(ctx, item.Execution)
	if err != nil {
		return s, err
	}
	reconcile := s.Input.Action == deploy.ActionReconcile
	if reconcile && item.Execution != s.Input.Execution {
		// A reconcile acts only for the run the lock names: this one holds nothing (it finished, or another run
		// took the lock since). The lock is left to its holder.
		reason := fmt.Sprintf("the lock of app %s is held by %s (%s), not by %s", app, item.Execution, orGone(status), s.Input.Execution)
		if !running(status) {
			reason += ": reconcile that execution"
		}
		s.Lock = &deploy.LockInfo{Holder: item.Execution, Status: status, Progress: item.Progress}
		s.Reconcile = &deploy.Reconcile{Execution: s.Input.Execution, Skip: reason, Foreign: true}
		s.Finish(deploy.ResultReconciled)
		s.Notice = s.Describe("nothing to reconcile: " + reason)
		log.Info("reconcile: the lock is another run's", "holder", item.Execution, "holderStatus", orGone(status))
		return s, nil
	}
	if running(status) {
		return s, &deploy.LockHeldError{App: app, Holder: item.Execution}
	}
	if !reconcile && !item.Progress.Free() {
		return s, &deploy.ReconcileRequiredError{App: app, Holder: item.Execution, Status: orGone(status), Progress: item.Progress}
	}
	// A fresh start drops the old run's plan and progress: they mean nothing to this one.
	o := applock.Takeover{From: item.Execution, Execution: req.Execution, Action: s.Input.Action, Fresh: !reconcile}
	if err := h.d.Locks.TakeOver(ctx, app, o); err != nil {
		return s, retryLost(err)
	}
	s.Lock = &deploy.LockInfo{Holder: item.Execution, Status: status, Progress: item.Progress, Plan: item.Plan, TakenOver: true}
	if !item.Progress.Free() {
		// The stopped run may have a record change on its way to Route 53 (it got past "planned").
		if err := h.takeFence(ctx, req.Execution, &s); err != nil {
			return s, err
		}
	}
	log.Warn("lock taken over", "holder", item.Execution, "holderStatus", orGone(status), "progress", item.Progress)
	return s, nil
}

// retryLost makes a lock that changed hands while this run took it a RetryableError: the next try reads it again.
func retryLost(err error) error {
	if errors.Is(err, applock.ErrTaken) || errors.Is(err, applock.ErrChanged) {
		return &deploy.RetryableError{Op: "lock", Err: err}
	}
	return err
}

// takeFence claims the app's DNS fence right after this run took the lock over from a stopped one that had got past
// "planned" (so it may have a record change on its way to Route 53): from then on that batch is refused (see
// records.Fence). A run stopped earlier had written no record and had none under way.
func (h *Handler) takeFence(ctx context.Context, execution string, s *deploy.State) error {
	r, err := h.writers.Open(ctx, execution, s)
	if err != nil {
		return err
	}
	return r.TakeFence(ctx)
}

// statusOf returns an execution's status, or "" when it no longer exists.
func (h *Handler) statusOf(ctx context.Context, arn string) (string, error) {
	out, err := h.d.Executions.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	var missing *sfntypes.ExecutionDoesNotExist
	if errors.As(err, &missing) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("describe lock holder %s: %w", arn, err)
	}
	return string(out.Status), nil
}

// running reports whether an execution status holds the lock: running, or failed but redrivable.
func running(status string) bool {
	return status == string(sfntypes.ExecutionStatusRunning) || status == string(sfntypes.ExecutionStatusPendingRedrive)
}

func orGone(status string) string {
	if status == "" {
		return "gone"
	}
	return status
}
