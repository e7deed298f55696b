package createstack

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/traffic"
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
	// CNAME failover: Route 53's checkers must reach the stacks, and each stack's check exists before any record
	// refers to it — the new stack's, and the live one's when this release turns failover on.
	liveID := ""
	if s.Plan.Live != nil {
		liveID = s.Plan.Live.StackID
	}
	if r.Routing().HealthChecked() {
		if err := h.reachable(ctx, r, st, n, ep, liveID); err != nil {
			return s, err
		}
	}
	if err := r.EnsureChecks(ctx, n.StackID, liveID); err != nil {
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

// reachable refuses CNAME failover, before any write, for a stack whose endpoint Route 53's health checkers cannot
// reach: the new stack's (an internal load balancer, or a name resolving to private, loopback or link-local
// addresses), and the live stack's, whose check this release may create.
func (h *Handler) reachable(ctx context.Context, r *traffic.Router, st records.State, n *deploy.Slot, ep *deploy.Endpoint, liveID string) error {
	if err := h.d.Reach.Check(ctx, n.Stack, ep.DNSName, ep.Internal); err != nil {
		return &deploy.StackFailedError{Stack: n.Stack, Status: "CREATE_COMPLETE", Reason: err.Error()}
	}
	if live, ok := st.Endpoints[liveID]; ok && live.Type == records.TypeCNAME && r.Routing().HealthChecks[liveID] == "" {
		if err := h.d.Reach.Check(ctx, r.App().StackName(liveID), live.Target(), false); err != nil {
			return &deploy.ValidationError{Problems: []string{err.Error()}}
		}
	}
	return nil
}
