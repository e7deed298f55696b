package statemachine_test

import (
	"testing"

	"github.com/bluegreen-aws/bluegreen/statemachine"
)

// The committed definition is the builder's output: regenerate it with `go generate ./statemachine/`.
func TestCommittedDefinitionIsTheBuildersOutput(t *testing.T) {
	m, err := statemachine.Workflow()
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != statemachine.Definition {
		t.Errorf("bluegreen.asl.json is not the builder's output: run go generate ./statemachine/ (and never edit the JSON by hand)")
	}
}
