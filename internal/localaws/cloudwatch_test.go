package localaws_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
)

// The split verification's read on the local AWS: load balancers' RequestCount put as ALB (and the local data
// plane) puts it — namespace AWS/ApplicationELB, dimension LoadBalancer, unit Count, standard (60 s) or high (1 s)
// storage resolution — and read back with one GetMetricData call over the query protocol (moto does not speak the
// SDK's CBOR), Sum per period. What is asserted is what CloudWatch documents (GetMetricData, MetricStat): a value
// per period that has data, none for a period without, StartTime inclusive and EndTime exclusive, ScanBy's order,
// each metric apart by namespace and dimensions. moto accepting a call is no proof that CloudWatch would.
func TestGetMetricDataSumsRequestCountPerPeriod(t *testing.T) {
	cw := localCloudWatch(t, localawstest.Use(t, local))
	const (
		lbA = "app/demoapp-123456-lb/50dc6c495c0c9188"
		lbB = "app/demoapp-819273-lb/0c1d2e3f4a5b6c7d"
	)
	base := time.Now().UTC().Truncate(time.Minute).Add(-10 * time.Minute)
	put := func(namespace, lb string, resolution int32, data ...cwtypes.MetricDatum) {
		t.Helper()
		for i := range data {
			data[i].MetricName = aws.String("RequestCount")
			data[i].Unit = cwtypes.StandardUnitCount
			data[i].StorageResolution = aws.Int32(resolution)
			data[i].Dimensions = []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(lb)}}
		}
		if _, err := cw.PutMetricData(t.Context(), &cloudwatch.PutMetricDataInput{Namespace: aws.String(namespace), MetricData: data}); err != nil {
			t.Fatalf("PutMetricData %s %s: %v", namespace, lb, err)
		}
	}
	at := func(d time.Duration, v float64) cwtypes.MetricDatum {
		return cwtypes.MetricDatum{Timestamp: aws.Time(base.Add(d)), Value: aws.Float64(v)}
	}
	// Standard resolution, a minute apart: A has 3+4 in the first minute, 10 (one value counted 10 times) in the
	// second, nothing in the third; B 100 in the first. A datum at the window's end is outside it.
	put("AWS/ApplicationELB", lbA, 60, at(10*time.Second, 3), at(50*time.Second, 4),
		cwtypes.MetricDatum{Timestamp: aws.Time(base.Add(70 * time.Second)), Values: []float64{1}, Counts: []float64{10}},
		at(3*time.Minute, 1000))
	put("AWS/ApplicationELB", lbB, 60, at(20*time.Second, 100))
	// Another namespace's metric of the same name and dimension is another metric.
	put("Other/Namespace", lbA, 60, at(15*time.Second, 5000))
	// High resolution, a second apart: 2+3 in second 1, 4 in second 3.
	put("AWS/ApplicationELB", lbA, 1, at(5*time.Minute+1200*time.Millisecond, 2), at(5*time.Minute+1800*time.Millisecond, 3),
		at(5*time.Minute+3500*time.Millisecond, 4))

	type series struct {
		Times  []time.Time
		Values []float64
	}
	read := func(start, end time.Duration, period int32, scan cwtypes.ScanBy) map[string]series {
		t.Helper()
		q := func(id, lb string) cwtypes.MetricDataQuery {
			return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("RequestCount"),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(lb)}}},
				Period: aws.Int32(period), Stat: aws.String("Sum")}}
		}
		out, err := cw.GetMetricData(t.Context(), &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(base.Add(start)), EndTime: aws.Time(base.Add(end)), ScanBy: scan,
			MetricDataQueries: []cwtypes.MetricDataQuery{q("a", lbA), q("b", lbB)},
		})
		if err != nil {
			t.Fatalf("GetMetricData: %v", err)
		}
		got := map[string]series{}
		for _, r := range out.MetricDataResults {
			var s series
			for i, ts := range r.Timestamps {
				s.Times = append(s.Times, ts.UTC())
				s.Values = append(s.Values, r.Values[i])
			}
			got[aws.ToString(r.Id)] = s
		}
		return got
	}
	m := func(d time.Duration) time.Time { return base.Add(d) }

	got := read(0, 3*time.Minute, 60, cwtypes.ScanByTimestampAscending)
	want := map[string]series{
		"a": {Times: []time.Time{m(0), m(time.Minute)}, Values: []float64{7, 10}},
		"b": {Times: []time.Time{m(0)}, Values: []float64{100}},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("standard resolution, 60 s periods, ascending (-got +want):\n%s", diff)
	}
	got = read(0, 3*time.Minute, 60, cwtypes.ScanByTimestampDescending)
	want["a"] = series{Times: []time.Time{m(time.Minute), m(0)}, Values: []float64{10, 7}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("standard resolution, descending (-got +want):\n%s", diff)
	}
	got = read(5*time.Minute, 5*time.Minute+5*time.Second, 1, cwtypes.ScanByTimestampAscending)
	want = map[string]series{
		"a": {Times: []time.Time{m(5*time.Minute + time.Second), m(5*time.Minute + 3*time.Second)}, Values: []float64{5, 4}},
		"b": {},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("high resolution, 1 s periods (-got +want):\n%s", diff)
	}
}

// localCloudWatch is a CloudWatch client of the local AWS, speaking the query protocol.
func localCloudWatch(t *testing.T, a interface {
	Config(context.Context) (aws.Config, error)
}) *cloudwatch.Client {
	t.Helper()
	cfg, err := a.Config(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
	})
}

// namespaceMix puts one RequestCount of a load balancer in AWS/ApplicationELB and 5000 of the same name and
// dimension in another namespace, and returns the Sum GetMetricData reads for AWS/ApplicationELB: 1 on CloudWatch.
func namespaceMix(t *testing.T, cw *cloudwatch.Client) float64 {
	t.Helper()
	at := time.Now().UTC().Truncate(time.Minute).Add(-5 * time.Minute)
	dims := []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String("app/mix-123456-lb/1")}}
	for ns, v := range map[string]float64{"AWS/ApplicationELB": 1, "Other/Namespace": 5000} {
		if _, err := cw.PutMetricData(t.Context(), &cloudwatch.PutMetricDataInput{Namespace: aws.String(ns), MetricData: []cwtypes.MetricDatum{{
			MetricName: aws.String("RequestCount"), Dimensions: dims, Timestamp: aws.Time(at.Add(5 * time.Second)), Value: aws.Float64(v), Unit: cwtypes.StandardUnitCount,
		}}}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := cw.GetMetricData(t.Context(), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(at), EndTime: aws.Time(at.Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("a"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("RequestCount"), Dimensions: dims},
			Period: aws.Int32(60), Stat: aws.String("Sum")}}},
	})
	if err != nil || len(out.MetricDataResults) != 1 {
		t.Fatalf("GetMetricData: %v, %+v", err, out)
	}
	sum := 0.0
	for _, v := range out.MetricDataResults[0].Values {
		sum += v
	}
	return sum
}

func TestGetMetricDataKeepsNamespacesApart(t *testing.T) {
	if got := namespaceMix(t, localCloudWatch(t, localawstest.Use(t, local))); got != 1 {
		t.Errorf("AWS/ApplicationELB RequestCount Sum = %v, want 1 (another namespace's metric is another metric)", got)
	}
}

// standardAtSecond puts a standard-resolution RequestCount (no StorageResolution: 60) at second 30 of a minute and
// returns the timestamps a 1-second GetMetricData reads over that minute: the minute's start on CloudWatch, whose
// standard-resolution data has one-minute granularity.
func standardAtSecond(t *testing.T, cw *cloudwatch.Client) []time.Time {
	t.Helper()
	minute := time.Now().UTC().Truncate(time.Minute).Add(-5 * time.Minute)
	dims := []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String("app/std-123456-lb/1")}}
	if _, err := cw.PutMetricData(t.Context(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/ApplicationELB"), MetricData: []cwtypes.MetricDatum{{
		MetricName: aws.String("RequestCount"), Dimensions: dims, Timestamp: aws.Time(minute.Add(30 * time.Second)), Value: aws.Float64(6), Unit: cwtypes.StandardUnitCount,
	}}}); err != nil {
		t.Fatal(err)
	}
	out, err := cw.GetMetricData(t.Context(), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(minute), EndTime: aws.Time(minute.Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("a"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("RequestCount"), Dimensions: dims},
			Period: aws.Int32(1), Stat: aws.String("Sum")}}},
	})
	if err != nil || len(out.MetricDataResults) != 1 {
		t.Fatalf("GetMetricData: %v, %+v", err, out)
	}
	var times []time.Time
	for _, ts := range out.MetricDataResults[0].Timestamps {
		times = append(times, ts.UTC())
	}
	return times
}

func TestStandardResolutionHasMinuteGranularity(t *testing.T) {
	cw := localCloudWatch(t, localawstest.Use(t, local))
	got := standardAtSecond(t, cw)
	if len(got) != 1 || got[0].Second() != 0 {
		t.Errorf("a standard-resolution datum at second 30 read with 1-second periods at %v, want once at the minute's start", got)
	}
}
