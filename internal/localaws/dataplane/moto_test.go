package dataplane_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/dataplane"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
)

// createZone creates a public hosted zone through the gateway, as the deployer would, and returns its id.
func createZone(t *testing.T, a *localaws.AWS, name string) string {
	t.Helper()
	cfg, _ := a.Config(t.Context())
	out, err := route53.NewFromConfig(cfg).CreateHostedZone(t.Context(), &route53.CreateHostedZoneInput{
		Name: aws.String(name), CallerReference: aws.String(name + time.Now().String())})
	if err != nil {
		t.Fatalf("create hosted zone %s: %v", name, err)
	}
	return aws.ToString(out.HostedZone.Id)
}

// change applies record sets (CREATE) to a zone through the gateway.
func change(t *testing.T, a *localaws.AWS, zoneID string, sets ...r53types.ResourceRecordSet) {
	t.Helper()
	cfg, _ := a.Config(t.Context())
	var changes []r53types.Change
	for _, rs := range sets {
		changes = append(changes, r53types.Change{Action: r53types.ChangeActionUpsert, ResourceRecordSet: &rs})
	}
	if _, err := route53.NewFromConfig(cfg).ChangeResourceRecordSets(t.Context(), &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(zoneID), ChangeBatch: &r53types.ChangeBatch{Changes: changes}}); err != nil {
		t.Fatalf("change records of %s: %v", zoneID, err)
	}
}

func simple(name string, typ r53types.RRType, ttl int64, values ...string) r53types.ResourceRecordSet {
	rs := r53types.ResourceRecordSet{Name: aws.String(name), Type: typ, TTL: aws.Int64(ttl)}
	for _, v := range values {
		rs.ResourceRecords = append(rs.ResourceRecords, r53types.ResourceRecord{Value: aws.String(v)})
	}
	return rs
}

func weightedSet(rs r53types.ResourceRecordSet, id string, w int64) r53types.ResourceRecordSet {
	rs.SetIdentifier, rs.Weight = aws.String(id), aws.Int64(w)
	return rs
}

func aliasSet(name, zoneID, target string, evaluate bool) r53types.ResourceRecordSet {
	return r53types.ResourceRecordSet{Name: aws.String(name), Type: r53types.RRTypeA,
		AliasTarget: &r53types.AliasTarget{HostedZoneId: aws.String(zoneID), DNSName: aws.String(target), EvaluateTargetHealth: evaluate}}
}

// ask asks the data plane one question over net ("udp" or "tcp"), as dig would.
func ask(t *testing.T, server netip.AddrPort, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Net: network, Timeout: 3 * time.Second}
	in, _, err := c.Exchange(m, server.String())
	if err != nil {
		t.Fatalf("ask %s (%s) %s %s: %v", server, network, name, dns.TypeToString[qtype], err)
	}
	return in
}

func lines(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		out = append(out, strings.Join(strings.Fields(rr.String()), " "))
	}
	sort.Strings(out)
	return out
}

// Records created through the Route 53 API are answered over UDP and TCP, as Route 53's name servers answer them,
// within the data plane's short cache; reading them leaves no call in the gateway's request log.
func TestServesTheZones(t *testing.T) {
	a := localawstest.Use(t, local)
	id := createZone(t, a, "example.com")
	change(t, a, id,
		simple("www.example.com", r53types.RRTypeA, 60, "10.0.0.1", "10.0.0.2"),
		simple("stack.active.demoapp.example.com", r53types.RRTypeTxt, 300, `"123456"`),
		simple("web.example.com", r53types.RRTypeCname, 120, "www.example.com"),
	)
	a.Gateway.ResetLog()
	server := a.DataPlane.Addr()
	soa := "example.com. 900 IN SOA ns-2048.awsdns-64.com. hostmaster.example.com. 1 7200 900 1209600 86400"
	tests := []struct {
		name      string
		qtype     uint16
		rcode     int
		answer    []string
		authority []string
	}{
		{"www.example.com", dns.TypeA, dns.RcodeSuccess, []string{"www.example.com. 60 IN A 10.0.0.1", "www.example.com. 60 IN A 10.0.0.2"}, nil},
		{"STACK.active.demoapp.example.com", dns.TypeTXT, dns.RcodeSuccess, []string{`STACK.active.demoapp.example.com. 300 IN TXT "123456"`}, nil},
		{"web.example.com", dns.TypeA, dns.RcodeSuccess,
			[]string{"web.example.com. 120 IN CNAME www.example.com.", "www.example.com. 60 IN A 10.0.0.1", "www.example.com. 60 IN A 10.0.0.2"}, nil},
		{"nope.example.com", dns.TypeA, dns.RcodeNameError, nil, []string{soa}},
		{"www.example.com", dns.TypeTXT, dns.RcodeSuccess, nil, []string{soa}},
		{"example.com", dns.TypeSOA, dns.RcodeSuccess, []string{soa}, nil},
		{"www.example.org", dns.TypeA, dns.RcodeRefused, nil, nil},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			in := ask(t, server, network, tt.name, tt.qtype)
			what := fmt.Sprintf("%s %s %s", network, tt.name, dns.TypeToString[tt.qtype])
			if in.Rcode != tt.rcode || in.Authoritative != (tt.rcode != dns.RcodeRefused) {
				t.Errorf("%s: %s aa=%v, want %s", what, dns.RcodeToString[in.Rcode], in.Authoritative, dns.RcodeToString[tt.rcode])
			}
			if diff := cmp.Diff(lines(in.Answer), tt.answer); diff != "" {
				t.Errorf("%s: answer (-got +want):\n%s", what, diff)
			}
			if diff := cmp.Diff(lines(in.Ns), tt.authority); diff != "" {
				t.Errorf("%s: authority (-got +want):\n%s", what, diff)
			}
		}
	}
	in := ask(t, server, "udp", "example.com", dns.TypeNS)
	if len(in.Answer) != 4 {
		t.Errorf("NS at the apex: %v, want moto's four name servers", lines(in.Answer))
	}
	addrs, ttl, err := dataplane.Resolve(t.Context(), server, "web.example.com")
	if want := []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")}; err != nil ||
		!slices.Equal(addrs, want) || ttl != 60*time.Second {
		t.Errorf("Resolve web.example.com: %v %v %v, want %v 1m0s", addrs, ttl, err, want)
	}
	if n := len(a.Gateway.Requests()); n != 0 {
		t.Errorf("the gateway logged %d calls while the data plane answered; want none", n)
	}

	// An answer too large for UDP (40 addresses, over 512 bytes) is truncated there and whole over TCP; Resolve asks
	// again over TCP.
	var many []string
	for i := range 40 {
		many = append(many, fmt.Sprintf("10.0.9.%d", i+1))
	}
	change(t, a, id, simple("many.example.com", r53types.RRTypeA, 60, many...))
	waitFor(t, 2*time.Second, func() bool { return len(ask(t, server, "tcp", "many.example.com", dns.TypeA).Answer) == 40 }, "many.example.com")
	if in := ask(t, server, "udp", "many.example.com", dns.TypeA); !in.Truncated || len(in.Answer) >= 40 {
		t.Errorf("40 addresses over UDP: truncated %v with %d answers, want TC and fewer", in.Truncated, len(in.Answer))
	}
	if addrs, _, err := dataplane.Resolve(t.Context(), server, "many.example.com"); err != nil || len(addrs) != 40 {
		t.Errorf("Resolve many.example.com: %d addresses, %v; want 40", len(addrs), err)
	}

	// A change is served once the cache has expired.
	change(t, a, id, simple("www.example.com", r53types.RRTypeA, 60, "10.0.0.3"))
	waitFor(t, 2*time.Second, func() bool {
		return slices.Equal(lines(ask(t, server, "udp", "www.example.com", dns.TypeA).Answer), []string{"www.example.com. 60 IN A 10.0.0.3"})
	}, "the changed www.example.com")
}

// The deployer's records: the host's weighted alias A records, to the per-stack alias A records, answered in
// proportion to their weights (2,000 queries, 70/30: each share within 5 points).
func TestWeightedAliasesOverTheWire(t *testing.T) {
	a := localawstest.Use(t, local)
	id := createZone(t, a, "example.com")
	change(t, a, id,
		simple("demoapp-111111.example.com", r53types.RRTypeA, 30, "10.0.1.1"),
		simple("demoapp-222222.example.com", r53types.RRTypeA, 30, "10.0.2.1"))
	change(t, a, id,
		weightedSet(aliasSet("demoapp.example.com", id, "demoapp-111111.example.com", false), "demoapp-blue", 70),
		weightedSet(aliasSet("demoapp.example.com", id, "demoapp-222222.example.com", false), "demoapp-green", 30))
	got := map[string]int{}
	const n = 2000
	for range n {
		in := ask(t, a.DataPlane.Addr(), "udp", "demoapp.example.com", dns.TypeA)
		if len(in.Answer) != 1 {
			t.Fatalf("answer %v: want one A record", lines(in.Answer))
		}
		got[lines(in.Answer)[0]]++
	}
	blue := float64(got["demoapp.example.com. 30 IN A 10.0.1.1"]) / n
	green := float64(got["demoapp.example.com. 30 IN A 10.0.2.1"]) / n
	if blue < 0.65 || blue > 0.75 || green < 0.25 || green > 0.35 {
		t.Errorf("answers %v: blue %.2f, green %.2f; want 0.70 and 0.30 (±0.05)", got, blue, green)
	}
}

// waitFor polls cond until it holds or d has passed.
func waitFor(t *testing.T, d time.Duration, cond func() bool, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %v", what, d)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
