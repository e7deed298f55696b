// Package traffic reads an app's state from its hosted zone and applies the change batches that move its traffic,
// folding a change that is not INSYNC by the Lambda's deadline into the state document as a pending change for the
// state machine to wait on.
package traffic

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
)

// Router is one app's records in its hosted zone.
type Router struct {
	zone    *zone.Zone
	app     records.App
	routing records.Routing
}

// New returns the router of the app a prepared state describes.
func New(z *zone.Zone, s *deploy.State) (*Router, error) {
	if s.App == nil || s.Config == nil {
		return nil, &deploy.InternalError{Err: fmt.Errorf("the state has no app or configuration: prepare did not run")}
	}
	return &Router{
		zone: z,
		app:  *s.App,
		routing: records.Routing{
			Zone:  z.Info(),
			CNAME: s.Config.Endpoint.Type == deploy.EndpointCNAME,
			TTL:   s.Config.Endpoint.TTL,
		},
	}, nil
}

// App returns the app's names.
func (r *Router) App() records.App { return r.app }

// Routing returns how the app's records are written.
func (r *Router) Routing() records.Routing { return r.routing }

// State reads the app's records and derives its state.
func (r *Router) State(ctx context.Context, facts records.Facts) (records.State, error) {
	rs, err := r.zone.List(ctx)
	if err != nil {
		return records.State{}, err
	}
	return records.Read(r.app, rs, facts), nil
}

// Apply applies a batch. The change it returns is not pending when the records are as the batch leaves them
// (INSYNC and read back); otherwise the state machine waits on it.
func (r *Router) Apply(ctx context.Context, b records.Batch, pollSeconds int) (deploy.PendingChange, error) {
	if err := invoke.CheckWrite(ctx); err != nil {
		return deploy.PendingChange{}, err
	}
	res, err := r.zone.Apply(ctx, b)
	if err != nil || res.InSync {
		return deploy.PendingChange{}, err
	}
	return deploy.PendingChange{
		ID: res.ChangeID, Pending: true, WaitSeconds: pollSeconds, Expect: res.Expect, Removed: res.Removed,
	}, nil
}

// Sync checks a pending change once: it returns a change that is no longer pending once it is INSYNC and reads
// back, or the same change with its next wait doubled (up to deploy.MaxPollSeconds).
func (r *Router) Sync(ctx context.Context, c deploy.PendingChange) (deploy.PendingChange, error) {
	if !c.Pending {
		return deploy.PendingChange{}, nil
	}
	done, err := r.zone.Check(ctx, c.ID, c.Expect, c.Removed)
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
func SyncOp(zones Zones) invoke.Op {
	return func(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
		s := req.State
		r, err := Open(ctx, zones, &s)
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
