package traffic_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/records/recordstest"
	"github.com/bluegreen-aws/bluegreen/internal/traffic"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
	"github.com/bluegreen-aws/bluegreen/internal/zone/zonetest"
)

const (
	zoneID   = recordstest.ZoneID
	lbZoneID = recordstest.LBZoneID
	live     = "819273"
	fresh    = "123456"
)

var (
	app      = recordstest.App
	endpoint = recordstest.Endpoint
	weighted = recordstest.Weighted
)

// liveBlue is the app at rest with stack 819273 live in blue, and the green stack 123456 published at weight 0.
func liveBlue(publishedGreen bool) []records.Record {
	rs := []records.Record{endpoint(live), records.TXT(app.SlotName(records.Blue), 60, live), records.TXT(app.ActiveName(), 60, live), weighted(records.Blue, live, 100)}
	if publishedGreen {
		rs = append(rs, endpoint(fresh), records.TXT(app.SlotName(records.Green), 60, fresh), weighted(records.Green, fresh, 0))
	}
	return rs
}

// me is the execution the tests' routers write for.
const me = "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-deploy-v2"

func state() *deploy.State {
	cfg := deploy.Config{HostedZoneID: zoneID}
	cfg.Resolve()
	a := app
	return &deploy.State{App: &a, Config: &cfg, Plan: &deploy.Plan{
		Action: deploy.ActionDeploy,
		Live:   &deploy.Slot{Color: records.Blue, StackID: live, Stack: "demoapp-" + live},
		New:    &deploy.Slot{Color: records.Green, StackID: fresh, Stack: "demoapp-" + fresh},
	}}
}

func router(t *testing.T, f *zonetest.Fake, margin time.Duration) *traffic.Router {
	t.Helper()
	zones := zone.NewOpener(f, zone.Options{MinDelay: time.Millisecond, MaxDelay: time.Millisecond, Margin: margin})
	r, err := traffic.Writers{Zones: zones}.Open(context.Background(), me, state())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestOpenNeedsAPreparedState(t *testing.T) {
	f := zonetest.New()
	f.AddZone(zoneID, "example.com")
	zones := zone.NewOpener(f, zone.Options{})
	var internal *deploy.InternalError
	if _, err := (traffic.Writers{Zones: zones}).Open(context.Background(), me, &deploy.State{}); !errors.As(err, &internal) {
		t.Errorf("Open(no config) = %v, want an InternalError", err)
	}
	z, err := zones.Open(context.Background(), zoneID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := traffic.New(z, &deploy.State{Config: state().Config}, me, nil); !errors.As(err, &internal) {
		t.Errorf("New(no app) = %v, want an InternalError", err)
	}
}

func TestExpect(t *testing.T) {
	tests := []struct {
		name      string
		records   []records.Record
		published bool
		want      []string // substrings of the problems; none: no error
	}{
		{name: "as planned", records: liveBlue(false)},
		{name: "as planned, published", records: liveBlue(true), published: true},
		{name: "not yet published", records: liveBlue(false), published: true, want: []string{`the green slot names "", not this run's stack 123456`}},
		{name: "someone replaced the live stack", records: []records.Record{endpoint("777777"), records.TXT(app.SlotName(records.Blue), 60, "777777"),
			records.TXT(app.ActiveName(), 60, "777777"), weighted(records.Blue, "777777", 100)},
			want: []string{`the blue slot names "777777", the plan's live stack is 819273`}},
		{name: "someone published another stack in green", records: append(liveBlue(false), endpoint("555555"),
			records.TXT(app.SlotName(records.Green), 60, "555555")), published: true, want: []string{`the green slot names "555555"`}},
		{name: "the records break an invariant", records: append(liveBlue(false), weighted(records.Green, live, 0)),
			want: []string{"the green weighted record points at demoapp-819273.example.com but the green slot is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := zonetest.New()
			f.AddZone(zoneID, "example.com", tt.records...)
			r := router(t, f, time.Millisecond)
			st, err := r.InFlight(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			err = r.Expect(st, state().Plan, tt.published)
			if len(tt.want) == 0 {
				if err != nil {
					t.Errorf("Expect = %v, want nil", err)
				}
				return
			}
			var bad *deploy.StateInconsistentError
			if !errors.As(err, &bad) {
				t.Fatalf("Expect = %v (%T), want a StateInconsistentError", err, err)
			}
			if bad.App != "demoapp" || len(bad.Problems) != len(tt.want) {
				t.Errorf("problems of %s = %q, want %d", bad.App, bad.Problems, len(tt.want))
			}
			for i, w := range tt.want {
				if i < len(bad.Problems) && !strings.Contains(bad.Problems[i], w) {
					t.Errorf("problem %q does not contain %q", bad.Problems[i], w)
				}
			}
		})
	}
}

func TestApplyPendingThenSync(t *testing.T) {
	f := zonetest.New()
	f.AddZone(zoneID, "example.com", liveBlue(true)...)
	f.PendingChecks = 2
	// The margin exceeds the context's deadline, so Apply cannot wait for INSYNC and must hand the change back.
	r := router(t, f, time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := app.Shift(r.Routing(), records.Read(app, f.Records(zoneID), records.Facts{}), records.Green, 10)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Apply(ctx, b, 5)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Pending || c.ID == "" || c.WaitSeconds != 5 {
		t.Fatalf("Apply = %+v, want a pending change waiting 5 s", c)
	}
	var waits []int
	for c.Pending && len(waits) < 10 {
		if c, err = r.Sync(ctx, c); err != nil {
			t.Fatal(err)
		}
		waits = append(waits, c.WaitSeconds)
	}
	if diff := cmp.Diff(waits, []int{10, 20, 0}); diff != "" {
		t.Errorf("waits while syncing (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(c, deploy.PendingChange{}); diff != "" {
		t.Errorf("a synced change is not the zero change:\n%s", diff)
	}
	if got := f.Accepted["ChangeResourceRecordSets"]; got != 1 {
		t.Errorf("accepted ChangeResourceRecordSets = %d, want 1", got)
	}
	// Applying the same batch again submits nothing and is not pending.
	if c, err = r.Apply(ctx, b, 5); err != nil || c.Pending {
		t.Errorf("Apply again = %+v, %v; want done", c, err)
	}
	if got := f.Accepted["ChangeResourceRecordSets"]; got != 1 {
		t.Errorf("accepted ChangeResourceRecordSets after a second Apply = %d, want 1", got)
	}
}

func TestSyncCapsTheWait(t *testing.T) {
	f := zonetest.New()
	f.AddZone(zoneID, "example.com", liveBlue(true)...)
	f.PendingChecks = 1
	r := router(t, f, time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := app.Shift(r.Routing(), records.Read(app, f.Records(zoneID), records.Facts{}), records.Green, 30)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Apply(ctx, b, 45)
	if err != nil {
		t.Fatal(err)
	}
	if c, err = r.Sync(ctx, c); err != nil || c.WaitSeconds != deploy.MaxPollSeconds {
		t.Fatalf("Sync = %+v, %v; want pending with the wait capped at %d", c, err, deploy.MaxPollSeconds)
	}
	if got, err := r.Sync(ctx, deploy.PendingChange{}); err != nil || got.Pending {
		t.Errorf("Sync(no change) = %+v, %v; want nothing to do", got, err)
	}
}

// A batch Route 53 refuses is decided after one read: a fence another execution holds is a lost lock, records
// changed by hand are inconsistent, and a batch found applied (its answer lost) is done. Nothing is written twice.
func TestApplyRefused(t *testing.T) {
	other := "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-reconcile"
	tests := []struct {
		name    string
		between func(f *zonetest.Fake) // what happens between the read and the write
		wantErr string
	}{
		{name: "a reconcile took the app over", wantErr: "LockLostError", between: func(f *zonetest.Fake) {
			f.Set(zoneID, append(liveBlue(true), app.FenceRecord(records.Fence{Holder: records.FenceHolder(other), Epoch: 2})))
		}},
		{name: "a hand edit of a weight", wantErr: "StateInconsistentError", between: func(f *zonetest.Fake) {
			rs := liveBlue(true)
			for i := range rs {
				if rs[i].SetIdentifier == app.SetIdentifier(records.Blue) {
					rs[i].Weight = records.Weight(50)
				}
			}
			f.Set(zoneID, rs)
		}},
		{name: "a hand edit of stack.active, which the step does not change but relies on", wantErr: "StateInconsistentError", between: func(f *zonetest.Fake) {
			rs := liveBlue(true)
			for i := range rs {
				if rs[i].Name == app.ActiveName() {
					rs[i] = records.TXT(app.ActiveName(), 60, fresh)
				}
			}
			f.Set(zoneID, rs)
		}},
		{name: "the answer was lost", between: func(f *zonetest.Fake) { f.LoseAnswers = 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := zonetest.New()
			f.AddZone(zoneID, "example.com", liveBlue(true)...)
			r := router(t, f, time.Millisecond)
			st, err := r.State(context.Background(), records.Facts{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := app.Shift(r.Routing(), st, records.Green, 10)
			if err != nil {
				t.Fatal(err)
			}
			tt.between(f)
			before := f.Records(zoneID)
			_, err = r.Apply(context.Background(), b, 0)
			if tt.wantErr == "" {
				if err != nil || f.Accepted["ChangeResourceRecordSets"] != 1 {
					t.Fatalf("Apply = %v after %d accepted batches, want done after 1", err, f.Accepted["ChangeResourceRecordSets"])
				}
				return
			}
			if got := reflect.TypeOf(err); err == nil || got.Elem().Name() != tt.wantErr {
				t.Fatalf("Apply = %v, want a %s", err, tt.wantErr)
			}
			if diff := cmp.Diff(f.Records(zoneID), before); diff != "" || f.Accepted["ChangeResourceRecordSets"] != 0 {
				t.Errorf("a refused batch changed the records (%d accepted):\n%s", f.Accepted["ChangeResourceRecordSets"], diff)
			}
		})
	}
}

// A write under a context whose write check fails (the run lost its lock) sends nothing.
func TestApplyChecksTheLockBeforeWriting(t *testing.T) {
	lost := errors.New("lock lost")
	f := zonetest.New()
	f.AddZone(zoneID, "example.com", liveBlue(false)...)
	zones := zone.NewOpener(f, zone.Options{MinDelay: time.Millisecond, MaxDelay: time.Millisecond, Margin: time.Millisecond})
	held := true
	guard := func(context.Context, string, string) error {
		if held {
			return nil
		}
		return lost
	}
	r, err := traffic.Writers{Zones: zones, Guard: guard}.Open(context.Background(), me, state())
	if err != nil {
		t.Fatal(err)
	}
	held = false
	b := records.Batch{Changes: []records.Change{{Action: records.Upsert, Record: records.TXT(r.App().SlotName(records.Green), 60, "123456")}}}
	if _, err := r.Apply(context.Background(), b, 0); !errors.Is(err, lost) {
		t.Fatalf("Apply with a failing lock check = %v, want the check's error", err)
	}
	if n := f.Accepted["ChangeResourceRecordSets"] + f.Rejected["ChangeResourceRecordSets"]; n != 0 {
		t.Errorf("ChangeResourceRecordSets called %d times, want 0", n)
	}
	held = true
	if _, err := r.Apply(context.Background(), b, 0); err != nil {
		t.Fatalf("Apply with the lock held: %v", err)
	}
}
