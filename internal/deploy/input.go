// Package deploy is the contract between the state machine and the Lambdas: the execution input and the app's
// configuration (with defaults and validation), the plan, the run's progress, the state document passed from task
// to task, and the named error types the state machine routes on.
package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Action is what an execution does.
type Action string

// The actions.
const (
	// ActionDeploy releases a new version into the idle color (the default).
	ActionDeploy Action = "deploy"
	// ActionRollback makes the idle stack live again (the previous release), after health checking it.
	ActionRollback Action = "rollback"
	// ActionReconcile repairs what a stopped, timed-out or dirty-failed execution left.
	ActionReconcile Action = "reconcile"
)

// Input is an execution's input, as triggers, operators and CodePipeline give it. Triggers give little (app,
// version, artifact); everything else comes from the app's stored configuration, which Config overrides.
type Input struct {
	// Action defaults to "deploy".
	Action Action `json:"action,omitempty"`
	// App names the app. A reconcile may leave it out: it learns the app from the stopped execution's input.
	App string `json:"app,omitempty"`
	// Version is the release's version (deploy only), passed to the template as the Version parameter.
	Version string `json:"version,omitempty"`
	// Artifact locates the release's artifact (an S3 URI, an image URI), passed as the Artifact parameter.
	Artifact string `json:"artifact,omitempty"`
	// Execution is the ARN of the execution a reconcile repairs.
	Execution string `json:"execution,omitempty"`
	// Source says what started the execution ("s3", "ecr", "codepipeline", "cli", ...), for notifications.
	Source string `json:"source,omitempty"`
	// Config overrides fields of the app's stored configuration (a JSON merge patch, RFC 7386).
	Config json.RawMessage `json:"config,omitempty"`
}

// DecodeInput decodes an execution input strictly: unknown fields are an error, so a misspelt override is reported
// rather than ignored.
func DecodeInput(data []byte) (Input, error) {
	var in Input
	if err := decodeStrict(data, &in); err != nil {
		return Input{}, &ValidationError{Problems: []string{"execution input: " + err.Error()}}
	}
	return in, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// ActionOrDefault returns the action, "deploy" when empty.
func (in Input) ActionOrDefault() Action {
	if in.Action == "" {
		return ActionDeploy
	}
	return in.Action
}
