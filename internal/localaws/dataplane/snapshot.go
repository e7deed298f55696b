package dataplane

import (
	"context"
	"strings"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Record is one record set as the data plane serves it: the record model, and the Route 53 health check associated
// with it.
type Record struct {
	records.Record
	// HealthCheckID is the Route 53 health check whose status is the record's; empty: none, always healthy.
	HealthCheckID string
}

// Zone is one public hosted zone: its name (lower-case, no trailing dot) and its record sets, the SOA and NS records
// Route 53 creates included.
type Zone struct {
	ID      string
	Name    string
	Records []Record
}

// Source gives the hosted zones to serve.
type Source interface {
	// Snapshot returns the zones as they are now, or as they were a short while ago.
	Snapshot(ctx context.Context) (*Snapshot, error)
}

// Snapshot is what the data plane serves at one moment: the zones, indexed by name. It is read-only once built.
type Snapshot struct {
	zones []*zoneIndex
}

// zoneIndex is one zone's record sets by owner name, and every name that exists in it (an owner name or an empty
// non-terminal: an ancestor of one, below the apex).
type zoneIndex struct {
	Zone
	byName map[string][]Record
	exists map[string]bool
}

// NewSnapshot indexes zones for serving. Names are compared lower-case; a record whose name is not in its zone is
// left out, as Route 53 would never have accepted it.
func NewSnapshot(zones ...Zone) *Snapshot {
	s := &Snapshot{}
	for _, z := range zones {
		z.Name = normalize(z.Name)
		zi := &zoneIndex{Zone: z, byName: map[string][]Record{}, exists: map[string]bool{z.Name: true}}
		for _, r := range z.Records {
			r.Name = normalize(r.Name)
			if !inZone(r.Name, z.Name) {
				continue
			}
			zi.byName[r.Name] = append(zi.byName[r.Name], r)
			for n := r.Name; n != z.Name; n = parent(n) {
				zi.exists[n] = true
			}
		}
		s.zones = append(s.zones, zi)
	}
	return s
}

// healthChecks returns the ids of the health checks the records name (a nil snapshot names none).
func (s *Snapshot) healthChecks() map[string]bool {
	ids := map[string]bool{}
	if s == nil {
		return ids
	}
	for _, z := range s.zones {
		for _, r := range z.Records {
			if r.HealthCheckID != "" {
				ids[r.HealthCheckID] = true
			}
		}
	}
	return ids
}

// zoneOf returns the zone that is authoritative for name: the one with the longest name that is name or one of
// its ancestors; nil when none is.
func (s *Snapshot) zoneOf(name string) *zoneIndex {
	var best *zoneIndex
	for _, z := range s.zones {
		if inZone(name, z.Name) && (best == nil || len(z.Name) > len(best.Name)) {
			best = z
		}
	}
	return best
}

// sets returns the record sets of that name and type in the zone.
func (z *zoneIndex) sets(name, typ string) []Record {
	var out []Record
	for _, r := range z.byName[name] {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// normalize lower-cases a name and drops its trailing dot.
func normalize(name string) string { return records.Normalize(name) }

// inZone reports whether name is the zone's apex or below it.
func inZone(name, zone string) bool {
	return name == zone || zone == "" || strings.HasSuffix(name, "."+zone)
}

// parent drops a name's first label.
func parent(name string) string {
	if _, rest, ok := strings.Cut(name, "."); ok {
		return rest
	}
	return ""
}
