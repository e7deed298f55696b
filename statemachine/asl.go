package statemachine

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The Amazon States Language, as much of it as the workflow uses (JSONPath only: no variables, no JSONata, which
// the local AWS does not run). Fields are written in the order declared here, states in the order they were added.

// Machine is a built state machine definition: its states in the order the builder added them, and the phase each
// belongs to (for the diagram).
type Machine struct {
	// Comment is the definition's top-level comment.
	Comment string
	// StartAt is the first state: the first one the builder added.
	StartAt string
	states  []named
	phases  []*phase
}

// named is a state with its name and phase.
type named struct {
	name  string
	state *aslState
	phase *phase
}

// aslState is one ASL state.
type aslState struct {
	Comment            string         `json:"Comment,omitempty"`
	Type               string         `json:"Type"`
	Resource           string         `json:"Resource,omitempty"`
	Parameters         map[string]any `json:"Parameters,omitempty"`
	TimeoutSecondsPath string         `json:"TimeoutSecondsPath,omitempty"`
	SecondsPath        string         `json:"SecondsPath,omitempty"`
	Choices            []rule         `json:"Choices,omitempty"`
	Default            string         `json:"Default,omitempty"`
	// ResultPath is nil (absent: the result replaces the input), discard (null: the input passes through) or a path.
	ResultPath any       `json:"ResultPath,omitempty"`
	OutputPath string    `json:"OutputPath,omitempty"`
	Retry      []retrier `json:"Retry,omitempty"`
	Catch      []catcher `json:"Catch,omitempty"`
	Next       string    `json:"Next,omitempty"`
	Error      string    `json:"Error,omitempty"`
	Cause      string    `json:"Cause,omitempty"`
	ErrorPath  string    `json:"ErrorPath,omitempty"`
	CausePath  string    `json:"CausePath,omitempty"`
}

// discard is the ResultPath null: the task's result is dropped and its input passes on unchanged.
var discard = json.RawMessage("null")

// rule is one rule of a Choice state.
type rule struct {
	Not           *rule   `json:"Not,omitempty"`
	Variable      string  `json:"Variable,omitempty"`
	StringEquals  *string `json:"StringEquals,omitempty"`
	BooleanEquals *bool   `json:"BooleanEquals,omitempty"`
	IsPresent     *bool   `json:"IsPresent,omitempty"`
	Next          string  `json:"Next,omitempty"`
}

// retrier is one entry of a task's Retry.
type retrier struct {
	ErrorEquals     []string `json:"ErrorEquals"`
	IntervalSeconds int      `json:"IntervalSeconds"`
	MaxAttempts     int      `json:"MaxAttempts"`
	BackoffRate     float64  `json:"BackoffRate"`
	MaxDelaySeconds int      `json:"MaxDelaySeconds,omitempty"`
	JitterStrategy  string   `json:"JitterStrategy,omitempty"`
}

// catcher is one entry of a task's Catch.
type catcher struct {
	ErrorEquals []string `json:"ErrorEquals"`
	ResultPath  any      `json:"ResultPath"`
	Next        string   `json:"Next"`
}

// JSON returns the definition as the committed file holds it: indented by two spaces, HTML characters unescaped
// (the comments name stacks <app>-<id>), a final newline.
func (m *Machine) JSON() ([]byte, error) {
	var states bytes.Buffer
	states.WriteByte('{')
	for i, n := range m.states {
		if i > 0 {
			states.WriteByte(',')
		}
		k, err := marshal(n.name)
		if err != nil {
			return nil, err
		}
		v, err := marshal(n.state)
		if err != nil {
			return nil, fmt.Errorf("state %s: %w", n.name, err)
		}
		states.Write(k)
		states.WriteByte(':')
		states.Write(v)
	}
	states.WriteByte('}')
	doc, err := marshal(struct {
		Comment string          `json:"Comment"`
		StartAt string          `json:"StartAt"`
		States  json.RawMessage `json:"States"`
	}{m.Comment, m.StartAt, states.Bytes()})
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, doc, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping, compact.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
