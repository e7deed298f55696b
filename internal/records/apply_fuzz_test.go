package records

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzApply: Apply never panics nor changes its input; it accepts a batch exactly when an independent reading of
// its doc comment's rules (referenceApply) does, and then returns the same records.
func FuzzApply(f *testing.F) {
	f.Add([]byte{}, []byte{})
	f.Add([]byte{}, []byte{1, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0}, []byte{1, 2, 0, 3, 0, 3, 1, 4})          // reweight a current record
	f.Add([]byte{0}, []byte{3, 2, 0, 1, 3, 3, 6, 4, 3, 2, 1}) // delete two current records
	f.Add([]byte{1}, []byte{0, 0, 5, 1, 0, 2, 1, 0, 0, 0, 9})
	f.Add(encodeRecords(validState(100, 0)), []byte{1, 0, 5, 1, 0, 1, 0, 0, 1, 0})
	f.Add([]byte{2, 0, 2, 0, 3, 0, 2, 0, 1}, []byte("\x01\x00\x00\x00\x03\x01\x00\x01\x02\x00\x02\x01"))
	f.Fuzz(func(t *testing.T, cur, ops []byte) {
		var current []Record
		if len(cur) > 0 && cur[0] < 4 {
			current = validState([]int64{100, 60, 0, 0}[cur[0]], []int64{0, 40, 100, 0}[cur[0]])
			cur = cur[1:]
		}
		in := fuzzBytes(cur)
		current = append(current, in.records(16)...)
		in = fuzzBytes(ops)
		var changes []Change
		for len(in) > 0 && len(changes) < 8 {
			changes = append(changes, in.change(current))
		}
		batch := Batch{Comment: "fuzz", Changes: changes}
		saved, savedBatch := cloneRecords(current), cloneChanges(changes)

		got, err := Apply(exampleZone, current, batch)
		if diff := cmp.Diff(saved, current); diff != "" {
			t.Errorf("Apply changed its input (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(savedBatch, changes, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Apply changed the batch (-before +after):\n%s", diff)
		}
		want, violations := referenceApply(exampleZone, current, changes)
		if err != nil {
			var ibe *InvalidBatchError
			if !errors.As(err, &ibe) || len(ibe.Problems) == 0 || got != nil {
				t.Fatalf("Apply = %v, %v; want nil and an *InvalidBatchError with problems", got, err)
			}
			if len(violations) == 0 {
				t.Errorf("Apply refused a batch that breaks no rule: %v\ncurrent: %v\nchanges: %v", err, current, changes)
			}
			return
		}
		if len(violations) > 0 {
			t.Errorf("Apply accepted a batch that breaks %q\ncurrent: %v\nchanges: %v", violations, current, changes)
		}
		if diff := cmp.Diff(sortedRecords(want), sortedRecords(got), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Apply result mismatch (-reference +got):\n%s", diff)
		}
		if u := Unapplied(got, batch); !u.Empty() {
			t.Errorf("Unapplied after an accepted batch = %v", u.Changes)
		}
	})
}

func cloneChanges(cs []Change) []Change {
	out := make([]Change, len(cs))
	for i, c := range cs {
		out[i] = Change{Action: c.Action, Record: c.Record.Clone()}
	}
	return out
}

// referenceApply applies changes to current and lists the rules they break, written from Apply's doc comment
// without looking at how Apply checks them.
func referenceApply(zone Zone, current []Record, changes []Change) ([]Record, []string) {
	var v []string
	add := func(format string, args ...any) { v = append(v, fmt.Sprintf(format, args...)) }
	state := map[Key]Record{}
	existedBefore := map[string]bool{}
	for _, r := range current {
		state[r.Key()] = r
		existedBefore[r.Name] = true
	}
	if len(changes) == 0 || len(changes) > 1000 {
		add("batch of %d changes", len(changes))
	}
	history := map[Key][]Action{}
	finalWrite := map[Key]bool{} // true: the batch leaves the key written; false: deleted
	touched := map[string]bool{}
	for i, c := range changes {
		r, k := c.Record, c.Record.Key()
		for _, p := range referenceRecord(zone, r) {
			add("change %d: %s", i, p)
		}
		h := history[k]
		if len(h) > 0 && !(len(h) == 1 && h[0] == Delete && c.Action == Create) {
			add("change %d: %s changed again after %v", i, k, h)
		}
		history[k] = append(h, c.Action)
		touched[r.Name] = true
		old, exists := state[k]
		switch c.Action {
		case Create:
			if exists {
				add("change %d: CREATE of existing %s", i, k)
			}
			state[k], finalWrite[k] = r, true
		case Upsert:
			state[k], finalWrite[k] = r, true
		case Delete:
			if !exists || !cmp.Equal(old, r, cmpopts.EquateEmpty()) {
				add("change %d: DELETE of %s that is not there as given", i, k)
			}
			delete(state, k)
			finalWrite[k] = false
		default:
			add("change %d: action %q", i, c.Action)
		}
	}
	var result []Record
	byName := map[string][]Record{}
	for _, r := range state {
		result = append(result, r)
		byName[r.Name] = append(byName[r.Name], r)
	}
	for name, rs := range byName {
		if !touched[name] {
			continue
		}
		types := map[string][]Record{}
		for _, r := range rs {
			types[r.Type] = append(types[r.Type], r)
		}
		if len(types[TypeCNAME]) > 0 && len(types) > 1 {
			add("%s: CNAME beside other types", name)
		}
		for typ, group := range types {
			simple, other, nonZero, ttls := 0, 0, 0, map[int64]bool{}
			for _, r := range group {
				if r.Weight == nil && r.SetIdentifier != "" {
					other++ // latency, failover...: a routing policy the record model does not name
					continue
				}
				if r.Weight == nil {
					simple++
					continue
				}
				if *r.Weight != 0 {
					nonZero++
				}
				if r.Alias == nil {
					ttls[r.TTL] = true
				}
			}
			weighted := len(group) - simple - other
			if simple > 0 && weighted > 0 {
				add("%s %s: simple beside weighted", name, typ)
			}
			if other > 0 && simple+weighted > 0 {
				add("%s %s: routing policies mixed", name, typ)
			}
			if weighted > 0 && nonZero == 0 {
				add("%s %s: all weights 0", name, typ)
			}
			if len(ttls) > 1 {
				add("%s %s: TTLs %v", name, typ, ttls)
			}
		}
	}
	for _, r := range result {
		if r.Alias == nil || r.Alias.HostedZoneID != zone.ID {
			continue
		}
		written, target := finalWrite[r.Key()], r.Alias.DNSName
		if (written || touched[target]) && len(byName[target]) == 0 {
			add("%s: alias to missing %s", r.Key(), target)
		}
		if written && len(byName[target]) > 0 && !existedBefore[target] {
			add("%s: alias to %s, which did not exist before the batch", r.Key(), target)
		}
	}
	return result, v
}

// referenceRecord lists what is wrong with one record on its own.
func referenceRecord(zone Zone, r Record) []string {
	var v []string
	if !referenceName(r.Name) {
		v = append(v, "bad name "+r.Name)
	} else if r.Name != zone.Name && !strings.HasSuffix(r.Name, "."+zone.Name) {
		v = append(v, "outside the zone: "+r.Name)
	}
	if r.Type != TypeA && r.Type != "AAAA" && r.Type != TypeCNAME && r.Type != TypeTXT {
		v = append(v, "type "+r.Type)
	}
	if r.Weight != nil && (*r.Weight < 0 || *r.Weight > 255) {
		v = append(v, "weight out of range")
	}
	if (r.Weight != nil) != (r.SetIdentifier != "") || len(r.SetIdentifier) > 128 {
		v = append(v, "weight and SetIdentifier go together")
	}
	if r.Alias != nil {
		if r.TTL != 0 || len(r.Values) != 0 || (r.Type != TypeA && r.Type != "AAAA") || r.Alias.HostedZoneID == "" || !referenceName(r.Alias.DNSName) {
			v = append(v, "bad alias")
		}
		return v
	}
	if len(r.Values) == 0 || r.TTL < 0 || r.TTL > 1<<31-1 {
		v = append(v, "no values or TTL out of range")
	}
	for _, val := range r.Values {
		switch r.Type {
		case TypeA:
			if ip := net.ParseIP(val); ip == nil || ip.To4() == nil || strings.Contains(val, ":") {
				v = append(v, "A value "+val)
			}
		case "AAAA":
			if ip := net.ParseIP(val); ip == nil || !strings.Contains(val, ":") {
				v = append(v, "AAAA value "+val)
			}
		case TypeTXT:
			if s, err := strconv.Unquote(val); err != nil || !strings.HasPrefix(val, `"`) || len(s) > 255 {
				v = append(v, "TXT value "+val)
			}
		case TypeCNAME:
			if !referenceName(val) {
				v = append(v, "CNAME value "+val)
			}
		}
	}
	if r.Type == TypeCNAME && (len(r.Values) > 1 || r.Name == zone.Name) {
		v = append(v, "CNAME with several values or at the apex")
	}
	return v
}

// referenceName reports whether name is lower-case letters, digits and inner hyphens in labels of 1-63 characters,
// at most 253 in all, without a trailing dot.
func referenceName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for _, l := range strings.Split(name, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
