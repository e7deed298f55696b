package createstack_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/stacks"
)

const newID = "123456"

// planned is the state after plan: blue 819273 live, the new stack 123456 in green.
func planned(cfg func(*deploy.Config)) deploy.State {
	s := prepared(cfg)
	s.Plan = &deploy.Plan{Action: deploy.ActionDeploy, Live: slot(records.Blue, liveID), New: slot(records.Green, newID),
		Before: managedOf(liveIn(records.Blue, liveID, ""))}
	s.PlanJSON = s.Plan.Encode()
	s.Step = &deploy.Step{Index: -1, More: true}
	return s
}

func TestCreate(t *testing.T) {
	e := setup(t)
	in := planned(func(c *deploy.Config) { c.Parameters = map[string]string{"InstanceType": "t4g.small"} })
	got, err := e.call("create", in)
	if err != nil {
		t.Fatal(err)
	}
	want := stacks.Spec{
		Name: "demoapp-123456", App: "demoapp", Color: records.Green, StackID: newID, Version: "v2", Execution: me,
		TemplateURL: "https://templates.s3.amazonaws.com/demoapp.yaml",
		Parameters:  map[string]string{"InstanceType": "t4g.small", "Artifact": "s3://artifacts/demoapp/v2.zip", "Version": "v2", "Color": "green", "StackId": newID},
		RoleARN:     "arn:aws:iam::123456789012:role/demoapp-cfn", Timeout: 1800 * time.Second,
	}
	if len(e.stacks.specs) != 1 {
		t.Fatalf("created %d stacks, want 1", len(e.stacks.specs))
	}
	if l := e.lock(); l.Progress != deploy.ProgressCreated || !l.UpdatedAt.Equal(now) {
		t.Errorf("lock item: progress %s at %v, want created (recorded by create itself) at %v", l.Progress, l.UpdatedAt, now)
	}
	if diff := cmp.Diff(e.stacks.specs[0], want); diff != "" {
		t.Errorf("stack spec (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(in.Config.Parameters, map[string]string{"InstanceType": "t4g.small"}); diff != "" {
		t.Errorf("create changed the app's parameters:\n%s", diff)
	}
	wantWait := &deploy.StackWait{Name: "demoapp-123456", ID: e.stacks.stacks["demoapp-123456"].id, Status: "CREATE_IN_PROGRESS",
		WaitSeconds: 5, Deadline: "2026-11-25T10:45:00Z"}
	if diff := cmp.Diff(got.Stack, wantWait); diff != "" {
		t.Errorf("state.stack (-got +want):\n%s", diff)
	}

	// A retry of the same execution finds its stack; another execution's stack of that name is a failure.
	again, err := e.call("create", in)
	if list, _ := e.stacks.List(context.Background(), "demoapp"); err != nil || again.Stack.ID != got.Stack.ID || len(list) != 1 {
		t.Errorf("retried create = %+v, %v; want the same stack", again.Stack, err)
	}
	e.stacks.stacks["demoapp-123456"].execution = holder
	_, err = e.call("create", in)
	var failed *deploy.StackFailedError
	if !errors.As(err, &failed) || failed.Status != "EXISTS" || !strings.Contains(failed.Reason, holder) {
		t.Errorf("create over another run's stack = %v, want StackFailedError EXISTS naming %s", err, holder)
	}
	if _, err := e.call("create", prepared(nil)); typeName(err) != "InternalError" {
		t.Errorf("create without a plan = %v, want InternalError", err)
	}
}

func TestStatus(t *testing.T) {
	nonLB := &stacks.Endpoint{DNSName: "d111111abcdef8.cloudfront.net"}
	tests := []struct {
		name     string
		status   string
		reason   string
		endpoint *stacks.Endpoint // nil: the stack's own load balancer
		noOutput bool
		missing  bool
		cname    bool
		wait     int
		clock    time.Duration // after the state's clock
		want     *deploy.StackWait
		wantErr  *deploy.StackFailedError
		because  string // in the error's reason
	}{
		{name: "in progress: the wait doubles", status: "CREATE_IN_PROGRESS", wait: 5,
			want: &deploy.StackWait{Status: "CREATE_IN_PROGRESS", WaitSeconds: 10}},
		{name: "in progress: the wait stops growing at a minute", status: "CREATE_IN_PROGRESS", wait: 40,
			want: &deploy.StackWait{Status: "CREATE_IN_PROGRESS", WaitSeconds: 60}},
		{name: "past the deadline", status: "CREATE_IN_PROGRESS", wait: 60, clock: 31 * time.Minute,
			wantErr: &deploy.StackFailedError{Stack: "demoapp-123456", Status: "CREATE_IN_PROGRESS"}, because: "not complete by its deadline 2026-11-25T10:45:00Z"},
		{name: "failed", status: "CREATE_FAILED", reason: "Listener (AWS::ElasticLoadBalancingV2::Listener) CREATE_FAILED: certificate not found",
			wantErr: &deploy.StackFailedError{Stack: "demoapp-123456", Status: "CREATE_FAILED"}, because: "certificate not found"},
		{name: "rolled back without a reason", status: "ROLLBACK_COMPLETE",
			wantErr: &deploy.StackFailedError{Stack: "demoapp-123456", Status: "ROLLBACK_COMPLETE"}, because: "the stack is Failed"},
		{name: "gone", missing: true, wantErr: &deploy.StackFailedError{Stack: "demoapp-123456"}, because: "the stack is Missing"},
		{name: "complete", status: "CREATE_COMPLETE", wait: 20,
			want: &deploy.StackWait{Status: "CREATE_COMPLETE", Done: true, WaitSeconds: 20,
				Endpoint: &deploy.Endpoint{DNSName: lbName(newID), HostedZoneID: lbZoneID, TargetGroups: []string{"arn:tg/" + newID}}}},
		{name: "complete without its endpoint output", status: "CREATE_COMPLETE", noOutput: true,
			wantErr: &deploy.StackFailedError{Stack: "demoapp-123456", Status: "CREATE_COMPLETE"}, because: `no output "LoadBalancerDNSName"`},
		{name: "alias records need a load balancer", status: "CREATE_COMPLETE", endpoint: nonLB,
			wantErr: &deploy.StackFailedError{Stack: "demoapp-123456", Status: "CREATE_COMPLETE"}, because: "set endpoint.type to cname"},
		{name: "a CNAME can point anywhere", status: "CREATE_COMPLETE", endpoint: nonLB, cname: true, wait: 5,
			want: &deploy.StackWait{Status: "CREATE_COMPLETE", Done: true, WaitSeconds: 5, Endpoint: &deploy.Endpoint{DNSName: nonLB.DNSName}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			in := planned(func(c *deploy.Config) {
				if tt.cname {
					c.Endpoint.Type = deploy.EndpointCNAME
				}
			})
			arn := ""
			if !tt.missing {
				st := e.stacks.add(newID, tt.status)
				st.reason, arn = tt.reason, st.id
				switch {
				case tt.noOutput:
					st.endpoint = nil
				case tt.endpoint != nil:
					st.endpoint = tt.endpoint
				}
			}
			in.Stack = &deploy.StackWait{Name: "demoapp-123456", ID: arn, Status: "CREATE_IN_PROGRESS", WaitSeconds: tt.wait, Deadline: "2026-11-25T10:45:00Z"}
			e.clock = now.Add(tt.clock)
			got, err := e.call("status", in)
			if tt.wantErr != nil {
				var failed *deploy.StackFailedError
				if !errors.As(err, &failed) {
					t.Fatalf("status = %v, want a StackFailedError", err)
				}
				if diff := cmp.Diff(failed, tt.wantErr, cmpopts.IgnoreFields(deploy.StackFailedError{}, "Reason")); diff != "" || !strings.Contains(failed.Reason, tt.because) {
					t.Errorf("StackFailedError %+v, want %+v with a reason saying %q\n%s", failed, tt.wantErr, tt.because, diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Name, tt.want.ID, tt.want.Deadline = "demoapp-123456", arn, "2026-11-25T10:45:00Z"
			if diff := cmp.Diff(got.Stack, tt.want); diff != "" {
				t.Errorf("state.stack (-got +want):\n%s", diff)
			}
		})
	}
}
