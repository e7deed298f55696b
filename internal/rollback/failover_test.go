package rollback_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/failover"
	"github.com/bluegreen-aws/bluegreen/internal/records"
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
