package records

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzRead: Read never panics on arbitrary record sets near the app's names, its phase is inconsistent exactly when
// it reports problems, and what it reports agrees with itself and with the records.
func FuzzRead(f *testing.F) {
	// Seeds: the valid states of a release, encoded the way fuzzBytes.record decodes them, plus some noise.
	f.Add([]byte{}, false, byte(0))
	f.Add([]byte{5, 0, 0, 0, 2, 0, 0, 2, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0}, false, byte(1))
	f.Add([]byte{0, 0, 2, 1, 5, 3, 0, 4, 0, 3, 0, 3, 2, 0, 0, 4, 0, 0, 0, 0, 1, 1, 0, 4, 1, 0, 3, 5}, true, byte(3))
	f.Add([]byte("\x01\x00\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17"), true, byte(7))
	for _, rs := range [][]Record{validState(100, 0), validState(70, 30), validState(0, 0)} {
		f.Add(encodeRecords(rs), false, byte(0))
	}
	demo, apex := mustApp(f, "demo", ""), mustApp(f, "demo", "example.com")
	f.Fuzz(func(t *testing.T, data []byte, running bool, stackBits byte) {
		in := fuzzBytes(data)
		app := demo
		if stackBits&0x80 != 0 {
			app = apex
		}
		facts := Facts{OtherRunning: running}
		if stackBits&1 != 0 {
			facts.Stacks = []string{}
			for i, id := range []string{id1, id2, id3} {
				if stackBits&(2<<i) != 0 {
					facts.Stacks = append(facts.Stacks, id)
				}
			}
		}
		rs := in.records(64)
		if len(data) > 0 && data[0] < 8 {
			rs = append(validState(100, 0), rs...) // mostly valid states with a few odd records
		}
		if raw := Read(app, rs, facts); (raw.Phase == PhaseInconsistent) != (len(raw.Problems) > 0) {
			t.Errorf("phase %s with problems %q", raw.Phase, raw.Problems)
		}
		// Route 53 lists a record set once, and compares names without case: the rest takes unique keys.
		rs = uniqueKeys(rs)
		saved := cloneRecords(rs)
		s := Read(app, rs, facts)
		checkReadResult(t, app, rs, facts, s)
		if diff := cmp.Diff(saved, rs); diff != "" {
			t.Errorf("Read changed its input (-before +after):\n%s", diff)
		}
		if again := Read(app, rs, facts); !cmp.Equal(s, again) {
			t.Errorf("Read is not deterministic:\n%s", cmp.Diff(s, again))
		}
		reversed := slices.Clone(rs)
		slices.Reverse(reversed)
		// The order of the records does not matter (the problems' wording may: which of two conflicting records is
		// "the" one depends on it).
		back := Read(app, reversed, facts)
		if back.Phase != s.Phase || (s.Phase != PhaseInconsistent && !cmp.Equal(summarize(s), summarize(back))) {
			t.Errorf("Read depends on the records' order: %+v with %q, reversed %+v with %q", summarize(s), s.Problems, summarize(back), back.Problems)
		}
	})
}

// uniqueKeys keeps the first record of each normalized key.
func uniqueKeys(rs []Record) []Record {
	seen := map[Key]bool{}
	var out []Record
	for _, r := range rs {
		k := r.Key()
		k.Name = Normalize(k.Name)
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

// checkReadResult asserts what must hold of any state Read returns.
func checkReadResult(t *testing.T, app App, rs []Record, facts Facts, s State) {
	t.Helper()
	if (s.Phase == PhaseInconsistent) != (len(s.Problems) > 0) {
		t.Errorf("phase %s with problems %q", s.Phase, s.Problems)
	}
	owned := 0
	for _, r := range rs {
		if app.Owns(r) {
			owned++
		}
	}
	if len(s.Records) != owned {
		t.Errorf("Records holds %d records, the input has %d of the app's", len(s.Records), owned)
	}
	for _, r := range s.Records {
		if !app.Owns(r) || r.Name != Normalize(r.Name) {
			t.Errorf("Records holds %s, not a normalized record of app %s", r, app.Name)
		}
	}
	for c, id := range s.Slots {
		if !c.Valid() || ValidateStackID(id) != nil {
			t.Errorf("Slots[%q] = %q", c, id)
		}
	}
	for c, r := range s.Weighted {
		if !c.Valid() || r.SetIdentifier != app.SetIdentifier(c) || r.Weight == nil || r.Name != app.HostName() {
			t.Errorf("Weighted[%q] = %s", c, r)
		}
	}
	for id, r := range s.Endpoints {
		if r.Name != app.EndpointName(id) {
			t.Errorf("Endpoints[%q] = %s", id, r)
		}
	}
	if s.Active != "" && ValidateStackID(s.Active) != nil {
		t.Errorf("Active = %q", s.Active)
	}
	if s.ActiveColor != "" && (!s.ActiveColor.Valid() || s.Slots[s.ActiveColor] != s.Active) {
		t.Errorf("ActiveColor %q, Active %q, Slots %v", s.ActiveColor, s.Active, s.Slots)
	}
	switch s.Phase {
	case PhaseEmpty:
		if len(s.Slots) > 0 || s.Active != "" || len(s.Weighted) > 0 {
			t.Errorf("empty, with slots %v, active %q, weighted %v", s.Slots, s.Active, s.Weighted)
		}
	case PhaseBuilding:
		if len(s.Slots) == 0 || s.Active != "" || len(s.Weighted) > 0 {
			t.Errorf("building, with slots %v, active %q, weighted %v", s.Slots, s.Active, s.Weighted)
		}
	case PhaseAtRest, PhaseMoving:
		live, idle := s.ActiveColor, s.ActiveColor.Other()
		if !live.Valid() || s.Weight(live) == 0 || s.Slots[live] != s.Active {
			t.Errorf("%s, with active %q on %q and weights %v", s.Phase, s.Active, live, weightsOf(s))
		}
		for c, r := range s.Weighted { // invariant 1
			if r.Target() != app.EndpointName(s.Slots[c]) {
				t.Errorf("%s, but the %s weighted record points at %s, slot %q", s.Phase, c, r.Target(), s.Slots[c])
			}
		}
		if s.Phase == PhaseAtRest && s.Weight(idle) != 0 {
			t.Errorf("at rest, with weights %v", weightsOf(s))
		}
		if s.Phase == PhaseMoving && (!facts.OtherRunning || s.Weight(idle) == 0) {
			t.Errorf("moving, with weights %v and facts %+v", weightsOf(s), facts)
		}
	case PhaseInconsistent:
	default:
		t.Errorf("unknown phase %q", s.Phase)
	}
	if facts.Stacks != nil && s.Phase != PhaseInconsistent { // invariant 3
		for id := range s.Endpoints {
			if !slices.Contains(facts.Stacks, id) {
				t.Errorf("%s, with the endpoint of missing stack %s", s.Phase, id)
			}
		}
	}
}

// encodeRecords finds, for each record, bytes that fuzzBytes.record decodes to it, for seeding; records it cannot
// encode are left out.
func encodeRecords(rs []Record) []byte {
	index := func(xs []string, x string) (byte, bool) {
		i := slices.Index(xs, x)
		return byte(i), i >= 0
	}
	var out []byte
	for _, r := range rs {
		n, ok1 := index(fuzzNames, r.Name)
		ty, ok2 := index(fuzzTypes, r.Type)
		id, ok3 := index(fuzzSetIDs, r.SetIdentifier)
		if !ok1 || !ok2 || !ok3 {
			continue
		}
		b := []byte{n, ty, id, 0}
		if r.Weight != nil {
			w := slices.Index(fuzzWeights, *r.Weight)
			if w < 0 {
				continue
			}
			b[3] |= 1
			b = append(b, byte(w))
		}
		if r.Alias != nil {
			z, ok4 := index(fuzzZoneIDs, r.Alias.HostedZoneID)
			tg, ok5 := index(fuzzTargets, r.Alias.DNSName)
			if !ok4 || !ok5 || r.TTL != 0 || len(r.Values) > 0 {
				continue
			}
			b[3] |= 2
			b = append(b, z, tg)
		} else {
			ttl := slices.Index(fuzzTTLs, r.TTL)
			if ttl < 0 || len(r.Values) != 1 {
				continue
			}
			v, ok := index(fuzzValues, r.Values[0])
			if !ok {
				continue
			}
			b = append(b, byte(ttl), 0, 0, v) // one value: 1 + pick(3) - pick(2) with both 0
		}
		out = append(out, b...)
	}
	return out
}
