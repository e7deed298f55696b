package dataplane

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/lbaddr"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// fakeHealth is the health of health checks and load balancers, as a test sets it. Unknown ones are healthy, as a
// new Route 53 health check is.
type fakeHealth struct {
	checks map[string]bool
	lbs    map[string]bool
}

func (h fakeHealth) HealthCheck(id string) bool {
	ok, known := h.checks[id]
	return ok || !known
}

func (h fakeHealth) LoadBalancer(_ context.Context, name string) (bool, error) {
	ok, known := h.lbs[name]
	return ok || !known, nil
}

// fakeLBs are local load balancers by DNS name, as lbaddr.Resolver answers for them: NotFoundError for others.
func fakeLBs(addrs map[string]string) lbaddr.Resolver {
	return func(_ context.Context, host, port string) (netip.AddrPort, error) {
		a, ok := addrs[strings.ToLower(host)]
		if !ok {
			return netip.AddrPort{}, &lbaddr.NotFoundError{Host: host, Port: port}
		}
		return netip.AddrPortFrom(netip.MustParseAddr(a), 41000), nil
	}
}

const (
	lbBlue  = "blue-1.us-east-1.elb.amazonaws.com"
	lbGreen = "green-2.us-east-1.elb.amazonaws.com"
)

// rules are the rules over zones, with the blue and green load balancers at 127.0.0.2 and 127.0.0.3, LoadBalancerTTL
// 5 s and a fixed seed.
func rules(h Health, zones ...Zone) Rules {
	return Rules{
		Snapshot:        NewSnapshot(zones...),
		Health:          h,
		LoadBalancers:   fakeLBs(map[string]string{lbBlue: "127.0.0.2", lbGreen: "127.0.0.3"}),
		LoadBalancerTTL: 5 * time.Second,
		Rand:            rand.New(rand.NewPCG(1, 2)),
	}
}

func hosted(name string, recs ...Record) Zone { return Zone{ID: "Z" + name, Name: name, Records: recs} }

func a(name string, ttl int64, ips ...string) Record {
	return Record{Record: records.Record{Name: name, Type: "A", TTL: ttl, Values: ips}}
}

func weighted(r Record, id string, w int64) Record {
	r.SetIdentifier, r.Weight = id, records.Weight(w)
	return r
}

func checked(r Record, check string) Record {
	r.HealthCheckID = check
	return r
}

func alias(name, typ, target string, evaluate bool) Record {
	return Record{Record: records.Record{Name: name, Type: typ,
		Alias: &records.Alias{HostedZoneID: "Z", DNSName: target, EvaluateTargetHealth: evaluate}}}
}

func rec(name, typ string, ttl int64, values ...string) Record {
	return Record{Record: records.Record{Name: name, Type: typ, TTL: ttl, Values: values}}
}

// rrs renders resource records one per line, sorted, as dig prints them (tabs made spaces).
func rrs(rr []dns.RR) []string {
	var out []string
	for _, r := range rr {
		out = append(out, strings.Join(strings.Fields(r.String()), " "))
	}
	sort.Strings(out)
	return out
}

// counts asks n times and counts the answers (the answer section, one line per answer).
func counts(t *testing.T, r Rules, name string, qtype uint16, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		res := r.Answer(context.Background(), name, qtype)
		if res.Err != nil {
			t.Fatalf("%s: %v", name, res.Err)
		}
		got[strings.Join(rrs(res.Answer), " | ")]++
	}
	return got
}
