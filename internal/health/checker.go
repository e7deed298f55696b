package health

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// DefaultMargin is the time a check leaves before its context's deadline by default: the probe series ends at least
// this long before the deadline, and the target health and alarm calls end at least a quarter of it before, so the
// Lambda can still encode and return its verdict.
const DefaultMargin = 2 * time.Second

// Clock tells the time and waits. The Checker uses it to space the probes, to measure their latency and to budget
// the context's deadline; per-probe timeouts and the deadline itself are enforced by the context, in real time.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done; then it returns ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Checker judges a stack's health: HTTP probes, ELBv2 target health and CloudWatch alarms. It holds no state between
// checks and is safe for concurrent use.
type Checker struct {
	elb       elbAPI
	cw        cloudWatchAPI
	metrics   metricsAPI
	clock     Clock
	dialer    Dialer
	resolver  Resolver
	addresses AddressMap
	margin    time.Duration
}

// Option configures a Checker.
type Option func(*Checker)

// WithClock replaces the real clock (tests use a fake one so that they do not sleep).
func WithClock(c Clock) Option { return func(k *Checker) { k.clock = c } }

// WithDialer replaces the dialer that opens probe connections. It is only ever asked for IP addresses that passed the
// link-local guard. The default is a *net.Dialer that checks the address again at connect time.
func WithDialer(d Dialer) Option { return func(k *Checker) { k.dialer = d } }

// WithResolver replaces the resolver of probe host names (default net.DefaultResolver).
func WithResolver(r Resolver) Option { return func(k *Checker) { k.resolver = r } }

// WithAddressMap makes the probes look host names up in m instead of DNS (the resolver), port by port. Only the
// local AWS needs it: its load balancers' names resolve nowhere, and it serves each of their ports on a loopback
// address of its own. The guard still judges every address m gives.
func WithAddressMap(m AddressMap) Option { return func(k *Checker) { k.addresses = m } }

// WithMetrics gives the checker the CloudWatch client a split verification reads metrics with (GetMetricData, as
// *cloudwatch.Client has it); needed only by specs with a Split.
func WithMetrics(m metricsAPI) Option { return func(k *Checker) { k.metrics = m } }

// WithMargin replaces DefaultMargin.
func WithMargin(d time.Duration) Option { return func(k *Checker) { k.margin = d } }

// NewChecker returns a Checker that reads target health from elb (DescribeTargetHealth, as
// *elasticloadbalancingv2.Client has it) and alarms from cw (DescribeAlarms, as *cloudwatch.Client has it). Either
// may be nil when no spec it checks names target groups, respectively alarms.
func NewChecker(elb elbAPI, cw cloudWatchAPI, opts ...Option) *Checker {
	c := &Checker{elb: elb, cw: cw, clock: realClock{}, margin: DefaultMargin}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Check runs one health check and returns its verdict. The error is non-nil (a *SpecError) only when spec cannot be
// checked; an unhealthy stack is a verdict with Healthy false, never an error.
//
// With spec.Split, the check also verifies the effective split (see checkSplit); its outcome is evidence
// (Verdict.Traffic), not part of Healthy or Summary: what an inconclusive split does is the caller's decision.
//
// The probes run first. Whatever their outcome, the target health and the alarms are read afterwards (they are
// cheap, and read last they reflect the traffic the probes made), so that an unhealthy verdict shows every failing
// part, not only the first. Summary names the first failure, in that order: probes, targets, alarms. A verdict that
// waits for initial targets (spec.WaitForInitial) is not healthy and says so first.
//
// A probe the guard refuses ends the probe series at once, and the verdict says so (AddressRefused): the address a
// URL leads to is not something a retry changes.
//
// The check never runs past ctx's deadline: the probe series stops, with a failure saying so, when the next probe
// could not end before the deadline minus the margin (see DefaultMargin), and the API calls get what is left but a
// quarter of the margin.
func (c *Checker) Check(ctx context.Context, spec Spec) (Verdict, error) {
	if err := spec.Validate(); err != nil {
		return Verdict{}, err
	}
	if len(spec.TargetGroups) > 0 && c.elb == nil {
		return Verdict{}, &SpecError{Problems: []string{"target groups are given but the checker has no ELBv2 client"}}
	}
	if len(spec.Alarms) > 0 && c.cw == nil {
		return Verdict{}, &SpecError{Problems: []string{"alarms are given but the checker has no CloudWatch client"}}
	}

	if spec.Split != nil && c.metrics == nil {
		return Verdict{}, &SpecError{Problems: []string{"a split verification is asked for but the checker has no CloudWatch client for metrics"}}
	}

	series := c.probeSeries(ctx, spec)

	apiCtx := ctx
	if d, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		apiCtx, cancel = context.WithDeadline(ctx, d.Add(-c.margin/4))
		defer cancel()
	}
	targets := c.checkTargets(apiCtx, spec)
	alarms := c.checkAlarms(apiCtx, spec.Alarms)
	var split *TrafficEvidence
	if spec.Split != nil {
		ev := c.checkSplit(apiCtx, *spec.Split)
		split = &ev
	}

	v := Verdict{
		Probes:         series.probes,
		Targets:        targets.evidence,
		Alarms:         alarms.evidence,
		Notes:          targets.notes,
		Wait:           targets.wait,
		AddressRefused: series.refused,
		Traffic:        split,
		CheckedAt:      c.clock.Now().UTC().Format(time.RFC3339),
	}
	if series.failure != "" {
		v.Failures = append(v.Failures, series.failure)
	}
	v.Failures = append(v.Failures, targets.failures...)
	v.Failures = append(v.Failures, alarms.failures...)
	v.Healthy = len(v.Failures) == 0 && v.Wait == nil
	switch {
	case v.Healthy:
		parts := []string{series.note}
		if targets.note != "" {
			parts = append(parts, targets.note)
		}
		if alarms.note != "" {
			parts = append(parts, alarms.note)
		}
		v.Summary = "healthy: " + strings.Join(parts, "; ")
	case v.Wait != nil && !v.AddressRefused:
		v.Summary = fmt.Sprintf("waiting until %s for %s that ELB reports initial", v.Wait.Until,
			plural(v.Wait.Targets, "target"))
		if n := len(v.Failures); n > 0 {
			v.Summary += "; meanwhile " + v.Failures[0]
		}
		if n := len(v.Failures); n > 1 {
			v.Summary += fmt.Sprintf(" (and %d more failures)", n-1)
		}
	default:
		v.Summary = v.Failures[0]
		if n := len(v.Failures); n > 1 {
			v.Summary += fmt.Sprintf(" (and %d more failures)", n-1)
		}
	}
	capEvidence(&v)
	return v, nil
}
