package stacks

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

func tagsOf(app, color, id, version string) map[string]string {
	return map[string]string{
		TagManaged: "true", TagApp: app, TagColor: color, TagStackID: id, TagVersion: version,
		TagExecution: "arn:aws:states:us-east-1:123456789012:execution:bluegreen:" + app + "-" + id,
	}
}

// seedTwoApps fills the service with the stacks of apps "demo" and "demo2", and stacks that only look like theirs.
func seedTwoApps(f *fakeCFN) {
	f.seed("demo-111111", types.StackStatusCreateComplete, tagsOf("demo", "blue", "111111", "1.0"), nil)
	f.seed("demo2-111111", types.StackStatusCreateComplete, tagsOf("demo2", "blue", "111111", "9.0"), nil)
	f.seed("demo-222222", types.StackStatusDeleteComplete, tagsOf("demo", "green", "222222", "1.1"), nil)
	f.seed("demo-333333", types.StackStatusRollbackComplete, tagsOf("demo", "green", "333333", "1.2"), nil)
	f.seed("demo-abc", types.StackStatusCreateComplete, tagsOf("demo", "green", "abc", "x"), nil)
	f.seed("demo-1234567", types.StackStatusCreateComplete, tagsOf("demo", "green", "1234567", "x"), nil)
	f.seed("demo-444444", types.StackStatusCreateComplete, map[string]string{TagApp: "demo"}, nil)            // not managed
	f.seed("demo-555555", types.StackStatusCreateComplete, tagsOf("other", "blue", "555555", "x"), nil)       // another app's tag
	f.seed("demo-666666", types.StackStatusDeleteFailed, tagsOf("demo", "blue", "666666", "0.9"), nil)        // still there
	f.seed("demo2-777777", types.StackStatusCreateInProgress, tagsOf("demo2", "green", "777777", "9.1"), nil) // demo2's
	f.seed("xdemo-888888", types.StackStatusCreateComplete, tagsOf("demo", "green", "888888", "x"), nil)      // another name
	f.seed("demo-999999-x", types.StackStatusCreateComplete, tagsOf("demo", "green", "999999", "x"), nil)     // another name
	f.seed("Demo-000000", types.StackStatusCreateComplete, tagsOf("demo", "green", "000000", "x"), nil)       // case matters
	f.seed("demo-121212", types.StackStatusCreateComplete, tagsOf("demo", "green", "121212", "1.3"), nil)     // demo's newest
}

func TestList(t *testing.T) {
	tests := []struct {
		app  string
		want []string // "<name> <status> <color> <version>", oldest first
	}{
		{"demo", []string{
			"demo-111111 CREATE_COMPLETE blue 1.0",
			"demo-333333 ROLLBACK_COMPLETE green 1.2",
			"demo-666666 DELETE_FAILED blue 0.9",
			"demo-121212 CREATE_COMPLETE green 1.3",
		}},
		{"demo2", []string{
			"demo2-111111 CREATE_COMPLETE blue 9.0",
			"demo2-777777 CREATE_IN_PROGRESS green 9.1",
		}},
		{"dem", nil},
	}
	for _, tt := range tests {
		t.Run(tt.app, func(t *testing.T) {
			cfn := newFakeCFN()
			cfn.pageSize = 1
			seedTwoApps(cfn)

			list, err := New(cfn, newFakeELB()).List(context.Background(), tt.app)
			if err != nil {
				t.Fatalf("List(%q) = %v", tt.app, err)
			}
			var got []string
			for _, s := range list {
				got = append(got, s.Name+" "+s.Status+" "+string(s.Color)+" "+s.Version)
				if s.Name != tt.app+"-"+s.StackID || s.Tags[TagStackID] != s.StackID || s.ARN == "" || s.Created.IsZero() || s.Phase != PhaseOf(s.Status) {
					t.Errorf("summary %+v is inconsistent", s)
				}
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("List(%q) (-got +want):\n%s", tt.app, diff)
			}
		})
	}
}

// List describes only the app's candidates, so the deployer's DescribeStacks right can be limited to its apps' stacks.
func TestListDescribesOnlyCandidates(t *testing.T) {
	cfn := newFakeCFN()
	seedTwoApps(cfn)
	if _, err := New(cfn, newFakeELB()).List(context.Background(), "demo2"); err != nil {
		t.Fatal(err)
	}
	if n := cfn.calls["DescribeStacks"]; n != 2 {
		t.Errorf("DescribeStacks calls = %d, want 2 (demo2's two stacks)", n)
	}
}

func TestListErrors(t *testing.T) {
	t.Run("invalid app", func(t *testing.T) {
		cfn := newFakeCFN()
		if _, err := New(cfn, newFakeELB()).List(context.Background(), "demo-1"); err == nil {
			t.Error("List(\"demo-1\") = nil error, want one")
		}
		if len(cfn.calls) != 0 {
			t.Errorf("calls = %v, want none", cfn.calls)
		}
	})
	for _, op := range []string{"ListStacks", "DescribeStacks"} {
		t.Run(op, func(t *testing.T) {
			cfn := newFakeCFN()
			seedTwoApps(cfn)
			cfn.errs[op] = &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
			_, err := New(cfn, newFakeELB()).List(context.Background(), "demo")
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "Throttling" {
				t.Fatalf("List() = %v, want Throttling in the chain", err)
			}
		})
	}
}

func TestUnslotted(t *testing.T) {
	stacks := []Summary{{Name: "demo-111111", StackID: "111111"}, {Name: "demo-222222", StackID: "222222"}, {Name: "demo-333333", StackID: "333333"}}
	tests := []struct {
		name    string
		slotted []string
		want    []string
	}{
		{"both slots", []string{"111111", "333333"}, []string{"demo-222222"}},
		{"one empty slot", []string{"", "222222"}, []string{"demo-111111", "demo-333333"}},
		{"no slots", nil, []string{"demo-111111", "demo-222222", "demo-333333"}},
		{"all slotted", []string{"111111", "222222", "333333"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range Unslotted(stacks, tt.slotted...) {
				got = append(got, s.Name)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Unslotted(%v) (-got +want):\n%s", tt.slotted, diff)
			}
		})
	}
}
