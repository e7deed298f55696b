package health

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
)

func TestCheckRunsEveryPart(t *testing.T) {
	elb := &fakeELB{groups: map[string][]elbtypes.TargetHealthDescription{
		tgWeb: {
			target("i-1", 80, elbtypes.TargetHealthStateEnumHealthy, "", ""),
			target("i-2", 80, elbtypes.TargetHealthStateEnumUnhealthy, elbtypes.TargetHealthReasonEnumTimeout,
				"Request timed out"),
		},
	}}
	cw := &fakeCloudWatch{metric: map[string]cwtypes.MetricAlarm{
		"web-5xx": metricAlarm("web-5xx", cwtypes.StateValueAlarm, "Threshold Crossed"),
		"web-new": metricAlarm("web-new", cwtypes.StateValueInsufficientData, "Unchecked: Initial alarm creation"),
	}}
	clock := newFakeClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	srv, _ := scriptServer(t, clock, reply{status: 503})
	spec := baseSpec(srv.URL + "/health")
	spec.TargetGroups = []string{tgWeb}
	spec.Alarms = []string{"web-5xx", "web-new", "web-gone"}

	got, err := NewChecker(elb, cw, WithClock(clock)).Check(context.Background(), spec)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}

	wantFailures := []string{
		"probe 3/5 " + srv.URL + "/health: status 503, want 200 (3 in a row needed, 2 attempts left)",
		"target group targetgroup/web/0123456789abcdef: 1 of 2 targets not healthy; i-2:80 is unhealthy " +
			"(Target.Timeout: Request timed out)",
		"alarm web-5xx is ALARM: Threshold Crossed",
		"alarm web-gone not found",
	}
	if diff := cmp.Diff(got.Failures, wantFailures); diff != "" {
		t.Errorf("Failures (-got +want):\n%s", diff)
	}
	if want := wantFailures[0] + " (and 3 more failures)"; got.Summary != want {
		t.Errorf("Summary = %q, want %q", got.Summary, want)
	}
	if got.Healthy {
		t.Errorf("Healthy = true, want false")
	}
	var states []string
	for _, a := range got.Alarms {
		states = append(states, a.Name+"="+a.State)
	}
	if diff := cmp.Diff(states, []string{"web-5xx=ALARM", "web-new=INSUFFICIENT_DATA", "web-gone=NOT_FOUND"}); diff != "" {
		t.Errorf("alarm evidence (-got +want):\n%s", diff)
	}
	if len(got.Probes) != 3 || len(got.Targets) != 2 {
		t.Errorf("%d probes and %d targets in evidence, want 3 and 2", len(got.Probes), len(got.Targets))
	}
	if got.CheckedAt != "2026-05-01T12:00:02Z" {
		t.Errorf("CheckedAt = %q, want the end of the series", got.CheckedAt)
	}
}

func TestCheckHealthy(t *testing.T) {
	elb := &fakeELB{groups: map[string][]elbtypes.TargetHealthDescription{
		tgWeb: {
			target("i-1", 80, elbtypes.TargetHealthStateEnumHealthy, "", ""),
			target("i-2", 80, elbtypes.TargetHealthStateEnumHealthy, "", ""),
		},
	}}
	cw := &fakeCloudWatch{metric: map[string]cwtypes.MetricAlarm{
		"web-5xx":     metricAlarm("web-5xx", cwtypes.StateValueOk, ""),
		"web-latency": metricAlarm("web-latency", cwtypes.StateValueOk, ""),
		"web-new":     metricAlarm("web-new", cwtypes.StateValueInsufficientData, "Unchecked: Initial alarm creation"),
	}}
	clock := newFakeClock(time.Now())
	srv, _ := scriptServer(t, clock, reply{status: 200, body: "ok"})
	spec := baseSpec(srv.URL)
	spec.BodyContains = "ok"
	spec.TargetGroups = []string{tgWeb}
	spec.Alarms = []string{"web-5xx", "web-latency", "web-new"}

	got, err := NewChecker(elb, cw, WithClock(clock)).Check(context.Background(), spec)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}

	want := "healthy: 3 probes in a row succeeded (3 attempts); 2 healthy targets in 1 target group; " +
		"2 alarms OK, 1 INSUFFICIENT_DATA"
	if !got.Healthy || got.Summary != want || got.Failures != nil {
		t.Errorf("verdict healthy=%v summary %q failures %q, want healthy %q", got.Healthy, got.Summary,
			got.Failures, want)
	}
}

func TestSpecValidate(t *testing.T) {
	valid := baseSpec("http://app.example.com/health")
	tests := []struct {
		name string
		edit func(*Spec)
		want []string
	}{
		{name: "valid", edit: func(*Spec) {}},
		{name: "https and one attempt without interval", edit: func(s *Spec) {
			s.URL, s.Successes, s.Attempts, s.Interval = "https://app.example.com:8443/", 1, 1, 0
		}},
		{name: "successes over attempts", edit: func(s *Spec) { s.Successes, s.Attempts = 4, 3 },
			want: []string{"attempts (3) is less than successes (4)"}},
		{name: "no successes", edit: func(s *Spec) { s.Successes = 0 },
			want: []string{"successes is 0, want at least 1"}},
		{name: "durations", edit: func(s *Spec) { s.LatencyBudget, s.ProbeTimeout, s.Interval = 0, -time.Second, 0 },
			want: []string{"latency budget 0s is not positive", "probe timeout -1s is not positive",
				"interval 0s is not positive"}},
		{name: "scheme", edit: func(s *Spec) { s.URL = "ftp://app.example.com/health" },
			want: []string{`url ftp://app.example.com/health: scheme "ftp" is not http or https`}},
		{name: "no host", edit: func(s *Spec) { s.URL = "http:///health" },
			want: []string{"url http:///health has no host"}},
		{name: "no url", edit: func(s *Spec) { s.URL = "" }, want: []string{"url is empty"}},
		{name: "unparsable url hides its secrets", edit: func(s *Spec) { s.URL = "http://u:p@host:port:x/" },
			want: []string{"url (unparsable URL) does not parse"}},
		{name: "statuses", edit: func(s *Spec) { s.ExpectedStatus = []int{200, 99, 600} },
			want: []string{"expected status 99 is not an HTTP status", "expected status 600 is not an HTTP status"}},
		{name: "empty names", edit: func(s *Spec) { s.TargetGroups, s.Alarms = []string{tgWeb, " "}, []string{""} },
			want: []string{"target group 2 is empty", "alarm 1 is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := valid
			tt.edit(&spec)

			err := spec.Validate()

			var se *SpecError
			if tt.want == nil {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.As(err, &se) {
				t.Fatalf("Validate() = %v, want a *SpecError", err)
			}
			if diff := cmp.Diff(se.Problems, tt.want); diff != "" {
				t.Errorf("problems (-got +want):\n%s", diff)
			}
		})
	}
}

func TestCheckRefusesBadSpecWithoutProbing(t *testing.T) {
	srv, n := scriptServer(t, nil, reply{status: 200})
	bad := baseSpec(srv.URL)
	bad.Successes = 9
	noELB := baseSpec(srv.URL)
	noELB.TargetGroups = []string{tgWeb}
	noCW := baseSpec(srv.URL)
	noCW.Alarms = []string{"web-5xx"}

	for _, spec := range []Spec{bad, noELB, noCW} {
		v, err := NewChecker(nil, nil).Check(context.Background(), spec)
		var se *SpecError
		if !errors.As(err, &se) {
			t.Errorf("Check(%+v) = %v, want a *SpecError", spec, err)
		}
		if diff := cmp.Diff(v, Verdict{}); diff != "" {
			t.Errorf("verdict of a bad spec (-got +want):\n%s", diff)
		}
	}
	if n.Load() != 0 {
		t.Errorf("%d probes sent for bad specs, want none", n.Load())
	}
}

func ExampleChecker_Check() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"status":"ok"}`)
	}))
	defer srv.Close()

	// Without target groups or alarms, the checker needs no AWS clients.
	c := NewChecker(nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := c.Check(ctx, Spec{
		URL:           srv.URL + "/health",
		BodyContains:  `"ok"`,
		LatencyBudget: time.Second,
		ProbeTimeout:  time.Second,
		Successes:     2,
		Attempts:      3,
		Interval:      10 * time.Millisecond,
		AllowLoopback: true, // the example server listens on 127.0.0.1
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Healthy, v.Summary)
	// Output: true healthy: 2 probes in a row succeeded (2 attempts)
}
