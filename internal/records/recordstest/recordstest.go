// Package recordstest holds the record fixtures the handlers' tests share: app demoapp in zone example.com (hosted
// zone ZoneID), its endpoint records aliasing a load balancer in LBZoneID, and its slot, active and weighted records.
package recordstest

import "github.com/bluegreen-aws/bluegreen/internal/records"

// The hosted zones of the fixtures.
const (
	ZoneID   = "Z0EXAMPLE12345" // the app's hosted zone
	LBZoneID = "Z35SXDOTRQ7X7K" // the load balancers' canonical hosted zone
)

// App is the app of the fixtures.
var App = records.App{Name: "demoapp", Zone: "example.com", Host: "demoapp.example.com"}

// LBName is the DNS name of stack id's load balancer.
func LBName(id string) string { return "lb-" + id + ".elb.amazonaws.com" }

// Endpoint is stack id's endpoint record: an alias to its load balancer.
func Endpoint(id string) records.Record {
	return records.Record{Name: App.EndpointName(id), Type: records.TypeA, Alias: &records.Alias{HostedZoneID: LBZoneID, DNSName: LBName(id)}}
}

// Weighted is a color's weighted alias record at the host, pointing at stack id's endpoint.
func Weighted(c records.Color, id string, w int64) records.Record {
	return records.Record{Name: App.HostName(), Type: records.TypeA, SetIdentifier: App.SetIdentifier(c), Weight: records.Weight(w),
		Alias: &records.Alias{HostedZoneID: ZoneID, DNSName: App.EndpointName(id)}}
}

// Slot is a color's slot TXT record naming stack id.
func Slot(c records.Color, id string) records.Record {
	return records.TXT(App.SlotName(c), records.TXTTTL, id)
}

// Active is the active TXT record naming stack id.
func Active(id string) records.Record { return records.TXT(App.ActiveName(), records.TXTTTL, id) }

// EndpointCNAME is stack id's endpoint record as a CNAME to its load balancer.
func EndpointCNAME(id string) records.Record {
	return records.Record{Name: App.EndpointName(id), Type: records.TypeCNAME, TTL: 60, Values: []string{LBName(id)}}
}
