package createstack

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/stacks"
	"github.com/bluegreen-aws/bluegreen/internal/traffic"
)

// plan runs under the lock. It reads the app's records and stacks and decides, without writing anything: a
// deployment's idle color, new stack id and the stacks its clean-up deletes; a rollback's target; a reconcile's
// course from the stopped run's recorded plan and progress. The plan keeps the records as they were, so that a
// rollback can restore exactly them.
func (h *Handler) plan(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	if s.Input.Action == deploy.ActionReconcile {
		return h.planReconcile(ctx, req.Execution, s, log)
	}
	r, err := h.writers.Open(ctx, req.Execution, &s)
	if err != nil {
		return s, err
	}
	list, err := h.d.Stacks.List(ctx, s.App.Name)
	if err != nil {
		return s, err
	}
	ids := make([]string, 0, len(list))
	for _, st := range list {
		ids = append(ids, st.StackID)
	}
	st, err := r.State(ctx, records.Facts{Stacks: ids})
	if err != nil {
		return s, err
	}
	// The fence as the plan found it, under the lock: this run's first batch takes it over, and a run that has
	// lost the app since cannot.
	s.Fence = &deploy.FenceState{Expect: st.Fence}
	var p *deploy.Plan
	switch s.Input.Action {
	case deploy.ActionDeploy:
		p, err = h.planDeploy(req.Execution, &s, r, st, list)
	case deploy.ActionRollback:
		p, err = planRollback(r.App(), st, ids)
	case deploy.ActionRepair:
		p, err = planRepair(r.App(), st, list, records.Color(s.Input.Live))
	default:
		err = &deploy.ValidationError{Problems: []string{fmt.Sprintf("action %q cannot be planned", s.Input.Action)}}
	}
	if err != nil {
		return s, err
	}
	versions(p, list, s.Input.Version)
	s.Plan, s.PlanJSON = p, p.Encode()
	s.Step = &deploy.Step{Index: -1, More: p.Live != nil && p.New != nil && len(s.Config.Strategy.Steps) > 0}
	// The plan, with the records as they were, goes in the lock item before any write: a reconcile of this run
	// restores exactly them.
	if err := h.d.Locks.Record(ctx, s.App.Name, req.Execution, applock.Mark{Progress: deploy.ProgressPlanned, Plan: s.PlanJSON, Start: true}); err != nil {
		return s, err
	}
	log.Info("planned", "phase", st.Phase, "live", slotLog(p.Live), "candidate", slotLog(p.Candidate()), "retire", slotLog(p.Retire), "kept", p.Kept)
	return s, nil
}

func (h *Handler) planDeploy(execution string, s *deploy.State, r *traffic.Router, st records.State, list []stacks.Summary) (*deploy.Plan, error) {
	app := r.App()
	if st.Phase != records.PhaseEmpty && st.Phase != records.PhaseAtRest {
		problems := st.Problems
		if len(problems) == 0 {
			problems = []string{fmt.Sprintf("the records are %s, not at rest (a stopped run left them: reconcile it)", st.Phase)}
		}
		return nil, &deploy.StateInconsistentError{App: app.Name, Problems: problems}
	}
	p := &deploy.Plan{Action: deploy.ActionDeploy, Before: managedAndLive(app, st)}
	if st.ActiveColor.Valid() {
		p.Live = slot(app, st.ActiveColor, st.Active)
	} else {
		adopt, err := adoption(app, s.Config, st)
		if err != nil {
			return nil, err
		}
		p.Adopt = adopt
	}
	idle := st.IdleColor()
	if id, ok := st.Slots[idle]; ok {
		p.Retire = slot(app, idle, id)
	}
	taken := func(id string) bool {
		_, endpoint := st.Endpoints[id]
		return endpoint || slices.ContainsFunc(list, func(x stacks.Summary) bool { return x.StackID == id }) ||
			slices.Contains([]string{st.Slots[records.Blue], st.Slots[records.Green]}, id)
	}
	p.New = slot(app, idle, records.NewStackID(execution, taken))
	for _, k := range stacks.Unslotted(list, st.Slots[records.Blue], st.Slots[records.Green]) {
		if len(p.Kept) == deploy.MaxKept {
			break // the plan travels in the state document: the next deployment's clean-up takes the rest
		}
		p.Kept = append(p.Kept, k.StackID)
	}
	return p, nil
}

// adoption checks the host before an app's first release: records there that the weighted records cannot stand
// beside are refused, naming them, unless the app allows adopting one simple record (the switch then replaces it in
// its batch).
func adoption(app records.App, cfg *deploy.Config, st records.State) (*records.Record, error) {
	want := records.TypeA
	if cfg.Endpoint.Type == deploy.EndpointCNAME {
		want = records.TypeCNAME
	}
	var blocking []records.Record
	for _, r := range st.HostOther {
		if r.Type == want || r.Type == records.TypeCNAME || want == records.TypeCNAME {
			blocking = append(blocking, r)
		}
	}
	switch {
	case len(blocking) == 0:
		return nil, nil
	case !cfg.AdoptExistingRecord:
		r := blocking[0]
		return nil, &deploy.RecordConflictError{Name: r.Name, Type: r.Type, Reason: fmt.Sprintf(
			"the host of app %s already has this record (%s); the weighted records cannot stand beside it. Set adoptExistingRecord to replace it in the first switch, or remove it", app.Name, r)}
	case len(blocking) > 1:
		r := blocking[0]
		return nil, &deploy.RecordConflictError{Name: r.Name, Type: r.Type, Reason: fmt.Sprintf(
			"the host of app %s has %d records in the way; only one simple record can be adopted", app.Name, len(blocking))}
	case !app.Managed(blocking[0]) || blocking[0].Type == "AAAA":
		// Only a simple A or CNAME record: what a rollback's restore puts back, of a type the deployer may change.
		r := blocking[0]
		return nil, &deploy.RecordConflictError{Name: r.Name, Type: r.Type, Reason: fmt.Sprintf(
			"the host of app %s has this record (%s) in the way; only a simple A or CNAME record can be adopted", app.Name, r)}
	}
	r := blocking[0].Clone()
	return &r, nil
}

// planRollback plans making the idle stack live again. The target is judged first: a stack deleted by hand leaves
// its endpoint record behind (an inconsistency), but what an operator needs to hear is that there is nothing to roll
// back to.
func planRollback(app records.App, st records.State, ids []string) (*deploy.Plan, error) {
	if !st.ActiveColor.Valid() {
		return nil, &deploy.TargetMissingError{App: app.Name, Color: string(st.IdleColor()), Reason: "the app has no live release yet"}
	}
	idle := st.ActiveColor.Other()
	id, ok := st.Slots[idle]
	missing := func(reason string) error {
		return &deploy.TargetMissingError{App: app.Name, Color: string(idle), StackID: id, Reason: reason}
	}
	switch {
	case !ok:
		return nil, missing("the idle slot is empty")
	case !slices.Contains(ids, id):
		return nil, missing(fmt.Sprintf("stack %s does not exist", app.StackName(id)))
	case st.Phase != records.PhaseAtRest:
		return nil, &deploy.StateInconsistentError{App: app.Name, Problems: append([]string{fmt.Sprintf("the records are %s, not at rest", st.Phase)}, st.Problems...)}
	}
	if _, ok := st.Endpoints[id]; !ok {
		return nil, missing(fmt.Sprintf("it has no endpoint record %s", app.EndpointName(id)))
	}
	return &deploy.Plan{
		Action: deploy.ActionRollback,
		Live:   slot(app, st.ActiveColor, st.Active),
		Target: slot(app, idle, id),
		Before: managed(app, st.Records),
	}, nil
}

// planRepair plans making the records consistent with the stack in color live serving all traffic. It refuses,
// before any write, when that color's slot is empty or names a stack that is missing, not complete or without an
// endpoint record; the state machine then health checks the stack before the repair's one batch. Records that are
// already at rest with live active need nothing (the repair function finds its batch empty).
func planRepair(app records.App, st records.State, list []stacks.Summary, live records.Color) (*deploy.Plan, error) {
	id, ok := st.Slots[live]
	missing := func(reason string) error {
		return &deploy.TargetMissingError{App: app.Name, Color: string(live), StackID: id, Reason: reason}
	}
	if !ok {
		return nil, missing(fmt.Sprintf("the %s slot is empty", live))
	}
	i := slices.IndexFunc(list, func(x stacks.Summary) bool { return x.StackID == id })
	switch {
	case i < 0:
		return nil, missing(fmt.Sprintf("stack %s does not exist", app.StackName(id)))
	case list[i].Phase != stacks.PhaseComplete:
		return nil, missing(fmt.Sprintf("stack %s is %s", app.StackName(id), list[i].Status))
	}
	if ep, ok := st.Endpoints[id]; !ok || ep.SetIdentifier != "" {
		return nil, missing(fmt.Sprintf("it has no endpoint record %s", app.EndpointName(id)))
	}
	p := &deploy.Plan{Action: deploy.ActionRepair, Target: slot(app, live, id), Before: managed(app, st.Records)}
	if st.ActiveColor.Valid() {
		p.Live = slot(app, st.ActiveColor, st.Active)
	}
	return p, nil
}

// planReconcile recovers the stopped run's plan from the lock item and decides from its progress: before the end
// of its watch, restore its plan's records (and discard its new stack); after the watch, finish its clean-up; after
// a manual rollback's batch, or with nothing to go on, leave the records (the rollback function's reconcile then
// refuses records that are not consistent, naming the repair). When the run holds nothing — the state machine's
// put took a free lock, or lock found another run holding it — there is nothing to reconcile.
func (h *Handler) planReconcile(ctx context.Context, execution string, s deploy.State, log *slog.Logger) (deploy.State, error) {
	if s.Reconcile != nil && s.Reconcile.Skip != "" {
		return s, nil // the lock is another run's (lock)
	}
	rec := &deploy.Reconcile{Execution: s.Input.Execution}
	switch {
	case s.Lock == nil || !s.Lock.TakenOver:
		// The state machine's conditional put took a free lock: the run to reconcile holds nothing.
		rec.Skip = fmt.Sprintf("the lock of app %s was free: %s holds nothing", s.App.Name, s.Input.Execution)
	case s.Lock.Plan != "":
		p, err := deploy.DecodePlan(s.Lock.Plan)
		if err != nil {
			return s, &deploy.InternalError{Err: fmt.Errorf("the plan of %s in the lock item does not decode: %w", s.Lock.Holder, err)}
		}
		s.Plan, rec.Progress = p, s.Lock.Progress
		if p.Action == deploy.ActionDeploy {
			switch rec.Progress {
			case deploy.ProgressPlanned, deploy.ProgressCreated, deploy.ProgressPublished, deploy.ProgressShifting, deploy.ProgressSwitched, deploy.ProgressDirty:
				rec.Restore = true
			case deploy.ProgressWatched, deploy.ProgressCleaning:
				rec.Cleanup = true
			}
		}
	default:
		rec.Progress = s.Lock.Progress
	}
	if rec.Restore || rec.Cleanup {
		// The fence as found under the lock, which this reconcile's first batch takes over.
		r, err := h.writers.Open(ctx, execution, &s)
		if err != nil {
			return s, err
		}
		st, err := r.State(ctx, records.Facts{})
		if err != nil {
			return s, err
		}
		s.Fence = &deploy.FenceState{Expect: st.Fence}
	}
	s.Reconcile = rec
	log.Info("reconcile planned", "holderProgress", rec.Progress, "restore", rec.Restore, "cleanup", rec.Cleanup, "plan", s.Plan != nil, "skip", rec.Skip)
	return s, nil
}

// managed returns the records a restore puts back: slot and active TXT records and everything at the host.
func managed(app records.App, rs []records.Record) []records.Record {
	out := []records.Record{}
	for _, r := range rs {
		if app.Managed(r) {
			out = append(out, r.Clone())
		}
	}
	return out
}

// managedAndLive is managed with the live stack's endpoint record: a release that turns failover on or off
// rewrites it beside the weighted records, and its rollback puts it back (records.Restore).
func managedAndLive(app records.App, st records.State) []records.Record {
	out := managed(app, st.Records)
	if ep, ok := st.Endpoints[st.Active]; ok && st.Active != "" {
		out = append(out, ep.Clone())
	}
	return out
}

// versions gives the plan's slots the versions their stacks serve (their version tag), for notifications and the
// CLI; the new stack serves the input's version.
func versions(p *deploy.Plan, list []stacks.Summary, version string) {
	for _, sl := range []*deploy.Slot{p.Live, p.Retire, p.Target} {
		if sl == nil {
			continue
		}
		if i := slices.IndexFunc(list, func(x stacks.Summary) bool { return x.StackID == sl.StackID }); i >= 0 {
			sl.Version = list[i].Version
		}
	}
	if p.New != nil {
		p.New.Version = version
	}
}

func slot(app records.App, c records.Color, id string) *deploy.Slot {
	return &deploy.Slot{Color: c, StackID: id, Stack: app.StackName(id)}
}

func slotLog(s *deploy.Slot) string {
	if s == nil {
		return ""
	}
	return string(s.Color) + "/" + s.StackID
}
