package dataplane

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

// motoZone is example.com as moto creates it (Route 53's SOA and NS records), with a few records.
func motoZone() Zone {
	return hosted("example.com",
		rec("example.com", "SOA", 900, "ns-2048.awsdns-64.com. hostmaster.example.com. 1 7200 900 1209600 86400"),
		rec("example.com", "NS", 172800, "ns-2048.awsdns-64.com", "ns-2049.awsdns-65.net"),
		a("www.example.com", 60, "10.0.0.1"),
		rec("stack.blue.demoapp.example.com", "TXT", 300, `"819273"`),
		rec("words.example.com", "TXT", 300, `"two words" "and more"`),
		rec("web.example.com", "CNAME", 120, "www.example.com"),
		rec("lb.example.com", "CNAME", 60, lbBlue),
		rec("dangling.example.com", "CNAME", 60, "missing.example.com"),
		rec("outside.example.com", "CNAME", 60, "www.example.net"),
		weighted(rec("w.example.com", "CNAME", 60, "www.example.com"), "one", 1),
	)
}

// The answers of an authoritative server, rule by rule: the AA bit; NXDOMAIN for a name that does not exist and
// NODATA (NOERROR, no answer) for a name without records of the type, an empty non-terminal included, each with the
// zone's SOA in the authority section at its negative-caching TTL (min(TTL 900, minimum 86400) = 900); the SOA and
// NS at the apex; TXT values as strings; CNAMEs chased while the target is in a zone served here (RFC 1034
// 4.3.2), the last name's status in the rcode (RFC 6604); REFUSED outside every hosted zone; a load balancer's own
// name answered with LoadBalancerTTL; names in any case.
func TestAuthoritativeAnswers(t *testing.T) {
	soa := "example.com. 900 IN SOA ns-2048.awsdns-64.com. hostmaster.example.com. 1 7200 900 1209600 86400"
	tests := []struct {
		name          string
		qtype         uint16
		rcode         int
		authoritative bool
		answer        []string
		authority     []string
	}{
		{"www.example.com", dns.TypeA, dns.RcodeSuccess, true, []string{"www.example.com. 60 IN A 10.0.0.1"}, nil},
		{"WWW.Example.Com", dns.TypeA, dns.RcodeSuccess, true, []string{"WWW.Example.Com. 60 IN A 10.0.0.1"}, nil},
		{"nope.example.com", dns.TypeA, dns.RcodeNameError, true, nil, []string{soa}},
		{"www.example.com", dns.TypeAAAA, dns.RcodeSuccess, true, nil, []string{soa}},
		{"demoapp.example.com", dns.TypeTXT, dns.RcodeSuccess, true, nil, []string{soa}}, // empty non-terminal
		{"x.www.example.com", dns.TypeA, dns.RcodeNameError, true, nil, []string{soa}},
		{"example.com", dns.TypeSOA, dns.RcodeSuccess, true, []string{soa}, nil},
		{"example.com", dns.TypeNS, dns.RcodeSuccess, true,
			[]string{"example.com. 172800 IN NS ns-2048.awsdns-64.com.", "example.com. 172800 IN NS ns-2049.awsdns-65.net."}, nil},
		{"example.com", dns.TypeA, dns.RcodeSuccess, true, nil, []string{soa}},
		{"stack.blue.demoapp.example.com", dns.TypeTXT, dns.RcodeSuccess, true,
			[]string{`stack.blue.demoapp.example.com. 300 IN TXT "819273"`}, nil},
		{"words.example.com", dns.TypeTXT, dns.RcodeSuccess, true, []string{`words.example.com. 300 IN TXT "two words" "and more"`}, nil},
		{"web.example.com", dns.TypeA, dns.RcodeSuccess, true,
			[]string{"web.example.com. 120 IN CNAME www.example.com.", "www.example.com. 60 IN A 10.0.0.1"}, nil},
		{"web.example.com", dns.TypeCNAME, dns.RcodeSuccess, true, []string{"web.example.com. 120 IN CNAME www.example.com."}, nil},
		{"w.example.com", dns.TypeA, dns.RcodeSuccess, true,
			[]string{"w.example.com. 60 IN CNAME www.example.com.", "www.example.com. 60 IN A 10.0.0.1"}, nil},
		{"web.example.com", dns.TypeTXT, dns.RcodeSuccess, true, []string{"web.example.com. 120 IN CNAME www.example.com."}, []string{soa}},
		{"dangling.example.com", dns.TypeA, dns.RcodeNameError, true,
			[]string{"dangling.example.com. 60 IN CNAME missing.example.com."}, []string{soa}},
		{"lb.example.com", dns.TypeA, dns.RcodeSuccess, true, []string{"lb.example.com. 60 IN CNAME " + lbBlue + "."}, nil},
		{"outside.example.com", dns.TypeA, dns.RcodeSuccess, true, []string{"outside.example.com. 60 IN CNAME www.example.net."}, nil},
		{lbBlue, dns.TypeA, dns.RcodeSuccess, true, []string{lbBlue + ". 5 IN A 127.0.0.2"}, nil},
		{"Blue-1.US-East-1.elb.amazonaws.com.", dns.TypeA, dns.RcodeSuccess, true, []string{"Blue-1.US-East-1.elb.amazonaws.com. 5 IN A 127.0.0.2"}, nil},
		{lbBlue, dns.TypeAAAA, dns.RcodeSuccess, true, nil, nil},
		{"www.example.net", dns.TypeA, dns.RcodeRefused, false, nil, nil},
		{"gone-9.us-east-1.elb.amazonaws.com", dns.TypeA, dns.RcodeRefused, false, nil, nil},
	}
	r := rules(nil, motoZone())
	for _, tt := range tests {
		t.Run(tt.name+" "+dns.TypeToString[tt.qtype], func(t *testing.T) {
			res := r.Answer(context.Background(), tt.name, tt.qtype)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if res.Rcode != tt.rcode || res.Authoritative != tt.authoritative {
				t.Errorf("rcode %s, authoritative %v; want %s, %v", dns.RcodeToString[res.Rcode], res.Authoritative,
					dns.RcodeToString[tt.rcode], tt.authoritative)
			}
			if diff := cmp.Diff(rrs(res.Answer), tt.answer); diff != "" {
				t.Errorf("answer (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(rrs(res.Authority), tt.authority); diff != "" {
				t.Errorf("authority (-got +want):\n%s", diff)
			}
		})
	}
}

// A zone with no SOA record of its own (a test's) answers negatively with Route 53's default SOA; a zone inside
// another one served here is authoritative for its names (the longest zone wins).
func TestZonesChosen(t *testing.T) {
	r := rules(nil, hosted("example.com", a("www.example.com", 60, "10.0.0.1")),
		hosted("sub.example.com", a("www.sub.example.com", 60, "10.0.0.2")))
	res := r.Answer(context.Background(), "nope.sub.example.com", dns.TypeA)
	want := []string{"sub.example.com. 900 IN SOA ns-2048.awsdns-64.com. hostmaster.example.com. 1 7200 900 1209600 86400"}
	if res.Rcode != dns.RcodeNameError || !cmp.Equal(rrs(res.Authority), want) {
		t.Errorf("nope.sub.example.com: %s %v, want NXDOMAIN %v", dns.RcodeToString[res.Rcode], rrs(res.Authority), want)
	}
	res = r.Answer(context.Background(), "www.sub.example.com", dns.TypeA)
	if got := rrs(res.Answer); !cmp.Equal(got, []string{"www.sub.example.com. 60 IN A 10.0.0.2"}) {
		t.Errorf("www.sub.example.com: %v", got)
	}
}

// moto 5.2.1 lists its SOA record's value as a Python dict: the source takes the value out of it.
func TestMotoSOAValue(t *testing.T) {
	tests := map[string]string{
		`{'Value': 'ns-2048.awsdns-64.com. hostmaster.example.com. 1 7200 900 1209600 86400'}`: "ns-2048.awsdns-64.com. hostmaster.example.com. 1 7200 900 1209600 86400",
		`"{'Value': 'x'}"`: `"{'Value': 'x'}"`,
		"10.0.0.1":         "10.0.0.1",
	}
	for in, want := range tests {
		if got := unwrapMotoValue(in); got != want {
			t.Errorf("unwrapMotoValue(%s) = %s, want %s", in, got, want)
		}
	}
}
