package deploy_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

func ptr(n int) *int { return &n }

func TestMergeConfig(t *testing.T) {
	tests := []struct {
		name      string
		stored    string
		overrides string
		want      deploy.Config
		wantErr   string
	}{
		{name: "no overrides", stored: `{"hostedZoneId":"Z1","keepFailedStack":true}`,
			want: deploy.Config{HostedZoneID: "Z1", KeepFailedStack: true}},
		{name: "null overrides", stored: `{"hostedZoneId":"Z1"}`, overrides: `null`, want: deploy.Config{HostedZoneID: "Z1"}},
		{name: "empty overrides", stored: `{"hostedZoneId":"Z1"}`, overrides: `{}`, want: deploy.Config{HostedZoneID: "Z1"}},
		{name: "nothing stored", overrides: `{"host":"www.example.com"}`, want: deploy.Config{Host: "www.example.com"}},
		{
			name:      "objects merge key by key",
			stored:    `{"health":{"path":"/healthz","successes":2},"strategy":{"bakeSeconds":120}}`,
			overrides: `{"health":{"successes":4},"strategy":{"watchSeconds":30}}`,
			want: deploy.Config{
				Health:   deploy.HealthConfig{Path: "/healthz", Successes: 4},
				Strategy: deploy.Strategy{BakeSeconds: ptr(120), WatchSeconds: ptr(30)},
			},
		},
		{
			name:      "null deletes",
			stored:    `{"keepFailedStack":true,"health":{"path":"/healthz","alarms":["a"]},"drainSeconds":5}`,
			overrides: `{"keepFailedStack":null,"health":{"path":null},"drainSeconds":null}`,
			want:      deploy.Config{Health: deploy.HealthConfig{Alarms: []string{"a"}}},
		},
		{
			name:      "arrays replace",
			stored:    `{"strategy":{"steps":[10,30,60],"approvals":[30]},"health":{"expectedStatus":[200,204]}}`,
			overrides: `{"strategy":{"steps":[50]},"health":{"expectedStatus":[]}}`,
			want: deploy.Config{
				Strategy: deploy.Strategy{Steps: []int{50}, Approvals: []int{30}},
				Health:   deploy.HealthConfig{ExpectedStatus: []int{}},
			},
		},
		{
			name:      "a patch into an absent object drops its nulls",
			stored:    `{}`,
			overrides: `{"strategy":{"bakeSeconds":5,"watchSeconds":null}}`,
			want:      deploy.Config{Strategy: deploy.Strategy{BakeSeconds: ptr(5)}},
		},
		{
			name:      "parameters merge by name",
			stored:    `{"parameters":{"A":"1"}}`,
			overrides: `{"parameters":{"B":"2","A":null}}`,
			want:      deploy.Config{Parameters: map[string]string{"B": "2"}},
		},
		{name: "misspelt override", stored: `{}`, overrides: `{"strategy":{"bakeSecond":3}}`, wantErr: `config.strategy.bakeSecond is not a field`},
		{name: "misspelt stored field", stored: `{"hostedZone":"Z1"}`, wantErr: `stored configuration: hostedZone is not a field`},
		{name: "overrides not an object", stored: `{"hostedZoneId":"Z1"}`, overrides: `[1]`, wantErr: "config must be a JSON object"},
		{name: "overrides a string", stored: `{"hostedZoneId":"Z1"}`, overrides: `"strategy"`, wantErr: "config must be a JSON object"},
		{name: "wrong type", stored: `{"drainSeconds":"60"}`, wantErr: "drainSeconds"},
		{name: "stored not JSON", stored: `{`, wantErr: "stored configuration"},
		{name: "overrides not JSON", stored: `{}`, overrides: `{"a":`, wantErr: "config is not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := deploy.MergeConfig([]byte(tt.stored), []byte(tt.overrides))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("MergeConfig = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("MergeConfig: %v", err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("MergeConfig (-got +want):\n%s", diff)
			}
		})
	}
}

// defaults is a configuration with every default, written out.
func defaults() deploy.Config {
	return deploy.Config{
		Endpoint: deploy.EndpointConfig{Type: "alias", Output: "LoadBalancerDNSName", TTL: 60},
		Health: deploy.HealthConfig{
			URLOutput: "HealthURL", Scheme: "http", Path: "/", ExpectedStatus: []int{200},
			LatencyBudgetMillis: 2000, TimeoutMillis: 5000, Successes: 3, Attempts: 5, IntervalMillis: 1000,
			RetrySeconds: ptr(10), Retries: ptr(3),
		},
		Strategy: deploy.Strategy{
			Steps: []int{10, 30, 60}, BakeSeconds: ptr(60), ApprovalTimeoutSeconds: 86400, WatchSeconds: ptr(300),
			WatchIntervalSeconds: ptr(60), StackTimeoutSeconds: 1800, PollSeconds: ptr(5),
		},
		DrainSeconds: ptr(60),
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name   string
		stored string
		want   func(*deploy.Config)
	}{
		{name: "every default", stored: `{}`, want: func(*deploy.Config) {}},
		{name: "null steps are the default steps", stored: `{"strategy":{"steps":null}}`, want: func(*deploy.Config) {}},
		{name: "no steps", stored: `{"strategy":{"steps":[]}}`, want: func(c *deploy.Config) { c.Strategy.Steps = []int{} }},
		{
			name:   "explicit zeros survive",
			stored: `{"drainSeconds":0,"health":{"retrySeconds":0,"retries":0},"strategy":{"bakeSeconds":0,"watchSeconds":0,"watchIntervalSeconds":0,"pollSeconds":0}}`,
			want: func(c *deploy.Config) {
				c.DrainSeconds, c.Health.RetrySeconds, c.Health.Retries = ptr(0), ptr(0), ptr(0)
				s := &c.Strategy
				s.BakeSeconds, s.WatchSeconds, s.WatchIntervalSeconds, s.PollSeconds = ptr(0), ptr(0), ptr(0), ptr(0)
			},
		},
		{
			name:   "set values are kept",
			stored: `{"endpoint":{"type":"cname","ttl":30},"health":{"path":"/healthz","expectedStatus":[204]},"strategy":{"steps":[50],"stackTimeoutSeconds":600}}`,
			want: func(c *deploy.Config) {
				c.Endpoint.Type, c.Endpoint.TTL = "cname", 30
				c.Health.Path, c.Health.ExpectedStatus = "/healthz", []int{204}
				c.Strategy.Steps, c.Strategy.StackTimeoutSeconds = []int{50}, 600
			},
		},
		{name: "the drain default covers a longer CNAME TTL", stored: `{"endpoint":{"type":"cname","ttl":300}}`,
			want: func(c *deploy.Config) { c.Endpoint.Type, c.Endpoint.TTL, c.DrainSeconds = "cname", 300, ptr(300) }},
		{name: "an alias TTL does not touch the drain", stored: `{"endpoint":{"ttl":300}}`,
			want: func(c *deploy.Config) { c.Endpoint.TTL = 300 }},
		{name: "attempts default to at least the successes", stored: `{"health":{"successes":7}}`,
			want: func(c *deploy.Config) { c.Health.Successes, c.Health.Attempts = 7, 7 }},
		{name: "empty expected statuses are 200", stored: `{"health":{"expectedStatus":[]}}`, want: func(*deploy.Config) {}},
		{name: "health.traffic present turns the split verification on, with its defaults", stored: `{"health":{"traffic":{}}}`,
			want: func(c *deploy.Config) {
				tol := 0.5
				c.Health.Traffic = &deploy.TrafficConfig{MinRequests: 100, Tolerance: &tol, MaxExtensions: ptr(3), LagSeconds: ptr(120),
					PeriodSeconds: 60, OnInconclusive: "fail"}
			}},
		{name: "health.traffic's explicit zeros survive", stored: `{"health":{"traffic":{"tolerance":0,"maxExtensions":0,"lagSeconds":0,"periodSeconds":1,"onInconclusive":"pass"}}}`,
			want: func(c *deploy.Config) {
				tol := 0.0
				c.Health.Traffic = &deploy.TrafficConfig{MinRequests: 100, Tolerance: &tol, MaxExtensions: ptr(0), LagSeconds: ptr(0),
					PeriodSeconds: 1, OnInconclusive: "pass"}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := deploy.MergeConfig([]byte(tt.stored), nil)
			if err != nil {
				t.Fatal(err)
			}
			got.Resolve()
			want := defaults()
			tt.want(&want)
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("Resolve (-got +want):\n%s", diff)
			}
			again := got
			again.Resolve()
			if diff := cmp.Diff(again, got); diff != "" {
				t.Errorf("Resolve is not idempotent (-second +first):\n%s", diff)
			}
		})
	}
}

// validConfig is a resolved configuration of app demoapp that passes Validate.
func validConfig() deploy.Config {
	c := deploy.Config{
		HostedZoneID:   "Z0EXAMPLE12345",
		Zone:           "example.com",
		Template:       deploy.Template{URL: "https://bluegreen-templates.s3.amazonaws.com/demoapp.yaml"},
		Parameters:     map[string]string{"InstanceType": "t4g.small"},
		ServiceRoleARN: "arn:aws:iam::123456789012:role/demoapp-cloudformation",
	}
	c.Resolve()
	return c
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*deploy.Config)
		want   []string // one substring per expected problem
	}{
		{name: "valid", change: func(*deploy.Config) {}},
		{name: "zone not known yet", change: func(c *deploy.Config) { c.Zone, c.Host = "", "anything" }},
		{name: "prefixed hosted zone id", change: func(c *deploy.Config) { c.HostedZoneID = "/hostedzone/Z0EXAMPLE12345" }},
		{name: "apex alias", change: func(c *deploy.Config) { c.Host = "example.com" }},
		{name: "no service role, explicitly", change: func(c *deploy.Config) { c.ServiceRoleARN, c.NoServiceRole = "", true }},
		{name: "template body", change: func(c *deploy.Config) { c.Template = deploy.Template{Body: "Resources: {}"} }},
		{name: "no steps", change: func(c *deploy.Config) { c.Strategy.Steps = []int{} }},
		{name: "cname drained for its TTL", change: func(c *deploy.Config) { c.Endpoint.Type, c.Endpoint.TTL, c.DrainSeconds = "cname", 120, ptr(120) }},
		{name: "hosted zone id", change: func(c *deploy.Config) { c.HostedZoneID = "z-lower" }, want: []string{`hostedZoneId "z-lower"`}},
		{name: "no hosted zone id", change: func(c *deploy.Config) { c.HostedZoneID = "" }, want: []string{`hostedZoneId ""`}},
		{name: "host outside the zone", change: func(c *deploy.Config) { c.Host = "demoapp.example.org" }, want: []string{"not in zone"}},
		{name: "host shaped like an endpoint", change: func(c *deploy.Config) { c.Host = "shop-123456.example.com" }, want: []string{"per-stack endpoint"}},
		{name: "apex cname", change: func(c *deploy.Config) { c.Host, c.Endpoint.Type, c.DrainSeconds = "example.com", "cname", ptr(60) }, want: []string{"zone apex"}},
		{name: "no template", change: func(c *deploy.Config) { c.Template = deploy.Template{} }, want: []string{"exactly one of url and body"}},
		{name: "two templates", change: func(c *deploy.Config) { c.Template.Body = "Resources: {}" }, want: []string{"exactly one of url and body"}},
		{name: "http template", change: func(c *deploy.Config) { c.Template.URL = "http://bucket/t.yaml" }, want: []string{"https URL"}},
		{name: "huge body", change: func(c *deploy.Config) { c.Template = deploy.Template{Body: strings.Repeat("#", 51201)} }, want: []string{"51201 bytes"}},
		{name: "parameter name", change: func(c *deploy.Config) { c.Parameters["Instance-Type"] = "x" }, want: []string{`parameter name "Instance-Type"`}},
		{name: "reserved parameters", change: func(c *deploy.Config) { c.Parameters["Version"], c.Parameters["StackId"] = "1", "2" },
			want: []string{"parameter Version is set by the deployer", "parameter StackId is set by the deployer"}},
		{name: "no service role", change: func(c *deploy.Config) { c.ServiceRoleARN = "" }, want: []string{"serviceRoleArn is required"}},
		{name: "bad service role", change: func(c *deploy.Config) { c.ServiceRoleARN = "arn:aws:iam::123:user/x" }, want: []string{"not an IAM role ARN"}},
		{name: "role and no role", change: func(c *deploy.Config) { c.NoServiceRole = true }, want: []string{"exclusive"}},
		{name: "endpoint type", change: func(c *deploy.Config) { c.Endpoint.Type = "weighted" }, want: []string{`endpoint type "weighted"`}},
		{name: "endpoint output", change: func(c *deploy.Config) { c.Endpoint.Output = "LB-DNS" }, want: []string{`endpoint output "LB-DNS"`}},
		{name: "endpoint ttl", change: func(c *deploy.Config) { c.Endpoint.TTL = 86401 }, want: []string{"endpoint ttl 86401"}},
		{name: "health url output", change: func(c *deploy.Config) { c.Health.URLOutput = "health url" }, want: []string{"health urlOutput"}},
		{name: "health scheme", change: func(c *deploy.Config) { c.Health.Scheme = "ftp" }, want: []string{`health scheme "ftp"`}},
		{name: "relative health path", change: func(c *deploy.Config) { c.Health.Path = "healthz" }, want: []string{`health path "healthz"`}},
		{name: "health path fragment", change: func(c *deploy.Config) { c.Health.Path = "/h#x" }, want: []string{`health path "/h#x"`}},
		{name: "expected status", change: func(c *deploy.Config) { c.Health.ExpectedStatus = []int{200, 99, 600} },
			want: []string{"expectedStatus 99", "expectedStatus 600"}},
		{name: "body match", change: func(c *deploy.Config) { c.Health.BodyContains = strings.Repeat("x", 1025) }, want: []string{"bodyContains"}},
		{name: "latency budget", change: func(c *deploy.Config) { c.Health.LatencyBudgetMillis = -1 }, want: []string{"latencyBudgetMillis -1"}},
		{name: "probe timeout", change: func(c *deploy.Config) { c.Health.TimeoutMillis = 60001 }, want: []string{"timeoutMillis 60001"}},
		{name: "successes", change: func(c *deploy.Config) { c.Health.Successes = 101; c.Health.Attempts = 101 },
			want: []string{"successes 101", "attempts 101 must be 101-100"}},
		{name: "attempts below successes", change: func(c *deploy.Config) { c.Health.Attempts = 2 }, want: []string{"attempts 2 must be 3-100"}},
		{name: "probe interval", change: func(c *deploy.Config) { c.Health.IntervalMillis = -5 }, want: []string{"intervalMillis -5"}},
		{name: "retry seconds", change: func(c *deploy.Config) { c.Health.RetrySeconds = ptr(3601) }, want: []string{"retrySeconds 3601"}},
		{name: "retries", change: func(c *deploy.Config) { c.Health.Retries = ptr(-1) }, want: []string{"retries -1"}},
		{name: "too many alarms", change: func(c *deploy.Config) { c.Health.Alarms = make([]string, 101); fill(c.Health.Alarms, "a") },
			want: []string{"at most 100"}},
		{name: "alarm name", change: func(c *deploy.Config) { c.Health.Alarms = []string{"ok", ""} }, want: []string{`alarm name ""`}},
		{name: "step 0 and 100", change: func(c *deploy.Config) { c.Strategy.Steps = []int{0, 100} },
			want: []string{"step 0% must be 1-99", "step 100% must be 1-99"}},
		{name: "steps decrease", change: func(c *deploy.Config) { c.Strategy.Steps = []int{10, 50, 50, 20} },
			want: []string{"50 after 50", "20 after 50"}},
		{name: "too many steps", change: func(c *deploy.Config) { c.Strategy.Steps = seq(1, 21) }, want: []string{"at most 20 steps"}},
		{name: "approval not a step", change: func(c *deploy.Config) { c.Strategy.Approvals = []int{30, 40} }, want: []string{"approval 40%"}},
		{name: "bake", change: func(c *deploy.Config) { c.Strategy.BakeSeconds = ptr(-1) }, want: []string{"bakeSeconds -1"}},
		{name: "approval timeout", change: func(c *deploy.Config) { c.Strategy.ApprovalTimeoutSeconds = 7*86400 + 1 }, want: []string{"approvalTimeoutSeconds"}},
		{name: "watch", change: func(c *deploy.Config) {
			c.Strategy.WatchSeconds, c.Strategy.WatchIntervalSeconds = ptr(86401), ptr(3600)
		}, want: []string{"watchSeconds 86401"}},
		{name: "watch checks", change: func(c *deploy.Config) { c.Strategy.WatchSeconds, c.Strategy.WatchIntervalSeconds = ptr(3600), ptr(1) }, want: []string{"3600 checks: at most 500"}},
		{name: "watch without interval", change: func(c *deploy.Config) { c.Strategy.WatchSeconds, c.Strategy.WatchIntervalSeconds = ptr(60), ptr(0) }, want: []string{"watchIntervalSeconds must be at least 1"}},
		{name: "watch interval", change: func(c *deploy.Config) { c.Strategy.WatchIntervalSeconds = ptr(3601) }, want: []string{"watchIntervalSeconds 3601"}},
		{name: "stack timeout", change: func(c *deploy.Config) { c.Strategy.StackTimeoutSeconds = 59 }, want: []string{"stackTimeoutSeconds 59"}},
		{name: "poll", change: func(c *deploy.Config) { c.Strategy.PollSeconds = ptr(61) }, want: []string{"pollSeconds 61"}},
		{name: "drain", change: func(c *deploy.Config) { c.DrainSeconds = ptr(86401) }, want: []string{"drainSeconds 86401 must be 0-86400"}},
		{name: "drain below the CNAME TTL", change: func(c *deploy.Config) { c.Endpoint.Type, c.Endpoint.TTL, c.DrainSeconds = "cname", 300, ptr(60) },
			want: []string{"less than the CNAME TTL 300"}},
		{name: "too many parameters", change: func(c *deploy.Config) {
			for i := range deploy.MaxParameters {
				c.Parameters[fmt.Sprintf("P%03d", i)] = "x"
			}
		}, want: []string{"parameters: 197, at most 196"}},
		{name: "parameter value", change: func(c *deploy.Config) { c.Parameters["Big"] = strings.Repeat("x", 4097) }, want: []string{"parameter Big is 4097 bytes"}},
		{name: "template url length", change: func(c *deploy.Config) { c.Template.URL += "?" + strings.Repeat("k", 5120) }, want: []string{"template url is 5178 characters"}},
		{name: "too many statuses", change: func(c *deploy.Config) { c.Health.ExpectedStatus = seq(200, 220) }, want: []string{"expectedStatus: 21 statuses, at most 20"}},
		{name: "long health path", change: func(c *deploy.Config) { c.Health.Path = "/" + strings.Repeat("p", 2048) }, want: []string{"health path is 2049 characters"}},
		{name: "approval twice", change: func(c *deploy.Config) { c.Strategy.Approvals = []int{30, 60, 30} }, want: []string{"approval 30% is given twice"}},
		{name: "override allowed twice", change: func(c *deploy.Config) { c.AllowOverrides = []string{"host", "template", "host"} }, want: []string{"allowOverrides: host is given twice"}},
		{name: "configuration too large", change: func(c *deploy.Config) {
			for i := range 9 {
				c.Parameters[fmt.Sprintf("P%d", i)] = strings.Repeat("x", 4000)
			}
		}, want: []string{"the configuration is 36786 bytes of JSON (its template body aside), more than 32768"}},
		{name: "traffic with the AWS defaults and a bake of ttl + period + lag", change: traffic(nil)},
		{name: "traffic, high resolution, local", change: func(c *deploy.Config) {
			traffic(func(t *deploy.TrafficConfig) { t.PeriodSeconds, t.LagSeconds = 1, ptr(0) })(c)
			c.Endpoint.TTL, c.Strategy.BakeSeconds = 1, ptr(2)
		}},
		{name: "traffic periods CloudWatch takes", change: traffic(func(t *deploy.TrafficConfig) { t.PeriodSeconds = 20 })},
		{name: "traffic bake too short", change: func(c *deploy.Config) {
			traffic(nil)(c)
			c.Strategy.BakeSeconds = ptr(60)
		}, want: []string{"strategy bakeSeconds 60 is too short for health traffic: it must be at least 240, the endpoint ttl 60 (clients see the new weights) + one periodSeconds 60 (the window) + lagSeconds 120"}},
		{name: "traffic period", change: traffic(func(t *deploy.TrafficConfig) { t.PeriodSeconds = 15 }),
			want: []string{"periodSeconds 15 must be 1, 5, 10, 20, 30 (high-resolution metrics) or a multiple of 60"}},
		{name: "traffic period not a minute multiple", change: traffic(func(t *deploy.TrafficConfig) { t.PeriodSeconds = 90 }),
			want: []string{"periodSeconds 90 must be"}},
		{name: "traffic period too long", change: traffic(func(t *deploy.TrafficConfig) { t.PeriodSeconds = 7200 }),
			want: []string{"periodSeconds 7200 must be 1, 5, 10, 20, 30 or a multiple of 60 up to 3600"}},
		{name: "traffic values", change: traffic(func(t *deploy.TrafficConfig) {
			tol := 1.5
			t.MinRequests, t.Tolerance, t.MaxExtensions, t.LagSeconds, t.OnInconclusive = -1, &tol, ptr(11), ptr(901), "ignore"
		}), want: []string{"minRequests -1 must be 1-1000000000", "tolerance 1.5 must be 0-1", "maxExtensions 11 must be 0-10",
			"lagSeconds 901 must be 0-900", `onInconclusive "ignore" must be fail or pass`}},
		{name: "traffic high resolution beyond its retention", change: func(c *deploy.Config) {
			traffic(func(t *deploy.TrafficConfig) { t.PeriodSeconds = 30 })(c)
			c.Strategy.BakeSeconds = ptr(4 * 3600)
		}, want: []string{"periodSeconds 30 keeps data for 10800 s only"}},
		{name: "a large body is not counted", change: func(c *deploy.Config) { c.Template = deploy.Template{Body: strings.Repeat("#", 51200)} }},
		{
			name: "several problems at once",
			change: func(c *deploy.Config) {
				c.HostedZoneID, c.Template, c.ServiceRoleARN = "", deploy.Template{}, ""
				c.Health.Scheme, c.Strategy.Steps, c.DrainSeconds = "gopher", []int{60, 30}, ptr(-1)
			},
			want: []string{"hostedZoneId", "template", "serviceRoleArn", "health scheme", "30 after 60", "drainSeconds -1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.change(&c)
			got := problemsOf(t, c.Validate("demoapp"))
			checkProblems(t, got, tt.want)
		})
	}
}

// traffic turns health.traffic on with its defaults (then change), and bakes ttl + period + lag.
func traffic(change func(*deploy.TrafficConfig)) func(*deploy.Config) {
	return func(c *deploy.Config) {
		c.Health.Traffic = &deploy.TrafficConfig{}
		if change != nil {
			change(c.Health.Traffic)
		}
		c.Resolve()
		c.Strategy.BakeSeconds = ptr(int(c.Endpoint.TTL) + c.Health.Traffic.PeriodSeconds + *c.Health.Traffic.LagSeconds)
	}
}

func fill(s []string, v string) {
	for i := range s {
		s[i] = v
	}
}

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

// health.traffic is a health setting like the alarms and the bake: not protected, an execution's config may turn it
// on, tune it or turn it off (null), and the result is validated as a stored one is.
func TestTrafficMayBeOverridden(t *testing.T) {
	stored := []byte(`{"hostedZoneId":"Z0EXAMPLE12345","template":{"url":"https://b.s3.amazonaws.com/t.yaml"},"noServiceRole":true,
		"strategy":{"bakeSeconds":240},"health":{"traffic":{"minRequests":500}}}`)
	for _, tt := range []struct {
		override string
		want     *int // minRequests; nil: off
		problem  string
	}{
		{override: `{}`, want: ptr(500)},
		{override: `{"health":{"traffic":{"minRequests":20}}}`, want: ptr(20)},
		{override: `{"health":{"traffic":null}}`},
		{override: `{"health":{"traffic":{"periodSeconds":1,"lagSeconds":0}},"endpoint":{"ttl":1},"strategy":{"bakeSeconds":2}}`, want: ptr(500)},
		{override: `{"strategy":{"bakeSeconds":30}}`, problem: "strategy bakeSeconds 30 is too short for health traffic: it must be at least 240"},
		{override: `{"health":{"traffic":{"minRequest":20}}}`, problem: "minRequest"},
	} {
		c, err := deploy.ResolveConfig("demoapp", stored, json.RawMessage(tt.override))
		switch {
		case tt.problem != "":
			if err == nil || !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("override %s: %v, want a problem saying %q", tt.override, err, tt.problem)
			}
		case err != nil:
			t.Errorf("override %s: %v", tt.override, err)
		case tt.want == nil && c.Health.Traffic != nil, tt.want != nil && (c.Health.Traffic == nil || c.Health.Traffic.MinRequests != *tt.want):
			t.Errorf("override %s: traffic %+v, want minRequests %v", tt.override, c.Health.Traffic, tt.want)
		}
	}
}
