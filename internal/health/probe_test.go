package health

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// reply is one scripted answer of a test server.
type reply struct {
	status  int
	body    string
	advance time.Duration // moves the fake clock, as if the answer took that long
}

// scriptServer answers its i-th request with replies[i] (the last one repeats) and counts the requests.
func scriptServer(t *testing.T, clock *fakeClock, replies ...reply) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		i := int(n.Add(1)) - 1
		r := replies[min(i, len(replies)-1)]
		if clock != nil {
			clock.Advance(r.advance)
		}
		w.WriteHeader(r.status)
		_, _ = w.Write([]byte(r.body))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func baseSpec(url string) Spec {
	return Spec{
		URL:           url,
		Successes:     3,
		Attempts:      5,
		Interval:      time.Second,
		ProbeTimeout:  2 * time.Second,
		LatencyBudget: 500 * time.Millisecond,
		AllowLoopback: true, // the test servers listen on 127.0.0.1
	}
}

func ok(attempt int) Probe { return Probe{Attempt: attempt, URL: "URL", Status: 200, OK: true} }

func TestProbeSeries(t *testing.T) {
	r200, r503 := reply{status: 200}, reply{status: 503}
	tests := []struct {
		name        string
		replies     []reply
		edit        func(*Spec)
		wantHealthy bool
		wantSummary string
		wantProbes  []Probe
		wantSlept   []time.Duration
	}{
		{
			name:        "healthy series",
			replies:     []reply{r200},
			wantHealthy: true,
			wantSummary: "healthy: 3 probes in a row succeeded (3 attempts)",
			wantProbes:  []Probe{ok(1), ok(2), ok(3)},
			wantSlept:   []time.Duration{time.Second, time.Second},
		},
		{
			name:        "a failure in the middle resets the count",
			replies:     []reply{r200, r503, r200, r200, r200},
			wantHealthy: true,
			wantSummary: "healthy: 3 probes in a row succeeded (5 attempts)",
			wantProbes: []Probe{ok(1), {Attempt: 2, URL: "URL", Status: 503, Error: "status 503, want 200"},
				ok(3), ok(4), ok(5)},
			wantSlept: []time.Duration{time.Second, time.Second, time.Second, time.Second},
		},
		{
			name:        "stops as soon as success is impossible",
			replies:     []reply{r200, r200, r503, r200},
			wantSummary: "probe 3/5 URL: status 503, want 200 (3 in a row needed, 2 attempts left)",
			wantProbes:  []Probe{ok(1), ok(2), {Attempt: 3, URL: "URL", Status: 503, Error: "status 503, want 200"}},
			wantSlept:   []time.Duration{time.Second, time.Second},
		},
		{
			name:        "first failure ends a series that needs every attempt",
			replies:     []reply{r503, r200},
			edit:        func(s *Spec) { s.Successes = 5 },
			wantSummary: "probe 1/5 URL: status 503, want 200 (5 in a row needed, 4 attempts left)",
			wantProbes:  []Probe{{Attempt: 1, URL: "URL", Status: 503, Error: "status 503, want 200"}},
		},
		{
			name:        "wrong status among several expected",
			replies:     []reply{{status: 500}},
			edit:        func(s *Spec) { s.ExpectedStatus, s.Successes, s.Attempts = []int{200, 204}, 1, 1 },
			wantSummary: "probe 1/1 URL: status 500, want one of 200, 204 (1 in a row needed, 0 attempts left)",
			wantProbes:  []Probe{{Attempt: 1, URL: "URL", Status: 500, Error: "status 500, want one of 200, 204"}},
		},
		{
			name:        "an expected status other than 200",
			replies:     []reply{{status: 204}},
			edit:        func(s *Spec) { s.ExpectedStatus, s.Successes, s.Attempts = []int{204}, 1, 1 },
			wantHealthy: true,
			wantSummary: "healthy: 1 probe in a row succeeded (1 attempt)",
			wantProbes:  []Probe{{Attempt: 1, URL: "URL", Status: 204, OK: true}},
		},
		{
			name:        "body does not match",
			replies:     []reply{{status: 200, body: "degraded"}},
			edit:        func(s *Spec) { s.BodyContains, s.Successes, s.Attempts = "ok", 1, 1 },
			wantSummary: `probe 1/1 URL: body does not contain "ok" (8 bytes read) (1 in a row needed, 0 attempts left)`,
			wantProbes:  []Probe{{Attempt: 1, URL: "URL", Status: 200, Error: `body does not contain "ok" (8 bytes read)`}},
		},
		{
			name:        "body matches",
			replies:     []reply{{status: 200, body: `{"status":"ok"}`}},
			edit:        func(s *Spec) { s.BodyContains, s.Successes, s.Attempts = `"ok"`, 1, 1 },
			wantHealthy: true,
			wantSummary: "healthy: 1 probe in a row succeeded (1 attempt)",
			wantProbes:  []Probe{{Attempt: 1, URL: "URL", Status: 200, OK: true}},
		},
		{
			name:        "body match beyond the bytes read does not count",
			replies:     []reply{{status: 200, body: strings.Repeat("x", MaxBodyBytes) + "ok"}},
			edit:        func(s *Spec) { s.BodyContains, s.Successes, s.Attempts = "ok", 1, 1 },
			wantSummary: `probe 1/1 URL: body does not contain "ok" (65536 bytes read) (1 in a row needed, 0 attempts left)`,
			wantProbes: []Probe{{Attempt: 1, URL: "URL", Status: 200,
				Error: `body does not contain "ok" (65536 bytes read)`}},
		},
		{
			name:        "latency over budget",
			replies:     []reply{{status: 200, advance: 750 * time.Millisecond}},
			edit:        func(s *Spec) { s.Successes, s.Attempts = 1, 1 },
			wantSummary: "probe 1/1 URL: latency 750ms over budget 500ms (1 in a row needed, 0 attempts left)",
			wantProbes: []Probe{{Attempt: 1, URL: "URL", Status: 200, LatencyMs: 750,
				Error: "latency 750ms over budget 500ms"}},
		},
		{
			name:        "latency equal to the budget passes",
			replies:     []reply{{status: 200, advance: 500 * time.Millisecond}},
			edit:        func(s *Spec) { s.Successes, s.Attempts = 1, 1 },
			wantHealthy: true,
			wantSummary: "healthy: 1 probe in a row succeeded (1 attempt)",
			wantProbes:  []Probe{{Attempt: 1, URL: "URL", Status: 200, LatencyMs: 500, OK: true}},
		},
		{
			name:        "a wrong status is reported before a slow answer",
			replies:     []reply{{status: 502, advance: time.Second}},
			edit:        func(s *Spec) { s.Successes, s.Attempts = 1, 1 },
			wantSummary: "probe 1/1 URL: status 502, want 200 (1 in a row needed, 0 attempts left)",
			wantProbes:  []Probe{{Attempt: 1, URL: "URL", Status: 502, LatencyMs: 1000, Error: "status 502, want 200"}},
		},
		{
			name:        "interval runs from one probe's start to the next",
			replies:     []reply{{status: 200, advance: 400 * time.Millisecond}},
			wantHealthy: true,
			wantSummary: "healthy: 3 probes in a row succeeded (3 attempts)",
			wantProbes: []Probe{
				{Attempt: 1, URL: "URL", Status: 200, LatencyMs: 400, OK: true},
				{Attempt: 2, URL: "URL", Status: 200, LatencyMs: 400, OK: true},
				{Attempt: 3, URL: "URL", Status: 200, LatencyMs: 400, OK: true},
			},
			wantSlept: []time.Duration{600 * time.Millisecond, 600 * time.Millisecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
			srv, _ := scriptServer(t, clock, tt.replies...)
			url := srv.URL + "/health"
			spec := baseSpec(url)
			if tt.edit != nil {
				tt.edit(&spec)
			}
			c := NewChecker(nil, nil, WithClock(clock))

			got, err := c.Check(context.Background(), spec)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}

			if got.Healthy != tt.wantHealthy {
				t.Errorf("Healthy = %v, want %v (summary %q)", got.Healthy, tt.wantHealthy, got.Summary)
			}
			if want := strings.ReplaceAll(tt.wantSummary, "URL", url); got.Summary != want {
				t.Errorf("Summary = %q, want %q", got.Summary, want)
			}
			wantProbes := make([]Probe, len(tt.wantProbes))
			for i, p := range tt.wantProbes {
				p.URL = url
				wantProbes[i] = p
			}
			if diff := cmp.Diff(got.Probes, wantProbes); diff != "" {
				t.Errorf("Probes (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(clock.Slept(), tt.wantSlept); diff != "" {
				t.Errorf("slept (-got +want):\n%s", diff)
			}
			if got.CheckedAt != clock.Now().Format(time.RFC3339) {
				t.Errorf("CheckedAt = %q, want the clock's time %q", got.CheckedAt, clock.Now().Format(time.RFC3339))
			}
		})
	}
}

func TestProbeTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	spec := baseSpec(srv.URL)
	spec.Successes, spec.Attempts, spec.ProbeTimeout = 1, 1, 50*time.Millisecond

	start := time.Now()
	got, err := NewChecker(nil, nil).Check(context.Background(), spec)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Check took %v, want about the 50ms probe timeout", elapsed)
	}
	if got.Healthy || len(got.Probes) != 1 {
		t.Fatalf("verdict = %+v, want one failed probe", got)
	}
	if want := "no answer within the probe timeout of 50ms"; got.Probes[0].Error != want {
		t.Errorf("probe error = %q, want %q", got.Probes[0].Error, want)
	}
}

func TestProbeDeadline(t *testing.T) {
	// The context's deadline is 10 s away in real time; the fake clock starts now, so the series reaches the
	// deadline (less the 1 s margin) in fake time, after 3 probes 3 s apart, without waiting for real.
	clock := newFakeClock(time.Now())
	srv, n := scriptServer(t, clock, reply{status: 200})
	spec := baseSpec(srv.URL)
	spec.Successes, spec.Attempts, spec.Interval, spec.ProbeTimeout = 10, 10, 3*time.Second, time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()

	start := time.Now()
	got, err := NewChecker(nil, nil, WithClock(clock), WithMargin(time.Second)).Check(ctx, spec)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}

	if got.Healthy {
		t.Fatalf("Healthy = true, want false at the deadline")
	}
	if n.Load() != 3 || len(got.Probes) != 3 {
		t.Errorf("%d requests, %d probes, want 3 of each", n.Load(), len(got.Probes))
	}
	want := "probe 4/10 " + srv.URL + " not run: not enough time before the check's deadline for its 1s timeout " +
		"and a 1s margin (3 of 10 successes in a row so far)"
	if got.Summary != want {
		t.Errorf("Summary = %q, want %q", got.Summary, want)
	}
	if limit := deadline.Add(-time.Second); clock.Now().After(limit) {
		t.Errorf("fake clock ended at %v, after the deadline less the margin %v", clock.Now(), limit)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Check took %v of real time, want no real waiting", elapsed)
	}
}

func TestProbeDeadlineRealTime(t *testing.T) {
	srv, n := scriptServer(t, nil, reply{status: 200})
	spec := baseSpec(srv.URL)
	spec.Successes, spec.Attempts, spec.Interval, spec.ProbeTimeout = 100, 100, 40*time.Millisecond, 100*time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	deadline, _ := ctx.Deadline()

	got, err := NewChecker(nil, nil, WithMargin(100*time.Millisecond)).Check(ctx, spec)
	returned := time.Now()
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !returned.Before(deadline) {
		t.Errorf("Check returned at %v, not before the deadline %v", returned, deadline)
	}
	if got.Healthy || !strings.Contains(got.Summary, "deadline") {
		t.Errorf("verdict healthy=%v summary %q, want unhealthy at the deadline", got.Healthy, got.Summary)
	}
	if n.Load() < 2 {
		t.Errorf("%d requests, want a few probes before the deadline", n.Load())
	}
}

func TestProbeCancelledDuringProbe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 2 {
			cancel()
			<-r.Context().Done()
			return
		}
		w.WriteHeader(200)
	}))
	t.Cleanup(srv.Close)
	clock := newFakeClock(time.Now())

	got, err := NewChecker(nil, nil, WithClock(clock)).Check(ctx, baseSpec(srv.URL))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	want := "probe 2/5 " + srv.URL + ": the check was cancelled during the probe"
	if got.Healthy || got.Summary != want {
		t.Errorf("verdict healthy=%v summary %q, want unhealthy %q", got.Healthy, got.Summary, want)
	}
}

func TestProbeEvidenceHidesSecrets(t *testing.T) {
	clock := newFakeClock(time.Now())
	srv, _ := scriptServer(t, clock, reply{status: 503})
	url := strings.Replace(srv.URL, "http://", "http://admin:hunter2@", 1) + "/health?token=s3cret&deep=1#frag"
	spec := baseSpec(url)
	spec.Successes, spec.Attempts = 1, 1

	got, err := NewChecker(nil, nil, WithClock(clock)).Check(context.Background(), spec)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"admin", "hunter2", "s3cret", "frag"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("verdict shows %q: %s", secret, b)
		}
	}
	if want := srv.URL + "/health?token=REDACTED&deep=1"; len(got.Probes) != 1 || got.Probes[0].URL != want {
		t.Errorf("probes = %+v, want one with URL %q", got.Probes, want)
	}
}
