package rollback_test

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/records/recordstest"
	"github.com/bluegreen-aws/bluegreen/internal/rollback"
	"github.com/bluegreen-aws/bluegreen/internal/stacks"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
	"github.com/bluegreen-aws/bluegreen/internal/zone/zonetest"
)

const (
	zoneID   = recordstest.ZoneID
	lbZoneID = recordstest.LBZoneID
	me       = "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-deploy-v2"
	liveID   = "819273"
	newID    = "123456"
	idleID   = "554433"
)

var (
	app         = recordstest.App
	endpointRec = recordstest.Endpoint
	weightedRec = recordstest.Weighted
	slotRec     = recordstest.Slot
	activeRec   = recordstest.Active
)

// statuses is CloudFormation as the rollback function sees it: stack name → status ("" or absent: missing).
type statuses map[string]string

func (s statuses) Status(_ context.Context, name string) (stacks.Status, error) {
	st, ok := s[name]
	if !ok || st == "" {
		return stacks.Status{Name: name, Phase: stacks.PhaseMissing}, nil
	}
	return stacks.Status{Name: name, Phase: stacks.PhaseOf(st), StackStatus: st}, nil
}

func (s statuses) List(_ context.Context, app string) ([]stacks.Summary, error) {
	var out []stacks.Summary
	for name, st := range s {
		if id, ok := strings.CutPrefix(name, app+"-"); ok && st != "" {
			out = append(out, stacks.Summary{Name: name, StackID: id, Status: st, Phase: stacks.PhaseOf(st)})
		}
	}
	return out, nil
}

func slot(c records.Color, id string) *deploy.Slot {
	return &deploy.Slot{Color: c, StackID: id, Stack: "demoapp-" + id}
}

func state(p *deploy.Plan, cfg func(*deploy.Config)) deploy.State {
	c := deploy.Config{HostedZoneID: zoneID, Zone: "example.com", Host: app.Host}
	if cfg != nil {
		cfg(&c)
	}
	c.Resolve()
	a := app
	return deploy.State{Input: deploy.Input{App: "demoapp", Version: "v2"}, App: &a, Config: &c, Plan: p}
}

func call(t *testing.T, f *zonetest.Fake, st statuses, op string, s deploy.State) (deploy.State, error) {
	t.Helper()
	zones := zone.NewOpener(f, zone.Options{MinDelay: time.Millisecond, MaxDelay: time.Millisecond, Margin: time.Millisecond})
	fn := rollback.New(zones, st, nil).Function(slog.New(slog.DiscardHandler))
	return fn.Handle(context.Background(), deploy.Request{Op: op, Execution: me, State: s})
}

func typeName(err error) string {
	if err == nil {
		return ""
	}
	return reflect.TypeOf(err).Elem().Name()
}

// managed returns the records a restore puts back, in the reader's order.
func managed(rs []records.Record) []records.Record {
	out := []records.Record{}
	for _, r := range records.Read(app, rs, records.Facts{}).Records {
		if app.Managed(r) {
			out = append(out, r)
		}
	}
	return out
}

func TestRestore(t *testing.T) {
	atRest := []records.Record{endpointRec(liveID), slotRec(records.Blue, liveID), activeRec(liveID), weightedRec(records.Blue, liveID, 100)}
	legacy := records.Record{Name: "demoapp.example.com", Type: "A", TTL: 300, Values: []string{"192.0.2.10"}}
	published := append(append([]records.Record{}, atRest...), endpointRec(newID), slotRec(records.Green, newID), weightedRec(records.Green, newID, 0))
	at := func(green int64, active string) []records.Record {
		return []records.Record{endpointRec(liveID), slotRec(records.Blue, liveID), activeRec(active), weightedRec(records.Blue, liveID, 100-green),
			endpointRec(newID), slotRec(records.Green, newID), weightedRec(records.Green, newID, green)}
	}
	deployPlan := &deploy.Plan{Action: deploy.ActionDeploy, Live: slot(records.Blue, liveID), New: slot(records.Green, newID), Before: managed(atRest)}
	firstPlan := &deploy.Plan{Action: deploy.ActionDeploy, New: slot(records.Blue, newID), Before: []records.Record{}}
	adoptPlan := &deploy.Plan{Action: deploy.ActionDeploy, New: slot(records.Blue, newID), Before: []records.Record{legacy}, Adopt: &legacy}
	firstLive := []records.Record{endpointRec(newID), slotRec(records.Blue, newID), activeRec(newID), weightedRec(records.Blue, newID, 100)}
	tests := []struct {
		name      string
		records   []records.Record
		plan      *deploy.Plan
		cfg       func(*deploy.Config)
		step      int  // the last weight step's index (-1 before the first)
		switched  bool // the run's switch made the new stack live
		wantCalls int
		wantDrain int
	}{
		{name: "nothing written yet", records: atRest, plan: deployPlan, step: -1},
		{name: "published, no traffic", records: published, plan: deployPlan, step: -1, wantCalls: 1},
		{name: "at 10%", records: at(10, liveID), plan: deployPlan, step: 0, wantCalls: 1, wantDrain: 60},
		{name: "switched", records: at(100, newID), plan: deployPlan, step: 2, switched: true, wantCalls: 1, wantDrain: 60},
		{name: "switched, CNAME drain", records: cnameOf(at(100, newID)), plan: cnamePlan(deployPlan), step: 2, switched: true, wantCalls: 1, wantDrain: 300,
			cfg: func(c *deploy.Config) { c.Endpoint.Type, c.Endpoint.TTL = deploy.EndpointCNAME, 300 }},
		{name: "an explicit zero drain", records: at(30, liveID), plan: deployPlan, step: 1, wantCalls: 1, cfg: func(c *deploy.Config) { c.DrainSeconds = new(int) }},
		{name: "first release, switched", records: firstLive, plan: firstPlan, step: -1, switched: true, wantCalls: 1, wantDrain: 60},
		{name: "first release, published", records: firstLive[:2], plan: firstPlan, step: -1, wantCalls: 1},
		{name: "first release that adopted a record", records: firstLive, plan: adoptPlan, step: -1, switched: true, wantCalls: 1, wantDrain: 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := zonetest.New()
			f.AddZone(zoneID, "example.com", tt.records...)
			in := state(tt.plan, tt.cfg)
			in.Step, in.Switched = &deploy.Step{Index: tt.step}, tt.switched
			in.Error = &deploy.TaskError{Error: "HealthCheckError", Cause: `{"errorMessage":"stack demoapp-123456 failed its health check: alarm demoapp-5xx is ALARM","errorType":"HealthCheckError"}`}
			for i := range 2 {
				got, err := call(t, f, nil, "restore", in)
				if err != nil {
					t.Fatalf("restore %d: %v", i+1, err)
				}
				if n := f.Accepted["ChangeResourceRecordSets"]; n != tt.wantCalls {
					t.Errorf("after restore %d: %d accepted calls, want %d (one batch, never re-submitted)", i+1, n, tt.wantCalls)
				}
				// A retried restore finds the records already restored and must still drain a stack that had traffic.
				if got.DrainSeconds != tt.wantDrain {
					t.Errorf("restore %d: drainSeconds = %d, want %d", i+1, got.DrainSeconds, tt.wantDrain)
				}
				// The failure says it was rolled back (how far, what is live: deploy.RollbackCause), then why.
				const why = ": stack demoapp-123456 failed its health check: alarm demoapp-5xx is ALARM"
				f := got.Failure
				if f == nil || f.Error != "HealthCheckError" || !deploy.IsRollbackCause(f.Cause) || !strings.HasSuffix(f.Cause, why) || got.Result != "rolled-back" || got.Change.Pending {
					t.Errorf("result %q, pending %v, failure %+v; want HealthCheckError, a rollback cause ending %q", got.Result, got.Change.Pending, f, why)
				}
			}
			if diff := cmp.Diff(managed(f.Records(zoneID)), managed(tt.plan.Before)); diff != "" {
				t.Errorf("records after the restore differ from the plan's (-got +want):\n%s", diff)
			}
		})
	}
}

func cnameOf(rs []records.Record) []records.Record {
	out := make([]records.Record, len(rs))
	for i, r := range rs {
		r = r.Clone()
		if r.Alias != nil {
			r.Type, r.TTL, r.Values, r.Alias = "CNAME", 300, []string{r.Alias.DNSName}, nil
		}
		out[i] = r
	}
	return out
}

func cnamePlan(p *deploy.Plan) *deploy.Plan {
	c := *p
	c.Before = cnameOf(p.Before)
	return &c
}

func TestManual(t *testing.T) {
	atRest := []records.Record{endpointRec(liveID), slotRec(records.Green, liveID), activeRec(liveID), weightedRec(records.Green, liveID, 100),
		endpointRec(idleID), slotRec(records.Blue, idleID), weightedRec(records.Blue, idleID, 0)}
	plan := &deploy.Plan{Action: deploy.ActionRollback, Live: slot(records.Green, liveID), Target: slot(records.Blue, idleID), Before: managed(atRest)}
	complete := statuses{"demoapp-" + liveID: "CREATE_COMPLETE", "demoapp-" + idleID: "UPDATE_ROLLBACK_COMPLETE"}
	tests := []struct {
		name    string
		records []records.Record
		stacks  statuses
		want    *deploy.TargetMissingError
	}{
		{name: "to the idle stack", records: atRest, stacks: complete},
		{name: "the target stack is gone", records: atRest, stacks: statuses{"demoapp-" + liveID: "CREATE_COMPLETE"},
			want: &deploy.TargetMissingError{App: "demoapp", Color: "blue", StackID: idleID, Reason: "stack demoapp-554433 is missing"}},
		{name: "the target stack is being deleted", records: atRest, stacks: statuses{"demoapp-" + idleID: "DELETE_IN_PROGRESS"},
			want: &deploy.TargetMissingError{App: "demoapp", Color: "blue", StackID: idleID, Reason: "stack demoapp-554433 is delete_in_progress"}},
		{name: "its endpoint record is gone", records: append(atRest[:4:4], slotRec(records.Blue, idleID), weightedRec(records.Blue, idleID, 0)), stacks: complete,
			want: &deploy.TargetMissingError{App: "demoapp", Color: "blue", StackID: idleID, Reason: "it has no endpoint record demoapp-554433.example.com"}},
		{name: "another stack took its slot", records: append(atRest[:4:4], endpointRec(newID), slotRec(records.Blue, newID), weightedRec(records.Blue, newID, 0)), stacks: complete,
			want: &deploy.TargetMissingError{App: "demoapp", Color: "blue", StackID: idleID, Reason: `the blue slot now names "123456"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := zonetest.New()
			f.AddZone(zoneID, "example.com", tt.records...)
			in := state(plan, nil)
			in.Input = deploy.Input{Action: deploy.ActionRollback, App: "demoapp"}
			for i := range 2 {
				got, err := call(t, f, tt.stacks, "manual", in)
				if tt.want != nil {
					var missing *deploy.TargetMissingError
					if !errors.As(err, &missing) {
						t.Fatalf("manual = %v, want a TargetMissingError", err)
					}
					if diff := cmp.Diff(missing, tt.want); diff != "" {
						t.Errorf("TargetMissingError (-got +want):\n%s", diff)
					}
					if n := f.Accepted["ChangeResourceRecordSets"]; n != 0 {
						t.Errorf("%d changes accepted before the refusal", n)
					}
					return
				}
				if err != nil || got.Result != "rolled-back" {
					t.Fatalf("manual %d = %q, %v", i+1, got.Result, err)
				}
				if n := f.Accepted["ChangeResourceRecordSets"]; n != 1 {
					t.Errorf("after manual %d: %d accepted calls, want 1", i+1, n)
				}
			}
			st := records.Read(app, f.Records(zoneID), records.Facts{})
			if st.Phase != records.PhaseAtRest || st.Active != idleID || st.Weight(records.Blue) != 100 || st.Weight(records.Green) != 0 {
				t.Errorf("after the rollback: %s, active %s, blue %d, green %d, %v; want blue %s live", st.Phase, st.Active, st.Weight(records.Blue), st.Weight(records.Green), st.Problems, idleID)
			}
		})
	}
}

func TestReconcile(t *testing.T) {
	atRest := []records.Record{endpointRec(liveID), slotRec(records.Blue, liveID), activeRec(liveID), weightedRec(records.Blue, liveID, 100),
		endpointRec(newID), slotRec(records.Green, newID), weightedRec(records.Green, newID, 0)}
	left := []records.Record{endpointRec(liveID), slotRec(records.Blue, liveID), activeRec(liveID), weightedRec(records.Blue, liveID, 70),
		endpointRec(newID), slotRec(records.Green, newID), weightedRec(records.Green, newID, 30)}
	handEdited := []records.Record{endpointRec(liveID), slotRec(records.Blue, liveID), activeRec(newID), weightedRec(records.Blue, liveID, 100),
		endpointRec(newID), slotRec(records.Green, newID), weightedRec(records.Green, newID, 0)}
	both := statuses{"demoapp-" + liveID: "CREATE_COMPLETE", "demoapp-" + newID: "CREATE_COMPLETE"}
	tests := []struct {
		name    string
		records []records.Record
		plan    *deploy.Plan
		skip    string
		wantErr string
	}{
		{name: "no plan, at rest: nothing to do", records: atRest},
		{name: "no plan, weights left split: refused, naming the repair", records: left, wantErr: "StateInconsistentError"},
		{name: "no plan, stack.active names the idle stack: refused, never moved", records: handEdited, wantErr: "StateInconsistentError"},
		{name: "a plan: the records stay", records: left, plan: &deploy.Plan{Action: deploy.ActionRollback}},
		{name: "nothing to reconcile", records: handEdited, skip: "the lock is another run's"},
		{name: "nothing live", records: []records.Record{endpointRec(newID), slotRec(records.Blue, newID)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := zonetest.New()
			f.AddZone(zoneID, "example.com", tt.records...)
			before := f.Records(zoneID)
			in := state(tt.plan, nil)
			in.Input = deploy.Input{Action: deploy.ActionReconcile, Execution: me}
			in.Reconcile = &deploy.Reconcile{Execution: me, Skip: tt.skip}
			got, err := call(t, f, both, "reconcile", in)
			switch {
			case tt.wantErr != "":
				if typeName(err) != tt.wantErr || !strings.Contains(err.Error(), "bluegreen repair demoapp --live") {
					t.Errorf("reconcile = %v, want a %s naming the repair", err, tt.wantErr)
				}
			case err != nil || got.Result != "reconciled":
				t.Errorf("reconcile = %q, %v; want reconciled", got.Result, err)
			}
			if n := f.Accepted["ChangeResourceRecordSets"]; n != 0 {
				t.Errorf("a reconcile without a plan to act on made %d accepted changes, want 0", n)
			}
			if diff := cmp.Diff(f.Records(zoneID), before); diff != "" {
				t.Errorf("records changed (-after +before):\n%s", diff)
			}
		})
	}
}

func TestRepair(t *testing.T) {
	handEdited := []records.Record{endpointRec(liveID), slotRec(records.Blue, liveID), activeRec(newID), weightedRec(records.Blue, liveID, 100),
		endpointRec(newID), slotRec(records.Green, newID), weightedRec(records.Green, newID, 0)}
	split := []records.Record{endpointRec(liveID), slotRec(records.Blue, liveID), activeRec(liveID), weightedRec(records.Blue, liveID, 70),
		endpointRec(newID), slotRec(records.Green, newID), weightedRec(records.Green, newID, 30)}
	mx := records.Record{Name: "demoapp.example.com", Type: "MX", TTL: 300, Values: []string{"10 mx.example.com"}}
	both := statuses{"demoapp-" + liveID: "CREATE_COMPLETE", "demoapp-" + newID: "CREATE_COMPLETE"}
	tests := []struct {
		name      string
		records   []records.Record
		live      records.Color
		stacks    statuses
		cname     bool
		wantErr   string
		wantCalls int
	}{
		{name: "stack.active names the idle stack: blue made live", records: handEdited, live: records.Blue, stacks: both, wantCalls: 1},
		{name: "stack.active names the idle stack: green made live", records: handEdited, live: records.Green, stacks: both, wantCalls: 1},
		{name: "weights left split: to blue", records: split, live: records.Blue, stacks: both, wantCalls: 1},
		{name: "weights left split: to green", records: split, live: records.Green, stacks: both, wantCalls: 1},
		{name: "already consistent", records: []records.Record{endpointRec(liveID), slotRec(records.Blue, liveID), activeRec(liveID), weightedRec(records.Blue, liveID, 100)},
			live: records.Blue, stacks: both},
		{name: "the idle stack is gone: its slot and weighted record go", records: handEdited, live: records.Blue,
			stacks: statuses{"demoapp-" + liveID: "CREATE_COMPLETE"}, wantCalls: 1},
		{name: "the slot names another stack now", records: handEdited, live: records.Green, stacks: both, wantErr: "TargetMissingError"},
		{name: "an MX record beside weighted CNAME records", records: []records.Record{recordstest.EndpointCNAME(liveID), slotRec(records.Blue, liveID), mx},
			live: records.Blue, stacks: both, cname: true, wantErr: "RecordConflictError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := zonetest.New()
			f.AddZone(zoneID, "example.com", tt.records...)
			before := f.Records(zoneID)
			in := state(nil, func(c *deploy.Config) {
				if tt.cname {
					c.Endpoint.Type = deploy.EndpointCNAME
				}
			})
			target := slot(tt.live, records.Read(app, tt.records, records.Facts{}).Slots[tt.live])
			if tt.wantErr == "TargetMissingError" {
				target = slot(tt.live, idleID)
			}
			in.Input = deploy.Input{Action: deploy.ActionRepair, App: "demoapp", Live: string(tt.live)}
			in.Plan = &deploy.Plan{Action: deploy.ActionRepair, Target: target}
			for i := range 2 {
				got, err := call(t, f, tt.stacks, "repair", in)
				if tt.wantErr != "" {
					if typeName(err) != tt.wantErr {
						t.Fatalf("repair = %v, want a %s", err, tt.wantErr)
					}
					if diff := cmp.Diff(f.Records(zoneID), before); diff != "" {
						t.Errorf("a refused repair changed the records:\n%s", diff)
					}
					return
				}
				if err != nil || got.Result != "repaired" || got.Repair == nil || got.Repair.Live != tt.live {
					t.Fatalf("repair %d = %q, %+v, %v", i+1, got.Result, got.Repair, err)
				}
				if i == 0 && (len(got.Repair.Changes) > 0) != (tt.wantCalls > 0) {
					t.Errorf("repair reported changes %q, want some: %v", got.Repair.Changes, tt.wantCalls > 0)
				}
				if n := f.Accepted["ChangeResourceRecordSets"]; n != tt.wantCalls {
					t.Errorf("after repair %d: %d accepted calls, want %d", i+1, n, tt.wantCalls)
				}
			}
			var ids []string
			for name := range tt.stacks {
				ids = append(ids, strings.TrimPrefix(name, "demoapp-"))
			}
			st := records.Read(app, f.Records(zoneID), records.Facts{Stacks: ids})
			if st.Phase != records.PhaseAtRest || st.ActiveColor != tt.live || st.Weight(tt.live) != 100 {
				t.Errorf("after the repair: %s, active %s, problems %q", st.Phase, st.ActiveColor, st.Problems)
			}
		})
	}
}

func TestRestoreNeedsAPlan(t *testing.T) {
	f := zonetest.New()
	f.AddZone(zoneID, "example.com")
	if _, err := call(t, f, nil, "restore", state(nil, nil)); typeName(err) != "InternalError" {
		t.Errorf("restore without a plan = %v, want InternalError", err)
	}
	if _, err := call(t, f, statuses{}, "manual", state(&deploy.Plan{Action: deploy.ActionRollback}, nil)); typeName(err) != "InternalError" {
		t.Errorf("manual without a target = %v, want InternalError", err)
	}
}
