package records

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Zone is a hosted zone as the rules need it.
type Zone struct {
	// ID is the hosted zone id (without "/hostedzone/").
	ID string `json:"id"`
	// Name is the zone's name, lower-case without the trailing dot.
	Name string `json:"name"`
}

// InvalidBatchError lists every rule a batch breaks. Route 53 rejects such a batch as a whole.
type InvalidBatchError struct {
	Problems []string
}

func (e *InvalidBatchError) Error() string {
	return "invalid change batch: " + strings.Join(e.Problems, "; ")
}

// Apply returns the zone's record sets after batch, applying the rules Route 53 enforces (and the stricter ones
// this deployer keeps), or an InvalidBatchError listing every broken rule, with current left as it was. It is the
// validator every batch passes before it is sent, and the core of the in-memory Route 53 the tests use: the local
// emulator accepts batches that Route 53 rejects, so it cannot be the judge.
//
// The rules: names lower-case, without a trailing dot, inside the zone; values well formed for their type (TXT quoted,
// one CNAME value, no CNAME at the apex, A and AAAA addresses); alias records carry no TTL or values; weights 0-255 and
// only with a SetIdentifier; CREATE only of what does not exist, DELETE only of what exists with exactly its current
// data; a record set changed at most once in a batch, except DELETE then CREATE; and in the result: no simple record
// beside weighted ones of the same name and type (nor records of another routing policy beside either), one TTL per
// weighted CNAME group, never a weighted group whose weights are all 0, no CNAME beside another type, and every alias
// into the zone pointing at a record that existed before the batch and still does.
func Apply(zone Zone, current []Record, batch Batch) ([]Record, error) {
	var problems []string
	bad := func(i int, c Change, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("change %d (%s %s): %s", i+1, c.Action, c.Record.Key(), fmt.Sprintf(format, args...)))
	}
	if len(batch.Changes) == 0 {
		return nil, &InvalidBatchError{Problems: []string{"a batch needs at least one change"}}
	}
	if len(batch.Changes) > 1000 {
		problems = append(problems, fmt.Sprintf("%d changes: Route 53 takes at most 1000", len(batch.Changes)))
	}

	next := make(map[Key]Record, len(current)+len(batch.Changes))
	order := make([]Key, 0, len(current)+len(batch.Changes))
	for _, r := range current {
		if _, dup := next[r.Key()]; !dup {
			order = append(order, r.Key())
		}
		next[r.Key()] = r.Clone()
	}
	before := make(map[string]bool, len(current))
	for _, r := range current {
		before[r.Name] = true
	}

	seen := map[Key][]Action{}
	for i, c := range batch.Changes {
		r := c.Record
		for _, p := range checkRecord(zone, r) {
			bad(i, c, "%s", p)
		}
		prev := seen[r.Key()]
		if len(prev) > 0 && !(len(prev) == 1 && prev[0] == Delete && c.Action == Create) {
			bad(i, c, "the record set is changed twice in one batch (only DELETE then CREATE is allowed)")
		}
		seen[r.Key()] = append(prev, c.Action)
		old, exists := next[r.Key()]
		switch c.Action {
		case Create:
			if exists {
				bad(i, c, "it already exists")
				continue
			}
			order = append(order, r.Key())
			next[r.Key()] = r.Clone()
		case Upsert:
			if !exists {
				order = append(order, r.Key())
			}
			next[r.Key()] = r.Clone()
		case Delete:
			if !exists {
				bad(i, c, "it does not exist")
				continue
			}
			if !old.Equal(r) {
				bad(i, c, "its values do not match the current record (%s)", old)
				continue
			}
			delete(next, r.Key())
		default:
			bad(i, c, "unknown action %q", c.Action)
		}
	}

	result := make([]Record, 0, len(next))
	for _, k := range order {
		if r, ok := next[k]; ok {
			result = append(result, r)
			delete(next, k) // a key re-added after a DELETE appears once, at its first place
		}
	}
	written := make(map[Key]bool, len(batch.Changes))
	for _, c := range batch.Changes {
		written[c.Record.Key()] = c.Action != Delete
	}
	problems = append(problems, checkZone(zone, result, before, written)...)
	if len(problems) > 0 {
		return nil, &InvalidBatchError{Problems: problems}
	}
	return result, nil
}

// checkRecord lists what is wrong with one record on its own.
func checkRecord(zone Zone, r Record) []string {
	var p []string
	if err := ValidateDomain(r.Name); err != nil {
		p = append(p, err.Error())
	} else if !InZone(r.Name, zone.Name) {
		p = append(p, fmt.Sprintf("name is not in zone %s", zone.Name))
	}
	switch r.Type {
	case TypeA, TypeCNAME, TypeTXT, "AAAA":
	default:
		p = append(p, fmt.Sprintf("record type %q is not one the deployer writes", r.Type))
	}
	if r.Weight != nil {
		if *r.Weight < 0 || *r.Weight > MaxWeight {
			p = append(p, fmt.Sprintf("weight %d is outside 0-%d", *r.Weight, MaxWeight))
		}
		if r.SetIdentifier == "" {
			p = append(p, "a weighted record needs a SetIdentifier")
		}
	} else if r.SetIdentifier != "" {
		p = append(p, "a SetIdentifier needs a routing policy (weight)")
	}
	if len(r.SetIdentifier) > 128 {
		p = append(p, "SetIdentifier is longer than 128 characters")
	}
	if r.Alias != nil {
		if r.TTL != 0 || len(r.Values) > 0 {
			p = append(p, "an alias record carries no TTL and no values")
		}
		if r.Type != TypeA && r.Type != "AAAA" {
			p = append(p, fmt.Sprintf("alias records here are of type A, not %s", r.Type))
		}
		if r.Alias.HostedZoneID == "" || ValidateDomain(r.Alias.DNSName) != nil {
			p = append(p, fmt.Sprintf("alias target %q in zone %q is not a valid target", r.Alias.DNSName, r.Alias.HostedZoneID))
		}
		return p
	}
	if len(r.Values) == 0 {
		p = append(p, "a record needs at least one value")
	}
	if r.TTL < 0 || r.TTL > 2147483647 {
		p = append(p, fmt.Sprintf("TTL %d is out of range", r.TTL))
	}
	switch r.Type {
	case TypeA, "AAAA":
		family := "IPv6"
		if r.Type == TypeA {
			family = "IPv4"
		}
		for _, v := range r.Values {
			if a, err := netip.ParseAddr(v); err != nil || a.Is4() != (r.Type == TypeA) || a.Zone() != "" {
				p = append(p, fmt.Sprintf("%s value %q is not an %s address", r.Type, v, family))
			}
		}
	case TypeTXT:
		for _, v := range r.Values {
			if s, ok := Unquote(v); !ok {
				p = append(p, fmt.Sprintf("TXT value %s is not quoted", v))
			} else if len(s) > 255 {
				p = append(p, "TXT string longer than 255 characters")
			}
		}
	case TypeCNAME:
		if len(r.Values) > 1 {
			p = append(p, "a CNAME record has exactly one value")
		}
		if r.Name == zone.Name {
			p = append(p, "a CNAME is not allowed at the zone apex")
		}
		for _, v := range r.Values {
			if ValidateDomain(v) != nil {
				p = append(p, fmt.Sprintf("CNAME value %q is not a lower-case DNS name without a trailing dot", v))
			}
		}
	}
	return p
}

// checkZone lists the rules the zone's records break as a whole, where the batch touched them; before names the
// records that existed before the batch; written holds every record set the batch changes, true for those it
// creates or replaces (their alias targets must have existed before it).
func checkZone(zone Zone, rs []Record, before map[string]bool, written map[Key]bool) []string {
	var p []string
	touched := map[string]bool{}
	for k := range written {
		touched[k.Name] = true
	}
	type group struct{ name, typ string }
	groups := map[group][]Record{}
	types := map[string]map[string]bool{}
	for _, r := range rs {
		g := group{r.Name, r.Type}
		groups[g] = append(groups[g], r)
		if types[r.Name] == nil {
			types[r.Name] = map[string]bool{}
		}
		types[r.Name][r.Type] = true
	}
	names := make(map[string]bool, len(rs))
	for _, r := range rs {
		names[r.Name] = true
	}
	keys := make([]group, 0, len(groups))
	for g := range groups {
		keys = append(keys, g)
	}
	slices.SortFunc(keys, func(a, b group) int { return strings.Compare(a.name+" "+a.typ, b.name+" "+b.typ) })
	for _, g := range keys {
		if !touched[g.name] {
			continue // rules are checked where the batch writes: a foreign record's state is not this batch's fault
		}
		members := groups[g]
		simple, weighted, zero, other := 0, 0, 0, 0
		ttls := map[int64]bool{}
		for _, r := range members {
			if r.Weight == nil {
				if r.SetIdentifier != "" {
					other++ // another routing policy (latency, failover, geolocation...): not a simple record
				} else {
					simple++
				}
				continue
			}
			weighted++
			if *r.Weight == 0 {
				zero++
			}
			if r.Alias == nil {
				ttls[r.TTL] = true
			}
		}
		switch {
		case simple > 0 && weighted > 0:
			p = append(p, fmt.Sprintf("%s %s: a simple record cannot stand beside weighted records", g.name, g.typ))
		case other > 0 && simple+weighted > 0:
			p = append(p, fmt.Sprintf("%s %s: records of another routing policy cannot stand beside simple or weighted records", g.name, g.typ))
		}
		if weighted > 0 && zero == weighted {
			p = append(p, fmt.Sprintf("%s %s: every weight of the weighted group is 0 (Route 53 would split traffic evenly)", g.name, g.typ))
		}
		if len(ttls) > 1 {
			p = append(p, fmt.Sprintf("%s %s: the weighted records have different TTLs", g.name, g.typ))
		}
	}
	var conflicts []string
	for name, ts := range types {
		if touched[name] && ts[TypeCNAME] && len(ts) > 1 {
			conflicts = append(conflicts, fmt.Sprintf("%s: a CNAME cannot stand beside records of another type", name))
		}
	}
	slices.Sort(conflicts)
	p = append(p, conflicts...)
	for _, r := range rs {
		if r.Alias == nil || r.Alias.HostedZoneID != zone.ID || !(written[r.Key()] || touched[r.Alias.DNSName]) {
			continue
		}
		switch {
		case !names[r.Alias.DNSName]:
			p = append(p, fmt.Sprintf("%s: alias target %s does not exist", r.Key(), r.Alias.DNSName))
		case written[r.Key()] && !before[r.Alias.DNSName]:
			p = append(p, fmt.Sprintf("%s: alias target %s is created in the same batch (write it in an earlier one)", r.Key(), r.Alias.DNSName))
		}
	}
	return p
}
