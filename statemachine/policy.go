package statemachine

import (
	"reflect"
	"slices"
)

// route sends the errors it names to a state.
type route struct {
	errors []string
	// next is the state the errors go to; "" is the task's own Next (the run carries on).
	next string
	// resultPath is where the error is put: a path, discard, or nil for where the task's kind records a failure
	// it carries on after (kind.carried).
	resultPath any
}

// policy is where a phase's failures go: its routes, tried in order, the last one catching States.ALL.
type policy struct {
	routes []route
}

// goTo is the policy "every failure goes to next, the error at resultPath".
func goTo(next, resultPath string) policy {
	return policy{routes: []route{{errors: []string{statesAll}, next: next, resultPath: resultPath}}}
}

// on returns the policy's last route (its catch-all) narrowed to the errors named: for a task that must route
// those errors as another phase routes all of its own.
func (p policy) on(errors ...string) route {
	r := p.routes[len(p.routes)-1]
	r.errors = slices.Clone(errors)
	return r
}

// except returns the policy with r tried first: the errors r names go its way instead.
func (p policy) except(r route) policy {
	return policy{routes: append([]route{r}, p.routes...)}
}

// errorName is the name the state machine sees for one of package deploy's error types (the Lambda runtime
// reports the concrete type's name): errorName[*deploy.ValidationError]() is "ValidationError".
func errorName[T error]() string {
	t := reflect.TypeFor[T]()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

const statesAll = "States.ALL"

var (
	// carryOn: the outcome is decided (the release is live, the rollback done, the refusal made): a failure is
	// recorded where the task's kind records one (a Lambda's clean-up in cleanupError, a lock write in error, the
	// unlock in unlockError) and the run goes on to the task's Next.
	carryOn = policy{routes: []route{{errors: []string{statesAll}}}}
	// ignore: as carryOn, recording nothing. Notifications always ignore their failures.
	ignore = policy{routes: []route{{errors: []string{statesAll}, resultPath: discard}}}
)

// The retry policies, one per kind of task.
var (
	// lambdaRetry: RetryableError (throttling that outlasted the SDK's adaptive retryer, a 5xx, a change Route 53
	// has not finished, an operation out of its time budget), then the Lambda service's own transient errors.
	// Nothing else is worth a second call. RetryableError is retried for minutes (up to 12 tries, the waits
	// doubling from 2 s to at most 60 s, with full jitter: about 8 minutes at most, 4 on average), so that a release
	// or a restore under Route 53's rate limits waits for its turn rather than rolling back or ending dirty.
	lambdaRetry = []retrier{
		{ErrorEquals: []string{"RetryableError"}, IntervalSeconds: 2, MaxAttempts: 12, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: "FULL"},
		{ErrorEquals: lambdaTransient, IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: "FULL"},
	}
	// timeoutRetry: a handler that timed out (the function's own timeout, Sandbox.Timedout; a runtime that died,
	// Lambda.Unknown; the task's, States.Timeout) is tried once more with backoff and jitter, since every handler is
	// idempotent; a second timeout fails the task as a timeout. Not for the approval gate, whose timeout is the
	// operator's silence.
	timeoutRetry    = retrier{ErrorEquals: lambdaTimeouts, IntervalSeconds: 2, MaxAttempts: 1, BackoffRate: 2, JitterStrategy: "FULL"}
	lambdaTimeouts  = []string{"Sandbox.Timedout", "Lambda.Unknown", "States.Timeout"}
	lambdaTransient = []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"}

	// dynamoRetry: DynamoDB's transient errors, so one 500 does not roll back a healthy release. Never a failed
	// condition: the lock is not this run's, and asking again changes nothing.
	dynamoRetry = []retrier{
		{ErrorEquals: []string{
			"DynamoDB.ProvisionedThroughputExceededException", "DynamoDB.InternalServerErrorException",
			"DynamoDB.RequestLimitExceeded", "DynamoDB.ThrottlingException", "DynamoDB.AmazonDynamoDBException",
		}, IntervalSeconds: 1, MaxAttempts: 5, BackoffRate: 2, JitterStrategy: "FULL"},
	}
)
