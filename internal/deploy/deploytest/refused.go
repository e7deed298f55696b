// Package deploytest holds the cases the deployer's tests share: the execution inputs it refuses, so that Prepare
// and `bluegreen validate` are held to one table.
package deploytest

import (
	_ "embed"
	"encoding/json"
)

//go:embed refused-inputs.json
var refusedJSON []byte

// Refused is an execution input the deployer refuses with the app configuration of events/config/demoapp.json, and
// a substring of each problem it must report.
type Refused struct {
	Name     string   `json:"name"`
	Input    string   `json:"input"`
	Problems []string `json:"problems"`
}

// RefusedInputs returns the shared table.
func RefusedInputs() []Refused {
	var doc struct {
		Cases []Refused `json:"cases"`
	}
	if err := json.Unmarshal(refusedJSON, &doc); err != nil {
		panic("deploytest: refused-inputs.json: " + err.Error())
	}
	return doc.Cases
}
