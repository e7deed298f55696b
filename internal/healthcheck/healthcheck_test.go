package healthcheck

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/health"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/stacks"
)

const (
	me    = "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-deploy-v2"
	lbDNS = "demoapp-123456-1873640213.us-east-1.elb.amazonaws.com"
)

var t0 = time.Date(2026, 11, 25, 10, 55, 0, 0, time.UTC)

// fakeChecker answers with its verdicts in turn (the last one again when they run out) and records the specs.
type fakeChecker struct {
	verdicts []health.Verdict
	err      error
	specs    []health.Spec
}

func (c *fakeChecker) Check(_ context.Context, spec health.Spec) (health.Verdict, error) {
	c.specs = append(c.specs, spec)
	if c.err != nil {
		return health.Verdict{}, c.err
	}
	v := c.verdicts[min(len(c.specs), len(c.verdicts))-1]
	return v, nil
}

// fakeEndpoints is the stack manager's Endpoint over a few stacks.
type fakeEndpoints map[string]any // stack name → stacks.Endpoint or error

func (e fakeEndpoints) Endpoint(_ context.Context, name, _, _ string) (stacks.Endpoint, error) {
	switch v := e[name].(type) {
	case stacks.Endpoint:
		return v, nil
	case error:
		return stacks.Endpoint{}, v
	}
	return stacks.Endpoint{}, &stacks.NotFoundError{Stack: name}
}

var (
	healthy = health.Verdict{Healthy: true, Summary: "healthy: 3 probes in a row succeeded (3 attempts)"}
	sick    = health.Verdict{Summary: "probe 3/5 http://x/health: status 503, want 200", Failures: []string{"probe 3/5 http://x/health: status 503, want 200"},
		Probes: []health.Probe{{Attempt: 3, URL: "http://x/health", Status: 503, LatencyMs: 12, Error: "status 503, want 200"}}}
)

// published is a deployment's state once its new stack 123456 is published in green.
func published(cfg func(*deploy.Config)) deploy.State {
	c := deploy.Config{HostedZoneID: "Z0EXAMPLE12345", Health: deploy.HealthConfig{Path: "/health", Alarms: []string{"demoapp-5xx"}}}
	if cfg != nil {
		cfg(&c)
	}
	c.Resolve()
	return deploy.State{
		Input: deploy.Input{App: "demoapp", Version: "v2"}, App: &records.App{Name: "demoapp", Zone: "example.com"}, Config: &c,
		Plan:  &deploy.Plan{Action: deploy.ActionDeploy, New: &deploy.Slot{Color: records.Green, StackID: "123456", Stack: "demoapp-123456"}},
		Stack: &deploy.StackWait{Name: "demoapp-123456", Done: true, Endpoint: &deploy.Endpoint{DNSName: lbDNS, TargetGroups: []string{"arn:tg/1"}}},
	}
}

func run(t *testing.T, c *fakeChecker, e fakeEndpoints, now time.Time, op string, s deploy.State) (deploy.State, error) {
	t.Helper()
	h := New(c, e, false)
	h.now = func() time.Time { return now }
	return h.Function(slog.New(slog.DiscardHandler)).Handle(context.Background(), deploy.Request{Op: op, Execution: me, State: s})
}

func typeName(err error) string {
	if err == nil {
		return ""
	}
	return reflect.TypeOf(err).Elem().Name()
}

func TestPretrafficRetriesThenFails(t *testing.T) {
	c := &fakeChecker{verdicts: []health.Verdict{sick}}
	s := published(func(c *deploy.Config) { c.Health.Retries = new(int); *c.Health.Retries = 2 })
	var checks []deploy.Checks
	var err error
	for range 5 {
		var got deploy.State
		if got, err = run(t, c, nil, t0, "pretraffic", s); err != nil {
			break
		}
		checks = append(checks, *got.Checks)
		s = got
	}
	want := []deploy.Checks{{Attempt: 1, Retry: true, Failed: 1, WaitSeconds: 10}, {Attempt: 2, Retry: true, Failed: 2, WaitSeconds: 10}}
	if diff := cmp.Diff(checks, want); diff != "" {
		t.Errorf("checks before giving up (-got +want):\n%s", diff)
	}
	var bad *deploy.HealthCheckError
	if !errors.As(err, &bad) || bad.Stack != "demoapp-123456" {
		t.Fatalf("third failed check = %v, want a HealthCheckError of demoapp-123456", err)
	}
	for _, want := range []string{sick.Summary, `"status":503`, `"latencyMs":12`} {
		if !strings.Contains(bad.Summary, want) {
			t.Errorf("the error %q does not carry the evidence %q", bad.Summary, want)
		}
	}
	if len(c.specs) != 3 {
		t.Errorf("%d checks, want 3 (1 + retries 2)", len(c.specs))
	}
}

func TestPretrafficPassesAfterAFailure(t *testing.T) {
	c := &fakeChecker{verdicts: []health.Verdict{sick, healthy}}
	s, err := run(t, c, nil, t0, "pretraffic", published(nil))
	if err != nil || !s.Checks.Retry {
		t.Fatalf("first check = %+v, %v; want a retry", s.Checks, err)
	}
	s, err = run(t, c, nil, t0, "pretraffic", s)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.Checks, &deploy.Checks{Attempt: 2, Failed: 1}); diff != "" {
		t.Errorf("checks (-got +want):\n%s", diff)
	}
	if s.Verdict == nil || !s.Verdict.Healthy {
		t.Errorf("verdict = %+v, want the healthy one", s.Verdict)
	}
	want := health.Spec{URL: "http://" + lbDNS + "/health", ExpectedStatus: []int{200}, LatencyBudget: 2 * time.Second, ProbeTimeout: 5 * time.Second,
		Successes: 3, Attempts: 5, Interval: time.Second, TargetGroups: []string{"arn:tg/1"}, Alarms: []string{"demoapp-5xx"},
		WaitForInitial: true}
	if diff := cmp.Diff(c.specs[1], want); diff != "" {
		t.Errorf("spec (-got +want):\n%s", diff)
	}
}

func TestSpec(t *testing.T) {
	tests := []struct {
		name   string
		cfg    func(*deploy.Config)
		health string // the stack's health URL output
		want   func(*health.Spec)
	}{
		{name: "the stack's health URL wins", health: "https://demoapp.example.com/health?stack=123456", want: func(s *health.Spec) { s.URL = "https://demoapp.example.com/health?stack=123456" }},
		{name: "no target health", cfg: func(c *deploy.Config) { c.Health.SkipTargetHealth = true }, want: func(s *health.Spec) { s.TargetGroups = nil }},
		{name: "settings", cfg: func(c *deploy.Config) {
			c.Health.Scheme, c.Health.BodyContains, c.Health.IntervalMillis, c.Health.AllowLinkLocal = "https", "ok", 250, true
		}, want: func(s *health.Spec) {
			s.URL, s.BodyContains, s.Interval, s.AllowLinkLocal = "https://"+lbDNS+"/health", "ok", 250*time.Millisecond, true
			s.ServerName = "demoapp.example.com" // https to the load balancer presents the app's host by default
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &fakeChecker{verdicts: []health.Verdict{healthy}}
			s := published(tt.cfg)
			s.Stack.Endpoint.HealthURL = tt.health
			if _, err := run(t, c, nil, t0, "step", s); err != nil {
				t.Fatal(err)
			}
			want := health.Spec{URL: "http://" + lbDNS + "/health", ExpectedStatus: []int{200}, LatencyBudget: 2 * time.Second, ProbeTimeout: 5 * time.Second,
				Successes: 3, Attempts: 5, Interval: time.Second, TargetGroups: []string{"arn:tg/1"}, Alarms: []string{"demoapp-5xx"}}
			tt.want(&want)
			if diff := cmp.Diff(c.specs[0], want); diff != "" {
				t.Errorf("spec (-got +want):\n%s", diff)
			}
		})
	}
}

func TestStepAndWatch(t *testing.T) {
	until := t0.Add(300 * time.Second).Format(time.RFC3339)
	tests := []struct {
		name    string
		op      string
		verdict health.Verdict
		watch   *deploy.Watch
		now     time.Duration // after t0
		want    *deploy.Watch
		wantErr string
	}{
		{name: "a healthy step", op: "step", verdict: healthy},
		{name: "an unhealthy step", op: "step", verdict: sick, wantErr: "HealthCheckError"},
		{name: "the watch starts", op: "watch", verdict: healthy, want: &deploy.Watch{Until: until, WaitSeconds: 60}},
		{name: "less than an interval left", op: "watch", verdict: healthy, watch: &deploy.Watch{Until: until, WaitSeconds: 60}, now: 280500 * time.Millisecond,
			want: &deploy.Watch{Until: until, WaitSeconds: 20}},
		{name: "the window has passed", op: "watch", verdict: healthy, watch: &deploy.Watch{Until: until, WaitSeconds: 20}, now: 300 * time.Second,
			want: &deploy.Watch{Until: until, Done: true}},
		{name: "unhealthy in the watch", op: "watch", verdict: sick, watch: &deploy.Watch{Until: until, WaitSeconds: 60}, now: time.Minute, wantErr: "HealthCheckError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := published(nil)
			s.Watch = tt.watch
			got, err := run(t, &fakeChecker{verdicts: []health.Verdict{tt.verdict}}, nil, t0.Add(tt.now), tt.op, s)
			if typeName(err) != tt.wantErr {
				t.Fatalf("%s = %v, want %q", tt.op, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(got.Watch, tt.want); diff != "" {
				t.Errorf("watch (-got +want):\n%s", diff)
			}
			if got.Verdict == nil || got.Verdict.Summary != tt.verdict.Summary {
				t.Errorf("verdict = %+v, want it stored", got.Verdict)
			}
		})
	}
}

func TestRollbackTargetEndpoint(t *testing.T) {
	target := "demoapp-554433"
	tests := []struct {
		name      string
		endpoints fakeEndpoints
		wantErr   string
		wantURL   string
	}{
		{name: "read through the stack manager", endpoints: fakeEndpoints{target: stacks.Endpoint{DNSName: "old-lb.elb.amazonaws.com", LoadBalancer: true, TargetGroups: []string{"arn:tg/old"}}},
			wantURL: "http://old-lb.elb.amazonaws.com/health"},
		{name: "the stack is gone", endpoints: fakeEndpoints{}, wantErr: "TargetMissingError"},
		{name: "the stack is not complete", endpoints: fakeEndpoints{target: &stacks.NotCompleteError{Stack: target, Status: "DELETE_IN_PROGRESS"}}, wantErr: "TargetMissingError"},
		{name: "CloudFormation fails", endpoints: fakeEndpoints{target: errors.New("describe stacks: throttled")}, wantErr: "InternalError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := published(nil)
			s.Input = deploy.Input{Action: deploy.ActionRollback, App: "demoapp"}
			s.Stack = nil
			s.Plan = &deploy.Plan{Action: deploy.ActionRollback, Live: &deploy.Slot{Color: records.Green, StackID: "123456", Stack: "demoapp-123456"},
				Target: &deploy.Slot{Color: records.Blue, StackID: "554433", Stack: target}}
			c := &fakeChecker{verdicts: []health.Verdict{healthy}}
			_, err := run(t, c, tt.endpoints, t0, "pretraffic", s)
			if typeName(err) != tt.wantErr {
				t.Fatalf("pretraffic = %v, want %q", err, tt.wantErr)
			}
			var missing *deploy.TargetMissingError
			if errors.As(err, &missing) && (missing.StackID != "554433" || missing.Color != "blue") {
				t.Errorf("TargetMissingError = %+v, want it to name blue stack 554433", missing)
			}
			if err == nil && (len(c.specs) != 1 || c.specs[0].URL != tt.wantURL || !cmp.Equal(c.specs[0].TargetGroups, []string{"arn:tg/old"})) {
				t.Errorf("checked %+v, want %s with its target groups", c.specs, tt.wantURL)
			}
		})
	}
}

func TestMisconfiguredCheckIsAValidationError(t *testing.T) {
	c := &fakeChecker{err: &health.SpecError{Problems: []string{"url has no host"}}}
	_, err := run(t, c, nil, t0, "step", published(nil))
	var v *deploy.ValidationError
	if !errors.As(err, &v) || !cmp.Equal(v.Problems, []string{"url has no host"}) {
		t.Errorf("step = %v, want a ValidationError with the spec's problems", err)
	}
}

// countingChecker counts the checks it passes on.
type countingChecker struct {
	checker
	n int
}

func (c *countingChecker) Check(ctx context.Context, spec health.Spec) (health.Verdict, error) {
	c.n++
	return c.checker.Check(ctx, spec)
}

// A check whose address the guard refused fails at once: the retries are not spent on it.
func TestPretrafficRefusedAddressIsNotRetried(t *testing.T) {
	refused := health.Verdict{Summary: "probe 1/5 http://x/health: refused to connect to x (169.254.169.254): the instance metadata address " +
		"(AllowLinkLocal is off); not retried: the address is refused", AddressRefused: true}
	tests := []struct {
		name       string
		verdicts   []health.Verdict
		wantChecks []deploy.Checks // the checks recorded before the one that failed
	}{
		{name: "refused at the first check", verdicts: []health.Verdict{refused}},
		{name: "refused after a retried failure", verdicts: []health.Verdict{sick, refused}, wantChecks: []deploy.Checks{{Attempt: 1, Retry: true, Failed: 1, WaitSeconds: 10}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &fakeChecker{verdicts: tt.verdicts}
			s := published(nil) // retries 3
			var checks []deploy.Checks
			var err error
			for range 5 {
				var got deploy.State
				if got, err = run(t, c, nil, t0, "pretraffic", s); err != nil {
					break
				}
				checks = append(checks, *got.Checks)
				s = got
			}
			if diff := cmp.Diff(checks, tt.wantChecks); diff != "" {
				t.Errorf("checks before failing (-got +want):\n%s", diff)
			}
			var bad *deploy.HealthCheckError
			if !errors.As(err, &bad) || !strings.Contains(bad.Summary, refused.Summary) {
				t.Fatalf("pretraffic = %v, want a HealthCheckError with the refusal", err)
			}
			if len(c.specs) != len(tt.verdicts) {
				t.Errorf("%d checks, want %d", len(c.specs), len(tt.verdicts))
			}
		})
	}

	// Through the real checker: a health URL output of NAT64 of the metadata address is refused without a
	// connection, one probe, one check.
	counted := &countingChecker{checker: health.NewChecker(nil, nil)}
	s := published(func(c *deploy.Config) { c.Health.Alarms, c.Health.SkipTargetHealth = nil, true })
	s.Stack.Endpoint.HealthURL = "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/"
	h := New(counted, nil, false)
	_, err := h.Function(slog.New(slog.DiscardHandler)).Handle(context.Background(), deploy.Request{Op: "pretraffic", Execution: me, State: s})
	var bad *deploy.HealthCheckError
	if !errors.As(err, &bad) || !strings.Contains(bad.Summary, "not retried: the address is refused") ||
		!strings.Contains(bad.Summary, `"addressRefused":true`) {
		t.Fatalf("pretraffic = %v, want a HealthCheckError saying the address is refused", err)
	}
	if counted.n != 1 || strings.Count(bad.Summary, `"attempt":`) != 1 {
		t.Errorf("%d checks, summary %q; want one check of one probe", counted.n, bad.Summary)
	}
}
