// Package traffic reads an app's records from its hosted zone — the app's names only — and applies the change
// batches that move its traffic as fenced compare-and-swap writes, folding a change that is not INSYNC by the
// Lambda's deadline into the state document as a pending change for the state machine to wait on.
package traffic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
)

// Router is one app's records in its hosted zone, as one execution reads and writes them.
type Router struct {
	zone      *zone.Zone
	app       records.App
	routing   records.Routing
	state     *deploy.State
	execution string
	guard     func(ctx context.Context, app, execution string) error
	// listing is the app's records as last read, or as the last accepted batch left them: a batch deletes exactly
	// these, so the next one needs no read. carried says it came from the state document, not from a read in this
	// call.
	listing *zone.Listing
	carried bool
	// checks are the apps' Route 53 health checks, and ensured the ids of this app's stacks found or created in this
	// call (see EnsureChecks).
	checks  HealthChecks
	ensured map[string]string
	// sawChecks is true once a listing of this call had a record with a health check.
	sawChecks bool
}

// New returns the router of the app a prepared state describes, writing for execution; guard (nil: none) confirms
// before every batch that the execution still holds the app's lock.
func New(z *zone.Zone, s *deploy.State, execution string, guard func(ctx context.Context, app, execution string) error) (*Router, error) {
	if s.App == nil || s.Config == nil {
		return nil, &deploy.InternalError{Err: fmt.Errorf("the state has no app or configuration: prepare did not run")}
	}
	return &Router{
		zone: z, app: *s.App, state: s, execution: execution, guard: guard,
		routing: records.Routing{Zone: z.Info(), CNAME: s.Config.Endpoint.Type == deploy.EndpointCNAME, TTL: s.Config.Endpoint.TTL, Failover: s.Config.Routing.Failover},
	}, nil
}

// App returns the app's names.
func (r *Router) App() records.App { return r.app }

// Routing returns how the app's records are written: with CNAME failover, with the health checks of the stacks
// that EnsureChecks found or created, or that the app's weighted records name.
func (r *Router) Routing() records.Routing {
	rt := r.routing
	if !rt.HealthChecked() {
		return rt
	}
	rt.HealthChecks = r.recordedChecks()
	for id, hc := range r.ensured {
		rt.HealthChecks[id] = hc
	}
	return rt
}

// State reads the app's records (its names only: zone.ListApp) and derives its state.
func (r *Router) State(ctx context.Context, facts records.Facts) (records.State, error) {
	l, err := r.zone.ListApp(ctx, r.app)
	if err != nil {
		return records.State{}, err
	}
	r.remember(l, false)
	return records.Read(r.app, l.Records, facts), nil
}

// remember keeps the app's records for the next batch, and in the state document for the next operation.
func (r *Router) remember(l *zone.Listing, carried bool) {
	r.listing, r.carried = l, carried
	for _, rec := range l.Records {
		r.sawChecks = r.sawChecks || rec.HealthCheckID != ""
	}
	if b, err := json.Marshal(l); err == nil {
		r.state.Records = b
	}
}

// Current is the app's state from the records as last read or written, reading them only when there are none yet.
func (r *Router) Current(ctx context.Context, facts records.Facts) (records.State, error) {
	if r.listing == nil {
		return r.State(ctx, facts)
	}
	return records.Read(r.app, r.listing.Records, facts), nil
}

// CheckLock runs the lock check (nil when the router has none): a write that is not a record batch — a stack's
// creation or deletion — calls it just before the call that writes.
func (r *Router) CheckLock(ctx context.Context) error {
	if r.guard == nil {
		return nil
	}
	return r.guard(ctx, r.app.Name, r.execution)
}

// Apply applies a batch as a fenced compare-and-swap (zone.Swap): after the lock check, every record it changes is
// deleted exactly as read and the app's fence is swapped in the same batch. A batch Route 53 refuses is a
// LockLostError when the fence now names another execution (this one writes nothing more), and a
// StateInconsistentError when the records changed since they were read (a hand edit). The change it returns is
// not pending once INSYNC; otherwise the state machine waits on it.
func (r *Router) Apply(ctx context.Context, b records.Batch, pollSeconds int) (deploy.PendingChange, error) {
	if err := r.CheckLock(ctx); err != nil {
		return deploy.PendingChange{}, err
	}
	if r.listing == nil {
		if _, err := r.State(ctx, records.Facts{}); err != nil {
			return deploy.PendingChange{}, err
		}
	}
	expect := r.expectedFence()
	next := r.app.FenceRecord(records.NextFence(expect, records.FenceHolder(r.execution)))
	res, after, err := r.zone.Swap(ctx, r.app, r.listing, b, zone.Fence{Expect: expect, Next: next})
	var rejected *zone.RejectedError
	if errors.As(err, &rejected) {
		r.remember(rejected.Now, false)
		return deploy.PendingChange{}, r.refused(rejected, expect)
	}
	if err != nil {
		return deploy.PendingChange{}, err
	}
	r.remember(after, r.carried)
	if res.Submitted {
		r.state.Fence = &deploy.FenceState{Expect: &next}
	}
	if res.InSync {
		return deploy.PendingChange{}, nil
	}
	return deploy.PendingChange{ID: res.ChangeID, Pending: true, WaitSeconds: pollSeconds}, nil
}

// TakeFence claims the app's fence for this execution with the next epoch, in a batch of its own, unless the fence
// already is its own: a run that took the app's lock over from a stopped one calls it at once, so that a batch of
// the stopped run still on its way to Route 53 is refused from then on. A refused claim (a batch landed between the
// read and the claim) is read again and claimed again, a few times.
func (r *Router) TakeFence(ctx context.Context) error {
	if r.listing == nil {
		if _, err := r.State(ctx, records.Facts{}); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		found := records.Read(r.app, r.listing.Records, records.Facts{}).Fence
		next := r.app.FenceRecord(records.NextFence(found, records.FenceHolder(r.execution)))
		_, after, err := r.zone.Swap(ctx, r.app, r.listing, records.Batch{Comment: r.app.Name + ": take the fence over"}, zone.Fence{Expect: found, Next: next, Take: true})
		var rejected *zone.RejectedError
		if errors.As(err, &rejected) && attempt < 3 {
			r.remember(rejected.Now, false)
			continue
		}
		if err != nil {
			return err
		}
		r.remember(after, false)
		r.state.Fence = &deploy.FenceState{Expect: &next}
		return nil
	}
}

// expectedFence is the fence this execution's next batch deletes: its own when the zone has it (only it writes
// that); otherwise the fence its plan read (deploy.FenceState), so that a run that lost the app to another cannot
// take the fence back; for a state from an earlier version without one, the fence as read.
func (r *Router) expectedFence() *records.Record {
	st := records.Read(r.app, r.listing.Records, records.Facts{})
	if st.Fence != nil {
		if f, err := records.ParseFence(*st.Fence); err == nil && f.Holder == records.FenceHolder(r.execution) {
			return st.Fence
		}
	}
	if r.state.Fence != nil {
		return r.state.Fence.Expect
	}
	return st.Fence
}

// refused names why Route 53 refused a batch, from the read right after it.
func (r *Router) refused(e *zone.RejectedError, expect *records.Record) error {
	if e.Fence != nil {
		if f, err := records.ParseFence(*e.Fence); err == nil && f.Holder != records.FenceHolder(r.execution) && (expect == nil || !e.Fence.Equal(*expect)) {
			return &deploy.LockLostError{App: r.app.Name, Execution: r.execution, Holder: "another execution (fence " + f.Holder + ")"}
		}
	}
	return &deploy.StateInconsistentError{App: r.app.Name, Problems: []string{
		fmt.Sprintf("the records changed since this run read them (edited by hand?), and Route 53 refused its batch %q: %v", e.Comment, e.Err)}}
}

// Sync checks a pending change once: it returns a change that is no longer pending once it is INSYNC, or the same
// change with its next wait doubled (up to deploy.MaxPollSeconds).
func (r *Router) Sync(ctx context.Context, c deploy.PendingChange) (deploy.PendingChange, error) {
	if !c.Pending {
		return deploy.PendingChange{}, nil
	}
	done, err := r.zone.Check(ctx, c.ID)
	if err != nil {
		return c, err
	}
	if done {
		return deploy.PendingChange{}, nil
	}
	c.WaitSeconds = min(max(1, 2*c.WaitSeconds), deploy.MaxPollSeconds) // from 0 too: never spin
	return c, nil
}

// SyncOp is the "sync" operation the functions that change records share: check the pending change once.
func SyncOp(w Writers) invoke.Op {
	return func(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
		s := req.State
		r, err := w.Open(ctx, req.Execution, &s)
		if err != nil {
			return s, err
		}
		if s.Change, err = r.Sync(ctx, s.Change); err != nil {
			return s, err
		}
		log.Info("change checked", "pending", s.Change.Pending)
		return s, nil
	}
}
