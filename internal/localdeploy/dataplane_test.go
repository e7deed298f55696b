package localdeploy_test

import (
	"io"
	"math"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/health"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/clients"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/dataplane"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/lbaddr"
	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// The local data plane: load balancers that serve their stack's release on addresses of their own, and publish
// what they served to the local CloudWatch as an ALB does.

// probeLoadBalancer makes an app's probes go to its stacks' load balancers (no HealthURL output), over http.
func probeLoadBalancer(c *deploy.Config) {
	delete(c.Parameters, "HealthBase")
	c.Health.Scheme, c.Health.Path = "http", "/health"
	c.Strategy.Steps = []int{}
}

// endpoint is the load balancer of an app's stack: its DNS name and ARN.
func (e *env) endpoint(app, id string) (name, arn string) {
	e.t.Helper()
	ep, err := e.d.Stacks.Endpoint(e.ctx, app+"-"+id, deploy.DefaultEndpointOutput, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return ep.DNSName, ep.LoadBalancerARN
}

// lbAddress is where the local AWS serves port (80 or 443) of the load balancer named host, as the health
// function asks for it.
func (e *env) lbAddress(host, port string) string {
	e.t.Helper()
	a, err := lbaddr.NewClient(local.Endpoint).LookupAddrPort(e.ctx, host, port)
	if err != nil {
		e.t.Fatal(err)
	}
	return a.String()
}

func TestLoadBalancersServeTheirReleaseOnAddressesOfTheirOwn(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", probeLoadBalancer)
	e.deploy("demoapp", "v1-lb")
	blueID := e.status("demoapp").State.Slots[records.Blue]
	e.deploy("demoapp", "v2-lb")
	s := e.live("demoapp", records.Green, blueID)
	blue, _ := e.endpoint("demoapp", s.State.Slots[records.Blue])
	green, _ := e.endpoint("demoapp", s.State.Slots[records.Green])
	blueAt, greenAt := e.lbAddress(blue, "80"), e.lbAddress(green, "80")
	blueIP, bluePort, _ := strings.Cut(blueAt, ":")
	greenIP, greenPort, _ := strings.Cut(greenAt, ":")
	if blueIP == greenIP || !strings.HasPrefix(blueIP, "127.") || !strings.HasPrefix(greenIP, "127.") || bluePort != greenPort {
		t.Fatalf("load balancers at %s and %s, want two loopback addresses with one http port", blueAt, greenAt)
	}
	for at, want := range map[string]string{blueAt: "v1-lb", greenAt: "v2-lb"} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+at+"/", nil)
		req.Host = "demoapp.example.com"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get(localdeploy.VersionHeader); got != want || resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("http://%s/ answered %d %s=%q %q, want 200 from %s", at, resp.StatusCode, localdeploy.VersionHeader, got, body, want)
		}
	}
}

func TestLoadBalancersPublishRequestCount(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", probeLoadBalancer)
	start := time.Now().UTC().Add(-time.Minute).Truncate(time.Minute)
	e.deploy("demoapp", "v1-count")
	id := e.status("demoapp").State.Slots[records.Blue]
	name, arn := e.endpoint("demoapp", id)
	at := e.lbAddress(name, "80")
	const sent = 37
	for range sent {
		resp, err := http.Get("http://" + at + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if err := apps.FlushRequestCounts(e.ctx); err != nil {
		t.Fatal(err)
	}
	served := apps.LoadBalancerRequestCount(name) // the requests above and the release's probes
	if served < sent+1 {
		t.Fatalf("the load balancer counted %d requests, want the %d sent and the release's probes", served, sent)
	}

	cw := cloudwatch.NewFromConfig(e.d.Config, func(o *cloudwatch.Options) {
		o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
	})
	dim, err := health.LoadBalancerMetricDimension(arn)
	if err != nil {
		t.Fatal(err)
	}
	out, err := cw.GetMetricData(e.ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start), EndTime: aws.Time(time.Now().UTC().Add(2 * time.Minute).Truncate(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("requests"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String(health.ALBNamespace), MetricName: aws.String(health.RequestCountMetric),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(dim)}}},
			Period: aws.Int32(60), Stat: aws.String("Sum"),
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, r := range out.MetricDataResults {
		for _, v := range r.Values {
			sum += v
		}
	}
	if int64(sum) != served {
		t.Errorf("CloudWatch has RequestCount %v for %s (%s), want the %d requests the load balancer served", sum, dim, name, served)
	}
}

// resolve asks the local DNS data plane for a name's addresses, as a client would.
func (e *env) resolve(name string) []netip.Addr {
	e.t.Helper()
	addrs, _, err := dataplane.Resolve(e.ctx, local.DataPlane.Addr(), name)
	if err != nil {
		e.t.Fatalf("resolve %s: %v", name, err)
	}
	return addrs
}

// get sends one request to the load balancer at addr (the http port) for host, and returns the release that
// answered.
func get(t *testing.T, addr netip.Addr, host string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+netip.AddrPortFrom(addr, apps.LoadBalancerPort()).String()+"/", nil)
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get(localdeploy.VersionHeader)
}

// A request that follows the local DNS reaches the stack the records chose; the health function's addresses and
// the DNS agree on every load balancer.
func TestRequestsThroughTheLocalDNSReachTheChosenStack(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	if _, _, err := dataplane.Resolve(e.ctx, local.DataPlane.Addr(), "demoapp.example.com"); err == nil {
		t.Fatal("demoapp.example.com resolves before its first release")
	}
	e.deploy("demoapp", "v1-dns")
	blueID := e.status("demoapp").State.Slots[records.Blue]
	e.deploy("demoapp", "v2-dns")
	e.live("demoapp", records.Green, blueID)
	greenID := e.status("demoapp").State.Slots[records.Green]
	for id, version := range map[string]string{blueID: "v1-dns", greenID: "v2-dns"} {
		lb, _ := e.endpoint("demoapp", id)
		byName := e.resolve(lb)
		health := e.lbAddress(lb, "80")
		if len(byName) != 1 || byName[0].String()+":"+strconv.Itoa(int(apps.LoadBalancerPort())) != health {
			t.Errorf("load balancer %s: DNS answers %v, the health function's address is %s; want one and the same", lb, byName, health)
		}
		perStack := e.resolve("demoapp-" + id + ".example.com")
		if !slices.Equal(perStack, byName) {
			t.Errorf("demoapp-%s.example.com resolves to %v, want its load balancer's %v", id, perStack, byName)
		}
		if got := get(t, perStack[0], "demoapp-"+id+".example.com"); got != version {
			t.Errorf("demoapp-%s.example.com is served by %q, want %s", id, got, version)
		}
	}
	// The host has all its weight on green: every answer is green's load balancer, and it serves v2.
	green, _ := e.endpoint("demoapp", greenID)
	want := e.resolve(green)
	for range 20 {
		got := e.resolve("demoapp.example.com")
		if !slices.Equal(got, want) {
			t.Fatalf("demoapp.example.com resolves to %v, want green's load balancer %v", got, want)
		}
	}
	if got := get(t, want[0], "demoapp.example.com"); got != "v2-dns" {
		t.Errorf("demoapp.example.com is served by %q, want v2-dns", got)
	}
}

// Clients that follow the local DNS produce, at each step, a share of requests on the new release within
// statistical bounds of the step's weight; all of them after the switch.
func TestTheObservedSplitFollowsTheWeights(t *testing.T) {
	e := setup(t)
	bake, watch := 3, 2
	e.addApp("demoapp", func(c *deploy.Config) {
		c.Strategy.BakeSeconds, c.Strategy.WatchSeconds, c.Strategy.WatchIntervalSeconds = &bake, &watch, &watch
	})
	e.deploy("demoapp", "v1-split")
	const clientCount, every = 40, 25 * time.Millisecond
	load, err := e.d.Clients(e.ctx, clients.Config{Host: "demoapp.example.com", Clients: clientCount, Every: every, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer load.Stop()
	arn, r := e.run(deploy.Input{App: "demoapp", Version: "v2-split"})
	load.Stop()
	if r.Status != "SUCCEEDED" {
		t.Fatalf("v2-split: %s %s %s", r.Status, r.Error, r.Cause)
	}
	windows, err := localdeploy.StepWindows(e.ctx, e.d.Operator.SFN.(*sfn.Client), arn)
	if err != nil {
		t.Fatal(err)
	}
	settle := lbTTL + dataplane.DefaultRecordCache
	got := localdeploy.ObserveSplit(windows, load, "v2-split", settle)
	if len(got) != 4 || got[0].Intended != 10 || got[1].Intended != 30 || got[2].Intended != 60 || got[3].Intended != 100 {
		t.Fatalf("observed %v, want the steps 10, 30, 60 and 100 (the watch)", got)
	}
	for i, o := range got {
		w := windows[i]
		// Each client draws a weighted answer once per TTL, so the draws in a window, not the requests, are the sample.
		draws := float64(clientCount) * (w.To.Sub(w.From) - settle).Seconds() / lbTTL.Seconds()
		p := float64(o.Intended) / 100
		bound := 100 * (4.5*math.Sqrt(p*(1-p)/draws) + 0.01)
		if o.Requests < 500 || math.Abs(o.Observed-float64(o.Intended)) > bound {
			t.Errorf("%v: want at least 500 requests within ±%.1f %% of %d %% (about %.0f DNS draws)", o, bound, o.Intended, draws)
		}
		t.Log(o)
	}
	before := load.Between(time.Time{}, windows[0].From)
	if before.Versions["v2-split"] != 0 || before.Requests == 0 {
		t.Errorf("before the first step: %v, want only v1-split", before)
	}
}
