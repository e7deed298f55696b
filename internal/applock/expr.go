package applock

import "strings"

// The expressions of the lock item's writes. The state machine's DynamoDB tasks use the conditions, SetProgress and
// RemoveApproval (through the statemachine builder); Table composes the Lambdas' writes from the same names.
const (
	// ConditionFree holds when the app has no lock item: the put that takes a free lock.
	ConditionFree = "attribute_not_exists(" + AttrApp + ")"
	// HolderValue is the expression attribute value ConditionHeld compares with: the writer's execution ARN.
	HolderValue = ":e"
	// ConditionHeld holds while the execution bound to HolderValue holds the lock: every progress write and the
	// unlock are made under it, so a run that lost its lock writes nothing.
	ConditionHeld = AttrExecution + " = " + HolderValue
	// ProgressValue is the expression attribute value a progress write binds to the progress.
	ProgressValue = ":p"
	// SetProgress is the state machine's progress write (under ConditionHeld). It sets no timestamp: the state
	// machine has no clock of TimeLayout's fixed width, so updatedAt is the Lambdas' (Table.Record).
	SetProgress = "SET " + AttrProgress + " = " + ProgressValue
	// RemoveApproval forgets an answered approval gate, so that no one answers it twice.
	RemoveApproval = "REMOVE " + AttrApprovalToken + ", " + AttrApprovalStep + ", " + AttrApprovalVerdict + ", " + AttrApprovalRequestedAt
)

// Attribute name placeholders of the reserved words among the lock item's attributes.
const (
	namePlan   = "#plan"
	nameAction = "#action"
)

// update composes an update expression: SET assignments, then REMOVE names (either may be empty).
func update(set, remove []string) string {
	var clauses []string
	if len(set) > 0 {
		clauses = append(clauses, "SET "+strings.Join(set, ", "))
	}
	if len(remove) > 0 {
		clauses = append(clauses, "REMOVE "+strings.Join(remove, ", "))
	}
	return strings.Join(clauses, " ")
}
