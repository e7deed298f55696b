package health

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// fakeMetrics is CloudWatch's metric store as GetMetricData shows it (CloudWatch API reference, GetMetricData and
// MetricStat): data points stored at one second (StorageResolution 1) or aggregated to the minute (60, the
// default); a query's StartTime rounded down (to the minute for periods of 60 s and more, to the period's division
// of the minute for 5-30 s), its EndTime exclusive; one value per period that has data, none for a period without
// (no zeros); results ordered by ScanBy (TimestampDescending by default); invalid queries refused as the service
// refuses them. It counts calls, so a test can say "one call for both load balancers".
type fakeMetrics struct {
	mu     sync.Mutex
	points []fakePoint
	calls  int
	inputs []*cloudwatch.GetMetricDataInput
	err    error
}

type fakePoint struct {
	namespace, name string
	dims            map[string]string
	at              time.Time
	value           float64
}

// put stores value requests for a load balancer's RequestCount at at, as ALB (or a test) publishes it.
func (f *fakeMetrics) put(lb string, at time.Time, value float64, highResolution bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !highResolution {
		at = at.Truncate(time.Minute)
	} else {
		at = at.Truncate(time.Second)
	}
	f.points = append(f.points, fakePoint{namespace: ALBNamespace, name: RequestCountMetric,
		dims: map[string]string{LoadBalancerDimension: lb}, at: at.UTC(), value: value})
}

var queryIDRE = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

func validPeriod(p int32) bool {
	return slices.Contains([]int32{1, 5, 10, 20, 30}, p) || (p >= 60 && p%60 == 0)
}

func (f *fakeMetrics) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.inputs = append(f.inputs, in)
	if f.err != nil {
		return nil, f.err
	}
	if in.StartTime == nil || in.EndTime == nil || !in.EndTime.After(*in.StartTime) {
		return nil, errors.New("ValidationError: The parameter EndTime must be greater than StartTime.")
	}
	if n := len(in.MetricDataQueries); n == 0 || n > 500 {
		return nil, errors.New("ValidationError: 1-500 MetricDataQueries")
	}
	out := &cloudwatch.GetMetricDataOutput{}
	total := 0
	for _, q := range in.MetricDataQueries {
		ms := q.MetricStat
		if !queryIDRE.MatchString(aws.ToString(q.Id)) || ms == nil || ms.Metric == nil || ms.Period == nil || !validPeriod(*ms.Period) || aws.ToString(ms.Stat) == "" {
			return nil, errors.New("ValidationError: invalid query " + aws.ToString(q.Id))
		}
		period := time.Duration(*ms.Period) * time.Second
		start := in.StartTime.UTC()
		switch p := *ms.Period; {
		case p >= 60:
			start = start.Truncate(time.Minute)
		case p > 1:
			start = start.Truncate(period) // 5, 10, 20, 30: divisions of the minute
		default:
			start = start.Truncate(time.Second)
		}
		r := cwtypes.MetricDataResult{Id: q.Id, Label: aws.String(aws.ToString(ms.Metric.MetricName)), StatusCode: cwtypes.StatusCodeComplete}
		for b := start; b.Before(*in.EndTime); b = b.Add(period) {
			sum, any := 0.0, false
			for _, p := range f.points {
				if p.namespace != aws.ToString(ms.Metric.Namespace) || p.name != aws.ToString(ms.Metric.MetricName) || !sameDims(p.dims, ms.Metric.Dimensions) {
					continue
				}
				if !p.at.Before(b) && p.at.Before(b.Add(period)) && p.at.Before(*in.EndTime) {
					sum, any = sum+p.value, true
				}
			}
			if any {
				r.Timestamps, r.Values = append(r.Timestamps, b), append(r.Values, sum)
			}
		}
		if in.ScanBy != cwtypes.ScanByTimestampAscending {
			slices.Reverse(r.Timestamps)
			slices.Reverse(r.Values)
		}
		total += len(r.Values)
		out.MetricDataResults = append(out.MetricDataResults, r)
	}
	if total > 100800 {
		return nil, errors.New("ValidationError: more than 100,800 data points")
	}
	return out, nil
}

// sameDims: a metric is identified by all its dimensions; a query names them all.
func sameDims(have map[string]string, want []cwtypes.Dimension) bool {
	if len(have) != len(want) {
		return false
	}
	for _, d := range want {
		if v, ok := have[aws.ToString(d.Name)]; !ok || v != aws.ToString(d.Value) {
			return false
		}
	}
	return true
}

// dims lists the LoadBalancer dimensions an input's queries asked for, sorted.
func dims(in *cloudwatch.GetMetricDataInput) []string {
	var out []string
	for _, q := range in.MetricDataQueries {
		for _, d := range q.MetricStat.Metric.Dimensions {
			out = append(out, aws.ToString(d.Value))
		}
	}
	sort.Strings(out)
	return out
}
