package healthcheck

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/health"
)

// The name the probes present: by default the app's host for https to the load balancer, nothing for plain http (as
// before) or a health URL output (its own host); health.serverName chooses it otherwise.
func TestServerName(t *testing.T) {
	const pem = "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n"
	tests := []struct {
		name       string
		scheme     string
		serverName string
		rootCAs    string
		healthURL  string
		want       string
	}{
		{name: "https: the app's host", scheme: "https", want: "demoapp.example.com"},
		{name: "https: host", scheme: "https", serverName: "host", want: "demoapp.example.com"},
		{name: "https: the stack's endpoint name", scheme: "https", serverName: "stack", want: "demoapp-123456.example.com"},
		{name: "https: a literal name", scheme: "https", serverName: "www.example.org", want: "www.example.org"},
		{name: "https with private roots", scheme: "https", rootCAs: pem, want: "demoapp.example.com"},
		{name: "http: the load balancer's name, as before", scheme: "http", want: ""},
		{name: "http: asked for the host (an http-to-https redirect follows it)", scheme: "http", serverName: "host", want: "demoapp.example.com"},
		{name: "a health URL output keeps its own host", scheme: "https", healthURL: "https://health.example.org/x", want: ""},
		{name: "a health URL output with a server name", scheme: "https", healthURL: "https://10.0.0.5/x", serverName: "stack",
			want: "demoapp-123456.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &fakeChecker{verdicts: []health.Verdict{healthy}}
			s := published(func(c *deploy.Config) {
				c.Health.Scheme, c.Health.ServerName, c.Health.RootCAs = tt.scheme, tt.serverName, tt.rootCAs
			})
			s.Stack.Endpoint.HealthURL = tt.healthURL
			if _, err := run(t, c, nil, t0, "pretraffic", s); err != nil {
				t.Fatal(err)
			}
			if got := c.specs[0].ServerName; got != tt.want {
				t.Errorf("server name %q, want %q", got, tt.want)
			}
			if got := c.specs[0].RootCAs; got != tt.rootCAs {
				t.Errorf("root CAs %q, want %q", got, tt.rootCAs)
			}
		})
	}
}

// A pre-traffic check that waits for initial targets is tried again without counting against health.retries, and
// keeps the deadline its first wait derived; after the traffic, initial targets are not waited for.
func TestPretrafficWaitsForInitialTargets(t *testing.T) {
	until := t0.Add(95 * time.Second)
	waiting := health.Verdict{Summary: "waiting until ... for 2 targets that ELB reports initial",
		Wait: &health.TargetWait{Until: until.Format(time.RFC3339), Targets: 2}}
	tests := []struct {
		name        string
		retrySecs   int
		now         time.Duration // after t0, for the first check
		verdicts    []health.Verdict
		wantChecks  []deploy.Checks
		wantErr     string
		wantUntil   []string // each check's spec.InitialUntil, RFC 3339 ("" for zero)
		wantHealthy bool
	}{
		{name: "waits, without retries, until healthy", retrySecs: 10, verdicts: []health.Verdict{waiting, waiting, healthy},
			wantChecks: []deploy.Checks{
				{Attempt: 1, Retry: true, WaitSeconds: 10, InitialUntil: until.Format(time.RFC3339)},
				{Attempt: 2, Retry: true, WaitSeconds: 10, InitialUntil: until.Format(time.RFC3339)},
				{Attempt: 3, InitialUntil: until.Format(time.RFC3339)},
			},
			wantUntil:   []string{"", until.Format(time.RFC3339), until.Format(time.RFC3339)},
			wantHealthy: true},
		{name: "the wait is at most the time left", retrySecs: 60, now: 90*time.Second + 500*time.Millisecond,
			verdicts:   []health.Verdict{waiting, healthy},
			wantChecks: []deploy.Checks{{Attempt: 1, Retry: true, WaitSeconds: 5, InitialUntil: until.Format(time.RFC3339)}, {Attempt: 2, InitialUntil: until.Format(time.RFC3339)}},
			wantUntil:  []string{"", until.Format(time.RFC3339)}, wantHealthy: true},
		{name: "and at least a second (retrySeconds 0 would spin)", retrySecs: 0, verdicts: []health.Verdict{waiting, healthy},
			wantChecks: []deploy.Checks{{Attempt: 1, Retry: true, WaitSeconds: 1, InitialUntil: until.Format(time.RFC3339)}, {Attempt: 2, InitialUntil: until.Format(time.RFC3339)}},
			wantUntil:  []string{"", until.Format(time.RFC3339)}, wantHealthy: true},
		{name: "a failure after the wait counts", retrySecs: 10, verdicts: []health.Verdict{waiting, sick},
			wantChecks: []deploy.Checks{{Attempt: 1, Retry: true, WaitSeconds: 10, InitialUntil: until.Format(time.RFC3339)}},
			wantUntil:  []string{"", until.Format(time.RFC3339)}, wantErr: "HealthCheckError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &fakeChecker{verdicts: tt.verdicts}
			s := published(func(c *deploy.Config) { c.Health.Retries, c.Health.RetrySeconds = new(int), &tt.retrySecs })
			var checks []deploy.Checks
			var err error
			for range tt.verdicts {
				var got deploy.State
				if got, err = run(t, c, nil, t0.Add(tt.now), "pretraffic", s); err != nil {
					break
				}
				checks = append(checks, *got.Checks)
				s = got
			}
			if typeName(err) != tt.wantErr {
				t.Fatalf("pretraffic = %v, want %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(checks, tt.wantChecks); diff != "" {
				t.Errorf("checks (-got +want):\n%s", diff)
			}
			var untils []string
			for _, spec := range c.specs {
				if !spec.WaitForInitial {
					t.Errorf("a pre-traffic spec without WaitForInitial")
				}
				u := ""
				if !spec.InitialUntil.IsZero() {
					u = spec.InitialUntil.UTC().Format(time.RFC3339)
				}
				untils = append(untils, u)
			}
			if diff := cmp.Diff(untils, tt.wantUntil); diff != "" {
				t.Errorf("InitialUntil per check (-got +want):\n%s", diff)
			}
			if tt.wantHealthy && (s.Verdict == nil || !s.Verdict.Healthy) {
				t.Errorf("verdict %+v, want the healthy one", s.Verdict)
			}
		})
	}

	for _, op := range []string{"step", "watch"} {
		c := &fakeChecker{verdicts: []health.Verdict{waiting}}
		if _, err := run(t, c, nil, t0, op, published(nil)); typeName(err) != "HealthCheckError" {
			t.Errorf("%s with a waiting verdict = %v, want a HealthCheckError", op, err)
		}
		if c.specs[0].WaitForInitial {
			t.Errorf("%s waits for initial targets; only the pre-traffic check does", op)
		}
	}
}

// A state written by the previous version (checks without failed) counts every check made as failed.
func TestPretrafficCountsChecksOfEarlierVersions(t *testing.T) {
	c := &fakeChecker{verdicts: []health.Verdict{sick}}
	s := published(func(c *deploy.Config) { two := 2; c.Health.Retries = &two })
	s.Checks = &deploy.Checks{Attempt: 2, Retry: true} // two failed checks, as the previous version recorded them
	if _, err := run(t, c, nil, t0, "pretraffic", s); typeName(err) != "HealthCheckError" {
		t.Errorf("third failed check = %v, want a HealthCheckError (retries 2 used up)", err)
	}
	s.Checks = &deploy.Checks{Attempt: 1, Retry: true}
	got, err := run(t, c, nil, t0, "pretraffic", s)
	if err != nil || !cmp.Equal(got.Checks, &deploy.Checks{Attempt: 2, Retry: true, Failed: 2, WaitSeconds: 10}) {
		t.Errorf("second failed check = %+v, %v; want a retry with 2 failures", got.Checks, err)
	}
}
