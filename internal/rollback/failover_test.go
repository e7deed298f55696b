package rollback_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/failover"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/rollback"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
	"github.com/bluegreen-aws/bluegreen/internal/zone/zonetest"
)

func flag(r records.Record, check string) records.Record {
	r = r.Clone()
	if r.Alias != nil {
		r.Alias.EvaluateTargetHealth = true
	}
	r.HealthCheckID = check
	return r
}

// The control plane still acts with failover on: a rollback mid-release puts the records back exactly as the plan
// recorded them — the live stack's endpoint too, when the release had turned failover on — in one batch, and
// deletes no health check (the failed stack's goes after its records, with the stack, after the drain time).
func TestRestoreWithFailover(t *testing.T) {
	t.Run("alias, failover turned on by the release", func(t *testing.T) {
		before := []records.Record{endpointRec(liveID), slotRec(records.Blue, liveID), activeRec(liveID), weightedRec(records.Blue, liveID, 100)}
		mid := []records.Record{flag(endpointRec(liveID), ""), slotRec(records.Blue, liveID), activeRec(liveID), flag(weightedRec(records.Blue, liveID, 70), ""),
			flag(endpointRec(newID), ""), slotRec(records.Green, newID), flag(weightedRec(records.Green, newID, 30), "")}
		f := zonetest.New()
		f.AddZone(zoneID, "example.com", mid...)
		plan := &deploy.Plan{Action: deploy.ActionDeploy, Live: slot(records.Blue, liveID), New: slot(records.Green, newID),
			Before: append(managed(before), endpointRec(liveID))}
		s := state(plan, func(c *deploy.Config) { c.Routing.Failover = true })
		s.Step = &deploy.Step{Index: 0, Percent: 30}
		if _, err := call(t, f, statuses{}, "restore", s); err != nil {
			t.Fatal(err)
		}
		got := records.Read(app, f.Records(zoneID), records.Facts{})
		if got.Phase != records.PhaseAtRest || f.Accepted["ChangeResourceRecordSets"] != 1 {
			t.Fatalf("after the restore: %s %q after %d batches", got.Phase, got.Problems, f.Accepted["ChangeResourceRecordSets"])
		}
		if diff := cmp.Diff(endpointRec(liveID), got.Endpoints[liveID]); diff != "" {
			t.Errorf("the live endpoint (-before +restored):\n%s", diff)
		}
		if diff := cmp.Diff(managed(before), managed(f.Records(zoneID))); diff != "" {
			t.Errorf("managed records (-before +restored):\n%s", diff)
		}
	})
	t.Run("cname with health checks", func(t *testing.T) {
		f := zonetest.New()
		checks := failover.New(f)
		ensure := func(id string) string {
			hc, err := checks.Ensure(context.Background(), failover.Spec{App: "demoapp", StackID: id, FQDN: app.EndpointName(id), Path: "/"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return hc
		}
		live, fresh := ensure(liveID), ensure(newID)
		cname := func(c records.Color, id string, w int64, hc string) records.Record {
			return records.Record{Name: app.HostName(), Type: "CNAME", TTL: 60, Values: []string{app.EndpointName(id)}, SetIdentifier: app.SetIdentifier(c), Weight: records.Weight(w), HealthCheckID: hc}
		}
		ep := func(id string) records.Record {
			return records.Record{Name: app.EndpointName(id), Type: "CNAME", TTL: 60, Values: []string{"lb-" + id + ".elb.amazonaws.com"}}
		}
		before := []records.Record{ep(liveID), slotRec(records.Blue, liveID), activeRec(liveID), cname(records.Blue, liveID, 100, live)}
		mid := []records.Record{ep(liveID), slotRec(records.Blue, liveID), activeRec(newID), cname(records.Blue, liveID, 0, live),
			ep(newID), slotRec(records.Green, newID), cname(records.Green, newID, 100, fresh)}
		f.AddZone(zoneID, "example.com", mid...)
		f.Log = nil
		plan := &deploy.Plan{Action: deploy.ActionDeploy, Live: slot(records.Blue, liveID), New: slot(records.Green, newID), Before: append(managed(before), ep(liveID))}
		s := state(plan, func(c *deploy.Config) {
			c.Endpoint.Type, c.Endpoint.TTL, c.Routing.Failover = deploy.EndpointCNAME, 60, true
		})
		s.Switched = true
		if _, err := call(t, f, statuses{}, "restore", s); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(managed(before), managed(f.Records(zoneID))); diff != "" {
			t.Errorf("managed records (-before +restored):\n%s", diff)
		}
		if n := len(f.HealthChecks()); n != 2 || slices.ContainsFunc(f.Log, func(l string) bool { return strings.HasPrefix(l, "delete-health-check") }) {
			t.Errorf("the restore deleted a health check (%d left; log %q): the failed stack's goes with it, after the drain", n, f.Log)
		}
	})
}

// callChecked runs an operation of the rollback function with the fake account's health checks.
func callChecked(t *testing.T, f *zonetest.Fake, st statuses, op string, s deploy.State) (deploy.State, error) {
	t.Helper()
	zones := zone.NewOpener(f, zone.Options{MinDelay: time.Millisecond, MaxDelay: time.Millisecond, Margin: time.Millisecond})
	fn := rollback.New(zones, st, nil).WithHealthChecks(failover.New(f)).Function(slog.New(slog.DiscardHandler))
	return fn.Handle(context.Background(), deploy.Request{Op: op, Execution: me, State: s})
}

// A repair turns CNAME failover on (the stacks' checks created before its one batch refers to them) or off (its
// batch drops them, then the checks no record uses are deleted).
func TestRepairMigratesFailover(t *testing.T) {
	cname := func(c records.Color, id string, w int64, hc string) records.Record {
		return records.Record{Name: app.HostName(), Type: "CNAME", TTL: 60, Values: []string{app.EndpointName(id)}, SetIdentifier: app.SetIdentifier(c), Weight: records.Weight(w), HealthCheckID: hc}
	}
	ep := func(id string) records.Record {
		return records.Record{Name: app.EndpointName(id), Type: "CNAME", TTL: 60, Values: []string{"lb-" + id + ".elb.amazonaws.com"}}
	}
	both := statuses{"demoapp-" + liveID: "CREATE_COMPLETE", "demoapp-" + idleID: "CREATE_COMPLETE"}
	repair := func(t *testing.T, f *zonetest.Fake, on bool) deploy.State {
		t.Helper()
		in := state(nil, func(c *deploy.Config) {
			c.Endpoint.Type, c.Endpoint.TTL, c.Routing.Failover = deploy.EndpointCNAME, 60, on
		})
		in.Input = deploy.Input{Action: deploy.ActionRepair, App: "demoapp", Live: "blue"}
		in.Plan = &deploy.Plan{Action: deploy.ActionRepair, Target: slot(records.Blue, liveID)}
		got, err := callChecked(t, f, both, "repair", in)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	t.Run("on", func(t *testing.T) {
		f := zonetest.New()
		f.AddZone(zoneID, "example.com", ep(liveID), ep(idleID), slotRec(records.Blue, liveID), slotRec(records.Green, idleID), activeRec(liveID),
			cname(records.Blue, liveID, 100, ""), cname(records.Green, idleID, 0, ""))
		repair(t, f, true)
		st := records.Read(app, f.Records(zoneID), records.Facts{})
		checks := f.HealthChecks()
		if len(checks) != 2 || st.Phase != records.PhaseAtRest {
			t.Fatalf("%d checks, phase %s %q", len(checks), st.Phase, st.Problems)
		}
		for c, w := range st.Weighted {
			if _, ok := checks[w.HealthCheckID]; !ok {
				t.Errorf("%s's weighted record %s names no check of the account", c, w)
			}
		}
		if n := f.Accepted["ChangeResourceRecordSets"]; n != 1 || !strings.HasPrefix(f.Log[0], "create-health-check") || !strings.HasPrefix(f.Log[2], "change ") {
			t.Errorf("writes %q (%d batches), want the two checks, then one batch", f.Log, n)
		}
	})
	t.Run("off", func(t *testing.T) {
		f := zonetest.New()
		c := failover.New(f)
		var ids []string
		for _, id := range []string{liveID, idleID} {
			hc, err := c.Ensure(context.Background(), failover.Spec{App: "demoapp", StackID: id, FQDN: app.EndpointName(id), Path: "/"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, hc)
		}
		f.AddZone(zoneID, "example.com", ep(liveID), ep(idleID), slotRec(records.Blue, liveID), slotRec(records.Green, idleID), activeRec(liveID),
			cname(records.Blue, liveID, 100, ids[0]), cname(records.Green, idleID, 0, ids[1]))
		f.Log = nil
		got := repair(t, f, false)
		st := records.Read(app, f.Records(zoneID), records.Facts{})
		for c, w := range st.Weighted {
			if w.HealthCheckID != "" {
				t.Errorf("%s's weighted record %s keeps its check", c, w)
			}
		}
		if len(f.HealthChecks()) != 0 || len(f.Log) != 3 || !strings.HasPrefix(f.Log[0], "change ") {
			t.Errorf("checks left %v; writes %q; want the batch, then both checks deleted", f.HealthChecks(), f.Log)
		}
		if n := len(got.Repair.Changes); n == 0 || !strings.HasPrefix(got.Repair.Changes[n-1], "DELETE health check") {
			t.Errorf("the repair's report %q does not name the deleted checks", got.Repair.Changes)
		}
	})
}
