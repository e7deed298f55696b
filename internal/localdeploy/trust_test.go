package localdeploy_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// writes counts the calls that change records or stacks, as the gateway's request log saw them.
func (e *env) writes() int {
	g := e.d.AWS.Gateway
	return g.CountAll("route53", "ChangeResourceRecordSets") + g.CountAll("cloudformation", "CreateStack") + g.CountAll("cloudformation", "DeleteStack")
}

// runRaw starts an execution with input exactly as given (past the CLI's checks) and waits for it.
func (e *env) runRaw(name, input string) (string, operator.Result) {
	e.t.Helper()
	arn, r, err := e.d.RunRaw(e.ctx, name, input)
	if err != nil {
		e.t.Fatalf("run %s: %v", input, err)
	}
	return arn, r
}

// variants are spellings of a key that encoding/json alone would take for it: other letter cases and the Unicode
// folds that map to ASCII letters (U+017F for s, U+212A for k).
func variants(key string) []string {
	out := []string{strings.ToUpper(key[:1]) + key[1:], strings.ToUpper(key)}
	if strings.ContainsAny(key, "s") {
		out = append(out, strings.Replace(key, "s", "\u017f", 1))
	}
	if strings.ContainsAny(key, "k") {
		out = append(out, strings.Replace(key, "k", "\u212a", 1))
	}
	return out
}

// protectedValue is a value for a protected field that would reach another app's names or rights.
func protectedValue(field, otherZone string) any {
	switch field {
	case "hostedZoneId":
		return otherZone
	case "zone":
		return "other.example"
	case "host":
		return "shop.example.com"
	case "template":
		return map[string]any{"body": `{"Resources":{"Evil":{"Type":"AWS::SNS::Topic"}}}`}
	case "serviceRoleArn":
		return "arn:aws:iam::123456789012:role/admin"
	case "allowOverrides":
		return []string{"host"}
	}
	return true
}

// nest puts value at a dotted path under key spelt as given for its last label.
func nest(path []string, last string, value any) map[string]any {
	if len(path) == 1 {
		return map[string]any{last: value}
	}
	return map[string]any{path[0]: nest(path[1:], last, value)}
}

// Hostile execution inputs, started past the CLI as anyone allowed StartExecution could: each fails as invalid
// input, writes no record and creates no stack.
func TestHostileInputsWriteNothing(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	otherZone, err := e.d.AddZone(e.ctx, "example.org")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"an array":                   `[1,2,3]`,
		"a string":                   `"demoapp"`,
		"null":                       `null`,
		"a repeated app":             `{"app":"demoapp","version":"v1","app":"shop"}`,
		"a repeated key in config":   `{"app":"demoapp","version":"v1","config":{"keepFailedStack":false,"keepFailedStack":true}}`,
		"an unknown key":             `{"app":"demoapp","version":"v1","hostedZoneId":"` + otherZone + `"}`,
		"App in another letter case": `{"App":"demoapp","version":"v1"}`,
	}
	for _, field := range deploy.Protected {
		path := strings.Split(field, ".")
		value := protectedValue(path[len(path)-1], otherZone)
		plain, _ := json.Marshal(map[string]any{"app": "demoapp", "version": "v1", "config": nest(path, path[len(path)-1], value)})
		cases["override of "+field] = string(plain)
		for _, v := range variants(path[len(path)-1]) {
			body, _ := json.Marshal(map[string]any{"app": "demoapp", "version": "v1", "config": nest(path, v, value)})
			cases[fmt.Sprintf("override of %s spelt %q", field, v)] = string(body)
		}
	}
	n := 0
	for name, input := range cases {
		t.Run(name, func(t *testing.T) {
			e.t = t
			n++
			e.d.AWS.Gateway.ResetLog()
			_, r := e.runRaw(fmt.Sprintf("hostile-%d", n), input)
			if r.Status != "FAILED" || r.Error != "ValidationError" {
				t.Errorf("input %s: %s %s %s, want FAILED ValidationError", input, r.Status, r.Error, r.Cause)
			}
			if strings.Contains(r.Cause, "json:") || strings.Contains(r.Cause, "Go struct") || strings.Contains(r.Cause, "deploy.") {
				t.Errorf("the cause names Go internals: %s", r.Cause)
			}
			if w := e.writes(); w != 0 {
				t.Errorf("input %s: %d writes, want 0", input, w)
			}
		})
	}
	e.t = t
	if recs := e.status("demoapp").State.Records; len(recs) != 0 {
		t.Errorf("the app has records after refused inputs: %v", recs)
	}
}

// An S3 object key carrying quotes and JSON stays inside the artifact: the rule passes the event whole, and no
// override, second app or other host reaches the execution.
func TestS3KeyCannotInject(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	key := `demoapp/v1.zip","config":{"host":"shop.example.com"},"app":"shop","x":"`
	event := map[string]any{
		"version": "0", "id": "e1", "detail-type": "Object Created", "source": "aws.s3", "account": localdeploy.Account,
		"time": "2026-12-01T10:00:00Z", "region": "us-east-1", "resources": []string{"arn:aws:s3:::artifacts"},
		"detail": map[string]any{
			"version": "0", "bucket": map[string]any{"name": "artifacts"},
			"object":     map[string]any{"key": key, "size": 10, "etag": "x", "version-id": "3HL4kqtJlcpXroDTDmJ"},
			"request-id": "r", "requester": localdeploy.Account, "reason": "PutObject",
		},
	}
	body, _ := json.Marshal(map[string]any{"app": "demoapp", "event": event})
	arn, r := e.runRaw("s3-hostile-key", string(body))
	if r.Status != "SUCCEEDED" {
		t.Fatalf("%s %s %s\npath %v", r.Status, r.Error, r.Cause, operator.Names(r.Path))
	}
	s := e.live("demoapp", records.Blue, "")
	for _, rec := range s.State.Records {
		if strings.Contains(rec.Name, "shop") {
			t.Errorf("the key's JSON reached the records: %s", rec)
		}
	}
	outs := e.outputs(arn, "Prepare")
	if len(outs) != 1 {
		t.Fatalf("%d Prepare outputs", len(outs))
	}
	in := outs[0].Input
	if in.App != "demoapp" || in.Artifact != "s3://artifacts/"+key || in.Source != "s3" || len(in.Config) != 0 || outs[0].Config.Host != "demoapp.example.com" {
		t.Errorf("prepared input %+v, host %s; want the key verbatim in the artifact and nothing else from it", in, outs[0].Config.Host)
	}
}

// putLock leaves the app's lock as a run stopped at progress (with no plan) would.
func (e *env) putLock(app, execution string, progress deploy.Progress) {
	e.t.Helper()
	locks := applock.New(dynamodb.NewFromConfig(e.d.Config), localdeploy.LockTable)
	err := locks.Take(e.ctx, app, execution, deploy.ActionDeploy)
	if err == nil {
		err = locks.Record(e.ctx, app, execution, applock.Mark{Progress: progress})
	}
	if err != nil {
		e.t.Fatal(err)
	}
}

// A reconcile acts only for the run that holds the lock, never applies a refused run's overrides, and without a
// plan never chooses which release goes live; a repair does, after health checking the color the operator names.
func TestReconcileAndRepairOfHandEditedRecords(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	otherZone, err := e.d.AddZone(e.ctx, "example.org")
	if err != nil {
		t.Fatal(err)
	}
	e.deploy("demoapp", "v1")
	v2, r := e.run(deploy.Input{App: "demoapp", Version: "v2", Artifact: "s3://artifacts/demoapp/v2.zip"})
	if r.Status != "SUCCEEDED" {
		t.Fatalf("deploy v2: %s %s", r.Status, r.Cause)
	}
	s := e.live("demoapp", records.Green, e.status("demoapp").State.Slots[records.Blue])
	blueID, greenID := s.State.Slots[records.Blue], s.State.Slots[records.Green]

	// A refused run that carried another zone: its reconcile checks those overrides as a deploy does.
	refused, r := e.runRaw("refused-other-zone", `{"app":"demoapp","version":"v3","config":{"hostedZoneId":"`+otherZone+`"}}`)
	if r.Status != "FAILED" || r.Error != "ValidationError" {
		t.Fatalf("refused run: %s %s", r.Status, r.Error)
	}
	e.d.AWS.Gateway.ResetLog()
	_, r = e.runRaw("reconcile-refused", `{"action":"reconcile","execution":"`+refused+`"}`)
	if r.Status != "FAILED" || r.Error != "ValidationError" || !contains(r.Cause, "config.hostedZoneId cannot be overridden") {
		t.Errorf("reconcile of a refused run with overrides: %s %s %s", r.Status, r.Error, r.Cause)
	}
	// A succeeded run holds nothing: nothing to reconcile.
	_, r = e.run(deploy.Input{Action: deploy.ActionReconcile, Execution: v2})
	if r.Status != "SUCCEEDED" {
		t.Errorf("reconcile of a succeeded run: %s %s %s", r.Status, r.Error, r.Cause)
	}
	hasPath(t, r, "ReconcileChoice", "ReconcileSettle", "Done", "Unlock")
	if r.Output == nil || !contains(r.Output.Notice, "nothing to reconcile") {
		t.Errorf("reconcile of a succeeded run: notice %+v, want nothing to reconcile", r.Output)
	}
	if w := e.writes(); w != 0 {
		t.Errorf("reconciles that had nothing to do wrote %d times", w)
	}

	// By hand: stack.active names blue's (older) stack while green has all the traffic.
	if _, err := e.zoneApply(records.Batch{Comment: "hand edit", Changes: []records.Change{
		{Action: records.Upsert, Record: records.TXT(s.App.ActiveName(), records.TXTTTL, blueID)}}}); err != nil {
		t.Fatal(err)
	}
	if st := e.status("demoapp").State; st.Phase != records.PhaseInconsistent {
		t.Fatalf("hand-edited records read %s", st.Phase)
	}
	// A run stopped before its plan left the lock: its reconcile refuses the records and names the repair.
	e.putLock("demoapp", v2, deploy.ProgressLocked)
	e.d.AWS.Gateway.ResetLog()
	_, r = e.run(deploy.Input{Action: deploy.ActionReconcile, Execution: v2})
	if r.Status != "FAILED" || r.Error != "StateInconsistentError" || !contains(r.Cause, "bluegreen repair demoapp --live") {
		t.Errorf("reconcile without a plan on hand-edited records: %s %s %s", r.Status, r.Error, r.Cause)
	}
	if w := e.writes(); w != 0 {
		t.Errorf("the refused reconcile wrote %d times", w)
	}
	if st := e.status("demoapp").State; st.Weight(records.Green) != 100 || st.Active != blueID {
		t.Errorf("the refused reconcile moved traffic: green %d, active %s", st.Weight(records.Green), st.Active)
	}

	repair := func(live records.Color) operator.Result {
		t.Helper()
		e.d.AWS.Gateway.ResetLog()
		_, r := e.run(deploy.Input{Action: deploy.ActionRepair, App: "demoapp", Live: string(live)})
		return r
	}
	// A repair to an unhealthy stack refuses before any write.
	apps.Break("v1", true)
	if r = repair(records.Blue); r.Status != "FAILED" || r.Error != "HealthCheckError" || e.writes() != 0 {
		t.Errorf("repair to an unhealthy stack: %s %s, %d writes; want FAILED HealthCheckError and none", r.Status, r.Error, e.writes())
	}
	apps.Break("v1", false)
	// Each color in turn.
	for _, c := range []records.Color{records.Blue, records.Green} {
		r = repair(c)
		if r.Status != "SUCCEEDED" || r.Output == nil || r.Output.Repair == nil {
			t.Fatalf("repair to %s: %s %s %s\npath %v", c, r.Status, r.Error, r.Cause, operator.Names(r.Path))
		}
		hasPath(t, r, "RepairTargetHealth", "Repair", "Done", "Unlock")
		if n := e.d.AWS.Gateway.CountAll("route53", "ChangeResourceRecordSets"); n != 1 {
			t.Errorf("repair to %s: %d change batches, want 1", c, n)
		}
		idle := greenID
		if c == records.Green {
			idle = blueID
		}
		e.live("demoapp", c, idle)
	}
	// A repair to a stack that is gone refuses before any write.
	if _, err := cloudformation.NewFromConfig(e.d.Config).DeleteStack(e.ctx, &cloudformation.DeleteStackInput{StackName: aws.String("demoapp-" + blueID)}); err != nil {
		t.Fatal(err)
	}
	if r = repair(records.Blue); r.Status != "FAILED" || r.Error != "TargetMissingError" || e.writes() != 0 {
		t.Errorf("repair to a deleted stack: %s %s, %d writes; want FAILED TargetMissingError and none", r.Status, r.Error, e.writes())
	}
	if st := e.status("demoapp").State; st.ActiveColor != records.Green || st.Weight(records.Green) != 100 || st.Weight(records.Blue) != 0 {
		t.Errorf("after the refused repair: active %s, weights %d/%d; want green 100/0", st.ActiveColor, st.Weight(records.Blue), st.Weight(records.Green))
	}
}
