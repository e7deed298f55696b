package statemachine_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/bluegreen-aws/bluegreen/statemachine"
)

// Nothing routes on the execution input as Step Functions parsed it: given a key twice, its decoder may keep
// another value than the strict decoder Prepare runs, so a Choice on $.input before Prepare could take a path that
// Prepare's validation never saw. Every Choice — on the action too — reads Prepare's output; and the states a
// failure of Prepare leads to read nothing but the caught error (the input may lack any field: a missing path is
// an uncatchable States.Runtime).
func TestNothingRoutesOnTheRawInput(t *testing.T) {
	m := load(t)
	var raw struct {
		States map[string]map[string]any `json:"States"`
	}
	if err := json.Unmarshal([]byte(statemachine.Definition), &raw); err != nil {
		t.Fatal(err)
	}
	prepare := "Prepare"
	if _, ok := m.States[prepare]; !ok {
		t.Fatal("no Prepare state")
	}
	// The states reachable from the start without Prepare succeeding.
	before := map[string]bool{m.StartAt: true}
	queue := []string{m.StartAt}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		s := m.States[name]
		next := append(choiceTargets(t, s.Choices), s.Default)
		if name != prepare {
			next = append(next, s.Next)
		}
		for _, c := range s.Catch {
			next = append(next, c.Next)
		}
		for _, n := range next {
			if n != "" && !before[n] {
				before[n] = true
				queue = append(queue, n)
			}
		}
	}
	path := regexp.MustCompile(`(^|[^$])\$\.[A-Za-z0-9_.]*`)
	for name := range before {
		s := m.States[name]
		if s.Type == "Choice" {
			t.Errorf("choice %s is reachable before Prepare's output exists", name)
		}
		if name == m.StartAt || name == prepare {
			continue // they hand the input to Prepare whole
		}
		for _, ref := range paths(raw.States[name]) {
			for _, p := range path.FindAllString(ref, -1) {
				p = strings.TrimLeft(p, "( ,'")
				// $.reason is the caught error read by the ending's first state (InvalidReason, LockedReason).
				caught := strings.HasPrefix(p, "$.error.") || p == "$.error" || strings.HasPrefix(p, "$.reason.") || p == "$.reason"
				if !caught {
					t.Errorf("%s, reached when Prepare fails, reads %s: only the caught error is sure to be there", name, p)
				}
			}
		}
	}
	if len(before) < 4 {
		t.Errorf("only %v are reached before Prepare succeeds: a failure of Prepare has no ending", before)
	}
}

// paths returns every path expression of a state: the values of keys ending ".$" and the *Path fields.
func paths(v any) []string {
	var out []string
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(k, x)
			}
		case []any:
			for _, x := range v {
				walk(key, x)
			}
		case string:
			if strings.HasSuffix(key, ".$") || strings.HasSuffix(key, "Path") || key == "Variable" {
				out = append(out, v)
			}
		}
	}
	walk("", v)
	return out
}
