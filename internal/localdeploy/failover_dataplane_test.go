package localdeploy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/failover"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/clients"
	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Failover as clients see it, through the local DNS data plane: the app at rest, v2 live on green and v1 idle on
// blue (weight 0); then green fails — its targets (alias: EvaluateTargetHealth), or its health endpoint (CNAME: the
// Route 53 health check the deployer created, probed by the data plane's checkers). With routing.failover the
// clients move to v1 with no API call and no execution running; without it they stay on the failed stack.
func TestFailoverInTheDataPlane(t *testing.T) {
	for _, tt := range []struct {
		name     string
		failover bool
		cname    bool
		apex     bool
	}{
		{name: "alias with failover", failover: true},
		{name: "alias without failover"},
		{name: "alias at the apex with failover", failover: true, apex: true},
		{name: "cname with failover", failover: true, cname: true},
		{name: "cname without failover", cname: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			host := "demoapp." + zoneName
			e.addApp("demoapp", func(c *deploy.Config) {
				c.Routing.Failover = tt.failover
				if tt.cname {
					one := 1
					c.Endpoint.Type, c.Endpoint.TTL, c.DrainSeconds = deploy.EndpointCNAME, 1, &one
				}
				if tt.apex {
					c.Host, host = zoneName, zoneName
				}
			})
			tag := strings.NewReplacer(" ", "-").Replace(tt.name)
			v1, v2 := "v1-"+tag, "v2-"+tag
			e.deploy("demoapp", v1)
			blue := e.status("demoapp").State.Slots[records.Blue]
			e.deploy("demoapp", v2)
			green := e.live("demoapp", records.Green, blue).State.Active

			load, err := e.d.Clients(e.ctx, clients.Config{Host: host, Clients: 20, Every: 50 * time.Millisecond, Seed: 5})
			if err != nil {
				t.Fatal(err)
			}
			defer load.Stop()
			time.Sleep(time.Second)
			if before := load.Between(time.Time{}, time.Now()); before.Requests < 100 || before.Versions[v2] != before.Requests {
				t.Fatalf("before green fails: %v, want every request on %s", before, v2)
			}
			at := time.Now()
			if tt.cname {
				apps.Break(v2, true) // its /health fails, which its Route 53 health check probes
				t.Cleanup(func() { apps.Break(v2, false) })
			} else {
				if err := e.d.FailTargets(e.ctx, "demoapp-"+green); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(e.d.AWS.Gateway.ClearFaults)
			}
			// Alias: the data plane's 400 ms target-health cache, its 200 ms record cache and the TTL. CNAME: three
			// failed probes a second apart, then the CNAME's 1-s TTL.
			limit := 5 * time.Second
			if tt.cname {
				limit = 10 * time.Second
			}
			if !tt.failover {
				time.Sleep(limit)
				if after := load.Between(at, time.Now()); after.Requests < 100 || after.Versions[v2] != after.Requests {
					t.Errorf("without failover, after green failed: %v; want every request still on %s until the control plane acts", after, v2)
				}
				return
			}
			moved, ok := localdeploy.TrafficMoved(e.ctx, load, at, v1, 95, 500*time.Millisecond, limit)
			if !ok {
				t.Fatalf("with failover, the traffic never moved to %s within %s: %v", v1, limit, load.Between(at, time.Now()))
			}
			t.Logf("95 %% of requests on %s %s", v1, moved)
			time.Sleep(time.Second)
			if after := load.Between(at.Add(moved.After), time.Now()); after.Versions[v1] < after.Requests*95/100 {
				t.Errorf("after the traffic moved: %v, want it to stay on %s", after, v1)
			}
			// The records still say green is live: nothing was written. The status says what Route 53 serves (for
			// CNAME, from GetHealthCheckStatus, which the local AWS answers with what its checkers found).
			s := e.status("demoapp")
			if s.State.Active != green || s.State.Weight(records.Green) != 100 {
				t.Errorf("the records changed: active %s, green's weight %d", s.State.Active, s.State.Weight(records.Green))
			}
			judge := failover.Judge{ELB: elasticloadbalancingv2.NewFromConfig(e.d.Config), Route53: route53.NewFromConfig(e.d.Config),
				TargetGroups: func(ctx context.Context, id string) ([]string, error) {
					ep, err := e.d.Stacks.Endpoint(ctx, s.App.StackName(id), deploy.DefaultEndpointOutput, "")
					return ep.TargetGroups, err
				}}
			if err := e.d.Operator.Judge(e.ctx, &s, judge); err != nil || s.Served == nil || s.Served.Served != records.Blue || s.Served.Live != records.Green {
				t.Errorf("status: served %+v, %v; want it to say Route 53 serves blue while the records say green", s.Served, err)
			}
		})
	}
}
