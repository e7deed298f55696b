package records

import (
	"fmt"
	"testing"
)

// benchZone is a zone with many apps at rest, as a shared production zone might be.
func benchZone(b *testing.B, apps int) (App, []Record) {
	b.Helper()
	var rs []Record
	var first App
	for i := range apps {
		a := mustApp(b, fmt.Sprintf("app%d", i), "")
		if i == 0 {
			first = a
		}
		rs = append(rs, endpointRec(a, aliasMode, id1), endpointRec(a, aliasMode, id2),
			slotRec(a, Blue, id1), slotRec(a, Green, id2), activeRec(a, id1),
			weightedRec(a, aliasMode, Blue, id1, 100), weightedRec(a, aliasMode, Green, id2, 0))
	}
	return first, rs
}

// BenchmarkRead reads one app's state from a zone of 200 apps (1,400 records).
func BenchmarkRead(b *testing.B) {
	a, rs := benchZone(b, 200)
	b.ReportAllocs()
	for b.Loop() {
		if s := Read(a, rs, Facts{}); s.Phase != PhaseAtRest {
			b.Fatal(s.Phase, s.Problems)
		}
	}
}

// BenchmarkApplySwitch checks a switch batch against a zone of 200 apps.
func BenchmarkApplySwitch(b *testing.B) {
	a, rs := benchZone(b, 200)
	s := Read(a, rs, Facts{})
	batch, err := a.Switch(Routing{Zone: exampleZone}, s, Green, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Apply(exampleZone, rs, batch); err != nil {
			b.Fatal(err)
		}
	}
}
