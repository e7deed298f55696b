package statemachine

import (
	"fmt"
	"maps"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// The state machine's own writes of the lock item (its schema belongs to package applock): take the lock, record
// progress, forget an answered approval gate, release the lock. Every write but the first is conditional on this
// execution still holding the lock.

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
			},
			"ConditionExpression": applock.ConditionFree,
		},
		ResultPath: discard,
	}, kindLock, next, first...)
}

// record adds a progress write of the lock item, while this execution holds the lock (applock.SetProgress). Most
// progress is recorded by the Lambda that made the change, in the same invocation (applock.Table.Record); the state
// machine records only what no Lambda's change marks: the end of the watch, the end of a run, a failed rollback.
// A comment "" says just that.
func (p *phase) record(name, comment string, progress deploy.Progress, next string) *aslState {
	if comment == "" {
		comment = fmt.Sprintf("Record progress '%s' in the lock item, while this execution holds the lock.", progress)
	}
	values := map[string]any{applock.ProgressValue: map[string]any{"S": string(progress)}}
	maps.Copy(values, holder())
	return p.task(name, &aslState{
		Comment:  comment,
		Resource: "arn:aws:states:::dynamodb:updateItem",
		Parameters: map[string]any{
			"TableName":                 lockTable(),
			"Key":                       lockKey(),
			"UpdateExpression":          applock.SetProgress,
			"ConditionExpression":       applock.ConditionHeld,
			"ExpressionAttributeValues": values,
		},
		ResultPath: discard,
	}, kindLock, next)
}

// forgetApproval adds the write that removes an answered approval gate (its token) from the lock item.
func (p *phase) forgetApproval(name, comment, next string) *aslState {
	return p.task(name, &aslState{
		Comment:  comment,
		Resource: "arn:aws:states:::dynamodb:updateItem",
		Parameters: map[string]any{
			"TableName":                 lockTable(),
			"Key":                       lockKey(),
			"UpdateExpression":          applock.RemoveApproval,
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
