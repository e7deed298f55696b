package dataplane

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

// ELBAPI is what the data plane reads from ELB, through the gateway (so that the target health a test sets there
// applies), signed with AccessKey (so that the gateway neither logs nor meters it).
type ELBAPI interface {
	elbv2.DescribeLoadBalancersAPIClient
	elbv2.DescribeTargetGroupsAPIClient
	DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, opts ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error)
}

var _ ELBAPI = (*elbv2.Client)(nil)

// loadBalancerHealth judges load balancers as Route 53 judges an Application or Network Load Balancer that an alias
// record evaluates (AliasTarget EvaluateTargetHealth, Route 53 API reference): "every target group that contains
// targets must contain at least one healthy target. If any target group contains only unhealthy targets, the load
// balancer is considered unhealthy"; "a target group that has no registered targets is considered unhealthy" is
// read as: a load balancer none of whose target groups has targets is unhealthy. A target is healthy in ELB's state
// "healthy" only. A name that is no load balancer is unhealthy. Each verdict is kept for ttl, so that a target
// turning unhealthy is seen within ttl plus the records' cache.
type loadBalancerHealth struct {
	api ELBAPI
	ttl time.Duration
	now func() time.Time

	mu       sync.Mutex
	verdicts map[string]verdict
}

type verdict struct {
	healthy bool
	at      time.Time
}

func (h *loadBalancerHealth) healthy(ctx context.Context, dnsName string) (bool, error) {
	dnsName = normalize(dnsName)
	h.mu.Lock()
	defer h.mu.Unlock()
	if v, ok := h.verdicts[dnsName]; ok && h.now().Sub(v.at) < h.ttl {
		return v.healthy, nil
	}
	ok, err := h.judge(ctx, dnsName)
	if err != nil {
		return false, fmt.Errorf("health of load balancer %s: %w", dnsName, err)
	}
	if h.verdicts == nil {
		h.verdicts = map[string]verdict{}
	}
	h.verdicts[dnsName] = verdict{healthy: ok, at: h.now()}
	return ok, nil
}

func (h *loadBalancerHealth) flush() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.verdicts = nil
}

func (h *loadBalancerHealth) judge(ctx context.Context, dnsName string) (bool, error) {
	lb, err := h.find(ctx, dnsName)
	if err != nil || lb == nil {
		return false, err
	}
	withTargets := 0
	groups := elbv2.NewDescribeTargetGroupsPaginator(h.api, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: lb.LoadBalancerArn})
	for groups.HasMorePages() {
		page, err := groups.NextPage(ctx)
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "TargetGroupNotFound" {
			break // moto's answer for a load balancer without target groups
		}
		if err != nil {
			return false, fmt.Errorf("target groups: %w", err)
		}
		for _, tg := range page.TargetGroups {
			out, err := h.api.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
			if err != nil {
				return false, fmt.Errorf("target health of %s: %w", aws.ToString(tg.TargetGroupName), err)
			}
			if len(out.TargetHealthDescriptions) == 0 {
				continue
			}
			withTargets++
			if !anyHealthy(out.TargetHealthDescriptions) {
				return false, nil
			}
		}
	}
	return withTargets > 0, nil
}

// find returns the load balancer of that DNS name, nil when there is none.
func (h *loadBalancerHealth) find(ctx context.Context, dnsName string) (*elbtypes.LoadBalancer, error) {
	pages := elbv2.NewDescribeLoadBalancersPaginator(h.api, &elbv2.DescribeLoadBalancersInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe the load balancers: %w", err)
		}
		for i, lb := range page.LoadBalancers {
			if strings.EqualFold(aws.ToString(lb.DNSName), dnsName) {
				return &page.LoadBalancers[i], nil
			}
		}
	}
	return nil, nil
}

func anyHealthy(ds []elbtypes.TargetHealthDescription) bool {
	for _, d := range ds {
		if d.TargetHealth != nil && d.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
			return true
		}
	}
	return false
}
