package records

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestRead(t *testing.T) {
	demo, demo2 := mustApp(t, "demo", ""), mustApp(t, "demo2", "")
	apex := mustApp(t, "demo", "example.com")
	host := demo.HostName()
	ep := func(a App, m mode, ids ...string) []Record {
		var out []Record
		for _, id := range ids {
			out = append(out, endpointRec(a, m, id))
		}
		return out
	}
	// The states of a release, for app a routed by m.
	halfBuilt := func(a App, m mode) []Record { return cat(ep(a, m, id1), []Record{slotRec(a, Blue, id1)}) }
	live := func(a App, m mode) []Record {
		return cat(halfBuilt(a, m), []Record{weightedRec(a, m, Blue, id1, 100), activeRec(a, id1)})
	}
	twoColors := func(a App, m mode, blue, green int64) []Record {
		return cat(ep(a, m, id1, id2), []Record{slotRec(a, Blue, id1), slotRec(a, Green, id2), activeRec(a, id1),
			weightedRec(a, m, Blue, id1, blue), weightedRec(a, m, Green, id2, green)})
	}
	rest := twoColors(demo, aliasMode, 100, 0)
	unquoted := slotRec(demo, Blue, id1)
	unquoted.Values = []string{id1}
	twoValues := slotRec(demo, Blue, id1)
	twoValues.Values = []string{`"` + id1 + `"`, `"` + id2 + `"`}
	loud := slotRec(demo, Blue, id1)
	loud.Name = "STACK.Blue.DEMO.example.com."
	wrongType := slotRec(demo, Blue, id1)
	wrongType.Type, wrongType.Values = TypeA, []string{"192.0.2.1"}
	secondSlot := slotRec(demo, Green, id3) // a weighted TXT record beside the slot's: another key, the same name
	secondSlot.SetIdentifier, secondSlot.Weight = "x", Weight(1)
	secondActive := activeRec(demo, id2)
	secondActive.SetIdentifier, secondActive.Weight = "x", Weight(1)
	foreignID := weightedRec(demo, aliasMode, Blue, id1, 0)
	foreignID.SetIdentifier = "demo2-blue" // app demo2 configured with demo's host
	apexNS := Record{Name: "example.com", Type: "NS", TTL: 172800, Values: []string{"ns-1.awsdns-01.org"}}
	apexSOA := Record{Name: "example.com", Type: "SOA", TTL: 900, Values: []string{"ns-1.awsdns-01.org hostmaster 1 7200 900 1209600 86400"}}

	type want struct {
		summary
		problems  []string
		hostOther int
		records   int // how many records Read took as the app's
	}
	atRest := func(active string, c Color, slots map[Color]string, w map[Color]int64) summary {
		return summary{Phase: PhaseAtRest, Active: active, ActiveColor: c, Slots: slots, Weights: w}
	}
	restSummary := atRest(id1, Blue, map[Color]string{Blue: id1, Green: id2}, map[Color]int64{Blue: 100, Green: 0})
	inconsistent := func(s summary) summary { s.Phase = PhaseInconsistent; return s }
	tests := []struct {
		name  string
		app   App
		recs  []Record
		facts Facts
		want  want
	}{
		{name: "empty", app: demo, want: want{summary: summary{Phase: PhaseEmpty}}},
		{name: "endpoints of kept stacks only", app: demo, recs: ep(demo, aliasMode, id1, id2),
			want: want{summary: summary{Phase: PhaseEmpty}, records: 2}},
		{name: "first release half-built", app: demo, recs: halfBuilt(demo, aliasMode),
			want: want{summary: summary{Phase: PhaseBuilding, Slots: map[Color]string{Blue: id1}}, records: 2}},
		{name: "first release live", app: demo, recs: live(demo, aliasMode),
			want: want{summary: atRest(id1, Blue, map[Color]string{Blue: id1}, map[Color]int64{Blue: 100}), records: 4}},
		{name: "two colors at rest", app: demo, recs: rest, want: want{summary: restSummary, records: 7}},
		{name: "green live at rest", app: demo, recs: cat(twoColors(demo, aliasMode, 0, 100)[:4], []Record{activeRec(demo, id2)}, twoColors(demo, aliasMode, 0, 100)[5:]),
			want: want{summary: atRest(id2, Green, map[Color]string{Blue: id1, Green: id2}, map[Color]int64{Blue: 0, Green: 100}), records: 7}},
		{name: "mid-shift, deployment running", app: demo, recs: twoColors(demo, aliasMode, 70, 30), facts: Facts{OtherRunning: true},
			want: want{summary: summary{Phase: PhaseMoving, Active: id1, ActiveColor: Blue, Slots: map[Color]string{Blue: id1, Green: id2},
				Weights: map[Color]int64{Blue: 70, Green: 30}}, records: 7}},
		{name: "mid-shift, dead run", app: demo, recs: twoColors(demo, aliasMode, 70, 30),
			want: want{summary: summary{Phase: PhaseInconsistent, Active: id1, ActiveColor: Blue, Slots: map[Color]string{Blue: id1, Green: id2},
				Weights: map[Color]int64{Blue: 70, Green: 30}}, problems: []string{"idle color green has weight 30"}, records: 7}},
		{name: "weight on the idle color only", app: demo, recs: twoColors(demo, aliasMode, 0, 100),
			want: want{summary: inconsistent(atRest(id1, Blue, map[Color]string{Blue: id1, Green: id2}, map[Color]int64{Blue: 0, Green: 100})),
				problems: []string{"active color blue (stack 111111) has weight 0", "idle color green has weight 100"}, records: 7}},
		{name: "weighted record at the wrong stack", app: demo,
			recs: cat(rest[:6], []Record{weightedRec(demo, aliasMode, Green, id3, 0)}),
			want: want{summary: inconsistent(restSummary),
				problems: []string{"green weighted record points at demo-333333.example.com, not at demo-222222.example.com"}, records: 7}},
		{name: "weighted record with an empty slot", app: demo,
			recs: cat(ep(demo, aliasMode, id1, id2), []Record{slotRec(demo, Blue, id1), activeRec(demo, id1),
				weightedRec(demo, aliasMode, Blue, id1, 100), weightedRec(demo, aliasMode, Green, id2, 0)}),
			want: want{summary: inconsistent(atRest(id1, Blue, map[Color]string{Blue: id1}, map[Color]int64{Blue: 100, Green: 0})),
				problems: []string{"green slot is empty"}, records: 6}},
		{name: "active names no slot's stack", app: demo, recs: cat(rest[:4], []Record{activeRec(demo, id3)}, rest[5:]),
			want: want{summary: summary{Phase: PhaseInconsistent, Active: id3, Slots: map[Color]string{Blue: id1, Green: id2},
				Weights: map[Color]int64{Blue: 100, Green: 0}}, problems: []string{"stack.active names stack 333333, which no slot holds"}, records: 7}},
		{name: "weighted without active", app: demo, recs: cat(rest[:4], rest[5:]),
			want: want{summary: summary{Phase: PhaseInconsistent, Slots: map[Color]string{Blue: id1, Green: id2}, Weights: map[Color]int64{Blue: 100, Green: 0}},
				problems: []string{"stack.active is missing"}, records: 6}},
		{name: "active without weighted", app: demo, recs: cat(halfBuilt(demo, aliasMode), []Record{activeRec(demo, id1)}),
			want: want{summary: inconsistent(atRest(id1, Blue, map[Color]string{Blue: id1}, nil)),
				problems: []string{"host demo.example.com has no weighted record", "active color blue (stack 111111) has weight 0"}, records: 3}},
		{name: "unquoted slot TXT", app: demo, recs: []Record{endpointRec(demo, aliasMode, id1), unquoted},
			want: want{summary: summary{Phase: PhaseInconsistent}, problems: []string{`value 111111 is not a quoted string`}, records: 2}},
		{name: "bad stack id in a slot TXT", app: demo, recs: []Record{txtRec(demo.SlotName(Blue), "12ab56")},
			want: want{summary: summary{Phase: PhaseInconsistent}, problems: []string{`stack id "12ab56" must be exactly 6 digits`}, records: 1}},
		{name: "bad stack id in the active TXT", app: demo, recs: cat(rest[:4], []Record{txtRec(demo.ActiveName(), "x")}, rest[5:]),
			want: want{summary: summary{Phase: PhaseInconsistent, Slots: map[Color]string{Blue: id1, Green: id2}, Weights: map[Color]int64{Blue: 100, Green: 0}},
				problems: []string{`stack.active.demo.example.com: stack id "x"`, "stack.active is missing"}, records: 7}},
		{name: "two records at a slot name", app: demo, recs: cat(rest, []Record{secondSlot}),
			want: want{summary: inconsistent(atRest(id1, Blue, map[Color]string{Blue: id1, Green: id3}, map[Color]int64{Blue: 100, Green: 0})),
				problems: []string{"stack.green.demo.example.com has more than one record (stacks 222222 and 333333)",
					"green weighted record points at demo-222222.example.com, not at demo-333333.example.com"}, records: 8}},
		{name: "two records at the active name", app: demo, recs: cat([]Record{secondActive}, rest),
			want: want{summary: inconsistent(restSummary), problems: []string{"stack.active.demo.example.com has more than one record (stacks 222222 and 111111)"}, records: 8}},
		{name: "slot TXT with two values", app: demo, recs: []Record{twoValues},
			want: want{summary: summary{Phase: PhaseInconsistent}, problems: []string{"want one value, have 2"}, records: 1}},
		{name: "slot record of another type", app: demo, recs: []Record{wrongType},
			want: want{summary: summary{Phase: PhaseInconsistent}, problems: []string{"is a A record, want TXT"}, records: 1}},
		{name: "names normalized", app: demo, recs: cat(ep(demo, aliasMode, id1), []Record{loud}),
			want: want{summary: summary{Phase: PhaseBuilding, Slots: map[Color]string{Blue: id1}}, records: 2}},
		{name: "simple record at the host: adoption candidate", app: demo, recs: []Record{simpleA(host)},
			want: want{summary: summary{Phase: PhaseEmpty}, hostOther: 1, records: 1}},
		{name: "simple record at the host during a first release", app: demo, recs: cat(halfBuilt(demo, aliasMode), []Record{simpleA(host)}),
			want: want{summary: summary{Phase: PhaseBuilding, Slots: map[Color]string{Blue: id1}}, hostOther: 1, records: 3}},
		{name: "simple record beside weighted", app: demo, recs: cat(rest, []Record{simpleA(host)}),
			want: want{summary: inconsistent(restSummary), problems: []string{"simple A record beside the weighted ones"}, hostOther: 1, records: 8}},
		{name: "another app's records ignored", app: demo, recs: cat(twoColors(demo2, aliasMode, 30, 70), live(demo, aliasMode), ep(demo2, aliasMode, id3)),
			want: want{summary: atRest(id1, Blue, map[Color]string{Blue: id1}, map[Color]int64{Blue: 100}), records: 4}},
		{name: "the other app's view", app: demo2, recs: cat(live(demo, aliasMode), twoColors(demo2, aliasMode, 100, 0)),
			want: want{summary: restSummary, records: 7}},
		{name: "foreign SetIdentifier at the host", app: demo, recs: cat(rest, []Record{foreignID}),
			want: want{summary: inconsistent(restSummary), problems: []string{"(demo2-blue) that belongs to no color of app demo"}, hostOther: 1, records: 8}},
		{name: "two weighted types", app: demo, recs: cat(rest[:6], []Record{weightedRec(demo, cnameMode, Green, id2, 0)}),
			want: want{summary: inconsistent(restSummary), problems: []string{"different types (A, CNAME)"}, records: 7}},
		{name: "two endpoint records of one stack", app: demo, recs: cat(ep(demo, aliasMode, id1), ep(demo, cnameMode, id1)),
			want: want{summary: summary{Phase: PhaseInconsistent}, problems: []string{"stack 111111 has two endpoint records (A, CNAME)"}, records: 2}},
		{name: "invariant 3: stacks known, all exist", app: demo, recs: rest, facts: Facts{Stacks: []string{id2, id1}},
			want: want{summary: restSummary, records: 7}},
		{name: "invariant 3: endpoint of a missing stack", app: demo, recs: cat(rest, ep(demo, aliasMode, id3)), facts: Facts{Stacks: []string{id1, id2}},
			want: want{summary: inconsistent(restSummary), problems: []string{"endpoint demo-333333.example.com belongs to stack demo-333333, which does not exist"}, records: 8}},
		{name: "invariant 3: no stack exists", app: demo, recs: ep(demo, aliasMode, id2, id1), facts: Facts{Stacks: []string{}},
			want: want{summary: summary{Phase: PhaseInconsistent}, problems: []string{"stack demo-111111", "stack demo-222222"}, records: 2}},
		{name: "invariant 3: stacks unknown", app: demo, recs: cat(rest, ep(demo, aliasMode, id3)),
			want: want{summary: restSummary, records: 8}},
		{name: "CNAME app at rest", app: demo, recs: twoColors(demo, cnameMode, 100, 0), want: want{summary: restSummary, records: 7}},
		{name: "CNAME app, wrong stack", app: demo, recs: cat(twoColors(demo, cnameMode, 100, 0)[:6], []Record{weightedRec(demo, cnameMode, Green, id1, 0)}),
			want: want{summary: inconsistent(restSummary), problems: []string{"points at demo-111111.example.com, not at demo-222222.example.com"}, records: 7}},
		{name: "app at the zone apex", app: apex, recs: cat([]Record{apexNS, apexSOA}, twoColors(apex, aliasMode, 100, 0)),
			want: want{summary: restSummary, hostOther: 2, records: 9}},
		{name: "app at the zone apex, mid-shift", app: apex, recs: twoColors(apex, aliasMode, 40, 60), facts: Facts{OtherRunning: true},
			want: want{summary: summary{Phase: PhaseMoving, Active: id1, ActiveColor: Blue, Slots: map[Color]string{Blue: id1, Green: id2},
				Weights: map[Color]int64{Blue: 40, Green: 60}}, records: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := cloneRecords(tt.recs)
			s := Read(tt.app, tt.recs, tt.facts)
			if diff := cmp.Diff(tt.want.summary, summarize(s), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Read summary mismatch (-want +got):\n%s", diff)
			}
			checkProblems(t, s.Problems, tt.want.problems)
			if got := len(s.HostOther); got != tt.want.hostOther {
				t.Errorf("len(HostOther) = %d, want %d: %v", got, tt.want.hostOther, s.HostOther)
			}
			if got := len(s.Records); got != tt.want.records {
				t.Errorf("len(Records) = %d, want %d: %v", got, tt.want.records, s.Records)
			}
			for _, r := range s.Records {
				if !tt.app.Owns(r) {
					t.Errorf("Records holds %s, which app %s does not own", r, tt.app.Name)
				}
			}
			if diff := cmp.Diff(saved, tt.recs); diff != "" {
				t.Errorf("Read changed its input (-before +after):\n%s", diff)
			}
		})
	}
}
