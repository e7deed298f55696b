package switchover_test

import (
	"context"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/applock/applocktest"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/records/recordstest"
	"github.com/bluegreen-aws/bluegreen/internal/switchover"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
	"github.com/bluegreen-aws/bluegreen/internal/zone/zonetest"
)

const (
	zoneID   = recordstest.ZoneID
	lbZoneID = recordstest.LBZoneID
	me       = "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-deploy-v2"
	liveID   = "819273"
	newID    = "123456"
)

var (
	app         = recordstest.App
	endpointRec = recordstest.Endpoint
	weightedRec = recordstest.Weighted
	slotRec     = recordstest.Slot
)

// shifted is the zone with green 123456 at percent and blue 819273 still active.
func shifted(percent int64) []records.Record {
	return []records.Record{endpointRec(liveID), slotRec(records.Blue, liveID), records.TXT(app.ActiveName(), 60, liveID), weightedRec(records.Blue, liveID, 100-percent),
		endpointRec(newID), slotRec(records.Green, newID), weightedRec(records.Green, newID, percent)}
}

func state(p *deploy.Plan) deploy.State {
	cfg := deploy.Config{HostedZoneID: zoneID, Zone: "example.com", Host: app.Host}
	cfg.Resolve()
	a := app
	return deploy.State{Input: deploy.Input{App: "demoapp", Version: "v2"}, App: &a, Config: &cfg, Plan: p, Step: &deploy.Step{Index: 2, Percent: 60}}
}

func deployPlan() *deploy.Plan {
	return &deploy.Plan{Action: deploy.ActionDeploy, Live: &deploy.Slot{Color: records.Blue, StackID: liveID, Stack: "demoapp-" + liveID},
		New: &deploy.Slot{Color: records.Green, StackID: newID, Stack: "demoapp-" + newID}}
}

// heldBy is a lock table where execution holds demoapp's lock.
func heldBy(execution string) *applocktest.Table {
	l := applocktest.New("bluegreen-locks")
	l.Put(applocktest.Item{"app": &ddbtypes.AttributeValueMemberS{Value: "demoapp"}, "execution": &ddbtypes.AttributeValueMemberS{Value: execution},
		"progress": &ddbtypes.AttributeValueMemberS{Value: "shifting"}})
	return l
}

func call(t *testing.T, f *zonetest.Fake, locks *applocktest.Table, s deploy.State) (deploy.State, error) {
	t.Helper()
	zones := zone.NewOpener(f, zone.Options{MinDelay: time.Millisecond, MaxDelay: time.Millisecond, Margin: time.Millisecond})
	fn := switchover.New(zones, applock.New(locks, "bluegreen-locks")).Function(slog.New(slog.DiscardHandler))
	return fn.Handle(context.Background(), deploy.Request{Op: "switch", Execution: me, State: s})
}

func typeName(err error) string {
	if err == nil {
		return ""
	}
	return reflect.TypeOf(err).Elem().Name()
}

func TestSwitch(t *testing.T) {
	legacy := records.Record{Name: "demoapp.example.com", Type: "A", TTL: 300, Values: []string{"192.0.2.10"}}
	first := &deploy.Plan{Action: deploy.ActionDeploy, New: &deploy.Slot{Color: records.Blue, StackID: newID, Stack: "demoapp-" + newID}}
	adopting := *first
	adopting.Adopt = &legacy
	tests := []struct {
		name    string
		records []records.Record
		plan    *deploy.Plan
		want    []records.Record // the app's records afterwards, in the reader's order
	}{
		{name: "after the last step", records: shifted(60), plan: deployPlan(),
			want: []records.Record{endpointRec(newID), endpointRec(liveID), weightedRec(records.Blue, liveID, 0), weightedRec(records.Green, newID, 100),
				records.TXT(app.ActiveName(), 60, newID), slotRec(records.Blue, liveID), slotRec(records.Green, newID)}},
		{name: "at once, without steps", records: shifted(0), plan: deployPlan(),
			want: []records.Record{endpointRec(newID), endpointRec(liveID), weightedRec(records.Blue, liveID, 0), weightedRec(records.Green, newID, 100),
				records.TXT(app.ActiveName(), 60, newID), slotRec(records.Blue, liveID), slotRec(records.Green, newID)}},
		{name: "first release", records: []records.Record{endpointRec(newID), slotRec(records.Blue, newID)}, plan: first,
			want: []records.Record{endpointRec(newID), weightedRec(records.Blue, newID, 100), records.TXT(app.ActiveName(), 60, newID), slotRec(records.Blue, newID)}},
		{name: "first release adopting a simple record", records: []records.Record{legacy, endpointRec(newID), slotRec(records.Blue, newID)}, plan: &adopting,
			want: []records.Record{endpointRec(newID), weightedRec(records.Blue, newID, 100), records.TXT(app.ActiveName(), 60, newID), slotRec(records.Blue, newID)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := zonetest.New()
			f.AddZone(zoneID, "example.com", tt.records...)
			locks := heldBy(me)
			for i := range 2 {
				got, err := call(t, f, locks, state(tt.plan))
				if err != nil {
					t.Fatalf("switch %d: %v", i+1, err)
				}
				if got.Change.Pending || !got.Switched {
					t.Errorf("switch %d: change %+v pending, switched %v; want INSYNC and switched", i+1, got.Change, got.Switched)
				}
				if n := f.Accepted["ChangeResourceRecordSets"]; n != 1 {
					t.Errorf("after switch %d: %d accepted calls, want exactly 1 (one batch, never re-submitted)", i+1, n)
				}
			}
			st := records.Read(app, f.Records(zoneID), records.Facts{})
			if diff := cmp.Diff(st.Records, tt.want); diff != "" {
				t.Errorf("records after the switch (-got +want):\n%s", diff)
			}
			if p := applock.Decode(locks.Get("demoapp")).Progress; p != deploy.ProgressSwitched {
				t.Errorf("progress %s after the switch, want switched (recorded by switch itself)", p)
			}
			if st.Phase != records.PhaseAtRest || st.Active != newID {
				t.Errorf("after the switch: %s, active %s, problems %v; want at rest on %s", st.Phase, st.Active, st.Problems, newID)
			}
		})
	}
}

func TestSwitchRefuses(t *testing.T) {
	tests := []struct {
		name    string
		records []records.Record
		plan    *deploy.Plan
		holder  string // the lock's holder; "" is this run
		wantErr string
		say     string
	}{
		{name: "someone else changed the live slot", records: append(shifted(60)[4:], endpointRec("777777"), slotRec(records.Blue, "777777"),
			records.TXT(app.ActiveName(), 60, "777777"), weightedRec(records.Blue, "777777", 40)), plan: deployPlan(),
			wantErr: "StateInconsistentError", say: `the blue slot names "777777"`},
		{name: "the new stack's endpoint is gone", records: append(shifted(0)[:4], slotRec(records.Green, newID)), plan: deployPlan(),
			wantErr: "InternalError", say: "stack 123456 has no endpoint record"},
		{name: "no plan", records: shifted(60), wantErr: "InternalError", say: "switch needs a deployment's plan"},
		{name: "the lock was lost", records: shifted(60), plan: deployPlan(), holder: "arn:other", wantErr: "LockLostError", say: "held by arn:other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := zonetest.New()
			f.AddZone(zoneID, "example.com", tt.records...)
			holder := tt.holder
			if holder == "" {
				holder = me
			}
			locks := heldBy(holder)
			_, err := call(t, f, locks, state(tt.plan))
			if typeName(err) != tt.wantErr || !strings.Contains(err.Error(), tt.say) {
				t.Errorf("switch = %v, want a %s saying %q", err, tt.wantErr, tt.say)
			}
			if p := applock.Decode(locks.Get("demoapp")).Progress; p != "shifting" || f.Accepted["ChangeResourceRecordSets"] != 0 {
				t.Errorf("%d changes accepted, progress %s after a refusal; want none, unchanged", f.Accepted["ChangeResourceRecordSets"], p)
			}
		})
	}
}
