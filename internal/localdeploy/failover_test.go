package localdeploy_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/failover"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
)

// ops is the gateway's log of the given operations, in order.
func ops(gw *gateway.Gateway, names ...string) []string {
	var out []string
	for _, r := range gw.Requests() {
		if r.Status < 300 && slices.Contains(names, r.Operation) {
			out = append(out, r.Operation)
		}
	}
	return out
}

// checksOf lists the account's Route 53 health checks of app.
func (e *env) checksOf(app string) []failover.Check {
	e.t.Helper()
	list, err := failover.New(route53.NewFromConfig(e.d.Config)).List(e.ctx, app)
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// A CNAME app with failover on the local AWS: each stack's Route 53 health check is created before any of the
// release's record changes, its weighted record refers to it, and a release rolled back at its 10% step restores
// the records exactly and deletes the failed stack's check after its records and its stack.
func TestFailoverCNAMEHealthChecksInOrder(t *testing.T) {
	e := setup(t)
	one := 1
	e.addApp("demoapp", func(c *deploy.Config) {
		c.Endpoint.Type, c.Endpoint.TTL, c.DrainSeconds, c.Routing.Failover = deploy.EndpointCNAME, 1, &one, true
	})
	gw := e.d.AWS.Gateway
	gw.ResetLog()
	e.deploy("demoapp", "v1")
	if got := ops(gw, "CreateHealthCheck", "ChangeResourceRecordSets"); len(got) < 2 || got[0] != "CreateHealthCheck" || slices.Contains(got[1:], "CreateHealthCheck") {
		t.Errorf("first release's writes %q, want its one CreateHealthCheck first", got)
	}
	s1 := e.live("demoapp", records.Blue, "")
	checks := e.checksOf("demoapp")
	blue := s1.State.Weighted[records.Blue]
	if len(checks) != 1 || checks[0].StackID != s1.State.Active || blue.HealthCheckID != checks[0].ID {
		t.Fatalf("checks %+v; blue's weighted record %s; want one check, of stack %s, referred to", checks, blue, s1.State.Active)
	}

	gw.ResetLog()
	apps.FailAfter("v2-failover-step", 1) // healthy before traffic, not at the 10% step
	_, r := e.run(deploy.Input{App: "demoapp", Version: "v2-failover-step"})
	if r.Status != "FAILED" || r.Error != "HealthCheckError" {
		t.Fatalf("v2-failover-step: %s %s %s", r.Status, r.Error, r.Cause)
	}
	hasPath(t, r, "Publish", "Shift", "StepHealth", "Rollback", "Drain", "Discard", "RolledBack")
	got := ops(gw, "CreateHealthCheck", "ChangeResourceRecordSets", "DeleteStack", "DeleteHealthCheck")
	want := []string{"CreateHealthCheck", "ChangeResourceRecordSets", "ChangeResourceRecordSets", // publish: endpoint, slot
		"ChangeResourceRecordSets",                // the 10% step
		"ChangeResourceRecordSets",                // the rollback's restore
		"ChangeResourceRecordSets", "DeleteStack", // the failed stack's endpoint record, then the stack
		"DeleteHealthCheck"} // then its check
	if !slices.Equal(got, want) {
		t.Errorf("the failed release's writes:\n got %q\nwant %q", got, want)
	}
	after := e.live("demoapp", records.Blue, "")
	if !slices.Equal(managedRecords(s1), managedRecords(after)) {
		t.Errorf("records after the rollback %q, want %q", managedRecords(after), managedRecords(s1))
	}
	if left := e.checksOf("demoapp"); len(left) != 1 || left[0].ID != checks[0].ID {
		t.Errorf("checks after the rollback %+v, want the live stack's %s alone", left, checks[0].ID)
	}
}

// An alias app with failover: the records evaluate target health, and when the live stack's targets turn unhealthy
// (in its target group only) the status says Route 53 serves the idle stack.
func TestFailoverAliasStatusSaysWhatRoute53Serves(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", func(c *deploy.Config) { c.Routing.Failover = true })
	e.deploy("demoapp", "v1")
	v1 := e.live("demoapp", records.Blue, "").State.Active
	e.deploy("demoapp", "v2")
	s := e.live("demoapp", records.Green, v1)
	for c, w := range s.State.Weighted {
		ep := s.State.Endpoints[s.State.Slots[c]]
		if w.Alias == nil || !w.Alias.EvaluateTargetHealth || ep.Alias == nil || !ep.Alias.EvaluateTargetHealth {
			t.Errorf("%s: weighted %s, endpoint %s; want both evaluating target health", c, w, ep)
		}
	}
	judge := failover.Judge{ELB: elasticloadbalancingv2.NewFromConfig(e.d.Config), Route53: route53.NewFromConfig(e.d.Config),
		TargetGroups: func(ctx context.Context, id string) ([]string, error) {
			ep, err := e.d.Stacks.Endpoint(ctx, s.App.StackName(id), "LoadBalancerDNSName", "")
			return ep.TargetGroups, err
		}}
	if err := e.d.Operator.Judge(e.ctx, &s, judge); err != nil || s.Served != nil {
		t.Fatalf("both healthy: served %+v, %v; want nothing to say", s.Served, err)
	}
	green, err := judge.TargetGroups(e.ctx, s.State.Active)
	if err != nil || len(green) == 0 {
		t.Fatalf("green's target groups: %v, %v", green, err)
	}
	e.d.AWS.Gateway.SetTargetHealth("*", gateway.TargetHealth{State: "unhealthy", TargetGroup: green[0]})
	t.Cleanup(e.d.AWS.Gateway.ClearFaults)
	if err := e.d.Operator.Judge(e.ctx, &s, judge); err != nil || s.Served == nil || s.Served.Served != records.Blue || s.Served.Live != records.Green {
		t.Fatalf("green's targets unhealthy: served %+v, %v; want blue served", s.Served, err)
	}
	if !contains(s.Served.Reason, "none healthy") {
		t.Errorf("reason %q", s.Served.Reason)
	}
}

// Turning failover on, then off, for a CNAME app: the next release rewrites every record of the app (the live
// stack's too) and leaves no health check no record refers to.
func TestFailoverMigrationBothWays(t *testing.T) {
	e := setup(t)
	one := 1
	cname := func(on bool) func(*deploy.Config) {
		return func(c *deploy.Config) {
			c.Endpoint.Type, c.Endpoint.TTL, c.DrainSeconds, c.Routing.Failover = deploy.EndpointCNAME, 1, &one, on
		}
	}
	e.addApp("demoapp", cname(false))
	e.deploy("demoapp", "v1")
	if n := len(e.checksOf("demoapp")); n != 0 {
		t.Fatalf("failover off: %d checks", n)
	}
	check := func(on bool) {
		t.Helper()
		s := e.status("demoapp")
		inUse := map[string]bool{}
		for c, w := range s.State.Weighted {
			if (w.HealthCheckID != "") != on {
				t.Errorf("failover %v: %s's weighted record %s", on, c, w)
			}
			inUse[w.HealthCheckID] = w.HealthCheckID != ""
		}
		for _, k := range e.checksOf("demoapp") {
			if !inUse[k.ID] {
				t.Errorf("failover %v: check %s of stack %s is orphaned", on, k.ID, k.StackID)
			}
		}
		if n := len(e.checksOf("demoapp")); on && n != 2 || !on && n != 0 {
			t.Errorf("failover %v: %d checks", on, n)
		}
	}
	e.addApp("demoapp", cname(true))
	e.deploy("demoapp", "v2")
	check(true)
	e.addApp("demoapp", cname(false))
	e.deploy("demoapp", "v3")
	check(false)
}

// Two apps in one zone, one with CNAME failover: its releases, its migration and its health checks leave the other
// app's records byte-identical, and the other app has no health check.
func TestFailoverLeavesTheOtherAppAlone(t *testing.T) {
	e := setup(t)
	one := 1
	e.addApp("shop", func(c *deploy.Config) {
		c.Endpoint.Type, c.Endpoint.TTL, c.DrainSeconds = deploy.EndpointCNAME, 1, &one
	})
	e.addApp("demoapp", func(c *deploy.Config) {
		c.Endpoint.Type, c.Endpoint.TTL, c.DrainSeconds, c.Routing.Failover = deploy.EndpointCNAME, 1, &one, true
	})
	e.deploy("shop", "v1")
	shop := e.status("shop").App
	before := e.others(e.status("demoapp").App)
	e.deploy("demoapp", "v1")
	e.deploy("demoapp", "v2")
	after := e.others(e.status("demoapp").App)
	if !slices.EqualFunc(before, after, func(a, b r53types.ResourceRecordSet) bool { return zone.FromSDK(a).Equal(zone.FromSDK(b)) }) {
		t.Errorf("the records of shop and the zone changed:\nbefore %v\nafter  %v", before, after)
	}
	for _, r := range e.status("shop").State.Records {
		if r.HealthCheckID != "" {
			t.Errorf("shop's record %s has a health check", r)
		}
	}
	if n := len(e.checksOf(shop.Name)); n != 0 {
		t.Errorf("shop has %d health checks", n)
	}
	if n := len(e.checksOf("demoapp")); n != 2 {
		t.Errorf("demoapp has %d health checks, want 2", n)
	}
}

// CreateHealthCheck has its own rate limit: a throttled create is retried (the SDK's retryer, then the state
// machine's), and the release goes through with one check per stack, no duplicate.
func TestFailoverHealthCheckThrottled(t *testing.T) {
	e := setup(t)
	one := 1
	e.addApp("demoapp", func(c *deploy.Config) {
		c.Endpoint.Type, c.Endpoint.TTL, c.DrainSeconds, c.Routing.Failover = deploy.EndpointCNAME, 1, &one, true
	})
	gw := e.d.AWS.Gateway
	gw.Throttle("route53", "CreateHealthCheck", 2)
	e.deploy("demoapp", "v1")
	throttled := 0
	for _, r := range gw.Requests() {
		if r.Operation == "CreateHealthCheck" && r.Fault == "throttle" {
			throttled++
		}
	}
	if throttled != 2 {
		t.Errorf("%d throttled CreateHealthCheck calls, want the 2 injected", throttled)
	}
	if n := len(e.checksOf("demoapp")); n != 1 {
		t.Errorf("%d checks after the throttled creates, want 1", n)
	}
}

// At the zone apex (alias A only), failover records evaluate target health.
func TestFailoverAtTheApex(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", func(c *deploy.Config) { c.Host, c.Routing.Failover = zoneName, true })
	e.deploy("demoapp", "v1")
	e.deploy("demoapp", "v2")
	s := e.status("demoapp")
	if s.State.Phase != records.PhaseAtRest || len(s.State.Weighted) != 2 {
		t.Fatalf("phase %s, %d weighted records, problems %q", s.State.Phase, len(s.State.Weighted), s.State.Problems)
	}
	for c, w := range s.State.Weighted {
		if w.Name != zoneName || w.Type != records.TypeA || w.Alias == nil || !w.Alias.EvaluateTargetHealth {
			t.Errorf("%s's weighted record %s, want an alias A at the apex evaluating target health", c, w)
		}
	}
}
