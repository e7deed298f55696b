package statemachine

import (
	"fmt"
	"maps"
	"strings"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// The state machine's own writes of the lock item (its schema belongs to package applock): take the lock, record
// progress, forget an answered approval gate, release the lock. Every write but the first is conditional on this
// execution still holding the lock.

// The expression attribute values every conditional write binds.
const (
	progressValue = ":p"
	updatedValue  = ":t"
)

func lockTable() string { return placeholder(LockTable) }

// lockKey is the lock item's key: the app's name.
func lockKey() map[string]any {
	return map[string]any{applock.AttrApp: map[string]any{"S.$": "$.app.name"}}
}

// holder binds applock.HolderValue to this execution.
func holder() map[string]any {
	return map[string]any{applock.HolderValue: map[string]any{"S.$": "$$.Execution.Id"}}
}

// takeLock adds the conditional put that takes a free lock, naming this execution (and, through first, where a
// lock found held goes).
func (p *phase) takeLock(name, comment, next string, first ...route) *aslState {
	return p.task(name, &aslState{
		Comment:  comment,
		Resource: "arn:aws:states:::dynamodb:putItem",
		Parameters: map[string]any{
			"TableName": lockTable(),
			"Item": map[string]any{
				applock.AttrApp:       map[string]any{"S.$": "$.app.name"},
				applock.AttrExecution: map[string]any{"S.$": "$$.Execution.Id"},
				applock.AttrProgress:  map[string]any{"S": string(deploy.ProgressLocked)},
				applock.AttrAction:    map[string]any{"S.$": "$.input.action"},
				applock.AttrStartedAt: map[string]any{"S.$": "$$.State.EnteredTime"},
			},
			"ConditionExpression": applock.ConditionFree,
		},
		ResultPath: discard,
	}, kindLock, next, first...)
}

// set is one more attribute a progress write sets: attr = value, named through #name when attr is reserved.
type set struct {
	attr, value string
	item        map[string]any // the value's DynamoDB attribute value
	reserved    bool
}

// planSet stores the plan (encoded by the plan op) in the lock item.
func planSet() set {
	return set{attr: applock.AttrPlan, value: ":plan", item: map[string]any{"S.$": "$.planJson"}, reserved: true}
}

// stepSet stores the weight step's percent.
func stepSet() set {
	return set{attr: applock.AttrStep, value: ":s", item: map[string]any{"N.$": "States.Format('{}', $.step.percent)"}}
}

// record adds a progress write: progress and updatedAt (and the sets) in the lock item, while this execution holds
// the lock. A comment "" says just that.
func (p *phase) record(name, comment string, progress deploy.Progress, next string, sets ...set) *aslState {
	if comment == "" {
		comment = fmt.Sprintf("Record progress '%s' in the lock item, while this execution holds the lock.", progress)
	}
	assign := []string{applock.AttrProgress + " = " + progressValue, applock.AttrUpdatedAt + " = " + updatedValue}
	values := map[string]any{
		progressValue: map[string]any{"S": string(progress)},
		updatedValue:  map[string]any{"S.$": "$$.State.EnteredTime"},
	}
	maps.Copy(values, holder())
	names := map[string]any{}
	for _, s := range sets {
		attr := s.attr
		if s.reserved {
			attr = "#" + s.attr
			names[attr] = s.attr
		}
		assign = append(assign, attr+" = "+s.value)
		values[s.value] = s.item
	}
	params := map[string]any{
		"TableName":                 lockTable(),
		"Key":                       lockKey(),
		"UpdateExpression":          "SET " + strings.Join(assign, ", "),
		"ConditionExpression":       applock.ConditionHeld,
		"ExpressionAttributeValues": values,
	}
	if len(names) > 0 {
		params["ExpressionAttributeNames"] = names
	}
	return p.task(name, &aslState{
		Comment:    comment,
		Resource:   "arn:aws:states:::dynamodb:updateItem",
		Parameters: params,
		ResultPath: discard,
	}, kindLock, next)
}

// forgetApproval adds the write that removes an answered approval gate (its token) from the lock item.
func (p *phase) forgetApproval(name, comment, next string) *aslState {
	return p.task(name, &aslState{
		Comment:  comment,
		Resource: "arn:aws:states:::dynamodb:updateItem",
		Parameters: map[string]any{
			"TableName": lockTable(),
			"Key":       lockKey(),
			"UpdateExpression": "REMOVE " + strings.Join([]string{
				applock.AttrApprovalToken, applock.AttrApprovalStep, applock.AttrApprovalVerdict, applock.AttrApprovalRequestedAt,
			}, ", "),
			"ConditionExpression":       applock.ConditionHeld,
			"ExpressionAttributeValues": holder(),
		},
		ResultPath: discard,
	}, kindLock, next)
}

// unlock adds the release of the lock, while this execution holds it.
func (p *phase) unlock(name, next string) *aslState {
	return p.task(name, &aslState{
		Comment:  "Release the app's lock (only while this execution holds it).",
		Resource: "arn:aws:states:::dynamodb:deleteItem",
		Parameters: map[string]any{
			"TableName":                 lockTable(),
			"Key":                       lockKey(),
			"ConditionExpression":       applock.ConditionHeld,
			"ExpressionAttributeValues": holder(),
		},
		ResultPath: discard,
	}, kindUnlock, next)
}
