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

func TestDelete(t *testing.T) {
	managed := map[string]string{TagManaged: "true", TagApp: "demo"}
	tests := []struct {
		name string
		// setup creates the stacks and returns the name (or ARN) to delete.
		setup func(f *fakeCFN) string
		// deleteStatus is the status the service leaves (DELETE_COMPLETE when empty).
		deleteStatus types.StackStatus
		wantErr      error
		wantCalls    int               // DeleteStack calls
		wantStatus   types.StackStatus // of the stack afterwards, by ARN; "" when there is none
	}{
		{
			name: "managed stack",
			setup: func(f *fakeCFN) string {
				f.seed("demo-123456", types.StackStatusCreateComplete, managed, nil)
				return "demo-123456"
			},
			wantCalls:  1,
			wantStatus: types.StackStatusDeleteComplete,
		},
		{
			name: "failed managed stack",
			setup: func(f *fakeCFN) string {
				f.seed("demo-123456", types.StackStatusRollbackComplete, managed, nil)
				return "demo-123456"
			},
			wantCalls:  1,
			wantStatus: types.StackStatusDeleteComplete,
		},
		{
			name: "deletion that failed before is retried",
			setup: func(f *fakeCFN) string {
				f.seed("demo-123456", types.StackStatusDeleteFailed, managed, nil)
				return "demo-123456"
			},
			deleteStatus: types.StackStatusDeleteInProgress,
			wantCalls:    1,
			wantStatus:   types.StackStatusDeleteInProgress,
		},
		{
			name:  "missing stack",
			setup: func(*fakeCFN) string { return "demo-123456" },
		},
		{
			name:       "already deleted, by ARN",
			setup:      func(f *fakeCFN) string { return f.seed("demo-123456", types.StackStatusDeleteComplete, managed, nil) },
			wantStatus: types.StackStatusDeleteComplete,
		},
		{
			name: "being deleted",
			setup: func(f *fakeCFN) string {
				f.seed("demo-123456", types.StackStatusDeleteInProgress, managed, nil)
				return "demo-123456"
			},
			wantStatus: types.StackStatusDeleteInProgress,
		},
		{
			name: "unmanaged stack",
			setup: func(f *fakeCFN) string {
				f.seed("demo-123456", types.StackStatusCreateComplete, map[string]string{TagApp: "demo"}, nil)
				return "demo-123456"
			},
			wantErr:    &NotManagedError{Stack: "demo-123456"},
			wantStatus: types.StackStatusCreateComplete,
		},
		{
			name: "managed tag not true",
			setup: func(f *fakeCFN) string {
				f.seed("demo-123456", types.StackStatusCreateComplete, map[string]string{TagManaged: "TRUE"}, nil)
				return "demo-123456"
			},
			wantErr:    &NotManagedError{Stack: "demo-123456"},
			wantStatus: types.StackStatusCreateComplete,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfn := newFakeCFN()
			target := tt.setup(cfn)
			cfn.deleteStatus = tt.deleteStatus

			err := New(cfn, newFakeELB()).Delete(context.Background(), target)

			var nm *NotManagedError
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Delete() = %v, want nil", err)
			case tt.wantErr != nil && !errors.As(err, &nm):
				t.Fatalf("Delete() = %v, want %v", err, tt.wantErr)
			case tt.wantErr != nil:
				if diff := cmp.Diff(error(nm), tt.wantErr); diff != "" {
					t.Errorf("Delete() error (-got +want):\n%s", diff)
				}
			}
			if n := cfn.calls["DeleteStack"]; n != tt.wantCalls {
				t.Errorf("DeleteStack calls = %d, want %d", n, tt.wantCalls)
			}
			var got types.StackStatus
			if len(cfn.stacks) > 0 {
				got = cfn.stacks[0].stack.StackStatus
			}
			if got != tt.wantStatus {
				t.Errorf("stack status after Delete = %q, want %q", got, tt.wantStatus)
			}
		})
	}
}

// The stack is deleted by the ARN that was checked, never by a name that may meanwhile be another stack's.
func TestDeleteByARN(t *testing.T) {
	cfn := newFakeCFN()
	arn := cfn.seed("demo-123456", types.StackStatusCreateComplete, map[string]string{TagManaged: "true"}, nil)
	m := New(cfn, newFakeELB())
	if err := m.Delete(context.Background(), "demo-123456"); err != nil {
		t.Fatalf("Delete() = %v", err)
	}
	if err := m.Delete(context.Background(), "demo-123456"); err != nil {
		t.Fatalf("second Delete() = %v", err)
	}
	if diff := cmp.Diff(cfn.deleted, []string{arn}); diff != "" {
		t.Errorf("DeleteStack calls (-got +want):\n%s", diff)
	}
	if got := cfn.stack(arn).stack.StackStatus; got != types.StackStatusDeleteComplete {
		t.Errorf("stack %s is %s, want DELETE_COMPLETE", arn, got)
	}
}

func TestDeleteWrapsServiceErrors(t *testing.T) {
	cfn := newFakeCFN()
	cfn.seed("demo-123456", types.StackStatusCreateComplete, map[string]string{TagManaged: "true"}, nil)
	cfn.errs["DeleteStack"] = &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack [demo-123456] cannot be deleted while TerminationProtection is enabled"}

	err := New(cfn, newFakeELB()).Delete(context.Background(), "demo-123456")

	var ae smithy.APIError
	if !errors.As(err, &ae) || !strings.Contains(ae.ErrorMessage(), "TerminationProtection") {
		t.Fatalf("Delete() = %v, want the service's error in the chain", err)
	}
	if !strings.HasPrefix(err.Error(), "delete stack demo-123456 (arn:aws:cloudformation:") {
		t.Errorf("error %q does not name the stack", err)
	}
}
