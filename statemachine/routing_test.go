package statemachine_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/statemachine"
)

// Where every error of every task must lead, written by hand from the design, not derived from the builder, so
// that the two can disagree. The checker walks the definition as Step Functions does: the first retrier whose
// ErrorEquals matches retries the error (a transient one), then the first matching catcher decides where it goes.

// errorsOf lists the errors a task can raise, by what it calls.
type errorsOf struct {
	name    string
	errors  []string
	retried []string // the transient ones, retried before any catcher sees them
}

var (
	lambdaErrors = errorsOf{
		name: "Lambda",
		// Every named error of package deploy, Step Functions' and the Lambda service's.
		errors: append(slices.Clone(deploy.ErrorNames), "States.Timeout", "States.TaskFailed", "States.HeartbeatTimeout",
			"Sandbox.Timedout", "Lambda.Unknown", "Lambda.ServiceException", "Lambda.AWSLambdaException",
			"Lambda.SdkClientException", "Lambda.TooManyRequestsException", "Lambda.ResourceNotFoundException"),
		// A timeout too, once: every handler is idempotent.
		retried: []string{"RetryableError", "Lambda.ServiceException", "Lambda.AWSLambdaException",
			"Lambda.SdkClientException", "Lambda.TooManyRequestsException", "Sandbox.Timedout", "Lambda.Unknown", "States.Timeout"},
	}
	// approvalErrors: the approval gate's task is a Lambda's, but its timeout is nobody answering: never retried.
	approvalErrors = errorsOf{
		name:   "approval",
		errors: lambdaErrors.errors,
		retried: []string{"RetryableError", "Lambda.ServiceException", "Lambda.AWSLambdaException",
			"Lambda.SdkClientException", "Lambda.TooManyRequestsException"},
	}
	dynamoErrors = errorsOf{
		name: "DynamoDB",
		// DynamoDB.ConditionalCheckFailedException: on the lock's put, the lock is held; on a progress write or
		// the unlock, this run lost its lock.
		errors: []string{"DynamoDB.ConditionalCheckFailedException", "DynamoDB.ThrottlingException",
			"DynamoDB.ProvisionedThroughputExceededException", "DynamoDB.InternalServerErrorException",
			"DynamoDB.RequestLimitExceeded", "DynamoDB.AmazonDynamoDBException", "DynamoDB.ResourceNotFoundException",
			"States.TaskFailed", "States.Timeout"},
		retried: []string{"DynamoDB.ThrottlingException", "DynamoDB.ProvisionedThroughputExceededException",
			"DynamoDB.InternalServerErrorException", "DynamoDB.RequestLimitExceeded", "DynamoDB.AmazonDynamoDBException"},
	}
	snsErrors = errorsOf{
		name:   "SNS",
		errors: []string{"SNS.AmazonSNSException", "SNS.NotFoundException", "SNS.AuthorizationErrorException", "States.TaskFailed", "States.Timeout"},
	}
	// uncaught: what no catcher can catch (States.ALL does not match them); such a run stops where it is, its lock
	// held, and is recovered by a reconcile of it.
	uncaught = []string{"States.Runtime", "States.DataLimitExceeded"}
)

// expectation says where the errors of one task go: to, unless by names another state for the error.
type expectation struct {
	state string
	calls errorsOf
	to    string
	by    map[string]string
}

func to(state string, calls errorsOf, target string) expectation {
	return expectation{state: state, calls: calls, to: target}
}

// except sends the errors named to target instead.
func (e expectation) except(target string, errs ...string) expectation {
	if e.by == nil {
		e.by = map[string]string{}
	}
	for _, err := range errs {
		e.by[err] = target
	}
	return e
}

var routing = []expectation{
	// Before the lock: refused input is invalid; anything else could not start. Nothing is written.
	to("Prepare", lambdaErrors, "NotifyNotStarted").except("InvalidReason", "ValidationError"),
	to("Lock", dynamoErrors, "NotifyNotStarted").except("TakeOverLock", "DynamoDB.ConditionalCheckFailedException"),
	to("TakeOverLock", lambdaErrors, "NotifyNotStarted").except("LockedReason", "LockHeldError", "ReconcileRequiredError"),

	// Under the lock, before any write of a record: unlock and refuse.
	to("Plan", lambdaErrors, "UnlockRefused"),
	to("RepairTargetHealth", lambdaErrors, "UnlockRefused"),
	to("TargetHealth", lambdaErrors, "UnlockRefused"),

	// Deploying, until the end of the watch: roll back (a lost lock too; the rollback's writes are fenced).
	to("Create", lambdaErrors, "Rollback"),
	to("StackStatus", lambdaErrors, "Rollback"),
	to("Publish", lambdaErrors, "Rollback"),
	to("PublishSync", lambdaErrors, "Rollback"),
	to("PreTrafficHealth", lambdaErrors, "Rollback"),
	to("Shift", lambdaErrors, "Rollback"),
	to("ShiftSync", lambdaErrors, "Rollback"),
	to("StepHealth", lambdaErrors, "Rollback"),
	to("Approval", approvalErrors, "Rollback"), // States.Timeout: nobody answered in time
	to("ApprovalDecided", dynamoErrors, "Rollback"),
	to("FinalHealth", lambdaErrors, "Rollback"),
	to("Switch", lambdaErrors, "Rollback"),
	to("SwitchSync", lambdaErrors, "Rollback"),
	to("Watch", lambdaErrors, "Rollback"),

	// After the watch the release stays: failures are warnings and the run goes on.
	to("Watched", dynamoErrors, "Cleanup"),
	to("Cleanup", lambdaErrors, "Done"),
	to("Done", dynamoErrors, "Unlock"),
	to("Unlock", dynamoErrors, "NotifyDone"),
	to("NotifyDone", snsErrors, "Succeeded"),

	// Rolling back: a failure leaves records that may be inconsistent — the dirty path, lock kept.
	to("Rollback", lambdaErrors, "MarkDirty"),
	to("RollbackSync", lambdaErrors, "MarkDirty"),
	to("Discard", lambdaErrors, "UnlockRolledBack"),
	to("UnlockRolledBack", dynamoErrors, "NotifyRolledBack"),
	to("NotifyRolledBack", snsErrors, "RolledBack"),
	to("MarkDirty", dynamoErrors, "NotifyDirty"),
	to("NotifyDirty", snsErrors, "RollbackFailed"),

	// Refused, invalid, locked, not started: the notification never changes the outcome.
	to("UnlockRefused", dynamoErrors, "NotifyRefused"),
	to("NotifyRefused", snsErrors, "Refused"),
	to("NotifyInvalid", snsErrors, "FailInvalid"),
	to("NotifyNotStarted", snsErrors, "FailNotStarted"),
	to("NotifyLocked", snsErrors, "FailLocked"),

	// A manual rollback refuses before its batch when there is nothing to roll back to; after, it is dirty.
	to("ManualRollback", lambdaErrors, "MarkDirty").except("UnlockRefused", "TargetMissingError", "StateInconsistentError"),
	to("ManualRollbackSync", lambdaErrors, "MarkDirty"),
	to("RolledBackToIdle", dynamoErrors, "Unlock"),

	// A reconcile repairs: its failures are dirty; deleting the stopped run's stack is a warning.
	to("ReconcileRestore", lambdaErrors, "MarkDirty"),
	to("ReconcileRestoreSync", lambdaErrors, "MarkDirty"),
	to("ReconcileDiscard", lambdaErrors, "Done"),
	// Without a plan to act on, a reconcile writes nothing: its failures (inconsistent records among them) refuse.
	to("ReconcileSettle", lambdaErrors, "UnlockRefused"),

	// A repair refuses before its batch when the named color's stack is gone or a record is in the way; after, a
	// failure is dirty.
	to("Repair", lambdaErrors, "MarkDirty").except("UnlockRefused", "TargetMissingError", "RecordConflictError"),
	to("RepairSync", lambdaErrors, "MarkDirty"),
}

// The sweeper: a failed sweep fails, the error where SweepFailed reads it; the next sweep tries again.
var sweepRouting = []expectation{to("Sweep", lambdaErrors, "SweepFailed")}

// errorAt is where the states a failure leads to read the caught error.
var errorAt = map[string]string{
	"Rollback": `"$.error"`, "UnlockRefused": `"$.error"`, "MarkDirty": `"$.rollbackError"`,
	"NotifyInvalid": `"$.error"`, "NotifyNotStarted": `"$.error"`, "NotifyLocked": `"$.error"`, "SweepFailed": `"$.error"`,
}

// outcome is what becomes of an error raised by a task: retried or not, then caught by a catcher going to a
// state, or not caught (to "").
type outcome struct {
	retried    bool
	to         string
	resultPath string
}

// matches reports whether an ErrorEquals name matches an error, as Step Functions matches them.
func matches(pattern, err string) bool {
	switch {
	case slices.Contains(uncaught, err):
		return false
	case pattern == "States.ALL":
		return true
	case pattern == "States.TaskFailed":
		return err != "States.Timeout"
	}
	return pattern == err
}

// route walks a task's Retry, then its Catch, for one error.
func route(s state, err string) outcome {
	var o outcome
	for _, r := range s.Retry {
		if slices.ContainsFunc(r.ErrorEquals, func(p string) bool { return matches(p, err) }) {
			o.retried = r.MaxAttempts == nil || *r.MaxAttempts > 0
			break
		}
	}
	for _, c := range s.Catch {
		if slices.ContainsFunc(c.ErrorEquals, func(p string) bool { return matches(p, err) }) {
			o.to, o.resultPath = c.Next, string(c.ResultPath)
			return o
		}
	}
	return o
}

// resources maps what a task calls to the resource prefix of its state.
var resources = map[string]string{"Lambda": "arn:aws:states:::lambda:", "DynamoDB": "arn:aws:states:::dynamodb:", "SNS": "arn:aws:states:::sns:"}

// checkRouting returns every way the definition disagrees with the expectations.
func checkRouting(m machine, table []expectation) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for name, s := range m.States {
		for _, r := range append(slices.Clone(s.Retry), s.Catch...) {
			for _, err := range r.ErrorEquals {
				if slices.Contains(uncaught, err) {
					bad("%s names %s, which Step Functions never retries or catches", name, err)
				}
			}
		}
	}
	rows := map[string]bool{}
	for _, e := range table {
		rows[e.state] = true
		s, ok := m.States[e.state]
		if !ok || s.Type != "Task" {
			bad("%s: no such task in the definition", e.state)
			continue
		}
		if !strings.HasPrefix(s.Resource, resources[e.calls.name]) {
			bad("%s: calls %s, the table says %s", e.state, s.Resource, e.calls.name)
		}
		for _, err := range e.calls.errors {
			want := outcome{retried: slices.Contains(e.calls.retried, err), to: e.to}
			if t, ok := e.by[err]; ok {
				want.to = t
			}
			got := route(s, err)
			if got.to != want.to || got.retried != want.retried {
				bad("%s raising %s: goes to %q (retried %t), want %q (retried %t)", e.state, err, got.to, got.retried, want.to, want.retried)
			}
			if at, ok := errorAt[want.to]; ok && got.to == want.to && got.resultPath != at {
				bad("%s raising %s: the error is put at %s, but %s reads it at %s", e.state, err, got.resultPath, want.to, at)
			}
		}
		for _, err := range uncaught {
			if got := route(s, err); got.to != "" {
				bad("%s raising %s: caught, going to %s; States.ALL cannot catch it", e.state, err, got.to)
			}
		}
	}
	var names []string
	for name := range m.States {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if m.States[name].Type == "Task" && !rows[name] {
			bad("%s: a task the routing table does not list", name)
		}
	}
	return problems
}

func TestEveryErrorOfEveryTaskGoesWhereTheDesignSays(t *testing.T) {
	for _, p := range checkRouting(load(t), routing) {
		t.Error(p)
	}
	for _, p := range checkRouting(loadDefinition(t, statemachine.SweepDefinition), sweepRouting) {
		t.Error("sweeper: " + p)
	}
}

// The routing test can fail: pointing any catcher elsewhere, or dropping any retrier, makes it fail.
func TestRoutingTestCatchesEveryMutation(t *testing.T) {
	m := load(t)
	if p := checkRouting(m, routing); len(p) > 0 {
		t.Fatalf("the definition fails the routing test already: %v", p)
	}
	var targets []string // every state a catcher goes to: the plausible wrong targets
	for _, s := range m.States {
		for _, c := range s.Catch {
			if !slices.Contains(targets, c.Next) {
				targets = append(targets, c.Next)
			}
		}
	}
	sort.Strings(targets)
	mutations := 0
	for name, s := range m.States {
		for i, c := range s.Catch {
			for _, other := range targets {
				if other == c.Next {
					continue
				}
				mutated := slices.Clone(s.Catch)
				mutated[i].Next = other
				m.States[name] = withCatch(s, mutated)
				if len(checkRouting(m, routing)) == 0 {
					t.Errorf("%s's catcher %v sent to %s instead of %s: the routing test still passes", name, c.ErrorEquals, other, c.Next)
				}
				mutations++
			}
		}
		for i := range s.Retry {
			m.States[name] = withRetry(s, slices.Delete(slices.Clone(s.Retry), i, i+1))
			if len(checkRouting(m, routing)) == 0 {
				t.Errorf("%s without its retrier %v: the routing test still passes", name, s.Retry[i].ErrorEquals)
			}
			mutations++
		}
		m.States[name] = s
	}
	if mutations < 500 {
		t.Errorf("only %d mutations tried", mutations)
	}
}

func withCatch(s state, c []rule) state { s.Catch = c; return s }
func withRetry(s state, r []rule) state { s.Retry = r; return s }
