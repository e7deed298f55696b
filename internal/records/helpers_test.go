package records

import (
	"slices"
	"strings"
	"testing"
)

// Fixtures shared by the tests. Records are written out by hand here, not with the builders under test, so a test
// that compares a builder's output with them checks the names and shapes of DESIGN.md's table.

const (
	zoneID   = "Z0EXAMPLE"      // the app's hosted zone
	lbZoneID = "Z32O12XQLNTSW2" // a load balancer's canonical hosted zone
	id1      = "111111"
	id2      = "222222"
	id3      = "333333"
	id4      = "444444"
)

var exampleZone = Zone{ID: zoneID, Name: "example.com"}

func mustApp(t testing.TB, name, host string) App {
	t.Helper()
	a, err := NewApp(name, "example.com", host)
	if err != nil {
		t.Fatalf("NewApp(%q, example.com, %q): %v", name, host, err)
	}
	return a
}

// mode is a way of routing an app's traffic.
type mode struct {
	name  string
	cname bool // CNAME endpoint and weighted records instead of alias A
	apex  bool // the host is the zone apex
}

func (m mode) routing() Routing {
	if m.cname {
		return Routing{Zone: exampleZone, CNAME: true, TTL: 60}
	}
	return Routing{Zone: exampleZone}
}

func (m mode) app(t testing.TB, name string) App {
	if m.apex {
		return mustApp(t, name, "example.com")
	}
	return mustApp(t, name, "")
}

var (
	aliasMode = mode{name: "alias"}
	cnameMode = mode{name: "cname", cname: true}
	apexMode  = mode{name: "apex", apex: true}
)

func lbName(id string) string { return "lb-" + id + ".eu-west-1.elb.amazonaws.com" }

func lbTarget(id string) Target { return Target{DNSName: lbName(id), HostedZoneID: lbZoneID} }

func slotRec(a App, c Color, id string) Record {
	return Record{Name: "stack." + string(c) + "." + a.Name + "." + a.Zone, Type: "TXT", TTL: 60, Values: []string{`"` + id + `"`}}
}

func activeRec(a App, id string) Record {
	return Record{Name: "stack.active." + a.Name + "." + a.Zone, Type: "TXT", TTL: 60, Values: []string{`"` + id + `"`}}
}

func endpointRec(a App, m mode, id string) Record {
	name := a.Name + "-" + id + "." + a.Zone
	if m.cname {
		return Record{Name: name, Type: "CNAME", TTL: 60, Values: []string{lbName(id)}}
	}
	return Record{Name: name, Type: "A", Alias: &Alias{HostedZoneID: lbZoneID, DNSName: lbName(id)}}
}

func weightedRec(a App, m mode, c Color, id string, w int64) Record {
	r := Record{Name: a.HostName(), SetIdentifier: a.Name + "-" + string(c), Weight: &w}
	target := a.Name + "-" + id + "." + a.Zone
	if m.cname {
		r.Type, r.TTL, r.Values = "CNAME", 60, []string{target}
	} else {
		r.Type, r.Alias = "A", &Alias{HostedZoneID: zoneID, DNSName: target}
	}
	return r
}

func txtRec(name, text string) Record {
	return Record{Name: name, Type: "TXT", TTL: 300, Values: []string{`"` + text + `"`}}
}

func simpleA(name string) Record {
	return Record{Name: name, Type: "A", TTL: 300, Values: []string{"192.0.2.10"}}
}

// cat concatenates record lists into a new slice.
func cat(lists ...[]Record) []Record {
	var out []Record
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// sortedRecords returns a sorted deep copy, for comparing record sets.
func sortedRecords(rs []Record) []Record {
	out := make([]Record, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Clone())
	}
	slices.SortFunc(out, func(a, b Record) int {
		return strings.Compare(a.Key().String(), b.Key().String())
	})
	return out
}

// cloneRecords is a deep copy that keeps nil as nil.
func cloneRecords(rs []Record) []Record {
	if rs == nil {
		return nil
	}
	out := make([]Record, len(rs))
	for i, r := range rs {
		out[i] = r.Clone()
	}
	return out
}

// managedOf returns the records a restore puts back, sorted.
func managedOf(a App, rs []Record) []Record {
	var out []Record
	for _, r := range rs {
		if a.Managed(r) {
			out = append(out, r)
		}
	}
	return sortedRecords(out)
}

// ownedOf returns the app's records, sorted.
func ownedOf(a App, rs []Record) []Record {
	var out []Record
	for _, r := range rs {
		if a.Owns(r) {
			out = append(out, r)
		}
	}
	return sortedRecords(out)
}

// weightsOf maps each color with a weighted record to its weight.
func weightsOf(s State) map[Color]int64 {
	w := map[Color]int64{}
	for c, r := range s.Weighted {
		if r.Weight != nil {
			w[c] = *r.Weight
		}
	}
	return w
}

// summary is what the tests assert about a State besides its problems.
type summary struct {
	Phase       Phase
	Active      string
	ActiveColor Color
	Slots       map[Color]string
	Weights     map[Color]int64
}

func summarize(s State) summary {
	return summary{Phase: s.Phase, Active: s.Active, ActiveColor: s.ActiveColor, Slots: s.Slots, Weights: weightsOf(s)}
}

// checkProblems asserts that problems has exactly one entry per want, each containing its substring, in order.
func checkProblems(t *testing.T, problems []string, want []string) {
	t.Helper()
	if len(problems) != len(want) {
		t.Errorf("got %d problems %q, want %d containing %q", len(problems), problems, len(want), want)
		return
	}
	for i := range want {
		if !strings.Contains(problems[i], want[i]) {
			t.Errorf("problem %d = %q, want it to contain %q", i, problems[i], want[i])
		}
	}
}
