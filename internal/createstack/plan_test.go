package createstack_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

const (
	idleID = "554433"
	keptID = "101010"
)

// managedOf returns the records a plan keeps (slot, active and host records), in the reader's order.
func managedOf(rs []records.Record) []records.Record {
	out := []records.Record{}
	for _, r := range records.Read(app, rs, records.Facts{}).Records {
		if app.Managed(r) {
			out = append(out, r)
		}
	}
	return out
}

// deployBefore is what a deployment's plan keeps: the managed records and the live stack's endpoint record, which
// a release turning failover on or off rewrites.
func deployBefore(rs []records.Record) []records.Record {
	out := managedOf(rs)
	st := records.Read(app, rs, records.Facts{})
	for _, r := range st.Records {
		if st.Active != "" && r.Name == app.EndpointName(st.Active) {
			out = append(out, r)
		}
	}
	return out
}

func TestPlanDeploy(t *testing.T) {
	legacy := records.Record{Name: "demoapp.example.com", Type: "A", TTL: 300, Values: []string{"192.0.2.10"}}
	tests := []struct {
		name     string
		records  []records.Record
		stacks   []string          // existing stack ids
		versions map[string]string // the stacks' version tags, by id
		cfg      func(*deploy.Config)
		want     func(p *deploy.Plan, newID string) // fills the expected plan
		more     bool
		wantErr  string
		detail   string // in the error's message
	}{
		{
			name: "first release goes into blue",
			want: func(p *deploy.Plan, id string) { p.New = slot(records.Blue, id) },
		},
		{
			name: "second release goes into the idle green slot", records: liveIn(records.Blue, liveID, ""), stacks: []string{liveID}, more: true,
			want: func(p *deploy.Plan, id string) { p.Live, p.New = slot(records.Blue, liveID), slot(records.Green, id) },
		},
		{
			name:    "later release retires the idle stack and deletes kept ones",
			records: append(liveIn(records.Green, liveID, idleID), endpointRec(keptID)), stacks: []string{idleID, keptID, liveID}, more: true,
			versions: map[string]string{liveID: "v1", idleID: "v0"},
			want: func(p *deploy.Plan, id string) {
				p.Live, p.New, p.Retire, p.Kept = slot(records.Green, liveID), slot(records.Blue, id), slot(records.Blue, idleID), []string{keptID}
				p.Live.Version, p.Retire.Version = "v1", "v0" // their stacks' version tags
			},
		},
		{
			name: "no steps: switch at once", records: liveIn(records.Blue, liveID, ""), stacks: []string{liveID},
			cfg:  func(c *deploy.Config) { c.Strategy.Steps = []int{} },
			want: func(p *deploy.Plan, id string) { p.Live, p.New = slot(records.Blue, liveID), slot(records.Green, id) },
		},
		{
			name:    "weights left between the colors",
			records: []records.Record{endpointRec(liveID), endpointRec(idleID), slotRec("blue", liveID), slotRec("green", idleID), activeRec(liveID), weightedRec("blue", liveID, 90), weightedRec("green", idleID, 10)},
			stacks:  []string{liveID, idleID}, wantErr: "StateInconsistentError", detail: "the idle color green has weight 10",
		},
		{
			name:    "a first release stopped after publishing",
			records: []records.Record{endpointRec(idleID), slotRec("blue", idleID)}, stacks: []string{idleID},
			wantErr: "StateInconsistentError", detail: "the records are building, not at rest",
		},
		{
			name: "an endpoint of a deleted stack", records: append(liveIn(records.Blue, liveID, ""), endpointRec(keptID)), stacks: []string{liveID},
			wantErr: "StateInconsistentError", detail: "belongs to stack demoapp-101010, which does not exist",
		},
		{name: "a simple record at the host", records: []records.Record{legacy}, wantErr: "RecordConflictError", detail: "demoapp.example.com A"},
		{
			name: "a simple record at the host, adopted", records: []records.Record{legacy},
			cfg: func(c *deploy.Config) { c.AdoptExistingRecord = true },
			want: func(p *deploy.Plan, id string) {
				p.New, p.Adopt, p.Before = slot(records.Blue, id), &legacy, []records.Record{legacy}
			},
		},
		{
			name:    "never two records adopted",
			records: []records.Record{legacy, {Name: "demoapp.example.com", Type: "A", TTL: 60, SetIdentifier: "legacy-a", Weight: records.Weight(1), Values: []string{"192.0.2.11"}}},
			cfg:     func(c *deploy.Config) { c.AdoptExistingRecord = true }, wantErr: "StateInconsistentError", detail: "belongs to no color",
		},
		{
			name:    "two records in the way of CNAME records",
			records: []records.Record{{Name: "demoapp.example.com", Type: "TXT", TTL: 300, Values: []string{`"v=spf1 -all"`}}, {Name: "demoapp.example.com", Type: "MX", TTL: 300, Values: []string{"10 mail.example.com"}}},
			cfg: func(c *deploy.Config) {
				c.AdoptExistingRecord, c.Endpoint.Type = true, deploy.EndpointCNAME
			},
			wantErr: "RecordConflictError", detail: "has 2 records in the way; only one simple record can be adopted",
		},
		{
			// A rollback's restore puts back only A, AAAA and CNAME records at the host: nothing else is adopted.
			name:    "a TXT record in the way of CNAME records is never adopted",
			records: []records.Record{{Name: "demoapp.example.com", Type: "TXT", TTL: 300, Values: []string{`"v=spf1 -all"`}}},
			cfg: func(c *deploy.Config) {
				c.AdoptExistingRecord, c.Endpoint.Type = true, deploy.EndpointCNAME
			},
			wantErr: "RecordConflictError", detail: "only a simple A or CNAME record can be adopted",
		},
		{
			name: "a CNAME at the host, adopted by alias records", records: []records.Record{{Name: "demoapp.example.com", Type: "CNAME", TTL: 300, Values: []string{"legacy.example.net"}}},
			cfg: func(c *deploy.Config) { c.AdoptExistingRecord = true },
			want: func(p *deploy.Plan, id string) {
				cname := records.Record{Name: "demoapp.example.com", Type: "CNAME", TTL: 300, Values: []string{"legacy.example.net"}}
				p.New, p.Adopt, p.Before = slot(records.Blue, id), &cname, []records.Record{cname}
			},
		},
		{
			name:    "records of other types at the host stay",
			records: []records.Record{{Name: "demoapp.example.com", Type: "AAAA", TTL: 300, Values: []string{"2001:db8::1"}}, {Name: "demoapp.example.com", Type: "TXT", TTL: 300, Values: []string{`"v=spf1 -all"`}}},
			want: func(p *deploy.Plan, id string) {
				p.New, p.Before = slot(records.Blue, id), []records.Record{{Name: "demoapp.example.com", Type: "AAAA", TTL: 300, Values: []string{"2001:db8::1"}}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, tt.records...)
			for _, id := range tt.stacks {
				e.stacks.add(id, "CREATE_COMPLETE").version = tt.versions[id]
			}
			got, err := e.call("plan", prepared(tt.cfg))
			if e.changes() != 0 || len(e.stacks.specs) != 0 {
				t.Errorf("plan wrote: %d record changes, %d stacks", e.changes(), len(e.stacks.specs))
			}
			if tt.wantErr != "" {
				if typeName(err) != tt.wantErr || !strings.Contains(err.Error(), tt.detail) {
					t.Fatalf("plan = %v (%s), want a %s saying %q", err, typeName(err), tt.wantErr, tt.detail)
				}
				return
			}
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			taken := slices.Concat(tt.stacks, []string{liveID, idleID, keptID})
			newID := records.NewStackID(me, func(id string) bool { return slices.Contains(taken, id) })
			want := &deploy.Plan{Action: deploy.ActionDeploy, Before: deployBefore(tt.records)}
			tt.want(want, newID)
			want.New.Version = "v2" // the input's
			if diff := cmp.Diff(got.Plan, want); diff != "" {
				t.Errorf("plan (-got +want):\n%s", diff)
			}
			if got.PlanJSON != got.Plan.Encode() {
				t.Errorf("planJson %s is not the plan's encoding", got.PlanJSON)
			}
			// The plan is stored in the lock item by plan itself, before any write.
			if l := e.lock(); l.Progress != deploy.ProgressPlanned || l.Plan != got.PlanJSON || !l.StartedAt.Equal(now) {
				t.Errorf("lock item: progress %s, startedAt %v, plan stored %v; want planned, %v, the plan", l.Progress, l.StartedAt, l.Plan == got.PlanJSON, now)
			}
			if diff := cmp.Diff(got.Step, &deploy.Step{Index: -1, More: tt.more}); diff != "" {
				t.Errorf("step (-got +want):\n%s", diff)
			}
		})
	}
}

func TestPlanNewStackID(t *testing.T) {
	first := records.NewStackID(me, nil)
	plan := func(stacks ...string) string {
		e := setup(t, liveIn(records.Blue, liveID, "")...)
		for _, id := range append(stacks, liveID) {
			e.stacks.add(id, "CREATE_COMPLETE")
		}
		s, err := e.call("plan", prepared(nil))
		if err != nil {
			t.Fatal(err)
		}
		return s.Plan.New.StackID
	}
	if a, b := plan(), plan(); a != b || a != first {
		t.Errorf("plans of one execution chose %s and %s, want %s both times (derived from the execution)", a, b, first)
	}
	if got := plan(first); got == first || records.ValidateStackID(got) != nil {
		t.Errorf("with stack %s taken, the plan chose %q", first, got)
	}
}

func TestPlanRollback(t *testing.T) {
	atRest := liveIn(records.Green, liveID, idleID)
	withoutIdleEndpoint := []records.Record{endpointRec(liveID), slotRec("green", liveID), activeRec(liveID), weightedRec("green", liveID, 100), slotRec("blue", idleID)}
	tests := []struct {
		name    string
		records []records.Record
		stacks  []string
		wantErr string
		want    *deploy.TargetMissingError
		detail  string
	}{
		{name: "to the idle stack", records: atRest, stacks: []string{liveID, idleID}},
		{name: "the idle slot is empty", records: liveIn(records.Green, liveID, ""), stacks: []string{liveID}, wantErr: "TargetMissingError",
			want: &deploy.TargetMissingError{App: "demoapp", Color: "blue", Reason: "the idle slot is empty"}},
		{name: "the idle stack does not exist", records: withoutIdleEndpoint, stacks: []string{liveID}, wantErr: "TargetMissingError",
			want: &deploy.TargetMissingError{App: "demoapp", Color: "blue", StackID: idleID, Reason: "stack demoapp-554433 does not exist"}},
		{name: "the idle stack has no endpoint", records: withoutIdleEndpoint, stacks: []string{liveID, idleID}, wantErr: "TargetMissingError",
			want: &deploy.TargetMissingError{App: "demoapp", Color: "blue", StackID: idleID, Reason: "it has no endpoint record demoapp-554433.example.com"}},
		{name: "nothing live yet", wantErr: "TargetMissingError", want: &deploy.TargetMissingError{App: "demoapp", Color: "blue", Reason: "the app has no live release yet"}},
		// A stack deleted by hand leaves its endpoint record (an inconsistency), but what the operator needs to hear
		// is that there is nothing to roll back to.
		{name: "the idle stack was deleted by hand", records: atRest, stacks: []string{liveID}, wantErr: "TargetMissingError", detail: "stack demoapp-554433 does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, tt.records...)
			for _, id := range tt.stacks {
				e.stacks.add(id, "CREATE_COMPLETE")
			}
			in := prepared(nil)
			in.Input = deploy.Input{Action: deploy.ActionRollback, App: "demoapp"}
			got, err := e.call("plan", in)
			if typeName(err) != tt.wantErr {
				t.Fatalf("plan = %v, want %q", err, tt.wantErr)
			}
			var missing *deploy.TargetMissingError
			switch {
			case tt.want != nil && errors.As(err, &missing):
				if diff := cmp.Diff(missing, tt.want); diff != "" {
					t.Errorf("TargetMissingError (-got +want):\n%s", diff)
				}
			case tt.wantErr != "":
				if !strings.Contains(err.Error(), tt.detail) {
					t.Errorf("error %q does not say %q", err, tt.detail)
				}
			default:
				want := &deploy.Plan{Action: deploy.ActionRollback, Live: slot(records.Green, liveID), Target: slot(records.Blue, idleID), Before: managedOf(tt.records)}
				if diff := cmp.Diff(got.Plan, want); diff != "" {
					t.Errorf("plan (-got +want):\n%s", diff)
				}
				if got.Step == nil || got.Step.More {
					t.Errorf("step = %+v, want no weight steps for a rollback", got.Step)
				}
			}
		})
	}
}

// A repair's plan refuses, before any write, a color whose stack is missing, not complete or without an endpoint;
// records that are not consistent are what it is for.
func TestPlanRepair(t *testing.T) {
	handEdited := []records.Record{endpointRec(liveID), slotRec("green", liveID), activeRec(idleID), weightedRec("green", liveID, 100),
		endpointRec(idleID), slotRec("blue", idleID), weightedRec("blue", idleID, 0)}
	tests := []struct {
		name    string
		records []records.Record
		live    records.Color
		stacks  map[string]string
		want    string // the TargetMissingError's reason; "" for a plan
	}{
		{name: "to green", records: handEdited, live: records.Green, stacks: map[string]string{liveID: "CREATE_COMPLETE", idleID: "CREATE_COMPLETE"}},
		{name: "to blue", records: handEdited, live: records.Blue, stacks: map[string]string{liveID: "CREATE_COMPLETE", idleID: "UPDATE_COMPLETE"}},
		{name: "an empty slot", records: liveIn(records.Green, liveID, ""), live: records.Blue, stacks: map[string]string{liveID: "CREATE_COMPLETE"}, want: "the blue slot is empty"},
		{name: "a missing stack", records: handEdited, live: records.Blue, stacks: map[string]string{liveID: "CREATE_COMPLETE"}, want: "stack demoapp-554433 does not exist"},
		{name: "a stack not complete", records: handEdited, live: records.Blue, stacks: map[string]string{liveID: "CREATE_COMPLETE", idleID: "ROLLBACK_COMPLETE"}, want: "stack demoapp-554433 is ROLLBACK_COMPLETE"},
		{name: "no endpoint", records: handEdited[:7:7][1:], live: records.Green, stacks: map[string]string{liveID: "CREATE_COMPLETE", idleID: "CREATE_COMPLETE"}, want: "it has no endpoint record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, tt.records...)
			for id, st := range tt.stacks {
				e.stacks.add(id, st)
			}
			in := prepared(nil)
			in.Input = deploy.Input{Action: deploy.ActionRepair, App: "demoapp", Live: string(tt.live)}
			got, err := e.call("plan", in)
			if tt.want != "" {
				if typeName(err) != "TargetMissingError" || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("plan = %v, want a TargetMissingError: %s", err, tt.want)
				}
			} else if err != nil || got.Plan == nil || got.Plan.Target == nil || got.Plan.Target.Color != tt.live || got.PlanJSON == "" {
				t.Errorf("plan = %+v, %v; want a repair plan targeting %s", got.Plan, err, tt.live)
			}
			if n := e.changes() + len(e.stacks.specs) + len(e.stacks.deleted); n != 0 {
				t.Errorf("plan made %d writes", n)
			}
		})
	}
}

func TestPlanReconcile(t *testing.T) {
	rollbackPlan := (&deploy.Plan{Action: deploy.ActionRollback, Live: slot("green", liveID), Target: slot("blue", idleID)}).Encode()
	type decision struct{ restore, cleanup bool }
	tests := []struct {
		plan     string
		progress deploy.Progress
		want     decision
	}{
		{heldPlan, deploy.ProgressLocked, decision{}},
		{heldPlan, deploy.ProgressPlanned, decision{restore: true}},
		{heldPlan, deploy.ProgressCreated, decision{restore: true}},
		{heldPlan, deploy.ProgressPublished, decision{restore: true}},
		{heldPlan, deploy.ProgressShifting, decision{restore: true}},
		{heldPlan, deploy.ProgressSwitched, decision{restore: true}},
		{heldPlan, deploy.ProgressWatched, decision{cleanup: true}},
		{heldPlan, deploy.ProgressCleaning, decision{cleanup: true}},
		{heldPlan, deploy.ProgressDone, decision{}},
		{rollbackPlan, deploy.ProgressPlanned, decision{}},
		{rollbackPlan, deploy.ProgressRolledBack, decision{}},
		{"", deploy.ProgressLocked, decision{}},
	}
	for _, tt := range tests {
		t.Run(string(tt.progress)+"/"+tt.plan[:min(len(tt.plan), 20)], func(t *testing.T) {
			e := setup(t)
			in := prepared(nil)
			in.Input = deploy.Input{Action: deploy.ActionReconcile, Execution: holder}
			in.Lock = &deploy.LockInfo{Holder: holder, Status: "ABORTED", Progress: tt.progress, Plan: tt.plan, TakenOver: true}
			got, err := e.call("plan", in)
			if err != nil {
				t.Fatal(err)
			}
			want := &deploy.Reconcile{Execution: holder, Progress: tt.progress, Restore: tt.want.restore, Cleanup: tt.want.cleanup}
			if diff := cmp.Diff(got.Reconcile, want); diff != "" {
				t.Errorf("reconcile (-got +want):\n%s", diff)
			}
			if (got.Plan != nil) != (tt.plan != "") || len(got.Warnings) != 0 {
				t.Errorf("plan recovered = %v, warnings %q; want the lock item's plan, no warnings", got.Plan != nil, got.Warnings)
			}
		})
	}

	// The state machine's put took a free lock: the run to reconcile holds nothing.
	e := setup(t)
	in := prepared(nil)
	in.Input = deploy.Input{Action: deploy.ActionReconcile, Execution: stopped}
	got, err := e.call("plan", in)
	if err != nil || got.Reconcile == nil || got.Reconcile.Skip == "" || got.Plan != nil {
		t.Errorf("reconciling %s with the lock free: %v, reconcile %+v; want nothing to reconcile", stopped, err, got.Reconcile)
	}
	in.Lock = &deploy.LockInfo{Holder: holder, Progress: deploy.ProgressShifting, Plan: `{"action":"deploy",`, TakenOver: true}
	if _, err := e.call("plan", in); typeName(err) != "InternalError" {
		t.Errorf("plan with an undecodable stored plan = %v, want InternalError", err)
	}
}

// A plan lists at most deploy.MaxKept of the stacks earlier failed runs kept: it travels in the state document, and
// the next deployment's clean-up takes the rest.
func TestPlanListsAtMostMaxKept(t *testing.T) {
	e := setup(t, liveIn(records.Blue, liveID, "")...)
	e.stacks.add(liveID, "CREATE_COMPLETE")
	for i := range deploy.MaxKept + 3 {
		e.stacks.add(fmt.Sprintf("5%05d", i), "CREATE_COMPLETE")
	}
	got, err := e.call("plan", prepared(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Plan.Kept) != deploy.MaxKept {
		t.Errorf("the plan lists %d kept stacks, want %d", len(got.Plan.Kept), deploy.MaxKept)
	}
}
