// Command gen writes the state machine's definition (bluegreen.asl.json) from the builder in package
// statemachine. Run it with `go generate ./statemachine/`; never edit the JSON by hand.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/bluegreen-aws/bluegreen/statemachine"
)

func main() {
	asl := flag.String("asl", "bluegreen.asl.json", "the definition file to write")
	flag.Parse()
	if err := run(*asl); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(asl string) error {
	m, err := statemachine.Workflow()
	if err != nil {
		return err
	}
	def, err := m.JSON()
	if err != nil {
		return err
	}
	return os.WriteFile(asl, def, 0o644)
}
