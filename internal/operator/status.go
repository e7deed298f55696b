package operator

import (
	"context"
	"fmt"
	"slices"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/failover"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/stacks"
	"github.com/bluegreen-aws/bluegreen/internal/traffic"
)

// stackLister lists an app's stacks.
type stackLister interface {
	List(ctx context.Context, app string) ([]stacks.Summary, error)
}

var _ stackLister = (*stacks.Manager)(nil)

// Status is an app's status as an operator sees it.
type Status struct {
	App   records.App
	State records.State
	// Lock is the app's lock item, nil when unlocked; Holder the execution holding it (its status says whether it
	// still runs).
	Lock   *applock.Item
	Holder *Result
	Stacks []stacks.Summary
	// Unslotted are stacks no slot names: kept failed stacks and leftovers the next clean-up deletes (and, while a
	// deployment runs, its new stack before it is published).
	Unslotted []stacks.Summary
	// Config is the app's stored configuration, resolved.
	Config deploy.Config
	// Served says, for an app with failover, that Route 53 does not answer as the weights say because the live
	// stack is unhealthy (nil: it does, or it was not judged; see Operator.Judge).
	Served *failover.Serving
}

// FailingOver reports whether Route 53 answers otherwise than the records' weights say: the live stack is
// unhealthy in its eyes (it serves the idle one, or both fail open).
func (s Status) FailingOver() bool { return s.Served != nil }

// Judge evaluates, for an app at rest whose records have failover, whether Route 53 serves the live stack, and
// records the answer in s.Served.
func (o *Operator) Judge(ctx context.Context, s *Status, j failover.Judge) error {
	served, err := j.Served(ctx, s.App, s.State)
	if err != nil {
		return fmt.Errorf("app %s: judge the stacks' health as Route 53 does: %w", s.App.Name, err)
	}
	s.Served = served
	return nil
}

// Status reads an app's records, lock and stacks. The state reader is told whether a running execution holds the
// lock, so a live deployment's weights are not reported as inconsistent while a dead run's are.
func (o *Operator) Status(ctx context.Context, app string, zones traffic.Zones, sl stackLister) (Status, error) {
	cfg, err := o.Config(ctx, app)
	if err != nil {
		return Status{}, err
	}
	z, err := zones.Open(ctx, cfg.HostedZoneID)
	if err != nil {
		return Status{}, err
	}
	a, err := records.NewApp(app, z.Info().Name, cfg.Host)
	if err != nil {
		return Status{}, err
	}
	l, err := o.Lock(ctx, app)
	if err != nil {
		return Status{}, err
	}
	var holder *Result
	if l != nil {
		if d, err := o.Execution(ctx, l.Execution); err == nil {
			holder = &d
		}
	}
	running := holder != nil && holder.Running()
	list, err := sl.List(ctx, app)
	if err != nil {
		return Status{}, err
	}
	ids := make([]string, 0, len(list))
	for _, s := range list {
		ids = append(ids, s.StackID)
	}
	listed, err := z.ListApp(ctx, a) // the app's names only, never the whole zone
	if err != nil {
		return Status{}, err
	}
	st := records.Read(a, listed.Records, records.Facts{OtherRunning: running, Stacks: ids})
	cfg.Resolve()
	return Status{
		App: a, State: st, Lock: l, Holder: holder, Stacks: list, Config: cfg,
		Unslotted: stacks.Unslotted(list, st.Slots[records.Blue], st.Slots[records.Green]),
	}, nil
}

// Live is the color holding the traffic: the one whose weighted record has the larger weight (while a deployment
// shifts, the one with most of it). It is "" when no color holds more than the other (no weighted records, or
// equal weights) — stack.active may say otherwise; the state's problems then say why.
func (s Status) Live() records.Color {
	b, g := s.State.Weight(records.Blue), s.State.Weight(records.Green)
	switch {
	case b > g:
		return records.Blue
	case g > b:
		return records.Green
	}
	return ""
}

// Share is a color's share of the traffic, in percent of the weights (0 when no color has any weight).
func (s Status) Share(c records.Color) int {
	total := s.State.Weight(records.Blue) + s.State.Weight(records.Green)
	if total == 0 {
		return 0
	}
	return int((s.State.Weight(c)*100 + total/2) / total)
}

// Stack returns the app's stack with the id, nil when it is not among the app's stacks.
func (s Status) Stack(id string) *stacks.Summary {
	i := slices.IndexFunc(s.Stacks, func(x stacks.Summary) bool { return x.StackID == id })
	if i < 0 {
		return nil
	}
	return &s.Stacks[i]
}

// Running reports whether a running execution holds the app's lock.
func (s Status) Running() bool { return s.Holder != nil && s.Holder.Running() }

// Settled reports whether the app is at rest (or has no release yet) and unlocked: nothing is under way.
func (s Status) Settled() bool {
	return s.Lock == nil && (s.State.Phase == records.PhaseAtRest || s.State.Phase == records.PhaseEmpty)
}
