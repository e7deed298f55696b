package traffic

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
)

// Zones opens hosted zones: by id (one GetHostedZone), or known by id and name (no call).
type Zones interface {
	Open(ctx context.Context, id string) (*zone.Zone, error)
	Known(id, name string) *zone.Zone
}

var _ Zones = (*zone.Opener)(nil)

// Writers opens the routers of a function's executions: each built for its execution and with the lock check, so
// no write can skip either.
type Writers struct {
	Zones Zones
	// Guard confirms that an execution still holds an app's lock (nil: no check).
	Guard func(ctx context.Context, app, execution string) error
	// Checks are the apps' Route 53 health checks (nil: none; an app with CNAME failover then cannot be written).
	Checks HealthChecks
}

// Open opens the zone of the app a prepared state describes — known from the state when Prepare recorded its name,
// so that the hosted zone is looked up once per execution — and returns execution's router.
func (w Writers) Open(ctx context.Context, execution string, s *deploy.State) (*Router, error) {
	if s.Config == nil {
		return nil, &deploy.InternalError{Err: fmt.Errorf("the state has no configuration: prepare did not run")}
	}
	var z *zone.Zone
	if s.Config.Zone != "" {
		z = w.Zones.Known(s.Config.HostedZoneID, s.Config.Zone)
	} else {
		var err error
		if z, err = w.Zones.Open(ctx, s.Config.HostedZoneID); err != nil {
			return nil, err
		}
	}
	r, err := New(z, s, execution, w.Guard)
	if err != nil {
		return nil, err
	}
	r.checks = w.Checks
	return r, nil
}

// OpenInFlight opens the app's router and reads its state as the running deployment sees it (see InFlight).
func (w Writers) OpenInFlight(ctx context.Context, execution string, s *deploy.State) (*Router, records.State, error) {
	r, err := w.Open(ctx, execution, s)
	if err != nil {
		return nil, records.State{}, err
	}
	st, err := r.InFlight(ctx)
	return r, st, err
}

// OpenCarried opens the app's router on the deployment's forward path (publish, shift, switch, clean-up): it starts
// from the records the state document carries from the run's last read or batch (deploy.State.Records), reading
// only when there are none (a state of an earlier version). Records changed since are not overwritten: Route 53
// refuses the batch, a StateInconsistentError, and the rollback reads afresh.
func (w Writers) OpenCarried(ctx context.Context, execution string, s *deploy.State) (*Router, records.State, error) {
	if len(s.Records) == 0 {
		return w.OpenInFlight(ctx, execution, s)
	}
	r, err := w.Open(ctx, execution, s)
	if err != nil {
		return nil, records.State{}, err
	}
	var l zone.Listing
	if err := json.Unmarshal(s.Records, &l); err != nil {
		return w.OpenInFlight(ctx, execution, s) // unreadable: read afresh
	}
	r.remember(&l, true)
	return r, records.Read(r.app, l.Records, records.Facts{OtherRunning: true}), nil
}

// InFlight reads the app's state as the running deployment that holds its lock sees it: weights between the colors
// are this run's own, not an inconsistency.
func (r *Router) InFlight(ctx context.Context) (records.State, error) {
	return r.State(ctx, records.Facts{OtherRunning: true})
}

// Expect checks that the records still say what the plan found, plus the new stack in its slot once published: a
// record someone else changed mid-deployment is a StateInconsistentError, before this run writes anything more.
func (r *Router) Expect(st records.State, p *deploy.Plan, published bool) error {
	var problems []string
	problems = append(problems, st.Problems...)
	if p.Live != nil {
		if st.Slots[p.Live.Color] != p.Live.StackID {
			problems = append(problems, fmt.Sprintf("the %s slot names %q, the plan's live stack is %s", p.Live.Color, st.Slots[p.Live.Color], p.Live.StackID))
		}
	}
	if published && p.New != nil && st.Slots[p.New.Color] != p.New.StackID {
		problems = append(problems, fmt.Sprintf("the %s slot names %q, not this run's stack %s", p.New.Color, st.Slots[p.New.Color], p.New.StackID))
	}
	if len(problems) > 0 {
		return &deploy.StateInconsistentError{App: r.app.Name, Problems: problems}
	}
	return nil
}
