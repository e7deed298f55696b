package zone

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// A record's routing fields survive the trip to Route 53 and back: a compare-and-swap DELETE sends what was read,
// and Route 53 refuses one whose EvaluateTargetHealth or HealthCheckId differs from the stored record set's.
func TestConvertKeepsTheFailoverFields(t *testing.T) {
	for _, r := range []records.Record{
		{Name: "demoapp.example.com", Type: records.TypeA, SetIdentifier: "demoapp-blue", Weight: records.Weight(100),
			Alias: &records.Alias{HostedZoneID: "ZONE", DNSName: "demoapp-123456.example.com", EvaluateTargetHealth: true}},
		{Name: "demoapp-123456.example.com", Type: records.TypeA,
			Alias: &records.Alias{HostedZoneID: "ZLB", DNSName: "lb-1.elb.amazonaws.com", EvaluateTargetHealth: true}},
		{Name: "demoapp.example.com", Type: records.TypeCNAME, TTL: 60, Values: []string{"demoapp-123456.example.com"},
			SetIdentifier: "demoapp-blue", Weight: records.Weight(0), HealthCheckID: "0b0e4f3a-hc"},
		{Name: "demoapp.example.com", Type: records.TypeCNAME, TTL: 60, Values: []string{"demoapp-123456.example.com"},
			SetIdentifier: "demoapp-blue", Weight: records.Weight(0)},
	} {
		rs := ToSDK(r)
		if got := FromSDK(*rs); !got.Equal(r) {
			t.Errorf("round trip of %s: %s\n%s", r, got, cmp.Diff(r, got))
		}
		if (rs.HealthCheckId != nil) != (r.HealthCheckID != "") {
			t.Errorf("%s: HealthCheckId sent as %v", r, rs.HealthCheckId)
		}
	}
	a := records.Record{Name: "x.example.com", Type: records.TypeA, Alias: &records.Alias{HostedZoneID: "Z", DNSName: "lb.example.com"}}
	b := a.Clone()
	b.Alias.EvaluateTargetHealth = true
	c := a.Clone()
	c.HealthCheckID = "hc"
	if a.Equal(b) || a.Equal(c) || b.Equal(c) {
		t.Error("records differing only in EvaluateTargetHealth or HealthCheckId compare equal")
	}
}
