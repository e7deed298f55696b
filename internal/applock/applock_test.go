package applock_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

const (
	me    = "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-deploy-v2"
	other = "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-reconcile"
)

// table is a lock table holding items by app, answering GetItem as DynamoDB does (no item: an empty output).
type table struct {
	name  string
	items map[string]map[string]ddbtypes.AttributeValue
	err   error
	reads []*dynamodb.GetItemInput
}

func (f *table) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.reads = append(f.reads, in)
	if f.err != nil {
		return nil, f.err
	}
	if aws.ToString(in.TableName) != f.name {
		return nil, &ddbtypes.ResourceNotFoundException{Message: aws.String("Requested resource not found")}
	}
	app := in.Key["app"].(*ddbtypes.AttributeValueMemberS).Value
	return &dynamodb.GetItemOutput{Item: f.items[app]}, nil
}

func lock(execution string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{
		"app":       &ddbtypes.AttributeValueMemberS{Value: "demoapp"},
		"execution": &ddbtypes.AttributeValueMemberS{Value: execution},
		"progress":  &ddbtypes.AttributeValueMemberS{Value: "shifting"},
	}
}

func TestHeld(t *testing.T) {
	tests := []struct {
		name  string
		items map[string]map[string]ddbtypes.AttributeValue
		want  error
	}{
		{name: "held by the execution", items: map[string]map[string]ddbtypes.AttributeValue{"demoapp": lock(me)}},
		{name: "held by another", items: map[string]map[string]ddbtypes.AttributeValue{"demoapp": lock(other)},
			want: &deploy.LockLostError{App: "demoapp", Execution: me, Holder: other}},
		{name: "no item", items: nil, want: &deploy.LockLostError{App: "demoapp", Execution: me}},
		{name: "another app's lock", items: map[string]map[string]ddbtypes.AttributeValue{"shop": lock(me)},
			want: &deploy.LockLostError{App: "demoapp", Execution: me}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &table{name: "bluegreen-locks", items: tt.items}
			err := applock.New(f, "bluegreen-locks").Held(context.Background(), "demoapp", me)
			var lost *deploy.LockLostError
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("Held = %v, want nil", err)
			case tt.want != nil && !errors.As(err, &lost):
				t.Fatalf("Held = %v (%T), want a *LockLostError", err, err)
			case tt.want != nil:
				if diff := cmp.Diff(lost, tt.want); diff != "" {
					t.Errorf("LockLostError (-got +want):\n%s", diff)
				}
			}
			if len(f.reads) != 1 || !aws.ToBool(f.reads[0].ConsistentRead) {
				t.Errorf("reads = %d, consistent %v; want one strongly consistent read", len(f.reads), len(f.reads) == 1 && aws.ToBool(f.reads[0].ConsistentRead))
			}
		})
	}
}

func TestHeldReportsAReadFailure(t *testing.T) {
	f := &table{name: "bluegreen-locks", err: &ddbtypes.InternalServerError{Message: aws.String("internal")}}
	err := applock.New(f, "bluegreen-locks").Held(context.Background(), "demoapp", me)
	var lost *deploy.LockLostError
	var internal *ddbtypes.InternalServerError
	if errors.As(err, &lost) || !errors.As(err, &internal) {
		t.Errorf("Held = %v (%T), want the read's error, not a lost lock", err, err)
	}
}
