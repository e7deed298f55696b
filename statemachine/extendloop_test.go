package statemachine_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/bluegreen-aws/bluegreen/statemachine"
)

// The split verification's extension loop, written by hand from the design (health.traffic): after a step's check,
// an inconclusive split (step.extend) waits split.waitSeconds — a Wait of the state machine, no Lambda sleeping —
// and checks the step again; the choice tests it before the approval gate and the next step, so that no gate opens
// and no step follows an unverified one. Without health.traffic, step.extend is false and the path is as before:
// no state is added to it.

type loopState struct {
	Type        string       `json:"Type"`
	Next        string       `json:"Next,omitempty"`
	Default     string       `json:"Default,omitempty"`
	SecondsPath string       `json:"SecondsPath,omitempty"`
	Choices     []loopChoice `json:"Choices,omitempty"`
}

type loopChoice struct {
	Variable      string `json:"Variable"`
	BooleanEquals *bool  `json:"BooleanEquals,omitempty"`
	Next          string `json:"Next"`
}

func loadLoop(t *testing.T) map[string]loopState {
	t.Helper()
	var def struct{ States map[string]loopState }
	if err := json.Unmarshal([]byte(statemachine.Definition), &def); err != nil {
		t.Fatal(err)
	}
	return def.States
}

// checkExtensionLoop returns every way the states disagree with the design of the extension loop.
func checkExtensionLoop(states map[string]loopState) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	isTrue := func(c loopChoice, path, next string) bool {
		return c.Variable == path && c.BooleanEquals != nil && *c.BooleanEquals && c.Next == next
	}
	if s := states["Bake"]; s.Type != "Wait" || s.Next != "StepHealth" {
		bad("Bake: %s to %s, want a Wait to StepHealth", s.Type, s.Next)
	}
	if s := states["StepHealth"]; s.Next != "NeedsApproval" {
		bad("StepHealth goes to %s, want NeedsApproval (the one choice after a step's check)", s.Next)
	}
	choice := states["NeedsApproval"]
	want := []func(loopChoice) bool{
		func(c loopChoice) bool { return isTrue(c, "$.step.extend", "ExtendBake") },
		func(c loopChoice) bool { return isTrue(c, "$.step.approval", "Approval") },
		func(c loopChoice) bool { return isTrue(c, "$.step.more", "Shift") },
	}
	if choice.Type != "Choice" || len(choice.Choices) != len(want) || choice.Default != "Switch" {
		bad("NeedsApproval: %s with %d rules and default %q, want a Choice of extend, approval, more, else Switch", choice.Type, len(choice.Choices), choice.Default)
	} else {
		for i, ok := range want {
			if !ok(choice.Choices[i]) {
				bad("NeedsApproval rule %d is %+v: want, in order, step.extend → ExtendBake, step.approval → Approval, step.more → Shift", i+1, choice.Choices[i])
			}
		}
	}
	ext := states["ExtendBake"]
	if ext.Type != "Wait" || ext.SecondsPath != "$.split.waitSeconds" || ext.Next != "StepHealth" {
		bad("ExtendBake: %s on %q to %s, want a Wait on $.split.waitSeconds to StepHealth", ext.Type, ext.SecondsPath, ext.Next)
	}
	var into []string
	for name, s := range states {
		if s.Next == "ExtendBake" || s.Default == "ExtendBake" || slices.ContainsFunc(s.Choices, func(c loopChoice) bool { return c.Next == "ExtendBake" }) {
			into = append(into, name)
		}
	}
	sort.Strings(into)
	if !slices.Equal(into, []string{"NeedsApproval"}) {
		bad("ExtendBake is entered from %v, want only NeedsApproval", into)
	}
	return problems
}

func TestSplitExtensionLoop(t *testing.T) {
	for _, p := range checkExtensionLoop(loadLoop(t)) {
		t.Error(p)
	}
}

// Changing the extension routing in any way makes TestSplitExtensionLoop fail: each rule of the choice pointed
// elsewhere, the rules reordered or dropped, the Wait pointed elsewhere or on another path.
func TestSplitExtensionLoopCatchesEveryMutation(t *testing.T) {
	states := loadLoop(t)
	if p := checkExtensionLoop(states); len(p) > 0 {
		t.Fatalf("the definition fails already: %v", p)
	}
	var names []string
	for name := range states {
		names = append(names, name)
	}
	sort.Strings(names)
	type mutation struct {
		what  string
		apply func(map[string]loopState)
	}
	var mutations []mutation
	for i := range states["NeedsApproval"].Choices {
		for _, other := range names {
			if other == states["NeedsApproval"].Choices[i].Next {
				continue
			}
			mutations = append(mutations, mutation{fmt.Sprintf("NeedsApproval rule %d to %s", i+1, other), func(m map[string]loopState) {
				s := m["NeedsApproval"]
				s.Choices = slices.Clone(s.Choices)
				s.Choices[i].Next = other
				m["NeedsApproval"] = s
			}})
		}
		mutations = append(mutations, mutation{fmt.Sprintf("NeedsApproval without rule %d", i+1), func(m map[string]loopState) {
			s := m["NeedsApproval"]
			s.Choices = slices.Delete(slices.Clone(s.Choices), i, i+1)
			m["NeedsApproval"] = s
		}})
	}
	mutations = append(mutations, mutation{"extend tested after the approval", func(m map[string]loopState) {
		s := m["NeedsApproval"]
		s.Choices = slices.Clone(s.Choices)
		s.Choices[0], s.Choices[1] = s.Choices[1], s.Choices[0]
		m["NeedsApproval"] = s
	}}, mutation{"ExtendBake on the bake's seconds", func(m map[string]loopState) {
		s := m["ExtendBake"]
		s.SecondsPath = "$.config.strategy.bakeSeconds"
		m["ExtendBake"] = s
	}}, mutation{"StepHealth straight to the switch", func(m map[string]loopState) {
		s := m["StepHealth"]
		s.Next = "Switch"
		m["StepHealth"] = s
	}})
	for _, other := range names {
		if other != "StepHealth" {
			mutations = append(mutations, mutation{"ExtendBake to " + other, func(m map[string]loopState) {
				s := m["ExtendBake"]
				s.Next = other
				m["ExtendBake"] = s
			}})
		}
	}
	for _, mu := range mutations {
		m := cloneStates(states)
		mu.apply(m)
		if len(checkExtensionLoop(m)) == 0 {
			t.Errorf("%s: the extension loop test still passes", mu.what)
		}
	}
	if len(mutations) < 100 {
		t.Errorf("only %d mutations tried", len(mutations))
	}
}

func cloneStates(m map[string]loopState) map[string]loopState {
	out := make(map[string]loopState, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
