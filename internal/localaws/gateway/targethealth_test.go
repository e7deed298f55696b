package gateway

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Each state ELB reports can be overridden, with ELB's usual reason for it when the test gives none, for a number
// of answers or until cleared.
func TestSetTargetHealth(t *testing.T) {
	tests := []struct {
		set  TargetHealth
		want TargetHealth
	}{
		{set: TargetHealth{}, want: TargetHealth{State: "unhealthy", Reason: "Target.FailedHealthChecks", Description: "Health checks failed"}},
		{set: TargetHealth{State: "initial", Answers: 2},
			want: TargetHealth{State: "initial", Reason: "Elb.InitialHealthChecking", Description: "Initial health checks in progress", Answers: 2}},
		{set: TargetHealth{State: "initial", Reason: "Elb.RegistrationInProgress", Description: "Target registration is in progress"},
			want: TargetHealth{State: "initial", Reason: "Elb.RegistrationInProgress", Description: "Target registration is in progress"}},
		{set: TargetHealth{State: "unavailable"},
			want: TargetHealth{State: "unavailable", Reason: "Target.HealthCheckDisabled", Description: "Health checks are disabled"}},
		{set: TargetHealth{State: "unused"},
			want: TargetHealth{State: "unused", Reason: "Target.NotInUse", Description: "Target group is not configured to receive traffic from the load balancer"}},
		{set: TargetHealth{State: "draining"},
			want: TargetHealth{State: "draining", Reason: "Target.DeregistrationInProgress", Description: "Target deregistration is in progress"}},
		{set: TargetHealth{State: "healthy"}, want: TargetHealth{State: "healthy"}},
		{set: TargetHealth{State: "unhealthy", Reason: "Target.Timeout"}, want: TargetHealth{State: "unhealthy", Reason: "Target.Timeout"}},
	}
	for _, tt := range tests {
		var g Gateway
		g.SetTargetHealth("10.0.0.5", tt.set)
		if diff := cmp.Diff(g.overrides.targets["10.0.0.5"], tt.want); diff != "" {
			t.Errorf("SetTargetHealth(%+v) (-got +want):\n%s", tt.set, diff)
		}
	}
}

func TestTargetHealthForSomeAnswers(t *testing.T) {
	var g Gateway
	g.SetTargetHealth("10.0.0.5", TargetHealth{State: "initial", Answers: 2})
	g.SetTargetHealth("10.0.0.6", TargetHealth{State: "unhealthy"})
	answer := `<R><TargetHealthDescriptions>` +
		`<member><Target><Id>10.0.0.5</Id></Target><TargetHealth><State>healthy</State></TargetHealth></member>` +
		`<member><Target><Id>10.0.0.6</Id></Target><TargetHealth><State>healthy</State></TargetHealth></member>` +
		`</TargetHealthDescriptions></R>`
	call := Call{Service: "elasticloadbalancing", Operation: "DescribeTargetHealth"}
	var states []string
	for range 4 {
		got := string(g.overrides.rewriter(call, true)([]byte(answer)))
		states = append(states, strings.Join([]string{element(got, "State"), element(got[strings.Index(got, "10.0.0.6"):], "State")}, " "))
	}
	want := []string{"initial unhealthy", "initial unhealthy", "healthy unhealthy", "healthy unhealthy"}
	if diff := cmp.Diff(states, want); diff != "" {
		t.Errorf("states of 10.0.0.5 and 10.0.0.6 in four answers (-got +want):\n%s", diff)
	}
}

// An override limited to one target group changes that group's answers only, over one for every group: the demo
// stacks' targets share their ids, and failover needs one stack unhealthy while the other is healthy.
func TestTargetHealthOfOneTargetGroup(t *testing.T) {
	var g Gateway
	g.SetTargetHealth("*", TargetHealth{State: "initial"})
	g.SetTargetHealth("*", TargetHealth{State: "unhealthy", TargetGroup: "arn:tg/green"})
	answer := `<R><TargetHealthDescriptions><member><Target><Id>10.0.1.10</Id></Target><TargetHealth><State>healthy</State></TargetHealth></member></TargetHealthDescriptions></R>`
	for group, want := range map[string]string{"arn:tg/green": "unhealthy", "arn:tg/blue": "initial"} {
		call := Call{Service: "elasticloadbalancing", Operation: "DescribeTargetHealth", Params: map[string][]string{"TargetGroupArn": {group}}}
		if got := element(string(g.overrides.rewriter(call, true)([]byte(answer))), "State"); got != want {
			t.Errorf("%s: state %q, want %q", group, got, want)
		}
	}
}
