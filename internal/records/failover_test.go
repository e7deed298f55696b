package records

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checks are the Route 53 health checks of the fixtures' stacks.
var checks = map[string]string{id1: "hc-111111", id2: "hc-222222", id3: "hc-333333"}

// failoverRouting is m's routing with failover on or off.
func failoverRouting(m mode, on bool) Routing {
	rt := m.routing()
	rt.Failover = on
	if on && m.cname {
		rt.HealthChecks = checks
	}
	return rt
}

// flagged is a record as failover writes it, written out by hand: an alias evaluates its target's health; a weighted
// CNAME carries its stack's health check; a CNAME endpoint record stays as it is.
func flagged(r Record, stackID string) Record {
	r = r.Clone()
	switch {
	case r.Alias != nil:
		r.Alias.EvaluateTargetHealth = true
	case r.Weight != nil:
		r.HealthCheckID = checks[stackID]
	}
	return r
}

// With failover off the records are as before it existed; with it on they carry the flag (alias) or the stack's
// health check (CNAME weighted records), at a sub-domain host and at the zone apex alike.
func TestFailoverRecords(t *testing.T) {
	for _, m := range []mode{aliasMode, cnameMode, apexMode} {
		for _, on := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/failover=%v", m.name, on), func(t *testing.T) {
				a, rt := m.app(t, "demo"), failoverRouting(m, on)
				ep, err := a.EndpointRecord(rt, id1, lbTarget(id1))
				if err != nil {
					t.Fatal(err)
				}
				w := a.WeightedRecord(rt, Blue, id1, 100)
				wantEP, wantW := endpointRec(a, m, id1), weightedRec(a, m, Blue, id1, 100)
				if on {
					wantEP, wantW = flagged(wantEP, id1), flagged(wantW, id1)
				}
				if diff := cmp.Diff(wantEP, ep); diff != "" {
					t.Errorf("endpoint record (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(wantW, w); diff != "" {
					t.Errorf("weighted record (-want +got):\n%s", diff)
				}
				if m.apex && (w.Type != TypeA || w.Alias == nil || w.Name != "example.com") {
					t.Errorf("at the apex the weighted record is %s, want an alias A at example.com", w)
				}
			})
		}
	}
	rt := failoverRouting(cnameMode, true)
	var missing *MissingHealthCheckError
	if err := rt.Ready(id1, id4); !errors.As(err, &missing) || missing.StackID != id4 {
		t.Errorf("Ready without stack %s's health check = %v, want a MissingHealthCheckError naming it", id4, err)
	}
	if err := failoverRouting(aliasMode, true).Ready(id4); err != nil {
		t.Errorf("an alias app needs no health check: %v", err)
	}
}

// release runs one release of id into color c with rt through Apply, as the deployer does (endpoint, slot, one step
// when a stack is live, switch), and returns the records, failing on any batch Route 53 would refuse.
func release(t *testing.T, a App, rt Routing, rs []Record, c Color, id string) []Record {
	t.Helper()
	apply := func(b Batch, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if b.Empty() {
			return
		}
		var aerr error
		if rs, aerr = Apply(exampleZone, rs, b); aerr != nil {
			t.Fatalf("%s: %v", b.Comment, aerr)
		}
	}
	state := func() State { return Read(a, rs, Facts{OtherRunning: true}) }
	apply(a.PublishEndpoint(rt, id, lbTarget(id)))
	apply(a.PublishSlot(rt, state(), c, id), nil)
	if len(state().Weighted) > 0 {
		apply(a.Shift(rt, state(), c, 10))
	}
	apply(a.Switch(rt, state(), c, nil))
	return rs
}

// assertForm checks that every record of the app routing traffic has the failover form on (or off).
func assertForm(t *testing.T, a App, rs []Record, m mode, on bool) {
	t.Helper()
	st := Read(a, rs, Facts{})
	if st.Phase != PhaseAtRest {
		t.Fatalf("phase %s, problems %q", st.Phase, st.Problems)
	}
	for c, w := range st.Weighted {
		id := st.Slots[c]
		want := weightedRec(a, m, c, id, *w.Weight)
		if on {
			want = flagged(want, id)
		}
		if diff := cmp.Diff(want, w); diff != "" {
			t.Errorf("%s weighted record (-want +got):\n%s", c, diff)
		}
		want = endpointRec(a, m, id)
		if on {
			want = flagged(want, id)
		}
		if diff := cmp.Diff(want, st.Endpoints[id]); diff != "" {
			t.Errorf("%s's endpoint record (-want +got):\n%s", c, diff)
		}
	}
}

// Releases with failover on keep every record in its form, and the reader takes flagged records as it takes others.
func TestFailoverReleases(t *testing.T) {
	for _, m := range []mode{aliasMode, cnameMode, apexMode} {
		t.Run(m.name, func(t *testing.T) {
			a, rt := m.app(t, "demo"), failoverRouting(m, true)
			rs := release(t, a, rt, nil, Blue, id1)
			assertForm(t, a, rs, m, true)
			rs = release(t, a, rt, rs, Green, id2)
			assertForm(t, a, rs, m, true)
			rs = release(t, a, rt, rs, Blue, id3)
			assertForm(t, a, rs, m, true)
		})
	}
}

// Turning failover on or off rewrites the live stack's records in the next release's slot batch, beside the new
// stack's (one batch); a rollback's restore puts back exactly the records as they were, endpoint included; a repair
// migrates as well.
func TestFailoverMigration(t *testing.T) {
	for _, m := range []mode{aliasMode, cnameMode, apexMode} {
		for _, on := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/to failover=%v", m.name, on), func(t *testing.T) {
				a, from, to := m.app(t, "demo"), failoverRouting(m, !on), failoverRouting(m, on)
				rs := release(t, a, from, nil, Blue, id1)
				assertForm(t, a, rs, m, !on)
				st := Read(a, rs, Facts{})
				before := cat(managedRecords(a, rs), []Record{st.Endpoints[id1]})

				ep, err := a.PublishEndpoint(to, id2, lbTarget(id2))
				if err != nil {
					t.Fatal(err)
				}
				if rs, err = Apply(exampleZone, rs, ep); err != nil {
					t.Fatal(err)
				}
				slot := a.PublishSlot(to, Read(a, rs, Facts{}), Green, id2)
				rewritten := map[Key]bool{}
				for _, c := range slot.Changes {
					rewritten[c.Record.Key()] = true
				}
				if !rewritten[weightedRec(a, m, Blue, id1, 0).Key()] {
					t.Errorf("the slot batch does not rewrite the live weighted record: %v", slot.Changes)
				}
				if live := endpointRec(a, m, id1).Key(); !m.cname && !rewritten[live] {
					t.Errorf("the slot batch does not rewrite the live endpoint record: %v", slot.Changes)
				}
				mid, err := Apply(exampleZone, rs, slot)
				if err != nil {
					t.Fatalf("the migrating slot batch: %v", err)
				}
				// Rolled back here: the records as they were, the live stack's endpoint too.
				restored, err := Apply(exampleZone, mid, a.Restore(Read(a, mid, Facts{OtherRunning: true}), before))
				if err != nil {
					t.Fatal(err)
				}
				rs2 := Read(a, restored, Facts{})
				got := cat(managedRecords(a, restored), []Record{rs2.Endpoints[id1]})
				if diff := cmp.Diff(sortedRecords(before), sortedRecords(got)); diff != "" {
					t.Errorf("restored (-before +after):\n%s", diff)
				}
				// Or it goes on: every record in the new form after the switch.
				after := release(t, a, to, rs, Green, id2)
				assertForm(t, a, after, m, on)
				// A repair migrates too, with the live stack's records in one batch.
				b, err := a.Repair(to, Read(a, restored, Facts{}), Blue, []string{id1, id2})
				if err != nil {
					t.Fatal(err)
				}
				repaired, err := Apply(exampleZone, restored, b)
				if err != nil {
					t.Fatalf("repair: %v", err)
				}
				assertForm(t, a, repaired, m, on)
			})
		}
	}
}

// managedRecords are the records a plan keeps (App.Managed), sorted as the reader sorts them.
func managedRecords(a App, rs []Record) []Record {
	var out []Record
	for _, r := range Read(a, rs, Facts{}).Records {
		if a.Managed(r) {
			out = append(out, r)
		}
	}
	return out
}

// Two apps in one zone, one with failover: its releases and its migration leave the other's records as they were.
func TestFailoverLeavesTheOtherAppAlone(t *testing.T) {
	for _, m := range []mode{aliasMode, cnameMode} {
		t.Run(m.name, func(t *testing.T) {
			demo, shop := m.app(t, "demo"), m.app(t, "shop")
			rs := release(t, shop, m.routing(), nil, Blue, id4)
			rs = release(t, demo, failoverRouting(m, false), rs, Blue, id1)
			shopBefore := Read(shop, rs, Facts{}).Records
			rs = release(t, demo, failoverRouting(m, true), rs, Green, id2)
			assertForm(t, demo, rs, m, true)
			if diff := cmp.Diff(shopBefore, Read(shop, rs, Facts{}).Records); diff != "" {
				t.Errorf("shop's records changed (-before +after):\n%s", diff)
			}
			assertForm(t, shop, rs, m, false)
		})
	}
}
