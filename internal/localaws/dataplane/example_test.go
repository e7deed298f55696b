package dataplane_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/miekg/dns"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/dataplane"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// The host's weighted alias records, all the weight on blue: the answer carries the host's name, with the address
// of the record the alias leads to and that record's TTL.
func ExampleRules_Answer() {
	rec := func(r records.Record) dataplane.Record { return dataplane.Record{Record: r} }
	zone := dataplane.Zone{Name: "example.com", Records: []dataplane.Record{
		rec(records.Record{Name: "demoapp.example.com", Type: "A", SetIdentifier: "demoapp-blue", Weight: records.Weight(100),
			Alias: &records.Alias{DNSName: "demoapp-111111.example.com"}}),
		rec(records.Record{Name: "demoapp.example.com", Type: "A", SetIdentifier: "demoapp-green", Weight: records.Weight(0),
			Alias: &records.Alias{DNSName: "demoapp-222222.example.com"}}),
		rec(records.Record{Name: "demoapp-111111.example.com", Type: "A", TTL: 30, Values: []string{"10.0.1.1"}}),
		rec(records.Record{Name: "demoapp-222222.example.com", Type: "A", TTL: 30, Values: []string{"10.0.2.1"}}),
	}}
	r := dataplane.Rules{Snapshot: dataplane.NewSnapshot(zone), Rand: rand.New(rand.NewPCG(1, 2))}
	res := r.Answer(context.Background(), "demoapp.example.com", dns.TypeA)
	fmt.Println(dns.RcodeToString[res.Rcode], res.Authoritative)
	for _, rr := range res.Answer {
		fmt.Println(rr)
	}
	res = r.Answer(context.Background(), "nope.example.com", dns.TypeA)
	fmt.Println(dns.RcodeToString[res.Rcode], res.Authority[0])
	// Output:
	// NOERROR true
	// demoapp.example.com.	30	IN	A	10.0.1.1
	// NXDOMAIN example.com.	900	IN	SOA	ns-2048.awsdns-64.com. hostmaster.example.com. 1 7200 900 1209600 86400
}
