package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

const (
	newLBARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demoapp-123456-lb/50dc6c495c0c9188"
	oldLBARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demoapp-819273-lb/0c1d2e3f4a5b6c7d"
	newLBDim = "app/demoapp-123456-lb/50dc6c495c0c9188"
	oldLBDim = "app/demoapp-819273-lb/0c1d2e3f4a5b6c7d"
)

func TestLoadBalancerMetricDimension(t *testing.T) {
	for _, tt := range []struct {
		arn, want string
		ok        bool
	}{
		{arn: newLBARN, want: newLBDim, ok: true},
		{arn: "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/a/1", want: "app/a/1", ok: true},
		{arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/nlb/50dc6c495c0c9188"}, // NLB: no RequestCount
		{arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/50dc6c495c0c9188"},
		{arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x"},
		{arn: ""},
	} {
		got, err := LoadBalancerMetricDimension(tt.arn)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("LoadBalancerMetricDimension(%q) = %q, %v; want %q (ok %t)", tt.arn, got, err, tt.want, tt.ok)
		}
	}
}

var t0 = time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)

func TestSplitWindow(t *testing.T) {
	sec := time.Second
	for _, tt := range []struct {
		name               string
		synced, now        time.Time
		ttl, lag, period   time.Duration
		wantStart, wantEnd time.Time
		wantPeriods        int
		wantWait           time.Duration // NextWait at now
	}{
		{name: "AWS defaults: the bake of ttl + period + lag, aligned", synced: t0, now: t0.Add(240 * sec),
			ttl: 60 * sec, lag: 120 * sec, period: 60 * sec,
			wantStart: t0.Add(60 * sec), wantEnd: t0.Add(120 * sec), wantPeriods: 1, wantWait: 60 * sec},
		{name: "unaligned: the start rounds up, the end down, no whole period yet", synced: t0.Add(10 * sec), now: t0.Add(250 * sec),
			ttl: 60 * sec, lag: 120 * sec, period: 60 * sec,
			wantStart: t0.Add(120 * sec), wantEnd: t0.Add(120 * sec), wantPeriods: 0, wantWait: 50 * sec},
		{name: "unaligned, later: one whole period", synced: t0.Add(10 * sec), now: t0.Add(301 * sec),
			ttl: 60 * sec, lag: 120 * sec, period: 60 * sec,
			wantStart: t0.Add(120 * sec), wantEnd: t0.Add(180 * sec), wantPeriods: 1, wantWait: 59 * sec},
		{name: "high resolution, no lag", synced: t0.Add(1500 * time.Millisecond), now: t0.Add(9700 * time.Millisecond),
			ttl: sec, lag: 0, period: sec,
			wantStart: t0.Add(3 * sec), wantEnd: t0.Add(9 * sec), wantPeriods: 6, wantWait: sec},
		{name: "a start after the end is empty", synced: t0, now: t0.Add(30 * sec),
			ttl: 60 * sec, lag: 0, period: 60 * sec,
			wantStart: t0.Add(60 * sec), wantEnd: t0, wantPeriods: 0, wantWait: 90 * sec},
		{name: "a long bake keeps the last day of minutes", synced: t0, now: t0.Add(48 * time.Hour),
			ttl: 60 * sec, lag: 0, period: 60 * sec,
			wantStart: t0.Add(24 * time.Hour), wantEnd: t0.Add(48 * time.Hour), wantPeriods: 1440, wantWait: 60 * sec},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := SplitWindow(tt.synced, tt.now, tt.ttl, tt.lag, tt.period)
			if !w.Start.Equal(tt.wantStart) || !w.End.Equal(tt.wantEnd) || w.Periods() != tt.wantPeriods {
				t.Errorf("window %v–%v (%d periods), want %v–%v (%d)", w.Start, w.End, w.Periods(), tt.wantStart, tt.wantEnd, tt.wantPeriods)
			}
			if got := w.NextWait(tt.now, tt.lag); got != tt.wantWait {
				t.Errorf("NextWait = %v, want %v", got, tt.wantWait)
			}
			// After the wait, the window holds one more whole period (at least its first).
			later := SplitWindow(tt.synced, tt.now.Add(w.NextWait(tt.now, tt.lag)), tt.ttl, tt.lag, tt.period)
			if want := max(w.Periods(), 0) + 1; later.Periods() != min(want, maxWindowPeriods) {
				t.Errorf("after NextWait: %d periods, want %d", later.Periods(), want)
			}
		})
	}
}

// splitSpec is a 10% step's verification with the AWS defaults over [t0+1m, t0+6m): five minutes.
func splitSpec() SplitSpec {
	return SplitSpec{NewLoadBalancer: newLBARN, OldLoadBalancer: oldLBARN, Percent: 10, Tolerance: 0.5, MinRequests: 100,
		Window: Window{Start: t0.Add(time.Minute), End: t0.Add(6 * time.Minute), Period: time.Minute}}
}

// publish puts a minute's requests for each of five minutes of the window, newPer and oldPer a minute.
func publish(f *fakeMetrics, newPer, oldPer float64) {
	for m := 1; m <= 5; m++ {
		at := t0.Add(time.Duration(m)*time.Minute + 17*time.Second)
		if newPer > 0 {
			f.put(newLBDim, at, newPer, false)
		}
		if oldPer > 0 {
			f.put(oldLBDim, at, oldPer, false)
		}
	}
}

func TestCheckSplit(t *testing.T) {
	for _, tt := range []struct {
		name    string
		setup   func(*fakeMetrics, *SplitSpec)
		want    TrafficEvidence
		reason  string // a part of the reason
		noCalls bool
	}{
		{
			name:  "a normal split passes",
			setup: func(f *fakeMetrics, _ *SplitSpec) { publish(f, 20, 180) },
			want:  TrafficEvidence{Outcome: SplitVerified, NewRequests: 100, OldRequests: 900, Share: 0.1},
		},
		{
			name:  "the minimum share passes",
			setup: func(f *fakeMetrics, _ *SplitSpec) { publish(f, 10, 190) },
			want:  TrafficEvidence{Outcome: SplitVerified, NewRequests: 50, OldRequests: 950, Share: 0.05},
		},
		{
			name:   "too few requests is inconclusive",
			setup:  func(f *fakeMetrics, _ *SplitSpec) { publish(f, 1, 9) },
			want:   TrafficEvidence{Outcome: SplitInconclusive, NewRequests: 5, OldRequests: 45, Share: 0.1},
			reason: "50 requests in the window (new 5 − 0 probes, old 45), fewer than minRequests 100",
		},
		{
			name:   "no traffic at all: no data points, inconclusive",
			setup:  func(*fakeMetrics, *SplitSpec) {},
			want:   TrafficEvidence{Outcome: SplitInconclusive},
			reason: "0 requests in the window",
		},
		{
			name:   "a share below the weight × (1 − tolerance) is inconclusive",
			setup:  func(f *fakeMetrics, _ *SplitSpec) { publish(f, 8, 192) },
			want:   TrafficEvidence{Outcome: SplitInconclusive, NewRequests: 40, OldRequests: 960, Share: 0.04},
			reason: "the new stack had 4.0% of 1000 requests, below the minimum 5.0% (10% × (1 − 0.5))",
		},
		{
			name: "the deployer's probes in the window are subtracted, those outside are not",
			setup: func(f *fakeMetrics, s *SplitSpec) {
				publish(f, 10, 190)
				s.Probes = []deploy.PeriodCount{
					{T: t0.Unix(), N: 1000},                      // before the window
					{T: t0.Add(2 * time.Minute).Unix(), N: 3},    // in it
					{T: t0.Add(5 * time.Minute).Unix(), N: 2},    // its last period
					{T: t0.Add(6 * time.Minute).Unix(), N: 1000}, // after it
				}
				s.Unplaced = 1 // counted in every window
			},
			want: TrafficEvidence{Outcome: SplitInconclusive, NewRequests: 50, OldRequests: 950, ProbesSubtracted: 6,
				Share: 44.0 / 994},
			reason: "the new stack had 4.4% of 994 requests",
		},
		{
			name: "probes alone are not traffic",
			setup: func(f *fakeMetrics, s *SplitSpec) {
				publish(f, 30, 0)
				s.Probes = []deploy.PeriodCount{{T: t0.Add(time.Minute).Unix(), N: 200}}
			},
			want:   TrafficEvidence{Outcome: SplitInconclusive, NewRequests: 150, ProbesSubtracted: 200},
			reason: "0 requests in the window (new 150 − 200 probes, old 0)",
		},
		{
			name: "requests before the window (before the weights took effect) and in the lag are not read",
			setup: func(f *fakeMetrics, _ *SplitSpec) {
				publish(f, 20, 180)
				f.put(newLBDim, t0.Add(30*time.Second), 5000, false)
				f.put(oldLBDim, t0.Add(6*time.Minute+10*time.Second), 5000, false)
			},
			want: TrafficEvidence{Outcome: SplitVerified, NewRequests: 100, OldRequests: 900, Share: 0.1},
		},
		{
			name: "another load balancer's requests are not counted",
			setup: func(f *fakeMetrics, _ *SplitSpec) {
				publish(f, 20, 180)
				f.put("app/other-999999-lb/1111111111111111", t0.Add(2*time.Minute), 1e6, false)
			},
			want: TrafficEvidence{Outcome: SplitVerified, NewRequests: 100, OldRequests: 900, Share: 0.1},
		},
		{
			name: "high resolution: 1-second periods",
			setup: func(f *fakeMetrics, s *SplitSpec) {
				s.Window = Window{Start: t0.Add(2 * time.Second), End: t0.Add(12 * time.Second), Period: time.Second}
				for i := range 14 {
					f.put(newLBDim, t0.Add(time.Duration(i)*time.Second+300*time.Millisecond), 3, true)
					f.put(oldLBDim, t0.Add(time.Duration(i)*time.Second+300*time.Millisecond), 7, true)
				}
			},
			want: TrafficEvidence{Outcome: SplitVerified, NewRequests: 30, OldRequests: 70, Share: 0.3, PeriodSeconds: 1,
				WindowStart: "2026-12-01T14:00:02Z", WindowEnd: "2026-12-01T14:00:12Z"},
		},
		{
			name: "a CNAME endpoint without a load balancer: not applicable",
			setup: func(_ *fakeMetrics, s *SplitSpec) {
				s.OldLoadBalancer = ""
			},
			want:    TrafficEvidence{Outcome: SplitNotApplicable, NewLoadBalancer: newLBDim},
			reason:  "not applicable: \"\" is not an Application Load Balancer's ARN",
			noCalls: true,
		},
		{
			name: "a window without a whole period waits",
			setup: func(_ *fakeMetrics, s *SplitSpec) {
				s.Window.End = s.Window.Start
			},
			want:    TrafficEvidence{Outcome: SplitWaiting, WindowEnd: "2026-12-01T14:01:00Z"},
			reason:  "holds no whole 60s period yet",
			noCalls: true,
		},
		{
			name: "a failed read is inconclusive",
			setup: func(f *fakeMetrics, _ *SplitSpec) {
				f.err = errors.New("AccessDenied: not authorized to perform cloudwatch:GetMetricData")
			},
			want:   TrafficEvidence{Outcome: SplitInconclusive},
			reason: "reading RequestCount from CloudWatch failed: GetMetricData: AccessDenied",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeMetrics{}
			spec := splitSpec()
			tt.setup(f, &spec)
			got := NewChecker(nil, nil, WithMetrics(f)).checkSplit(context.Background(), spec)
			want := TrafficEvidence{
				NewLoadBalancer: newLBDim, OldLoadBalancer: oldLBDim, Intended: 0.1, MinShare: 0.05, MinRequests: 100,
				PeriodSeconds: 60, WindowStart: "2026-12-01T14:01:00Z", WindowEnd: "2026-12-01T14:06:00Z",
			}
			w := tt.want
			want.Outcome, want.NewRequests, want.OldRequests, want.ProbesSubtracted, want.Share = w.Outcome, w.NewRequests, w.OldRequests, w.ProbesSubtracted, w.Share
			if w.PeriodSeconds != 0 {
				want.PeriodSeconds = w.PeriodSeconds
			}
			if w.WindowStart != "" {
				want.WindowStart = w.WindowStart
			}
			if w.WindowEnd != "" {
				want.WindowEnd = w.WindowEnd
			}
			if w.Outcome == SplitNotApplicable {
				want.NewLoadBalancer, want.OldLoadBalancer = w.NewLoadBalancer, w.OldLoadBalancer
			}
			if !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("reason %q does not say %q", got.Reason, tt.reason)
			}
			got.Reason = ""
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("evidence (-got +want):\n%s", diff)
			}
			switch {
			case tt.noCalls && f.calls != 0:
				t.Errorf("%d GetMetricData calls, want none", f.calls)
			case !tt.noCalls && f.calls != 1:
				t.Errorf("%d GetMetricData calls, want one for both load balancers", f.calls)
			case !tt.noCalls:
				in := f.inputs[0]
				if diff := cmp.Diff(dims(in), []string{newLBDim, oldLBDim}); diff != "" {
					t.Errorf("queried load balancers (-got +want):\n%s", diff)
				}
				for _, q := range in.MetricDataQueries {
					if aws.ToString(q.MetricStat.Stat) != "Sum" || aws.ToInt32(q.MetricStat.Period) != int32(want.PeriodSeconds) ||
						aws.ToString(q.MetricStat.Metric.Namespace) != "AWS/ApplicationELB" || aws.ToString(q.MetricStat.Metric.MetricName) != "RequestCount" {
						t.Errorf("query %s: %+v, want Sum of AWS/ApplicationELB RequestCount per %d s", aws.ToString(q.Id), q.MetricStat, want.PeriodSeconds)
					}
				}
				if in.ScanBy != cwtypes.ScanByTimestampAscending {
					t.Errorf("ScanBy %q", in.ScanBy)
				}
			}
		})
	}
}

// A check with a split verifies it after the probes, and tells OnRequest of every request the probes sent.
func TestCheckVerifiesTheSplitAndCountsItsRequests(t *testing.T) {
	clock := newFakeClock(t0.Add(7 * time.Minute))
	srv, n := scriptServer(t, clock, reply{status: http.StatusOK})
	f := &fakeMetrics{}
	publish(f, 20, 180)
	spec := baseSpec(srv.URL + "/health")
	s := splitSpec()
	spec.Split = &s
	var sent []time.Time
	spec.OnRequest = func(at time.Time) { sent = append(sent, at) }

	v, err := NewChecker(nil, nil, WithClock(clock), WithMetrics(f)).Check(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Healthy || v.Traffic == nil || v.Traffic.Outcome != SplitVerified || v.Traffic.NewRequests != 100 {
		t.Errorf("verdict %+v, traffic %+v; want healthy with the split verified on 100 new requests", v, v.Traffic)
	}
	if len(sent) != int(n.Load()) || len(sent) != 3 {
		t.Errorf("OnRequest told of %d requests, the server saw %d; want 3 each", len(sent), n.Load())
	}
	if _, err := NewChecker(nil, nil).Check(context.Background(), spec); err == nil {
		t.Error("a split without a metrics client: no SpecError")
	}
}

// A verdict with the most evidence, the split's included and a summary a caller lengthened, stays within
// MaxVerdictBytes once capped.
func TestSplitEvidenceIsCapped(t *testing.T) {
	v := Verdict{Summary: strings.Repeat("s", 4000), Traffic: &TrafficEvidence{Outcome: SplitPassedInconclusive,
		Reason: strings.Repeat(`"`, 2000), NewLoadBalancer: newLBDim, OldLoadBalancer: oldLBDim, WindowStart: "2026-12-01T14:01:00Z",
		WindowEnd: "2026-12-01T14:06:00Z", NewRequests: 1 << 60, OldRequests: 1 << 60, ProbesSubtracted: 1 << 60, Share: 0.123456789}}
	for i := range 100 {
		v.Probes = append(v.Probes, Probe{Attempt: i + 1, URL: "http://" + strings.Repeat("u", 200), Status: 599, Error: strings.Repeat("e", 100)})
	}
	CapEvidence(&v)
	if n := len(mustJSON(t, v)); n > MaxVerdictBytes {
		t.Errorf("the capped verdict is %d bytes, more than %d", n, MaxVerdictBytes)
	}
	if v.Traffic == nil || v.Traffic.NewRequests != 1<<60 {
		t.Errorf("the split's evidence was dropped: %+v", v.Traffic)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
