package stacks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Spec describes a stack to create.
type Spec struct {
	// Name is the stack's name, "<App>-<StackID>".
	Name string
	// App, Color, StackID and Version are tagged on the stack (see the Tag constants).
	App     string
	Color   records.Color
	StackID string
	Version string
	// Execution is the ARN of the execution creating the stack. It is tagged on the stack, and the
	// ClientRequestToken is derived from it, so a retried Create from the same execution is idempotent.
	Execution string

	// TemplateURL or TemplateBody, exactly one, is the template.
	TemplateURL  string
	TemplateBody string
	// Parameters are the template's parameters, passed sorted by key.
	Parameters map[string]string
	// Tags are the app's own tags, added to the deployer's (they may not start with "bluegreen:" or "aws:").
	Tags map[string]string

	// RoleARN is the CloudFormation service role that creates (and later deletes) the stack's resources.
	RoleARN string
	// AllowNoRole lets RoleARN be empty: the stack is then built with the caller's own rights. The caller warns.
	AllowNoRole bool
	// Capabilities acknowledged for the template; nil means CAPABILITY_IAM only. Give CAPABILITY_NAMED_IAM or
	// CAPABILITY_AUTO_EXPAND here when the template needs them; an empty, non-nil slice acknowledges none.
	Capabilities []types.Capability
	// Timeout, when positive, makes CloudFormation fail the creation after it (rounded up to whole minutes), so a
	// stack that outlives the state machine's deadline does not go on creating.
	Timeout time.Duration
}

var stackNameRE = regexp.MustCompile(`^[A-Za-z][-A-Za-z0-9]{0,127}$`)

// Limits CloudFormation enforces on CreateStack, checked before the call.
const (
	maxTemplateBody = 51_200
	maxTags         = 50
	maxTagKey       = 128
	maxTagValue     = 256
)

// Validate reports every reason the spec cannot be created, joined, or nil.
func (s Spec) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if !stackNameRE.MatchString(s.Name) {
		add("stack name %q must be 1-128 letters, digits and hyphens, starting with a letter", s.Name)
	}
	if err := records.ValidateAppName(s.App); err != nil {
		errs = append(errs, err)
	}
	if err := records.ValidateStackID(s.StackID); err != nil {
		errs = append(errs, err)
	}
	if want := s.App + "-" + s.StackID; s.Name != want {
		add("stack name %q must be %q (app and stack id)", s.Name, want)
	}
	if !s.Color.Valid() {
		add("color %q must be %q or %q", s.Color, records.Blue, records.Green)
	}
	for _, t := range []struct{ what, v string }{{"version", s.Version}, {"execution", s.Execution}} {
		if t.v == "" || len(t.v) > maxTagValue {
			add("%s must be 1-%d characters, is %d", t.what, maxTagValue, len(t.v))
		}
	}
	switch {
	case (s.TemplateURL == "") == (s.TemplateBody == ""):
		add("exactly one of template URL and template body must be given")
	case len(s.TemplateBody) > maxTemplateBody:
		add("template body is %d bytes, more than CloudFormation's %d: give a template URL", len(s.TemplateBody), maxTemplateBody)
	}
	for k := range s.Parameters {
		if k == "" {
			add("a parameter has an empty name")
		}
	}
	for k, v := range s.Tags {
		switch {
		case k == "" || len(k) > maxTagKey:
			add("tag key %q must be 1-%d characters", k, maxTagKey)
		case strings.HasPrefix(k, TagPrefix) || strings.HasPrefix(strings.ToLower(k), "aws:"):
			add("tag key %q uses a reserved prefix (%q or \"aws:\")", k, TagPrefix)
		case v == "" || len(v) > maxTagValue:
			add("tag %q: value must be 1-%d characters", k, maxTagValue)
		}
	}
	if n := len(s.Tags) + len(s.managedTags()); n > maxTags {
		add("%d tags with the deployer's own, more than CloudFormation's %d", n, maxTags)
	}
	if s.RoleARN == "" && !s.AllowNoRole {
		add("no CloudFormation service role: give one, or allow creating the stack without one")
	}
	for _, c := range s.Capabilities {
		if !slices.Contains(c.Values(), c) {
			add("unknown capability %q", c)
		}
	}
	return errors.Join(errs...)
}

func (s Spec) managedTags() map[string]string {
	return map[string]string{
		TagManaged:   "true",
		TagApp:       s.App,
		TagColor:     string(s.Color),
		TagStackID:   s.StackID,
		TagVersion:   s.Version,
		TagExecution: s.Execution,
	}
}

// requestToken derives the ClientRequestToken of the stack's creation from the execution and the stack's name.
func (s Spec) requestToken() string {
	sum := sha256.Sum256([]byte(s.Execution + "\n" + s.Name))
	return "bluegreen-" + hex.EncodeToString(sum[:16])
}

func (s Spec) input() *cloudformation.CreateStackInput {
	in := &cloudformation.CreateStackInput{
		StackName:          aws.String(s.Name),
		ClientRequestToken: aws.String(s.requestToken()),
		OnFailure:          types.OnFailureDoNothing,
		Capabilities:       s.Capabilities,
	}
	if in.Capabilities == nil {
		in.Capabilities = []types.Capability{types.CapabilityCapabilityIam}
	}
	if s.TemplateURL != "" {
		in.TemplateURL = aws.String(s.TemplateURL)
	} else {
		in.TemplateBody = aws.String(s.TemplateBody)
	}
	if s.RoleARN != "" {
		in.RoleARN = aws.String(s.RoleARN)
	}
	if s.Timeout > 0 {
		in.TimeoutInMinutes = aws.Int32(int32((s.Timeout + time.Minute - 1) / time.Minute))
	}
	for _, k := range slices.Sorted(maps.Keys(s.Parameters)) {
		in.Parameters = append(in.Parameters, types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(s.Parameters[k])})
	}
	tags := maps.Clone(s.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	maps.Copy(tags, s.managedTags())
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return in
}

// Create starts creating the stack and returns its id (ARN). It does not wait: see Status.
//
// A retried Create from the same execution is idempotent: CloudFormation recognizes the request token, and a stack
// of that name tagged with the same execution is returned as it is (whatever its status). A stack of that name
// created by anything else is an *ExistsError.
func (m *Manager) Create(ctx context.Context, s Spec) (string, error) {
	if err := s.Validate(); err != nil {
		return "", fmt.Errorf("create stack %s: %w", s.Name, err)
	}
	out, err := m.cfn.CreateStack(ctx, s.input())
	if err == nil {
		return aws.ToString(out.StackId), nil
	}
	var exists *types.AlreadyExistsException
	if !errors.As(err, &exists) {
		return "", fmt.Errorf("create stack %s: %w", s.Name, err)
	}
	st, derr := m.describe(ctx, s.Name)
	switch {
	case isNotFound(derr):
		// Deleted between the two calls: report the conflict as it was; a retry creates the stack.
		return "", fmt.Errorf("create stack %s: %w", s.Name, err)
	case derr != nil:
		return "", fmt.Errorf("create stack %s: it exists, and describing it failed: %w", s.Name, derr)
	}
	tags := tagMap(st.Tags)
	if tags[TagManaged] == "true" && tags[TagExecution] == s.Execution {
		return aws.ToString(st.StackId), nil
	}
	return "", &ExistsError{Stack: s.Name, ID: aws.ToString(st.StackId), Execution: tags[TagExecution]}
}

// describe returns the stack named (or with the ARN) name: one DescribeStacks call. A missing stack is the
// service's error, to be tested with isNotFound.
func (m *Manager) describe(ctx context.Context, name string) (*types.Stack, error) {
	out, err := m.cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		return nil, err
	}
	if len(out.Stacks) == 0 {
		// Not CloudFormation's behaviour; treated as its answer for a missing stack.
		return nil, &NotFoundError{Stack: name}
	}
	return &out.Stacks[0], nil
}

func tagMap(tags []types.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
