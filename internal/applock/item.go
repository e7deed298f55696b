package applock

// The lock item: one item per app in the lock table, keyed by the app's name. The state machine writes it with
// DynamoDB tasks (the statemachine builder takes these names from here), the Lambdas read and update it.
const (
	// AttrApp is the key: the app's name.
	AttrApp = "app"
	// AttrExecution is the ARN of the execution holding the lock.
	AttrExecution = "execution"
	// AttrProgress is how far the holder got (a deploy.Progress).
	AttrProgress = "progress"
	// AttrAction is the holder's action (deploy, rollback, reconcile).
	AttrAction = "action"
	// AttrStartedAt is when the holder took the lock; AttrUpdatedAt when it last recorded progress.
	AttrStartedAt = "startedAt"
	AttrUpdatedAt = "updatedAt"
	// AttrPlan is the holder's plan (deploy.Plan, encoded). "plan" is a DynamoDB reserved word: expressions name it
	// through an attribute name placeholder.
	AttrPlan = "plan"
	// AttrStep is the weight step (percent) the holder shifted to last.
	AttrStep = "step"
	// The approval gate waiting for an operator: its task token, step, verdict and when it was asked.
	AttrApprovalToken       = "approvalToken"
	AttrApprovalStep        = "approvalStep"
	AttrApprovalVerdict     = "approvalVerdict"
	AttrApprovalRequestedAt = "approvalRequestedAt"
)

// The conditions every write of the lock item is made under.
const (
	// ConditionFree holds when the app has no lock item: the put that takes a free lock.
	ConditionFree = "attribute_not_exists(" + AttrApp + ")"
	// HolderValue is the expression attribute value ConditionHeld compares with: the writer's execution ARN.
	HolderValue = ":e"
	// ConditionHeld holds while the execution bound to HolderValue holds the lock: every progress write and the
	// unlock are made under it, so a run that lost its lock writes nothing.
	ConditionHeld = AttrExecution + " = " + HolderValue
)
