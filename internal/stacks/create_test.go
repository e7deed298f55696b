package stacks

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const execARN = "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demo-1"

func validSpec() Spec {
	return Spec{
		Name:         "demo-123456",
		App:          "demo",
		Color:        "green",
		StackID:      "123456",
		Version:      "1.4.2",
		Execution:    execARN,
		TemplateURL:  "https://bucket.s3.amazonaws.com/demo.yaml",
		Parameters:   map[string]string{"Version": "1.4.2", "Artifact": "s3://a/b.zip", "Color": "green"},
		Tags:         map[string]string{"team": "payments"},
		RoleARN:      "arn:aws:iam::123456789012:role/demo-cfn",
		Capabilities: nil,
	}
}

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Spec)
		want   string // a substring of the error; "" for none
	}{
		{"valid", func(*Spec) {}, ""},
		{"body instead of URL", func(s *Spec) { s.TemplateURL, s.TemplateBody = "", "Resources: {}" }, ""},
		{"no role but allowed", func(s *Spec) { s.RoleARN, s.AllowNoRole = "", true }, ""},
		{"named IAM asked for", func(s *Spec) { s.Capabilities = []types.Capability{types.CapabilityCapabilityNamedIam} }, ""},
		{"bad stack name", func(s *Spec) { s.Name = "1demo-123456" }, "must be 1-128 letters"},
		{"name not app-id", func(s *Spec) { s.Name = "demo-654321" }, `must be "demo-123456"`},
		{"bad app", func(s *Spec) { s.App, s.Name = "Demo", "Demo-123456" }, "app name"},
		{"bad stack id", func(s *Spec) { s.StackID, s.Name = "12345", "demo-12345" }, "stack id"},
		{"bad color", func(s *Spec) { s.Color = "red" }, `color "red"`},
		{"no version", func(s *Spec) { s.Version = "" }, "version must be"},
		{"no execution", func(s *Spec) { s.Execution = "" }, "execution must be"},
		{"no template", func(s *Spec) { s.TemplateURL = "" }, "exactly one of template"},
		{"both templates", func(s *Spec) { s.TemplateBody = "Resources: {}" }, "exactly one of template"},
		{"huge body", func(s *Spec) { s.TemplateURL, s.TemplateBody = "", strings.Repeat("#", 51_201) }, "give a template URL"},
		{"reserved tag", func(s *Spec) { s.Tags = map[string]string{TagManaged: "false"} }, "reserved prefix"},
		{"aws tag", func(s *Spec) { s.Tags = map[string]string{"AWS:x": "y"} }, "reserved prefix"},
		{"empty tag value", func(s *Spec) { s.Tags = map[string]string{"team": ""} }, `tag "team"`},
		{"no role", func(s *Spec) { s.RoleARN = "" }, "no CloudFormation service role"},
		{"unknown capability", func(s *Spec) { s.Capabilities = []types.Capability{"CAPABILITY_ALL"} }, "unknown capability"},
		{"empty parameter name", func(s *Spec) { s.Parameters[""] = "x" }, "empty name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec()
			tt.change(&s)
			err := s.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestCreateSendsDeterministicInput(t *testing.T) {
	cfn := newFakeCFN()
	m := New(cfn, newFakeELB())
	s := validSpec()
	s.Timeout = 61*time.Minute + 30*time.Second // rounded up
	if _, err := m.Create(context.Background(), s); err != nil {
		t.Fatalf("Create() = %v", err)
	}
	got := cfn.created[0]
	want := &cloudformation.CreateStackInput{
		StackName:          aws.String("demo-123456"),
		TemplateURL:        aws.String("https://bucket.s3.amazonaws.com/demo.yaml"),
		ClientRequestToken: aws.String(s.requestToken()),
		OnFailure:          types.OnFailureDoNothing,
		Capabilities:       []types.Capability{types.CapabilityCapabilityIam},
		RoleARN:            aws.String("arn:aws:iam::123456789012:role/demo-cfn"),
		TimeoutInMinutes:   aws.Int32(62),
		Parameters: []types.Parameter{
			{ParameterKey: aws.String("Artifact"), ParameterValue: aws.String("s3://a/b.zip")},
			{ParameterKey: aws.String("Color"), ParameterValue: aws.String("green")},
			{ParameterKey: aws.String("Version"), ParameterValue: aws.String("1.4.2")},
		},
		Tags: []types.Tag{
			{Key: aws.String(TagApp), Value: aws.String("demo")},
			{Key: aws.String(TagColor), Value: aws.String("green")},
			{Key: aws.String(TagExecution), Value: aws.String(execARN)},
			{Key: aws.String(TagManaged), Value: aws.String("true")},
			{Key: aws.String(TagStackID), Value: aws.String("123456")},
			{Key: aws.String(TagVersion), Value: aws.String("1.4.2")},
			{Key: aws.String("team"), Value: aws.String("payments")},
		},
	}
	if diff := cmp.Diff(got, want, cmpopts.IgnoreUnexported(cloudformation.CreateStackInput{}, types.Parameter{}, types.Tag{})); diff != "" {
		t.Errorf("CreateStackInput (-got +want):\n%s", diff)
	}
	tok := aws.ToString(got.ClientRequestToken)
	if !stackNameRE.MatchString(tok) || len(tok) > 128 {
		t.Errorf("ClientRequestToken %q does not fit CloudFormation's [a-zA-Z][-a-zA-Z0-9]{0,127}", tok)
	}
	other := s
	other.Execution += "-retry"
	if other.requestToken() == tok {
		t.Errorf("two executions share the request token %q", tok)
	}
}

func TestCreateDefaultsAndOverrides(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Spec)
		want   func(*cloudformation.CreateStackInput) any
		value  any
	}{
		{"no role when allowed", func(s *Spec) { s.RoleARN, s.AllowNoRole = "", true },
			func(in *cloudformation.CreateStackInput) any { return in.RoleARN }, (*string)(nil)},
		{"no capabilities when asked", func(s *Spec) { s.Capabilities = []types.Capability{} },
			func(in *cloudformation.CreateStackInput) any { return in.Capabilities }, []types.Capability{}},
		{"body", func(s *Spec) { s.TemplateURL, s.TemplateBody = "", "Resources: {}" },
			func(in *cloudformation.CreateStackInput) any {
				return [2]string{aws.ToString(in.TemplateURL), aws.ToString(in.TemplateBody)}
			},
			[2]string{"", "Resources: {}"}},
		{"no timeout", func(*Spec) {},
			func(in *cloudformation.CreateStackInput) any { return in.TimeoutInMinutes }, (*int32)(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfn := newFakeCFN()
			s := validSpec()
			tt.change(&s)
			if _, err := New(cfn, newFakeELB()).Create(context.Background(), s); err != nil {
				t.Fatalf("Create() = %v", err)
			}
			if diff := cmp.Diff(tt.want(cfn.created[0]), tt.value); diff != "" {
				t.Errorf("(-got +want):\n%s", diff)
			}
		})
	}
}

func TestCreateIdempotent(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares the service; it returns the id Create must return, or "" when Create must fail.
		setup func(*fakeCFN) string
		// wantExists is the *ExistsError Create must return (its ID aside), or nil.
		wantExists *ExistsError
	}{
		{
			name: "retry with the same token",
			setup: func(f *fakeCFN) string {
				id, _ := New(f, nil).Create(context.Background(), validSpec())
				return id
			},
		},
		{
			name: "retry where the service ignores the token (moto)",
			setup: func(f *fakeCFN) string {
				f.ignoreTokens = true
				id, _ := New(f, nil).Create(context.Background(), validSpec())
				return id
			},
		},
		{
			name: "retry after the stack failed",
			setup: func(f *fakeCFN) string {
				id, _ := New(f, nil).Create(context.Background(), validSpec())
				f.failCreate("demo-123456", "Service", "AWS::ECS::Service", "boom", types.StackStatusRollbackComplete)
				f.ignoreTokens = true
				return id
			},
		},
		{
			name: "another execution's stack",
			setup: func(f *fakeCFN) string {
				s := validSpec()
				s.Execution = execARN + "-other"
				_, _ = New(f, nil).Create(context.Background(), s)
				return ""
			},
			wantExists: &ExistsError{Stack: "demo-123456", Execution: execARN + "-other"},
		},
		{
			name: "a stack the deployer did not create",
			setup: func(f *fakeCFN) string {
				f.seed("demo-123456", types.StackStatusCreateComplete, map[string]string{TagExecution: execARN}, nil)
				return ""
			},
			wantExists: &ExistsError{Stack: "demo-123456", Execution: execARN},
		},
		{
			name: "an untagged stack",
			setup: func(f *fakeCFN) string {
				f.seed("demo-123456", types.StackStatusCreateComplete, nil, nil)
				return ""
			},
			wantExists: &ExistsError{Stack: "demo-123456"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfn := newFakeCFN()
			wantID := tt.setup(cfn)
			before := len(cfn.stacks)

			got, err := New(cfn, newFakeELB()).Create(context.Background(), validSpec())

			if tt.wantExists != nil {
				var ee *ExistsError
				if !errors.As(err, &ee) {
					t.Fatalf("Create() = %q, %v; want *ExistsError", got, err)
				}
				if diff := cmp.Diff(ee, tt.wantExists, cmpopts.IgnoreFields(ExistsError{}, "ID")); diff != "" {
					t.Errorf("ExistsError (-got +want):\n%s", diff)
				}
				if !strings.Contains(err.Error(), "demo-123456") {
					t.Errorf("error %q does not name the stack", err)
				}
			} else {
				if err != nil {
					t.Fatalf("Create() = %v", err)
				}
				if wantID == "" || got != wantID {
					t.Errorf("Create() = %q, want the first call's %q", got, wantID)
				}
			}
			if len(cfn.stacks) != before {
				t.Errorf("Create made %d stacks, want none", len(cfn.stacks)-before)
			}
		})
	}
}

func TestCreateWrapsServiceErrors(t *testing.T) {
	cfn := newFakeCFN()
	cfn.errs["CreateStack"] = &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	_, err := New(cfn, newFakeELB()).Create(context.Background(), validSpec())
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "Throttling" {
		t.Fatalf("Create() = %v, want a Throttling smithy.APIError in the chain", err)
	}
	if !strings.HasPrefix(err.Error(), "create stack demo-123456: ") {
		t.Errorf("error %q does not start by naming the stack", err)
	}
}

func TestCreateRefusesInvalidSpecBeforeAnyCall(t *testing.T) {
	cfn := newFakeCFN()
	s := validSpec()
	s.RoleARN = ""
	if _, err := New(cfn, newFakeELB()).Create(context.Background(), s); err == nil {
		t.Fatal("Create() without a role = nil, want an error")
	}
	if len(cfn.calls) != 0 {
		t.Errorf("calls = %v, want none", cfn.calls)
	}
}
