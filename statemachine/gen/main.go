// Command gen writes the state machine's definition (bluegreen.asl.json), the sweeper's (sweep.asl.json) and the
// README's diagram of the first from the builder in package statemachine. Run it with `go generate ./statemachine/`; never edit the JSON by hand.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/bluegreen-aws/bluegreen/statemachine"
)

func main() {
	asl := flag.String("asl", "bluegreen.asl.json", "the definition file to write")
	sweep := flag.String("sweep", "sweep.asl.json", "the sweeper's definition file to write")
	readme := flag.String("readme", "../README.md", "the README whose diagram block to rewrite")
	flag.Parse()
	if err := run(*asl, *sweep, *readme); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(asl, sweep, readme string) error {
	s, err := statemachine.Sweeper()
	if err != nil {
		return err
	}
	if err := write(s, sweep); err != nil {
		return err
	}
	m, err := statemachine.Workflow()
	if err != nil {
		return err
	}
	if err := write(m, asl); err != nil {
		return err
	}
	text, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	text, err = statemachine.ReplaceDiagram(text, m.Mermaid())
	if err != nil {
		return fmt.Errorf("%s: %w", readme, err)
	}
	return os.WriteFile(readme, text, 0o644)
}

// write writes a definition's file.
func write(m *statemachine.Machine, path string) error {
	def, err := m.JSON()
	if err != nil {
		return err
	}
	return os.WriteFile(path, def, 0o644)
}
