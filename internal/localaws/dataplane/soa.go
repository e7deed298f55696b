package dataplane

import (
	"strconv"

	"github.com/miekg/dns"
)

// defaultSOA is the SOA record Route 53 creates for a public hosted zone ("NS and SOA records that Amazon Route 53
// creates for a public hosted zone"): the zone's first name server, hostmaster.example.com, serial 1, refresh 7200,
// retry 900, expire 1209600 (two weeks), minimum 86400 (one day), with a TTL of 900 s. moto creates the same; a
// zone without one (a test's) is given it.
func defaultSOA(zone string) *dns.SOA {
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: dns.Fqdn(zone), Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 900},
		Ns:      "ns-2048.awsdns-64.com.",
		Mbox:    "hostmaster.example.com.",
		Serial:  1,
		Refresh: 7200,
		Retry:   900,
		Expire:  1209600,
		Minttl:  86400,
	}
}

// negativeSOA is the SOA record that goes in the authority section of a negative answer (NXDOMAIN, NODATA), with
// the TTL resolvers cache the negative answer for: "the lesser of" the SOA record's minimum and its TTL (Route 53's
// SOA record documentation; RFC 2308 section 3): 900 s with Route 53's defaults.
func negativeSOA(z *zoneIndex) dns.RR {
	soa := defaultSOA(z.Name)
	for _, rec := range z.sets(z.Name, "SOA") {
		if len(rec.Values) == 0 || rec.Alias != nil {
			continue
		}
		rr, err := dns.NewRR(dns.Fqdn(z.Name) + " " + strconv.FormatInt(rec.TTL, 10) + " IN SOA " + rec.Values[0])
		if s, ok := rr.(*dns.SOA); err == nil && ok {
			soa = s
		}
		break
	}
	if soa.Minttl < soa.Hdr.Ttl {
		soa.Hdr.Ttl = soa.Minttl
	}
	return soa
}
