package records

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestApply has, for every rule of Apply's doc comment, a batch that breaks it and one that does not.
func TestApply(t *testing.T) {
	demo := mustApp(t, "demo", "")
	apex := mustApp(t, "demo", "example.com")
	host := demo.HostName()
	note := txtRec("note.example.com", "hello")
	// at rest: blue live, green idle, both stacks up (alias routing).
	base := []Record{endpointRec(demo, aliasMode, id1), endpointRec(demo, aliasMode, id2), slotRec(demo, Blue, id1),
		slotRec(demo, Green, id2), activeRec(demo, id1), weightedRec(demo, aliasMode, Blue, id1, 100),
		weightedRec(demo, aliasMode, Green, id2, 0), note}
	// the same with CNAME routing.
	cnameBase := []Record{endpointRec(demo, cnameMode, id1), endpointRec(demo, cnameMode, id2),
		weightedRec(demo, cnameMode, Blue, id1, 100), weightedRec(demo, cnameMode, Green, id2, 0)}
	withWeight := func(r Record, w int64) Record { r = r.Clone(); r.Weight = &w; return r }
	withTTL := func(r Record, ttl int64) Record { r = r.Clone(); r.TTL = ttl; return r }
	withName := func(r Record, n string) Record { r = r.Clone(); r.Name = n; return r }
	blueW, greenW := weightedRec(demo, aliasMode, Blue, id1, 100), weightedRec(demo, aliasMode, Green, id2, 0)
	endpoint3 := endpointRec(demo, aliasMode, id3)
	ch := func(a Action, r Record) Change { return Change{Action: a, Record: r} }
	up := func(r Record) []Change { return []Change{ch(Upsert, r)} }
	rec := func(name, typ string, values ...string) Record {
		return Record{Name: name, Type: typ, TTL: 60, Values: values}
	}
	withSetID := func(r Record, id string) Record { r.SetIdentifier = id; return r }
	withWeightOnly := func(r Record, w *int64) Record { r.Weight = w; return r }
	cnameRec := func(name string, values ...string) Record {
		return Record{Name: name, Type: TypeCNAME, TTL: 60, Values: values}
	}
	// a record of a routing policy the model does not name (latency, failover): a SetIdentifier without weight.
	latency := func(id string) Record {
		return Record{Name: "geo.example.com", Type: TypeTXT, TTL: 60, Values: []string{`"` + id + `"`}, SetIdentifier: id}
	}
	many := make([]Change, 1001)
	for i := range many {
		many[i] = ch(Upsert, txtRec(fmt.Sprintf("n%d.example.com", i), "x"))
	}

	tests := []struct {
		name    string
		current []Record // nil: base
		changes []Change
		want    []string // one substring per expected problem; empty: accepted
	}{
		{name: "empty batch", want: []string{"at least one change"}},
		{name: "more than 1000 changes", changes: many, want: []string{"at most 1000"}},
		{name: "1000 changes", changes: many[:1000]},

		{name: "CREATE of a new record", changes: []Change{ch(Create, txtRec("new.example.com", "x"))}},
		{name: "CREATE of an existing record", changes: []Change{ch(Create, note)}, want: []string{"already exists"}},
		{name: "UPSERT of an existing record", changes: up(txtRec("note.example.com", "bye"))},
		{name: "DELETE with the current data", changes: []Change{ch(Delete, note)}},
		{name: "DELETE of a missing record", changes: []Change{ch(Delete, txtRec("gone.example.com", "x"))}, want: []string{"does not exist"}},
		{name: "DELETE with other values", changes: []Change{ch(Delete, txtRec("note.example.com", "bye"))}, want: []string{"do not match"}},
		{name: "DELETE with another TTL", changes: []Change{ch(Delete, withTTL(note, 60))}, want: []string{"do not match"}},
		{name: "unknown action", changes: []Change{ch("REPLACE", note)}, want: []string{"unknown action"}},

		{name: "weight 255", changes: up(withWeight(blueW, 255))},
		{name: "weight 256", changes: up(withWeight(blueW, 256)), want: []string{"outside 0-255"}},
		{name: "weight -1", changes: up(withWeight(blueW, -1)), want: []string{"outside 0-255"}},
		{name: "SetIdentifier without weight", changes: up(withSetID(rec("w.example.com", TypeTXT, `"x"`), "x")),
			want: []string{"needs a routing policy"}},
		{name: "weight without SetIdentifier", changes: up(withWeightOnly(rec("w.example.com", TypeTXT, `"x"`), Weight(1))),
			want: []string{"needs a SetIdentifier"}},

		{name: "quoted TXT", changes: up(rec("t.example.com", TypeTXT, `"a b"`, `"c"`))},
		{name: "unquoted TXT", changes: up(rec("t.example.com", TypeTXT, "123456")), want: []string{"not quoted"}},
		{name: "half-quoted TXT", changes: up(rec("t.example.com", TypeTXT, `"123456`)), want: []string{"not quoted"}},
		{name: "record without values", changes: up(Record{Name: "t.example.com", Type: TypeTXT, TTL: 60}), want: []string{"at least one value"}},
		{name: "A with an IPv4 address", changes: up(simpleA("ip.example.com"))},
		{name: "A with a name for a value", changes: up(rec("ip.example.com", TypeA, "lb.example.net")), want: []string{"not an IPv4 address"}},
		{name: "AAAA with an IPv4 address", changes: up(rec("ip.example.com", "AAAA", "192.0.2.1")), want: []string{"not an IPv6 address"}},
		{name: "type the deployer does not write", changes: up(rec("m.example.com", "MX", "10 mx.example.com")), want: []string{"not one the deployer writes"}},

		{name: "CNAME below the apex", changes: up(cnameRec("c.example.com", "lb.example.net"))},
		{name: "CNAME at the apex", changes: up(cnameRec("example.com", "lb.example.net")), want: []string{"zone apex"}},
		{name: "CNAME with two values", changes: up(cnameRec("c.example.com", "a.example.net", "b.example.net")), want: []string{"exactly one value"}},
		{name: "CNAME with a trailing dot", changes: up(cnameRec("c.example.com", "lb.example.net.")), want: []string{"CNAME value"}},
		{name: "CNAME beside another type", changes: up(cnameRec("note.example.com", "lb.example.net")), want: []string{"CNAME cannot stand beside"}},

		{name: "simple beside weighted", changes: up(simpleA(host)), want: []string{"simple record cannot stand beside weighted"}},
		{name: "weighted beside simple", current: []Record{endpointRec(demo, aliasMode, id1), simpleA(host)},
			changes: up(blueW), want: []string{"simple record cannot stand beside weighted"}},
		{name: "adoption: DELETE simple + CREATE weighted", current: []Record{endpointRec(demo, aliasMode, id1), simpleA(host)},
			changes: []Change{ch(Delete, simpleA(host)), ch(Create, blueW)}},
		{name: "weighted of another type beside simple", current: []Record{endpointRec(demo, cnameMode, id1), txtRec(host, "v=spf1")},
			changes: up(weightedRec(demo, cnameMode, Blue, id1, 100)), want: []string{"CNAME cannot stand beside"}},

		{name: "a record of another type beside latency records", current: cat(base, []Record{latency("eu"), latency("us")}),
			changes: up(simpleA("geo.example.com"))},
		{name: "simple beside latency records", current: cat(base, []Record{latency("eu"), latency("us")}),
			changes: up(txtRec("geo.example.com", "x")), want: []string{"another routing policy"}},
		{name: "weights 0 and 100", changes: up(withWeight(greenW, 0))},
		{name: "all-zero weighted group", changes: up(withWeight(blueW, 0)), want: []string{"every weight of the weighted group is 0"}},
		{name: "new group of one zero weight", current: []Record{endpointRec(demo, aliasMode, id1)},
			changes: []Change{ch(Create, withWeight(blueW, 0))}, want: []string{"every weight"}},
		{name: "deleting the only non-zero weight", changes: []Change{ch(Delete, blueW)}, want: []string{"every weight"}},
		{name: "weighted CNAME group with one TTL", current: cnameBase,
			changes: up(withWeight(weightedRec(demo, cnameMode, Green, id2, 0), 10))},
		{name: "weighted CNAME group with two TTLs", current: cnameBase,
			changes: up(withTTL(weightedRec(demo, cnameMode, Green, id2, 0), 300)), want: []string{"different TTLs"}},

		{name: "alias with a TTL", changes: up(withTTL(blueW, 60)), want: []string{"no TTL"}},
		{name: "alias with values", changes: up(Record{Name: blueW.Name, Type: TypeA, SetIdentifier: blueW.SetIdentifier, Weight: blueW.Weight,
			Alias: blueW.Alias, Values: []string{"192.0.2.1"}}), want: []string{"no TTL and no values"}},
		{name: "alias of type CNAME", changes: up(Record{Name: "c.example.com", Type: TypeCNAME, Alias: &Alias{HostedZoneID: zoneID, DNSName: "note.example.com"}}),
			want: []string{"of type A"}},
		{name: "alias to a missing record", changes: up(weightedRec(demo, aliasMode, Green, id3, 0)),
			want: []string{"alias target demo-333333.example.com does not exist"}},
		{name: "alias to a record created in the same batch", changes: []Change{ch(Upsert, endpoint3), ch(Upsert, weightedRec(demo, aliasMode, Green, id3, 0))},
			want: []string{"created in the same batch"}},
		{name: "alias to a record created in an earlier batch", current: cat(base, []Record{endpoint3}),
			changes: up(weightedRec(demo, aliasMode, Green, id3, 0))},
		{name: "deleting an alias target", changes: []Change{ch(Delete, endpointRec(demo, aliasMode, id2))},
			want: []string{"alias target demo-222222.example.com does not exist"}},
		{name: "alias at the apex", current: []Record{endpointRec(apex, aliasMode, id1)},
			changes: []Change{ch(Create, weightedRec(apex, aliasMode, Blue, id1, 100))}},

		{name: "upper-case name", changes: up(withName(note, "Note.example.com")), want: []string{"lower-case"}},
		{name: "trailing dot", changes: up(withName(note, "note.example.com.")), want: []string{"lower-case"}},
		{name: "name outside the zone", changes: up(withName(note, "note.example.org")), want: []string{"not in zone"}},
		{name: "name that only ends like the zone", changes: up(withName(note, "notexample.com")), want: []string{"not in zone"}},

		{name: "UPSERT twice", changes: []Change{ch(Upsert, withWeight(greenW, 10)), ch(Upsert, withWeight(greenW, 20))}, want: []string{"changed twice"}},
		{name: "DELETE then CREATE", changes: []Change{ch(Delete, note), ch(Create, txtRec("note.example.com", "bye"))}},
		{name: "CREATE then DELETE", current: []Record{}, changes: []Change{ch(Create, note), ch(Delete, note)}, want: []string{"changed twice"}},
		{name: "DELETE, CREATE, DELETE", changes: []Change{ch(Delete, note), ch(Create, note), ch(Delete, note)}, want: []string{"changed twice"}},

		{name: "two rules broken, both listed", changes: []Change{ch(Upsert, withWeight(blueW, 300)), ch(Create, note)},
			want: []string{"outside 0-255", "already exists"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			current := tt.current
			if current == nil {
				current = base
			}
			saved := cloneRecords(current)
			got, err := Apply(exampleZone, current, Batch{Changes: tt.changes})
			if diff := cmp.Diff(saved, current); diff != "" {
				t.Errorf("Apply changed its input (-before +after):\n%s", diff)
			}
			if len(tt.want) > 0 {
				var ibe *InvalidBatchError
				if !errors.As(err, &ibe) {
					t.Fatalf("Apply = %v, want an *InvalidBatchError with %q", err, tt.want)
				}
				checkProblems(t, ibe.Problems, tt.want)
				if got != nil {
					t.Errorf("Apply refused the batch but returned records %v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply = %v, want the batch accepted", err)
			}
			if diff := cmp.Diff(sortedRecords(model(current, tt.changes)), sortedRecords(got)); diff != "" {
				t.Errorf("Apply result mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// model applies changes the simple way, for comparing accepted results.
func model(current []Record, changes []Change) []Record {
	m := map[Key]Record{}
	for _, r := range current {
		m[r.Key()] = r
	}
	for _, c := range changes {
		if c.Action == Delete {
			delete(m, c.Record.Key())
		} else {
			m[c.Record.Key()] = c.Record
		}
	}
	out := make([]Record, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	return out
}

// TestApplyChecksOnlyTouchedNames: a foreign record set that breaks a rule elsewhere in the zone does not block an
// unrelated batch, but does block a batch that writes beside it.
func TestApplyChecksOnlyTouchedNames(t *testing.T) {
	other := mustApp(t, "other", "")
	foreign := []Record{ // a foreign all-zero weighted group (written by hand in the console, say)
		{Name: other.HostName(), Type: TypeA, TTL: 60, Values: []string{"192.0.2.1"}, SetIdentifier: "x", Weight: Weight(0)},
		{Name: other.HostName(), Type: TypeA, TTL: 60, Values: []string{"192.0.2.2"}, SetIdentifier: "y", Weight: Weight(0)},
	}
	demo := mustApp(t, "demo", "")
	unrelated := Batch{Changes: []Change{{Action: Upsert, Record: endpointRec(demo, aliasMode, id1)}}}
	got, err := Apply(exampleZone, foreign, unrelated)
	if err != nil {
		t.Fatalf("Apply(unrelated batch beside a foreign all-zero group) = %v, want it accepted", err)
	}
	if diff := cmp.Diff(sortedRecords(cat(foreign, []Record{endpointRec(demo, aliasMode, id1)})), sortedRecords(got)); diff != "" {
		t.Errorf("Apply result mismatch (-want +got):\n%s", diff)
	}
	beside := Batch{Changes: []Change{{Action: Upsert, Record: txtRec(other.HostName(), "x")}}}
	_, err = Apply(exampleZone, foreign, beside)
	var ibe *InvalidBatchError
	if !errors.As(err, &ibe) {
		t.Fatalf("Apply(batch writing beside the all-zero group) = %v, want an *InvalidBatchError", err)
	}
	checkProblems(t, ibe.Problems, []string{"every weight"})
}

// TestApplyAliasInTwoBatches is the order DESIGN.md asks for: an endpoint in its own batch, then what aliases it.
func TestApplyAliasInTwoBatches(t *testing.T) {
	demo := mustApp(t, "demo", "")
	endpoint := Batch{Changes: []Change{{Action: Upsert, Record: endpointRec(demo, aliasMode, id1)}}}
	weighted := Batch{Changes: []Change{{Action: Upsert, Record: weightedRec(demo, aliasMode, Blue, id1, 100)}}}
	together := Batch{Changes: append(append([]Change(nil), endpoint.Changes...), weighted.Changes...)}
	if _, err := Apply(exampleZone, nil, together); err == nil {
		t.Error("Apply(endpoint and its alias in one batch) = nil, want an error")
	}
	rs, err := Apply(exampleZone, nil, endpoint)
	if err != nil {
		t.Fatalf("Apply(endpoint) = %v", err)
	}
	rs, err = Apply(exampleZone, rs, weighted)
	if err != nil {
		t.Fatalf("Apply(weighted, after the endpoint's batch) = %v", err)
	}
	want := []Record{endpointRec(demo, aliasMode, id1), weightedRec(demo, aliasMode, Blue, id1, 100)}
	if diff := cmp.Diff(sortedRecords(want), sortedRecords(rs)); diff != "" {
		t.Errorf("records mismatch (-want +got):\n%s", diff)
	}
}
