// Package healthcheck is the health-check Lambda: one verdict per call, with its evidence, on the stack a run is
// making live — before it gets traffic (retried a configured number of times), after each weight step's bake, and
// through the watch after the switch.
package healthcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/health"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/stacks"
)

// checker judges a stack.
type checker interface {
	Check(ctx context.Context, spec health.Spec) (health.Verdict, error)
}

// endpoints reads a stack's endpoint (for a rollback's target, whose endpoint the run did not read when creating it).
type endpoints interface {
	Endpoint(ctx context.Context, name, outputKey, healthURLOutput string) (stacks.Endpoint, error)
}

var (
	_ checker   = (*health.Checker)(nil)
	_ endpoints = (*stacks.Manager)(nil)
)

// Handler is the health-check function.
type Handler struct {
	checker       checker
	endpoints     endpoints
	allowLoopback bool
	now           func() time.Time
}

// New returns the handler. allowLoopback lets probes reach loopback addresses: only for the local AWS, whose demo
// app serves on 127.0.0.1 (in a Lambda, loopback is the Runtime API).
func New(c checker, e endpoints, allowLoopback bool) *Handler {
	return &Handler{checker: c, endpoints: e, allowLoopback: allowLoopback, now: time.Now}
}

// Function returns the Lambda with its operations: pretraffic, step and watch.
func (h *Handler) Function(log *slog.Logger) *invoke.Function {
	return &invoke.Function{Name: "healthcheck", Log: log, Ops: map[string]invoke.Op{
		"pretraffic": h.pretraffic,
		"step":       h.step,
		"watch":      h.watch,
	}}
}

// pretraffic checks the candidate before it gets traffic. A failed check asks the state machine to try again
// (checks.retry, after checks.waitSeconds = health.retrySeconds) until health.retries is used up; then it fails with
// a HealthCheckError. A check that waits for targets ELB reports initial asks to try again too, without counting
// as a failure, until the wait its first meeting with them derived (checks.initialUntil) ends. A check whose probed
// address the guard refused fails at once: no retry can change it.
func (h *Handler) pretraffic(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	c := nextChecks(s.Checks)
	v, err := h.check(ctx, &s, &c, nil)
	if err != nil {
		return s, err
	}
	retrySeconds := *s.Config.Health.RetrySeconds
	switch {
	case v.Healthy:
	case v.AddressRefused:
		return s, unhealthy(&s, v)
	case v.Wait != nil:
		until, err := time.Parse(time.RFC3339, v.Wait.Until)
		if err != nil {
			return s, &deploy.InternalError{Err: fmt.Errorf("wait until %q: %w", v.Wait.Until, err)}
		}
		c.InitialUntil, c.Retry = v.Wait.Until, true
		c.WaitSeconds = max(1, min(retrySeconds, int(math.Ceil(until.Sub(h.now()).Seconds()))))
		log.Info("health check waits for initial targets", "attempt", c.Attempt, "until", v.Wait.Until,
			"targets", v.Wait.Targets)
	case c.Failed < *s.Config.Health.Retries:
		c.Failed++
		c.Retry, c.WaitSeconds = true, retrySeconds
		log.Warn("health check failed, will retry", "attempt", c.Attempt, "failed", c.Failed, "summary", v.Summary)
	default:
		return s, unhealthy(&s, v)
	}
	s.Checks = &c
	log.Info("health checked", "healthy", v.Healthy, "attempt", c.Attempt)
	return s, nil
}

// nextChecks is the count of the check about to run, after those of prev (nil before the first).
func nextChecks(prev *deploy.Checks) deploy.Checks {
	if prev == nil {
		return deploy.Checks{Attempt: 1}
	}
	c := deploy.Checks{Attempt: prev.Attempt + 1, Failed: prev.Failed, InitialUntil: prev.InitialUntil}
	if c.Failed == 0 && c.InitialUntil == "" {
		c.Failed = prev.Attempt // a state of an earlier version, where every check counted had failed
	}
	return c
}

// step checks the candidate after a weight step's bake; unhealthy is a HealthCheckError (the run rolls back). With
// health.traffic, the check also verifies the step's effective split (see split.go): an inconclusive split extends
// the bake (step.extend, split.waitSeconds) up to health.traffic.maxExtensions times, then fails with a
// SplitInconclusiveError or, with onInconclusive "pass", passes saying so.
func (h *Handler) step(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	plan, err := h.planSplit(ctx, &s)
	if err != nil {
		return s, err
	}
	v, err := h.check(ctx, &s, nil, plan)
	if err != nil {
		return s, err
	}
	if !v.Healthy {
		return s, unhealthy(&s, v)
	}
	if err := h.judgeSplit(&s, plan, log); err != nil {
		return s, err
	}
	log.Info("health checked", "healthy", true)
	return s, nil
}

// watch checks the new live stack during the watch after the switch, and says when the window has passed.
func (h *Handler) watch(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	now := h.now()
	w := deploy.Watch{Until: now.Add(time.Duration(*s.Config.Strategy.WatchSeconds) * time.Second).UTC().Format(time.RFC3339)}
	if s.Watch != nil {
		w = *s.Watch
	}
	v, err := h.check(ctx, &s, nil, nil)
	if err != nil {
		return s, err
	}
	if !v.Healthy {
		return s, unhealthy(&s, v)
	}
	until, err := time.Parse(time.RFC3339, w.Until)
	if err != nil {
		return s, &deploy.InternalError{Err: fmt.Errorf("watch until %q: %w", w.Until, err)}
	}
	left := until.Sub(h.now())
	w.Done = left <= 0
	w.WaitSeconds = 0
	if !w.Done {
		w.WaitSeconds = min(*s.Config.Strategy.WatchIntervalSeconds, int(math.Ceil(left.Seconds())))
	}
	s.Watch = &w
	log.Info("watch checked", "healthy", true, "done", w.Done, "until", w.Until)
	return s, nil
}

// check runs one health check of the candidate and stores the verdict in the state. With the pre-traffic loop's
// checks, targets that ELB reports initial are waited for, until c.InitialUntil when set; without, they fail (after
// traffic, a stack's targets have passed their first check). With a split plan, the check verifies the step's
// split too and counts its own probes for the step's later checks.
func (h *Handler) check(ctx context.Context, s *deploy.State, c *deploy.Checks, plan *splitPlan) (health.Verdict, error) {
	spec, err := h.spec(ctx, s)
	if err != nil {
		return health.Verdict{}, err
	}
	if plan != nil {
		spec.Split = plan.spec
		spec.OnRequest = plan.sent
	}
	if c != nil {
		spec.WaitForInitial = true
		if c.InitialUntil != "" {
			if spec.InitialUntil, err = time.Parse(time.RFC3339, c.InitialUntil); err != nil {
				return health.Verdict{}, &deploy.InternalError{Err: fmt.Errorf("checks.initialUntil %q: %w", c.InitialUntil, err)}
			}
		}
	}
	v, err := h.checker.Check(ctx, spec)
	var bad *health.SpecError
	if errors.As(err, &bad) {
		return health.Verdict{}, &deploy.ValidationError{Problems: bad.Problems}
	}
	if err != nil {
		return health.Verdict{}, err
	}
	s.Verdict = &v
	return v, nil
}

// spec turns the app's health configuration and the candidate's endpoint into a health check.
func (h *Handler) spec(ctx context.Context, s *deploy.State) (health.Spec, error) {
	if s.Plan == nil || s.Plan.Candidate() == nil || s.Config == nil {
		return health.Spec{}, &deploy.InternalError{Err: fmt.Errorf("a health check needs a plan with a stack to check")}
	}
	c, hc := s.Plan.Candidate(), s.Config.Health
	var ep deploy.Endpoint
	if s.Stack != nil && s.Stack.Endpoint != nil && s.Stack.Name == c.Stack {
		ep = *s.Stack.Endpoint
	} else {
		got, err := h.endpoints.Endpoint(ctx, c.Stack, s.Config.Endpoint.Output, hc.URLOutput)
		var missing *stacks.NotFoundError
		var incomplete *stacks.NotCompleteError
		if errors.As(err, &missing) || errors.As(err, &incomplete) {
			return health.Spec{}, &deploy.TargetMissingError{App: s.App.Name, Color: string(c.Color), StackID: c.StackID, Reason: err.Error()}
		}
		if err != nil {
			return health.Spec{}, err
		}
		ep = deploy.Endpoint{DNSName: got.DNSName, HostedZoneID: got.HostedZoneID, HealthURL: got.HealthURL, TargetGroups: got.TargetGroups}
	}
	url, serverName := ep.HealthURL, hc.ServerName
	if url == "" {
		url = hc.Scheme + "://" + ep.DNSName + hc.Path
		if serverName == "" && hc.Scheme == "https" {
			serverName = deploy.ServerNameHost // what the app's certificate is issued for
		}
	}
	switch serverName {
	case deploy.ServerNameHost, deploy.ServerNameStack:
		if s.App == nil {
			return health.Spec{}, &deploy.InternalError{Err: fmt.Errorf("health serverName %q needs the app's names", serverName)}
		}
		if serverName == deploy.ServerNameHost {
			serverName = s.App.HostName()
		} else {
			serverName = s.App.EndpointName(c.StackID)
		}
	}
	spec := health.Spec{
		URL:            url,
		ServerName:     serverName,
		RootCAs:        hc.RootCAs,
		ExpectedStatus: hc.ExpectedStatus,
		BodyContains:   hc.BodyContains,
		LatencyBudget:  time.Duration(hc.LatencyBudgetMillis) * time.Millisecond,
		ProbeTimeout:   time.Duration(hc.TimeoutMillis) * time.Millisecond,
		Successes:      hc.Successes,
		Attempts:       hc.Attempts,
		Interval:       time.Duration(hc.IntervalMillis) * time.Millisecond,
		Alarms:         hc.Alarms,
		AllowLinkLocal: hc.AllowLinkLocal,
		AllowLoopback:  h.allowLoopback,
	}
	if !hc.SkipTargetHealth {
		spec.TargetGroups = ep.TargetGroups
	}
	return spec, nil
}

// unhealthy is the HealthCheckError of a verdict, its evidence included (the verdict is capped in size).
func unhealthy(s *deploy.State, v health.Verdict) error {
	evidence, _ := json.Marshal(v)
	return &deploy.HealthCheckError{Stack: s.Plan.Candidate().Stack, Summary: v.Summary + "; evidence: " + string(evidence)}
}
