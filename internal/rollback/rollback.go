// Package rollback is the rollback Lambda: it puts an app's records back exactly as a plan recorded them (one
// batch), makes the idle stack live again on an operator's request (refusing before any write when there is
// nothing to roll back to), repairs records edited by hand with the color an operator names live, and settles a
// reconcile that has no plan to act on (without writing).
package rollback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/stacks"
	"github.com/bluegreen-aws/bluegreen/internal/traffic"
)

// stackStatus says whether a stack exists and is complete, and lists the app's stacks.
type stackStatus interface {
	Status(ctx context.Context, name string) (stacks.Status, error)
	List(ctx context.Context, app string) ([]stacks.Summary, error)
}

var _ stackStatus = (*stacks.Manager)(nil)

// Handler is the rollback function.
type Handler struct {
	zones  traffic.Writers
	stacks stackStatus
	guard  func(ctx context.Context, app, execution string) error
}

// New returns the handler; guard, when not nil, confirms that an execution still holds an app's lock before a
// write.
func New(zones traffic.Zones, st stackStatus, guard func(ctx context.Context, app, execution string) error) *Handler {
	return &Handler{zones: traffic.Writers{Zones: zones, Guard: guard}, stacks: st, guard: guard}
}

// WithHealthChecks gives the handler the apps' Route 53 health checks, which an app with CNAME failover needs.
func (h *Handler) WithHealthChecks(c traffic.HealthChecks) *Handler {
	h.zones.Checks = c
	return h
}

// Function returns the Lambda with its operations: restore, manual, repair, reconcile and sync.
func (h *Handler) Function(log *slog.Logger) *invoke.Function {
	return &invoke.Function{Name: "rollback", Log: log, Ops: map[string]invoke.Op{
		"restore":   h.restore,
		"manual":    h.manual,
		"repair":    h.repair,
		"reconcile": h.reconcile,
		"sync":      traffic.SyncOp(h.zones),
	}, Writes: []string{"restore", "manual", "repair"}, Guard: h.guard}
}

// restore puts the plan's records back (slot and active TXT records, the weighted records) in one batch, and says
// how long the new stack must drain before it is deleted: the app's drain time when it had traffic or was live.
func (h *Handler) restore(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	if s.Plan == nil {
		return s, &deploy.InternalError{Err: fmt.Errorf("restore needs a plan")}
	}
	r, st, err := h.zones.OpenInFlight(ctx, req.Execution, &s)
	if err != nil {
		return s, err
	}
	// The new stack had traffic when the records say so now, or — for a retried call after the restore — when the
	// run shifted weight to it or switched to it.
	s.DrainSeconds = 0
	n := s.Plan.New
	routed := n != nil && (st.Active == n.StackID || (st.Slots[n.Color] == n.StackID && st.Weight(n.Color) > 0))
	stoppedWithTraffic := s.Reconcile != nil && (s.Reconcile.Progress == deploy.ProgressShifting || s.Reconcile.Progress == deploy.ProgressSwitched || s.Reconcile.Progress == deploy.ProgressDirty)
	if routed || s.Switched || (s.Step != nil && s.Step.Index >= 0) || stoppedWithTraffic {
		s.DrainSeconds = *s.Config.DrainSeconds
	}
	b := r.App().Restore(st, s.Plan.Before)
	if !b.Empty() {
		if s.Change, err = r.Apply(ctx, b, *s.Config.Strategy.PollSeconds); err != nil {
			return s, err
		}
	}
	s.Finish(deploy.ResultRolledBack)
	if s.Input.Action == deploy.ActionReconcile {
		s.Notice = s.Describe("restored the records of " + s.Reconcile.Execution)
	} else {
		s.Failure = deploy.FailureOf(s.Error)
		s.Failure.Cause = s.RollbackCause(s.Failure.Cause)
		s.Notice = s.RollbackNotice("")
	}
	log.Info("records restored", "changes", len(b.Changes), "pending", s.Change.Pending, "drainSeconds", s.DrainSeconds)
	return s, nil
}

// manual makes the idle stack live again: weights and stack.active in one batch. Before any write it refuses, with
// a TargetMissingError, when the idle stack is gone, incomplete or has no endpoint record.
func (h *Handler) manual(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	if s.Plan == nil || s.Plan.Target == nil {
		return s, &deploy.InternalError{Err: fmt.Errorf("a manual rollback needs a plan with a target")}
	}
	t := s.Plan.Target
	missing := func(reason string) error {
		return &deploy.TargetMissingError{App: s.App.Name, Color: string(t.Color), StackID: t.StackID, Reason: reason}
	}
	status, err := h.stacks.Status(ctx, t.Stack)
	if err != nil {
		return s, err
	}
	if status.Phase != stacks.PhaseComplete {
		return s, missing(fmt.Sprintf("stack %s is %s", t.Stack, strings.ToLower(orStatus(status))))
	}
	r, st, err := h.zones.OpenInFlight(ctx, req.Execution, &s)
	if err != nil {
		return s, err
	}
	switch {
	case st.Slots[t.Color] != t.StackID:
		return s, missing(fmt.Sprintf("the %s slot now names %q", t.Color, st.Slots[t.Color]))
	case !hasEndpoint(st, t.StackID):
		return s, missing(fmt.Sprintf("it has no endpoint record %s", r.App().EndpointName(t.StackID)))
	}
	if err := r.EnsureChecks(ctx, t.StackID, st.Active); err != nil {
		return s, err
	}
	b, err := r.App().Switch(r.Routing(), st, t.Color, nil)
	if err != nil {
		return s, &deploy.InternalError{Err: err}
	}
	if s.Change, err = r.Apply(ctx, b, *s.Config.Strategy.PollSeconds); err != nil {
		return s, err
	}
	s.Result = deploy.ResultRolledBack
	s.Notice = s.ManualRollbackNotice()
	log.Info("rolled back to the idle stack", "pending", s.Change.Pending)
	return s, nil
}

// reconcile settles a reconcile with nothing to restore or clean up, and never writes: it never chooses which release
// goes live. With nothing to reconcile (the lock was free, or held by another run) or a recovered plan whose run had
// finished its writes, it leaves the records as they are. Without a plan, records at rest need nothing; records that
// are not consistent are refused with a StateInconsistentError that names the repair.
func (h *Handler) reconcile(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	s.Result = deploy.ResultReconciled
	if s.Reconcile != nil && s.Reconcile.Skip != "" {
		s.Notice = s.Describe("nothing to reconcile: " + s.Reconcile.Skip)
		log.Info("reconcile: nothing to reconcile", "reason", s.Reconcile.Skip)
		return s, nil
	}
	if s.Plan != nil {
		s.Notice = s.Describe("nothing to undo; records left as they are")
		log.Info("reconcile: records left as they are", "progress", progressOf(s.Reconcile))
		return s, nil
	}
	r, err := h.zones.Open(ctx, req.Execution, &s)
	if err != nil {
		return s, err
	}
	list, err := h.stacks.List(ctx, s.App.Name)
	if err != nil {
		return s, err
	}
	st, err := r.State(ctx, records.Facts{Stacks: ids(list)})
	if err != nil {
		return s, err
	}
	if st.Phase == records.PhaseInconsistent {
		return s, &deploy.StateInconsistentError{App: s.App.Name, Problems: append(st.Problems, repairHint(s.App.Name, st))}
	}
	s.Notice = s.Describe(fmt.Sprintf("no plan to act on and the records are %s; left as they are", st.Phase))
	log.Info("reconcile: no plan; records left as they are", "phase", st.Phase)
	return s, nil
}

// repairHint names the command that repairs inconsistent records, suggesting the color stack.active names.
func repairHint(app string, st records.State) string {
	color := "blue|green"
	if st.ActiveColor.Valid() {
		color = string(st.ActiveColor)
	}
	return fmt.Sprintf("no plan says which release must be live: decide, then run `bluegreen repair %s --live %s` (an execution input {\"action\":\"repair\",\"app\":%q,\"live\":...})", app, color, app)
}

// repair makes the records consistent with the plan's target color live, in one batch, after the state machine
// health checked the target stack: before any write it refuses, with a TargetMissingError, when the slot no longer
// names the stack, and with a RecordConflictError when a record the deployer does not manage stands at the host
// where the weighted records must be. It reports the problems it found and the changes it made.
func (h *Handler) repair(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	if s.Plan == nil || s.Plan.Target == nil {
		return s, &deploy.InternalError{Err: fmt.Errorf("a repair needs a plan with a target")}
	}
	t := s.Plan.Target
	r, err := h.zones.Open(ctx, req.Execution, &s)
	if err != nil {
		return s, err
	}
	list, err := h.stacks.List(ctx, s.App.Name)
	if err != nil {
		return s, err
	}
	st, err := r.State(ctx, records.Facts{Stacks: ids(list)})
	if err != nil {
		return s, err
	}
	if st.Slots[t.Color] != t.StackID {
		return s, &deploy.TargetMissingError{App: s.App.Name, Color: string(t.Color), StackID: t.StackID, Reason: fmt.Sprintf("the %s slot now names %q", t.Color, st.Slots[t.Color])}
	}
	if err := r.EnsureChecks(ctx, t.StackID, st.Slots[t.Color.Other()]); err != nil {
		return s, err
	}
	b, err := r.App().Repair(r.Routing(), st, t.Color, ids(list))
	var blocked *records.HostBlockedError
	if errors.As(err, &blocked) {
		return s, &deploy.RecordConflictError{Name: blocked.Record.Name, Type: blocked.Record.Type, Reason: blocked.Error()}
	}
	if err != nil {
		return s, &deploy.TargetMissingError{App: s.App.Name, Color: string(t.Color), StackID: t.StackID, Reason: err.Error()}
	}
	rep := &deploy.Repair{Live: t.Color, StackID: t.StackID, Problems: st.Problems}
	for _, c := range b.Changes {
		rep.Changes = append(rep.Changes, fmt.Sprintf("%s %s", c.Action, c.Record))
	}
	if !b.Empty() {
		if s.Change, err = r.Apply(ctx, b, *s.Config.Strategy.PollSeconds); err != nil {
			return s, err
		}
	}
	// Health checks no record refers to now (failover turned off, or a stack the repair dropped) go once the batch
	// is in sync; otherwise the next release's clean-up deletes them.
	if !s.Change.Pending {
		deleted, err := r.SweepChecks(ctx)
		if err != nil {
			return s, err
		}
		for _, id := range deleted {
			rep.Changes = append(rep.Changes, "DELETE health check "+id)
		}
	}
	s.Repair, s.Result = rep, deploy.ResultRepaired
	if b.Empty() {
		s.Notice = s.Describe(fmt.Sprintf("the records already have %s stack %s live; nothing changed", t.Color, t.Stack))
	} else {
		s.Notice = s.Describe(fmt.Sprintf("records repaired with %s stack %s live (%d changes, %d problems before)", t.Color, t.Stack, len(b.Changes), len(st.Problems)))
	}
	log.Info("records repaired", "changes", len(b.Changes), "problemsBefore", len(st.Problems), "pending", s.Change.Pending)
	return s, nil
}

func ids(list []stacks.Summary) []string {
	out := make([]string, 0, len(list))
	for _, st := range list {
		out = append(out, st.StackID)
	}
	return out
}

func hasEndpoint(st records.State, id string) bool {
	_, ok := st.Endpoints[id]
	return ok
}

func orStatus(s stacks.Status) string {
	if s.StackStatus != "" {
		return s.StackStatus
	}
	return string(s.Phase)
}

func progressOf(r *deploy.Reconcile) deploy.Progress {
	if r == nil {
		return ""
	}
	return r.Progress
}
