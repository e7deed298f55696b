package health

import (
	"context"
	"testing"

	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
)

const (
	tgWeb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
	tgAPI = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/fedcba9876543210"
)

func TestCheckTargets(t *testing.T) {
	const (
		healthy    = elbtypes.TargetHealthStateEnumHealthy
		unhealthy  = elbtypes.TargetHealthStateEnumUnhealthy
		initial    = elbtypes.TargetHealthStateEnumInitial
		draining   = elbtypes.TargetHealthStateEnumDraining
		unused     = elbtypes.TargetHealthStateEnumUnused
		unavailabl = elbtypes.TargetHealthStateEnumUnavailable
	)
	elb := &fakeELB{groups: map[string][]elbtypes.TargetHealthDescription{
		tgWeb + "-ok": {target("i-1", 80, healthy, "", ""), target("i-2", 80, healthy, "", "")},
		tgWeb + "-bad": {
			target("i-1", 80, healthy, "", ""),
			target("i-2", 80, unhealthy, elbtypes.TargetHealthReasonEnumResponseCodeMismatch,
				"Health checks failed with these codes: [503]"),
		},
		tgWeb + "-initial": {target("10.0.1.7", 8080, initial, elbtypes.TargetHealthReasonEnumRegistrationInProgress,
			"Target registration is in progress")},
		tgWeb + "-unavailable": {target("i-1", 80, unavailabl, elbtypes.TargetHealthReasonEnumHealthCheckDisabled,
			"Health checks are disabled")},
		tgWeb + "-unavailable-other": {target("i-1", 80, unavailabl, elbtypes.TargetHealthReasonEnumIpUnusable,
			"The target IP address is reserved for use by a load balancer")},
		tgWeb + "-empty": {},
		tgWeb + "-draining": {
			target("i-old", 80, draining, elbtypes.TargetHealthReasonEnumDeregistrationInProgress,
				"Target deregistration is in progress"),
			target("i-new", 80, healthy, "", ""),
		},
		tgWeb + "-only-draining": {target("i-old", 80, draining, elbtypes.TargetHealthReasonEnumDeregistrationInProgress, "")},
		tgWeb + "-unused": {target("i-1", 80, unused, elbtypes.TargetHealthReasonEnumNotInUse,
			"Target group is not configured to receive traffic from the load balancer")},
		tgAPI: {target("i-9", 443, healthy, "", "")},
	}}
	tests := []struct {
		name         string
		groups       []string
		wantFailures []string
		wantNote     string
		wantNotes    []string
		wantTargets  []Target
	}{
		{
			name:     "all healthy",
			groups:   []string{tgWeb + "-ok", tgAPI},
			wantNote: "3 healthy targets in 2 target groups",
			wantTargets: []Target{
				{TargetGroup: tgWeb + "-ok", ID: "i-1", Port: 80, State: "healthy"},
				{TargetGroup: tgWeb + "-ok", ID: "i-2", Port: 80, State: "healthy"},
				{TargetGroup: tgAPI, ID: "i-9", Port: 443, State: "healthy"},
			},
		},
		{
			name:   "unhealthy with its reason",
			groups: []string{tgWeb + "-bad"},
			wantFailures: []string{"target group targetgroup/web/0123456789abcdef-bad: 1 of 2 targets not healthy; " +
				"i-2:80 is unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [503])"},
			wantTargets: []Target{
				{TargetGroup: tgWeb + "-bad", ID: "i-1", Port: 80, State: "healthy"},
				{TargetGroup: tgWeb + "-bad", ID: "i-2", Port: 80, State: "unhealthy",
					Reason: "Target.ResponseCodeMismatch: Health checks failed with these codes: [503]"},
			},
		},
		{
			name:   "initial fails",
			groups: []string{tgWeb + "-initial"},
			wantFailures: []string{"target group targetgroup/web/0123456789abcdef-initial: 1 of 1 targets not healthy; " +
				"10.0.1.7:8080 is initial (Elb.RegistrationInProgress: Target registration is in progress)"},
			wantTargets: []Target{{TargetGroup: tgWeb + "-initial", ID: "10.0.1.7", Port: 8080, State: "initial",
				Reason: "Elb.RegistrationInProgress: Target registration is in progress"}},
		},
		{
			name:     "health checks off: not judged, and said so",
			groups:   []string{tgWeb + "-unavailable"},
			wantNote: "0 healthy targets in 1 target group (1 not judged: health checks off)",
			wantNotes: []string{"target group targetgroup/web/0123456789abcdef-unavailable: 1 of 1 targets not judged: " +
				"ELB's health checks are off (Target.HealthCheckDisabled)"},
			wantTargets: []Target{{TargetGroup: tgWeb + "-unavailable", ID: "i-1", Port: 80, State: "unavailable",
				Reason: "Target.HealthCheckDisabled: Health checks are disabled"}},
		},
		{
			name:     "a group with health checks off beside a healthy one",
			groups:   []string{tgAPI, tgWeb + "-unavailable"},
			wantNote: "1 healthy target in 2 target groups (1 not judged: health checks off)",
			wantNotes: []string{"target group targetgroup/web/0123456789abcdef-unavailable: 1 of 1 targets not judged: " +
				"ELB's health checks are off (Target.HealthCheckDisabled)"},
			wantTargets: []Target{
				{TargetGroup: tgAPI, ID: "i-9", Port: 443, State: "healthy"},
				{TargetGroup: tgWeb + "-unavailable", ID: "i-1", Port: 80, State: "unavailable",
					Reason: "Target.HealthCheckDisabled: Health checks are disabled"},
			},
		},
		{
			name:   "unavailable for another reason fails",
			groups: []string{tgWeb + "-unavailable-other"},
			wantFailures: []string{"target group targetgroup/web/0123456789abcdef-unavailable-other: 1 of 1 targets not " +
				"healthy; i-1:80 is unavailable (Target.IpUnusable: The target IP address is reserved for use by a load balancer)"},
			wantTargets: []Target{{TargetGroup: tgWeb + "-unavailable-other", ID: "i-1", Port: 80, State: "unavailable",
				Reason: "Target.IpUnusable: The target IP address is reserved for use by a load balancer"}},
		},
		{
			name:         "empty group",
			groups:       []string{tgWeb + "-empty"},
			wantFailures: []string{"target group targetgroup/web/0123456789abcdef-empty has no registered targets"},
		},
		{
			name:     "a draining target beside a healthy one passes",
			groups:   []string{tgWeb + "-draining"},
			wantNote: "1 healthy target in 1 target group",
			wantTargets: []Target{
				{TargetGroup: tgWeb + "-draining", ID: "i-old", Port: 80, State: "draining",
					Reason: "Target.DeregistrationInProgress: Target deregistration is in progress"},
				{TargetGroup: tgWeb + "-draining", ID: "i-new", Port: 80, State: "healthy"},
			},
		},
		{
			name:         "only draining targets fail",
			groups:       []string{tgWeb + "-only-draining"},
			wantFailures: []string{"target group targetgroup/web/0123456789abcdef-only-draining has no healthy target (1 draining)"},
			wantTargets: []Target{{TargetGroup: tgWeb + "-only-draining", ID: "i-old", Port: 80, State: "draining",
				Reason: "Target.DeregistrationInProgress"}},
		},
		{
			name:         "a group the load balancer does not use fails",
			groups:       []string{tgWeb + "-unused"},
			wantFailures: []string{"target group targetgroup/web/0123456789abcdef-unused has no healthy target (1 unused)"},
			wantTargets: []Target{{TargetGroup: tgWeb + "-unused", ID: "i-1", Port: 80, State: "unused",
				Reason: "Target.NotInUse: Target group is not configured to receive traffic from the load balancer"}},
		},
		{
			name:   "unknown group",
			groups: []string{tgAPI, tgWeb + "-gone"},
			wantFailures: []string{"target group targetgroup/web/0123456789abcdef-gone: DescribeTargetHealth: " +
				"TargetGroupNotFound: One or more target groups not found"},
			wantTargets: []Target{{TargetGroup: tgAPI, ID: "i-9", Port: 443, State: "healthy"}},
		},
		{
			name:     "a group named twice is read once",
			groups:   []string{tgAPI, tgAPI},
			wantNote: "1 healthy target in 1 target group",
			wantTargets: []Target{
				{TargetGroup: tgAPI, ID: "i-9", Port: 443, State: "healthy"},
			},
		},
		{
			name: "no groups: skipped",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewChecker(elb, nil)

			got := c.checkTargets(context.Background(), Spec{TargetGroups: tt.groups})

			if diff := cmp.Diff(got.failures, tt.wantFailures); diff != "" {
				t.Errorf("failures (-got +want):\n%s", diff)
			}
			if got.note != tt.wantNote {
				t.Errorf("note = %q, want %q", got.note, tt.wantNote)
			}
			if diff := cmp.Diff(got.notes, tt.wantNotes); diff != "" {
				t.Errorf("notes (-got +want):\n%s", diff)
			}
			if got.wait != nil {
				t.Errorf("wait = %+v without WaitForInitial", got.wait)
			}
			if diff := cmp.Diff(got.evidence, tt.wantTargets); diff != "" {
				t.Errorf("targets (-got +want):\n%s", diff)
			}
		})
	}
}
