package localdeploy_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/eventbus"
	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/triggers"
)

// The triggers end to end: the rules of package triggers on the local AWS's EventBridge, S3, ECR and Step Functions
// sending their events, and no test code starting a release, a sweep or a reconcile.

var demoTriggers = localdeploy.Triggers{Apps: []triggers.App{{Name: "demoapp", EcrRepository: "demoapp"}}, ImmutableTags: true}

func (e *env) installTriggers(t localdeploy.Triggers) {
	e.t.Helper()
	if err := e.d.InstallTriggers(e.ctx, t); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) s3() *s3.Client {
	return s3.NewFromConfig(e.d.Config, func(o *s3.Options) { o.UsePathStyle = true })
}

// startedBy waits until the event bus has handled an event that match accepts (10 s at most) and everything before
// it, and returns the executions that event's rules started.
func (e *env) startedBy(what string, match func(r eventbus.Record, event map[string]any) bool) []string {
	e.t.Helper()
	bus := e.d.AWS.Gateway.Events()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		for _, r := range bus.Records() {
			var ev map[string]any
			if json.Unmarshal(r.Event, &ev) != nil || !match(r, ev) {
				continue
			}
			if err := bus.WaitIdle(e.ctx); err != nil {
				e.t.Fatal(err)
			}
			var arns []string
			for _, d := range r.Deliveries {
				if d.Error != "" {
					e.t.Errorf("%s: delivery to %s failed: %s", what, d.Target, d.Error)
				}
				if d.Execution != "" {
					arns = append(arns, d.Execution)
				}
			}
			return arns
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no event on the bus after 10 s: %s", what)
		}
	}
}

// objectCreated matches the S3 event of an object.
func objectCreated(key string) func(eventbus.Record, map[string]any) bool {
	return func(r eventbus.Record, ev map[string]any) bool {
		d, _ := ev["detail"].(map[string]any)
		o, _ := d["object"].(map[string]any)
		return r.DetailType == "Object Created" && o["key"] == key
	}
}

// statusOf matches an execution's status event.
func statusOf(arn, status string) func(eventbus.Record, map[string]any) bool {
	return func(r eventbus.Record, ev map[string]any) bool {
		d, _ := ev["detail"].(map[string]any)
		return r.DetailType == "Step Functions Execution Status Change" && d["executionArn"] == arn && d["status"] == status
	}
}

// one requires exactly one execution and waits for it to end.
func (e *env) one(what string, arns []string) (string, operator.Result) {
	e.t.Helper()
	if len(arns) != 1 {
		e.t.Fatalf("%s started %v, want one execution", what, arns)
	}
	r, err := e.d.Operator.Wait(e.ctx, arns[0], 50*time.Millisecond, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return arns[0], r
}

// release is the input an execution started with, its release derived as Prepare derives it.
func (e *env) release(arn string) deploy.Input {
	e.t.Helper()
	d, err := e.d.Operator.SFN.(*sfn.Client).DescribeExecution(e.ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		e.t.Fatal(err)
	}
	in, err := deploy.CheckInput([]byte(aws.ToString(d.Input)))
	if err != nil {
		e.t.Fatalf("the input %s: %v", aws.ToString(d.Input), err)
	}
	return in
}

// stackParameter returns a parameter of the stack of app id.
func (e *env) stackParameter(id, key string) string {
	e.t.Helper()
	out, err := cloudformation.NewFromConfig(e.d.Config).DescribeStacks(e.ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("demoapp-" + id)})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, p := range out.Stacks[0].Parameters {
		if aws.ToString(p.ParameterKey) == key {
			return aws.ToString(p.ParameterValue)
		}
	}
	return ""
}

func TestUploadsStartReleases(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	e.installTriggers(demoTriggers)
	c := e.s3()
	bucket := aws.String(localdeploy.ArtifactBucket)

	put, err := c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("demoapp/releases/v1.zip"), Body: strings.NewReader("release one")})
	if err != nil {
		t.Fatal(err)
	}
	arn, r := e.one("the upload of v1", e.startedBy("v1's Object Created", objectCreated("demoapp/releases/v1.zip")))
	if r.Status != "SUCCEEDED" {
		t.Fatalf("the release of the upload: %s %s %s\n%v", r.Status, r.Error, r.Cause, operator.Names(r.Path))
	}
	hasPath(t, r, "Prepare", "Lock", "Plan", "Create", "Publish", "Switch", "Done", "Succeeded")
	want := deploy.Input{Action: deploy.ActionDeploy, App: "demoapp", Version: aws.ToString(put.VersionId), Artifact: "s3://" + localdeploy.ArtifactBucket + "/demoapp/releases/v1.zip", Source: "s3"}
	if diff := cmp.Diff(e.release(arn), want, ignoreEvent); diff != "" {
		t.Errorf("the release (-got +want):\n%s", diff)
	}
	blue := e.live("demoapp", records.Blue, "").State.Active
	if v, a := e.stackParameter(blue, "Version"), e.stackParameter(blue, "Artifact"); v != want.Version || a != want.Artifact {
		t.Errorf("the stack runs version %q, artifact %q; want the object's version id and URI", v, a)
	}

	// A multipart upload is one event, and one release.
	up, err := c.CreateMultipartUpload(e.ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: aws.String("demoapp/releases/v2.zip")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []s3types.CompletedPart
	for i, body := range [][]byte{bytes.Repeat([]byte("2"), 5<<20), []byte("end")} {
		p, err := c.UploadPart(e.ctx, &s3.UploadPartInput{Bucket: bucket, Key: aws.String("demoapp/releases/v2.zip"), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, s3types.CompletedPart{ETag: p.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	done, err := c.CompleteMultipartUpload(e.ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: aws.String("demoapp/releases/v2.zip"),
		UploadId: up.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	arn, r = e.one("the multipart upload of v2", e.startedBy("v2's Object Created", objectCreated("demoapp/releases/v2.zip")))
	if r.Status != "SUCCEEDED" {
		t.Fatalf("the release of the multipart upload: %s %s %s", r.Status, r.Error, r.Cause)
	}
	if got := e.release(arn); got.Version != aws.ToString(done.VersionId) || got.Artifact != "s3://"+localdeploy.ArtifactBucket+"/demoapp/releases/v2.zip" {
		t.Errorf("the multipart release: %+v", got)
	}
	e.live("demoapp", records.Green, blue)

	// An object under another prefix starts nothing.
	if _, err := c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("shop/v1.zip"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	if got := e.startedBy("shop's Object Created", objectCreated("shop/v1.zip")); len(got) != 0 {
		t.Errorf("an object under shop/ started %v", got)
	}
	if n := len(e.executions(e.d.StateMachine)); n != 2 {
		t.Errorf("%d executions, want the two releases", n)
	}
}

var ignoreEvent = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Event" }, cmp.Ignore())

// manifest is an image manifest; layer makes it unique (its digest is its SHA-256).
func manifest(layer string) string {
	return `{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": "sha256:` +
		strings.Repeat("0", 64) + `"}, "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1, "digest": "sha256:` + strings.Repeat(layer, 64) + `"}]}`
}

func TestPushesStartReleases(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	e.installTriggers(demoTriggers)
	c := ecr.NewFromConfig(e.d.Config)
	push := func(tag, layer string) (*ecr.PutImageOutput, error) {
		return c.PutImage(e.ctx, &ecr.PutImageInput{RepositoryName: aws.String("demoapp"), ImageTag: aws.String(tag), ImageManifest: aws.String(manifest(layer))})
	}
	pushed, err := push("1.0", "1")
	if err != nil {
		t.Fatal(err)
	}
	digest := aws.ToString(pushed.Image.ImageId.ImageDigest)
	pushEvent := func(result string) func(eventbus.Record, map[string]any) bool {
		return func(r eventbus.Record, ev map[string]any) bool {
			d, _ := ev["detail"].(map[string]any)
			return r.DetailType == "ECR Image Action" && d["result"] == result
		}
	}
	arn, r := e.one("the push of 1.0", e.startedBy("the push's ECR Image Action", pushEvent("SUCCESS")))
	if r.Status != "SUCCEEDED" {
		t.Fatalf("the release of the push: %s %s %s", r.Status, r.Error, r.Cause)
	}
	want := deploy.Input{Action: deploy.ActionDeploy, App: "demoapp", Version: "1.0", Artifact: localdeploy.Account + ".dkr.ecr.us-east-1.amazonaws.com/demoapp@" + digest, Source: "ecr"}
	if diff := cmp.Diff(e.release(arn), want, ignoreEvent); diff != "" {
		t.Errorf("the release (-got +want):\n%s", diff)
	}
	e.live("demoapp", records.Blue, "")

	// A push ECR refuses (the tag exists and tags are immutable) is a FAILURE event: it starts nothing.
	if _, err := push("1.0", "2"); err == nil {
		t.Fatal("a second push of tag 1.0 was accepted")
	}
	if got := e.startedBy("the failed push's ECR Image Action", pushEvent("FAILURE")); len(got) != 0 {
		t.Errorf("a failed push started %v", got)
	}
}

// executions returns a state machine's executions, oldest first.
func (e *env) executions(machine string) []sfntypes.ExecutionListItem {
	e.t.Helper()
	out, err := e.d.Operator.SFN.(*sfn.Client).ListExecutions(e.ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine)})
	if err != nil {
		e.t.Fatal(err)
	}
	items := out.Executions
	for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
		items[i], items[j] = items[j], items[i]
	}
	return items
}

// reconciles returns the reconcile executions of the deployer's state machine (recognised by their names).
func (e *env) reconciles() []sfntypes.ExecutionListItem {
	var out []sfntypes.ExecutionListItem
	for _, x := range e.executions(e.d.StateMachine) {
		if triggers.IsReconcile(aws.ToString(x.Name)) {
			out = append(out, x)
		}
	}
	return out
}

// stopMidShift deploys v1, then starts v2 baking its first step for ten minutes, stops it there and waits for it
// to be ABORTED; it returns the stopped run and the records before it.
func (e *env) stopMidShift() (string, operator.Status) {
	e.t.Helper()
	e.deploy("demoapp", "v1")
	before := e.status("demoapp")
	slow, err := e.d.Operator.Start(e.ctx, deploy.Input{App: "demoapp", Version: "v2", Config: []byte(`{"strategy": {"bakeSeconds": 600}}`)})
	if err != nil {
		e.t.Fatal(err)
	}
	waitFor(e.t, "the deployment bakes at 10%", func() bool { return e.lockProgress("demoapp") == "shifting" })
	if _, err := e.d.Operator.SFN.(*sfn.Client).StopExecution(e.ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(slow)}); err != nil {
		e.t.Fatal(err)
	}
	return slow, before
}

// reconciled waits for the one reconcile of the stopped run, named for it, and checks that it put the records back.
func (e *env) reconciled(slow string, before operator.Status) {
	e.t.Helper()
	name := triggers.ReconcileName("demoapp", slow)
	var arn string
	waitFor(e.t, "the reconcile starts", func() bool {
		for _, x := range e.reconciles() {
			arn = aws.ToString(x.ExecutionArn)
		}
		return arn != ""
	})
	if !strings.HasSuffix(arn, ":"+name) {
		e.t.Fatalf("the reconcile is %s, want it named %s", arn, name)
	}
	r, err := e.d.Operator.Wait(e.ctx, arn, 50*time.Millisecond, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if r.Status != "SUCCEEDED" {
		e.t.Fatalf("reconcile: %s %s %s\n%v", r.Status, r.Error, r.Cause, operator.Names(r.Path))
	}
	hasPath(e.t, r, "Prepare", "Lock", "TakeOverLock", "Plan", "ReconcileChoice", "ReconcileRestore", "Done", "Unlock", "Succeeded")
	after := e.live("demoapp", records.Blue, "")
	if diff := cmp.Diff(managedRecords(before), managedRecords(after)); diff != "" {
		e.t.Errorf("records after the reconcile (-before +after):\n%s", diff)
	}
	if in := e.release(arn); in.Execution != slow || in.Source != "sweep" {
		e.t.Errorf("the reconcile's input %+v", in)
	}
	if n := len(e.reconciles()); n != 1 {
		e.t.Errorf("%d reconciles, want one", n)
	}
}

// A run stopped mid-shift: its status event starts a sweep, the sweep its reconcile, and traffic is back on the
// live stack. The reconcile's own end, even aborted, starts nothing.
func TestTheStatusChangeRuleReconcilesAStoppedRun(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	e.installTriggers(demoTriggers)
	slow, before := e.stopMidShift()
	sweeps := e.startedBy("the stopped run's status change", statusOf(slow, "ABORTED"))
	if len(sweeps) != 1 || !strings.Contains(sweeps[0], ":execution:"+localdeploy.SweeperName+":") {
		t.Fatalf("the stop started %v, want one sweep", sweeps)
	}
	e.reconciled(slow, before)
	if _, r := e.one("the sweep", sweeps); r.Status != "SUCCEEDED" || r.Output == nil || r.Output.Sweep == nil || len(r.Output.Sweep.Locks) != 1 || !r.Output.Sweep.Locks[0].Started {
		t.Errorf("the sweep: %s, output %+v", r.Status, r.Output)
	}
	for _, x := range e.reconciles() {
		if got := e.startedBy("the reconcile's end", statusOf(aws.ToString(x.ExecutionArn), "SUCCEEDED")); len(got) != 0 {
			t.Errorf("the reconcile's end started %v", got)
		}
	}

	// A reconcile an operator starts, stopped while it prepares: its ABORTED event matches no rule.
	hold := e.d.AWS.Gateway.HoldInvoke("createstack", 0)
	manual, err := e.d.Operator.Start(e.ctx, deploy.Input{Action: deploy.ActionReconcile, Execution: slow})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-hold.Arrived():
	case <-time.After(30 * time.Second):
		t.Fatal("the reconcile never called createstack")
	}
	if _, err := e.d.Operator.SFN.(*sfn.Client).StopExecution(e.ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(manual)}); err != nil {
		t.Fatal(err)
	}
	hold.Release()
	if got := e.startedBy("the stopped reconcile's status change", statusOf(manual, "ABORTED")); len(got) != 0 {
		t.Errorf("a stopped reconcile (%s) started %v", manual, got)
	}
	if n := len(e.executions(e.d.Sweeper)); n != 1 {
		t.Errorf("%d sweeps, want the one the stopped deployment started", n)
	}
}

// Events are best effort: without the status-change rule, the schedule's sweep alone reconciles a stopped run, and
// two sweeps (the clock passing two periods) start one reconcile.
func TestTheScheduleAloneReconcilesAStoppedRun(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	noStatusRule := demoTriggers
	noStatusRule.Without = []string{"SweepOnStop"}
	e.installTriggers(noStatusRule)
	slow, before := e.stopMidShift()
	if got := e.startedBy("the stopped run's status change", statusOf(slow, "ABORTED")); len(got) != 0 {
		t.Fatalf("without the status-change rule, the stop started %v", got)
	}
	if p := e.lockProgress("demoapp"); p != "shifting" || len(e.reconciles()) != 0 {
		t.Fatalf("before any sweep: progress %q, reconciles %v", p, e.reconciles())
	}
	if err := e.d.AWS.Gateway.Events().Advance(10 * time.Minute); err != nil {
		t.Fatal(err)
	}
	e.reconciled(slow, before)
	sweeps := e.executions(e.d.Sweeper)
	if len(sweeps) != 2 {
		t.Fatalf("%d sweeps after two periods, want 2", len(sweeps))
	}
	for _, s := range sweeps {
		if r, err := e.d.Operator.Wait(e.ctx, aws.ToString(s.ExecutionArn), 50*time.Millisecond, nil); err != nil || r.Status != "SUCCEEDED" {
			t.Errorf("sweep %s: %v %v", aws.ToString(s.Name), r.Status, err)
		}
	}
}

// A sweep with nothing to do writes nothing and enters three states.
func TestASweepWithNothingToDo(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	e.installTriggers(demoTriggers)
	e.deploy("demoapp", "v1")
	gw := e.d.AWS.Gateway
	gw.ResetLog()
	if err := gw.Events().Advance(5 * time.Minute); err != nil {
		t.Fatal(err)
	}
	_, r := e.one("the schedule", e.startedBy("the scheduled event", func(r eventbus.Record, _ map[string]any) bool { return r.DetailType == "Scheduled Event" }))
	if r.Status != "SUCCEEDED" || r.Output == nil || r.Output.Sweep == nil || len(r.Output.Sweep.Locks) != 0 {
		t.Fatalf("the sweep: %s %s %s, output %+v", r.Status, r.Error, r.Cause, r.Output)
	}
	if diff := cmp.Diff(operator.Names(r.Path), []string{"Start", "Sweep", "Swept"}); diff != "" {
		t.Errorf("the sweep's path (-got +want):\n%s", diff)
	}
	for _, op := range []string{"PutItem", "UpdateItem", "DeleteItem"} {
		if n := gw.CountAll("dynamodb", op); n != 0 {
			t.Errorf("the sweep made %d DynamoDB %s", n, op)
		}
	}
	if n := gw.CountAll("dynamodb", "Scan"); n != 1 {
		t.Errorf("%d Scans, want one", n)
	}
	if n := gw.CountAll("states", "StartExecution"); n != 1 {
		t.Errorf("%d StartExecutions, want only the schedule's start of the sweep", n)
	}
}
