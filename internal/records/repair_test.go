package records

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkRepaired applies a repair batch as Route 53 would and checks what the state reader then says: no problem,
// live active with all the weight, and no record outside the app's names changed.
func checkRepaired(t *testing.T, a App, rt Routing, current []Record, live Color, stacks []string) []Record {
	t.Helper()
	before := Read(a, current, Facts{Stacks: stacks})
	b, err := a.Repair(rt, before, live, stacks)
	var blocked *HostBlockedError
	if errors.As(err, &blocked) && !a.Managed(blocked.Record) && slices.ContainsFunc(current, blocked.Record.Equal) {
		return current // refused, rightly: the caller writes nothing
	}
	if err != nil {
		t.Fatalf("Repair(%s): %v\nrecords: %v", live, err, current)
	}
	after := current
	if !b.Empty() {
		if after, err = Apply(rt.Zone, current, b); err != nil {
			t.Fatalf("Route 53 would refuse the repair batch: %v\nrecords: %v\nbatch: %v", err, current, b.Changes)
		}
	}
	s := Read(a, after, Facts{Stacks: stacks})
	for c, w := range s.Weighted {
		ep := s.Endpoints[s.Slots[c]]
		if (w.Alias != nil && w.Alias.EvaluateTargetHealth != rt.Failover) || (ep.Alias != nil && ep.Alias.EvaluateTargetHealth != rt.Failover) {
			t.Errorf("after the repair with failover %v: %s's weighted record %s, endpoint %s", rt.Failover, c, w, ep)
		}
	}
	if len(s.Problems) > 0 || s.Phase != PhaseAtRest || s.ActiveColor != live || s.Weight(live) != 100 || s.Active != before.Slots[live] {
		t.Errorf("after the repair: phase %s, active %s %q, weights %v, problems %q\nbefore: %v\nbatch: %v",
			s.Phase, s.ActiveColor, s.Active, weightsOf(s), s.Problems, current, b.Changes)
	}
	others := func(rs []Record) []Record {
		var out []Record
		for _, r := range rs {
			if !a.Owns(r) {
				out = append(out, r)
			}
		}
		return sortedRecords(out)
	}
	if diff := cmp.Diff(others(current), others(after)); diff != "" {
		t.Errorf("the repair touched records that are not the app's (-before +after):\n%s", diff)
	}
	if again, _ := a.Repair(rt, s, live, stacks); !again.Empty() {
		t.Errorf("a second repair is not empty: %v", again.Changes)
	}
	return after
}

func TestRepair(t *testing.T) {
	for _, m := range []mode{aliasMode, cnameMode, apexMode} {
		a := m.app(t, "demo")
		rt := m.routing()
		ep1, ep2, ep3 := endpointRec(a, m, id1), endpointRec(a, m, id2), endpointRec(a, m, id3)
		s1, s2 := slotRec(a, Blue, id1), slotRec(a, Green, id2)
		other := txtRec("note.example.com", "keep me")
		tests := []struct {
			name   string
			rs     []Record
			live   Color
			stacks []string
		}{
			{"at rest, to the idle color", []Record{ep1, ep2, s1, s2, activeRec(a, id1), weightedRec(a, m, Blue, id1, 100), weightedRec(a, m, Green, id2, 0), other}, Green, []string{id1, id2}},
			{"stack.active names the idle stack", []Record{ep1, ep2, s1, s2, activeRec(a, id2), weightedRec(a, m, Blue, id1, 100), weightedRec(a, m, Green, id2, 0), other}, Blue, []string{id1, id2}},
			{"weights left mid-shift", []Record{ep1, ep2, s1, s2, activeRec(a, id1), weightedRec(a, m, Blue, id1, 70), weightedRec(a, m, Green, id2, 30)}, Blue, []string{id1, id2}},
			{"all weights 0 on the idle side", []Record{ep1, ep2, s1, s2, activeRec(a, id1), weightedRec(a, m, Blue, id1, 0), weightedRec(a, m, Green, id2, 100)}, Green, []string{id1, id2}},
			{"a weighted record at the wrong endpoint", []Record{ep1, ep2, ep3, s1, s2, activeRec(a, id1), weightedRec(a, m, Blue, id3, 100), weightedRec(a, m, Green, id2, 0)}, Blue, []string{id1, id2, id3}},
			{"stack.active missing", []Record{ep1, ep2, s1, s2, weightedRec(a, m, Blue, id1, 100), weightedRec(a, m, Green, id2, 0)}, Blue, []string{id1, id2}},
			{"no weighted records", []Record{ep1, ep2, s1, s2, activeRec(a, id1)}, Green, []string{id1, id2}},
			{"the idle stack was deleted", []Record{ep1, ep2, s1, s2, activeRec(a, id2), weightedRec(a, m, Blue, id1, 0), weightedRec(a, m, Green, id2, 100)}, Blue, []string{id1}},
			{"both slots name one stack", []Record{ep1, s1, slotRec(a, Green, id1), activeRec(a, id1), weightedRec(a, m, Blue, id1, 100)}, Blue, []string{id1}},
			{"an orphan endpoint", []Record{ep1, ep3, s1, activeRec(a, id1), weightedRec(a, m, Blue, id1, 100)}, Blue, []string{id1}},
			{"a first release's slot only", []Record{ep1, s1}, Blue, []string{id1}},
		}
		for _, tt := range tests {
			t.Run(m.name+"/"+tt.name, func(t *testing.T) {
				checkRepaired(t, a, rt, tt.rs, tt.live, tt.stacks)
			})
		}
	}
}

func TestRepairRefuses(t *testing.T) {
	a := aliasMode.app(t, "demo")
	rt := aliasMode.routing()
	st := Read(a, []Record{endpointRec(a, aliasMode, id1), slotRec(a, Blue, id1), slotRec(a, Green, id2)}, Facts{})
	if _, err := a.Repair(rt, st, Green, []string{id1, id2}); err == nil {
		t.Error("Repair to a stack without an endpoint record: no error")
	}
	if _, err := a.Repair(rt, Read(a, nil, Facts{}), Blue, nil); err == nil {
		t.Error("Repair to an empty slot: no error")
	}
}

// FuzzRepair: from any state that hand edits Route 53 accepts can make out of a release at rest, a repair to a color
// whose slot names an existing stack with an endpoint is accepted by Route 53 and leaves the records consistent with
// that color live, touching nothing outside the app.
func FuzzRepair(f *testing.F) {
	f.Add([]byte{}, byte(0))
	f.Add([]byte{1, 2, 0, 3, 0, 3, 1, 4}, byte(1))
	f.Add([]byte{3, 2, 0, 1, 3, 3, 6, 4, 3, 2, 1}, byte(2))
	f.Add([]byte{0, 0, 5, 1, 0, 2, 1, 0, 0, 0, 9, 2, 3, 0, 1, 1}, byte(7))
	f.Add([]byte("\x02\x03\x00\x00\x03\x01\x00\x01\x02\x00\x02\x01\x03\x02\x01\x00"), byte(5))
	f.Add([]byte{1, 2, 0, 3, 0, 3, 1, 4}, byte(0x85)) // with failover
	a := mustApp(f, "demo", "")
	f.Fuzz(func(t *testing.T, edits []byte, pick byte) {
		rt := Routing{Zone: exampleZone, Failover: pick&0x80 != 0} // a repair also turns failover on or off
		current := validState([]int64{100, 70, 0}[int(pick)%3], []int64{0, 30, 100}[int(pick)%3])
		in := fuzzBytes(edits)
		for n := 0; len(in) > 0 && n < 8; n++ {
			if next, err := Apply(exampleZone, current, Batch{Changes: []Change{in.change(current)}}); err == nil {
				current = next // a hand edit Route 53 accepts
			}
		}
		live := Colors[int(pick>>2)%2]
		var stacks []string
		for i, id := range []string{id1, id2, id3} {
			if pick&(0x10<<i) == 0 {
				stacks = append(stacks, id)
			}
		}
		st := Read(a, current, Facts{Stacks: stacks})
		id := st.Slots[live]
		if ep, ok := st.Endpoints[id]; !ok || ep.SetIdentifier != "" || !slices.Contains(stacks, id) || duplicateKeys(current) || aliasedFromOutside(a, current) {
			return // the repair's preconditions, checked by its caller (or, the last, by Route 53: see Repair)
		}
		checkRepaired(t, a, rt, current, live, stacks)
	})
}

// duplicateKeys reports whether two records share a name, type and set identifier (Route 53 would hold one).
func duplicateKeys(rs []Record) bool {
	seen := map[Key]bool{}
	for _, r := range rs {
		k := r.Key()
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}

// aliasedFromOutside reports whether a record other than the app's weighted records aliases one of the app's
// endpoint records (the deployer never writes one).
func aliasedFromOutside(a App, rs []Record) bool {
	for _, r := range rs {
		if r.Alias != nil && a.ParseName(r.Name).Kind != KindHost && a.ParseName(Normalize(r.Alias.DNSName)).Kind == KindEndpoint {
			return true
		}
	}
	return false
}

func TestFence(t *testing.T) {
	a := mustApp(t, "demo", "")
	me, other := FenceHolder("arn:aws:states:us-east-1:123456789012:execution:bluegreen:me"), FenceHolder("arn:aws:states:us-east-1:123456789012:execution:bluegreen:other")
	if len(me) != 32 || me == other || strings.Contains(a.FenceRecord(Fence{Holder: me, Epoch: 1}).Values[0], "123456789012") {
		t.Fatalf("FenceHolder = %q, %q: want distinct digests that do not show the ARN", me, other)
	}
	mine, theirs := a.FenceRecord(Fence{Holder: me, Epoch: 3}), a.FenceRecord(Fence{Holder: other, Epoch: 3})
	for _, tt := range []struct {
		found *Record
		want  Fence
	}{
		{nil, Fence{Holder: me, Epoch: 1}},
		{&mine, Fence{Holder: me, Epoch: 3}},
		{&theirs, Fence{Holder: me, Epoch: 4}},
		{&Record{Name: a.FenceName(), Type: TypeTXT, Values: []string{`"garbage"`}}, Fence{Holder: me, Epoch: 1}},
	} {
		if got := NextFence(tt.found, me); got != tt.want {
			t.Errorf("NextFence(%v) = %+v, want %+v", tt.found, got, tt.want)
		}
	}
	if f, err := ParseFence(mine); err != nil || f != (Fence{Holder: me, Epoch: 3}) {
		t.Errorf("ParseFence(%s) = %+v, %v", mine, f, err)
	}
	if a.ParseName(a.FenceName()).Kind != KindFence || a.Managed(mine) {
		t.Errorf("the fence's name is not KindFence, or a restore would put it back")
	}
}
