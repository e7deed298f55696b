package records

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestBatches asserts each builder's exact changes, and that Apply accepts the batch on the state it is meant for.
func TestBatches(t *testing.T) {
	for _, m := range []mode{aliasMode, cnameMode, apexMode} {
		t.Run(m.name, func(t *testing.T) { testBatches(t, m) })
	}
}

func testBatches(t *testing.T, m mode) {
	a, rt := m.app(t, "demo"), m.routing()
	ep := func(id string) Record { return endpointRec(a, m, id) }
	w := func(c Color, id string, weight int64) Record { return weightedRec(a, m, c, id, weight) }
	up := func(r Record) Change { return Change{Action: Upsert, Record: r} }
	del := func(r Record) Change { return Change{Action: Delete, Record: r} }
	// The states of an app's first two releases and a third one that fails.
	halfBuilt := []Record{ep(id1), slotRec(a, Blue, id1)}
	live1 := cat(halfBuilt, []Record{w(Blue, id1, 100), activeRec(a, id1)})
	published2 := cat(live1, []Record{ep(id2), slotRec(a, Green, id2), w(Green, id2, 0)})
	shifted2 := cat(live1[:2], []Record{activeRec(a, id1), w(Blue, id1, 40), ep(id2), slotRec(a, Green, id2), w(Green, id2, 60)})
	live2 := []Record{ep(id1), ep(id2), slotRec(a, Blue, id1), slotRec(a, Green, id2), activeRec(a, id2), w(Blue, id1, 0), w(Green, id2, 100)}
	shifted3 := []Record{ep(id1), ep(id2), ep(id3), slotRec(a, Blue, id3), slotRec(a, Green, id2), activeRec(a, id2), w(Blue, id3, 10), w(Green, id2, 90)}
	adoptable := cat(halfBuilt, []Record{simpleA(a.HostName())})
	loud := lbTarget(id1)
	loud.DNSName = strings.ToUpper(loud.DNSName) + "."

	type testCase struct {
		name    string
		recs    []Record
		build   func(s State) (Batch, error)
		want    []Change
		wantErr string
	}
	tests := []testCase{
		{name: "PublishEndpoint", build: func(State) (Batch, error) { return a.PublishEndpoint(rt, id1, loud) },
			want: []Change{up(ep(id1))}},
		{name: "PublishEndpoint of a bad name", build: func(State) (Batch, error) {
			return a.PublishEndpoint(rt, id1, Target{DNSName: "lb..x", HostedZoneID: lbZoneID})
		}, wantErr: "invalid label"},
		{name: "PublishSlot, first release", recs: []Record{ep(id1)},
			build: func(s State) (Batch, error) { return a.PublishSlot(rt, s, Blue, id1), nil },
			want:  []Change{up(slotRec(a, Blue, id1))}},
		{name: "PublishSlot, second release", recs: cat(live1, []Record{ep(id2)}),
			build: func(s State) (Batch, error) { return a.PublishSlot(rt, s, Green, id2), nil },
			want:  []Change{up(slotRec(a, Green, id2)), up(w(Green, id2, 0))}},
		{name: "PublishSlot, third release retargets", recs: cat(live2, []Record{ep(id3)}),
			build: func(s State) (Batch, error) { return a.PublishSlot(rt, s, Blue, id3), nil },
			want:  []Change{up(slotRec(a, Blue, id3)), up(w(Blue, id3, 0))}},
		{name: "Shift 10", recs: published2,
			build: func(s State) (Batch, error) { return a.Shift(rt, s, Green, 10) },
			want:  []Change{up(w(Green, id2, 10)), up(w(Blue, id1, 90))}},
		{name: "Shift 99", recs: shifted2,
			build: func(s State) (Batch, error) { return a.Shift(rt, s, Green, 99) },
			want:  []Change{up(w(Green, id2, 99)), up(w(Blue, id1, 1))}},
		{name: "Shift 0", recs: published2, build: func(s State) (Batch, error) { return a.Shift(rt, s, Green, 0) }, wantErr: "between 1 and 99"},
		{name: "Shift 100", recs: published2, build: func(s State) (Batch, error) { return a.Shift(rt, s, Green, 100) }, wantErr: "between 1 and 99"},
		{name: "Shift with an empty slot", recs: live1, build: func(s State) (Batch, error) { return a.Shift(rt, s, Green, 10) }, wantErr: "both slots"},
		{name: "Switch, first release", recs: halfBuilt,
			build: func(s State) (Batch, error) { return a.Switch(rt, s, Blue, nil) },
			want:  []Change{up(w(Blue, id1, 100)), up(activeRec(a, id1))}},
		{name: "Switch, first release adopting a simple record", recs: adoptable,
			build: func(s State) (Batch, error) { return a.Switch(rt, s, Blue, &s.HostOther[0]) },
			want:  []Change{del(simpleA(a.HostName())), up(w(Blue, id1, 100)), up(activeRec(a, id1))}},
		{name: "Switch, second release", recs: shifted2,
			build: func(s State) (Batch, error) { return a.Switch(rt, s, Green, nil) },
			want:  []Change{up(w(Green, id2, 100)), up(w(Blue, id1, 0)), up(activeRec(a, id2))}},
		{name: "Switch, manual rollback", recs: live2,
			build: func(s State) (Batch, error) { return a.Switch(rt, s, Blue, nil) },
			want:  []Change{up(w(Blue, id1, 100)), up(w(Green, id2, 0)), up(activeRec(a, id1))}},
		{name: "Switch to an empty slot", recs: live1, build: func(s State) (Batch, error) { return a.Switch(rt, s, Green, nil) }, wantErr: "green slot is empty"},
		{name: "Switch to a stack without endpoint", recs: []Record{slotRec(a, Blue, id1)},
			build: func(s State) (Batch, error) { return a.Switch(rt, s, Blue, nil) }, wantErr: "stack 111111 has no endpoint record"},
		{name: "Restore a failed third release", recs: shifted3,
			build: func(s State) (Batch, error) { return a.Restore(s, live2), nil },
			want:  []Change{up(w(Blue, id1, 0)), up(w(Green, id2, 100)), up(slotRec(a, Blue, id1))}},
		{name: "Restore an adopting first release", recs: live1,
			build: func(s State) (Batch, error) { return a.Restore(s, []Record{simpleA(a.HostName())}), nil },
			want: []Change{del(w(Blue, id1, 100)), del(activeRec(a, id1)), del(slotRec(a, Blue, id1)),
				up(simpleA(a.HostName()))}},
		{name: "Restore a failed first release", recs: halfBuilt,
			build: func(s State) (Batch, error) { return a.Restore(s, nil), nil },
			want:  []Change{del(slotRec(a, Blue, id1))}},
		{name: "RemoveStack of a kept stack", recs: cat(live2, []Record{ep(id3)}),
			build: func(s State) (Batch, error) { return a.RemoveStack(s, id3) },
			want:  []Change{del(ep(id3))}},
		{name: "RemoveStack of the live stack", recs: live2, build: func(s State) (Batch, error) { return a.RemoveStack(s, id2) },
			wantErr: "stack 222222 is in use: it is the live stack"},
		{name: "RemoveStack of the idle stack", recs: live2, build: func(s State) (Batch, error) { return a.RemoveStack(s, id1) },
			wantErr: "stack 111111 is in use: the blue slot names it"},
		{name: "RemoveStack of a stack a weighted record routes to", recs: cat(live2[:5], []Record{ep(id3), w(Blue, id3, 0), w(Green, id2, 100)}),
			build: func(s State) (Batch, error) { return a.RemoveStack(s, id3) }, wantErr: "blue weighted record points at it"},
	}
	noZone := func(State) (Batch, error) { return a.PublishEndpoint(rt, id1, Target{DNSName: lbName(id1)}) }
	if m.cname { // a CNAME endpoint needs no hosted zone; an alias does
		tests = append(tests, testCase{name: "PublishEndpoint without a hosted zone", build: noZone, want: []Change{up(ep(id1))}})
	} else {
		tests = append(tests, testCase{name: "PublishEndpoint without a hosted zone", build: noZone, wantErr: "needs the load balancer's hosted zone"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Read(a, tt.recs, Facts{OtherRunning: true})
			b, err := tt.build(s)
			if tt.wantErr != "" {
				checkErr(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("build = %v", err)
			}
			if diff := cmp.Diff(tt.want, b.Changes); diff != "" {
				t.Errorf("changes mismatch (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(b.Comment, a.Name+": ") {
				t.Errorf("comment %q does not name the app", b.Comment)
			}
			got, err := Apply(exampleZone, tt.recs, b)
			if err != nil {
				t.Fatalf("Apply(%s) on the state it is meant for = %v", b.Comment, err)
			}
			if diff := cmp.Diff(sortedRecords(model(tt.recs, tt.want)), sortedRecords(got)); diff != "" {
				t.Errorf("Apply result mismatch (-want +got):\n%s", diff)
			}
			if u := Unapplied(got, b); !u.Empty() {
				t.Errorf("Unapplied after applying = %v, want empty", u.Changes)
			}
		})
	}
}

func TestRemoveStackWithoutEndpoint(t *testing.T) {
	a := mustApp(t, "demo", "")
	b, err := a.RemoveStack(Read(a, nil, Facts{}), id1)
	if err != nil || !b.Empty() {
		t.Errorf("RemoveStack of a stack without endpoint = %v, %v; want an empty batch", b.Changes, err)
	}
	_, err = a.RemoveStack(Read(a, []Record{endpointRec(a, aliasMode, id1), slotRec(a, Blue, id1)}, Facts{}), id1)
	var inUse *InUseError
	if !errors.As(err, &inUse) || inUse.StackID != id1 {
		t.Errorf("RemoveStack of a slotted stack = %v, want an *InUseError for %s", err, id1)
	}
}

// TestSwitchRefusesSilentAdoption: without adopt, the switch's batch cannot replace a simple record at the host.
func TestSwitchRefusesSilentAdoption(t *testing.T) {
	for _, m := range []mode{aliasMode, cnameMode, apexMode} {
		t.Run(m.name, func(t *testing.T) {
			a := m.app(t, "demo")
			recs := []Record{endpointRec(a, m, id1), slotRec(a, Blue, id1), simpleA(a.HostName())}
			b, err := a.Switch(m.routing(), Read(a, recs, Facts{}), Blue, nil)
			if err != nil {
				t.Fatalf("Switch = %v", err)
			}
			_, err = Apply(exampleZone, recs, b)
			var ibe *InvalidBatchError
			if !errors.As(err, &ibe) {
				t.Fatalf("Apply(switch beside a simple record) = %v, want an *InvalidBatchError", err)
			}
			want := "simple record cannot stand beside weighted"
			if m.cname {
				want = "CNAME cannot stand beside"
			}
			checkProblems(t, ibe.Problems, []string{want})
		})
	}
}

func TestUnapplied(t *testing.T) {
	a := mustApp(t, "demo", "")
	up := func(r Record) Change { return Change{Action: Upsert, Record: r} }
	del := func(r Record) Change { return Change{Action: Delete, Record: r} }
	w := func(c Color, id string, weight int64) Record { return weightedRec(a, aliasMode, c, id, weight) }
	live1 := []Record{endpointRec(a, aliasMode, id1), slotRec(a, Blue, id1), w(Blue, id1, 100), activeRec(a, id1)}
	publish := []Change{up(slotRec(a, Green, id2)), up(w(Green, id2, 0))}
	tests := []struct {
		name    string
		current []Record
		changes []Change
		want    []Change
	}{
		{name: "fresh state: nothing applied", current: nil, changes: []Change{up(endpointRec(a, aliasMode, id1))},
			want: []Change{up(endpointRec(a, aliasMode, id1))}},
		{name: "fresh state: whole batch", current: live1, changes: publish, want: publish},
		{name: "applied", current: cat(live1, []Record{slotRec(a, Green, id2), w(Green, id2, 0)}), changes: publish},
		{name: "half applied", current: cat(live1, []Record{slotRec(a, Green, id2)}), changes: publish, want: publish[1:]},
		{name: "same key, other data", current: cat(live1, []Record{slotRec(a, Green, id3), w(Green, id2, 0)}), changes: publish, want: publish[:1]},
		{name: "DELETE of a missing record", current: live1, changes: []Change{del(simpleA(a.HostName())), up(activeRec(a, id1))}},
		{name: "DELETE of an existing record", current: live1, changes: []Change{del(activeRec(a, id1))},
			want: []Change{del(activeRec(a, id1))}},
		{name: "DELETE then CREATE, done", current: live1, changes: []Change{del(activeRec(a, id2)), {Action: Create, Record: activeRec(a, id1)}}},
		{name: "DELETE then CREATE, to do", current: live1, changes: []Change{del(activeRec(a, id1)), {Action: Create, Record: activeRec(a, id2)}},
			want: []Change{del(activeRec(a, id1)), {Action: Create, Record: activeRec(a, id2)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Batch{Comment: "c", Changes: tt.changes}
			got := Unapplied(tt.current, b)
			if diff := cmp.Diff(Batch{Comment: "c", Changes: tt.want}, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Unapplied mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnappliedIsIdempotent: every builder's batch, once applied, has nothing left to apply.
func TestUnappliedIsIdempotent(t *testing.T) {
	a, rt := mustApp(t, "demo", ""), aliasMode.routing()
	var recs []Record
	step := func(b Batch, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if u := Unapplied(recs, b); len(u.Changes) == 0 {
			t.Fatalf("Unapplied(before %s) is empty, want the batch", b.Comment)
		}
		if recs, err = Apply(exampleZone, recs, b); err != nil {
			t.Fatal(err)
		}
		if u := Unapplied(recs, b); !u.Empty() {
			t.Errorf("Unapplied(after %s) = %v, want empty", b.Comment, u.Changes)
		}
	}
	state := func() State { return Read(a, recs, Facts{OtherRunning: true}) }
	step(a.PublishEndpoint(rt, id1, lbTarget(id1)))
	step(a.PublishSlot(rt, state(), Blue, id1), nil)
	step(a.Switch(rt, state(), Blue, nil))
	step(a.PublishEndpoint(rt, id2, lbTarget(id2)))
	step(a.PublishSlot(rt, state(), Green, id2), nil)
	for _, p := range []int{10, 30, 60} {
		step(a.Shift(rt, state(), Green, p))
	}
	step(a.Switch(rt, state(), Green, nil))
	if s := state(); s.Phase != PhaseAtRest || s.Active != id2 || s.ActiveColor != Green {
		t.Errorf("final state %+v, want at rest on green %s", summarize(s), id2)
	}
}
