package statemachine_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bluegreen-aws/bluegreen/statemachine"
)

// The committed definition is the builder's output: regenerate it with `go generate ./statemachine/`.
func TestCommittedDefinitionIsTheBuildersOutput(t *testing.T) {
	for file, c := range map[string]struct {
		build     func() (*statemachine.Machine, error)
		committed string
	}{
		"bluegreen.asl.json": {statemachine.Workflow, statemachine.Definition},
		"sweep.asl.json":     {statemachine.Sweeper, statemachine.SweepDefinition},
	} {
		m, err := c.build()
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.JSON()
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.committed {
			t.Errorf("%s is not the builder's output: run go generate ./statemachine/ (and never edit the JSON by hand)", file)
		}
	}
}

// The README's diagram is the builder's: regenerate it with `go generate ./statemachine/`.
func TestREADMEDiagramIsTheBuilders(t *testing.T) {
	m, err := statemachine.Workflow()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := statemachine.ReplaceDiagram(readme, m.Mermaid())
	if err != nil {
		t.Fatal(err)
	}
	if string(readme) != string(want) {
		t.Errorf("the README's state machine diagram is not the builder's: run go generate ./statemachine/")
	}
}
