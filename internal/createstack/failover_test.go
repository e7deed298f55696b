package createstack_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/failover"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// cnameFailover is the configuration of a CNAME app with failover on (on: false, off).
func cnameFailover(on bool) func(*deploy.Config) {
	return func(c *deploy.Config) {
		c.Endpoint.Type, c.Endpoint.TTL, c.Routing.Failover = deploy.EndpointCNAME, 60, on
	}
}

func cnameEndpoint(id string) records.Record {
	return records.Record{Name: app.EndpointName(id), Type: "CNAME", TTL: 60, Values: []string{lbName(id)}}
}

func cnameWeighted(c records.Color, id string, w int64, check string) records.Record {
	return records.Record{Name: app.HostName(), Type: "CNAME", TTL: 60, Values: []string{app.EndpointName(id)},
		SetIdentifier: app.SetIdentifier(c), Weight: records.Weight(w), HealthCheckID: check}
}

// cnameLive is the CNAME app at rest with id live in blue, its weighted record carrying check ("": none).
func cnameLive(id, check string) []records.Record {
	return []records.Record{cnameEndpoint(id), slotRec(records.Blue, id), activeRec(id), cnameWeighted(records.Blue, id, 100, check)}
}

// ensure creates stack id's health check in e's account, as an earlier run did.
func (e *env) ensure(id string) string {
	e.t.Helper()
	hc, err := failover.New(e.zone).Ensure(e.ctx, failover.Spec{App: "demoapp", StackID: id, FQDN: app.EndpointName(id), Path: "/health"}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.zone.Log = nil
	return hc
}

// kinds is the write log with ids and comments reduced to what happened, in order.
func (e *env) kinds() []string {
	var out []string
	for _, l := range e.zone.Log {
		switch {
		case strings.HasPrefix(l, "create-health-check "):
			ref := strings.Fields(l)[2]
			out = append(out, "create check of "+strings.Split(ref, "/")[2])
		case strings.HasPrefix(l, "delete-health-check "):
			out = append(out, "delete "+strings.Fields(l)[1])
		default:
			out = append(out, strings.TrimPrefix(l, "change demoapp: "))
		}
	}
	return out
}

// checkOf returns the health check id the zone's weighted record of color c carries.
func (e *env) checkOf(c records.Color) string {
	return records.Read(app, e.zone.Records(zoneID), records.Facts{OtherRunning: true}).Weighted[c].HealthCheckID
}

// With CNAME failover, the new stack's health check is created before its records, and its weighted record refers
// to it; turning failover on creates the live stack's check too, and rewrites its weighted record in the slot's
// batch.
func TestPublishCreatesHealthChecksFirst(t *testing.T) {
	t.Run("failover on already", func(t *testing.T) {
		e := setup(t)
		live := e.ensure(liveID)
		e.zone.AddZone(zoneID, "example.com", cnameLive(liveID, live)...)
		if _, err := e.call("publish", created(cnameFailover(true))); err != nil {
			t.Fatal(err)
		}
		want := []string{"create check of " + newID, "publish the endpoint of stack " + newID, "put stack " + newID + " in the green slot"}
		if got := e.kinds(); !slices.Equal(got, want) {
			t.Errorf("writes %q, want %q", got, want)
		}
		checks := e.zone.HealthChecks()
		if len(checks) != 2 || e.checkOf(records.Blue) != live || e.checkOf(records.Green) == "" || e.checkOf(records.Green) == live {
			t.Errorf("checks %d; blue's %q (want %q), green's %q", len(checks), e.checkOf(records.Blue), live, e.checkOf(records.Green))
		}
		slotBatch := e.zone.Batches[len(e.zone.Batches)-1]
		for _, c := range slotBatch.Changes {
			if c.Record.SetIdentifier == app.SetIdentifier(records.Blue) {
				t.Errorf("the live weighted record was rewritten although it has its form: %v", c)
			}
		}
	})
	t.Run("turned on", func(t *testing.T) {
		e := setup(t, cnameLive(liveID, "")...)
		if _, err := e.call("publish", created(cnameFailover(true))); err != nil {
			t.Fatal(err)
		}
		want := []string{"create check of " + newID, "create check of " + liveID, "publish the endpoint of stack " + newID, "put stack " + newID + " in the green slot"}
		if got := e.kinds(); !slices.Equal(got, want) {
			t.Errorf("writes %q, want %q", got, want)
		}
		if e.checkOf(records.Blue) == "" || e.checkOf(records.Green) == "" {
			t.Errorf("after the migrating slot batch: blue's check %q, green's %q; want both", e.checkOf(records.Blue), e.checkOf(records.Green))
		}
		if n := e.zone.Accepted["ListHealthChecks"]; n != 1 {
			t.Errorf("%d ListHealthChecks calls, want one for both stacks", n)
		}
	})
	t.Run("off: no health check", func(t *testing.T) {
		e := setup(t, cnameLive(liveID, "")...)
		if _, err := e.call("publish", created(cnameFailover(false))); err != nil {
			t.Fatal(err)
		}
		if n := len(e.zone.HealthChecks()); n != 0 || e.zone.Accepted["ListHealthChecks"] != 0 || e.checkOf(records.Green) != "" {
			t.Errorf("failover off: %d checks, %d lists, green's check %q", n, e.zone.Accepted["ListHealthChecks"], e.checkOf(records.Green))
		}
	})
}

// Route 53's checkers cannot reach a private or internal endpoint: CNAME failover refuses it before any write.
func TestPublishRefusesUnreachableEndpoints(t *testing.T) {
	for _, tt := range []struct {
		name    string
		change  func(e *env, s *deploy.State)
		because string
	}{
		{"private address", func(e *env, _ *deploy.State) { e.resolve = map[string][]string{lbName(newID): {"10.0.3.7"}} }, "10.0.3.7 (private)"},
		{"loopback", func(e *env, _ *deploy.State) { e.resolve = map[string][]string{lbName(newID): {"127.0.0.1"}} }, "loopback"},
		{"internal load balancer", func(_ *env, s *deploy.State) { s.Stack.Endpoint.Internal = true }, "internal load balancer"},
		{"the live stack's, when turning failover on", func(e *env, _ *deploy.State) { e.resolve = map[string][]string{lbName(liveID): {"192.168.0.4"}} }, "192.168.0.4"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, cnameLive(liveID, "")...)
			s := created(cnameFailover(true))
			tt.change(e, &s)
			_, err := e.call("publish", s)
			if err == nil || !strings.Contains(err.Error(), tt.because) || !strings.Contains(err.Error(), "Route 53's health checkers") {
				t.Fatalf("publish = %v, want a refusal saying %q", err, tt.because)
			}
			if len(e.zone.Log) != 0 {
				t.Errorf("a refused publish wrote %q", e.zone.Log)
			}
		})
	}
	// An alias app evaluates its load balancer's target health: no check, and an internal load balancer is fine.
	e := setup(t, liveIn(records.Blue, liveID, "")...)
	s := created(func(c *deploy.Config) { c.Routing.Failover = true })
	s.Stack.Endpoint.Internal = true
	if _, err := e.call("publish", s); err != nil {
		t.Fatalf("alias failover with an internal load balancer: %v", err)
	}
	ep := records.Read(app, e.zone.Records(zoneID), records.Facts{OtherRunning: true}).Endpoints[newID]
	if ep.Alias == nil || !ep.Alias.EvaluateTargetHealth || len(e.zone.HealthChecks()) != 0 {
		t.Errorf("alias failover endpoint %s, %d checks; want EvaluateTargetHealth and no check", ep, len(e.zone.HealthChecks()))
	}
}

// A rolled-back stack's health check goes after its records: the endpoint record, the stack, then the check; the
// live stack's check stays.
func TestDeleteRemovesTheChecksAfterTheRecords(t *testing.T) {
	e := setup(t)
	live, fresh := e.ensure(liveID), e.ensure(newID)
	e.zone.AddZone(zoneID, "example.com", append(cnameLive(liveID, live), cnameEndpoint(newID))...)
	e.stacks.add(liveID, "CREATE_COMPLETE")
	e.stacks.add(newID, "CREATE_COMPLETE")
	s := restored()
	*s.Config = *created(cnameFailover(true)).Config
	if _, err := e.call("delete", s); err != nil {
		t.Fatal(err)
	}
	want := []string{"remove the endpoint of deleted stack " + newID, "delete " + fresh}
	if got := e.kinds(); !slices.Equal(got, want) {
		t.Errorf("writes %q, want %q", got, want)
	}
	if _, ok := e.zone.HealthChecks()[live]; !ok || len(e.zone.HealthChecks()) != 1 {
		t.Errorf("checks left %v, want the live stack's %s alone", e.zone.HealthChecks(), live)
	}
}

// The clean-up of a release that turned failover off deletes the checks the old records used, once no record refers
// to them; one that kept it on deletes the retired stack's only.
func TestCleanupSweepsTheChecks(t *testing.T) {
	for _, on := range []bool{false, true} {
		e := setup(t)
		old, retired := e.ensure(liveID), e.ensure(idleID)
		kept := ""
		if on {
			kept = e.ensure(newID)
		}
		// Released: 123456 live in green, 819273 idle in blue; 554433 retired.
		rs := []records.Record{cnameEndpoint(liveID), cnameEndpoint(newID), cnameEndpoint(idleID), slotRec(records.Blue, liveID), slotRec(records.Green, newID),
			activeRec(newID), cnameWeighted(records.Green, newID, 100, kept), cnameWeighted(records.Blue, liveID, 0, map[bool]string{true: old}[on])}
		e.zone.AddZone(zoneID, "example.com", rs...)
		for _, id := range []string{liveID, newID, idleID} {
			e.stacks.add(id, "CREATE_COMPLETE")
		}
		s := created(cnameFailover(on))
		s.Plan = &deploy.Plan{Action: deploy.ActionDeploy, Live: slot(records.Blue, liveID), New: slot(records.Green, newID), Retire: slot(records.Green, idleID),
			Before: []records.Record{cnameWeighted(records.Blue, liveID, 100, old), cnameWeighted(records.Green, idleID, 0, retired)}}
		got, err := e.call("cleanup", s)
		if err != nil || len(got.Warnings) > 0 {
			t.Fatalf("cleanup = %v, warnings %q", err, got.Warnings)
		}
		left := e.zone.HealthChecks()
		_, oldLeft := left[old]
		if _, ok := left[retired]; ok || oldLeft != on || (on && len(left) != 2) || (!on && len(left) != 0) {
			t.Errorf("failover %v: checks left %v; want the retired stack's gone, the live stacks' kept only while failover is on", on, left)
		}
		if log := e.kinds(); log[0] != "remove the endpoint of deleted stack "+idleID {
			t.Errorf("failover %v: the first write is %q, want the retired stack's endpoint record (records before checks)", on, log[0])
		}
	}
}

// Route 53's checkers cannot resolve names of a private hosted zone: Prepare refuses CNAME failover there, before
// anything is written; alias failover (ELB's own target health) and CNAME without failover are fine.
func TestPrepareRefusesCNAMEFailoverInAPrivateZone(t *testing.T) {
	for _, tt := range []struct {
		stored string
		want   string // "" means accepted
	}{
		{`"endpoint":{"type":"cname"},"routing":{"failover":true}`, "cannot resolve the stacks' names in private hosted zone example.com"},
		{`"routing":{"failover":true}`, ""},
		{`"endpoint":{"type":"cname"}`, ""},
	} {
		e := setup(t)
		e.zone.SetPrivate(zoneID)
		e.params[prefix+"demoapp"] = strings.Replace(strictConfig, `"health":`, tt.stored+`,"health":`, 1)
		_, err := e.call("prepare", deploy.State{Input: deploy.Input{App: "demoapp", Version: "v2"}})
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want accepted", tt.stored, err)
		case tt.want != "" && (typeName(err) != "ValidationError" || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want a ValidationError saying %q", tt.stored, err, tt.want)
		}
		if len(e.zone.Log) != 0 {
			t.Errorf("%s: prepare wrote %q", tt.stored, e.zone.Log)
		}
	}
}
