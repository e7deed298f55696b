package localdeploy_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// waitFor polls until cond holds, failing the test after a while.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lockProgress returns an app's lock progress, "" when unlocked.
func (e *env) lockProgress(app string) string {
	l, err := e.d.Operator.Lock(e.ctx, app)
	if err != nil {
		e.t.Fatal(err)
	}
	if l == nil {
		return ""
	}
	return string(l.Progress)
}

func TestLockStopAndReconcile(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	e.deploy("demoapp", "v1")
	before := e.status("demoapp")

	// A deployment bakes its first step for a long time...
	slow, err := e.d.Operator.Start(e.ctx, deploy.Input{App: "demoapp", Version: "v2", Config: []byte(`{"strategy": {"bakeSeconds": 600}}`)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deployment bakes at 10%", func() bool { return e.lockProgress("demoapp") == "shifting" })
	if w := e.status("demoapp").State; w.Phase != records.PhaseMoving || w.Weight(records.Green) != 10 {
		t.Fatalf("mid-deployment state %s, green weight %d, problems %v; want moving at 10", w.Phase, w.Weight(records.Green), w.Problems)
	}

	// ... so another run fails fast, naming it, and writes nothing.
	e.d.AWS.Gateway.ResetLog()
	_, r := e.run(deploy.Input{App: "demoapp", Version: "v3"})
	if r.Status != "FAILED" || r.Error != "LockHeldError" || !contains(r.Cause, slow) {
		t.Fatalf("second run: %s %s %s, want FAILED LockHeldError naming %s", r.Status, r.Error, r.Cause, slow)
	}
	hasPath(t, r, "Lock", "TakeOverLock", "NotifyLocked", "FailLocked")
	if n := e.d.AWS.Gateway.CountAll("route53", "ChangeResourceRecordSets") + e.d.AWS.Gateway.CountAll("cloudformation", "CreateStack"); n != 0 {
		t.Errorf("the refused run made %d writes", n)
	}

	// The slow run is stopped mid-shift: its lock stays, and only a reconcile may take it.
	if _, err := e.d.Operator.SFN.(*sfn.Client).StopExecution(e.ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(slow)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stopped run ends", func() bool {
		d, err := e.d.Operator.Describe(e.ctx, slow)
		return err == nil && d.Status == "ABORTED"
	})
	_, r = e.run(deploy.Input{App: "demoapp", Version: "v3"})
	if r.Status != "FAILED" || r.Error != "ReconcileRequiredError" {
		t.Fatalf("run after the stop: %s %s %s, want FAILED ReconcileRequiredError", r.Status, r.Error, r.Cause)
	}
	if e.lockProgress("demoapp") != "shifting" {
		t.Errorf("the stopped run's lock changed: %q", e.lockProgress("demoapp"))
	}

	// The reconcile restores the records the stopped run's plan recorded and deletes its stack.
	_, r = e.run(deploy.Input{Action: deploy.ActionReconcile, Execution: slow})
	if r.Status != "SUCCEEDED" {
		t.Fatalf("reconcile: %s %s %s\n%v", r.Status, r.Error, r.Cause, operator.Names(r.Path))
	}
	hasPath(t, r, "Prepare", "Lock", "TakeOverLock", "Plan", "ReconcileChoice", "ReconcileRestore", "ReconcileDrain", "ReconcileDiscard", "Done", "Unlock", "Succeeded")
	after := e.live("demoapp", records.Blue, "")
	if diff := cmp.Diff(managedRecords(before), managedRecords(after)); diff != "" {
		t.Errorf("records after the reconcile (-before +after):\n%s", diff)
	}
	if len(after.Unslotted) != 0 {
		t.Errorf("the stopped run's stack is left: %+v", after.Unslotted)
	}
	e.deploy("demoapp", "v3")
}

func TestReconcileAfterTheWatchFinishesTheCleanupAndTheStoppedRunCannotWrite(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	e.deploy("demoapp", "v1")
	e.deploy("demoapp", "v2")
	old := e.status("demoapp").State.Slots[records.Blue]
	gw := e.d.AWS.Gateway
	run, err := e.d.Operator.Start(e.ctx, deploy.Input{App: "demoapp", Version: "v3", Config: []byte(`{"strategy": {"watchSeconds": 3, "watchIntervalSeconds": 1}}`)})
	if err != nil {
		t.Fatal(err)
	}
	// Hold the next create-stack call, the clean-up after the watch, and stop the run meanwhile.
	waitFor(t, "the release is switched", func() bool { return e.lockProgress("demoapp") == "switched" })
	hold := gw.HoldInvoke("createstack", 0)
	select {
	case <-hold.Arrived():
	case <-time.After(30 * time.Second):
		t.Fatal("the clean-up was never called")
	}
	if p := e.lockProgress("demoapp"); p != "watched" {
		t.Fatalf("progress at the clean-up = %q, want watched", p)
	}
	if _, err := e.d.Operator.SFN.(*sfn.Client).StopExecution(e.ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(run)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stopped run ends", func() bool {
		d, err := e.d.Operator.Describe(e.ctx, run)
		return err == nil && d.Status != "RUNNING"
	})

	_, r := e.run(deploy.Input{Action: deploy.ActionReconcile, Execution: run})
	if r.Status != "SUCCEEDED" {
		t.Fatalf("reconcile: %s %s %s\n%v", r.Status, r.Error, r.Cause, operator.Names(r.Path))
	}
	hasPath(t, r, "ReconcileChoice", "Cleanup", "Done", "Unlock")
	never(t, r, "ReconcileRestore")
	e.live("demoapp", records.Blue, e.status("demoapp").State.Slots[records.Green])
	if st := e.stackStatus("demoapp", old); st != "" && st != "DELETE_COMPLETE" {
		t.Errorf("the stack two releases old (%s) is %s: the reconcile should have finished the clean-up", old, st)
	}

	// The stopped run's clean-up, held until now, finds the lock gone and writes nothing.
	writes := gw.CountAll("cloudformation", "DeleteStack") + gw.CountAll("route53", "ChangeResourceRecordSets")
	hold.Release()
	waitFor(t, "the held clean-up returns", func() bool {
		for _, q := range gw.Requests() {
			if q.Function == "createstack" && q.Held > 0 {
				return true
			}
		}
		return false
	})
	if now := gw.CountAll("cloudformation", "DeleteStack") + gw.CountAll("route53", "ChangeResourceRecordSets"); now != writes {
		t.Errorf("the stopped run's clean-up wrote %d times after the reconcile", now-writes)
	}
}
