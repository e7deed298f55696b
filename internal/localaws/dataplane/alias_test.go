package dataplane

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

// demoZone is the deployer's records for demoapp: the host's weighted alias A records to the per-stack endpoints,
// each an alias A to its stack's load balancer (DESIGN.md, "DNS is the state store").
func demoZone(blueWeight, greenWeight int64, evaluate bool) Zone {
	return hosted("example.com",
		weighted(alias("demoapp.example.com", "A", "demoapp-111111.example.com", evaluate), "demoapp-blue", blueWeight),
		weighted(alias("demoapp.example.com", "A", "demoapp-222222.example.com", evaluate), "demoapp-green", greenWeight),
		alias("demoapp-111111.example.com", "A", lbBlue, evaluate),
		alias("demoapp-222222.example.com", "A", lbGreen, evaluate),
		rec("stack.active.demoapp.example.com", "TXT", 60, `"111111"`),
	)
}

// An alias is followed to its target, within the zone and on to a load balancer: the answer carries the queried
// name with the final A record, and the target's TTL (a load balancer's: LoadBalancerTTL); Result.LoadBalancer
// names the load balancer.
func TestAliasesAreFollowed(t *testing.T) {
	tests := []struct {
		name, query string
		zone        Zone
		want        []string
		wantLB      string
	}{
		{"the host, all weight on blue", "demoapp.example.com", demoZone(100, 0, false),
			[]string{"demoapp.example.com. 5 IN A 127.0.0.2"}, lbBlue},
		{"the host, all weight on green", "DemoApp.Example.COM.", demoZone(0, 100, false),
			[]string{"DemoApp.Example.COM. 5 IN A 127.0.0.3"}, lbGreen},
		{"a per-stack endpoint", "demoapp-222222.example.com", demoZone(100, 0, false),
			[]string{"demoapp-222222.example.com. 5 IN A 127.0.0.3"}, lbGreen},
		{"an alias to a record with its own TTL", "www.example.com",
			hosted("example.com", alias("www.example.com", "A", "web.example.com", false), a("web.example.com", 300, "10.0.0.9", "10.0.0.8")),
			[]string{"www.example.com. 300 IN A 10.0.0.8", "www.example.com. 300 IN A 10.0.0.9"}, ""},
		{"an alias to a record in another zone served here", "www.example.com",
			Zone{Name: "example.com", Records: []Record{alias("www.example.com", "A", "web.example.org", false)}},
			nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			zones := []Zone{tt.zone}
			if tt.name == "an alias to a record in another zone served here" {
				zones = append(zones, hosted("example.org", a("web.example.org", 30, "10.0.0.7")))
				tt.want = []string{"www.example.com. 30 IN A 10.0.0.7"}
			}
			r := rules(nil, zones...)
			res := r.Answer(context.Background(), tt.query, dns.TypeA)
			if res.Rcode != dns.RcodeSuccess || !res.Authoritative || res.Err != nil {
				t.Fatalf("rcode %s, authoritative %v, err %v; want NOERROR, authoritative", dns.RcodeToString[res.Rcode], res.Authoritative, res.Err)
			}
			if diff := cmp.Diff(rrs(res.Answer), tt.want); diff != "" {
				t.Errorf("answer (-got +want):\n%s", diff)
			}
			if res.LoadBalancer != tt.wantLB {
				t.Errorf("load balancer %q, want %q", res.LoadBalancer, tt.wantLB)
			}
		})
	}
}

// An alias whose target does not exist — a load balancer the local AWS does not serve, a name with no record of the
// alias's type — answers NOERROR with no data (and the SOA, as any NODATA answer).
func TestAliasToNothing(t *testing.T) {
	for _, target := range []string{"gone-9.us-east-1.elb.amazonaws.com", "nothing.example.com"} {
		r := rules(nil, hosted("example.com", alias("www.example.com", "A", target, false), rec("nothing.example.com", "TXT", 60, `"x"`)))
		res := r.Answer(context.Background(), "www.example.com", dns.TypeA)
		if res.Rcode != dns.RcodeSuccess || len(res.Answer) != 0 || len(res.Authority) != 1 || res.Authority[0].Header().Rrtype != dns.TypeSOA {
			t.Errorf("alias to %s: rcode %s, answer %v, authority %v; want NOERROR, no answer, the SOA",
				target, dns.RcodeToString[res.Rcode], res.Answer, res.Authority)
		}
	}
}

// EvaluateTargetHealth: on, an alias is as healthy as its target — a load balancer (Health), or a record in the zone
// that is itself an alias evaluating its target; off, the alias is always healthy and its target's health does not
// matter. Blue holds 90 % of the weight; which stacks answer?
func TestEvaluateTargetHealth(t *testing.T) {
	tests := []struct {
		name      string
		evaluate  bool
		blue      bool // the blue load balancer is healthy
		green     bool
		wantBlue  bool // blue answers at least once
		wantGreen bool
	}{
		{"on, both healthy", true, true, true, true, true},
		{"on, blue unhealthy: green takes it all", true, false, true, false, true},
		{"on, green unhealthy: blue takes it all", true, true, false, true, false},
		{"on, both unhealthy: as if both healthy", true, false, false, true, true},
		{"off, blue unhealthy: blue still answers", false, false, true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fakeHealth{lbs: map[string]bool{lbBlue: tt.blue, lbGreen: tt.green}}
			got := counts(t, rules(h, demoZone(90, 10, tt.evaluate)), "demoapp.example.com", dns.TypeA, 300)
			gotBlue := got["demoapp.example.com. 5 IN A 127.0.0.2"] > 0
			gotGreen := got["demoapp.example.com. 5 IN A 127.0.0.3"] > 0
			if gotBlue != tt.wantBlue || gotGreen != tt.wantGreen {
				t.Errorf("answers %v: blue %v green %v, want blue %v green %v", got, gotBlue, gotGreen, tt.wantBlue, tt.wantGreen)
			}
		})
	}
}

// A Route 53 health check on a record in a target group makes the alias that evaluates that group unhealthy when
// every record of the group is: "a record or a group of records in the zone that has a healthy answer".
func TestEvaluateTargetHealthOfARecordGroup(t *testing.T) {
	tests := []struct {
		name   string
		checks map[string]bool
		want   string // the answer of at least 190 of 200 queries
	}{
		{"the target group has a healthy record", map[string]bool{"hc-a": false, "hc-b": true}, "www.example.com. 60 IN A 10.0.0.2"},
		{"every record of the target group unhealthy: the other alias answers", map[string]bool{"hc-a": false, "hc-b": false},
			"www.example.com. 30 IN A 10.0.1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rules(fakeHealth{checks: tt.checks}, hosted("example.com",
				weighted(alias("www.example.com", "A", "pool.example.com", true), "pool", 255),
				weighted(alias("www.example.com", "A", "backup.example.com", true), "backup", 1),
				checked(weighted(a("pool.example.com", 60, "10.0.0.1"), "a", 1), "hc-a"),
				checked(weighted(a("pool.example.com", 60, "10.0.0.2"), "b", 1), "hc-b"),
				a("backup.example.com", 30, "10.0.1.1")))
			// 255 against 1: backup answering nearly every time means the pool was judged unhealthy.
			if got := counts(t, r, "www.example.com", dns.TypeA, 200); got[tt.want] < 190 {
				t.Errorf("answers %v, want %q at least 190 times", got, tt.want)
			}
		})
	}
}
