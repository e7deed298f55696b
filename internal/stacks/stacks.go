// Package stacks manages an app's CloudFormation stacks, one per release, named "<app>-<stack id>": it creates them
// (idempotently, with a service role and the deployer's tags), reports their status without polling, finds their
// endpoint (the load balancer behind a DNS name output), lists an app's stacks and deletes them — only the ones the
// deployer created.
//
// Choices a caller must know:
//   - OnFailure is DO_NOTHING: a stack that fails to create stays CREATE_FAILED with the resources it made, so the
//     failure can be read (and inspected, when the app keeps failed stacks). The deployer deletes or keeps it
//     explicitly, as for any other rolled-back stack.
//   - Capabilities default to CAPABILITY_IAM only (unnamed IAM resources, which every task role needs). Named IAM
//     resources would collide between blue and green, and macros expand templates unseen, so CAPABILITY_NAMED_IAM and
//     CAPABILITY_AUTO_EXPAND are only passed when the Spec asks for them.
//   - Keeping a stack is not written to CloudFormation: CloudFormation has no call that changes a stack's tags
//     without a stack update, and an update cannot run on a ROLLBACK_COMPLETE stack, re-tags (and for some types
//     replaces) every resource through the service role, and leaves the stack UPDATE_IN_PROGRESS when the clean-up
//     comes to delete it. A kept stack is simply not deleted; since a rollback restores the slot records, it is one
//     that no slot names, which Unslotted computes from List.
package stacks

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"
)

// cfnAPI is the part of the CloudFormation client the manager uses.
type cfnAPI interface {
	cloudformation.DescribeStacksAPIClient
	cloudformation.DescribeStackEventsAPIClient
	cloudformation.ListStacksAPIClient
	CreateStack(ctx context.Context, params *cloudformation.CreateStackInput, optFns ...func(*cloudformation.Options)) (*cloudformation.CreateStackOutput, error)
	DeleteStack(ctx context.Context, params *cloudformation.DeleteStackInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error)
}

// elbAPI is the part of the ELBv2 client the manager uses.
type elbAPI interface {
	elasticloadbalancingv2.DescribeLoadBalancersAPIClient
	elasticloadbalancingv2.DescribeTargetGroupsAPIClient
}

var (
	_ cfnAPI = (*cloudformation.Client)(nil)
	_ elbAPI = (*elasticloadbalancingv2.Client)(nil)
)

// Manager creates, inspects, lists and deletes an app's stacks.
type Manager struct {
	cfn cfnAPI
	elb elbAPI
}

// New returns a Manager that calls CloudFormation through cfn and ELBv2 through elb.
func New(cfn cfnAPI, elb elbAPI) *Manager {
	return &Manager{cfn: cfn, elb: elb}
}

// The tags the manager puts on every stack it creates. Spec.Tags may not use the "bluegreen:" prefix.
const (
	// TagPrefix starts every tag the deployer owns.
	TagPrefix = "bluegreen:"
	// TagManaged is "true" on every stack the deployer created; Delete refuses a stack without it.
	TagManaged = TagPrefix + "managed"
	// TagApp names the stack's app.
	TagApp = TagPrefix + "app"
	// TagColor names the stack's color ("blue" or "green").
	TagColor = TagPrefix + "color"
	// TagStackID is the stack's six-digit id.
	TagStackID = TagPrefix + "stack-id"
	// TagVersion is the release's version.
	TagVersion = TagPrefix + "version"
	// TagExecution is the execution that created the stack; a retried Create from the same execution is idempotent.
	TagExecution = TagPrefix + "execution"
)

// isNotFound reports whether err says a stack does not exist: CloudFormation's ValidationError "Stack with id X does
// not exist" (it has no dedicated error code), or this package's *NotFoundError.
func isNotFound(err error) bool {
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.HasSuffix(ae.ErrorMessage(), "does not exist")
}
