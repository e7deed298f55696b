package healthcheck

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/health"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/stacks"
)

const (
	newLB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demoapp-123456-lb/50dc6c495c0c9188"
	oldLB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demoapp-819273-lb/0c1d2e3f4a5b6c7d"
)

// splitChecker is a checker whose split outcomes are scripted, one per check (the last again), and whose probes
// send requests (told to OnRequest) at the check's time.
type splitChecker struct {
	outcomes []string
	requests int
	now      *time.Time
	specs    []health.Spec
}

func (c *splitChecker) Check(_ context.Context, spec health.Spec) (health.Verdict, error) {
	c.specs = append(c.specs, spec)
	for range c.requests {
		if spec.OnRequest != nil {
			spec.OnRequest(*c.now)
		}
	}
	v := healthy
	if spec.Split != nil {
		o := c.outcomes[min(len(c.specs), len(c.outcomes))-1]
		v.Traffic = &health.TrafficEvidence{Outcome: o, Reason: "scripted " + o, NewRequests: 3, OldRequests: 7}
	}
	return v, nil
}

// stepping is a deployment at its 10% step, in sync at t0, with health.traffic as given.
func stepping(traffic func(*deploy.TrafficConfig)) deploy.State {
	s := published(func(c *deploy.Config) {
		c.Health.Traffic = &deploy.TrafficConfig{}
		bake := 300
		c.Strategy.BakeSeconds = &bake
	})
	if traffic != nil {
		traffic(s.Config.Health.Traffic)
	}
	s.Config.Resolve()
	s.Plan.Live = &deploy.Slot{Color: records.Blue, StackID: "819273", Stack: "demoapp-819273"}
	s.Stack.Endpoint.LoadBalancerARN = newLB
	s.Step = &deploy.Step{Index: 0, Percent: 10, More: true, SyncedAt: t0.Format(time.RFC3339)}
	return s
}

var liveEndpoint = fakeEndpoints{"demoapp-819273": stacks.Endpoint{DNSName: "old.elb.amazonaws.com", LoadBalancer: true, LoadBalancerARN: oldLB}}

func TestStepVerifiesTheSplit(t *testing.T) {
	c := &splitChecker{outcomes: []string{health.SplitVerified}}
	now := t0.Add(5 * time.Minute)
	c.now = &now
	got, err := run(t, &fakeChecker{verdicts: []health.Verdict{healthy}}, nil, now, "step", published(nil)) // without health.traffic: no split
	if err != nil || got.Split != nil || got.Step != nil {
		t.Fatalf("without health.traffic: %v, split %+v", err, got.Split)
	}
	h := New(c, liveEndpoint, false)
	h.now = func() time.Time { return now }
	got, err = call(h, stepping(nil))
	if err != nil {
		t.Fatal(err)
	}
	sp := c.specs[0].Split
	want := &health.SplitSpec{NewLoadBalancer: newLB, OldLoadBalancer: oldLB, Percent: 10, Tolerance: 0.5, MinRequests: 100,
		Window: health.Window{Start: t0.Add(time.Minute), End: t0.Add(3 * time.Minute), Period: time.Minute}}
	if diff := cmp.Diff(sp, want); diff != "" {
		t.Errorf("split spec (-got +want):\n%s", diff)
	}
	if got.Step.Extend || !got.Split.Verified || got.Verdict.Traffic.Extensions != 0 || got.Verdict.Traffic.MaxExtensions != 3 {
		t.Errorf("step %+v, split %+v, traffic %+v; want verified, not extended", got.Step, got.Split, got.Verdict.Traffic)
	}
	if !strings.Contains(got.Verdict.Summary, "split verified: scripted verified") {
		t.Errorf("summary %q does not say the split was verified", got.Verdict.Summary)
	}
	// promote-full's FinalHealth checks the same step again: nothing is read again.
	again, err := call(h, got)
	if err != nil || c.specs[1].Split != nil || again.Verdict.Traffic.Outcome != health.SplitAlreadyVerified || again.Step.Extend {
		t.Errorf("the step checked again: %v, spec %+v, traffic %+v", err, c.specs[1].Split, again.Verdict.Traffic)
	}
}

func call(h *Handler, s deploy.State) (deploy.State, error) {
	return h.Function(slog.New(slog.DiscardHandler)).Handle(context.Background(), deploy.Request{Op: "step", Execution: me, State: s})
}

// An inconclusive split extends the bake maxExtensions times, each a period's wait; then the step fails, or
// passes with onInconclusive pass. The probes of every check are carried, per period, for the later windows.
func TestInconclusiveSplitExtendsThenFailsOrPasses(t *testing.T) {
	for _, onInconclusive := range []string{deploy.InconclusiveFail, deploy.InconclusivePass} {
		t.Run(onInconclusive, func(t *testing.T) {
			now := t0.Add(5*time.Minute + 10*time.Second)
			c := &splitChecker{outcomes: []string{health.SplitInconclusive}, requests: 3, now: &now}
			h := New(c, liveEndpoint, false)
			h.now = func() time.Time { return now }
			s := stepping(func(t *deploy.TrafficConfig) { t.OnInconclusive = onInconclusive })
			var waits []int
			var err error
			for range 10 {
				var got deploy.State
				if got, err = call(h, s); err != nil {
					break
				}
				s = got
				if !s.Step.Extend {
					break
				}
				waits = append(waits, s.Split.WaitSeconds)
				now = now.Add(time.Duration(s.Split.WaitSeconds) * time.Second)
			}
			// The window ends lag (120 s) before the check, on a minute: each wait reaches the next minute.
			if diff := cmp.Diff(waits, []int{50, 60, 60}); diff != "" {
				t.Errorf("extensions' waits (-got +want):\n%s", diff)
			}
			if n := len(c.specs); n != 4 {
				t.Errorf("%d checks, want 4 (the bake's, then one per extension)", n)
			}
			for i, sp := range c.specs[1:] {
				if want := 3 * (i + 1); len(sp.Split.Probes) != i+1 || sum(sp.Split.Probes) != want {
					t.Errorf("check %d: probes %+v, want the %d requests of the checks before, per period", i+2, sp.Split.Probes, want)
				}
			}
			if onInconclusive == deploy.InconclusiveFail {
				var split *deploy.SplitInconclusiveError
				if !errors.As(err, &split) || split.Percent != 10 || !strings.Contains(split.Error(), `"traffic":{"outcome":"inconclusive"`) {
					t.Fatalf("after the last extension: %v, want a SplitInconclusiveError with the evidence", err)
				}
				return
			}
			if err != nil || s.Step.Extend || !s.Split.Verified || s.Verdict.Traffic.Outcome != health.SplitPassedInconclusive {
				t.Fatalf("after the last extension: %v, traffic %+v; want passed inconclusive", err, s.Verdict.Traffic)
			}
			if r := s.Verdict.Traffic.Reason; !strings.Contains(r, "passed inconclusive (onInconclusive pass) after 3 of 3 extensions: scripted inconclusive") {
				t.Errorf("reason %q does not say why it passed", r)
			}
			if len(s.Warnings) != 1 {
				t.Errorf("warnings %q, want one saying the split passed inconclusive", s.Warnings)
			}
		})
	}
}

// A window without a whole period yet waits for one without counting as an extension, once; the next step starts
// a verification of its own.
func TestSplitWaitsForAWholePeriodOnce(t *testing.T) {
	now := t0.Add(3 * time.Minute)
	c := &splitChecker{outcomes: []string{health.SplitWaiting, health.SplitWaiting, health.SplitVerified}, now: &now}
	h := New(c, liveEndpoint, false)
	h.now = func() time.Time { return now }
	s, err := call(h, stepping(nil))
	if err != nil || !s.Step.Extend || s.Split.Extensions != 0 || !s.Split.Aligned {
		t.Fatalf("first: %v, split %+v; want a wait that is no extension", err, s.Split)
	}
	if s, err = call(h, s); err != nil || !s.Step.Extend || s.Split.Extensions != 1 || s.Verdict.Traffic.Outcome != health.SplitInconclusive {
		t.Fatalf("second: %v, split %+v, traffic %+v; want an extension", err, s.Split, s.Verdict.Traffic)
	}
	s.Step = &deploy.Step{Index: 1, Percent: 30, More: true, SyncedAt: t0.Format(time.RFC3339)}
	if s, err = call(h, s); err != nil || s.Split.Step != 1 || s.Split.Extensions != 0 || !s.Split.Verified {
		t.Fatalf("next step: %v, split %+v; want its own verification", err, s.Split)
	}
}

// A stack without a load balancer (a CNAME endpoint): the check says the split was not verified, and the run warns.
func TestSplitNotApplicableWarns(t *testing.T) {
	now := t0.Add(5 * time.Minute)
	c := &splitChecker{outcomes: []string{health.SplitNotApplicable}, now: &now}
	h := New(c, fakeEndpoints{"demoapp-819273": stacks.Endpoint{DNSName: "d111.cloudfront.net"}}, false)
	h.now = func() time.Time { return now }
	s, err := call(h, stepping(nil))
	if err != nil || s.Step.Extend || len(s.Warnings) != 1 || c.specs[0].Split.OldLoadBalancer != "" {
		t.Fatalf("%v, warnings %q, spec %+v", err, s.Warnings, c.specs[0].Split)
	}
}

func sum(ps []deploy.PeriodCount) int {
	n := 0
	for _, p := range ps {
		n += p.N
	}
	return n
}
