package traffic

import (
	"context"
	"fmt"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
)

// Zones opens hosted zones.
type Zones interface {
	Open(ctx context.Context, id string) (*zone.Zone, error)
}

// Open opens the zone of the app a prepared state describes and returns its router.
func Open(ctx context.Context, zones Zones, s *deploy.State) (*Router, error) {
	if s.Config == nil {
		return nil, &deploy.InternalError{Err: fmt.Errorf("the state has no configuration: prepare did not run")}
	}
	z, err := zones.Open(ctx, s.Config.HostedZoneID)
	if err != nil {
		return nil, err
	}
	return New(z, s)
}

// OpenInFlight opens the app's router and reads its state as the running deployment sees it (see InFlight).
func OpenInFlight(ctx context.Context, zones Zones, s *deploy.State) (*Router, records.State, error) {
	r, err := Open(ctx, zones, s)
	if err != nil {
		return nil, records.State{}, err
	}
	st, err := r.InFlight(ctx)
	return r, st, err
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
