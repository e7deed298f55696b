package applock_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/applock/applocktest"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

const (
	me    = "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-deploy-v2"
	other = "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-reconcile"
	table = "bluegreen-locks"
)

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func s(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }

func lock(app, execution string) applocktest.Item {
	return applocktest.Item{"app": s(app), "execution": s(execution), "progress": s("shifting")}
}

func newTable(items ...applocktest.Item) (*applocktest.Table, *applock.Table) {
	f := applocktest.New(table)
	for _, it := range items {
		f.Put(it)
	}
	return f, applock.New(f, table).WithClock(func() time.Time { return now })
}

func TestHeld(t *testing.T) {
	tests := []struct {
		name  string
		items []applocktest.Item
		want  error
	}{
		{name: "held by the execution", items: []applocktest.Item{lock("demoapp", me)}},
		{name: "held by another", items: []applocktest.Item{lock("demoapp", other)},
			want: &deploy.LockLostError{App: "demoapp", Execution: me, Holder: other}},
		{name: "no item", want: &deploy.LockLostError{App: "demoapp", Execution: me}},
		{name: "another app's lock", items: []applocktest.Item{lock("shop", me)},
			want: &deploy.LockLostError{App: "demoapp", Execution: me}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, locks := newTable(tt.items...)
			err := locks.Held(context.Background(), "demoapp", me)
			var lost *deploy.LockLostError
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("Held = %v, want nil", err)
			case tt.want != nil && !errors.As(err, &lost):
				t.Fatalf("Held = %v (%T), want a *LockLostError", err, err)
			case tt.want != nil:
				if diff := cmp.Diff(lost, tt.want); diff != "" {
					t.Errorf("LockLostError (-got +want):\n%s", diff)
				}
			}
			if got := f.Calls(); len(got) != 1 || f.EventualReads() != 0 {
				t.Errorf("calls = %v, eventually consistent %d; want one strongly consistent read", got, f.EventualReads())
			}
		})
	}
}

func TestHeldReportsAReadFailure(t *testing.T) {
	f, locks := newTable()
	f.Err = &ddbtypes.InternalServerError{Message: aws.String("internal")}
	err := locks.Held(context.Background(), "demoapp", me)
	var lost *deploy.LockLostError
	var internal *ddbtypes.InternalServerError
	if errors.As(err, &lost) || !errors.As(err, &internal) {
		t.Errorf("Held = %v (%T), want the read's error, not a lost lock", err, err)
	}
}

func TestTake(t *testing.T) {
	f, locks := newTable()
	if err := locks.Take(context.Background(), "demoapp", me, deploy.ActionDeploy); err != nil {
		t.Fatal(err)
	}
	got := f.Get("demoapp")
	want := map[string]string{"app": "demoapp", "execution": me, "progress": "locked", "action": "deploy",
		"startedAt": "2026-12-01T12:00:00.000Z", "updatedAt": "2026-12-01T12:00:00.000Z"}
	for k, v := range want {
		if applocktest.S(got, k) != v {
			t.Errorf("%s = %q, want %q", k, applocktest.S(got, k), v)
		}
	}
	if err := locks.Take(context.Background(), "demoapp", other, deploy.ActionDeploy); !errors.Is(err, applock.ErrTaken) {
		t.Errorf("a second Take = %v, want ErrTaken", err)
	}
	if applocktest.S(f.Get("demoapp"), "execution") != me {
		t.Error("a refused Take changed the lock")
	}
}

func TestTakeOver(t *testing.T) {
	stopped := applocktest.Item{"app": s("demoapp"), "execution": s(other), "progress": s("shifting"), "action": s("deploy"),
		"plan": s(`{"action":"deploy"}`), "step": &ddbtypes.AttributeValueMemberN{Value: "30"}, "approvalToken": s("tok"),
		"approvalStep": &ddbtypes.AttributeValueMemberN{Value: "30"}, "approvalVerdict": s("healthy"), "approvalRequestedAt": s("2026-12-01T11:00:00Z")}
	tests := []struct {
		name  string
		fresh bool
		want  applock.Item
	}{
		{name: "a fresh start drops the stopped run's progress", fresh: true, want: applock.Item{
			App: "demoapp", Execution: me, Progress: deploy.ProgressLocked, Action: deploy.ActionDeploy,
			StartedAt: now, UpdatedAt: now, TakenOverFrom: other}},
		{name: "a reconcile keeps what it acts on", want: applock.Item{
			App: "demoapp", Execution: me, Progress: deploy.ProgressShifting, Action: deploy.ActionReconcile,
			StartedAt: now, UpdatedAt: now, TakenOverFrom: other, Plan: `{"action":"deploy"}`, Step: 30,
			Approval: &applock.Gate{Token: "tok", Step: 30, Verdict: "healthy", RequestedAt: time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, locks := newTable(stopped)
			action := deploy.ActionReconcile
			if tt.fresh {
				action = deploy.ActionDeploy
			}
			if err := locks.TakeOver(context.Background(), "demoapp", applock.Takeover{From: other, Execution: me, Action: action, Fresh: tt.fresh}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(applock.Decode(f.Get("demoapp")), tt.want); diff != "" {
				t.Errorf("lock item (-got +want):\n%s", diff)
			}
			// The lock names this run now: a takeover naming the stopped run again loses.
			err := locks.TakeOver(context.Background(), "demoapp", applock.Takeover{From: other, Execution: "x", Action: action, Fresh: tt.fresh})
			if !errors.Is(err, applock.ErrChanged) {
				t.Errorf("a takeover from the old holder = %v, want ErrChanged", err)
			}
		})
	}
}

func TestRecord(t *testing.T) {
	tests := []struct {
		name string
		mark applock.Mark
		want applock.Item
	}{
		{name: "progress", mark: applock.Mark{Progress: deploy.ProgressCreated},
			want: applock.Item{App: "demoapp", Execution: me, Progress: deploy.ProgressCreated, UpdatedAt: now}},
		{name: "the plan, starting", mark: applock.Mark{Progress: deploy.ProgressPlanned, Plan: `{"a":1}`, Start: true},
			want: applock.Item{App: "demoapp", Execution: me, Progress: deploy.ProgressPlanned, Plan: `{"a":1}`, StartedAt: now, UpdatedAt: now}},
		{name: "a step", mark: applock.Mark{Progress: deploy.ProgressShifting, Step: 60},
			want: applock.Item{App: "demoapp", Execution: me, Progress: deploy.ProgressShifting, Step: 60, UpdatedAt: now}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, locks := newTable(applocktest.Item{"app": s("demoapp"), "execution": s(me), "progress": s("locked")})
			if err := locks.Record(context.Background(), "demoapp", me, tt.mark); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(applock.Decode(f.Get("demoapp")), tt.want); diff != "" {
				t.Errorf("lock item (-got +want):\n%s", diff)
			}
		})
	}
}

func TestRecordKeepsStartedAt(t *testing.T) {
	f, locks := newTable(applocktest.Item{"app": s("demoapp"), "execution": s(me), "startedAt": s("2026-12-01T11:59:00.000Z")})
	if err := locks.Record(context.Background(), "demoapp", me, applock.Mark{Start: true}); err != nil {
		t.Fatal(err)
	}
	if got := applocktest.S(f.Get("demoapp"), "startedAt"); got != "2026-12-01T11:59:00.000Z" {
		t.Errorf("startedAt = %s, want the takeover's, kept", got)
	}
}

func TestWritesOfALostLock(t *testing.T) {
	writes := map[string]func(*applock.Table) error{
		"record": func(l *applock.Table) error {
			return l.Record(context.Background(), "demoapp", me, applock.Mark{Progress: deploy.ProgressSwitched})
		},
		"approval": func(l *applock.Table) error {
			return l.AskApproval(context.Background(), "demoapp", me, applock.Gate{Token: "t", Step: 30})
		},
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			f, locks := newTable(lock("demoapp", other))
			before := f.Get("demoapp")
			err := write(locks)
			var lost *deploy.LockLostError
			if !errors.As(err, &lost) || lost.Holder != other {
				t.Fatalf("write = %v, want a LockLostError naming the holder %s", err, other)
			}
			if diff := cmp.Diff(applock.Decode(f.Get("demoapp")), applock.Decode(before)); diff != "" {
				t.Errorf("a refused write changed the lock item:\n%s", diff)
			}
		})
	}
}

func TestAskApproval(t *testing.T) {
	f, locks := newTable(lock("demoapp", me))
	if err := locks.AskApproval(context.Background(), "demoapp", me, applock.Gate{Token: "tok", Step: 30, Verdict: "healthy: 3 probes"}); err != nil {
		t.Fatal(err)
	}
	want := &applock.Gate{Token: "tok", Step: 30, Verdict: "healthy: 3 probes", RequestedAt: now}
	if diff := cmp.Diff(applock.Decode(f.Get("demoapp")).Approval, want); diff != "" {
		t.Errorf("gate (-got +want):\n%s", diff)
	}
}

// Items written by earlier versions: the state machine's $$.State.EnteredTime (milliseconds, "Z" on AWS; microseconds
// and "+00:00" in moto) and Go's "2006-01-02T15:04:05Z"; the approval gate's time.RFC3339.
func TestDecodeReadsEarlierFormats(t *testing.T) {
	at := time.Date(2026, 12, 1, 11, 52, 32, 0, time.UTC)
	tests := []struct {
		written string
		want    time.Time
	}{
		{"2026-12-01T11:52:32.123Z", at.Add(123 * time.Millisecond)},
		{"2026-12-01T11:52:32.123456+00:00", at.Add(123456 * time.Microsecond)},
		{"2026-12-01T11:52:32Z", at},
		{"2026-12-01T11:52:32.000Z", at},
		{"2026-12-01T12:52:32+01:00", at},
	}
	for _, tt := range tests {
		t.Run(tt.written, func(t *testing.T) {
			it := applock.Decode(applocktest.Item{"app": s("demoapp"), "startedAt": s(tt.written), "updatedAt": s(tt.written),
				"approvalToken": s("tok"), "approvalRequestedAt": s(tt.written)})
			for name, got := range map[string]time.Time{"startedAt": it.StartedAt, "updatedAt": it.UpdatedAt, "approvalRequestedAt": it.Approval.RequestedAt} {
				if !got.Equal(tt.want) || got.Location() != time.UTC {
					t.Errorf("%s = %v, want %v in UTC", name, got, tt.want)
				}
			}
		})
	}
	if it := applock.Decode(applocktest.Item{"startedAt": s("yesterday")}); !it.StartedAt.IsZero() {
		t.Errorf("an unreadable time = %v, want zero", it.StartedAt)
	}
}

// TimeLayout has a fixed width, so its strings sort as the times do (RFC3339Nano's would not: it trims zeros).
func TestFormatTimeSortsAsTime(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 12, 1, 11, 52, 32, 0, time.UTC),
		time.Date(2026, 12, 1, 11, 52, 32, 100e6, time.UTC),
		time.Date(2026, 12, 1, 11, 52, 32, 120e6, time.UTC),
		time.Date(2026, 12, 1, 11, 52, 32, 123e6, time.UTC),
		time.Date(2026, 12, 1, 11, 52, 33, 0, time.FixedZone("CET", 3600)).Add(time.Hour),
	}
	for i := 1; i < len(times); i++ {
		a, b := applock.FormatTime(times[i-1]), applock.FormatTime(times[i])
		if len(a) != len(applock.TimeLayout) || !(a < b) {
			t.Errorf("FormatTime: %q, %q: want fixed width %d and string order = time order", a, b, len(applock.TimeLayout))
		}
		if !strings.HasSuffix(a, "Z") {
			t.Errorf("FormatTime = %q, want UTC", a)
		}
	}
}

// List reads every lock across the table's pages (the fake's hold three items each; six locks make a full second
// page and an empty third), strongly consistent, without the plans.
func TestList(t *testing.T) {
	var items []applocktest.Item
	want := map[string]string{}
	for _, app := range []string{"alpha", "beta", "gamma", "delta", "eps", "zeta"} {
		it := lock(app, me+app)
		it["plan"], it["action"] = s(`{"big":"plan"}`), s("deploy")
		items = append(items, it)
		want[app] = me + app
	}
	f, tbl := newTable(items...)
	got, err := tbl.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]string{}
	for _, it := range got {
		held[it.App] = it.Execution
		if it.Plan != "" || it.Progress != deploy.ProgressShifting || it.Action != deploy.ActionDeploy {
			t.Errorf("%s: plan %q, progress %s, action %s; want no plan, shifting, deploy", it.App, it.Plan, it.Progress, it.Action)
		}
	}
	if diff := cmp.Diff(held, want); diff != "" {
		t.Errorf("locks (-got +want):\n%s", diff)
	}
	if calls := f.Calls(); len(calls) != 3 || f.EventualReads() != 0 {
		t.Errorf("calls %v, %d eventually consistent; want three strongly consistent Scans", calls, f.EventualReads())
	}
	f.Err = errors.New("boom")
	if _, err := tbl.List(context.Background()); err == nil || !strings.Contains(err.Error(), "list the locks") {
		t.Errorf("a failed scan: %v", err)
	}
}
