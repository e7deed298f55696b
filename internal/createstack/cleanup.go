package createstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/traffic"
)

// cleanup runs after the watch: it deletes the stack that was idle before this deployment (two releases old) and
// the stacks earlier failed runs kept. The release is live and watched, so nothing here fails the run: what could
// not be deleted becomes a warning that says what is left.
func (h *Handler) cleanup(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	if s.Plan == nil {
		return s, &deploy.InternalError{Err: fmt.Errorf("cleanup needs a plan")}
	}
	var ids []string
	if s.Plan.Retire != nil {
		ids = append(ids, s.Plan.Retire.StackID)
	}
	ids = append(ids, s.Plan.Kept...)
	r, _, err := h.writers.OpenCarried(ctx, req.Execution, &s)
	if err != nil {
		return s, err
	}
	for _, id := range ids {
		if err := h.remove(ctx, r, id, *s.Config.Strategy.PollSeconds); err != nil {
			s.Warn("clean-up: stack %s is left: %v", r.App().StackName(id), err)
			log.Warn("clean-up left a stack", "stack", r.App().StackName(id), "error", err.Error())
			continue
		}
		log.Info("stack deleted", "stack", r.App().StackName(id))
	}
	// The health checks no record refers to any more: the retired stack's, and the live stack's old ones when this
	// release turned failover off. Nothing restores the plan's records from here on.
	if deleted, err := r.SweepChecks(ctx); err != nil {
		s.Warn("clean-up: Route 53 health checks of app %s are left: %v", r.App().Name, err)
		log.Warn("clean-up left health checks", "error", err.Error())
	} else if len(deleted) > 0 {
		log.Info("health checks deleted", "ids", deleted)
	}
	s.Finish(deploy.ResultDeployed)
	s.Notice = s.DeployedNotice(warned(s.Warnings))
	return s, nil
}

// discard (the "delete" operation) deletes the stack a rolled-back run created, with its endpoint record — or keeps
// it for inspection when the app asks (the next deployment's clean-up removes it).
func (h *Handler) discard(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	s.Finish(deploy.ResultRolledBack)
	if s.Plan == nil || s.Plan.New == nil {
		s.Notice = s.RollbackNotice("")
		return s, nil
	}
	n := s.Plan.New
	if s.Config.KeepFailedStack {
		s.Warn("stack %s is kept for inspection; the next deployment's clean-up deletes it", n.Stack)
		log.Info("failed stack kept", "stack", n.Stack)
	} else {
		r, err := h.writers.Open(ctx, req.Execution, &s)
		if err != nil {
			return s, err
		}
		if err := h.remove(ctx, r, n.StackID, *s.Config.Strategy.PollSeconds); err != nil {
			return s, err
		}
		log.Info("failed stack deleted", "stack", n.Stack)
	}
	s.Notice = s.RollbackNotice(warned(s.Warnings))
	return s, nil
}

// remove deletes one stack: its endpoint record first (refused while the app's records still name the stack or
// route to it), then the stack itself (only a stack the deployer created), then its Route 53 health checks.
func (h *Handler) remove(ctx context.Context, r *traffic.Router, id string, poll int) error {
	st, err := r.Current(ctx, records.Facts{})
	if err != nil {
		return err
	}
	b, err := r.App().RemoveStack(st, id)
	var inUse *records.InUseError
	if errors.As(err, &inUse) {
		return &deploy.StackInUseError{Stack: r.App().StackName(id), Reason: inUse.Reason}
	}
	if err != nil {
		return err
	}
	if !b.Empty() {
		if _, err := r.Apply(ctx, b, poll); err != nil {
			return err
		}
	}
	if err := r.CheckLock(ctx); err != nil {
		return err
	}
	if err := h.d.Stacks.Delete(ctx, r.App().StackName(id)); err != nil {
		return err
	}
	// The stack's Route 53 health checks go after its records (no record refers to them now).
	_, err = r.SweepChecks(ctx, id)
	return err
}

func warned(ws []string) string {
	if len(ws) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d warning(s): %s)", len(ws), strings.Join(ws, "; "))
}
