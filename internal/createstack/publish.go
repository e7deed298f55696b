package createstack

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// publish puts the new stack in DNS in two batches: its endpoint record first (Route 53 requires an alias target
// to exist before anything aliases it), then its slot TXT with its color's weighted record retargeted at weight 0.
// Each call does what is not done yet; a batch still pending when the Lambda must return comes back as a pending
// change, and the state machine calls publish again once it is INSYNC.
func (h *Handler) publish(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	if s.Plan == nil || s.Plan.New == nil || s.Stack == nil || s.Stack.Endpoint == nil {
		return s, &deploy.InternalError{Err: fmt.Errorf("publish needs a plan and a complete stack with its endpoint")}
	}
	r, st, err := h.writers.OpenCarried(ctx, req.Execution, &s)
	if err != nil {
		return s, err
	}
	n, ep, poll := s.Plan.New, s.Stack.Endpoint, *s.Config.Strategy.PollSeconds
	if err := r.Expect(st, s.Plan, false); err != nil {
		return s, err
	}
	b, err := r.App().PublishEndpoint(r.Routing(), n.StackID, records.Target{DNSName: ep.DNSName, HostedZoneID: ep.HostedZoneID})
	if err != nil {
		return s, &deploy.StackFailedError{Stack: n.Stack, Status: s.Stack.Status, Reason: err.Error()}
	}
	if s.Change, err = r.Apply(ctx, b, poll); err != nil || s.Change.Pending {
		return s, err
	}
	if st, err = r.InFlight(ctx); err != nil {
		return s, err
	}
	if s.Change, err = r.Apply(ctx, r.App().PublishSlot(r.Routing(), st, n.Color, n.StackID), poll); err != nil {
		return s, err
	}
	// Both batches are applied (the second may still be on its way to INSYNC): the stack is published.
	if err := h.d.Locks.Record(ctx, s.App.Name, req.Execution, applock.Mark{Progress: deploy.ProgressPublished}); err != nil {
		return s, err
	}
	s.Notice = s.Describe(fmt.Sprintf("published stack %s in %s", n.Stack, n.Color))
	log.Info("published", "endpoint", r.App().EndpointName(n.StackID), "pending", s.Change.Pending)
	return s, nil
}
