package stacks

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// Delete starts deleting the stack name (or with that ARN) and returns without waiting; Status and List show the
// deletion's progress, and a DELETE_FAILED stack is deleted again by calling Delete again. A stack that does not
// exist, is already deleted or is being deleted is success. A stack without the tag bluegreen:managed=true is refused
// with *NotManagedError: the deployer never deletes what it did not create. The stack is deleted by its ARN, so a
// stack of the same name created meanwhile is never the one deleted; CloudFormation deletes its resources with the
// service role it was created with.
func (m *Manager) Delete(ctx context.Context, name string) error {
	st, err := m.describe(ctx, name)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("describe stack %s before deleting it: %w", name, err)
	}
	if st.StackStatus == types.StackStatusDeleteComplete {
		return nil
	}
	if tagMap(st.Tags)[TagManaged] != "true" {
		return &NotManagedError{Stack: name}
	}
	if st.StackStatus == types.StackStatusDeleteInProgress {
		return nil
	}
	_, err = m.cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: st.StackId})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("delete stack %s (%s): %w", name, aws.ToString(st.StackId), err)
	}
	return nil
}
