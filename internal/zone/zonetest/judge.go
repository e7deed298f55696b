package zonetest

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// This file judges change batches as Route 53 does, with logic of its own: the deployer validates every batch with
// records.Apply before sending it, so a fake that used records.Apply too would miss whatever records.Apply misses.
// Where Route 53's documentation says what it does, the rule quotes it; messages follow Route 53's where known.

// verdict is what Route 53 answers a change batch: an InvalidInput problem (the request is malformed, so nothing of
// the batch is judged), the InvalidChangeBatch problems (every one found), or the zone's records after the batch.
type verdict struct {
	invalidInput string
	problems     []string
	next         []records.Record
}

// judge applies changes to rs in order, each against the zone as the changes before it leave it ("Route 53 validates
// the changes in the request and then either makes all or none of the changes in the change batch request", API
// Reference, ChangeResourceRecordSets). rs is not modified.
func judge(z records.Zone, rs []records.Record, changes []records.Change) verdict {
	if len(changes) == 0 {
		return verdict{invalidInput: "1 validation error detected: Value '[]' at 'changeBatch.changes' failed to satisfy constraint: Member must have length greater than or equal to 1"}
	}
	elements := 0
	for i, c := range changes {
		if msg := malformed(i, c); msg != "" {
			return verdict{invalidInput: msg}
		}
		elements += len(c.Record.Values)
		if c.Action == records.Upsert {
			elements += len(c.Record.Values) // "each ResourceRecord element is counted twice" for UPSERT
		}
	}
	var problems []string
	if elements > 1000 {
		problems = append(problems, "Number of records limit of 1000 exceeded.")
	}
	before := slices.Clone(rs)
	next := slices.Clone(rs)
	touched := map[string]bool{}
	for _, c := range changes {
		r := c.Record
		touched[canon(r.Name)] = true
		at := slices.IndexFunc(next, func(o records.Record) bool { return sameKey(o, r) })
		switch c.Action {
		case records.Delete:
			switch {
			case at < 0:
				problems = append(problems, fmt.Sprintf("Tried to delete resource record set %s but it was not found", describe(r)))
			case !sameValues(next[at], r):
				problems = append(problems, fmt.Sprintf("Tried to delete resource record set %s but the values provided do not match the current values", describe(r)))
			default:
				next = slices.Delete(next, at, at+1)
			}
			continue
		case records.Create:
			if at >= 0 {
				problems = append(problems, fmt.Sprintf("Tried to create resource record set %s but it already exists", describe(r)))
				continue
			}
		}
		if p := badRecord(z, before, r); len(p) > 0 {
			problems = append(problems, p...)
			continue
		}
		if at < 0 {
			next = append(next, r.Clone())
		} else {
			next[at] = r.Clone()
		}
		sameWeightedTTL(next, r)
	}
	problems = append(problems, conflicts(z, next, touched)...)
	if len(problems) > 0 {
		return verdict{problems: problems}
	}
	return verdict{next: next}
}

// malformed says what Route 53's request validation rejects in change i (InvalidInput), or "".
func malformed(i int, c records.Change) string {
	r := c.Record
	where := fmt.Sprintf("in Change with [Action=%s, Name=%s., Type=%s, SetIdentifier=%s]", c.Action, canon(r.Name), r.Type, orNull(r.SetIdentifier))
	switch {
	case c.Action != records.Create && c.Action != records.Delete && c.Action != records.Upsert:
		return fmt.Sprintf("Invalid XML ; cvc-enumeration-valid: Value '%s' is not facet-valid with respect to enumeration '[CREATE, DELETE, UPSERT]'", c.Action)
	case r.Alias != nil && (r.TTL != 0 || len(r.Values) > 0):
		return "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found more than one " + where
	case r.Alias == nil && len(r.Values) == 0:
		return "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none " + where
	case r.Weight != nil && (*r.Weight < 0 || *r.Weight > 255):
		return fmt.Sprintf("1 validation error detected: Value '%d' at 'changeBatch.changes.%d.member.resourceRecordSet.weight' failed to satisfy constraint: Member must have value between 0 and 255", *r.Weight, i+1)
	case r.Weight != nil && r.SetIdentifier == "":
		return "Invalid request: Missing field 'SetIdentifier' " + where
	case r.Weight == nil && r.SetIdentifier != "":
		// The fake's records carry no other routing policy (Region, Failover, GeoLocation, MultiValueAnswer...).
		return "Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig], but found none " + where
	}
	return ""
}

// badRecord lists what Route 53 rejects in one record set written by a CREATE or UPSERT.
func badRecord(z records.Zone, before []records.Record, r records.Record) []string {
	var p []string
	name := canon(r.Name)
	if name != z.Name && !strings.HasSuffix(name, "."+z.Name) {
		p = append(p, fmt.Sprintf("RRSet with DNS name %s. is not permitted in zone %s.", name, z.Name))
	}
	invalid := func(problem, detail, v string) {
		p = append(p, fmt.Sprintf("Invalid Resource Record: 'FATAL problem: %s (%s) encountered with '%s''", problem, detail, v))
	}
	for _, v := range r.Values {
		switch a, err := netip.ParseAddr(v); r.Type {
		case "A":
			if err != nil || !a.Is4() {
				invalid("ARRDATAIllegalIPv4Address", "Value is not a valid IPv4 address", v)
			}
		case "AAAA":
			if err != nil || !a.Is6() || a.Zone() != "" {
				invalid("AAAARRDATAIllegalIPv6Address", "Value is not a valid IPv6 address", v)
			}
		case "TXT":
			if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
				invalid("InvalidCharacterString", "Value should be enclosed in quotation marks", v)
			} else if slices.ContainsFunc(strings.Split(v[1:len(v)-1], `" "`), func(s string) bool { return len(s) > 255 }) {
				invalid("CharacterStringTooLong", "Value is too long", v)
			}
		}
	}
	if r.Type == "CNAME" && len(r.Values) > 1 {
		p = append(p, fmt.Sprintf("RRSet of type CNAME with DNS name %s. has more than one resource record", name))
	}
	if r.Type == "CNAME" && name == z.Name {
		p = append(p, fmt.Sprintf("RRSet of type CNAME with DNS name %s. is not permitted at apex in zone %s.", name, z.Name))
	}
	// An alias into this zone needs its target, a record set of the same type, to exist already (DESIGN.md: "Route
	// 53 requires an alias target to exist: write a stack's endpoint record in its own batch before anything aliases
	// it").
	if a := r.Alias; a != nil && strings.TrimPrefix(a.HostedZoneID, "/hostedzone/") == z.ID &&
		!slices.ContainsFunc(before, func(o records.Record) bool { return canon(o.Name) == canon(a.DNSName) && o.Type == r.Type }) {
		p = append(p, fmt.Sprintf("Tried to create an alias that targets %s., type %s in zone %s, but the alias target name does not exist", canon(a.DNSName), r.Type, z.ID))
	}
	return p
}

// sameWeightedTTL gives every non-alias weighted record set of w's name and type w's TTL: "If you create two or more
// weighted records that have the same name and type, and you specify different values for TTL, Route 53 changes the
// value of TTL for all of the records to the value that you specified most recently" (Developer Guide, values
// specific for weighted records).
func sameWeightedTTL(rs []records.Record, w records.Record) {
	if w.Weight == nil || w.Alias != nil {
		return
	}
	for i, o := range rs {
		if o.Weight != nil && o.Alias == nil && canon(o.Name) == canon(w.Name) && o.Type == w.Type {
			rs[i].TTL = w.TTL
		}
	}
}

// conflicts lists the rules the zone's records break together, at the names the batch touched: a simple record set
// beside weighted ones of its name and type, and a CNAME beside a record set of another type.
func conflicts(z records.Zone, rs []records.Record, touched map[string]bool) []string {
	var p []string
	for _, r := range rs {
		name := canon(r.Name)
		if !touched[name] {
			continue
		}
		for _, o := range rs {
			switch {
			case canon(o.Name) != name:
			case r.Weight != nil && o.Type == r.Type && o.SetIdentifier == "":
				p = append(p, fmt.Sprintf("RRSet with DNS name %s., type %s, SetIdentifier %s cannot be created as a non-weighted set exists with the same name and type.", name, r.Type, r.SetIdentifier))
			case r.Type == "CNAME" && o.Type != "CNAME":
				p = append(p, fmt.Sprintf("RRSet of type CNAME with DNS name %s. is not permitted because a conflicting RRSet of type %s with the same DNS name already exists in zone %s.", name, o.Type, z.Name))
			}
		}
	}
	return p
}

// sameKey reports whether two record sets have one name (Route 53 ignores case and the trailing dot), type and
// SetIdentifier.
func sameKey(a, b records.Record) bool {
	return canon(a.Name) == canon(b.Name) && a.Type == b.Type && a.SetIdentifier == b.SetIdentifier
}

// sameValues reports whether a DELETE's record set b repeats every field of the stored a: "To delete a resource
// record set, you must specify all the same values that you specified when you created it" (API Reference,
// ChangeResourceRecordSets). The values are a set (Route 53 rejects duplicates): their order does not matter; an
// alias target's name is compared as Route 53 stores it, lower-case with its dot; the health check and the alias's
// EvaluateTargetHealth are fields of the record set like any other.
func sameValues(a, b records.Record) bool {
	if a.TTL != b.TTL || a.HealthCheckID != b.HealthCheckID || (a.Weight == nil) != (b.Weight == nil) || (a.Weight != nil && *a.Weight != *b.Weight) {
		return false
	}
	av, bv := slices.Clone(a.Values), slices.Clone(b.Values)
	slices.Sort(av)
	slices.Sort(bv)
	if !slices.Equal(av, bv) || (a.Alias == nil) != (b.Alias == nil) {
		return false
	}
	return a.Alias == nil || (canon(a.Alias.DNSName) == canon(b.Alias.DNSName) &&
		strings.TrimPrefix(a.Alias.HostedZoneID, "/hostedzone/") == strings.TrimPrefix(b.Alias.HostedZoneID, "/hostedzone/") &&
		a.Alias.EvaluateTargetHealth == b.Alias.EvaluateTargetHealth)
}

// describe names a record set as Route 53's messages do.
func describe(r records.Record) string {
	if r.SetIdentifier != "" {
		return fmt.Sprintf("[name='%s.', type='%s', set-identifier='%s']", canon(r.Name), r.Type, r.SetIdentifier)
	}
	return fmt.Sprintf("[name='%s.', type='%s']", canon(r.Name), r.Type)
}

// canon is a name as Route 53 compares it: lower-case ("Amazon Route 53 stores alphabetic characters as lowercase
// letters"), the trailing dot dropped ("Route 53 treats www.example.com (without a trailing dot) and
// www.example.com. (with a trailing dot) as identical").
func canon(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}
