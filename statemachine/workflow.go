package statemachine

import (
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

const definitionComment = "bluegreen: blue/green releases of CloudFormation stacks with traffic moved by Route 53 weighted records. Placeholders (dollar-brace names) are filled by the CDK (definition substitutions) and by the local AWS from the same list (statemachine.Placeholders)."

// The failure policies of the workflow's phases.
var (
	// starting: before the lock, nothing written — input that fails validation is refused as invalid; any other
	// failure is reported as what it is: the run could not start.
	starting = goTo("NotifyNotStarted", "$.error").except(route{
		errors: []string{errorName[*deploy.ValidationError]()}, next: "InvalidReason", resultPath: "$.error",
	})
	// locking: taking the lock, nothing written — a lock another run holds (running, or stopped part-way and
	// waiting for a reconcile) is refused as locked; any other failure: the run could not start.
	locking = goTo("NotifyNotStarted", "$.error").except(route{
		errors: []string{errorName[*deploy.LockHeldError](), errorName[*deploy.ReconcileRequiredError]()},
		next:   "LockedReason", resultPath: "$.error",
	})
	// refuse: before any write — release the lock and refuse; nothing was changed.
	refuse = goTo("UnlockRefused", "$.error")
	// rollBack: while deploying — put the plan's records back.
	rollBack = goTo("Rollback", "$.error")
	// markDirty: while rolling back or reconciling — the records may be inconsistent: keep the lock, marked dirty.
	markDirty = goTo("MarkDirty", "$.rollbackError")
)

// Workflow builds the deployer's state machine, the one bluegreen.asl.json holds (`go generate ./statemachine/`
// writes it). Each action is a function adding its phases: begin (prepare, lock, plan), deployment, rollback,
// manualRollback, reconcile, repair, then the endings every action shares.
func Workflow() (*Machine, error) {
	b := newBuilder(definitionComment)
	begin(b)
	deployment(b)
	rollback(b)
	manualRollback(b)
	reconcile(b)
	repair(b)
	endings(b)
	return b.machine()
}

// begin: every execution prepares (reads only), takes the app's lock and plans under it, then goes the way of its
// action.
func begin(b *builder) {
	prep := b.phase("prepare", "Prepare: the app's stored configuration and the input's overrides, validated (reads only)", starting)
	prep.pass("Start", &aslState{
		Comment:    "Start the state document every Lambda takes. The input goes in as text only: Prepare reads the execution's input key by key, and nothing reads it as JSON before Prepare has (a JSON array or a folded key never reaches a typed field).",
		Parameters: map[string]any{"raw.$": "States.JsonToString($)"},
	}, "Prepare")
	prep.lambda("Prepare", "Load the app's stored configuration, merge the input's overrides and validate everything. Reads only.",
		call{CreateStackFunction, "prepare"}, "Lock")

	lock := b.phase("lock", "Lock the app: a conditional put naming the execution, or a takeover", locking)
	lock.takeLock("Lock", "Take the app's lock: a conditional put naming this execution.", "Plan",
		route{errors: []string{"DynamoDB.ConditionalCheckFailedException"}, next: "TakeOverLock", resultPath: discard})
	lock.lambda("TakeOverLock", "Another execution holds the lock: fail fast naming it while it runs; take the lock over when it stopped after changing nothing or finishing, or when this is a reconcile; otherwise refuse and say to reconcile.",
		call{CreateStackFunction, "lock"}, "Plan")

	plan := b.phase("plan", "Plan under the lock (reads the records), stored in the lock item", refuse)
	plan.lambda("Plan", "Under the lock: read the records, refuse a state that is not at rest, choose the idle color and the new stack id, and store the plan (with the records as they were) in the lock item, progress 'planned'. Writes no record. A reconcile recovers the stopped run's plan instead.",
		call{CreateStackFunction, "plan"}, "ChooseAction")
	plan.choice("ChooseAction", "", "UnlockRefused",
		equals("$.input.action", string(deploy.ActionDeploy), "Create"),
		equals("$.input.action", string(deploy.ActionRollback), "TargetHealth"),
		equals("$.input.action", string(deploy.ActionReconcile), "ReconcileChoice"),
		equals("$.input.action", string(deploy.ActionRepair), "RepairTargetHealth"))
}

// deployment: create the new stack, publish it, check it, move traffic to it step by step, switch, watch; then
// clean up. Any failure until the end of the watch rolls back.
func deployment(b *builder) {
	create := b.phase("create", "Create the stack <app>-<id> in the idle color, wait until it is complete", rollBack)
	create.lambda("Create", "Create stack <app>-<id> in the idle color from the app's template, with its service role; progress 'created'.",
		call{CreateStackFunction, "create"}, "StackWait")
	create.wait("StackWait", "", "$.stack.waitSeconds", "StackStatus")
	create.lambda("StackStatus", "Check the stack once; the wait grows each time, up to the strategy's deadline.",
		call{CreateStackFunction, "status"}, "StackReady")
	create.choice("StackReady", "", "StackWait", isTrue("$.stack.done", "Publish"))

	publish := b.phase("publish", "Publish: its endpoint record, then its slot TXT and weighted record at weight 0", rollBack)
	publish.changeLoop(change{
		name:    "Publish",
		comment: "Publish the stack: its endpoint record (own batch), then its slot TXT and its color's weighted record at weight 0; progress 'published'.",
		apply:   call{CreateStackFunction, "publish"}, next: "PreTrafficHealth", again: true,
	})

	pre := b.phase("pretraffic", "Health check before any traffic (failed checks tried again health.retries times; registering targets waited for)", rollBack)
	pre.healthCheck("PreTraffic", "Health check the new stack before it gets any traffic; a failed check is tried again health.retries times, and targets still registering (initial) are waited for within their target groups' first-check deadline.", "MoreSteps")

	steps := b.phase("steps", "Each weight step: shift (one batch), bake, health check, approval gate", rollBack)
	steps.choice("MoreSteps", "The next weight step, if any: a first release, or a strategy without steps, goes straight to the switch.", "Switch",
		isTrue("$.step.more", "Shift"))
	steps.changeLoop(change{
		name:    "Shift",
		comment: "Give the new stack the next step's share: one change batch, INSYNC; progress 'shifting' and the step.",
		apply:   call{ShiftWeightFunction, "shift"}, next: "Bake",
	})
	steps.wait("Bake", "", "$.config.strategy.bakeSeconds", "StepHealth")
	steps.lambda("StepHealth", "After the bake: health check the new stack, alarms included, and (health.traffic) verify the step's effective split.",
		call{HealthCheckFunction, "step"}, "NeedsApproval")
	steps.choice("NeedsApproval", "An inconclusive split extends the bake; else an approval gate at this step, else the next step, else the switch.", "Switch",
		isTrue("$.step.extend", "ExtendBake"), isTrue("$.step.approval", "Approval"), isTrue("$.step.more", "Shift"))
	steps.wait("ExtendBake", "The step's split was inconclusive (health.traffic): bake one period more, then check the step again (at most health.traffic.maxExtensions times). Without health.traffic, never entered.",
		"$.split.waitSeconds", "StepHealth")
	approval := call{ShiftWeightFunction, "approval"}
	payload := approval.payload()
	payload["token.$"] = "$$.Task.Token"
	steps.task("Approval", &aslState{
		Comment:            "Wait for an operator's decision on this step (promote, promote-full or abort). The token is stored in the lock item, where the CLI finds it.",
		Resource:           "arn:aws:states:::lambda:invoke.waitForTaskToken",
		Parameters:         map[string]any{"FunctionName": placeholder(approval.function), "Payload": payload},
		TimeoutSecondsPath: "$.config.strategy.approvalTimeoutSeconds",
		ResultPath:         "$.approval",
	}, kindApproval, "ApprovalDecided")
	steps.forgetApproval("ApprovalDecided", "The gate is answered: remove its token from the lock item, so no one answers it twice.", "Decision")
	steps.choice("Decision", "Anything but promote or promote-full aborts.", "Aborted",
		absent("$.approval.decision", "Aborted"),
		equals("$.approval.decision", deploy.DecisionPromote, "MoreSteps"),
		equals("$.approval.decision", deploy.DecisionPromoteFull, "FinalHealth"))
	steps.pass("Aborted", &aslState{
		Parameters: map[string]any{"Error": "ApprovalAborted", "Cause": "an operator aborted the deployment at an approval gate"},
		ResultPath: "$.error",
	}, "Rollback")
	steps.lambda("FinalHealth", "promote-full skips the remaining steps and bakes, not the health check.",
		call{HealthCheckFunction, "step"}, "Switch")

	sw := b.phase("switch", "Switch: weights 100/0 and stack.active in one batch", rollBack)
	sw.changeLoop(change{
		name:    "Switch",
		comment: "Make the new stack live: weights 100/0 and stack.active in ONE change batch; progress 'switched'.",
		apply:   call{SwitchFunction, "switch"}, next: "Watch",
	})

	watch := b.phase("watch", "Watch after the switch: health checks and alarms for a window", rollBack)
	watch.lambda("Watch", "Watch the release after the switch (health checks and alarms); a failure rolls back to the previous stack, which is still up.",
		call{HealthCheckFunction, "watch"}, "WatchOver")
	watch.choice("WatchOver", "", "WatchWait", isTrue("$.watch.done", "Watched"))
	watch.wait("WatchWait", "", "$.watch.waitSeconds", "Watch")

	cleanup := b.phase("cleanup", "Clean up: delete the stacks no longer needed (failures are warnings)", carryOn)
	cleanup.record("Watched", "", deploy.ProgressWatched, "Cleanup")
	cleanup.lambda("Cleanup", "Delete the stack that was idle before this deployment and stacks earlier failures kept. Failures here are warnings: the release is live and watched.",
		call{CreateStackFunction, "cleanup"}, "Done")
	cleanup.wait("ReconcileDrain", "", "$.drainSeconds", "ReconcileDiscard")
	cleanup.lambda("ReconcileDiscard", "Delete the stopped run's new stack (or keep it when the app asks).",
		call{CreateStackFunction, "delete"}, "Done")
}

// rollback: put the plan's records back in one batch, let clients drain, delete (or keep) the new stack and fail
// with the error; a failure of the rollback itself ends dirty.
func rollback(b *builder) {
	rb := b.phase("rollback", "Rollback: the plan's records, one batch; drain", markDirty)
	rb.changeLoop(change{
		name:    "Rollback",
		comment: "Put the records back exactly as the plan recorded them, in one batch.",
		apply:   call{RollbackFunction, "restore"}, next: "Drain",
	})
	rb.wait("Drain", "Let clients that resolved the new stack drain before it goes.", "$.drainSeconds", "Discard")

	done := b.endingPhase("rolledback", "Rolled back: delete (or keep) the new stack, unlock, fail with the error", carryOn)
	done.lambda("Discard", "Delete the new stack and its endpoint record, or keep it (tagged) when the app asks.",
		call{CreateStackFunction, "delete"}, "UnlockRolledBack")
	done.unlock("UnlockRolledBack", "NotifyRolledBack")
	done.notify("NotifyRolledBack", "bluegreen: deployment rolled back", "$.notice", "RolledBack")
	done.fail("RolledBack", &aslState{
		Comment:   "The deployment failed and was rolled back cleanly: the previous release is live.",
		ErrorPath: "$.failure.Error", CausePath: "$.failure.Cause",
	})
}

// manualRollback: health check the idle stack, then make it live again in one batch.
func manualRollback(b *builder) {
	check := b.phase("target", "Manual rollback: health check the idle stack", refuse)
	check.healthCheck("Target", "Health check the idle stack before making it live again.", "ManualRollback")

	manual := b.phase("manual", "Manual rollback: the idle stack live again, one batch", markDirty)
	manual.changeLoop(change{
		name:    "ManualRollback",
		comment: "Make the idle stack live again: weights and stack.active in one batch. Refuses before any write when the idle stack is gone.",
		apply:   call{RollbackFunction, "manual"}, next: "RolledBackToIdle",
		first: []route{refuse.on(errorName[*deploy.TargetMissingError](), errorName[*deploy.StateInconsistentError]())},
	})
}

// reconcile: act on the recorded progress of the stopped run whose lock this run took over. With nothing to
// reconcile (the lock was another run's) it ends at once, neither holding nor releasing the lock; without a plan it
// writes nothing, and refuses records that are not consistent.
func reconcile(b *builder) {
	rec := b.phase("reconcile", "Reconcile: act on the stopped run's recorded progress", markDirty)
	rec.choice("ReconcileChoice", "Act on the stopped run's recorded progress.", "ReconcileSettle",
		isTrue("$.reconcile.foreign", "NotifyDone"),
		isTrue("$.reconcile.restore", "ReconcileRestore"),
		isTrue("$.reconcile.cleanup", "Cleanup"))
	rec.changeLoop(change{
		name:    "ReconcileRestore",
		comment: "Before the end of the stopped run's watch: restore the records its plan recorded.",
		apply:   call{RollbackFunction, "restore"}, next: "ReconcileDrain",
	})
	settle := b.phase("settle", "Reconcile without a plan to act on: nothing written; inconsistent records refused", refuse)
	settle.lambda("ReconcileSettle", "Nothing to restore or clean up: leave the records. Without a plan, records that are not consistent are refused, naming the repair; a reconcile never chooses which release goes live.",
		call{RollbackFunction, "reconcile"}, "Done")
}

// repair: health check the stack of the color the operator named, then make the records consistent with it live
// in one batch.
func repair(b *builder) {
	check := b.phase("repairtarget", "Repair: health check the named color's stack", refuse)
	check.healthCheck("RepairTarget", "Health check the stack of the color that must be live before any write.", "Repair")

	rep := b.phase("repair", "Repair: the records consistent with that color live, one batch", markDirty)
	rep.changeLoop(change{
		name:    "Repair",
		comment: "Make the records consistent with the named color live: one batch. Refuses before any write when that color's stack is gone or a record the deployer does not manage is in the way.",
		apply:   call{RollbackFunction, "repair"}, next: "Done",
		first: []route{refuse.on(errorName[*deploy.TargetMissingError](), errorName[*deploy.RecordConflictError]())},
	})
}

// endings: the ways a run ends that more than one action shares.
func endings(b *builder) {
	finish := b.endingPhase("finish", "Succeeded: progress recorded, unlock, notify", carryOn)
	finish.record("RolledBackToIdle", "", deploy.ProgressRolledBack, "Unlock")
	finish.record("Done", "", deploy.ProgressDone, "Unlock")
	finish.unlock("Unlock", "NotifyDone")
	finish.notify("NotifyDone", "bluegreen: deployment finished", "$.notice", "Succeeded")
	finish.succeed("Succeeded")

	refused := b.endingPhase("refused", "Refused: unlock; nothing was written", carryOn)
	refused.unlock("UnlockRefused", "NotifyRefused")
	refused.notify("NotifyRefused", "bluegreen: deployment refused",
		"States.Format('{}: refused before any change, nothing was written: {}. See `bluegreen status {}`', $.title, $.error.Cause, $.app.name)", "Refused")
	refused.fail("Refused", &aslState{
		Comment:   "Refused before any write (state not at rest, a record in the way, nothing to roll back to, an unhealthy target).",
		ErrorPath: "$.error.Error", CausePath: "$.error.Cause",
	})

	dirty := b.endingPhase("dirty", "Rollback failed: the lock kept, marked dirty; reconcile", ignore)
	dirty.record("MarkDirty", "The rollback failed: mark the lock dirty, so that only a reconcile takes it over.", deploy.ProgressDirty, "NotifyDirty")
	dirty.notify("NotifyDirty", "bluegreen: ROLLBACK FAILED",
		"States.Format('{}: THE ROLLBACK FAILED, the records may be inconsistent and the app stays locked; check them with `bluegreen status {}`, then `bluegreen reconcile {}`: {}', $.title, $.app.name, $$.Execution.Id, $.rollbackError.Cause)",
		"RollbackFailed")
	dirty.fail("RollbackFailed", &aslState{
		Comment: "The rollback itself failed: the lock stays held.",
		Error:   "RollbackFailed",
		Cause:   "The rollback failed: the app's records may be inconsistent. Check the records with `bluegreen status <app>`, then start a reconcile of this execution (`bluegreen reconcile <execution-arn>`); the app stays locked until then.",
	})

	invalid := b.endingPhase("invalid", "Invalid input: nothing was written", ignore)
	invalid.pass("InvalidReason", lambdaReason(), "NotifyInvalid")
	invalid.notify("NotifyInvalid", "bluegreen: deployment input refused", "States.Format('deployment input refused: {}', $.reason.Cause.errorMessage)", "FailInvalid")
	invalid.fail("FailInvalid", &aslState{
		Comment:   "The input or the app's configuration is invalid; nothing was written. The cause is the problems in plain text.",
		ErrorPath: "$.error.Error", CausePath: "$.reason.Cause.errorMessage",
	})

	notStarted := b.endingPhase("notstarted", "Could not start: a failure that is not the input's; nothing was written", ignore)
	notStarted.notify("NotifyNotStarted", "bluegreen: deployment could not start",
		"States.Format('deployment could not start: {}: {}', $.error.Error, $.error.Cause)", "FailNotStarted")
	notStarted.fail("FailNotStarted", &aslState{
		Comment:   "Preparing or locking failed for a reason that is not the input's (a service error, a timeout); nothing was written. The error is the one caught.",
		ErrorPath: "$.error.Error", CausePath: "$.error.Cause",
	})

	locked := b.endingPhase("locked", "Locked by another run: nothing was written", ignore)
	locked.pass("LockedReason", lambdaReason(), "NotifyLocked")
	locked.notify("NotifyLocked", "bluegreen: app is locked",
		"States.Format('{}: refused, the app is locked: {}. See `bluegreen status {}`', $.title, $.reason.Cause.errorMessage, $.app.name)", "FailLocked")
	locked.fail("FailLocked", &aslState{
		Comment:   "The app's lock is held; nothing was written.",
		ErrorPath: "$.error.Error", CausePath: "$.reason.Cause.errorMessage",
	})
}

// lambdaReason reads a Lambda function's error, whose cause is the runtime's JSON document ({"errorType": ...,
// "errorMessage": ...}), so that notifications and the Fail state carry its message as plain text. Only errors that
// a Lambda function raised reach it (a cause that is not JSON would fail the state).
func lambdaReason() *aslState {
	return &aslState{
		Parameters: map[string]any{"Error.$": "$.error.Error", "Cause.$": "States.StringToJson($.error.Cause)"},
		ResultPath: "$.reason",
	}
}
