package records

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Tests of decisions taken after the first round of tests: what a restore may touch at the host, two more
// invariant problems, and a CNAME TTL that changed between releases.

func TestManagedAtTheHost(t *testing.T) {
	apex := mustApp(t, "demo", "example.com")
	mx := Record{Name: "example.com", Type: "MX", TTL: 300, Values: []string{"10 mail.example.com"}}
	spf := txtRec("example.com", "v=spf1 -all")
	ns := Record{Name: "example.com", Type: "NS", TTL: 172800, Values: []string{"ns-1.awsdns-01.org"}}
	latency := Record{Name: "example.com", Type: "A", SetIdentifier: "eu", TTL: 60, Values: []string{"192.0.2.1"}}
	tests := []struct {
		name string
		r    Record
		want bool
	}{
		{"the app's weighted record", weightedRec(apex, apexMode, Blue, id1, 100), true},
		{"a simple A record (adoptable)", simpleA("example.com"), true},
		{"the zone's NS", ns, false},
		{"an MX record", mx, false},
		{"an SPF TXT record", spf, false},
		{"another routing policy's record", latency, false},
		{"a slot", slotRec(apex, Blue, id1), true},
		{"an endpoint (comes and goes with its stack)", endpointRec(apex, apexMode, id1), false},
	}
	for _, tt := range tests {
		if got := apex.Managed(tt.r); got != tt.want {
			t.Errorf("%s: Managed = %v, want %v", tt.name, got, tt.want)
		}
	}
	// A restore therefore never deletes a record someone added at the host during the deployment.
	before := []Record{slotRec(apex, Blue, id1), activeRec(apex, id1), weightedRec(apex, apexMode, Blue, id1, 100)}
	current := Read(apex, cat(before, []Record{endpointRec(apex, apexMode, id1), ns, mx, spf}), Facts{})
	if b := apex.Restore(current, before); !b.Empty() {
		t.Errorf("Restore with foreign records at the host = %v, want no change", b.Changes)
	}
}

func TestReadFlagsAWeightedRecordWithoutItsEndpointAndTwoSlotsNamingOneStack(t *testing.T) {
	a := mustApp(t, "demo", "")
	noEndpoint := Read(a, []Record{slotRec(a, Blue, id1), activeRec(a, id1), weightedRec(a, cnameMode, Blue, id1, 100)}, Facts{})
	checkProblems(t, noEndpoint.Problems, []string{"does not exist"})
	both := Read(a, []Record{endpointRec(a, aliasMode, id1), slotRec(a, Blue, id1), slotRec(a, Green, id1)}, Facts{})
	checkProblems(t, both.Problems, []string{"both slots name stack " + id1})
}

func TestPublishSlotRewritesTheGroupsTTL(t *testing.T) {
	a := mustApp(t, "demo", "")
	old := Routing{Zone: exampleZone, CNAME: true, TTL: 60}
	live := []Record{endpointRec(a, cnameMode, id1), slotRec(a, Blue, id1), activeRec(a, id1), a.WeightedRecord(old, Blue, id1, 100)}
	next := Routing{Zone: exampleZone, CNAME: true, TTL: 300}
	ep, err := a.PublishEndpoint(next, id2, lbTarget(id2))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Apply(exampleZone, live, ep)
	if err != nil {
		t.Fatal(err)
	}
	b := a.PublishSlot(next, Read(a, rs, Facts{}), Green, id2)
	blue := a.WeightedRecord(next, Blue, id1, 100)
	want := []Change{
		{Action: Upsert, Record: slotRec(a, Green, id2)},
		{Action: Upsert, Record: a.WeightedRecord(next, Green, id2, 0)},
		{Action: Upsert, Record: blue},
	}
	if diff := cmp.Diff(want, b.Changes); diff != "" {
		t.Errorf("PublishSlot after a TTL change (-want +got):\n%s", diff)
	}
	if _, err := Apply(exampleZone, rs, b); err != nil {
		t.Errorf("Apply(PublishSlot) = %v", err)
	}
}
