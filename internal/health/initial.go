package health

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// How long registering a target takes before its first health check starts, by load balancer type.
const (
	// ALBRegistration is the margin for the target groups of Application Load Balancers (protocol HTTP or HTTPS, or
	// Lambda targets, which have none): AWS documents no time, and a minute covers what is seen.
	ALBRegistration = time.Minute
	// NLBRegistration is the margin for Network and Gateway Load Balancers' target groups (TCP, TLS, UDP, TCP_UDP,
	// GENEVE, ...): "It can take a few minutes for the registration process to complete and health checks to start"
	// (Elastic Load Balancing, Network Load Balancers, Health checks for target groups).
	NLBRegistration = 5 * time.Minute
)

// ELB's defaults for a target group whose answer lacks its settings (the largest across protocols).
const (
	defaultHealthCheckInterval = 30 * time.Second
	defaultHealthCheckTimeout  = 10 * time.Second
)

// InitialAllowance is how long a check waits for a target group's targets that ELB reports "initial", counted from
// the check that first meets them, and what it is made of. ELB puts a newly registered target in service once it
// passes one health check — "After your target is registered, it must pass one health check to be considered
// healthy" (Application Load Balancers, Health checks for target groups; the Network Load Balancers' troubleshooting
// guide says the same: "Your target is not in service until it passes one health check"), not HealthyThresholdCount
// of them, which applies to a target coming back from unhealthy. That check starts at most HealthCheckIntervalSeconds
// after registration and ends within HealthCheckTimeoutSeconds; registration itself takes ALBRegistration or
// NLBRegistration, by the group's protocol.
func InitialAllowance(tg elbtypes.TargetGroup) (time.Duration, string) {
	interval, timeout := defaultHealthCheckInterval, defaultHealthCheckTimeout
	if tg.HealthCheckIntervalSeconds != nil {
		interval = time.Duration(*tg.HealthCheckIntervalSeconds) * time.Second
	}
	if tg.HealthCheckTimeoutSeconds != nil {
		timeout = time.Duration(*tg.HealthCheckTimeoutSeconds) * time.Second
	}
	registration, lb := NLBRegistration, "a network or gateway load balancer"
	switch tg.Protocol {
	case elbtypes.ProtocolEnumHttp, elbtypes.ProtocolEnumHttps, "":
		registration, lb = ALBRegistration, "an application load balancer"
	}
	return interval + timeout + registration, fmt.Sprintf("one health check (interval %v + timeout %v) after "+
		"registration (%v for %s)", interval, timeout, registration, lb)
}

// waitForInitial makes res wait for the initial targets of groups: until spec.InitialUntil or, when that is zero,
// for the longest InitialAllowance of the groups (their settings read with DescribeTargetGroups). When the settings
// cannot be read, the initial targets fail instead, saying why.
func (c *Checker) waitForInitial(ctx context.Context, spec Spec, now time.Time, groups []groupTally, res *targetsResult) {
	until := spec.InitialUntil
	basis := map[string]string{}
	if until.IsZero() {
		arns := make([]string, len(groups))
		for i, g := range groups {
			arns[i] = g.arn
		}
		allow, err := c.allowances(ctx, arns, basis)
		if err != nil {
			for _, g := range groups {
				res.failures = append(res.failures, fmt.Sprintf("target group %s: %d of %d targets initial, and the "+
					"wait for them cannot be derived: %s", shortARN(g.arn), g.initial, g.total, apiErrText(err)))
			}
			return
		}
		until = now.Add(allow)
	}
	stamp := until.UTC().Format(time.RFC3339)
	n := 0
	for _, g := range groups {
		n += g.initial
		t := *g.firstInitial
		line := fmt.Sprintf("target group %s: waiting until %s for %d of %d targets that ELB reports initial; %s is %s",
			shortARN(g.arn), stamp, g.initial, g.total, targetName(t), t.State)
		if t.Reason != "" {
			line += " (" + t.Reason + ")"
		}
		if b := basis[g.arn]; b != "" {
			line += "; allowed " + b
		}
		res.notes = append(res.notes, line)
	}
	res.wait = &TargetWait{Until: stamp, Targets: n}
}

// allowances reads the target groups' settings and returns the longest InitialAllowance, recording each group's
// make-up in basis.
func (c *Checker) allowances(ctx context.Context, arns []string, basis map[string]string) (time.Duration, error) {
	pages := elasticloadbalancingv2.NewDescribeTargetGroupsPaginator(c.elb,
		&elasticloadbalancingv2.DescribeTargetGroupsInput{TargetGroupArns: arns})
	var longest time.Duration
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		for _, tg := range out.TargetGroups {
			d, why := InitialAllowance(tg)
			basis[aws.ToString(tg.TargetGroupArn)] = fmt.Sprintf("%v: %s", d, why)
			longest = max(longest, d)
		}
	}
	for _, arn := range arns {
		if _, ok := basis[arn]; !ok {
			return 0, fmt.Errorf("DescribeTargetGroups did not return %s", shortARN(arn))
		}
	}
	return longest, nil
}
