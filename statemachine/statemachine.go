// Package statemachine holds the deployer's workflow as an Amazon States Language file with ${...} placeholders,
// and the one list of those placeholders that both the CDK (definition substitutions) and the local AWS use.
//
// The file is generated: Workflow builds the definition from phases (see builder.go), and `go generate
// ./statemachine/` writes it to bluegreen.asl.json. A test fails when the committed file is not the builder's
// output. Change the workflow in the builder, never in the JSON.
package statemachine

//go:generate go run ./gen

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Definition is the ASL file as written, placeholders included.
//
//go:embed bluegreen.asl.json
var Definition string

// Placeholders.
const (
	CreateStackFunction = "CreateStackFunctionArn"
	HealthCheckFunction = "HealthCheckFunctionArn"
	ShiftWeightFunction = "ShiftWeightFunctionArn"
	SwitchFunction      = "SwitchFunctionArn"
	RollbackFunction    = "RollbackFunctionArn"
	LockTable           = "LockTableName"
	NotificationTopic   = "NotificationTopicArn"
)

// Placeholders lists every placeholder the definition uses.
var Placeholders = []string{
	CreateStackFunction, HealthCheckFunction, ShiftWeightFunction, SwitchFunction, RollbackFunction,
	LockTable, NotificationTopic,
}

// FunctionPlaceholders maps each Lambda's name (its folder under functions/) to its placeholder.
var FunctionPlaceholders = map[string]string{
	"createstack": CreateStackFunction,
	"healthcheck": HealthCheckFunction,
	"shiftweight": ShiftWeightFunction,
	"switch":      SwitchFunction,
	"rollback":    RollbackFunction,
}

var placeholderRE = regexp.MustCompile(`\$\{([A-Za-z0-9]+)\}`)

// Used returns the placeholders the definition actually contains, sorted.
func Used() []string {
	seen := map[string]bool{}
	for _, m := range placeholderRE.FindAllStringSubmatch(Definition, -1) {
		seen[m[1]] = true
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Render substitutes every placeholder and checks that none is missing or left over and that the result is JSON.
func Render(values map[string]string) (string, error) {
	return render(Definition, Placeholders, values)
}

// render substitutes a definition's placeholders (each listed one must have a value), as JSON string content.
func render(definition string, placeholders []string, values map[string]string) (string, error) {
	var missing []string
	for _, p := range placeholders {
		if values[p] == "" {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("state machine: no value for %s", strings.Join(missing, ", "))
	}
	out := placeholderRE.ReplaceAllStringFunc(definition, func(m string) string {
		name := m[2 : len(m)-1]
		v, ok := values[name]
		if !ok || !slices.Contains(placeholders, name) {
			return m
		}
		b, _ := json.Marshal(v) // placeholders sit inside JSON strings: escape the value as a string's content
		return string(b[1 : len(b)-1])
	})
	if left := placeholderRE.FindString(out); left != "" {
		return "", fmt.Errorf("state machine: placeholder %s is not in the list", left)
	}
	if !json.Valid([]byte(out)) {
		return "", fmt.Errorf("state machine: the rendered definition is not JSON")
	}
	return out, nil
}
