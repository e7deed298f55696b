package localdeploy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/health"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// The split verification end to end. The test itself stands in for the data plane (which will replace it with
// real clients and load balancers that publish their own counts): while a release runs, it publishes each stack's
// load balancer's RequestCount to the local CloudWatch, high resolution, in proportion to the weights Route 53 has
// at that moment — or none. Short settings: 1-second periods, a 1-second lag and TTL, a 3-second bake.

// splitApp turns health.traffic on with settings for the local AWS; change edits them.
func splitApp(change func(*deploy.TrafficConfig)) func(*deploy.Config) {
	return func(c *deploy.Config) {
		lag, ext, bake := 1, 2, 3
		c.Endpoint.TTL = 1
		c.Strategy.Steps, c.Strategy.BakeSeconds = []int{20, 60}, &bake
		c.Health.Traffic = &deploy.TrafficConfig{MinRequests: 40, MaxExtensions: &ext, LagSeconds: &lag, PeriodSeconds: 1}
		if change != nil {
			change(c.Health.Traffic)
		}
	}
}

// publisher puts RequestCount for an app's load balancers every tick, perTick requests split by the weights it
// reads (of the colors' weighted records), or all to one stack (pinned), until the test ends.
type publisher struct {
	e       *env
	app     string
	perTick float64
	pinned  string            // a stack id: every request goes there
	lbs     map[string]string // stack id → dimension
}

func (e *env) publish(app string, perTick float64) {
	e.startPublisher(&publisher{app: app, perTick: perTick})
}

func (e *env) publishPinned(app string, perTick float64, id string) {
	e.startPublisher(&publisher{app: app, perTick: perTick, pinned: id})
}

func (e *env) startPublisher(p *publisher) {
	p.e, p.lbs = e, map[string]string{}
	cw := cloudwatch.NewFromConfig(e.d.Config, func(o *cloudwatch.Options) {
		o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
	})
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for tick := time.NewTicker(200 * time.Millisecond); ; {
			select {
			case <-ctx.Done():
				tick.Stop()
				return
			case <-tick.C:
				p.tick(ctx, cw)
			}
		}
	}()
	e.t.Cleanup(func() { cancel(); <-done })
}

func (p *publisher) tick(ctx context.Context, cw *cloudwatch.Client) {
	if p.perTick == 0 {
		return
	}
	s, err := p.e.d.Status(ctx, p.app)
	if err != nil {
		return
	}
	now := time.Now()
	var data []cwtypes.MetricDatum
	for _, c := range []records.Color{records.Blue, records.Green} {
		id, w := s.State.Slots[c], s.State.Weight(c)
		if p.pinned != "" {
			w = map[bool]int64{true: 100}[id == p.pinned]
		}
		if id == "" || w == 0 {
			continue
		}
		dim := p.dimension(ctx, id)
		if dim == "" {
			continue
		}
		n := p.perTick * float64(w) / 100
		data = append(data, cwtypes.MetricDatum{
			MetricName: aws.String(health.RequestCountMetric), Unit: cwtypes.StandardUnitCount, StorageResolution: aws.Int32(1),
			Dimensions: []cwtypes.Dimension{{Name: aws.String(health.LoadBalancerDimension), Value: aws.String(dim)}},
			Timestamp:  aws.Time(now), Value: aws.Float64(n),
		})
	}
	if len(data) > 0 {
		_, _ = cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(health.ALBNamespace), MetricData: data})
	}
}

// dimension is the LoadBalancer dimension of a stack's load balancer, looked up once.
func (p *publisher) dimension(ctx context.Context, id string) string {
	if d, ok := p.lbs[id]; ok {
		return d
	}
	ep, err := p.e.d.Stacks.Endpoint(ctx, p.app+"-"+id, deploy.DefaultEndpointOutput, "")
	if err != nil {
		return ""
	}
	d, err := health.LoadBalancerMetricDimension(ep.LoadBalancerARN)
	if err != nil {
		return ""
	}
	p.lbs[id] = d
	return d
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
	e.addApp("demoapp", splitApp(nil))
	e.deploy("demoapp", "v1")
	e.publish("demoapp", 40) // 200 requests a second, split as Route 53's weights say

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
	e.addApp("demoapp", splitApp(nil))
	e.deploy("demoapp", "v1")
	before := managedRecords(e.live("demoapp", records.Blue, ""))
	e.publish("demoapp", 0) // no clients

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
	e.addApp("demoapp", splitApp(func(c *deploy.TrafficConfig) { c.MaxExtensions = new(int) }))
	e.deploy("demoapp", "v1")
	// Every request goes to the old stack, as from clients whose resolvers pinned its answer.
	e.publishPinned("demoapp", 40, e.status("demoapp").State.Slots[records.Blue])

	_, r := e.run(deploy.Input{App: "demoapp", Version: "v2"})
	if r.Status != "FAILED" || r.Error != "SplitInconclusiveError" || !strings.Contains(r.Cause, "below the minimum 10.0%") {
		t.Fatalf("v2: %s %s %s, want FAILED SplitInconclusiveError below the minimum share\n%v", r.Status, r.Error, r.Cause, operator.Names(r.Path))
	}
	never(t, r, "ExtendBake", "Switch")
	e.live("demoapp", records.Blue, "")
}

func TestSplitInconclusivePassesWhenAsked(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", splitApp(func(c *deploy.TrafficConfig) {
		one := 1
		c.MaxExtensions, c.OnInconclusive = &one, deploy.InconclusivePass
	}))
	e.deploy("demoapp", "v1")
	e.publish("demoapp", 0)

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
