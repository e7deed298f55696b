package createstack_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// created is the state after the new stack 123456 completed.
func created(cfg func(*deploy.Config)) deploy.State {
	s := planned(cfg)
	s.Stack = &deploy.StackWait{Name: "demoapp-123456", ID: "arn:stack/demoapp-123456", Status: "CREATE_COMPLETE", Done: true, WaitSeconds: 20,
		Endpoint: &deploy.Endpoint{DNSName: lbName(newID), HostedZoneID: lbZoneID}}
	return s
}

func TestPublishWaitsForTheEndpointBeforeTheSlot(t *testing.T) {
	e := setupMargin(t, time.Hour, liveIn(records.Blue, liveID, "")...)
	e.zone.PendingChecks = 1
	sync := func(s deploy.State) deploy.State {
		t.Helper()
		for range 5 {
			if !s.Change.Pending {
				return s
			}
			var err error
			if s, err = e.call("sync", s); err != nil {
				t.Fatal(err)
			}
		}
		t.Fatalf("change %s never synced", s.Change.ID)
		return s
	}
	s, err := e.call("publish", created(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Change.Pending || e.changes() != 1 {
		t.Fatalf("first publish: change %+v after %d changes, want the endpoint's change pending", s.Change, e.changes())
	}
	if p := e.lock().Progress; p != deploy.ProgressLocked {
		t.Fatalf("progress %s after the endpoint alone, want it unchanged: the stack is not published yet", p)
	}
	if st := records.Read(app, e.zone.Records(zoneID), records.Facts{}); st.Slots[records.Green] != "" {
		t.Fatalf("the slot was written before the endpoint was INSYNC")
	}
	if s, err = e.call("publish", sync(s)); err != nil || !s.Change.Pending || e.changes() != 2 {
		t.Fatalf("second publish: %v, change %+v after %d changes; want the slot's change pending", err, s.Change, e.changes())
	}
	if p := e.lock().Progress; p != deploy.ProgressPublished {
		t.Errorf("progress %s after the slot's batch, want published (recorded by publish itself)", p)
	}
	if s, err = e.call("publish", sync(s)); err != nil || s.Change.Pending || e.changes() != 2 {
		t.Fatalf("publish after success: %v, change %+v after %d changes; want nothing submitted", err, s.Change, e.changes())
	}
	// Compare-and-swap: every record created (none existed), and the fence created by the first batch (the app had
	// none) and swapped by the second.
	fence := app.FenceRecord(records.Fence{Holder: records.FenceHolder(me), Epoch: 1})
	want := []records.Batch{
		{Comment: "demoapp: publish the endpoint of stack 123456", Changes: []records.Change{
			{Action: records.Create, Record: endpointRec(newID)}, {Action: records.Create, Record: fence}}},
		{Comment: "demoapp: put stack 123456 in the green slot", Changes: []records.Change{
			{Action: records.Create, Record: slotRec(records.Green, newID)}, {Action: records.Create, Record: weightedRec(records.Green, newID, 0)},
			{Action: records.Delete, Record: fence}, {Action: records.Create, Record: fence}}},
	}
	if diff := cmp.Diff(e.zone.Batches, want); diff != "" {
		t.Errorf("accepted batches (-got +want):\n%s", diff)
	}
	if s.Notice != "demoapp v2 (deploy): published stack demoapp-123456 in green" {
		t.Errorf("notice = %q", s.Notice)
	}
}

func TestPublish(t *testing.T) {
	tests := []struct {
		name        string
		records     []records.Record
		state       deploy.State
		wantChanges int
		wantErr     string
		wantSlot    []records.Record // records of the new stack afterwards
	}{
		{name: "next to the live stack", records: liveIn(records.Blue, liveID, ""), state: created(nil), wantChanges: 2,
			wantSlot: []records.Record{endpointRec(newID), slotRec(records.Green, newID), weightedRec(records.Green, newID, 0)}},
		{name: "first release: no weighted record yet", state: firstRelease(), wantChanges: 2,
			wantSlot: []records.Record{endpointRec(newID), slotRec(records.Blue, newID)}},
		{name: "someone replaced the live stack", wantErr: "StateInconsistentError", state: created(nil),
			records: liveIn(records.Blue, "777777", "")},
		{name: "no endpoint yet", wantErr: "InternalError", state: planned(nil), records: liveIn(records.Blue, liveID, "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, tt.records...)
			got, err := e.call("publish", tt.state)
			if typeName(err) != tt.wantErr || e.changes() != tt.wantChanges {
				t.Fatalf("publish = %v after %d changes, want %q after %d", err, e.changes(), tt.wantErr, tt.wantChanges)
			}
			if err != nil {
				return
			}
			if got.Change.Pending {
				t.Errorf("change %+v is pending, want INSYNC", got.Change)
			}
			var have []records.Record
			for _, r := range e.zone.Records(zoneID) {
				if r.Name == app.FenceName() {
					continue
				}
				if strings.Contains(r.Name, newID) || strings.Contains(r.Target(), newID) || r.Values != nil && r.Values[0] == `"`+newID+`"` {
					have = append(have, r)
				}
			}
			if diff := cmp.Diff(have, tt.wantSlot); diff != "" {
				t.Errorf("the new stack's records (-got +want):\n%s", diff)
			}
		})
	}
}

func firstRelease() deploy.State {
	s := created(nil)
	s.Plan = &deploy.Plan{Action: deploy.ActionDeploy, New: slot(records.Blue, newID), Before: []records.Record{}}
	return s
}

// switched is the zone after a third release went live: blue 123456 live, green 819273 idle, and the stacks its
// clean-up deletes (554433, retired from blue; 101010, kept by a failed run) still with their endpoints.
func switched() ([]records.Record, deploy.State) {
	rs := append(liveIn(records.Blue, newID, liveID), endpointRec(idleID), endpointRec(keptID))
	s := created(nil)
	s.Plan = &deploy.Plan{Action: deploy.ActionDeploy, Live: slot(records.Green, liveID), New: slot(records.Blue, newID),
		Retire: slot(records.Blue, idleID), Kept: []string{keptID}}
	return rs, s
}

func TestCleanup(t *testing.T) {
	tests := []struct {
		name         string
		change       func(*deploy.State, *stackFake)
		wantDeleted  []string
		wantLeft     []string // endpoint records still there, of the stacks the plan names
		wantWarnings []string
		wantResult   string
	}{
		{name: "retired and kept stacks", wantDeleted: []string{"demoapp-554433", "demoapp-101010"}, wantResult: "deployed"},
		{name: "a stack that fails to delete is a warning",
			change: func(_ *deploy.State, f *stackFake) {
				f.deleteErr["demoapp-554433"] = errors.New("DELETE_FAILED: bucket not empty")
			},
			wantDeleted: []string{"demoapp-101010"}, wantWarnings: []string{"clean-up: stack demoapp-554433 is left: DELETE_FAILED: bucket not empty"}, wantResult: "deployed"},
		{name: "nothing live is deleted",
			change:      func(s *deploy.State, _ *stackFake) { s.Plan.Kept = []string{keptID, liveID, newID} },
			wantDeleted: []string{"demoapp-554433", "demoapp-101010"}, wantLeft: []string{liveID, newID}, wantResult: "deployed",
			wantWarnings: []string{"demoapp-819273 is left: stack demoapp-819273 is in use: the green slot names it",
				"demoapp-123456 is left: stack demoapp-123456 is in use: it is the live stack (stack.active)"}},
		{name: "a reconcile finishes the clean-up", change: func(s *deploy.State, _ *stackFake) { s.Input.Action = deploy.ActionReconcile },
			wantDeleted: []string{"demoapp-554433", "demoapp-101010"}, wantResult: "reconciled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, s := switched()
			e := setup(t, rs...)
			for _, id := range []string{liveID, newID, idleID, keptID} {
				e.stacks.add(id, "CREATE_COMPLETE")
			}
			if tt.change != nil {
				tt.change(&s, e.stacks)
			}
			got, err := e.call("cleanup", s)
			if err != nil {
				t.Fatalf("cleanup = %v: after the watch it never fails", err)
			}
			if diff := cmp.Diff(e.stacks.deleted, tt.wantDeleted); diff != "" {
				t.Errorf("deleted stacks (-got +want):\n%s", diff)
			}
			if len(got.Warnings) != len(tt.wantWarnings) {
				t.Errorf("warnings = %q, want %d", got.Warnings, len(tt.wantWarnings))
			}
			for i, w := range tt.wantWarnings {
				if i < len(got.Warnings) && !strings.Contains(got.Warnings[i], w) {
					t.Errorf("warning %q does not say %q", got.Warnings[i], w)
				}
			}
			st := records.Read(app, e.zone.Records(zoneID), records.Facts{})
			for _, name := range tt.wantDeleted {
				if _, ok := st.Endpoints[strings.TrimPrefix(name, "demoapp-")]; ok {
					t.Errorf("the endpoint of deleted stack %s is left", name)
				}
			}
			for _, id := range tt.wantLeft {
				if _, ok := st.Endpoints[id]; !ok {
					t.Errorf("the endpoint of stack %s in use was removed", id)
				}
			}
			if got.Result != tt.wantResult || !strings.Contains(got.Notice, "live on blue stack demoapp-123456") {
				t.Errorf("result %q, notice %q", got.Result, got.Notice)
			}
			if st.Phase != records.PhaseAtRest || st.Active != newID {
				t.Errorf("after the clean-up the app is %s on %s (%v), want at rest on %s", st.Phase, st.Active, st.Problems, newID)
			}
		})
	}
}

// restored is the zone after a rollback of the release of 123456: the plan's records are back, the new stack's
// endpoint is left for its deletion.
func restored() deploy.State {
	s := created(nil)
	s.Error = &deploy.TaskError{Error: "HealthCheckError", Cause: `{"errorMessage":"stack demoapp-123456 failed its health check: alarm demoapp-5xx is ALARM","errorType":"HealthCheckError"}`}
	return s
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name        string
		records     []records.Record
		change      func(*deploy.State)
		wantErr     string
		wantDeleted []string
		wantChanges int
		wantWarning string
		wantResult  string
	}{
		{name: "the rolled-back stack is deleted", records: append(liveIn(records.Blue, liveID, ""), endpointRec(newID)),
			wantDeleted: []string{"demoapp-123456"}, wantChanges: 1, wantResult: "rolled-back"},
		{name: "kept for inspection", records: append(liveIn(records.Blue, liveID, ""), endpointRec(newID)),
			change:      func(s *deploy.State) { s.Config.KeepFailedStack = true },
			wantWarning: "stack demoapp-123456 is kept for inspection", wantResult: "rolled-back"},
		{name: "a reconcile's", records: append(liveIn(records.Blue, liveID, ""), endpointRec(newID)),
			change:      func(s *deploy.State) { s.Input.Action = deploy.ActionReconcile },
			wantDeleted: []string{"demoapp-123456"}, wantChanges: 1, wantResult: "reconciled"},
		{name: "refused before a plan: nothing to delete", change: func(s *deploy.State) { s.Plan = nil }, wantResult: "rolled-back"},
		{name: "never a stack the records still name", records: liveIn(records.Blue, liveID, newID), wantErr: "StackInUseError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, tt.records...)
			e.stacks.add(liveID, "CREATE_COMPLETE")
			e.stacks.add(newID, "CREATE_COMPLETE")
			s := restored()
			if tt.change != nil {
				tt.change(&s)
			}
			got, err := e.call("delete", s)
			if typeName(err) != tt.wantErr {
				t.Fatalf("delete = %v, want %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(e.stacks.deleted, tt.wantDeleted); diff != "" || e.changes() != tt.wantChanges {
				t.Errorf("deleted %v after %d record changes, want %v after %d", e.stacks.deleted, e.changes(), tt.wantDeleted, tt.wantChanges)
			}
			if err != nil {
				return
			}
			if tt.wantWarning != "" && (len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], tt.wantWarning)) {
				t.Errorf("warnings = %q, want %q", got.Warnings, tt.wantWarning)
			}
			if got.Result != tt.wantResult || !strings.Contains(got.Notice, "rolled back before any traffic: HealthCheckError: stack demoapp-123456 failed its health check") {
				t.Errorf("result %q, notice %q", got.Result, got.Notice)
			}
		})
	}
}
