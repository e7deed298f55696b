package statemachine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/applock/applocktest"
	"github.com/bluegreen-aws/bluegreen/statemachine"
)

// dynamoTask is a DynamoDB task's parameters, each path ("S.$") taken as its own text.
type dynamoTask struct {
	TableName                 string
	Item, Key                 map[string]map[string]string
	UpdateExpression          string
	ConditionExpression       string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]map[string]string
}

func attrs(in map[string]map[string]string) map[string]ddbtypes.AttributeValue {
	out := map[string]ddbtypes.AttributeValue{}
	for k, v := range in {
		for typ, val := range v {
			switch strings.TrimSuffix(typ, ".$") {
			case "S":
				out[k] = &ddbtypes.AttributeValueMemberS{Value: val}
			case "N":
				out[k] = &ddbtypes.AttributeValueMemberN{Value: "1"}
			}
		}
	}
	return out
}

// Every DynamoDB task of the definition is a request DynamoDB accepts: its expressions parse, reserved words are
// named through placeholders, every placeholder is used (the shared lock-table fake judges them as DynamoDB does),
// and a write made by the execution holding the lock succeeds.
func TestDynamoDBTasksAreValidRequests(t *testing.T) {
	var m struct {
		States map[string]struct {
			Resource   string
			Parameters json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(statemachine.Definition), &m); err != nil {
		t.Fatal(err)
	}
	const holder = "$$.Execution.Id" // what ConditionHeld's value is bound to, taken as text
	seen := 0
	for name, s := range m.States {
		op, ok := strings.CutPrefix(s.Resource, "arn:aws:states:::dynamodb:")
		if !ok {
			continue
		}
		seen++
		var p dynamoTask
		if err := json.Unmarshal(s.Parameters, &p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		table := applocktest.New(p.TableName)
		if op != "putItem" {
			table.Put(applocktest.Item{applock.AttrApp: &ddbtypes.AttributeValueMemberS{Value: "$.app.name"},
				applock.AttrExecution: &ddbtypes.AttributeValueMemberS{Value: holder}})
		}
		ctx := context.Background()
		var err error
		switch op {
		case "putItem":
			_, err = table.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(p.TableName), Item: attrs(p.Item),
				ConditionExpression: aws.String(p.ConditionExpression), ExpressionAttributeNames: p.ExpressionAttributeNames,
				ExpressionAttributeValues: attrs(p.ExpressionAttributeValues)})
		case "updateItem":
			_, err = table.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(p.TableName), Key: attrs(p.Key),
				UpdateExpression: aws.String(p.UpdateExpression), ConditionExpression: aws.String(p.ConditionExpression),
				ExpressionAttributeNames: p.ExpressionAttributeNames, ExpressionAttributeValues: attrs(p.ExpressionAttributeValues)})
		case "deleteItem":
			_, err = table.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(p.TableName), Key: attrs(p.Key),
				ConditionExpression: aws.String(p.ConditionExpression), ExpressionAttributeNames: p.ExpressionAttributeNames,
				ExpressionAttributeValues: attrs(p.ExpressionAttributeValues)})
		default:
			t.Errorf("%s: DynamoDB operation %s, which the lock table is not written with", name, op)
			continue
		}
		if err != nil {
			t.Errorf("%s (%s): %v", name, op, err)
		}
		if it := table.Get("$.app.name"); op == "putItem" && applocktest.S(it, applock.AttrExecution) != holder {
			t.Errorf("%s: the put lock item %v does not name the execution", name, it)
		}
	}
	if seen == 0 {
		t.Fatal("no DynamoDB task in the definition")
	}
}
