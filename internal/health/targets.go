package health

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

// elbAPI is the part of ELBv2 the Checker uses.
type elbAPI interface {
	DescribeTargetHealth(ctx context.Context, params *elasticloadbalancingv2.DescribeTargetHealthInput,
		optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetHealthOutput, error)
}

var _ elbAPI = (*elasticloadbalancingv2.Client)(nil)

// partResult is the outcome of the target or the alarm part: evidence, failure lines, and a note when it passed.
type partResult[T any] struct {
	evidence []T
	failures []string
	note     string
}

// targetVerdict says how a target state counts: pass (healthy), fail, or neither (no new traffic goes to it).
type targetVerdict int

const (
	targetPasses targetVerdict = iota
	targetFails
	targetIgnored
)

func judgeTarget(state elbtypes.TargetHealthStateEnum) targetVerdict {
	switch state {
	case elbtypes.TargetHealthStateEnumHealthy:
		return targetPasses
	case elbtypes.TargetHealthStateEnumDraining, elbtypes.TargetHealthStateEnumUnhealthyDraining,
		elbtypes.TargetHealthStateEnumUnused:
		return targetIgnored
	default: // initial, unhealthy, unavailable, and whatever ELBv2 adds later
		return targetFails
	}
}

// checkTargets requires of each target group at least one healthy target and no failing one (see Target).
func (c *Checker) checkTargets(ctx context.Context, groups []string) partResult[Target] {
	var res partResult[Target]
	healthy, seen := 0, 0
	for _, arn := range dedupe(groups) {
		seen++
		out, err := c.elb.DescribeTargetHealth(ctx, &elasticloadbalancingv2.DescribeTargetHealthInput{
			TargetGroupArn: aws.String(arn),
		})
		if err != nil {
			res.failures = append(res.failures, fmt.Sprintf("target group %s: %s", shortARN(arn), apiErrText(err)))
			continue
		}
		if len(out.TargetHealthDescriptions) == 0 {
			res.failures = append(res.failures, fmt.Sprintf("target group %s has no registered targets", shortARN(arn)))
			continue
		}
		var firstBad *Target
		bad, good, ignored := 0, 0, map[string]int{}
		for _, d := range out.TargetHealthDescriptions {
			t := targetEvidence(arn, d)
			res.evidence = append(res.evidence, t)
			switch judgeTarget(elbtypes.TargetHealthStateEnum(t.State)) {
			case targetPasses:
				good++
			case targetIgnored:
				ignored[t.State]++
			case targetFails:
				if bad == 0 {
					firstBad = &t
				}
				bad++
			}
		}
		healthy += good
		switch {
		case bad > 0:
			line := fmt.Sprintf("target group %s: %d of %d targets not healthy; %s is %s",
				shortARN(arn), bad, len(out.TargetHealthDescriptions), targetName(*firstBad), firstBad.State)
			if firstBad.Reason != "" {
				line += " (" + firstBad.Reason + ")"
			}
			res.failures = append(res.failures, line)
		case good == 0:
			var parts []string
			for _, s := range []string{"draining", "unhealthy.draining", "unused"} {
				if n := ignored[s]; n > 0 {
					parts = append(parts, fmt.Sprintf("%d %s", n, s))
				}
			}
			res.failures = append(res.failures, fmt.Sprintf("target group %s has no healthy target (%s)",
				shortARN(arn), strings.Join(parts, ", ")))
		}
	}
	if seen > 0 && len(res.failures) == 0 {
		res.note = fmt.Sprintf("%s in %s", plural(healthy, "healthy target"), plural(seen, "target group"))
	}
	return res
}

func targetEvidence(arn string, d elbtypes.TargetHealthDescription) Target {
	t := Target{TargetGroup: arn}
	if d.Target != nil {
		t.ID = aws.ToString(d.Target.Id)
		t.Port = aws.ToInt32(d.Target.Port)
	}
	if h := d.TargetHealth; h != nil {
		t.State = string(h.State)
		reason, desc := string(h.Reason), aws.ToString(h.Description)
		switch {
		case reason != "" && desc != "":
			t.Reason = reason + ": " + desc
		default:
			t.Reason = reason + desc
		}
	}
	if t.State == "" {
		t.State = "unknown"
	}
	return t
}

func targetName(t Target) string {
	if t.Port != 0 {
		return fmt.Sprintf("%s:%d", t.ID, t.Port)
	}
	return t.ID
}

// shortARN returns an ARN's resource part ("targetgroup/web/0123456789abcdef"), or s when it is not an ARN.
func shortARN(s string) string {
	if parts := strings.SplitN(s, ":", 6); len(parts) == 6 && parts[0] == "arn" {
		return parts[5]
	}
	return s
}

// apiErrText says what an AWS call's error was, briefly: the service's code and message when there is one.
func apiErrText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		var oe *smithy.OperationError
		if errors.As(err, &oe) {
			return fmt.Sprintf("%s: %s: %s", oe.Operation(), ae.ErrorCode(), ae.ErrorMessage())
		}
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

func dedupe(items []string) []string {
	seen := make(map[string]bool, len(items))
	out := make([]string, 0, len(items))
	for _, s := range items {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// plural says "1 thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
