package records

import (
	"fmt"
	"slices"
	"sort"
)

// Phase is where an app's records stand.
type Phase string

// The phases.
const (
	// PhaseEmpty: the app has no slot, active or host records (a new app; endpoint records of kept stacks may exist).
	PhaseEmpty Phase = "empty"
	// PhaseBuilding: a first release is under way: a slot names a stack, but nothing routes to it and there is no
	// active record yet.
	PhaseBuilding Phase = "building"
	// PhaseAtRest: the active color has all the weight, the other none, and stack.active names the active stack.
	PhaseAtRest Phase = "at-rest"
	// PhaseMoving: a running execution holds the lock and traffic is between the colors.
	PhaseMoving Phase = "moving"
	// PhaseInconsistent: an invariant does not hold; Problems says which.
	PhaseInconsistent Phase = "inconsistent"
)

// Facts are the reader's inputs besides the records.
type Facts struct {
	// OtherRunning is true when a running execution other than the reader's caller holds the app's lock: its
	// weights are in flight, not inconsistent.
	OtherRunning bool
	// Stacks are the stack ids of the app's existing stacks; nil when not known (invariant 3 is then not checked).
	Stacks []string
}

// State is an app's state as its records say it.
type State struct {
	Phase Phase `json:"phase"`
	// Active is the live stack id from stack.active; ActiveColor the color whose slot names it.
	Active      string `json:"active,omitempty"`
	ActiveColor Color  `json:"activeColor,omitempty"`
	// Slots maps each occupied color to its stack id.
	Slots map[Color]string `json:"slots,omitempty"`
	// Weighted maps each color to its weighted record at the host.
	Weighted map[Color]Record `json:"weighted,omitempty"`
	// Endpoints maps stack ids to their endpoint records.
	Endpoints map[string]Record `json:"endpoints,omitempty"`
	// HostOther holds records at the host that are not the app's weighted records (a simple record to adopt, say).
	HostOther []Record `json:"hostOther,omitempty"`
	// Records are all of the app's records that were read, in a stable order (the fence aside).
	Records []Record `json:"records,omitempty"`
	// Fence is the app's fence record (see Fence), when it has one.
	Fence *Record `json:"fence,omitempty"`
	// Problems says which invariants do not hold.
	Problems []string `json:"problems,omitempty"`
}

// Weight returns a color's weight, 0 when it has no weighted record.
func (s State) Weight(c Color) int64 {
	if r, ok := s.Weighted[c]; ok && r.Weight != nil {
		return *r.Weight
	}
	return 0
}

// IdleColor is the color a release goes into: the one that is not active (blue for an app's first release).
func (s State) IdleColor() Color {
	if s.ActiveColor.Valid() {
		return s.ActiveColor.Other()
	}
	return Blue
}

// Owns reports whether a record is one of the app's: its slot and active TXT records, its endpoint records and any
// record at its host.
func (a App) Owns(r Record) bool {
	return a.ParseName(r.Name).Kind != KindNone
}

// Read derives an app's state from the zone's records (others' records are ignored) and checks the invariants:
//  1. a color's weighted record, where it exists, points at the endpoint of the stack its slot names;
//  2. at rest, the active color has all the weight and the other none, and stack.active names the active color's
//     stack (while another running execution holds the lock, weights may be anywhere between);
//  3. every endpoint record belongs to a stack that exists (when the stacks are known).
//
// It never fails: a state that breaks an invariant is PhaseInconsistent, with Problems saying what disagrees.
func Read(app App, zoneRecords []Record, facts Facts) State {
	s := State{Slots: map[Color]string{}, Weighted: map[Color]Record{}, Endpoints: map[string]Record{}}
	problem := func(format string, args ...any) { s.Problems = append(s.Problems, fmt.Sprintf(format, args...)) }
	activeSeen := false
	for _, r := range zoneRecords {
		r.Name = Normalize(r.Name)
		p := app.ParseName(r.Name)
		if p.Kind == KindNone {
			continue
		}
		if p.Kind == KindFence {
			f := r.Clone()
			s.Fence = &f
			continue
		}
		s.Records = append(s.Records, r)
		switch p.Kind {
		case KindSlot, KindActive:
			if r.Type != TypeTXT {
				problem("%s is a %s record, want TXT", r.Name, r.Type)
				continue
			}
			id, err := stackIDOf(r)
			if err != nil {
				problem("%s: %v", r.Name, err)
				continue
			}
			if p.Kind == KindSlot {
				if prev, dup := s.Slots[p.Color]; dup {
					problem("%s has more than one record (stacks %s and %s)", r.Name, prev, id)
				}
				s.Slots[p.Color] = id
			} else {
				if activeSeen {
					problem("%s has more than one record (stacks %s and %s)", r.Name, s.Active, id)
				}
				s.Active, activeSeen = id, true
			}
		case KindEndpoint:
			if r.Type != TypeA && r.Type != TypeCNAME {
				continue // not ours to judge: the deployer writes A and CNAME endpoints only
			}
			if prev, dup := s.Endpoints[p.StackID]; dup {
				problem("stack %s has two endpoint records (%s, %s)", p.StackID, prev.Type, r.Type)
			}
			s.Endpoints[p.StackID] = r
		case KindHost:
			c, ours := app.ParseSetIdentifier(r.SetIdentifier)
			if !ours || r.Weight == nil {
				s.HostOther = append(s.HostOther, r)
				continue
			}
			if prev, dup := s.Weighted[c]; dup {
				problem("the %s weighted record exists twice (%s and %s)", c, prev.Type, r.Type)
			}
			s.Weighted[c] = r
		}
	}
	sortRecords(s.Records)
	s.checkInvariants(app, facts, activeSeen, problem)
	s.Phase = s.phase(facts)
	return s
}

func (s *State) checkInvariants(app App, facts Facts, activeSeen bool, problem func(string, ...any)) {
	for _, r := range s.HostOther {
		if r.SetIdentifier != "" || r.Weight != nil {
			problem("the host %s has a %s record (%s) that belongs to no color of app %s", r.Name, r.Type, r.SetIdentifier, app.Name)
		}
	}
	if len(s.Weighted) > 0 && len(s.HostOther) > 0 {
		for _, r := range s.HostOther {
			if r.Weight == nil && r.SetIdentifier == "" && r.Type == s.anyWeighted().Type {
				problem("the host %s has a simple %s record beside the weighted ones", r.Name, r.Type)
			}
		}
	}
	// Invariant 1.
	for _, c := range Colors {
		w, ok := s.Weighted[c]
		if !ok {
			continue
		}
		id, slotted := s.Slots[c]
		switch {
		case !slotted:
			problem("the %s weighted record points at %s but the %s slot is empty", c, w.Target(), c)
		case w.Target() != app.EndpointName(id):
			problem("the %s weighted record points at %s, not at %s (the %s slot's stack %s)", c, w.Target(), app.EndpointName(id), c, id)
		case !hasEndpoint(s.Endpoints, id):
			problem("the %s weighted record points at %s, which does not exist", c, w.Target())
		}
	}
	if b, g := s.Slots[Blue], s.Slots[Green]; b != "" && b == g {
		problem("both slots name stack %s", b)
	}
	if len(s.Weighted) == 2 && s.Weighted[Blue].Type != s.Weighted[Green].Type {
		problem("the weighted records have different types (%s, %s)", s.Weighted[Blue].Type, s.Weighted[Green].Type)
	}
	// stack.active names a slot's stack, and exists exactly when traffic is routed.
	if activeSeen {
		for _, c := range Colors {
			if s.Slots[c] == s.Active {
				s.ActiveColor = c
			}
		}
		if !s.ActiveColor.Valid() {
			problem("stack.active names stack %s, which no slot holds", s.Active)
		}
		if len(s.Weighted) == 0 {
			problem("stack.active names stack %s but the host %s has no weighted record", s.Active, app.HostName())
		}
	} else if len(s.Weighted) > 0 {
		problem("the host %s has weighted records but stack.active is missing", app.HostName())
	}
	// Invariant 2, at rest.
	if s.ActiveColor.Valid() && !facts.OtherRunning {
		live, idle := s.ActiveColor, s.ActiveColor.Other()
		if s.Weight(live) == 0 {
			problem("the active color %s (stack %s) has weight 0", live, s.Active)
		}
		if s.Weight(idle) != 0 {
			problem("the idle color %s has weight %d while no deployment runs", idle, s.Weight(idle))
		}
	}
	// Invariant 3.
	if facts.Stacks != nil {
		ids := make([]string, 0, len(s.Endpoints))
		for id := range s.Endpoints {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			if !slices.Contains(facts.Stacks, id) {
				problem("endpoint %s belongs to stack %s, which does not exist", app.EndpointName(id), app.StackName(id))
			}
		}
	}
}

func hasEndpoint(eps map[string]Record, id string) bool {
	_, ok := eps[id]
	return ok
}

func (s *State) anyWeighted() Record {
	for _, c := range Colors {
		if r, ok := s.Weighted[c]; ok {
			return r
		}
	}
	return Record{}
}

func (s *State) phase(facts Facts) Phase {
	switch {
	case len(s.Problems) > 0:
		return PhaseInconsistent
	case s.Active == "" && len(s.Slots) == 0:
		return PhaseEmpty
	case s.Active == "":
		return PhaseBuilding
	case facts.OtherRunning && s.Weight(s.ActiveColor.Other()) != 0:
		return PhaseMoving
	}
	return PhaseAtRest
}

// stackIDOf reads the stack id a slot or active TXT record holds.
func stackIDOf(r Record) (string, error) {
	if len(r.Values) != 1 {
		return "", fmt.Errorf("want one value, have %d", len(r.Values))
	}
	id, ok := Unquote(r.Values[0])
	if !ok {
		return "", fmt.Errorf("value %s is not a quoted string", r.Values[0])
	}
	if err := ValidateStackID(id); err != nil {
		return "", err
	}
	return id, nil
}

// sortRecords orders records by name, type and SetIdentifier.
func sortRecords(rs []Record) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i].Key(), rs[j].Key()
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.SetIdentifier < b.SetIdentifier
	})
}
