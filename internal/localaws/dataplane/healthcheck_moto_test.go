package dataplane_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/miekg/dns"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
)

// Route 53 health checks created through the API (moto keeps their type, address, port, path and threshold) are
// probed by the data plane's checkers: a record whose check's endpoint answers 503 stops answering once
// FailureThreshold probes in a row have failed, and answers again once as many have passed; an Inverted check
// reverses it. One check probes by IP address, the other by a name in the zone.
func TestHealthChecksProbed(t *testing.T) {
	a := localawstest.Use(t, local)
	var failing atomic.Bool
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" || failing.Load() {
			http.Error(w, "no", http.StatusServiceUnavailable)
		}
	}))
	defer endpoint.Close()
	port, _ := strconv.Atoi(endpoint.URL[strings.LastIndex(endpoint.URL, ":")+1:])

	cfg, _ := a.Config(t.Context())
	r53 := route53.NewFromConfig(cfg)
	check := func(ref string, hc r53types.HealthCheckConfig) string {
		out, err := r53.CreateHealthCheck(t.Context(), &route53.CreateHealthCheckInput{CallerReference: aws.String(ref), HealthCheckConfig: &hc})
		if err != nil {
			t.Fatalf("create health check %s: %v", ref, err)
		}
		return aws.ToString(out.HealthCheck.Id)
	}
	byIP := check("by-ip", r53types.HealthCheckConfig{Type: r53types.HealthCheckTypeHttp, IPAddress: aws.String("127.0.0.1"),
		Port: aws.Int32(int32(port)), ResourcePath: aws.String("/health"), FailureThreshold: aws.Int32(2), RequestInterval: aws.Int32(10)})
	byName := check("by-name", r53types.HealthCheckConfig{Type: r53types.HealthCheckTypeHttp,
		FullyQualifiedDomainName: aws.String("origin.example.com"), Port: aws.Int32(int32(port)), ResourcePath: aws.String("/health"),
		FailureThreshold: aws.Int32(1), RequestInterval: aws.Int32(10), Inverted: aws.Bool(true)})
	got, err := r53.GetHealthCheck(t.Context(), &route53.GetHealthCheckInput{HealthCheckId: aws.String(byIP)})
	if c := got.HealthCheck.HealthCheckConfig; err != nil || aws.ToInt32(c.Port) != int32(port) || aws.ToInt32(c.FailureThreshold) != 2 ||
		aws.ToString(c.ResourcePath) != "/health" || aws.ToString(c.IPAddress) != "127.0.0.1" || c.Type != r53types.HealthCheckTypeHttp {
		t.Fatalf("moto's health check: %+v %v", got, err)
	}

	id := createZone(t, a, "example.com")
	withCheck := func(rs r53types.ResourceRecordSet, hc string) r53types.ResourceRecordSet {
		rs.HealthCheckId = aws.String(hc)
		return rs
	}
	change(t, a, id,
		simple("origin.example.com", r53types.RRTypeA, 60, "127.0.0.1"),
		withCheck(weightedSet(simple("www.example.com", r53types.RRTypeA, 60, "10.0.0.1"), "checked", 255), byIP),
		weightedSet(simple("www.example.com", r53types.RRTypeA, 60, "10.0.0.2"), "spare", 1),
		withCheck(weightedSet(simple("inv.example.com", r53types.RRTypeA, 60, "10.0.1.1"), "checked", 255), byName),
		weightedSet(simple("inv.example.com", r53types.RRTypeA, 60, "10.0.1.2"), "spare", 1))
	server := a.DataPlane.Addr()
	mostly := func(name, ip string) func() bool {
		return func() bool {
			n := 0
			for range 30 {
				if l := lines(ask(t, server, "udp", name, dns.TypeA).Answer); len(l) == 1 && strings.HasSuffix(l[0], " "+ip) {
					n++
				}
			}
			return n == 30
		}
	}
	waitFor(t, 3*time.Second, mostly("www.example.com", "10.0.0.1"), "www: the checked record, healthy")
	waitFor(t, 3*time.Second, mostly("inv.example.com", "10.0.1.2"), "inv: the spare, its inverted check unhealthy")

	failing.Store(true)
	waitFor(t, 3*time.Second, mostly("www.example.com", "10.0.0.2"), "www: the spare, once the endpoint fails")
	waitFor(t, 3*time.Second, mostly("inv.example.com", "10.0.1.1"), "inv: the checked record, its inverted check healthy")

	failing.Store(false)
	waitFor(t, 3*time.Second, mostly("www.example.com", "10.0.0.1"), "www: the checked record again")
}
