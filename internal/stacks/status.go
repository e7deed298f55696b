package stacks

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// Phase is what a stack's CloudFormation status means to the deployer.
type Phase string

// The phases.
const (
	// PhaseInProgress: CloudFormation is still working; ask again later.
	PhaseInProgress Phase = "InProgress"
	// PhaseComplete: the stack is built and its outputs can be used.
	PhaseComplete Phase = "Complete"
	// PhaseFailed: the stack will not become usable (it failed, rolled back, or is being or was deleted).
	PhaseFailed Phase = "Failed"
	// PhaseMissing: no stack of that name exists.
	PhaseMissing Phase = "Missing"
)

// phases maps every status the SDK knows. The deployer only creates stacks, so an update seen here was made by
// someone else: its complete states (including an update rolled back to the previous, working state) leave a usable
// stack, its transient states are waited for, its failed states are failures.
var phases = map[types.StackStatus]Phase{
	types.StackStatusCreateComplete:         PhaseComplete,
	types.StackStatusUpdateComplete:         PhaseComplete,
	types.StackStatusUpdateRollbackComplete: PhaseComplete,
	types.StackStatusImportComplete:         PhaseComplete,
	types.StackStatusImportRollbackComplete: PhaseComplete,

	types.StackStatusCreateInProgress:                        PhaseInProgress,
	types.StackStatusReviewInProgress:                        PhaseInProgress,
	types.StackStatusUpdateInProgress:                        PhaseInProgress,
	types.StackStatusUpdateCompleteCleanupInProgress:         PhaseInProgress,
	types.StackStatusUpdateRollbackInProgress:                PhaseInProgress,
	types.StackStatusUpdateRollbackCompleteCleanupInProgress: PhaseInProgress,
	types.StackStatusImportInProgress:                        PhaseInProgress,
	types.StackStatusImportRollbackInProgress:                PhaseInProgress,

	types.StackStatusCreateFailed:         PhaseFailed,
	types.StackStatusRollbackInProgress:   PhaseFailed,
	types.StackStatusRollbackFailed:       PhaseFailed,
	types.StackStatusRollbackComplete:     PhaseFailed,
	types.StackStatusDeleteInProgress:     PhaseFailed,
	types.StackStatusDeleteFailed:         PhaseFailed,
	types.StackStatusDeleteComplete:       PhaseFailed,
	types.StackStatusUpdateFailed:         PhaseFailed,
	types.StackStatusUpdateRollbackFailed: PhaseFailed,
	types.StackStatusImportRollbackFailed: PhaseFailed,
}

// PhaseOf maps a CloudFormation stack status to its phase:
//
//   - Complete: CREATE_COMPLETE, and UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE, IMPORT_COMPLETE,
//     IMPORT_ROLLBACK_COMPLETE (states an operator's change to a stack we created can leave, all usable);
//   - InProgress: CREATE_IN_PROGRESS, REVIEW_IN_PROGRESS, and every UPDATE_*/IMPORT_* state still in progress;
//   - Failed: CREATE_FAILED, ROLLBACK_IN_PROGRESS/FAILED/COMPLETE (a failed creation: the stack will never be
//     usable, so the deployer does not wait for the rollback), DELETE_IN_PROGRESS/FAILED/COMPLETE, UPDATE_FAILED,
//     UPDATE_ROLLBACK_FAILED, IMPORT_ROLLBACK_FAILED, and any status this code does not know (it cannot be waited
//     for safely).
//
// Missing is never returned here: it means no stack was found at all.
func PhaseOf(status string) Phase {
	if p, ok := phases[types.StackStatus(status)]; ok {
		return p
	}
	return PhaseFailed
}

// Status is a stack's state as one DescribeStacks call saw it.
type Status struct {
	// Name is the stack's name; ID its ARN (empty when Missing).
	Name string
	ID   string
	// Phase is what StackStatus means to the deployer (see PhaseOf).
	Phase Phase
	// StackStatus and StatusReason are CloudFormation's own (StackStatus is empty when Missing).
	StackStatus  string
	StatusReason string
	// Reason, when Failed, is the root cause: the first resource that failed, as "<logical id> (<type>)
	// <status>: <reason>", or, when no resource failed, the stack's own reason.
	Reason string
	// Outputs maps output keys to values.
	Outputs map[string]string
	// Tags maps tag keys to values.
	Tags map[string]string
}

// Status reports the stack's state: one DescribeStacks call, no waiting; when the stack failed, also its events, for
// the root cause. A stack that does not exist is PhaseMissing, not an error. name may also be the stack's ARN, which
// finds a deleted stack too (DELETE_COMPLETE, Failed).
func (m *Manager) Status(ctx context.Context, name string) (Status, error) {
	st, err := m.describe(ctx, name)
	if isNotFound(err) {
		return Status{Name: name, Phase: PhaseMissing}, nil
	}
	if err != nil {
		return Status{}, fmt.Errorf("describe stack %s: %w", name, err)
	}
	s := Status{
		Name:         aws.ToString(st.StackName),
		ID:           aws.ToString(st.StackId),
		Phase:        PhaseOf(string(st.StackStatus)),
		StackStatus:  string(st.StackStatus),
		StatusReason: aws.ToString(st.StackStatusReason),
		Outputs:      outputMap(st.Outputs),
		Tags:         tagMap(st.Tags),
	}
	if s.Phase != PhaseFailed {
		return s, nil
	}
	cause, err := m.rootCause(ctx, s.ID)
	if err != nil {
		return Status{}, fmt.Errorf("read events of failed stack %s (%s): %w", s.Name, s.StackStatus, err)
	}
	switch {
	case cause != "":
		s.Reason = cause
	case s.StatusReason != "":
		s.Reason = s.StatusReason
	default:
		s.Reason = "CloudFormation gave no reason"
	}
	return s, nil
}

// maxEventPages bounds the events read for a root cause; a stack the deployer created has far fewer.
const maxEventPages = 10

// cancelledRE matches the reason CloudFormation gives resources it stopped because another one failed.
var cancelledRE = regexp.MustCompile(`^Resource \w+ cancelled\.?$`)

// rootCause returns the oldest failed resource event of the stack (events come newest first), skipping the stack's
// own events and the resources CloudFormation cancelled because of it; "" when there is none.
func (m *Manager) rootCause(ctx context.Context, stackID string) (string, error) {
	var cause string
	p := cloudformation.NewDescribeStackEventsPaginator(m.cfn, &cloudformation.DescribeStackEventsInput{StackName: aws.String(stackID)})
	for page := 0; page < maxEventPages && p.HasMorePages(); page++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, e := range out.StackEvents {
			reason := aws.ToString(e.ResourceStatusReason)
			switch {
			case !strings.HasSuffix(string(e.ResourceStatus), "_FAILED"),
				aws.ToString(e.PhysicalResourceId) == stackID, // the stack itself
				cancelledRE.MatchString(reason):
				continue
			}
			cause = fmt.Sprintf("%s (%s) %s: %s", aws.ToString(e.LogicalResourceId), aws.ToString(e.ResourceType), e.ResourceStatus, reason)
		}
	}
	return cause, nil
}

func outputMap(outs []types.Output) map[string]string {
	m := make(map[string]string, len(outs))
	for _, o := range outs {
		m[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return m
}
