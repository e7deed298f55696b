// Package switchover is the switch Lambda: it makes the new stack live by setting the weights to 100/0 and
// stack.active in ONE change batch, so traffic and the recorded state never disagree.
package switchover

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/traffic"
)

// lockTable checks that a run holds its app's lock and records, while it does, that it switched.
type lockTable interface {
	Held(ctx context.Context, app, execution string) error
	Record(ctx context.Context, app, execution string, m applock.Mark) error
}

var _ lockTable = (*applock.Table)(nil)

// Handler holds the function's dependencies.
type Handler struct {
	zones traffic.Writers
	locks lockTable
}

// New returns the handler: every write it makes is checked against the app's lock in locks first.
func New(zones traffic.Zones, locks lockTable) *Handler {
	return &Handler{zones: traffic.Writers{Zones: zones, Guard: locks.Held}, locks: locks}
}

// WithHealthChecks gives the handler the apps' Route 53 health checks, which an app with CNAME failover needs.
func (h *Handler) WithHealthChecks(c traffic.HealthChecks) *Handler {
	h.zones.Checks = c
	return h
}

// Function returns the Lambda with its operations: switch and sync.
func (h *Handler) Function(log *slog.Logger) *invoke.Function {
	return &invoke.Function{Name: "switch", Log: log, Ops: map[string]invoke.Op{
		"switch": h.switchOver,
		"sync":   traffic.SyncOp(h.zones),
	}, Writes: []string{"switch"}, Guard: h.locks.Held}
}

func (h *Handler) switchOver(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	if s.Plan == nil || s.Plan.New == nil {
		return s, &deploy.InternalError{Err: fmt.Errorf("switch needs a deployment's plan with a new stack")}
	}
	r, st, err := h.zones.OpenCarried(ctx, req.Execution, &s)
	if err != nil {
		return s, err
	}
	if err := r.Expect(st, s.Plan, true); err != nil {
		return s, err
	}
	other := ""
	if s.Plan.Live != nil {
		other = s.Plan.Live.StackID
	}
	if err := r.EnsureChecks(ctx, s.Plan.New.StackID, other); err != nil {
		return s, err
	}
	b, err := r.App().Switch(r.Routing(), st, s.Plan.New.Color, s.Plan.Adopt)
	if err != nil {
		return s, &deploy.InternalError{Err: err}
	}
	if s.Change, err = r.Apply(ctx, b, *s.Config.Strategy.PollSeconds); err != nil {
		return s, err
	}
	// The batch is applied (it may still be on its way to INSYNC): the new stack is live from now on.
	if err := h.locks.Record(ctx, s.App.Name, req.Execution, applock.Mark{Progress: deploy.ProgressSwitched}); err != nil {
		return s, err
	}
	s.Switched = true
	log.Info("switched", "pending", s.Change.Pending, "adopted", s.Plan.Adopt != nil)
	return s, nil
}
