package health

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

// elbAPI is the part of ELBv2 the Checker uses.
type elbAPI interface {
	DescribeTargetHealth(ctx context.Context, params *elasticloadbalancingv2.DescribeTargetHealthInput,
		optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetHealthOutput, error)
	elasticloadbalancingv2.DescribeTargetGroupsAPIClient
}

var _ elbAPI = (*elasticloadbalancingv2.Client)(nil)

// partResult is the outcome of the target or the alarm part: evidence, failure lines, and a note when it passed.
type partResult[T any] struct {
	evidence []T
	failures []string
	note     string
}

// targetsResult is the target part's outcome: with what it did not judge (notes) and the wait for initial targets.
type targetsResult struct {
	partResult[Target]
	notes []string
	wait  *TargetWait
}

// targetVerdict says how a target counts.
type targetVerdict int

const (
	targetPasses    targetVerdict = iota
	targetFails                   // initial, unhealthy, unavailable, and whatever ELBv2 adds later
	targetIgnored                 // gets no new traffic: draining, unhealthy.draining, unused
	targetNotJudged               // unavailable because its group's health checks are off (Target.HealthCheckDisabled)
	targetInitial                 // registering, or not through its first health check yet
)

// judgeTarget says how a target in state, for the reason code reason, counts. ELB reports "unavailable" with
// Target.HealthCheckDisabled for the targets of a group whose health checks are off (the default for Lambda
// targets): ELB knows nothing of their health, so neither does the check. "initial" is judged by the caller, which
// waits for such targets or fails them.
func judgeTarget(state elbtypes.TargetHealthStateEnum, reason elbtypes.TargetHealthReasonEnum) targetVerdict {
	switch state {
	case elbtypes.TargetHealthStateEnumHealthy:
		return targetPasses
	case elbtypes.TargetHealthStateEnumDraining, elbtypes.TargetHealthStateEnumUnhealthyDraining,
		elbtypes.TargetHealthStateEnumUnused:
		return targetIgnored
	case elbtypes.TargetHealthStateEnumUnavailable:
		if reason == elbtypes.TargetHealthReasonEnumHealthCheckDisabled {
			return targetNotJudged
		}
	case elbtypes.TargetHealthStateEnumInitial:
		return targetInitial
	}
	return targetFails
}

// judgeEvidence judges a target from its evidence, whose Reason starts with ELB's reason code.
func judgeEvidence(t Target) targetVerdict {
	code, _, _ := strings.Cut(t.Reason, ":")
	return judgeTarget(elbtypes.TargetHealthStateEnum(t.State), elbtypes.TargetHealthReasonEnum(code))
}

// groupTally counts one target group's targets by verdict.
type groupTally struct {
	arn                            string
	total, good, off, initial, bad int
	ignored                        map[string]int
	firstBad, firstInitial         *Target
}

// checkTargets requires of each of spec's target groups at least one healthy target and no failing one (see Target).
// A group whose health checks are off (every target unavailable with Target.HealthCheckDisabled) is not judged, and
// a note says so. Targets that ELB reports initial fail, unless spec.WaitForInitial and no other target fails: then,
// until spec.InitialUntil (or, when that is zero, for the longest InitialAllowance of their groups), the result waits
// for them instead.
func (c *Checker) checkTargets(ctx context.Context, spec Spec) targetsResult {
	var res targetsResult
	now := c.clock.Now()
	expired := spec.WaitForInitial && !spec.InitialUntil.IsZero() && !now.Before(spec.InitialUntil)
	healthy, seen, judged := 0, 0, 0
	var waiting []groupTally
	for _, arn := range dedupe(spec.TargetGroups) {
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
		g := groupTally{arn: arn, total: len(out.TargetHealthDescriptions), ignored: map[string]int{}}
		for _, d := range out.TargetHealthDescriptions {
			t := targetEvidence(arn, d)
			res.evidence = append(res.evidence, t)
			v := judgeEvidence(t)
			if v == targetInitial && (!spec.WaitForInitial || expired) {
				v = targetFails
			}
			switch v {
			case targetPasses:
				g.good++
			case targetIgnored:
				g.ignored[t.State]++
			case targetNotJudged:
				g.off++
			case targetInitial:
				if g.initial == 0 {
					g.firstInitial = &t
				}
				g.initial++
			case targetFails:
				if g.bad == 0 {
					g.firstBad = &t
				}
				g.bad++
			}
		}
		healthy += g.good
		if g.off > 0 {
			res.notes = append(res.notes, fmt.Sprintf("target group %s: %d of %d targets not judged: ELB's health "+
				"checks are off (%s)", shortARN(arn), g.off, g.total, elbtypes.TargetHealthReasonEnumHealthCheckDisabled))
		}
		if g.good > 0 || g.bad > 0 || g.initial > 0 {
			judged++
		}
		switch {
		case g.bad > 0:
			line := notHealthy(g.arn, g.bad, g.total, *g.firstBad)
			if expired && g.firstBad.State == string(elbtypes.TargetHealthStateEnumInitial) {
				line += "; the wait for initial targets ended at " + spec.InitialUntil.UTC().Format(time.RFC3339)
			}
			res.failures = append(res.failures, line)
		case g.initial > 0:
			waiting = append(waiting, g)
		case g.good == 0 && g.off == 0:
			var parts []string
			for _, s := range []string{"draining", "unhealthy.draining", "unused"} {
				if n := g.ignored[s]; n > 0 {
					parts = append(parts, fmt.Sprintf("%d %s", n, s))
				}
			}
			res.failures = append(res.failures, fmt.Sprintf("target group %s has no healthy target (%s)",
				shortARN(arn), strings.Join(parts, ", ")))
		}
	}
	switch {
	case len(waiting) > 0 && len(res.failures) == 0:
		c.waitForInitial(ctx, spec, now, waiting, &res)
	case len(waiting) > 0: // another group fails: the check fails, and no wait makes the initial targets healthy
		for _, g := range waiting {
			res.failures = append(res.failures, notHealthy(g.arn, g.initial, g.total, *g.firstInitial))
		}
	}
	if seen > 0 && len(res.failures) == 0 && res.wait == nil {
		res.note = fmt.Sprintf("%s in %s", plural(healthy, "healthy target"), plural(seen, "target group"))
		if judged < seen {
			res.note += fmt.Sprintf(" (%d not judged: health checks off)", seen-judged)
		}
	}
	return res
}

// notHealthy is the failure line of a group with n targets not healthy, the first of them t.
func notHealthy(arn string, n, total int, t Target) string {
	line := fmt.Sprintf("target group %s: %d of %d targets not healthy; %s is %s", shortARN(arn), n, total,
		targetName(t), t.State)
	if t.Reason != "" {
		line += " (" + t.Reason + ")"
	}
	return line
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
