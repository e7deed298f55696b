package createstack_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/applock/applocktest"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

const third = "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-deploy-v3"

var heldPlan = (&deploy.Plan{Action: deploy.ActionDeploy, Live: slot("blue", liveID), New: slot("green", "123456"), Before: nil}).Encode()

func s(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }

// heldBy is a lock item left by execution at progress, with an approval gate's attributes.
func heldBy(execution string, progress deploy.Progress) item {
	return item{"app": s("demoapp"), "execution": s(execution), "progress": s(string(progress)), "plan": s(heldPlan),
		"action": s("deploy"), "startedAt": s("2026-11-24T09:00:00Z"), "step": &ddbtypes.AttributeValueMemberN{Value: "30"},
		"approvalToken": s("token"), "approvalStep": &ddbtypes.AttributeValueMemberN{Value: "30"}}
}

// The lock op runs when the state machine's conditional put found the app locked.
func TestLockDecisions(t *testing.T) {
	type want struct {
		err   string // the error's type name; "" when this run takes the lock
		reset bool   // the take-over starts afresh (progress locked, no plan); else the holder's plan is kept
	}
	statuses := map[string]sfntypes.ExecutionStatus{"gone": "", "ABORTED": sfntypes.ExecutionStatusAborted,
		"FAILED": sfntypes.ExecutionStatusFailed, "TIMED_OUT": sfntypes.ExecutionStatusTimedOut, "SUCCEEDED": sfntypes.ExecutionStatusSucceeded}
	// A run that wrote no record, or finished its writes, leaves a lock any action may take (DESIGN.md, Lock).
	// "created" is not among them: a run stopped while publishing still says "created".
	free := []deploy.Progress{deploy.ProgressLocked, deploy.ProgressPlanned, deploy.ProgressDone, deploy.ProgressRolledBack}
	decide := func(action deploy.Action, status string, p deploy.Progress) want {
		switch {
		case status == "RUNNING" || status == "PENDING_REDRIVE":
			return want{err: "LockHeldError"}
		case action == deploy.ActionReconcile:
			return want{}
		case slices.Contains(free, p):
			return want{reset: true}
		}
		return want{err: "ReconcileRequiredError"}
	}
	for _, action := range []deploy.Action{deploy.ActionDeploy, deploy.ActionRollback, deploy.ActionReconcile} {
		for _, status := range []string{"RUNNING", "PENDING_REDRIVE", "gone", "ABORTED", "FAILED", "TIMED_OUT", "SUCCEEDED"} {
			for _, p := range deploy.Progresses {
				w := decide(action, status, p)
				t.Run(fmt.Sprintf("%s/holder %s/%s", action, status, p), func(t *testing.T) {
					e := setup(t)
					old := heldBy(holder, p)
					e.locks.Put(old)
					if status == "RUNNING" || status == "PENDING_REDRIVE" {
						e.execs[holder] = execution{status: sfntypes.ExecutionStatus(status)}
					} else if st := statuses[status]; st != "" {
						e.execs[holder] = execution{status: st}
					}
					in := prepared(nil)
					in.Input.Action = action
					if action == deploy.ActionReconcile {
						in.Input.Execution = holder
					}
					got, err := e.call("lock", in)
					after := e.locks.Get("demoapp")
					if w.err != "" {
						if typeName(err) != w.err {
							t.Fatalf("lock = %v (%s), want a %s", err, typeName(err), w.err)
						}
						checkRefusal(t, err, status, p)
						if diff := cmp.Diff(after, old, cmp.Comparer(sameAttr)); diff != "" || e.locks.Writes() != 0 {
							t.Errorf("a refused take-over changed the lock item (%d writes):\n%s", e.locks.Writes(), diff)
						}
						return
					}
					if err != nil {
						t.Fatalf("lock: %v", err)
					}
					gotStatus := string(statuses[status])
					if diff := cmp.Diff(got.Lock, &deploy.LockInfo{Holder: holder, Status: gotStatus, Progress: p, Plan: heldPlan, TakenOver: true}); diff != "" {
						t.Errorf("state.lock (-got +want):\n%s", diff)
					}
					wantItem := item{"app": s("demoapp"), "execution": s(me), "takenOverFrom": s(holder), "action": s(string(action)),
						"startedAt": s("2026-11-25T10:15:00.000Z"), "updatedAt": s("2026-11-25T10:15:00.000Z"), "progress": s("locked")}
					if !w.reset {
						for _, k := range []string{"progress", "plan", "step", "approvalToken", "approvalStep"} {
							wantItem[k] = old[k]
						}
					}
					if diff := cmp.Diff(after, wantItem, cmp.Comparer(sameAttr)); diff != "" {
						t.Errorf("lock item after the take-over (-got +want):\n%s", diff)
					}
				})
			}
		}
	}
}

// A reconcile acts only for the run the lock names: when another run holds it, running or not, there is nothing
// to reconcile, and the lock stays as it is.
func TestLockReconcileOfAnotherRun(t *testing.T) {
	for _, status := range []sfntypes.ExecutionStatus{sfntypes.ExecutionStatusRunning, sfntypes.ExecutionStatusAborted, sfntypes.ExecutionStatusSucceeded} {
		t.Run(string(status), func(t *testing.T) {
			e := setup(t)
			old := heldBy(holder, deploy.ProgressShifting)
			e.locks.Put(old)
			e.execs[holder] = execution{status: status}
			in := prepared(nil)
			in.Input = deploy.Input{Action: deploy.ActionReconcile, Execution: third}
			got, err := e.call("lock", in)
			if err != nil {
				t.Fatalf("lock: %v", err)
			}
			if got.Reconcile == nil || got.Reconcile.Skip == "" || got.Lock.TakenOver {
				t.Errorf("reconcile of %s while %s holds the lock: reconcile %+v, lock %+v; want nothing to reconcile", third, holder, got.Reconcile, got.Lock)
			}
			if diff := cmp.Diff(e.locks.Get("demoapp"), old, cmp.Comparer(sameAttr)); diff != "" || e.locks.Writes() != 0 {
				t.Errorf("the lock item changed (%d writes):\n%s", e.locks.Writes(), diff)
			}
		})
	}
}

func checkRefusal(t *testing.T, err error, status string, p deploy.Progress) {
	t.Helper()
	var held *deploy.LockHeldError
	var reconcile *deploy.ReconcileRequiredError
	switch {
	case errors.As(err, &held):
		if *held != (deploy.LockHeldError{App: "demoapp", Holder: holder}) {
			t.Errorf("LockHeldError = %+v, want it to name the holder", held)
		}
	case errors.As(err, &reconcile):
		if *reconcile != (deploy.ReconcileRequiredError{App: "demoapp", Holder: holder, Status: status, Progress: p}) {
			t.Errorf("ReconcileRequiredError = %+v, want holder %s, status %s, progress %s", reconcile, holder, status, p)
		}
	}
}

func sameAttr(a, b ddbtypes.AttributeValue) bool {
	return cmp.Equal(a, b, cmp.AllowUnexported(ddbtypes.AttributeValueMemberS{}, ddbtypes.AttributeValueMemberN{}))
}

func TestLockRaces(t *testing.T) {
	tests := []struct {
		name        string
		item        item // the lock item the op finds (nil: released)
		beforeWrite func(*applocktest.Table)
		wantErr     string
		wantHolder  string // the lock item's execution afterwards
		wantWrites  int
		wantLock    *deploy.LockInfo
	}{
		{name: "released meanwhile: put", wantHolder: me, wantWrites: 1, wantLock: &deploy.LockInfo{TakenOver: true}},
		{name: "released and taken again meanwhile", wantErr: "RetryableError", wantHolder: third,
			beforeWrite: func(l *applocktest.Table) { l.Put(heldBy(third, deploy.ProgressLocked)) }},
		{name: "another run took it over first", item: heldBy(holder, deploy.ProgressDone), wantErr: "RetryableError", wantHolder: third,
			beforeWrite: func(l *applocktest.Table) {
				it := l.Get("demoapp")
				it["execution"] = s(third)
				l.Put(it)
			}},
		{name: "a retry by the holder itself", item: heldBy(me, deploy.ProgressPlanned), wantHolder: me,
			wantLock: &deploy.LockInfo{Holder: me, Progress: deploy.ProgressPlanned, Plan: heldPlan, TakenOver: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			e.locks.Remove("demoapp")
			if tt.item != nil {
				e.locks.Put(tt.item)
			}
			e.execs[holder] = execution{status: sfntypes.ExecutionStatusAborted}
			e.locks.BeforeWrite = tt.beforeWrite
			got, err := e.call("lock", prepared(nil))
			if typeName(err) != tt.wantErr {
				t.Fatalf("lock = %v, want %q", err, tt.wantErr)
			}
			if h := applocktest.S(e.locks.Get("demoapp"), "execution"); h != tt.wantHolder {
				t.Errorf("lock holder = %q, want %q", h, tt.wantHolder)
			}
			if e.locks.Writes() != tt.wantWrites {
				t.Errorf("writes = %d, want %d", e.locks.Writes(), tt.wantWrites)
			}
			if tt.wantErr == "" {
				if diff := cmp.Diff(got.Lock, tt.wantLock); diff != "" {
					t.Errorf("state.lock (-got +want):\n%s", diff)
				}
			}
			if tt.name == "released meanwhile: put" {
				want := item{"app": s("demoapp"), "execution": s(me), "progress": s("locked"), "action": s("deploy"), "startedAt": s("2026-11-25T10:15:00.000Z"), "updatedAt": s("2026-11-25T10:15:00.000Z")}
				if diff := cmp.Diff(e.locks.Get("demoapp"), want, cmp.Comparer(sameAttr)); diff != "" {
					t.Errorf("the put lock item (-got +want):\n%s", diff)
				}
			}
		})
	}
}
