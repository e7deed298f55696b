package stacks

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Endpoint is where a stack serves.
type Endpoint struct {
	// DNSName is the stack's DNS name output, lower-case without a trailing dot.
	DNSName string
	// LoadBalancer is true when DNSName is an ELBv2 load balancer's: only then can an alias A record point at it
	// (with HostedZoneID). When false, DNSName is something else, HostedZoneID, LoadBalancerARN and TargetGroups are
	// empty, and only a CNAME record can point at it.
	LoadBalancer bool
	// HostedZoneID is the load balancer's canonical hosted zone, the alias target's zone.
	HostedZoneID string
	// LoadBalancerARN is the load balancer's ARN.
	LoadBalancerARN string
	// Internal is true for an internal load balancer (scheme "internal"): reachable from its VPC only.
	Internal bool
	// HealthURL is the stack's health URL output; empty when the stack has none.
	HealthURL string
	// TargetGroups are the ARNs of the load balancer's target groups, sorted.
	TargetGroups []string
}

// Endpoint reads where the complete stack name serves: its DNS name from the output outputKey and its health URL
// from the output healthURLOutput (optional: "" or an absent output leaves HealthURL empty). When an ELBv2 load
// balancer has that DNS name (compared case-insensitively, trailing dot ignored), its canonical hosted zone, ARN and
// target groups are added. (Looking the load balancer up, rather than reading its hosted zone from a second output,
// also works on the local emulator, whose CloudFormation cannot produce that output.)
//
// Errors: *NotFoundError when the stack does not exist, *NotCompleteError when it is not complete, and
// *MissingOutputError when outputKey is absent or empty.
func (m *Manager) Endpoint(ctx context.Context, name, outputKey, healthURLOutput string) (Endpoint, error) {
	st, err := m.Status(ctx, name)
	switch {
	case err != nil:
		return Endpoint{}, err
	case st.Phase == PhaseMissing:
		return Endpoint{}, &NotFoundError{Stack: name}
	case st.Phase != PhaseComplete:
		return Endpoint{}, &NotCompleteError{Stack: name, Status: st.StackStatus}
	}
	dns := records.Normalize(st.Outputs[outputKey])
	if dns == "" {
		return Endpoint{}, &MissingOutputError{Stack: name, Output: outputKey}
	}
	ep := Endpoint{DNSName: dns}
	if healthURLOutput != "" {
		ep.HealthURL = st.Outputs[healthURLOutput]
	}

	lb, err := m.loadBalancer(ctx, dns)
	if err != nil {
		return Endpoint{}, fmt.Errorf("find the load balancer %s of stack %s: %w", dns, name, err)
	}
	if lb == nil {
		return ep, nil
	}
	ep.LoadBalancer = true
	ep.HostedZoneID = aws.ToString(lb.CanonicalHostedZoneId)
	ep.LoadBalancerARN = aws.ToString(lb.LoadBalancerArn)
	ep.Internal = lb.Scheme == elbtypes.LoadBalancerSchemeEnumInternal
	ep.TargetGroups, err = m.targetGroups(ctx, ep.LoadBalancerARN)
	if err != nil {
		return Endpoint{}, fmt.Errorf("list the target groups of load balancer %s of stack %s: %w", ep.LoadBalancerARN, name, err)
	}
	return ep, nil
}

// loadBalancer returns the load balancer whose DNS name is dns (normalized), or nil.
func (m *Manager) loadBalancer(ctx context.Context, dns string) (*elbtypes.LoadBalancer, error) {
	p := elasticloadbalancingv2.NewDescribeLoadBalancersPaginator(m.elb, &elasticloadbalancingv2.DescribeLoadBalancersInput{
		PageSize: aws.Int32(400), // the largest page the service allows
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for i, lb := range out.LoadBalancers {
			if records.Normalize(aws.ToString(lb.DNSName)) == dns {
				return &out.LoadBalancers[i], nil
			}
		}
	}
	return nil, nil
}

func (m *Manager) targetGroups(ctx context.Context, lbARN string) ([]string, error) {
	var arns []string
	p := elasticloadbalancingv2.NewDescribeTargetGroupsPaginator(m.elb, &elasticloadbalancingv2.DescribeTargetGroupsInput{
		LoadBalancerArn: aws.String(lbARN),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, tg := range out.TargetGroups {
			arns = append(arns, aws.ToString(tg.TargetGroupArn))
		}
	}
	slices.Sort(arns)
	return arns, nil
}
