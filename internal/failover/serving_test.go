package failover_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/bluegreen-aws/bluegreen/internal/failover"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/zone/zonetest"
)

// elb is target health by target group: each target's state.
type elb map[string][]elbtypes.TargetHealthStateEnum

func (e elb) DescribeTargetHealth(_ context.Context, in *elasticloadbalancingv2.DescribeTargetHealthInput, _ ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetHealthOutput, error) {
	out := &elasticloadbalancingv2.DescribeTargetHealthOutput{}
	for _, s := range e[aws.ToString(in.TargetGroupArn)] {
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, elbtypes.TargetHealthDescription{TargetHealth: &elbtypes.TargetHealth{State: s}})
	}
	return out, nil
}

const (
	blueID  = "111111"
	greenID = "222222"
)

// atRest is app demo at rest with green live, its weighted records as failover writes them (alias; or CNAME with the
// checks given), or without failover.
func atRest(a records.App, on bool, checks map[records.Color]string) records.State {
	rt := records.Routing{Zone: records.Zone{ID: "Z1", Name: "example.com"}, Failover: on}
	if checks != nil {
		rt.CNAME, rt.TTL, rt.HealthChecks = true, 60, map[string]string{blueID: checks[records.Blue], greenID: checks[records.Green]}
	}
	var rs []records.Record
	for c, id := range map[records.Color]string{records.Blue: blueID, records.Green: greenID} {
		ep, _ := a.EndpointRecord(rt, id, records.Target{DNSName: "lb-" + id + ".elb.amazonaws.com", HostedZoneID: "ZLB"})
		w := int64(0)
		if c == records.Green {
			w = 100
		}
		rs = append(rs, ep, records.TXT(a.SlotName(c), 60, id), a.WeightedRecord(rt, c, id, w))
	}
	rs = append(rs, records.TXT(a.ActiveName(), 60, greenID))
	return records.Read(a, rs, records.Facts{})
}

// Route 53 serves the idle stack when the live one's targets are all unhealthy (EvaluateTargetHealth) or its health
// check fails; it fails open when both are unhealthy; nothing is said without failover or while both are healthy.
func TestServed(t *testing.T) {
	a := records.App{Name: "demo", Zone: "example.com", Host: "demo.example.com"}
	tgs := func(_ context.Context, id string) ([]string, error) {
		return []string{"arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg-" + id + "/abc", "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/empty-" + id + "/def"}, nil
	}
	tg := func(id string) string {
		return "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg-" + id + "/abc"
	}
	healthy := []elbtypes.TargetHealthStateEnum{elbtypes.TargetHealthStateEnumHealthy, elbtypes.TargetHealthStateEnumUnhealthy}
	sick := []elbtypes.TargetHealthStateEnum{elbtypes.TargetHealthStateEnumUnhealthy, elbtypes.TargetHealthStateEnumUnhealthy}
	for _, tt := range []struct {
		name       string
		on         bool
		blue, grn  []elbtypes.TargetHealthStateEnum
		wantServed records.Color // "" means nil
		wantReason string
	}{
		{"both healthy", true, healthy, healthy, "", ""},
		{"live targets unhealthy", true, healthy, sick, records.Blue, "green is unhealthy: its targets are unhealthy: target group targetgroup/tg-222222/abc has 2 targets, none healthy"},
		{"failover off", false, healthy, sick, "", ""},
		{"both unhealthy: fail open", true, sick, sick, records.Green, "Route 53 answers as if both were healthy"},
		{"idle unhealthy only", true, sick, healthy, "", ""},
		{"health checks off (unavailable) count as healthy", true, healthy, []elbtypes.TargetHealthStateEnum{elbtypes.TargetHealthStateEnumUnavailable}, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			j := failover.Judge{ELB: elb{tg(blueID): tt.blue, tg(greenID): tt.grn}, TargetGroups: tgs}
			got, err := j.Served(context.Background(), a, atRest(a, tt.on, nil))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.wantServed == "" && got != nil:
				t.Errorf("Served = %+v, want nil", got)
			case tt.wantServed != "" && (got == nil || got.Served != tt.wantServed || got.Live != records.Green || !strings.Contains(got.Reason, tt.wantReason)):
				t.Errorf("Served = %+v, want %s served saying %q", got, tt.wantServed, tt.wantReason)
			}
		})
	}
	t.Run("cname health check failing", func(t *testing.T) {
		f := zonetest.New()
		c := failover.New(f)
		ids := map[records.Color]string{}
		for col, id := range map[records.Color]string{records.Blue: blueID, records.Green: greenID} {
			hc, err := c.Ensure(context.Background(), failover.Spec{App: "demo", StackID: id, FQDN: a.EndpointName(id), Path: "/"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ids[col] = hc
		}
		j := failover.Judge{Route53: f}
		if got, err := j.Served(context.Background(), a, atRest(a, true, ids)); err != nil || got != nil {
			t.Fatalf("healthy checks: %+v, %v", got, err)
		}
		f.Unhealthy = map[string]bool{ids[records.Green]: true}
		got, err := j.Served(context.Background(), a, atRest(a, true, ids))
		if err != nil || got == nil || got.Served != records.Blue || !strings.Contains(got.Reason, "0 of 3 checkers report it healthy") {
			t.Errorf("green's check failing: %+v, %v; want blue served", got, err)
		}
	})
}
