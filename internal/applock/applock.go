// Package applock checks that a run still holds its app's lock before it writes. Stopping an execution does not
// stop a Lambda invocation already under way: without this check, such a leftover invocation could change records or
// delete stacks after a reconcile had taken the lock over and repaired the app.
package applock

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// getter reads the lock item.
type getter interface {
	GetItem(ctx context.Context, params *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

var _ getter = (*dynamodb.Client)(nil)

// Checker reads one lock table.
type Checker struct {
	api   getter
	table string
}

// New returns a Checker of the lock table.
func New(api getter, table string) *Checker { return &Checker{api: api, table: table} }

// Held returns nil when execution holds app's lock, and a LockLostError otherwise. The read is strongly consistent.
func (c *Checker) Held(ctx context.Context, app, execution string) error {
	out, err := c.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:            aws.String(c.table),
		Key:                  map[string]ddbtypes.AttributeValue{AttrApp: &ddbtypes.AttributeValueMemberS{Value: app}},
		ConsistentRead:       aws.Bool(true),
		ProjectionExpression: aws.String(AttrExecution),
	})
	if err != nil {
		return fmt.Errorf("read the lock of app %s: %w", app, err)
	}
	holder := ""
	if v, ok := out.Item[AttrExecution].(*ddbtypes.AttributeValueMemberS); ok {
		holder = v.Value
	}
	if holder != execution {
		return &deploy.LockLostError{App: app, Execution: execution, Holder: holder}
	}
	return nil
}
