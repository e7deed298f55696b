package statemachine

import (
	_ "embed"
)

// SweepDefinition is the sweeper's ASL file as written, placeholders included (`go generate ./statemachine/` writes
// it from Sweeper).
//
//go:embed sweep.asl.json
var SweepDefinition string

// StateMachine is the sweeper's placeholder for the deployer's state machine's ARN.
const StateMachine = "StateMachineArn"

// SweepPlaceholders lists every placeholder the sweeper's definition uses.
var SweepPlaceholders = []string{CreateStackFunction, StateMachine}

const sweepComment = "bluegreen sweeper: starts the reconcile of every app lock held by an execution of the deployer's state machine that was aborted or timed out, once (AWS delivers Step Functions' status events on a best-effort basis, so no stopped run waits on one event). Started by EventBridge on a schedule and on those status events; its input is ignored. Placeholders (dollar-brace names) are filled by the CDK and by the local AWS from statemachine.SweepPlaceholders."

// Sweeper builds the sweeper, the state machine sweep.asl.json holds: it sets the state document itself (the
// deployer's state machine, from its placeholder; nothing of its input, which anyone allowed to start it chooses),
// calls the create-stack function's sweep operation, and succeeds — three states when there is nothing to do. A
// failure (after the Lambda retries) fails the execution with the function's error.
func Sweeper() (*Machine, error) {
	b := newBuilder(sweepComment)
	sweep := b.phase("sweep", "Sweep: start the reconcile of each lock a stopped run holds", goTo("SweepFailed", "$.error"))
	sweep.pass("Start", &aslState{
		Comment:    "The state document: the deployer's state machine, whose stopped runs are reconciled. The execution's input is not read.",
		Parameters: map[string]any{"sweep": map[string]any{"stateMachine": placeholder(StateMachine)}},
	}, "Sweep")
	sweep.lambda("Sweep", "List the locks; for each one an aborted or timed-out run holds, start its reconcile under a name made from the run's ARN (a second sweep finds it taken). Writes nothing else.",
		call{CreateStackFunction, "sweep"}, "Swept")
	sweep.succeed("Swept")
	failed := b.endingPhase("sweepfailed", "The sweep failed: the next one tries again", ignore)
	failed.fail("SweepFailed", &aslState{
		Comment:   "The sweep failed; the schedule's next sweep tries again.",
		ErrorPath: "$.error.Error", CausePath: "$.error.Cause",
	})
	return b.machine()
}

// RenderSweep substitutes the sweeper's placeholders, as Render does the deployer's.
func RenderSweep(values map[string]string) (string, error) {
	return render(SweepDefinition, SweepPlaceholders, values)
}
