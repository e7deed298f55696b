// Command gen writes the state machine's definition (bluegreen.asl.json) and the README's diagram of it from the
// builder in package statemachine. Run it with `go generate ./statemachine/`; never edit the JSON by hand.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/bluegreen-aws/bluegreen/statemachine"
)

func main() {
	asl := flag.String("asl", "bluegreen.asl.json", "the definition file to write")
	readme := flag.String("readme", "../README.md", "the README whose diagram block to rewrite")
	flag.Parse()
	if err := run(*asl, *readme); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(asl, readme string) error {
	m, err := statemachine.Workflow()
	if err != nil {
		return err
	}
	def, err := m.JSON()
	if err != nil {
		return err
	}
	if err := os.WriteFile(asl, def, 0o644); err != nil {
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
