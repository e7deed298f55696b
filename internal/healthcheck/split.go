package healthcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/health"
)

// splitPlan is a step check's split verification: what it reads (spec; nil when the step was verified already) and
// the step's record of it (split, in the state), which sent adds the check's own probes to.
type splitPlan struct {
	spec    *health.SplitSpec
	split   *deploy.Split
	traffic deploy.TrafficConfig
	now     time.Time
	// note is the evidence of a check that reads nothing (the step verified already, or nothing to verify).
	note *deploy.TrafficEvidence
}

// sent counts one request the check's probes sent to the new stack, in its period: the step's later checks
// subtract those that fall in their windows. Beyond deploy.MaxProbePeriods periods, requests are counted unplaced
// (subtracted from every window: the new stack's share can only come out smaller).
func (p *splitPlan) sent(at time.Time) {
	period := int64(p.traffic.PeriodSeconds)
	t := at.Unix() - ((at.Unix()%period)+period)%period
	sp := p.split
	switch n := len(sp.Probes); {
	case n > 0 && sp.Probes[n-1].T == t:
		sp.Probes[n-1].N++
	case n < deploy.MaxProbePeriods:
		sp.Probes = append(sp.Probes, deploy.PeriodCount{T: t, N: 1})
	default:
		sp.ProbesUnplaced++
	}
}

// planSplit prepares the split verification of a step check, or returns nil when the app has none (health.traffic
// absent) or the run has no step with a live stack. The window is taken at the check's start, before its probes,
// which therefore fall after it (and in the windows of the step's later checks, which subtract them).
func (h *Handler) planSplit(ctx context.Context, s *deploy.State) (*splitPlan, error) {
	if s.Step != nil {
		s.Step.Extend = false
	}
	if s.Config == nil || s.Config.Health.Traffic == nil || s.Step == nil || s.Plan == nil || s.Plan.Live == nil || s.Plan.New == nil {
		return nil, nil
	}
	t := *s.Config.Health.Traffic
	sp := s.Split
	if sp == nil || sp.Step != s.Step.Index {
		sp = &deploy.Split{Step: s.Step.Index}
	}
	s.Split = sp
	p := &splitPlan{split: sp, traffic: t, now: h.now()}
	if sp.Verified {
		p.note = &deploy.TrafficEvidence{Outcome: deploy.SplitAlreadyVerified, Reason: "this step's split was judged by an earlier check",
			PeriodSeconds: t.PeriodSeconds, Extensions: sp.Extensions, MaxExtensions: *t.MaxExtensions}
		return p, nil
	}
	synced, err := time.Parse(time.RFC3339, s.Step.SyncedAt)
	if err != nil {
		p.note = &deploy.TrafficEvidence{Outcome: deploy.SplitNotApplicable, PeriodSeconds: t.PeriodSeconds,
			Reason: fmt.Sprintf("not applicable: the step has no time it was in sync (syncedAt %q: a state of an earlier version)", s.Step.SyncedAt)}
		return p, nil
	}
	newLB, err := h.loadBalancer(ctx, s, s.Plan.New.Stack)
	if err != nil {
		return nil, err
	}
	if sp.OldLoadBalancer == "" {
		if sp.OldLoadBalancer, err = h.loadBalancer(ctx, s, s.Plan.Live.Stack); err != nil {
			return nil, err
		}
	}
	second := time.Second
	p.spec = &health.SplitSpec{
		NewLoadBalancer: newLB, OldLoadBalancer: sp.OldLoadBalancer,
		Percent: s.Step.Percent, Tolerance: *t.Tolerance, MinRequests: t.MinRequests,
		Window: health.SplitWindow(synced, p.now, time.Duration(s.Config.Endpoint.TTL)*second,
			time.Duration(*t.LagSeconds)*second, time.Duration(t.PeriodSeconds)*second),
		Probes: append([]deploy.PeriodCount(nil), sp.Probes...), Unplaced: sp.ProbesUnplaced,
	}
	return p, nil
}

// loadBalancer returns the ARN of stack's load balancer ("" when its endpoint is not one): the new stack's from
// its creation, carried in the state, any other from CloudFormation and ELB.
func (h *Handler) loadBalancer(ctx context.Context, s *deploy.State, stack string) (string, error) {
	if s.Stack != nil && s.Stack.Name == stack && s.Stack.Endpoint != nil && s.Stack.Endpoint.LoadBalancerARN != "" {
		return s.Stack.Endpoint.LoadBalancerARN, nil
	}
	ep, err := h.endpoints.Endpoint(ctx, stack, s.Config.Endpoint.Output, "")
	if err != nil {
		return "", fmt.Errorf("read the load balancer of stack %s for the split verification: %w", stack, err)
	}
	return ep.LoadBalancerARN, nil
}

// judgeSplit decides what the split's evidence means for the step: verified (or nothing to verify) passes; a
// window without a whole period yet waits for one, once per step, without counting as an extension; inconclusive
// extends the bake by one period while extensions are left, then fails (SplitInconclusiveError) or, with
// onInconclusive "pass", passes with the evidence saying so.
func (h *Handler) judgeSplit(s *deploy.State, p *splitPlan, log *slog.Logger) error {
	if p == nil || s.Verdict == nil {
		return nil
	}
	v, sp, t := s.Verdict, p.split, p.traffic
	if p.note != nil {
		v.Traffic = p.note
	}
	if v.Traffic == nil {
		return &deploy.InternalError{Err: errors.New("the split verification returned no evidence")}
	}
	ev := v.Traffic
	ev.Extensions, ev.MaxExtensions = sp.Extensions, *t.MaxExtensions
	extend := func() {
		wait := p.spec.Window.NextWait(p.now, time.Duration(*t.LagSeconds)*time.Second)
		sp.WaitSeconds = int(wait / time.Second)
		s.Step.Extend = true
	}
	switch ev.Outcome {
	case deploy.SplitVerified, deploy.SplitAlreadyVerified:
		sp.Verified = true
	case deploy.SplitNotApplicable:
		sp.Verified = true
		s.Warn("the %d%% step's split was not verified: %s", s.Step.Percent, ev.Reason)
	case deploy.SplitWaiting:
		if !sp.Aligned {
			sp.Aligned = true
			extend()
			break
		}
		ev.Outcome = deploy.SplitInconclusive
		fallthrough
	case deploy.SplitInconclusive:
		switch {
		case sp.Extensions < *t.MaxExtensions:
			sp.Extensions++
			extend()
		case t.OnInconclusive == deploy.InconclusivePass:
			sp.Verified = true
			s.Warn("the %d%% step's split was inconclusive after %d extensions and passed (onInconclusive pass): %s",
				s.Step.Percent, sp.Extensions, ev.Reason)
			ev.Outcome = deploy.SplitPassedInconclusive
			ev.Reason = fmt.Sprintf("passed inconclusive (onInconclusive pass) after %d of %d extensions: %s", sp.Extensions, *t.MaxExtensions, ev.Reason)
		default:
			v.Summary += "; split " + ev.Outcome + " after " + fmt.Sprint(sp.Extensions) + " extensions: " + ev.Reason
			health.CapEvidence(v)
			evidence, _ := json.Marshal(v)
			return &deploy.SplitInconclusiveError{Stack: s.Plan.New.Stack, Percent: s.Step.Percent,
				Summary: ev.Reason + "; evidence: " + string(evidence)}
		}
	}
	v.Summary += "; split " + ev.Outcome + ": " + ev.Reason
	switch {
	case s.Step.Extend && ev.Outcome == deploy.SplitWaiting:
		v.Summary += fmt.Sprintf(" (waiting %ds for one, not an extension)", sp.WaitSeconds)
	case s.Step.Extend:
		v.Summary += fmt.Sprintf(" (bake extended %ds, extension %d of %d)", sp.WaitSeconds, sp.Extensions, *t.MaxExtensions)
	}
	health.CapEvidence(v)
	log.Info("split judged", "outcome", ev.Outcome, "share", ev.Share, "new", ev.NewRequests, "old", ev.OldRequests,
		"probes", ev.ProbesSubtracted, "extend", s.Step.Extend, "extensions", sp.Extensions)
	return nil
}
