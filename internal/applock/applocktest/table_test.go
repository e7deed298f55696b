package applocktest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/bluegreen-aws/bluegreen/internal/applock/applocktest"
)

func s(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }

func key() map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{"app": s("demoapp")}
}

// The rules below are DynamoDB's, as its developer guide documents them: "Reserved words in DynamoDB", "Expression
// attribute names", "Expression attribute values" (every value and name given must be used), "Condition
// expressions" (a failed condition is ConditionalCheckFailedException and writes nothing; ALL_OLD returns the item),
// "Update expressions" (each clause once; the key cannot be updated; if_not_exists).
func TestUpdateItemAsDynamoDB(t *testing.T) {
	tests := []struct {
		name      string
		update    string
		condition string
		names     map[string]string
		values    map[string]ddbtypes.AttributeValue
		wantCode  string // ValidationException, ConditionalCheckFailedException or ""
		want      map[string]string
	}{
		{name: "set under a held condition", update: "SET progress = :p", condition: "execution = :e",
			values: map[string]ddbtypes.AttributeValue{":p": s("created"), ":e": s("me")}, want: map[string]string{"progress": "created"}},
		{name: "a condition that fails writes nothing", update: "SET progress = :p", condition: "execution = :e",
			values: map[string]ddbtypes.AttributeValue{":p": s("created"), ":e": s("other")}, wantCode: "ConditionalCheckFailedException",
			want: map[string]string{"progress": "locked"}},
		{name: "a reserved word must be named", update: "SET plan = :v", values: map[string]ddbtypes.AttributeValue{":v": s("x")},
			wantCode: "ValidationException"},
		{name: "reserved words are not case-sensitive", update: "SET Action = :v", values: map[string]ddbtypes.AttributeValue{":v": s("x")},
			wantCode: "ValidationException"},
		{name: "a named reserved word", update: "SET #plan = :v", names: map[string]string{"#plan": "plan"},
			values: map[string]ddbtypes.AttributeValue{":v": s("x")}, want: map[string]string{"plan": "x"}},
		{name: "an unused value", update: "SET progress = :p", values: map[string]ddbtypes.AttributeValue{":p": s("x"), ":q": s("y")},
			wantCode: "ValidationException"},
		{name: "an unused name", update: "SET progress = :p", names: map[string]string{"#plan": "plan"},
			values: map[string]ddbtypes.AttributeValue{":p": s("x")}, wantCode: "ValidationException"},
		{name: "an undefined value", update: "SET progress = :p", wantCode: "ValidationException"},
		{name: "SET twice", update: "SET progress = :p SET step = :p", values: map[string]ddbtypes.AttributeValue{":p": s("x")},
			wantCode: "ValidationException"},
		{name: "the key", update: "SET app = :p", values: map[string]ddbtypes.AttributeValue{":p": s("x")}, wantCode: "ValidationException"},
		{name: "if_not_exists keeps a value", update: "SET execution = if_not_exists(execution, :v)",
			values: map[string]ddbtypes.AttributeValue{":v": s("new")}, want: map[string]string{"execution": "me"}},
		{name: "if_not_exists sets a missing one", update: "SET startedAt = if_not_exists(startedAt, :v), progress = :p",
			values: map[string]ddbtypes.AttributeValue{":v": s("t"), ":p": s("planned")}, want: map[string]string{"startedAt": "t", "progress": "planned"}},
		{name: "remove", update: "SET progress = :p REMOVE step, approvalToken", values: map[string]ddbtypes.AttributeValue{":p": s("x")},
			want: map[string]string{"step": "", "approvalToken": ""}},
		{name: "a grammar the fake does not know", update: "ADD step :p", values: map[string]ddbtypes.AttributeValue{":p": s("1")},
			wantCode: "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := applocktest.New("locks")
			f.Put(map[string]ddbtypes.AttributeValue{"app": s("demoapp"), "execution": s("me"), "progress": s("locked"),
				"step": &ddbtypes.AttributeValueMemberN{Value: "10"}, "approvalToken": s("tok")})
			in := &dynamodb.UpdateItemInput{TableName: aws.String("locks"), Key: key(), UpdateExpression: aws.String(tt.update),
				ExpressionAttributeNames: tt.names, ExpressionAttributeValues: tt.values,
				ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld}
			if tt.condition != "" {
				in.ConditionExpression = aws.String(tt.condition)
			}
			_, err := f.UpdateItem(context.Background(), in)
			code := ""
			var api smithy.APIError
			if errors.As(err, &api) {
				code = api.ErrorCode()
			} else if err != nil {
				t.Fatalf("UpdateItem = %v, not an API error", err)
			}
			if code != tt.wantCode {
				t.Fatalf("UpdateItem = %v, want code %q", err, tt.wantCode)
			}
			var failed *ddbtypes.ConditionalCheckFailedException
			if errors.As(err, &failed) && applocktest.S(failed.Item, "execution") != "me" {
				t.Errorf("ALL_OLD: the failed condition's item = %v, want the stored one", failed.Item)
			}
			if code != "" && f.Writes() != 0 {
				t.Errorf("a refused update wrote")
			}
			got := f.Get("demoapp")
			for k, v := range tt.want {
				if applocktest.S(got, k) != v && applocktest.N(got, k) != v {
					t.Errorf("%s = %q, want %q", k, applocktest.S(got, k)+applocktest.N(got, k), v)
				}
			}
		})
	}
}

func TestPutAndDeleteAsDynamoDB(t *testing.T) {
	ctx := context.Background()
	f := applocktest.New("locks")
	put := func(execution string) error {
		_, err := f.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("locks"),
			Item:                map[string]ddbtypes.AttributeValue{"app": s("demoapp"), "execution": s(execution)},
			ConditionExpression: aws.String("attribute_not_exists(app)")})
		return err
	}
	if err := put("me"); err != nil {
		t.Fatal(err)
	}
	var failed *ddbtypes.ConditionalCheckFailedException
	if err := put("other"); !errors.As(err, &failed) {
		t.Fatalf("a second put = %v, want ConditionalCheckFailedException", err)
	}
	del := func(execution string) error {
		_, err := f.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("locks"), Key: key(),
			ConditionExpression: aws.String("execution = :e"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":e": s(execution)}})
		return err
	}
	if err := del("other"); !errors.As(err, &failed) {
		t.Fatalf("a delete by another run = %v, want ConditionalCheckFailedException", err)
	}
	if err := del("me"); err != nil || f.Get("demoapp") != nil {
		t.Fatalf("delete by the holder = %v, item %v; want it gone", err, f.Get("demoapp"))
	}
	if _, err := f.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("other-table"), Key: key()}); err == nil ||
		!strings.Contains(err.Error(), "not found") {
		t.Errorf("another table = %v, want ResourceNotFoundException", err)
	}
}

// Scan pages as DynamoDB's ("Scanning tables in DynamoDB", "Paginating table scan results"): a page cut by its size
// or by Limit carries LastEvaluatedKey, even when it ends the table, and ExclusiveStartKey resumes after it.
func TestScanAsDynamoDB(t *testing.T) {
	ctx := context.Background()
	f := applocktest.New("locks")
	f.PageSize = 2
	for _, app := range []string{"e", "a", "d", "b"} {
		f.Put(map[string]ddbtypes.AttributeValue{"app": s(app), "execution": s("run-" + app), "plan": s("{}")})
	}
	scan := func(in dynamodb.ScanInput) (*dynamodb.ScanOutput, error) {
		in.TableName = aws.String("locks")
		return f.Scan(ctx, &in)
	}
	var pages [][]string
	var start map[string]ddbtypes.AttributeValue
	for range 5 {
		out, err := scan(dynamodb.ScanInput{ExclusiveStartKey: start, ConsistentRead: aws.Bool(true),
			ProjectionExpression: aws.String("app, #p"), ExpressionAttributeNames: map[string]string{"#p": "plan"}})
		if err != nil {
			t.Fatal(err)
		}
		var apps []string
		for _, it := range out.Items {
			if applocktest.S(it, "execution") != "" {
				t.Errorf("projection kept execution: %v", it)
			}
			apps = append(apps, applocktest.S(it, "app")+applocktest.S(it, "plan"))
		}
		pages = append(pages, apps)
		if int(out.Count) != len(out.Items) || out.ScannedCount != out.Count {
			t.Errorf("count %d, scanned %d, %d items", out.Count, out.ScannedCount, len(out.Items))
		}
		if start = out.LastEvaluatedKey; start == nil {
			break
		}
	}
	want := [][]string{{"a{}", "b{}"}, {"d{}", "e{}"}, nil}
	if fmt.Sprint(pages) != fmt.Sprint(want) {
		t.Errorf("pages %v, want %v (the last one empty: the second page was full)", pages, want)
	}
	if out, err := scan(dynamodb.ScanInput{Limit: aws.Int32(1), ConsistentRead: aws.Bool(true)}); err != nil || len(out.Items) != 1 || out.LastEvaluatedKey == nil {
		t.Errorf("Limit 1: %v %v", out, err)
	}
	if f.EventualReads() != 0 || f.Writes() != 0 {
		t.Errorf("%d eventual reads, %d writes", f.EventualReads(), f.Writes())
	}
	if _, err := scan(dynamodb.ScanInput{}); err != nil || f.EventualReads() != 1 {
		t.Errorf("an eventually consistent scan: %v, %d counted", err, f.EventualReads())
	}
	for name, in := range map[string]dynamodb.ScanInput{
		"a reserved word unnamed": {ProjectionExpression: aws.String("app, plan")},
		"an unused name":          {ExpressionAttributeNames: map[string]string{"#p": "plan"}},
		"a bad start key":         {ExclusiveStartKey: map[string]ddbtypes.AttributeValue{"execution": s("x")}},
		"a filter":                {FilterExpression: aws.String("progress = :p")},
		"limit 0":                 {Limit: aws.Int32(0)},
	} {
		var api smithy.APIError
		if _, err := scan(in); !errors.As(err, &api) || api.ErrorCode() != "ValidationException" {
			t.Errorf("%s: %v, want ValidationException", name, err)
		}
	}
}
