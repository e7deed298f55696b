// Package deploy is the contract between the state machine and the Lambdas: the execution input and the app's
// configuration (with defaults and validation), the plan, the run's progress, the state document passed from task
// to task, and the named error types the state machine routes on.
package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/bluegreen-aws/bluegreen/internal/exactjson"
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
	// ActionRepair makes records edited by hand consistent with the color an operator names live, after health
	// checking that color's stack.
	ActionRepair Action = "repair"
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
	// Live is the color a repair makes live ("blue" or "green").
	Live string `json:"live,omitempty"`
	// Source says what started the execution ("s3", "ecr", "codepipeline", "cli", ...), for notifications.
	Source string `json:"source,omitempty"`
	// Config overrides fields of the app's stored configuration (a JSON merge patch, RFC 7386).
	Config json.RawMessage `json:"config,omitempty"`
	// Event is the EventBridge event that started the execution, whole (the S3 and ECR rules pass it as
	// <aws.events.event.json> beside the app their rule names): Prepare derives version, artifact and source from
	// it, so no value of an event is ever spliced into JSON text.
	Event json.RawMessage `json:"event,omitempty"`
}

// DecodeInput decodes an execution input with exact keys (exactjson): a key that differs from a field's name by
// case or folding, a duplicate key or an unknown key is a ValidationError naming it, and so is an input that is not
// a JSON object. Its config overrides are checked the same way, as a merge patch of Config.
func DecodeInput(data []byte) (Input, error) {
	var in Input
	if err := exactjson.Decode(data, &in, exactjson.Options{What: "the execution input"}); err != nil {
		return Input{}, validationOf(err, "", "")
	}
	if err := CheckPatch(in.Config, "config"); err != nil {
		return Input{}, err
	}
	return in, nil
}

// CheckInput reads an execution input as Prepare does, and as the CLI does before it starts one: decoded with exact
// keys (DecodeInput), a trigger's event turned into version, artifact and source (ReleaseFromEvent), validated on
// its own (ValidateInput), the action defaulted; an input of more than MaxInputBytes is refused first. The app's
// configuration is then made by ResolveConfig.
func CheckInput(raw []byte) (Input, error) {
	if len(raw) > MaxInputBytes {
		return Input{}, &ValidationError{Problems: []string{fmt.Sprintf("the execution input is %d bytes, more than %d (give a large template by url)", len(raw), MaxInputBytes)}}
	}
	in, err := DecodeInput(raw)
	if err != nil {
		return Input{}, err
	}
	if err := ReleaseFromEvent(&in); err != nil {
		return Input{}, err
	}
	if err := ValidateInput(in); err != nil {
		return Input{}, err
	}
	in.Action = in.ActionOrDefault()
	return in, nil
}

// CheckPatch checks a configuration override (a JSON merge patch of Config) with exact keys; path prefixes its
// problems ("config").
func CheckPatch(patch json.RawMessage, path string) error {
	if len(patch) == 0 {
		return nil
	}
	if err := exactjson.Check(patch, reflect.TypeOf(Config{}), exactjson.Options{Patch: true, What: path}); err != nil {
		return validationOf(err, path, "")
	}
	return nil
}

// validationOf turns exactjson's problems into a ValidationError: paths under prefix ("config"), or each problem
// headed by label ("stored configuration: ") where the document is not part of the input.
func validationOf(err error, prefix, label string) error {
	var e *exactjson.Error
	if !errors.As(err, &e) {
		return &ValidationError{Problems: []string{label + err.Error()}}
	}
	var p problems
	for _, pr := range e.Problems {
		path := pr.Path
		if prefix != "" && path != "" {
			path = prefix + "." + path
		}
		if path == "" {
			p.add("%s%s", label, pr.Message)
			continue
		}
		p.add("%s%s %s", label, path, pr.Message)
	}
	return p.err()
}

// ActionOrDefault returns the action, "deploy" when empty.
func (in Input) ActionOrDefault() Action {
	if in.Action == "" {
		return ActionDeploy
	}
	return in.Action
}
