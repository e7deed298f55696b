package createstack_test

import (
	"encoding/json"
	"strings"
	"testing"

	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/applock/applocktest"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/triggers"
)

const machine = "arn:aws:states:us-east-1:123456789012:stateMachine:bluegreen"

func run(name string) string {
	return "arn:aws:states:us-east-1:123456789012:execution:bluegreen:" + name
}

// sweepState is the sweeper's state document.
func sweepState() deploy.State { return deploy.State{Sweep: &deploy.Sweep{StateMachine: machine}} }

// sweep runs the sweep and returns its locks by app.
func (e *env) sweep() map[string]deploy.SweptLock {
	e.t.Helper()
	out, err := e.call("sweep", sweepState())
	if err != nil {
		e.t.Fatalf("sweep: %v", err)
	}
	if out.Result != deploy.ResultSwept || out.Sweep == nil {
		e.t.Fatalf("sweep returned %+v", out)
	}
	m := map[string]deploy.SweptLock{}
	for _, l := range out.Sweep.Locks {
		m[l.App] = l
	}
	return m
}

// reconciles returns the executions with a reconcile's input: their names and inputs.
func (e *env) reconciles() map[string]string {
	out := map[string]string{}
	for arn, x := range e.execs {
		if in, err := deploy.DecodeInput([]byte(x.input)); err == nil && in.Action == deploy.ActionReconcile {
			out[triggers.ExecutionName(arn)] = x.input
		}
	}
	return out
}

func TestSweepReconcilesEachStoppedRunOnce(t *testing.T) {
	e := setup(t)
	e.locks.Remove("demoapp")
	held := func(app, holder, progress, action string, status sfntypes.ExecutionStatus) {
		e.locks.Put(applocktest.Item{"app": s(app), "execution": s(holder), "progress": s(progress), "action": s(action), "plan": s(`{"large":"plan"}`)})
		if status != "" {
			e.execs[holder] = execution{status: status, input: `{"app":"` + app + `"}`}
		}
	}
	held("demoapp", run("demoapp-deploy-v2"), "shifting", "deploy", sfntypes.ExecutionStatusAborted)
	held("api", run("6a1e9c4e-5b0d-4f55-9d3a-2f0a1c7e8b21"), "created", "deploy", sfntypes.ExecutionStatusTimedOut)
	held("shop", run("shop-deploy-v9"), "shifting", "deploy", sfntypes.ExecutionStatusRunning)
	held("blog", run("blog-deploy-v1"), "done", "deploy", sfntypes.ExecutionStatusSucceeded)
	held("wiki", run("wiki-deploy-v1"), "dirty", "deploy", sfntypes.ExecutionStatusFailed)
	held("docs", run("docs-x"), "shifting", "reconcile", sfntypes.ExecutionStatusAborted)
	held("mail", run("mail-reconcile-20261125T101500-000"), "shifting", "deploy", sfntypes.ExecutionStatusTimedOut)
	held("gone", run("gone-deploy-v1"), "shifting", "deploy", "")
	held("other", "arn:aws:states:us-east-1:123456789012:execution:elsewhere:x", "shifting", "deploy", sfntypes.ExecutionStatusAborted)

	got := e.sweep()
	started := map[string]bool{}
	for app, l := range got {
		if l.Started != (l.Reconcile != "") || l.Started == (l.Left != "") {
			t.Errorf("%s: %+v: either started or left, saying why", app, l)
		}
		started[app] = l.Started
	}
	if diff := cmp.Diff(started, map[string]bool{"demoapp": true, "api": true, "shop": false, "blog": false, "wiki": false,
		"docs": false, "mail": false, "gone": false, "other": false}); diff != "" {
		t.Errorf("started (-got +want):\n%s", diff)
	}
	wantInput := func(holder string) string {
		b, _ := json.Marshal(deploy.Input{Action: deploy.ActionReconcile, Execution: holder, Source: "sweep"})
		return string(b)
	}
	want := map[string]string{
		triggers.ReconcileName("demoapp", run("demoapp-deploy-v2")):                wantInput(run("demoapp-deploy-v2")),
		triggers.ReconcileName("api", run("6a1e9c4e-5b0d-4f55-9d3a-2f0a1c7e8b21")): wantInput(run("6a1e9c4e-5b0d-4f55-9d3a-2f0a1c7e8b21")),
	}
	if diff := cmp.Diff(e.reconciles(), want); diff != "" {
		t.Errorf("reconciles started (-got +want):\n%s", diff)
	}
	for app, l := range got {
		if l.Started {
			if _, err := deploy.CheckInput([]byte(want[strings.TrimPrefix(l.Reconcile, run(""))])); err != nil {
				t.Errorf("%s: the reconcile's input does not validate: %v", app, err)
			}
		}
	}
	if n := e.locks.Writes(); n != 0 {
		t.Errorf("the sweep wrote %d times to the lock table", n)
	}

	// A second sweep, while the reconciles run, starts nothing more (the names are taken).
	again := e.sweep()
	if len(e.reconciles()) != 2 || again["demoapp"].Reconcile != got["demoapp"].Reconcile {
		t.Errorf("a second sweep: reconciles %v, demoapp %+v", e.reconciles(), again["demoapp"])
	}
	// A reconcile that ended without taking the lock over (it failed before) is not started again: an operator's.
	rec := got["demoapp"].Reconcile
	e.execs[rec] = execution{status: sfntypes.ExecutionStatusFailed, input: e.execs[rec].input}
	third := e.sweep()["demoapp"]
	if third.Started || !strings.Contains(third.Left, "ended FAILED") || third.Reconcile != rec || len(e.reconciles()) != 2 {
		t.Errorf("after its reconcile failed: %+v, reconciles %v", third, e.reconciles())
	}
}

// With no lock, a sweep reads the table once and writes nothing.
func TestSweepWithNothingToDo(t *testing.T) {
	e := setup(t)
	e.locks.Remove("demoapp")
	if got := e.sweep(); len(got) != 0 {
		t.Errorf("locks %v", got)
	}
	if calls := e.locks.Calls(); len(calls) != 1 || calls[0] != "Scan" || e.locks.Writes() != 0 || len(e.execs) != 0 {
		t.Errorf("calls %v, %d writes, executions %v", calls, e.locks.Writes(), e.execs)
	}
}

func TestSweepNeedsItsStateMachine(t *testing.T) {
	e := setup(t)
	for _, st := range []deploy.State{{}, {Sweep: &deploy.Sweep{StateMachine: "bluegreen"}}} {
		if _, err := e.call("sweep", st); typeName(err) != "ValidationError" {
			t.Errorf("sweep of %+v: %v, want a ValidationError", st.Sweep, err)
		}
	}
}
