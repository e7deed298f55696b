package failover

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// targetHealth reads a target group's targets' health.
type targetHealth interface {
	DescribeTargetHealth(ctx context.Context, params *elasticloadbalancingv2.DescribeTargetHealthInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetHealthOutput, error)
}

// checkStatus reads what Route 53's checkers last observed of a health check.
type checkStatus interface {
	GetHealthCheckStatus(ctx context.Context, params *route53.GetHealthCheckStatusInput, optFns ...func(*route53.Options)) (*route53.GetHealthCheckStatusOutput, error)
}

var (
	_ targetHealth = (*elasticloadbalancingv2.Client)(nil)
	_ checkStatus  = (*route53.Client)(nil)
)

// Serving says that Route 53, by the health it evaluates, does not answer as the records' weights say: the live
// color is unhealthy, so Route 53 serves the idle color (Served), or, when the idle one is unhealthy too, answers
// as if both were healthy (Route 53 fails open), Served then being the live color.
type Serving struct {
	// Live is the color the records make live; Served the one Route 53 answers with.
	Live   records.Color `json:"live"`
	Served records.Color `json:"served"`
	// Reason says why, with the evidence.
	Reason string `json:"reason"`
}

// Judge evaluates an app's stacks' health as Route 53 does.
type Judge struct {
	ELB     targetHealth
	Route53 checkStatus
	// TargetGroups returns the target groups of a stack's load balancer.
	TargetGroups func(ctx context.Context, stackID string) ([]string, error)
}

// Served returns how Route 53 answers an app at rest whose records have failover (the live weighted record
// evaluates its target's health, or carries a health check), when that differs from its weights; nil when it does
// not (failover off, not at rest, the live color healthy, or no idle color to answer with). With EvaluateTargetHealth
// a load balancer is unhealthy when a target group that has targets has none healthy; with a health check, when no
// more than 18% of Route 53's checkers report it healthy.
func (j Judge) Served(ctx context.Context, app records.App, st records.State) (*Serving, error) {
	if st.Phase != records.PhaseAtRest || !st.ActiveColor.Valid() {
		return nil, nil
	}
	live, idle := st.ActiveColor, st.ActiveColor.Other()
	lw, ok := st.Weighted[live]
	if !ok || !Flagged(lw) {
		return nil, nil
	}
	why, err := j.unhealthy(ctx, st, live)
	if err != nil || why == "" {
		return nil, err
	}
	iw, ok := st.Weighted[idle]
	if !ok || !Flagged(iw) {
		return &Serving{Live: live, Served: live, Reason: fmt.Sprintf("%s is unhealthy (%s), and %s has no record Route 53 can fail over to", live, why, idle)}, nil
	}
	idleWhy, err := j.unhealthy(ctx, st, idle)
	if err != nil {
		return nil, err
	}
	if idleWhy != "" {
		return &Serving{Live: live, Served: live, Reason: fmt.Sprintf("%s is unhealthy (%s) and so is %s (%s): Route 53 answers as if both were healthy", live, why, idle, idleWhy)}, nil
	}
	return &Serving{Live: live, Served: idle, Reason: fmt.Sprintf("%s is unhealthy: %s", live, why)}, nil
}

// Flagged reports whether a weighted record takes part in failover: its alias evaluates its target's health, or it
// carries a health check.
func Flagged(r records.Record) bool {
	return r.HealthCheckID != "" || (r.Alias != nil && r.Alias.EvaluateTargetHealth)
}

// unhealthy says why Route 53 finds color's stack unhealthy, or "".
func (j Judge) unhealthy(ctx context.Context, st records.State, c records.Color) (string, error) {
	w, id := st.Weighted[c], st.Slots[c]
	if w.HealthCheckID != "" {
		out, err := j.Route53.GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String(w.HealthCheckID)})
		if err != nil {
			return "", fmt.Errorf("read the status of Route 53 health check %s of stack %s: %w", w.HealthCheckID, id, err)
		}
		ok, last := 0, ""
		for _, o := range out.HealthCheckObservations {
			s := ""
			if o.StatusReport != nil {
				s = aws.ToString(o.StatusReport.Status)
			}
			if strings.HasPrefix(s, "Success") {
				ok++
			} else if last == "" {
				last = s
			}
		}
		n := len(out.HealthCheckObservations)
		if n == 0 || float64(ok) > 0.18*float64(n) {
			return "", nil
		}
		return fmt.Sprintf("its Route 53 health check %s: %d of %d checkers report it healthy; %s", w.HealthCheckID, ok, n, last), nil
	}
	tgs, err := j.TargetGroups(ctx, id)
	if err != nil {
		return "", err
	}
	for _, tg := range tgs {
		out, err := j.ELB.DescribeTargetHealth(ctx, &elasticloadbalancingv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
		if err != nil {
			return "", fmt.Errorf("read the target health of %s of stack %s: %w", tg, id, err)
		}
		registered, healthy := 0, 0
		for _, d := range out.TargetHealthDescriptions {
			if d.TargetHealth == nil {
				continue
			}
			switch d.TargetHealth.State {
			case elbtypes.TargetHealthStateEnumHealthy, elbtypes.TargetHealthStateEnumUnavailable:
				// Unavailable: health checks are off, and Route 53 takes the target as healthy.
				registered++
				healthy++
			case elbtypes.TargetHealthStateEnumUnused, elbtypes.TargetHealthStateEnumDraining:
			default:
				registered++
			}
		}
		if registered > 0 && healthy == 0 {
			return fmt.Sprintf("its targets are unhealthy: target group %s has %d targets, none healthy", shortARN(tg), registered), nil
		}
	}
	return "", nil
}

// shortARN is a target group ARN's name part (targetgroup/<name>/<id>).
func shortARN(arn string) string {
	if i := strings.Index(arn, "targetgroup/"); i >= 0 {
		return arn[i:]
	}
	return arn
}
