package stacks

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

func TestPhaseOf(t *testing.T) {
	tests := []struct {
		status string
		want   Phase
	}{
		{"CREATE_COMPLETE", PhaseComplete},
		{"CREATE_IN_PROGRESS", PhaseInProgress},
		{"REVIEW_IN_PROGRESS", PhaseInProgress},
		{"CREATE_FAILED", PhaseFailed},
		{"ROLLBACK_IN_PROGRESS", PhaseFailed},
		{"ROLLBACK_COMPLETE", PhaseFailed},
		{"ROLLBACK_FAILED", PhaseFailed},
		{"DELETE_IN_PROGRESS", PhaseFailed},
		{"DELETE_FAILED", PhaseFailed},
		{"DELETE_COMPLETE", PhaseFailed},
		{"UPDATE_COMPLETE", PhaseComplete},
		{"UPDATE_ROLLBACK_COMPLETE", PhaseComplete},
		{"UPDATE_IN_PROGRESS", PhaseInProgress},
		{"UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", PhaseInProgress},
		{"UPDATE_ROLLBACK_IN_PROGRESS", PhaseInProgress},
		{"UPDATE_FAILED", PhaseFailed},
		{"UPDATE_ROLLBACK_FAILED", PhaseFailed},
		{"IMPORT_COMPLETE", PhaseComplete},
		{"IMPORT_ROLLBACK_FAILED", PhaseFailed},
		{"SOMETHING_NEW", PhaseFailed},
		{"", PhaseFailed},
	}
	for _, tt := range tests {
		if got := PhaseOf(tt.status); got != tt.want {
			t.Errorf("PhaseOf(%q) = %s, want %s", tt.status, got, tt.want)
		}
	}
}

// Every status the SDK knows is mapped on purpose, not by the fallback: a new SDK status fails here until it is.
func TestPhaseOfCoversEveryStatus(t *testing.T) {
	for _, s := range types.StackStatus("").Values() {
		if _, ok := phases[s]; !ok {
			t.Errorf("status %s has no phase", s)
		}
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fakeCFN) // the stack demo-123456 exists, CREATE_IN_PROGRESS
		want  Status           // Name, ID and Tags aside
		// wantEvents says whether the stack's events are read (only for a failed stack).
		wantEvents bool
	}{
		{
			name: "in progress",
			want: Status{Phase: PhaseInProgress, StackStatus: "CREATE_IN_PROGRESS", Outputs: map[string]string{}},
		},
		{
			name: "complete, with outputs",
			setup: func(f *fakeCFN) {
				f.setStatus("demo-123456", types.StackStatusCreateComplete, "")
				f.setOutputs("demo-123456", map[string]string{"LoadBalancerDNSName": "lb.example"})
			},
			want: Status{Phase: PhaseComplete, StackStatus: "CREATE_COMPLETE", Outputs: map[string]string{"LoadBalancerDNSName": "lb.example"}},
		},
		{
			name: "create failed: the root cause, not the summary or the cancelled resources",
			setup: func(f *fakeCFN) {
				f.failCreate("demo-123456", "Service", "AWS::ECS::Service", "Invalid request provided: image not found", types.StackStatusCreateFailed)
			},
			want: Status{
				Phase: PhaseFailed, StackStatus: "CREATE_FAILED",
				StatusReason: "The following resource(s) failed to create: [LoadBalancer, Service].",
				Reason:       "Service (AWS::ECS::Service) CREATE_FAILED: Invalid request provided: image not found",
				Outputs:      map[string]string{},
			},
			wantEvents: true,
		},
		{
			name: "rolled back: the root cause survives the rollback's events",
			setup: func(f *fakeCFN) {
				f.failCreate("demo-123456", "Role", "AWS::IAM::Role", "Requires capabilities : [CAPABILITY_NAMED_IAM]", types.StackStatusRollbackComplete)
			},
			want: Status{
				Phase: PhaseFailed, StackStatus: "ROLLBACK_COMPLETE",
				Reason:  "Role (AWS::IAM::Role) CREATE_FAILED: Requires capabilities : [CAPABILITY_NAMED_IAM]",
				Outputs: map[string]string{},
			},
			wantEvents: true,
		},
		{
			name: "rollback in progress is already failed",
			setup: func(f *fakeCFN) {
				f.failCreate("demo-123456", "Service", "AWS::ECS::Service", "boom", types.StackStatusRollbackInProgress)
			},
			want: Status{
				Phase: PhaseFailed, StackStatus: "ROLLBACK_IN_PROGRESS",
				Reason:  "Service (AWS::ECS::Service) CREATE_FAILED: boom",
				Outputs: map[string]string{},
			},
			wantEvents: true,
		},
		{
			name: "two resources failed: the first one",
			setup: func(f *fakeCFN) {
				f.resourceEvent("demo-123456", "Bucket", "AWS::S3::Bucket", types.ResourceStatusCreateFailed, "demo-logs already exists")
				f.failCreate("demo-123456", "Service", "AWS::ECS::Service", "later failure", types.StackStatusRollbackComplete)
			},
			want: Status{
				Phase: PhaseFailed, StackStatus: "ROLLBACK_COMPLETE",
				Reason:  "Bucket (AWS::S3::Bucket) CREATE_FAILED: demo-logs already exists",
				Outputs: map[string]string{},
			},
			wantEvents: true,
		},
		{
			name: "failed without a failed resource: the stack's reason",
			setup: func(f *fakeCFN) {
				f.setStatus("demo-123456", types.StackStatusCreateFailed, "Stack creation time exceeded the specified timeout")
			},
			want: Status{
				Phase: PhaseFailed, StackStatus: "CREATE_FAILED",
				StatusReason: "Stack creation time exceeded the specified timeout",
				Reason:       "Stack creation time exceeded the specified timeout",
				Outputs:      map[string]string{},
			},
			wantEvents: true,
		},
		{
			name: "only cancelled resources: the stack's reason",
			setup: func(f *fakeCFN) {
				f.resourceEvent("demo-123456", "Service", "AWS::ECS::Service", types.ResourceStatusCreateFailed, "Resource creation cancelled")
				f.setStatus("demo-123456", types.StackStatusCreateFailed, "Stack creation cancelled by user")
			},
			want: Status{
				Phase: PhaseFailed, StackStatus: "CREATE_FAILED",
				StatusReason: "Stack creation cancelled by user", Reason: "Stack creation cancelled by user",
				Outputs: map[string]string{},
			},
			wantEvents: true,
		},
		{
			name: "being deleted",
			setup: func(f *fakeCFN) {
				f.setStatus("demo-123456", types.StackStatusCreateComplete, "")
				f.setStatus("demo-123456", types.StackStatusDeleteInProgress, "User Initiated")
			},
			want: Status{
				Phase: PhaseFailed, StackStatus: "DELETE_IN_PROGRESS",
				StatusReason: "User Initiated", Reason: "User Initiated", Outputs: map[string]string{},
			},
			wantEvents: true,
		},
		{
			name: "updated by an operator: still complete",
			setup: func(f *fakeCFN) {
				f.setStatus("demo-123456", types.StackStatusUpdateRollbackComplete, "")
			},
			want: Status{Phase: PhaseComplete, StackStatus: "UPDATE_ROLLBACK_COMPLETE", Outputs: map[string]string{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfn := newFakeCFN()
			cfn.pageSize = 1 // the root cause is on the last page of events
			cfn.createStatus = types.StackStatusCreateInProgress
			id, err := New(cfn, nil).Create(context.Background(), validSpec())
			if err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(cfn)
			}
			cfn.calls = map[string]int{}

			got, err := New(cfn, newFakeELB()).Status(context.Background(), "demo-123456")
			if err != nil {
				t.Fatalf("Status() = %v", err)
			}
			if got.Name != "demo-123456" || got.ID != id || got.Tags[TagManaged] != "true" {
				t.Errorf("Status() = %q, %q, tags %v; want the stack's name, id %q and tags", got.Name, got.ID, got.Tags, id)
			}
			got.Name, got.ID, got.Tags = "", "", nil
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Status() (-got +want):\n%s", diff)
			}
			if n := cfn.calls["DescribeStacks"]; n != 1 {
				t.Errorf("DescribeStacks calls = %d, want 1", n)
			}
			if read := cfn.calls["DescribeStackEvents"] > 0; read != tt.wantEvents {
				t.Errorf("events read = %v, want %v", read, tt.wantEvents)
			}
		})
	}
}

func TestStatusMissing(t *testing.T) {
	cfn := newFakeCFN()
	deleted := cfn.seed("demo-111111", types.StackStatusDeleteComplete, map[string]string{TagManaged: "true"}, nil)
	m := New(cfn, newFakeELB())
	tests := []struct {
		name, stack string
		want        Status
	}{
		{"never existed", "demo-123456", Status{Name: "demo-123456", Phase: PhaseMissing}},
		{"deleted, by name", "demo-111111", Status{Name: "demo-111111", Phase: PhaseMissing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Status(context.Background(), tt.stack)
			if err != nil {
				t.Fatalf("Status() = %v", err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Status() (-got +want):\n%s", diff)
			}
		})
	}
	t.Run("deleted, by ARN", func(t *testing.T) {
		got, err := m.Status(context.Background(), deleted)
		if err != nil {
			t.Fatalf("Status() = %v", err)
		}
		if got.Phase != PhaseFailed || got.StackStatus != "DELETE_COMPLETE" {
			t.Errorf("Status() = %s %s, want Failed DELETE_COMPLETE", got.Phase, got.StackStatus)
		}
	})
}

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		name, op string
		failed   bool // the stack failed, so its events are read
		want     string
	}{
		{"describe throttled", "DescribeStacks", false, "describe stack demo-123456: "},
		{"events throttled", "DescribeStackEvents", true, "read events of failed stack demo-123456 (CREATE_FAILED): "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfn := newFakeCFN()
			if _, err := New(cfn, nil).Create(context.Background(), validSpec()); err != nil {
				t.Fatal(err)
			}
			if tt.failed {
				cfn.setStatus("demo-123456", types.StackStatusCreateFailed, "x")
			}
			cfn.errs[tt.op] = &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
			_, err := New(cfn, newFakeELB()).Status(context.Background(), "demo-123456")
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "Throttling" {
				t.Fatalf("Status() = %v, want a Throttling smithy.APIError in the chain", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %q, want it to start with %q", err, tt.want)
			}
		})
	}
}
