package dataplane

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

// countingSource counts its reads.
type countingSource struct{ reads int }

func (c *countingSource) Snapshot(context.Context) (*Snapshot, error) {
	c.reads++
	return NewSnapshot(), nil
}

// A load of queries reads moto once per cache period: the reads within it share the snapshot; flush makes the next
// query read again.
func TestRecordCache(t *testing.T) {
	now := time.Unix(0, 0)
	src := &countingSource{}
	c := &cachedSource{src: src, ttl: 200 * time.Millisecond, now: func() time.Time { return now }}
	for range 1000 {
		now = now.Add(time.Millisecond) // 1,000 queries over one second
		if _, err := c.Snapshot(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if src.reads != 5 {
		t.Errorf("reads for 1,000 queries over 1 s with a 200 ms cache: %d, want 5", src.reads)
	}
	c.flush()
	_, _ = c.Snapshot(context.Background())
	if src.reads != 6 {
		t.Errorf("reads after a flush: %d, want 6", src.reads)
	}
}

// fakeELB is ELBv2 as moto answers it: load balancers by DNS name, their target groups, and each group's targets
// with their states. A load balancer without target groups answers TargetGroupNotFound, as moto does.
type fakeELB struct {
	groups map[string][][]elbtypes.TargetHealthStateEnum // load balancer DNS name → target groups → target states
	calls  int
}

func (f *fakeELB) DescribeLoadBalancers(_ context.Context, _ *elbv2.DescribeLoadBalancersInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error) {
	f.calls++
	out := &elbv2.DescribeLoadBalancersOutput{}
	for name := range f.groups {
		out.LoadBalancers = append(out.LoadBalancers, elbtypes.LoadBalancer{DNSName: aws.String(name), LoadBalancerArn: aws.String("arn:" + name)})
	}
	return out, nil
}

func (f *fakeELB) DescribeTargetGroups(_ context.Context, in *elbv2.DescribeTargetGroupsInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	name := aws.ToString(in.LoadBalancerArn)[len("arn:"):]
	if len(f.groups[name]) == 0 {
		return nil, &smithy.GenericAPIError{Code: "TargetGroupNotFound", Message: "One or more target groups not found"}
	}
	out := &elbv2.DescribeTargetGroupsOutput{}
	for i := range f.groups[name] {
		out.TargetGroups = append(out.TargetGroups, elbtypes.TargetGroup{TargetGroupArn: aws.String(name + "/" + string(rune('0'+i)))})
	}
	return out, nil
}

func (f *fakeELB) DescribeTargetHealth(_ context.Context, in *elbv2.DescribeTargetHealthInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	arn := aws.ToString(in.TargetGroupArn)
	name, i := arn[:len(arn)-2], int(arn[len(arn)-1]-'0')
	out := &elbv2.DescribeTargetHealthOutput{}
	for _, s := range f.groups[name][i] {
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, elbtypes.TargetHealthDescription{
			TargetHealth: &elbtypes.TargetHealth{State: s}})
	}
	return out, nil
}

// EvaluateTargetHealth's rule for an Application Load Balancer: healthy when every target group that has targets has
// at least one healthy one; no target group with targets, or no load balancer of that name: unhealthy.
func TestLoadBalancerHealthRule(t *testing.T) {
	const (
		healthy   = elbtypes.TargetHealthStateEnumHealthy
		unhealthy = elbtypes.TargetHealthStateEnumUnhealthy
		initial   = elbtypes.TargetHealthStateEnumInitial
		draining  = elbtypes.TargetHealthStateEnumDraining
	)
	tests := []struct {
		name   string
		groups [][]elbtypes.TargetHealthStateEnum
		want   bool
	}{
		{"one group, one healthy target", [][]elbtypes.TargetHealthStateEnum{{healthy}}, true},
		{"one group, one healthy of three", [][]elbtypes.TargetHealthStateEnum{{unhealthy, healthy, draining}}, true},
		{"one group, none healthy", [][]elbtypes.TargetHealthStateEnum{{unhealthy, initial, draining}}, false},
		{"two groups, one without a healthy target", [][]elbtypes.TargetHealthStateEnum{{healthy}, {unhealthy}}, false},
		{"an empty group beside a healthy one", [][]elbtypes.TargetHealthStateEnum{{}, {healthy}}, true},
		{"only empty groups", [][]elbtypes.TargetHealthStateEnum{{}, {}}, false},
		{"no target group", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &loadBalancerHealth{api: &fakeELB{groups: map[string][][]elbtypes.TargetHealthStateEnum{lbBlue: tt.groups}},
				ttl: time.Second, now: time.Now}
			got, err := h.healthy(context.Background(), "Blue-1.us-east-1.elb.amazonaws.com.")
			if err != nil || got != tt.want {
				t.Errorf("healthy: %v %v, want %v", got, err, tt.want)
			}
		})
	}
	h := &loadBalancerHealth{api: &fakeELB{}, ttl: time.Second, now: time.Now}
	if got, err := h.healthy(context.Background(), "nope.elb.amazonaws.com"); got || err != nil {
		t.Errorf("no such load balancer: %v %v, want unhealthy", got, err)
	}
}

// A verdict is kept for the cache period, then read again: a target turning unhealthy is seen once it has passed.
func TestTargetHealthCache(t *testing.T) {
	now := time.Unix(0, 0)
	elb := &fakeELB{groups: map[string][][]elbtypes.TargetHealthStateEnum{lbBlue: {{elbtypes.TargetHealthStateEnumHealthy}}}}
	h := &loadBalancerHealth{api: elb, ttl: 400 * time.Millisecond, now: func() time.Time { return now }}
	ask := func() bool {
		ok, err := h.healthy(context.Background(), lbBlue)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !ask() {
		t.Fatal("healthy at first: want true")
	}
	elb.groups[lbBlue][0][0] = elbtypes.TargetHealthStateEnumUnhealthy
	now = now.Add(300 * time.Millisecond)
	if !ask() || elb.calls != 1 {
		t.Errorf("within the cache period: want the kept verdict (healthy) and 1 read, got %d reads", elb.calls)
	}
	now = now.Add(200 * time.Millisecond)
	if ask() || elb.calls != 2 {
		t.Errorf("past the cache period: want unhealthy after a second read, got %d reads", elb.calls)
	}
}
