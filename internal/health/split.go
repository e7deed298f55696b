package health

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// metricsAPI is the part of CloudWatch a split verification uses.
type metricsAPI interface {
	GetMetricData(ctx context.Context, params *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

var _ metricsAPI = (*cloudwatch.Client)(nil)

// The metric a split verification reads: an Application Load Balancer's request count, as ELB publishes it to
// CloudWatch (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html):
// namespace AWS/ApplicationELB, metric RequestCount, dimension LoadBalancer = app/<name>/<id>; Sum per period is the
// number of requests. Periods without requests have no data point.
const (
	ALBNamespace          = "AWS/ApplicationELB"
	RequestCountMetric    = "RequestCount"
	LoadBalancerDimension = "LoadBalancer"
)

// maxMetricPages bounds the GetMetricData pages one verification follows. A window holds at most
// maxWindowPeriods data points per query, far below the 100,800 one call returns, so one page is the rule.
const maxMetricPages = 3

// maxWindowPeriods is the most periods a window spans (a day of minutes); a longer one keeps its last periods.
const maxWindowPeriods = 1440

// LoadBalancerMetricDimension returns the LoadBalancer dimension of an Application Load Balancer's metrics, the
// app/<name>/<id> part of its ARN (arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>).
func LoadBalancerMetricDimension(arn string) (string, error) {
	_, rest, ok := strings.Cut(arn, ":loadbalancer/")
	parts := strings.Split(rest, "/")
	if !ok || !strings.HasPrefix(arn, "arn:") || len(parts) != 3 || parts[0] != "app" || parts[1] == "" || parts[2] == "" {
		return "", fmt.Errorf("%q is not an Application Load Balancer's ARN (…:loadbalancer/app/<name>/<id>)", arn)
	}
	return rest, nil
}

// Window is the time a split verification reads: whole periods, aligned to the period (Unix time multiples, so
// minutes for 60 s), Start inclusive, End exclusive.
type Window struct {
	Start, End time.Time
	Period     time.Duration
}

// SplitWindow is the window of a step whose weights were in sync at synced, checked at now: from the first period
// boundary once clients' cached answers expired (synced + ttl), to the last period boundary lag before now (so that
// CloudWatch has every period's data), at most maxWindowPeriods periods (the last ones). The window is empty (no
// whole period) when End is not after Start.
func SplitWindow(synced, now time.Time, ttl, lag, period time.Duration) Window {
	start := ceilTo(synced.Add(ttl), period)
	end := floorTo(now.Add(-lag), period)
	if limit := maxWindowPeriods * period; end.Sub(start) > limit {
		start = end.Add(-limit)
	}
	return Window{Start: start, End: end, Period: period}
}

// Periods is the number of whole periods in the window (0 when empty).
func (w Window) Periods() int {
	if !w.End.After(w.Start) {
		return 0
	}
	return int(w.End.Sub(w.Start) / w.Period)
}

// NextWait is how long after now the window holds one more whole period than it does (at least its first one):
// when now − lag reaches the next period boundary. At least 1 s.
func (w Window) NextWait(now time.Time, lag time.Duration) time.Duration {
	end := w.End
	if end.Before(w.Start) {
		end = w.Start
	}
	wait := end.Add(w.Period + lag).Sub(now)
	return max(time.Second, time.Duration(math.Ceil(wait.Seconds()))*time.Second) // never early
}

func floorTo(t time.Time, period time.Duration) time.Time {
	p := int64(period / time.Second)
	u := t.Unix()
	return time.Unix(u-mod(u, p), 0).UTC()
}

func ceilTo(t time.Time, period time.Duration) time.Time {
	f := floorTo(t, period)
	if f.Before(t) {
		return f.Add(period)
	}
	return f
}

func mod(a, b int64) int64 { return ((a % b) + b) % b }

// SplitSpec is what a split verification judges: the new and the old stack's load balancers, the step's weight and
// the thresholds, the window, and the deployer's own probes of the new stack (to subtract).
type SplitSpec struct {
	// NewLoadBalancer and OldLoadBalancer are the stacks' load balancer ARNs.
	NewLoadBalancer, OldLoadBalancer string
	// Percent is the step's weight for the new stack.
	Percent int
	// Tolerance, MinRequests: see deploy.TrafficConfig.
	Tolerance   float64
	MinRequests int
	Window      Window
	// Probes are the requests the deployer sent the new stack, per period; Unplaced those it could not place, which
	// count in every window.
	Probes   []deploy.PeriodCount
	Unplaced int
}

// checkSplit reads the new and the old stack's RequestCount over the window with one GetMetricData call (two
// queries, Sum per period) and judges the new stack's share: fewer than MinRequests requests (both stacks, probes
// subtracted) or a share below Percent/100 × (1 − Tolerance) is inconclusive, and so is a window without a whole
// period (SplitWaiting) or a failed read. The evidence has every count, threshold and the window.
func (c *Checker) checkSplit(ctx context.Context, spec SplitSpec) TrafficEvidence {
	intended := float64(spec.Percent) / 100
	ev := TrafficEvidence{
		Outcome: SplitInconclusive, Intended: intended, MinShare: intended * (1 - spec.Tolerance),
		MinRequests: spec.MinRequests, PeriodSeconds: int(spec.Window.Period / time.Second),
		WindowStart: spec.Window.Start.UTC().Format(time.RFC3339), WindowEnd: spec.Window.End.UTC().Format(time.RFC3339),
	}
	newDim, errNew := LoadBalancerMetricDimension(spec.NewLoadBalancer)
	oldDim, errOld := LoadBalancerMetricDimension(spec.OldLoadBalancer)
	ev.NewLoadBalancer, ev.OldLoadBalancer = newDim, oldDim
	if err := errors.Join(errNew, errOld); err != nil {
		ev.Outcome, ev.Reason = SplitNotApplicable, "not applicable: "+truncate(strings.ReplaceAll(err.Error(), "\n", "; "), 300)
		return ev
	}
	if spec.Window.Periods() == 0 {
		ev.Outcome = SplitWaiting
		ev.Reason = fmt.Sprintf("the window %s–%s holds no whole %ds period yet", ev.WindowStart, ev.WindowEnd, ev.PeriodSeconds)
		return ev
	}
	counts, err := c.requestCounts(ctx, spec.Window, newDim, oldDim)
	if err != nil {
		ev.Reason = "reading RequestCount from CloudWatch failed: " + truncate(err.Error(), 300)
		return ev
	}
	ev.NewRequests, ev.OldRequests = counts[0], counts[1]
	ev.ProbesSubtracted = int64(spec.Unplaced)
	for _, p := range spec.Probes {
		if t := time.Unix(p.T, 0); !t.Before(spec.Window.Start) && t.Before(spec.Window.End) {
			ev.ProbesSubtracted += int64(p.N)
		}
	}
	net := max(0, ev.NewRequests-ev.ProbesSubtracted)
	total := net + ev.OldRequests
	if total > 0 {
		ev.Share = float64(net) / float64(total)
	}
	switch {
	case total < int64(spec.MinRequests):
		ev.Reason = fmt.Sprintf("%d requests in the window (new %d − %d probes, old %d), fewer than minRequests %d",
			total, ev.NewRequests, ev.ProbesSubtracted, ev.OldRequests, spec.MinRequests)
	case ev.Share < ev.MinShare:
		ev.Reason = fmt.Sprintf("the new stack had %s of %d requests, below the minimum %s (%d%% × (1 − %g))",
			percent(ev.Share), total, percent(ev.MinShare), spec.Percent, spec.Tolerance)
	default:
		ev.Outcome = SplitVerified
		ev.Reason = fmt.Sprintf("the new stack had %s of %d requests (%d%% intended, at least %s)",
			percent(ev.Share), total, spec.Percent, percent(ev.MinShare))
	}
	return ev
}

// requestCounts returns the Sum of RequestCount over w of the load balancers with the given dimensions, in their
// order: one GetMetricData call, its pages followed (one, for any window SplitWindow makes).
func (c *Checker) requestCounts(ctx context.Context, w Window, dims ...string) ([]int64, error) {
	if c.metrics == nil {
		return nil, errors.New("the checker has no CloudWatch client for metrics")
	}
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(w.Start), EndTime: aws.Time(w.End),
		ScanBy: cwtypes.ScanByTimestampAscending,
	}
	ids := map[string]int{}
	for i, d := range dims {
		id := fmt.Sprintf("lb%d", i)
		ids[id] = i
		in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
			Id: aws.String(id), ReturnData: aws.Bool(true),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{
					Namespace: aws.String(ALBNamespace), MetricName: aws.String(RequestCountMetric),
					Dimensions: []cwtypes.Dimension{{Name: aws.String(LoadBalancerDimension), Value: aws.String(d)}},
				},
				Period: aws.Int32(int32(w.Period / time.Second)),
				Stat:   aws.String("Sum"),
			},
		})
	}
	sums := make([]float64, len(dims))
	for page := 0; ; page++ {
		if page == maxMetricPages {
			return nil, fmt.Errorf("GetMetricData returned more than %d pages", maxMetricPages)
		}
		out, err := c.metrics.GetMetricData(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("GetMetricData: %w", err)
		}
		for _, r := range out.MetricDataResults {
			i, ok := ids[aws.ToString(r.Id)]
			if !ok {
				continue
			}
			if r.StatusCode == cwtypes.StatusCodeForbidden || r.StatusCode == cwtypes.StatusCodeInternalError {
				return nil, fmt.Errorf("GetMetricData: %s of load balancer %s: %s", r.StatusCode, dims[i], messages(r.Messages))
			}
			for j, v := range r.Values {
				if j < len(r.Timestamps) && (r.Timestamps[j].Before(w.Start) || !r.Timestamps[j].Before(w.End)) {
					continue // outside the window: an emulator's edge bucket
				}
				sums[i] += v
			}
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	counts := make([]int64, len(sums))
	for i, s := range sums {
		counts[i] = int64(s + 0.5)
	}
	return counts, nil
}

func messages(ms []cwtypes.MessageData) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, aws.ToString(m.Code)+": "+aws.ToString(m.Value))
	}
	if len(parts) == 0 {
		return "no message"
	}
	return strings.Join(parts, "; ")
}

func percent(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }
