package deploy

import (
	"errors"
	"fmt"
	"strings"
)

// The error types below are an API with the state machine: the Lambda runtime reports a returned error's concrete
// type name ("ValidationError", ...) as the error name, and the ASL's Retry and Catch list those names. Handlers
// return them at top level (see Named). Renaming one breaks the state machine's routing and its tests. Every message
// is at most MaxErrorMessage bytes (a HealthCheckError's MaxHealthCheckMessage): a Catch puts it, as the cause, in
// the state document.

// ValidationError says the input or the app's configuration is unusable. Terminal; nothing was written. Its message
// holds as many of the problems as MaxErrorMessage allows.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return bounded("invalid deployment input: " + strings.Join(e.Problems, "; "))
}

// StackFailedError says the new stack could not be created: it failed, rolled back or timed out.
type StackFailedError struct {
	Stack  string
	Status string
	Reason string
}

func (e *StackFailedError) Error() string {
	return bounded(fmt.Sprintf("stack %s is %s: %s", e.Stack, e.Status, e.Reason))
}

// HealthCheckError says a stack failed its health check; Summary names the failing evidence.
type HealthCheckError struct {
	Stack   string
	Summary string
}

func (e *HealthCheckError) Error() string {
	return cut(fmt.Sprintf("stack %s failed its health check: %s", e.Stack, e.Summary), MaxHealthCheckMessage)
}

// SplitInconclusiveError says a weight step's effective split could not be verified (health.traffic): after
// health.traffic.maxExtensions extensions of its bake, the new stack still had fewer requests than minRequests or a
// share below the intended weight × (1 − tolerance). The run rolls back; Summary carries the split's evidence.
type SplitInconclusiveError struct {
	Stack   string
	Percent int
	Summary string
}

func (e *SplitInconclusiveError) Error() string {
	return cut(fmt.Sprintf("stack %s: the effective split of the %d%% step is inconclusive: %s", e.Stack, e.Percent, e.Summary), MaxHealthCheckMessage)
}

// StateInconsistentError says the app's records are not in a state the action can start from.
type StateInconsistentError struct {
	App      string
	Problems []string
}

func (e *StateInconsistentError) Error() string {
	return bounded(fmt.Sprintf("records of app %s are inconsistent: %s", e.App, strings.Join(e.Problems, "; ")))
}

// RecordConflictError says a record the deployer must own already exists and was not made by it (a simple record at
// the host, say). Nothing was written.
type RecordConflictError struct {
	Name   string
	Type   string
	Reason string
}

func (e *RecordConflictError) Error() string {
	return bounded(fmt.Sprintf("record %s %s: %s", e.Name, e.Type, e.Reason))
}

// TargetMissingError says a rollback has nothing to roll back to: the idle stack does not exist or has no endpoint.
// Nothing was written.
type TargetMissingError struct {
	App     string
	Color   string
	StackID string
	Reason  string
}

func (e *TargetMissingError) Error() string {
	if e.StackID == "" {
		return bounded(fmt.Sprintf("app %s has no %s stack to roll back to: %s", e.App, e.Color, e.Reason))
	}
	return bounded(fmt.Sprintf("app %s cannot roll back to %s stack %s: %s", e.App, e.Color, e.StackID, e.Reason))
}

// StackInUseError says a stack cannot be deleted because records still route to it or name it.
type StackInUseError struct {
	Stack  string
	Reason string
}

func (e *StackInUseError) Error() string {
	return bounded(fmt.Sprintf("stack %s is in use: %s", e.Stack, e.Reason))
}

// LockHeldError says another execution that is still running holds the app's lock. Nothing was written.
type LockHeldError struct {
	App    string
	Holder string
}

func (e *LockHeldError) Error() string {
	return fmt.Sprintf("app %s is locked by running execution %s", e.App, e.Holder)
}

// ReconcileRequiredError says the app's lock is held by an execution that stopped part-way through changing
// records: only a reconcile may take it over. Nothing was written.
type ReconcileRequiredError struct {
	App      string
	Holder   string
	Status   string
	Progress Progress
}

func (e *ReconcileRequiredError) Error() string {
	return fmt.Sprintf("app %s is locked by execution %s, which is %s after %q: start a reconcile of it first",
		e.App, e.Holder, e.Status, e.Progress)
}

// LockLostError says a run no longer holds its app's lock (a reconcile took it over after the run was stopped):
// the run must not write. Nothing was written.
type LockLostError struct {
	App       string
	Execution string
	Holder    string
}

func (e *LockLostError) Error() string {
	holder := e.Holder
	if holder == "" {
		holder = "nobody"
	}
	return fmt.Sprintf("execution %s no longer holds the lock of app %s (held by %s): not writing", e.Execution, e.App, holder)
}

// RetryableError wraps a failure that may pass: throttling that outlasted the SDK's retryer, a 5xx, a change
// Route 53 has not finished. The state machine retries it with backoff.
type RetryableError struct {
	Op  string
	Err error
}

func (e *RetryableError) Error() string { return bounded(e.Op + ": " + e.Err.Error()) }

// Unwrap returns the cause.
func (e *RetryableError) Unwrap() error { return e.Err }

// InternalError is any other failure, named so the state machine sees one stable name for it.
type InternalError struct {
	Err error
}

func (e *InternalError) Error() string { return bounded(e.Err.Error()) }

// Unwrap returns the cause.
func (e *InternalError) Unwrap() error { return e.Err }

// ErrorNames lists the name of every error type above, as the state machine sees it.
var ErrorNames = []string{
	"ValidationError", "StackFailedError", "HealthCheckError", "SplitInconclusiveError", "StateInconsistentError", "RecordConflictError",
	"TargetMissingError", "StackInUseError", "LockHeldError", "ReconcileRequiredError", "LockLostError",
	"RetryableError", "InternalError",
}

// Transient reports whether err is worth retrying: the caller supplies the service-specific test (throttling,
// 5xx) so this package stays free of the SDK.
type Transient func(error) bool

// Named returns err as one of the named types above, so that the runtime reports that type's name: a named error
// anywhere in the chain is returned as it is (its message keeps the context the chain added when it is a
// RetryableError or InternalError); a transient one becomes RetryableError; anything else InternalError.
func Named(op string, err error, transient Transient) error {
	if err == nil {
		return nil
	}
	var (
		v *ValidationError
		s *StackFailedError
		h *HealthCheckError
		x *SplitInconclusiveError
		i *StateInconsistentError
		c *RecordConflictError
		t *TargetMissingError
		u *StackInUseError
		l *LockHeldError
		q *ReconcileRequiredError
		o *LockLostError
		r *RetryableError
		n *InternalError
	)
	switch {
	case errors.As(err, &v):
		return v
	case errors.As(err, &s):
		return s
	case errors.As(err, &h):
		return h
	case errors.As(err, &x):
		return x
	case errors.As(err, &i):
		return i
	case errors.As(err, &c):
		return c
	case errors.As(err, &t):
		return t
	case errors.As(err, &u):
		return u
	case errors.As(err, &l):
		return l
	case errors.As(err, &q):
		return q
	case errors.As(err, &o):
		return o
	case errors.As(err, &r):
		if error(r) == err {
			return r
		}
		return &RetryableError{Op: op, Err: err}
	case errors.As(err, &n):
		return &InternalError{Err: err}
	case transient != nil && transient(err):
		return &RetryableError{Op: op, Err: err}
	}
	return &InternalError{Err: fmt.Errorf("%s: %w", op, err)}
}
