package shiftweight_test

import (
	"bytes"
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/applock/applocktest"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/records/recordstest"
	"github.com/bluegreen-aws/bluegreen/internal/shiftweight"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
	"github.com/bluegreen-aws/bluegreen/internal/zone/zonetest"
)

const (
	zoneID   = recordstest.ZoneID
	lbZoneID = recordstest.LBZoneID
	table    = "bluegreen-locks"
	me       = "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-deploy-v2"
	liveID   = "819273"
	newID    = "123456"
	token    = "AQCEAAAAKgAAAAMAAAAAAAAAAfK0dYy2c3Vb2wGbZyq0h7pS1mZt4oVvQe3Jk9R8LxNcHqWfT6uIaDsB5gYnE0rX"
)

var (
	app         = recordstest.App
	endpointRec = recordstest.Endpoint
	weightedRec = recordstest.Weighted
)

// published is the zone after publish: blue 819273 live with all the weight, green 123456 published at 0.
func published() []records.Record {
	return []records.Record{
		endpointRec(liveID), records.TXT(app.SlotName(records.Blue), 60, liveID), records.TXT(app.ActiveName(), 60, liveID), weightedRec(records.Blue, liveID, 100),
		endpointRec(newID), records.TXT(app.SlotName(records.Green), 60, newID), weightedRec(records.Green, newID, 0),
	}
}

func state() deploy.State {
	cfg := deploy.Config{HostedZoneID: zoneID, Zone: "example.com", Host: app.Host, Strategy: deploy.Strategy{Approvals: []int{30}}}
	cfg.Resolve()
	a := app
	return deploy.State{Input: deploy.Input{App: "demoapp", Version: "v2"}, App: &a, Config: &cfg,
		Plan: &deploy.Plan{Action: deploy.ActionDeploy, Live: &deploy.Slot{Color: records.Blue, StackID: liveID, Stack: "demoapp-" + liveID},
			New: &deploy.Slot{Color: records.Green, StackID: newID, Stack: "demoapp-" + newID}},
		Step:    &deploy.Step{Index: -1, More: true},
		Verdict: &deploy.Verdict{Healthy: true, Summary: "healthy: 3 probes in a row succeeded (3 attempts)"}}
}

type env struct {
	zone  *zonetest.Fake
	locks *applocktest.Table
	logs  bytes.Buffer
	h     *shiftweight.Handler
}

func setup(t *testing.T, rs ...records.Record) *env {
	e := &env{zone: zonetest.New(), locks: applocktest.New(table)}
	e.locks.Put(applocktest.Item{"app": &ddbtypes.AttributeValueMemberS{Value: "demoapp"}, "execution": &ddbtypes.AttributeValueMemberS{Value: me},
		"progress": &ddbtypes.AttributeValueMemberS{Value: "published"}})
	e.zone.AddZone(zoneID, "example.com", rs...)
	zones := zone.NewOpener(e.zone, zone.Options{MinDelay: time.Millisecond, MaxDelay: time.Millisecond, Margin: time.Millisecond})
	e.h = shiftweight.New(zones, applock.New(e.locks, table))
	return e
}

func (e *env) call(op, tok string, s deploy.State) (deploy.State, error) {
	fn := e.h.Function(slog.New(slog.NewJSONHandler(&e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	return fn.Handle(context.Background(), deploy.Request{Op: op, Execution: me, Token: tok, State: s})
}

func typeName(err error) string {
	if err == nil {
		return ""
	}
	return reflect.TypeOf(err).Elem().Name()
}

func TestShiftWalksTheSteps(t *testing.T) {
	e := setup(t, published()...)
	s := state()
	want := []deploy.Step{{Index: 0, Percent: 10, More: true}, {Index: 1, Percent: 30, More: true, Approval: true}, {Index: 2, Percent: 60}}
	for i, w := range want {
		in := s
		got, err := e.call("shift", "", in)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if _, err := time.Parse(time.RFC3339, got.Step.SyncedAt); err != nil {
			t.Errorf("step %d: syncedAt %q, want the time the batch was INSYNC: %v", i, got.Step.SyncedAt, err)
		}
		step := *got.Step
		step.SyncedAt = ""
		if diff := cmp.Diff(step, w); diff != "" {
			t.Errorf("step %d (-got +want):\n%s", i, diff)
		}
		if l := applock.Decode(e.locks.Get("demoapp")); l.Progress != deploy.ProgressShifting || l.Step != w.Percent {
			t.Errorf("step %d: lock item at %s, step %d; want shifting at %d (recorded by shift itself)", i, l.Progress, l.Step, w.Percent)
		}
		st := records.Read(app, e.zone.Records(zoneID), records.Facts{OtherRunning: true})
		if st.Weight(records.Green) != int64(w.Percent) || st.Weight(records.Blue) != int64(100-w.Percent) || st.Active != liveID {
			t.Errorf("step %d: green %d, blue %d, active %s; want %d/%d with %s still active", i, st.Weight(records.Green), st.Weight(records.Blue), st.Active, w.Percent, 100-w.Percent, liveID)
		}
		// One batch: both weighted records deleted as they were and created with the step's weights, and the fence
		// swapped.
		if n := e.zone.Accepted["ChangeResourceRecordSets"]; n != i+1 {
			t.Errorf("step %d: %d accepted calls, want %d", i, n, i+1)
		} else {
			var weighted, deletes, fence int
			for _, c := range e.zone.Batches[i].Changes {
				switch {
				case c.Action == records.Upsert:
					t.Errorf("step %d: an UPSERT of %s, want DELETE and CREATE", i, c.Record.Key())
				case c.Record.Name == app.FenceName():
					fence++
				case c.Record.Name == app.HostName():
					weighted++
					if c.Action == records.Delete {
						deletes++
					}
				}
			}
			if weighted != 4 || deletes != 2 || fence == 0 {
				t.Errorf("step %d: %d weighted changes (%d DELETEs), %d of the fence; want both weighted records deleted and created, and the fence", i, weighted, deletes, fence)
			}
		}
		// The state machine retries a step with the same input: nothing is submitted again.
		if again, err := e.call("shift", "", in); err != nil || !cmp.Equal(again.Step, got.Step) || e.zone.Accepted["ChangeResourceRecordSets"] != i+1 {
			t.Errorf("step %d again: %v, step %+v, %d accepted calls; want the same step and nothing submitted", i, err, again.Step, e.zone.Accepted["ChangeResourceRecordSets"])
		}
		s = got
	}
	if _, err := e.call("shift", "", s); typeName(err) != "InternalError" {
		t.Errorf("shift after the last step = %v, want InternalError", err)
	}
}

func TestShiftRefusesRecordsChangedBySomeoneElse(t *testing.T) {
	tests := []struct {
		name    string
		records []records.Record
		say     string
	}{
		{name: "not published", records: published()[:4], say: `the green slot names "", not this run's stack 123456`},
		{name: "another stack in the live slot", say: `the blue slot names "777777"`, records: append([]records.Record{
			endpointRec("777777"), records.TXT(app.SlotName(records.Blue), 60, "777777"), records.TXT(app.ActiveName(), 60, "777777"), weightedRec(records.Blue, "777777", 100),
		}, published()[4:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, tt.records...)
			_, err := e.call("shift", "", state())
			if typeName(err) != "StateInconsistentError" || !strings.Contains(err.Error(), tt.say) {
				t.Errorf("shift = %v, want a StateInconsistentError saying %q", err, tt.say)
			}
			if n := e.zone.Accepted["ChangeResourceRecordSets"]; n != 0 {
				t.Errorf("%d changes accepted after the refusal", n)
			}
		})
	}
}

func TestApprovalStoresTheTokenAndNeverLogsIt(t *testing.T) {
	s := state()
	s.Step = &deploy.Step{Index: 1, Percent: 30, More: true, Approval: true}
	held := func(execution string) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{"app": &ddbtypes.AttributeValueMemberS{Value: "demoapp"},
			"execution": &ddbtypes.AttributeValueMemberS{Value: execution}, "progress": &ddbtypes.AttributeValueMemberS{Value: "shifting"}}
	}
	tests := []struct {
		name    string
		holder  string
		tok     string
		wantErr string
	}{
		{name: "held by this run", holder: me, tok: token},
		{name: "the lock was taken over", holder: "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-reconcile", tok: token, wantErr: "LockLostError"},
		{name: "no token", holder: me, wantErr: "InternalError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, published()...)
			before := held(tt.holder)
			e.locks.Put(before)
			got, err := e.call("approval", tt.tok, s)
			if typeName(err) != tt.wantErr {
				t.Fatalf("approval = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(e.logs.String(), token) || (err != nil && strings.Contains(err.Error(), token)) {
				t.Errorf("the task token leaked into the logs or the error:\n%s\n%v", e.logs.String(), err)
			}
			it := e.locks.Get("demoapp")
			if err != nil {
				if len(it) != len(before) {
					t.Errorf("a refused approval changed the lock item: %v", it)
				}
				return
			}
			str := func(k string) string { return applocktest.S(it, k) + applocktest.N(it, k) }
			if str("approvalToken") != token || str("approvalStep") != "30" || str("approvalVerdict") != s.Verdict.Summary || str("approvalRequestedAt") == "" {
				t.Errorf("lock item after the approval request: %v", it)
			}
			if !strings.Contains(e.logs.String(), `"msg":"approval requested"`) {
				t.Errorf("the approval request is not logged (so the token check above proves nothing):\n%s", e.logs.String())
			}
			if diff := cmp.Diff(got.Step, s.Step); diff != "" || e.zone.Accepted["ChangeResourceRecordSets"] != 0 {
				t.Errorf("approval changed the step or the records:\n%s", diff)
			}
		})
	}
}

// A step whose batch is not INSYNC when the shift returns has no syncedAt yet; the sync op that finds it INSYNC sets
// it (the split verification's window starts from it).
func TestSyncRecordsWhenTheStepIsInSync(t *testing.T) {
	e := setup(t, published()...)
	e.zone.Propagation = 200 * time.Millisecond // PENDING past the shift's deadline
	fn := e.h.Function(slog.New(slog.NewJSONHandler(&e.logs, nil)))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	s, err := fn.Handle(ctx, deploy.Request{Op: "shift", Execution: me, State: state()})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Change.Pending || s.Step.SyncedAt != "" {
		t.Fatalf("after the shift: pending %t, syncedAt %q; want pending without syncedAt", s.Change.Pending, s.Step.SyncedAt)
	}
	for n := 0; s.Change.Pending; n++ {
		if n == 100 {
			t.Fatal("the change never became INSYNC")
		}
		if s, err = e.call("sync", "", s); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := time.Parse(time.RFC3339, s.Step.SyncedAt); err != nil {
		t.Errorf("after the sync: syncedAt %q: %v", s.Step.SyncedAt, err)
	}
}
