package records

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// world is an in-memory hosted zone that changes only through Apply, as Route 53 would.
type world struct {
	t    *testing.T
	recs []Record
	apps []App
}

func newWorld(t *testing.T, apps ...App) *world {
	// Every hosted zone has its NS and SOA records at the apex.
	return &world{t: t, apps: apps, recs: []Record{
		{Name: "example.com", Type: "NS", TTL: 172800, Values: []string{"ns-1.awsdns-01.org", "ns-2.awsdns-02.net"}},
		{Name: "example.com", Type: "SOA", TTL: 900, Values: []string{"ns-1.awsdns-01.org awsdns-hostmaster.amazon.com 1 7200 900 1209600 86400"}},
	}}
}

// applier returns a function that applies app's batches, asserting that Apply accepts each, that nothing of it is
// left to apply afterwards, and that neither the batch nor its result touches another app's records.
func (w *world) applier(a App) func(Batch, error) {
	return func(b Batch, err error) { w.t.Helper(); w.apply(a, b, err) }
}

func (w *world) apply(a App, b Batch, err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatalf("app %s: building the batch: %v", a.Name, err)
	}
	others := map[string][]Record{}
	for _, o := range w.apps {
		if o.Name == a.Name {
			continue
		}
		others[o.Name] = ownedOf(o, w.recs)
		for _, c := range b.Changes {
			if o.ParseName(c.Record.Name).Kind != KindNone {
				w.t.Errorf("app %s's batch %q changes %s, a record of app %s", a.Name, b.Comment, c.Record.Key(), o.Name)
			}
			if _, ok := o.ParseSetIdentifier(c.Record.SetIdentifier); ok {
				w.t.Errorf("app %s's batch %q uses app %s's SetIdentifier %s", a.Name, b.Comment, o.Name, c.Record.SetIdentifier)
			}
		}
	}
	got, err := Apply(exampleZone, w.recs, b)
	if err != nil {
		w.t.Fatalf("app %s: Apply(%s) = %v", a.Name, b.Comment, err)
	}
	if u := Unapplied(got, b); !u.Empty() {
		w.t.Errorf("app %s: Unapplied after %q = %v, want empty", a.Name, b.Comment, u.Changes)
	}
	w.recs = got
	for _, o := range w.apps {
		if before, ok := others[o.Name]; ok {
			if diff := cmp.Diff(before, ownedOf(o, w.recs)); diff != "" {
				w.t.Errorf("app %s's batch %q changed app %s's records (-before +after):\n%s", a.Name, b.Comment, o.Name, diff)
			}
		}
	}
}

// expect reads app's state and asserts its summary and problems, and that it saw no other app's records.
func (w *world) expect(a App, facts Facts, want summary, problems ...string) State {
	w.t.Helper()
	s := Read(a, w.recs, facts)
	if diff := cmp.Diff(want, summarize(s), cmpopts.EquateEmpty()); diff != "" {
		w.t.Errorf("app %s: Read(%+v) mismatch (-want +got):\n%s", a.Name, facts, diff)
	}
	checkProblems(w.t, s.Problems, problems)
	for _, r := range s.Records {
		for _, o := range w.apps {
			if o.Name != a.Name && o.Owns(r) {
				w.t.Errorf("app %s's state holds %s, a record of app %s", a.Name, r, o.Name)
			}
		}
	}
	return s
}

type step struct {
	name string
	run  func()
}

func slots(blue, green string) map[Color]string {
	s := map[Color]string{}
	if blue != "" {
		s[Blue] = blue
	}
	if green != "" {
		s[Green] = green
	}
	return s
}

func weights(blue, green int64) map[Color]int64 { return map[Color]int64{Blue: blue, Green: green} }

// lifecycle is the life of app a in w, as steps: a first release, a second one shifted 10/30/60, a third that fails
// and is restored, a manual rollback, and a fourth release whose clean-up removes the stack two releases old.
func lifecycle(w *world, a App, m mode) []step {
	t, rt, apply := w.t, m.routing(), w.applier(a)
	state := func() State { return Read(a, w.recs, Facts{OtherRunning: true}) }
	stopped, running := Facts{}, Facts{OtherRunning: true}
	idle := func(want Color) {
		t.Helper()
		if got := state().IdleColor(); got != want {
			t.Errorf("app %s: IdleColor = %s, want %s", a.Name, got, want)
		}
	}
	shift := func(c Color, liveID, newID string, steps ...int) {
		t.Helper()
		for _, p := range steps {
			apply(a.Shift(rt, state(), c, p))
			var ws map[Color]int64
			if c == Green {
				ws = weights(int64(100-p), int64(p))
			} else {
				ws = weights(int64(p), int64(100-p))
			}
			sl := slots(liveID, newID)
			if c == Blue {
				sl = slots(newID, liveID)
			}
			w.expect(a, running, summary{Phase: PhaseMoving, Active: liveID, ActiveColor: c.Other(), Slots: sl, Weights: ws})
			w.expect(a, stopped, summary{Phase: PhaseInconsistent, Active: liveID, ActiveColor: c.Other(), Slots: sl, Weights: ws},
				"idle color "+string(c)+" has weight")
		}
	}
	var before3 []Record
	return []step{
		{"empty", func() { idle(Blue); w.expect(a, stopped, summary{Phase: PhaseEmpty}) }},
		{"release 1: endpoint", func() {
			apply(a.PublishEndpoint(rt, id1, lbTarget(id1)))
			w.expect(a, stopped, summary{Phase: PhaseEmpty})
		}},
		{"release 1: slot", func() {
			apply(a.PublishSlot(rt, state(), Blue, id1), nil)
			w.expect(a, stopped, summary{Phase: PhaseBuilding, Slots: slots(id1, "")})
		}},
		{"release 1: switch", func() {
			apply(a.Switch(rt, state(), Blue, nil))
			w.expect(a, stopped, summary{Phase: PhaseAtRest, Active: id1, ActiveColor: Blue, Slots: slots(id1, ""), Weights: map[Color]int64{Blue: 100}})
		}},
		{"release 2: endpoint and slot", func() {
			idle(Green)
			apply(a.PublishEndpoint(rt, id2, lbTarget(id2)))
			apply(a.PublishSlot(rt, state(), Green, id2), nil)
			want := summary{Phase: PhaseAtRest, Active: id1, ActiveColor: Blue, Slots: slots(id1, id2), Weights: weights(100, 0)}
			w.expect(a, running, want)
			w.expect(a, stopped, want)
		}},
		{"release 2: shifts", func() { shift(Green, id1, id2, 10, 30, 60) }},
		{"release 2: switch", func() {
			apply(a.Switch(rt, state(), Green, nil))
			w.expect(a, stopped, summary{Phase: PhaseAtRest, Active: id2, ActiveColor: Green, Slots: slots(id1, id2), Weights: weights(0, 100)})
		}},
		{"release 3: endpoint, slot, shift", func() {
			idle(Blue)
			before3 = Read(a, w.recs, stopped).Records // what the plan records
			apply(a.PublishEndpoint(rt, id3, lbTarget(id3)))
			apply(a.PublishSlot(rt, state(), Blue, id3), nil)
			w.expect(a, running, summary{Phase: PhaseAtRest, Active: id2, ActiveColor: Green, Slots: slots(id3, id2), Weights: weights(0, 100)})
			shift(Blue, id2, id3, 10)
		}},
		{"release 3 fails: restore", func() {
			apply(a.Restore(state(), before3), nil)
			if diff := cmp.Diff(managedOf(a, before3), managedOf(a, w.recs)); diff != "" {
				t.Errorf("app %s: managed records after Restore differ from the plan's (-plan +now):\n%s", a.Name, diff)
			}
			if b := a.Restore(state(), before3); !b.Empty() {
				t.Errorf("app %s: a second Restore = %v, want an empty batch", a.Name, b.Changes)
			}
			want := summary{Phase: PhaseAtRest, Active: id2, ActiveColor: Green, Slots: slots(id1, id2), Weights: weights(0, 100)}
			w.expect(a, stopped, want)
			// Its stack is deleted: until its endpoint goes, invariant 3 does not hold.
			w.expect(a, Facts{Stacks: []string{id1, id2}}, summary{Phase: PhaseInconsistent, Active: id2, ActiveColor: Green,
				Slots: slots(id1, id2), Weights: weights(0, 100)}, "stack "+a.StackName(id3)+", which does not exist")
			for _, id := range []string{id1, id2} {
				_, err := a.RemoveStack(state(), id)
				if inUse := (*InUseError)(nil); !errors.As(err, &inUse) {
					t.Errorf("app %s: RemoveStack(%s) = %v, want an *InUseError", a.Name, id, err)
				}
			}
			apply(a.RemoveStack(state(), id3))
			w.expect(a, Facts{Stacks: []string{id1, id2}}, want)
		}},
		{"manual rollback", func() {
			apply(a.Switch(rt, state(), Blue, nil))
			w.expect(a, stopped, summary{Phase: PhaseAtRest, Active: id1, ActiveColor: Blue, Slots: slots(id1, id2), Weights: weights(100, 0)})
		}},
		{"release 4", func() {
			idle(Green)
			apply(a.PublishEndpoint(rt, id4, lbTarget(id4)))
			apply(a.PublishSlot(rt, state(), Green, id4), nil)
			shift(Green, id1, id4, 50)
			apply(a.Switch(rt, state(), Green, nil))
			w.expect(a, stopped, summary{Phase: PhaseAtRest, Active: id4, ActiveColor: Green, Slots: slots(id1, id4), Weights: weights(0, 100)})
		}},
		{"release 4: clean-up of the stack two releases old", func() {
			apply(a.RemoveStack(state(), id2))
			w.expect(a, Facts{Stacks: []string{id1, id4}}, summary{Phase: PhaseAtRest, Active: id4, ActiveColor: Green,
				Slots: slots(id1, id4), Weights: weights(0, 100)})
			want := []Record{endpointRec(a, m, id1), endpointRec(a, m, id4), slotRec(a, Blue, id1), slotRec(a, Green, id4),
				activeRec(a, id4), weightedRec(a, m, Blue, id1, 0), weightedRec(a, m, Green, id4, 100)}
			if m.apex {
				want = append(want, w.recs[0], w.recs[1]) // the zone's NS and SOA are at the host
			}
			if diff := cmp.Diff(sortedRecords(want), ownedOf(a, w.recs)); diff != "" {
				t.Errorf("app %s: final records mismatch (-want +got):\n%s", a.Name, diff)
			}
		}},
	}
}

func TestLifecycle(t *testing.T) {
	for _, m := range []mode{aliasMode, cnameMode, apexMode} {
		t.Run(m.name, func(t *testing.T) {
			a := m.app(t, "demo")
			w := newWorld(t, a)
			for _, s := range lifecycle(w, a, m) {
				s.run()
				if t.Failed() {
					t.Fatalf("failed at step %q", s.name)
				}
			}
		})
	}
}

// TestLifecyclesInterleaved runs the lifecycles of apps sharing a hosted zone step by step in turn: no batch of one
// touches another's records, and no app's state ever holds another's.
func TestLifecyclesInterleaved(t *testing.T) {
	type member struct {
		name string
		mode mode
	}
	for _, tt := range []struct {
		name string
		apps []member
	}{
		{"demo and demo2", []member{{"demo", aliasMode}, {"demo2", cnameMode}}},
		{"a at the apex and a1", []member{{"a", apexMode}, {"a1", aliasMode}}},
		{"a1 and a", []member{{"a1", cnameMode}, {"a", aliasMode}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var apps []App
			for _, m := range tt.apps {
				apps = append(apps, m.mode.app(t, m.name))
			}
			w := newWorld(t, apps...)
			var lives [][]step
			for i, m := range tt.apps {
				lives = append(lives, lifecycle(w, apps[i], m.mode))
			}
			for i := range lives[0] {
				for j, life := range lives {
					life[i].run()
					if t.Failed() {
						t.Fatalf("app %s failed at step %q", apps[j].Name, life[i].name)
					}
				}
			}
		})
	}
}

// TestAdoptAndRestore: a first release adopts a simple record at the host, fails in its watch, and the restore puts
// the simple record back.
func TestAdoptAndRestore(t *testing.T) {
	for _, m := range []mode{aliasMode, cnameMode, apexMode} {
		t.Run(m.name, func(t *testing.T) {
			a, rt := m.app(t, "demo"), m.routing()
			w := newWorld(t, a)
			apply := w.applier(a)
			simple := simpleA(a.HostName())
			w.recs = append(w.recs, simple)
			state := func() State { return Read(a, w.recs, Facts{OtherRunning: true}) }
			before := Read(a, w.recs, Facts{}).Records
			w.expect(a, Facts{}, summary{Phase: PhaseEmpty})
			apply(a.PublishEndpoint(rt, id1, lbTarget(id1)))
			apply(a.PublishSlot(rt, state(), Blue, id1), nil)
			s := w.expect(a, Facts{}, summary{Phase: PhaseBuilding, Slots: slots(id1, "")})
			var adopt Record // at the apex, the zone's NS and SOA are at the host too
			for _, r := range s.HostOther {
				if r.Type == TypeA {
					adopt = r
				}
			}
			if diff := cmp.Diff(simple, adopt); diff != "" {
				t.Fatalf("adoption candidate mismatch (-want +got):\n%s", diff)
			}
			apply(a.Switch(rt, state(), Blue, &adopt))
			w.expect(a, Facts{}, summary{Phase: PhaseAtRest, Active: id1, ActiveColor: Blue, Slots: slots(id1, ""), Weights: map[Color]int64{Blue: 100}})
			apply(a.Restore(state(), before), nil)
			if diff := cmp.Diff(managedOf(a, before), managedOf(a, w.recs)); diff != "" {
				t.Errorf("managed records after Restore (-plan +now):\n%s", diff)
			}
			w.expect(a, Facts{}, summary{Phase: PhaseEmpty})
		})
	}
}
