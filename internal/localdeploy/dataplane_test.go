package localdeploy_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
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
	out, err := cw.GetMetricData(e.ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start), EndTime: aws.Time(time.Now().UTC().Add(2 * time.Minute).Truncate(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("requests"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String(localdeploy.ALBNamespace), MetricName: aws.String(localdeploy.RequestCountName),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(localdeploy.LoadBalancerDimension(arn))}}},
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
		t.Errorf("CloudWatch has RequestCount %v for %s (%s), want the %d requests the load balancer served", sum, localdeploy.LoadBalancerDimension(arn), name, served)
	}
	if !strings.HasPrefix(localdeploy.LoadBalancerDimension(arn), "app/") {
		t.Errorf("dimension %q of %s, want app/<name>/<id>", localdeploy.LoadBalancerDimension(arn), arn)
	}
}
