package health

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
)

func TestInitialAllowance(t *testing.T) {
	tests := []struct {
		name string
		tg   elbtypes.TargetGroup
		want time.Duration
	}{
		{name: "ALB, HTTP defaults", want: 30*time.Second + 5*time.Second + ALBRegistration,
			tg: elbtypes.TargetGroup{Protocol: elbtypes.ProtocolEnumHttp, HealthCheckIntervalSeconds: aws.Int32(30),
				HealthCheckTimeoutSeconds: aws.Int32(5), HealthyThresholdCount: aws.Int32(5)}},
		{name: "ALB, HTTPS, fast checks", want: 5*time.Second + 2*time.Second + ALBRegistration,
			tg: elbtypes.TargetGroup{Protocol: elbtypes.ProtocolEnumHttps, HealthCheckIntervalSeconds: aws.Int32(5),
				HealthCheckTimeoutSeconds: aws.Int32(2)}},
		{name: "Lambda targets have no protocol: an ALB's", want: 35*time.Second + 30*time.Second + ALBRegistration,
			tg: elbtypes.TargetGroup{TargetType: elbtypes.TargetTypeEnumLambda, HealthCheckIntervalSeconds: aws.Int32(35),
				HealthCheckTimeoutSeconds: aws.Int32(30)}},
		{name: "NLB, TCP: registration takes minutes", want: 30*time.Second + 10*time.Second + NLBRegistration,
			tg: elbtypes.TargetGroup{Protocol: elbtypes.ProtocolEnumTcp, HealthCheckIntervalSeconds: aws.Int32(30),
				HealthCheckTimeoutSeconds: aws.Int32(10)}},
		{name: "GWLB, GENEVE", want: 10*time.Second + 5*time.Second + NLBRegistration,
			tg: elbtypes.TargetGroup{Protocol: elbtypes.ProtocolEnumGeneve, HealthCheckIntervalSeconds: aws.Int32(10),
				HealthCheckTimeoutSeconds: aws.Int32(5)}},
		{name: "no settings: ELB's longest defaults", want: 40*time.Second + ALBRegistration,
			tg: elbtypes.TargetGroup{Protocol: elbtypes.ProtocolEnumHttp}},
		{name: "the healthy threshold does not count: one check puts a new target in service",
			want: 300*time.Second + 120*time.Second + ALBRegistration,
			tg: elbtypes.TargetGroup{Protocol: elbtypes.ProtocolEnumHttp, HealthCheckIntervalSeconds: aws.Int32(300),
				HealthCheckTimeoutSeconds: aws.Int32(120), HealthyThresholdCount: aws.Int32(10)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := InitialAllowance(tt.tg)
			if got != tt.want {
				t.Errorf("InitialAllowance = %v (%s), want %v", got, why, tt.want)
			}
		})
	}
}

func TestWaitForInitialTargets(t *testing.T) {
	const (
		healthy   = elbtypes.TargetHealthStateEnumHealthy
		unhealthy = elbtypes.TargetHealthStateEnumUnhealthy
		initial   = elbtypes.TargetHealthStateEnumInitial
	)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	checking := target("10.0.1.7", 80, initial, elbtypes.TargetHealthReasonEnumInitialHealthChecking,
		"Initial health checks in progress")
	groups := map[string][]elbtypes.TargetHealthDescription{
		tgWeb: {checking, target("10.0.2.7", 80, initial, elbtypes.TargetHealthReasonEnumRegistrationInProgress,
			"Target registration is in progress")},
		tgAPI:          {target("10.0.1.9", 443, initial, elbtypes.TargetHealthReasonEnumInitialHealthChecking, "")},
		tgWeb + "-bad": {target("i-2", 80, unhealthy, elbtypes.TargetHealthReasonEnumTimeout, "")},
		tgWeb + "-mix": {target("i-1", 80, healthy, "", ""), checking},
	}
	settings := map[string]elbtypes.TargetGroup{
		tgAPI: {Protocol: elbtypes.ProtocolEnumTcp, HealthCheckIntervalSeconds: aws.Int32(10), HealthCheckTimeoutSeconds: aws.Int32(10)},
	}
	const web = "target group targetgroup/web/0123456789abcdef: "
	tests := []struct {
		name         string
		groups       []string
		noWait       bool
		until        time.Time
		groupsFail   error
		wantWait     *TargetWait
		wantNotes    []string
		wantFailures []string
		wantReads    int // DescribeTargetGroups calls
	}{
		{
			name: "the first check derives the wait from the group's settings", groups: []string{tgWeb},
			wantWait: &TargetWait{Until: "2026-12-01T10:01:35Z", Targets: 2}, wantReads: 1,
			wantNotes: []string{web + "waiting until 2026-12-01T10:01:35Z for 2 of 2 targets that ELB reports initial; " +
				"10.0.1.7:80 is initial (Elb.InitialHealthChecking: Initial health checks in progress); allowed 1m35s: " +
				"one health check (interval 30s + timeout 5s) after registration (1m0s for an application load balancer)"},
		},
		{
			name: "the longest allowance of the groups waited for", groups: []string{tgWeb, tgAPI},
			wantWait: &TargetWait{Until: "2026-12-01T10:05:20Z", Targets: 3}, wantReads: 1,
			wantNotes: []string{
				web + "waiting until 2026-12-01T10:05:20Z for 2 of 2 targets that ELB reports initial; 10.0.1.7:80 is " +
					"initial (Elb.InitialHealthChecking: Initial health checks in progress); allowed 1m35s: one health " +
					"check (interval 30s + timeout 5s) after registration (1m0s for an application load balancer)",
				"target group targetgroup/api/fedcba9876543210: waiting until 2026-12-01T10:05:20Z for 1 of 1 targets " +
					"that ELB reports initial; 10.0.1.9:443 is initial (Elb.InitialHealthChecking); allowed 5m20s: one " +
					"health check (interval 10s + timeout 10s) after registration (5m0s for a network or gateway load balancer)",
			},
		},
		{
			name: "a later check keeps the deadline it is given", groups: []string{tgWeb + "-mix"},
			until:    t0.Add(10 * time.Second),
			wantWait: &TargetWait{Until: "2026-12-01T10:00:10Z", Targets: 1},
			wantNotes: []string{"target group targetgroup/web/0123456789abcdef-mix: waiting until 2026-12-01T10:00:10Z " +
				"for 1 of 2 targets that ELB reports initial; 10.0.1.7:80 is initial (Elb.InitialHealthChecking: " +
				"Initial health checks in progress)"},
		},
		{
			name: "past the deadline, initial targets fail", groups: []string{tgWeb}, until: t0,
			wantFailures: []string{web + "2 of 2 targets not healthy; 10.0.1.7:80 is initial (Elb.InitialHealthChecking: " +
				"Initial health checks in progress); the wait for initial targets ended at 2026-12-01T10:00:00Z"},
		},
		{
			name: "without the wait (after traffic), initial targets fail as before", groups: []string{tgWeb}, noWait: true,
			wantFailures: []string{web + "2 of 2 targets not healthy; 10.0.1.7:80 is initial (Elb.InitialHealthChecking: " +
				"Initial health checks in progress)"},
		},
		{
			name: "a failing target elsewhere fails the check: no wait", groups: []string{tgWeb + "-bad", tgAPI},
			wantFailures: []string{
				"target group targetgroup/web/0123456789abcdef-bad: 1 of 1 targets not healthy; i-2:80 is unhealthy (Target.Timeout)",
				"target group targetgroup/api/fedcba9876543210: 1 of 1 targets not healthy; 10.0.1.9:443 is initial (Elb.InitialHealthChecking)",
			},
		},
		{
			name: "settings that cannot be read fail the initial targets", groups: []string{tgWeb},
			groupsFail: &elbtypes.TargetGroupNotFoundException{Message: aws.String("One or more target groups not found")},
			wantReads:  1,
			wantFailures: []string{web + "2 of 2 targets initial, and the wait for them cannot be derived: " +
				"DescribeTargetGroups: TargetGroupNotFound: One or more target groups not found"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			elb := &fakeELB{groups: groups, settings: settings, groupsFail: tt.groupsFail}
			c := NewChecker(elb, nil, WithClock(newFakeClock(t0)))

			got := c.checkTargets(context.Background(), Spec{TargetGroups: tt.groups, WaitForInitial: !tt.noWait,
				InitialUntil: tt.until})

			if diff := cmp.Diff(got.wait, tt.wantWait); diff != "" {
				t.Errorf("wait (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(got.notes, tt.wantNotes); diff != "" {
				t.Errorf("notes (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(got.failures, tt.wantFailures); diff != "" {
				t.Errorf("failures (-got +want):\n%s", diff)
			}
			if elb.groupsCalls != tt.wantReads {
				t.Errorf("DescribeTargetGroups calls = %d, want %d", elb.groupsCalls, tt.wantReads)
			}
		})
	}
}

// A verdict that waits is neither healthy nor a plain failure: its summary says what it waits for, and what failed
// meanwhile (the load balancer cannot serve before its targets pass their first check).
func TestCheckWaitsForInitialTargets(t *testing.T) {
	srv, _ := scriptServer(t, nil, reply{status: 503})
	elb := &fakeELB{groups: map[string][]elbtypes.TargetHealthDescription{
		tgWeb: {target("10.0.1.7", 80, elbtypes.TargetHealthStateEnumInitial, elbtypes.TargetHealthReasonEnumRegistrationInProgress, "")},
	}}
	spec := baseSpec(srv.URL)
	spec.Successes, spec.Attempts, spec.TargetGroups, spec.WaitForInitial = 1, 1, []string{tgWeb}, true
	c := NewChecker(elb, nil, WithClock(newFakeClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))))

	v, err := c.Check(context.Background(), spec)

	if err != nil {
		t.Fatal(err)
	}
	if v.Healthy || v.Wait == nil || v.Wait.Until != "2026-12-01T10:01:35Z" {
		t.Fatalf("healthy %v, wait %+v; want a wait until 10:01:35", v.Healthy, v.Wait)
	}
	want := "waiting until 2026-12-01T10:01:35Z for 1 target that ELB reports initial; meanwhile probe 1/1 " + srv.URL +
		": status 503, want 200 (1 in a row needed, 0 attempts left)"
	if v.Summary != want {
		t.Errorf("summary %q\nwant    %q", v.Summary, want)
	}
	if len(v.Notes) != 1 {
		t.Errorf("notes = %q, want the wait's", v.Notes)
	}
}

// The notes survive the evidence cap: they say what was not judged.
func TestEvidenceCapKeepsNotes(t *testing.T) {
	v := Verdict{Summary: "healthy", Notes: []string{"target group x: not judged"}}
	for range 400 {
		v.Probes = append(v.Probes, Probe{URL: "https://app.example.com/health", OK: true, Status: 200})
	}
	capEvidence(&v)
	if len(v.Notes) != 1 || v.Truncated == 0 {
		t.Errorf("notes %q, truncated %d; want the note kept and probes dropped", v.Notes, v.Truncated)
	}
}
