package localaws_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
)

// The S3 rule of the tests: objects created under app/ in the bucket start an execution whose input is the app's
// name and the whole event, unquoted in the template (valid on AWS; moto's own transformer answered 500).
const (
	s3Pattern  = `{"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": ["artifacts"]}, "object": {"key": [{"prefix": "app/"}]}}}`
	s3Template = `{"app": "app", "event": <aws.events.event.json>}`
)

// startedEvents returns the events of the executions a rule's target started (their input's "event").
func startedEvents(t *testing.T, c clients, machine string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, in := range c.executions(t, machine) {
		var doc struct {
			App   string          `json:"app"`
			Event json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal([]byte(in), &doc); err != nil || doc.App != "app" {
			t.Fatalf("execution input %s (%v): want the app and the event", in, err)
		}
		out = append(out, decode(t, doc.Event))
	}
	return out
}

func TestS3ObjectCreatedStartsAnExecutionWithTheTransformedEvent(t *testing.T) {
	a := localawstest.Use(t, local)
	c := eventClients(t, a)
	machine := createStateMachine(t, c.sfn, "deploy", passMachine)
	c.eventBucket(t, "artifacts", true)
	c.eventBucket(t, "unversioned", false)
	c.rule(t, "upload", s3Pattern, machine, &ebtypes.InputTransformer{InputTemplate: aws.String(s3Template)})

	put := c.put(t, "artifacts", "app/v1.zip", "release one")
	up := c.multipart(t, "artifacts", "app/big.zip")
	if _, err := c.s3.CopyObject(t.Context(), &s3.CopyObjectInput{Bucket: aws.String("artifacts"), Key: aws.String("app/copy.zip"),
		CopySource: aws.String("artifacts/app/v1.zip")}); err != nil {
		t.Fatal(err)
	}
	c.put(t, "artifacts", "other/v1.zip", "not the app's")
	c.put(t, "unversioned", "app/v1.zip", "another bucket")
	events := busEvents(t, a, "Object Created", 5)

	started := startedEvents(t, c, machine)
	if len(started) != 3 {
		t.Fatalf("%d executions, want 3 (put, multipart, copy): %v", len(started), started)
	}
	byReason := map[string]map[string]any{}
	for _, e := range started {
		d := e["detail"].(map[string]any)
		byReason[d["reason"].(string)] = e
	}
	e := byReason["PutObject"]
	if e == nil || byReason["CompleteMultipartUpload"] == nil || byReason["CopyObject"] == nil {
		t.Fatalf("reasons %v, want PutObject, CompleteMultipartUpload and CopyObject once each", byReason)
	}
	// The documented shape ("EventBridge event message structure", Amazon S3 User Guide).
	for _, k := range []string{"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"} {
		if _, ok := e[k]; !ok {
			t.Errorf("the event has no %s: %v", k, e)
		}
	}
	d := e["detail"].(map[string]any)
	obj := d["object"].(map[string]any)
	want := map[string]any{"key": "app/v1.zip", "size": float64(len("release one")), "etag": strings.Trim(aws.ToString(put.ETag), `"`),
		"version-id": aws.ToString(put.VersionId), "sequencer": obj["sequencer"]}
	if diff := cmp.Diff(obj, want); diff != "" || obj["sequencer"] == "" {
		t.Errorf("detail.object (-got +want):\n%s", diff)
	}
	if d["bucket"].(map[string]any)["name"] != "artifacts" || d["requester"] != gateway.Account || e["source"] != "aws.s3" ||
		e["resources"].([]any)[0] != "arn:aws:s3:::artifacts" {
		t.Errorf("event %v", e)
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", e["time"].(string)); err != nil {
		t.Errorf("time %v: %v", e["time"], err)
	}
	mp := byReason["CompleteMultipartUpload"]["detail"].(map[string]any)["object"].(map[string]any)
	if mp["key"] != "app/big.zip" || mp["version-id"] != aws.ToString(up.VersionId) || mp["size"] != float64(5<<20+4) {
		t.Errorf("multipart object %v", mp)
	}
	for _, r := range events {
		d := decode(t, r.Event)["detail"].(map[string]any)
		key := d["object"].(map[string]any)["key"]
		_, hasVersion := d["object"].(map[string]any)["version-id"]
		switch {
		case key == "other/v1.zip" && len(r.Rules) != 0:
			t.Errorf("an object under another prefix matched %v", r.Rules)
		case d["bucket"].(map[string]any)["name"] == "unversioned" && (len(r.Rules) != 0 || hasVersion):
			t.Errorf("the unversioned bucket's event matched %v, version id given: %v", r.Rules, hasVersion)
		}
	}
}

func TestECRPushSendsImageActions(t *testing.T) {
	a := localawstest.Use(t, local)
	c := eventClients(t, a)
	c.repository(t, "demoapp", true)
	pushed, err := c.push("demoapp", "1.0", strings.Repeat("1", 64))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.push("demoapp", "1.0", strings.Repeat("2", 64)); err == nil {
		t.Fatal("a second push of an immutable tag was accepted")
	}
	events := busEvents(t, a, "ECR Image Action", 2)
	ok, failed := decode(t, events[0].Event), decode(t, events[1].Event)
	want := map[string]any{"result": "SUCCESS", "repository-name": "demoapp", "image-digest": aws.ToString(pushed.Image.ImageId.ImageDigest),
		"action-type": "PUSH", "image-tag": "1.0"}
	if diff := cmp.Diff(ok["detail"], any(want)); diff != "" || ok["source"] != "aws.ecr" {
		t.Errorf("push event (-got +want):\n%s", diff)
	}
	if d := failed["detail"].(map[string]any); d["result"] != "FAILURE" || d["image-tag"] != "1.0" {
		t.Errorf("failed push event %v", d)
	}
}

func TestExecutionsSendStatusChanges(t *testing.T) {
	a := localawstest.Use(t, local)
	c := eventClients(t, a)
	machine := createStateMachine(t, c.sfn, "work", `{"StartAt": "Go", "States": {"Go": {"Type": "Choice", "Choices": [
		{"Variable": "$.fail", "IsPresent": true, "Next": "Fail"}, {"Variable": "$.wait", "IsPresent": true, "Next": "Wait"}], "Default": "Done"},
		"Wait": {"Type": "Wait", "Seconds": 60, "Next": "Done"}, "Fail": {"Type": "Fail", "Error": "Broken", "Cause": "on purpose"}, "Done": {"Type": "Succeed"}}}`)
	watcher := createStateMachine(t, c.sfn, "watcher", passMachine)
	c.rule(t, "stopped", `{"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"], "detail": {"status": ["ABORTED", "TIMED_OUT"], "stateMachineArn": ["`+machine+`"]}}`,
		watcher, &ebtypes.InputTransformer{InputPathsMap: map[string]string{"execution": "$.detail.executionArn"}, InputTemplate: aws.String(`{"stopped": <execution>}`)})

	done := startExecution(t, c.sfn, machine, "done", `{"n": 1}`)
	failed := startExecution(t, c.sfn, machine, "failed", `{"fail": true}`)
	stopped := startExecution(t, c.sfn, machine, "stopped", `{"wait": true}`)
	waitExecution(t, c.sfn, done, 10*time.Second)
	waitExecution(t, c.sfn, failed, 10*time.Second)
	if _, err := c.sfn.StopExecution(t.Context(), &sfn.StopExecutionInput{ExecutionArn: aws.String(stopped)}); err != nil {
		t.Fatal(err)
	}
	events := busEvents(t, a, "Step Functions Execution Status Change", 6)
	byExecution := map[string][]map[string]any{}
	for _, r := range events {
		d := decode(t, r.Event)["detail"].(map[string]any)
		byExecution[d["executionArn"].(string)] = append(byExecution[d["executionArn"].(string)], d)
	}
	for arn, want := range map[string]string{done: "SUCCEEDED", failed: "FAILED", stopped: "ABORTED"} {
		got := byExecution[arn]
		if len(got) != 2 || got[0]["status"] != "RUNNING" || got[1]["status"] != want {
			t.Errorf("%s: events %v, want RUNNING then %s", arn, got, want)
			continue
		}
		end := got[1]
		if end["stateMachineArn"] != machine || end["stopDate"] == nil || end["startDate"] == nil || end["inputDetails"] == nil || got[0]["stopDate"] != nil {
			t.Errorf("%s ended: %v", arn, end)
		}
	}
	if d := byExecution[done][1]; d["output"] != `{"n":1}` || d["input"] != `{"n":1}` {
		t.Errorf("succeeded: input %v, output %v", d["input"], d["output"])
	}
	if d := byExecution[failed][1]; d["error"] != "Broken" || d["cause"] != "on purpose" || d["output"] != nil {
		t.Errorf("failed: error %v, cause %v, output %v", d["error"], d["cause"], d["output"])
	}
	if got := c.executions(t, watcher); len(got) != 1 || got[0] != `{"stopped": "`+stopped+`"}` {
		t.Errorf("the status rule started %v, want one execution for the stopped run", got)
	}
}

func TestPutEventsAndSchedules(t *testing.T) {
	a := localawstest.Use(t, local)
	c := eventClients(t, a)
	machine := createStateMachine(t, c.sfn, "target", passMachine)
	c.rule(t, "orders", `{"source": ["shop"], "detail": {"total": [{"numeric": [">", 100]}]}}`, machine, nil)
	out, err := c.eb.PutEvents(t.Context(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("shop"), DetailType: aws.String("order"), Detail: aws.String(`{"total": 120}`)},
		{Source: aws.String("shop"), DetailType: aws.String("order"), Detail: aws.String(`{"total": 80}`)},
		{Source: aws.String("aws.s3"), DetailType: aws.String("Object Created"), Detail: aws.String(`{}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 1 || aws.ToString(out.Entries[2].ErrorCode) != "NotAuthorizedForSourceException" || aws.ToString(out.Entries[0].EventId) == "" {
		t.Errorf("PutEvents answered %d failed, entries %+v", out.FailedEntryCount, out.Entries)
	}
	busEvents(t, a, "order", 2)
	if got := c.executions(t, machine); len(got) != 1 || decode(t, []byte(got[0]))["detail"].(map[string]any)["total"] != float64(120) {
		t.Errorf("executions %v, want the whole event of the order over 100", got)
	}

	sweeps := createStateMachine(t, c.sfn, "sweeps", passMachine)
	if _, err := c.eb.PutRule(t.Context(), &eventbridge.PutRuleInput{Name: aws.String("every5"), ScheduleExpression: aws.String("rate(5 minutes)")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.eb.PutTargets(t.Context(), &eventbridge.PutTargetsInput{Rule: aws.String("every5"), Targets: []ebtypes.Target{
		{Id: aws.String("1"), Arn: aws.String(sweeps), RoleArn: aws.String(roleARN), Input: aws.String(`{"sweep": true}`)}}}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(a.Endpoint+gateway.ControlPrefix+"events/clock?advance=6m", "", nil)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("advance the clock: %v %v", resp, err)
	}
	busEvents(t, a, "Scheduled Event", 1)
	if got := c.executions(t, sweeps); len(got) != 1 || got[0] != `{"sweep": true}` {
		t.Errorf("the schedule started %v", got)
	}
	// A delivery the target refuses is recorded, not retried: here an input that is not JSON (AWS answers
	// InvalidExecutionInput; moto a 400 of its own).
	c.rule(t, "broken", `{"source": ["shop"]}`, machine, &ebtypes.InputTransformer{InputPathsMap: map[string]string{"t": "$.detail.total"}, InputTemplate: aws.String(`{"t": <t>`)})
	if _, err := c.eb.PutEvents(t.Context(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("shop"), DetailType: aws.String("refused"), Detail: aws.String(`{"total": 1}`)}}}); err != nil {
		t.Fatal(err)
	}
	r := busEvents(t, a, "refused", 1)[0]
	if len(r.Deliveries) != 1 || r.Deliveries[0].Execution != "" || r.Deliveries[0].Attempts != 1 || !strings.Contains(r.Deliveries[0].Error, "StatusCode: 400") {
		t.Errorf("deliveries %+v, want one refused attempt", r.Deliveries)
	}
	var apiErr interface{ ErrorCode() string }
	_, err = c.eb.PutEvents(t.Context(), &eventbridge.PutEventsInput{Entries: make([]ebtypes.PutEventsRequestEntry, 11)})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationException" {
		t.Errorf("11 entries: %v, want ValidationException", err)
	}
}
