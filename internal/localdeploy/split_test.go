package localdeploy_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/clients"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// The split verification end to end, on the local data plane: clients resolve demoapp.example.com through the
// local DNS (each with its own cache, honouring the TTL or pinning its answer) and send their requests to the load
// balancer it chose; the load balancers publish their RequestCount to the local CloudWatch at 1-second resolution,
// the probes of the health checks included (they go to the load balancers too). Short settings: 1-second periods,
// a 1-second lag and TTL, a 4-second bake.

// splitApp turns health.traffic on with settings for the local AWS, with the probes sent to the stacks' load
// balancers; change edits them.
func splitApp(change func(*deploy.TrafficConfig)) func(*deploy.Config) {
	return func(c *deploy.Config) {
		probeLoadBalancer(c)
		lag, ext, bake := 1, 2, 4 // a second over the minimum (TTL + period + lag): the window has a whole period when the bake ends
		c.Endpoint.TTL = 1
		c.Strategy.Steps, c.Strategy.BakeSeconds = []int{20, 60}, &bake
		c.Health.Traffic = &deploy.TrafficConfig{MinRequests: 40, MaxExtensions: &ext, LagSeconds: &lag, PeriodSeconds: 1}
		if change != nil {
			change(c.Health.Traffic)
		}
	}
}

// highResolution makes the local load balancers publish at 1-second resolution for the test.
func highResolution(t *testing.T) {
	apps.SetRequestCountResolution(true)
	t.Cleanup(func() { apps.SetRequestCountResolution(false) })
}

// clients starts n clients of demoapp.example.com, each sending a request every 200 ms, keeping DNS answers at
// least minCache (0: for their TTL), until the test ends.
func (e *env) clients(n int, minCache time.Duration) *clients.Load {
	e.t.Helper()
	load, err := e.d.Clients(e.ctx, clients.Config{Host: "demoapp.example.com", Clients: n, Every: 200 * time.Millisecond, MinCache: minCache, Seed: 3})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(load.Stop)
	return load
}

// stepVerdicts are the traffic evidence of each StepHealth check of a run, in order.
func (e *env) stepVerdicts(arn string) []deploy.TrafficEvidence {
	e.t.Helper()
	var out []deploy.TrafficEvidence
	for _, s := range e.outputs(arn, "StepHealth") {
		if s.Verdict == nil || s.Verdict.Traffic == nil {
			e.t.Fatalf("a StepHealth output without traffic evidence: %+v", s.Verdict)
		}
		out = append(out, *s.Verdict.Traffic)
	}
	return out
}

func TestSplitVerifiedReleasePasses(t *testing.T) {
	e := setup(t)
	highResolution(t)
	e.addApp("demoapp", splitApp(nil))
	e.deploy("demoapp", "v1")
	e.clients(40, 0) // 200 requests a second, split as DNS answers

	arn, r := e.run(deploy.Input{App: "demoapp", Version: "v2"})
	if r.Status != "SUCCEEDED" {
		t.Fatalf("v2: %s %s %s\n%v", r.Status, r.Error, r.Cause, operator.Names(r.Path))
	}
	hasPath(t, r, "Shift", "Bake", "StepHealth", "NeedsApproval", "Shift", "Bake", "StepHealth", "NeedsApproval", "Switch", "Succeeded")
	never(t, r, "ExtendBake", "Rollback")
	got := e.stepVerdicts(arn)
	if len(got) != 2 {
		t.Fatalf("%d step checks, want 2", len(got))
	}
	for i, ev := range got {
		want := []float64{0.2, 0.6}[i]
		if ev.Outcome != deploy.SplitVerified || ev.Intended != want || ev.MinShare != want*0.5 || ev.MinRequests != 40 || ev.PeriodSeconds != 1 {
			t.Errorf("step %d: %+v; want verified against %v (minimum %v, 40 requests, 1 s periods)", i+1, ev, want, want*0.5)
		}
		if ev.Share < ev.MinShare || ev.NewRequests+ev.OldRequests < 40 || ev.WindowStart == "" || ev.WindowEnd <= ev.WindowStart {
			t.Errorf("step %d: share %v of %d+%d requests over %s–%s", i+1, ev.Share, ev.NewRequests, ev.OldRequests, ev.WindowStart, ev.WindowEnd)
		}
	}
	e.live("demoapp", records.Green, e.status("demoapp").State.Slots[records.Blue])
}

func TestSplitWithoutTrafficIsExtendedThenRolledBack(t *testing.T) {
	e := setup(t)
	highResolution(t)
	e.addApp("demoapp", splitApp(nil))
	e.deploy("demoapp", "v1")
	before := managedRecords(e.live("demoapp", records.Blue, "")) // and no clients: the probes are all the load balancers get

	arn, r := e.run(deploy.Input{App: "demoapp", Version: "v2"})
	if r.Status != "FAILED" || r.Error != "SplitInconclusiveError" {
		t.Fatalf("v2: %s %s %s, want FAILED SplitInconclusiveError\n%v", r.Status, r.Error, r.Cause, operator.Names(r.Path))
	}
	if !strings.Contains(r.Cause, "the effective split of the 20% step is inconclusive") || !strings.Contains(r.Cause, "fewer than minRequests 40") {
		t.Errorf("cause %q does not say why", r.Cause)
	}
	// maxExtensions (2) Waits of the state machine, each followed by the check again; then the rollback.
	hasPath(t, r, "Shift", "Bake", "StepHealth", "NeedsApproval", "ExtendBake", "StepHealth", "NeedsApproval", "ExtendBake",
		"StepHealth", "Rollback", "Drain", "Discard", "RolledBack")
	if n := count(r, "ExtendBake"); n != 2 {
		t.Errorf("%d extensions, want maxExtensions = 2", n)
	}
	never(t, r, "Switch")
	// The checks that extended (the last one failed: its evidence is in the cause; moto's history may show its
	// exit with its input).
	got := e.stepVerdicts(arn)
	if len(got) < 2 || got[0].Extensions != 0 || got[1].Extensions != 1 || got[1].Outcome != deploy.SplitInconclusive {
		t.Errorf("extending checks' evidence: %+v", got)
	}
	after := managedRecords(e.live("demoapp", records.Blue, ""))
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("records after the rollback differ from before the release (-before +after):\n%s", diff)
	}
}

func TestSplitOldStackPinnedFails(t *testing.T) {
	e := setup(t)
	highResolution(t)
	e.addApp("demoapp", splitApp(func(c *deploy.TrafficConfig) { c.MaxExtensions = new(int) }))
	e.deploy("demoapp", "v1")
	// Every request goes to the old stack: the clients' resolvers pinned its answer.
	load := e.clients(40, time.Hour)

	_, r := e.run(deploy.Input{App: "demoapp", Version: "v2"})
	if r.Status != "FAILED" || r.Error != "SplitInconclusiveError" || !strings.Contains(r.Cause, "below the minimum 10.0%") {
		t.Fatalf("v2: %s %s %s, want FAILED SplitInconclusiveError below the minimum share\n%v", r.Status, r.Error, r.Cause, operator.Names(r.Path))
	}
	never(t, r, "ExtendBake", "Switch")
	e.live("demoapp", records.Blue, "")
	load.Stop()
	if got := load.Between(time.Time{}, time.Now()); got.Requests < 100 || got.Versions["v1"] != got.Requests {
		t.Errorf("the pinned clients' requests: %v, want all of at least 100 answered by v1", got)
	}
}

// The deployer's own probes reach the new stack's load balancer and count in its RequestCount, as on AWS; the check
// subtracts them, so that a stack nobody but the deployer asks is not taken for one that got its share.
func TestSplitDoesNotCountTheProbes(t *testing.T) {
	e := setup(t)
	highResolution(t)
	e.addApp("demoapp", func(c *deploy.Config) {
		splitApp(func(c *deploy.TrafficConfig) {
			three := 3 // the later checks' windows hold the earlier checks' probes
			// A few requests that are not probes would be enough; a probe the load balancer counts in a second the
			// check placed it next to is not a request from a client.
			c.MinRequests, c.MaxExtensions = 3, &three
		})(c)
		c.Health.Successes, c.Health.Attempts = 5, 5 // five probes a check
	})
	e.deploy("demoapp", "v1") // no clients

	arn, r := e.run(deploy.Input{App: "demoapp", Version: "v2"})
	if r.Status != "FAILED" || r.Error != "SplitInconclusiveError" {
		t.Fatalf("v2: %s %s %s, want FAILED SplitInconclusiveError\n%v", r.Status, r.Error, r.Cause, operator.Names(r.Path))
	}
	probes := 0
	for _, line := range apps.LoadBalancerRequests("v2") {
		if strings.HasPrefix(line, "http ") {
			probes++
		}
	}
	if probes < 10 {
		t.Fatalf("v2's load balancer got %d probes, want the checks' (at least 10)", probes)
	}
	got := e.stepVerdicts(arn)
	subtracted := int64(0)
	for _, ev := range got {
		subtracted += ev.ProbesSubtracted
		if ev.NewRequests > ev.ProbesSubtracted+1 {
			t.Errorf("evidence %+v: the new stack's requests are its probes, want them subtracted", ev)
		}
	}
	if subtracted == 0 && !regexp.MustCompile(`"probesSubtracted":[1-9]`).MatchString(r.Cause) {
		t.Errorf("no evidence subtracted a probe: %+v; the last check's: %s", got, r.Cause)
	}
}

func TestSplitInconclusivePassesWhenAsked(t *testing.T) {
	e := setup(t)
	highResolution(t)
	e.addApp("demoapp", splitApp(func(c *deploy.TrafficConfig) {
		one := 1
		c.MaxExtensions, c.OnInconclusive = &one, deploy.InconclusivePass
	}))
	e.deploy("demoapp", "v1") // no clients

	arn, r := e.run(deploy.Input{App: "demoapp", Version: "v2"})
	if r.Status != "SUCCEEDED" {
		t.Fatalf("v2: %s %s %s\n%v", r.Status, r.Error, r.Cause, operator.Names(r.Path))
	}
	if n := count(r, "ExtendBake"); n != 2 {
		t.Errorf("%d extensions, want one per step", n)
	}
	got := e.stepVerdicts(arn)
	var final []deploy.TrafficEvidence
	for _, ev := range got {
		if ev.Outcome != deploy.SplitInconclusive {
			final = append(final, ev)
		}
	}
	if len(final) != 2 {
		t.Fatalf("the steps' final evidence: %+v", got)
	}
	for _, ev := range final {
		if ev.Outcome != deploy.SplitPassedInconclusive || !strings.Contains(ev.Reason, "passed inconclusive (onInconclusive pass) after 1 of 1 extensions") ||
			!strings.Contains(ev.Reason, "fewer than minRequests 40") {
			t.Errorf("evidence %+v does not say it passed inconclusive, and why", ev)
		}
	}
	out := e.outputs(arn, "StepHealth")
	if w := out[len(out)-1].Warnings; len(w) != 2 {
		t.Errorf("warnings %q, want one per step passed inconclusive", w)
	}
}
