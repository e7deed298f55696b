package deploy

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Request is what the state machine sends every Lambda: the operation, the execution's ARN (for logs, the stack id
// and the lock) and the state document. Approval tasks add their task token.
type Request struct {
	Op        string `json:"op"`
	Execution string `json:"execution"`
	Token     string `json:"token,omitempty"`
	State     State  `json:"state"`
}

// State is the document the state machine passes from task to task. Every Lambda returns it, updated; the state
// machine's own tasks (lock, approval, catch) write the fields marked "set by the state machine".
type State struct {
	// Input is the execution input as Prepare read it, without its config overrides and its trigger event (Prepare
	// has made Config, Version, Artifact and Source of them: see Carry); the execution keeps its input whole.
	Input Input `json:"input"`
	// Raw is the execution input as text (set by the state machine's first state), so that prepare can decode it
	// strictly: a misspelt field is refused rather than dropped.
	Raw string `json:"raw,omitempty"`
	// App is the app's names, set by prepare.
	App *records.App `json:"app,omitempty"`
	// Config is the resolved configuration, set by prepare (State.Carry), without its template body.
	Config *Config `json:"config,omitempty"`
	// TemplateBody stands for the template body when the configuration has one (see BodyRef). Absent in states of
	// earlier versions, whose Config carries the body.
	TemplateBody *BodyRef `json:"templateBody,omitempty"`
	// Plan is set by plan (or, for a reconcile, recovered from the lock item).
	Plan *Plan `json:"plan,omitempty"`
	// PlanJSON is Plan encoded, for the state machine to store in the lock item.
	PlanJSON string `json:"planJson,omitempty"`
	// Stack is the new stack's creation, set by create and status.
	Stack *StackWait `json:"stack,omitempty"`
	// Change is a record change that was accepted but not yet INSYNC when its Lambda had to return; the state
	// machine reads change.pending after every record change, so it is always present.
	Change PendingChange `json:"change"`
	// Step is the weight step applied last.
	Step *Step `json:"step,omitempty"`
	// Split is the effective-split verification of the step applied last (health.traffic), set by its health check.
	Split *Split `json:"split,omitempty"`
	// Switched is true once this run's switch batch made the new stack live.
	Switched bool `json:"switched,omitempty"`
	// Verdict is the last health check's verdict, with its evidence.
	Verdict *Verdict `json:"verdict,omitempty"`
	// Checks counts the pre-traffic health checks and says whether to try again.
	Checks *Checks `json:"checks,omitempty"`
	// Watch is the post-switch watch.
	Watch *Watch `json:"watch,omitempty"`
	// Reconcile is what a reconcile decided from the stopped run's recorded progress.
	Reconcile *Reconcile `json:"reconcile,omitempty"`
	// Records are the app's records as the last read or accepted batch of this run left them (encoded by package
	// zone, which owns the encoding): the next operation of the deployment's forward path starts from them instead
	// of reading again. An accepted compare-and-swap batch leaves exactly what it names; when the records changed
	// since, Route 53 refuses the next batch.
	Records json.RawMessage `json:"records,omitempty"`
	// Fence is the app's fence as this run expects to find it at its next batch (see records.Fence): set by its plan
	// (as read), then by each accepted batch (its own). Absent in states of earlier versions.
	Fence *FenceState `json:"fence,omitempty"`
	// Repair is what a repair found and changed.
	Repair *Repair `json:"repair,omitempty"`
	// Sweep is a sweep's state machine and what it found: the sweeper's state document (set by the sweeper, which
	// takes nothing from its input).
	Sweep *Sweep `json:"sweep,omitempty"`
	// Warnings are things an operator should know; the run still succeeded. Added by Warn.
	Warnings []string `json:"warnings,omitempty"`
	// Result says how the run ended: "deployed", "rolled-back", "reconciled", ...
	Result string `json:"result,omitempty"`
	// DrainSeconds is how long a rollback waits before deleting the new stack: the app's drainSeconds when the
	// stack had traffic or was live, 0 when it never had any.
	DrainSeconds int `json:"drainSeconds"`
	// Notice is a one-line summary for the deployment notification (SNS).
	Notice string `json:"notice,omitempty"`
	// Title names the run for the state machine's own notifications (a refusal, a held lock): "<app> <version>
	// (<action>)", set by prepare (see Title).
	Title string `json:"title,omitempty"`
	// Lock says how this run got the app's lock when another run held it, and what that run had recorded.
	Lock *LockInfo `json:"lock,omitempty"`
	// Approval is the operator's decision at an approval gate (set by the state machine from SendTaskSuccess).
	Approval *Approval `json:"approval,omitempty"`
	// Error is the failure a Catch caught (set by the state machine).
	Error *TaskError `json:"error,omitempty"`
	// Failure is what the run failed with, as its final Fail state reports it: the caught error, renamed when
	// Step Functions forbids its name there (names starting "States." lose that prefix; the cause keeps it).
	Failure *TaskError `json:"failure,omitempty"`
	// CleanupError is a failure of the clean-up after the watch; the release stays live (set by the state machine).
	CleanupError *TaskError `json:"cleanupError,omitempty"`
	// UnlockError is a failure to release the lock (set by the state machine): the next run takes it over when the
	// recorded progress allows, or asks for a reconcile.
	UnlockError *TaskError `json:"unlockError,omitempty"`
}

// Warn adds a warning, cut to MaxWarning bytes.
func (s *State) Warn(format string, args ...any) {
	s.Warnings = append(s.Warnings, cut(fmt.Sprintf(format, args...), MaxWarning))
}

// The results a run ends with (State.Result).
const (
	ResultDeployed   = "deployed"
	ResultRolledBack = "rolled-back"
	ResultReconciled = "reconciled"
	ResultRepaired   = "repaired"
	ResultSwept      = "swept"
)

// Finish records how the run ended: result, or ResultReconciled when the run is a reconcile (whose clean-up,
// restore and delete are the same operations a deployment's are).
func (s *State) Finish(result string) {
	if s.Input.Action == ActionReconcile {
		result = ResultReconciled
	}
	s.Result = result
}

// Reason is the caught failure in one line, for notifications.
func (s *State) Reason() string {
	if s.Error == nil {
		return "no reason recorded"
	}
	return s.Error.Error + ": " + CauseMessage(s.Error.Cause)
}

// FailureOf returns the caught error as a Fail state may report it.
func FailureOf(e *TaskError) *TaskError {
	if e == nil {
		return &TaskError{Error: "Unknown", Cause: "no error was recorded"}
	}
	f := &TaskError{Error: e.Error, Cause: CauseMessage(e.Cause)}
	if rest, ok := strings.CutPrefix(e.Error, "States."); ok {
		f.Error, f.Cause = rest, e.Error+": "+f.Cause
	}
	return f
}

// CauseMessage returns the message of a failure's cause on one line, at most 300 characters. A Lambda function's
// error reaches the state machine as JSON ({"errorType": ..., "errorMessage": ...}); its message is taken out.
func CauseMessage(cause string) string {
	var lambdaErr struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(cause), &lambdaErr) == nil && lambdaErr.ErrorMessage != "" {
		cause = lambdaErr.ErrorMessage
	}
	if i := strings.IndexByte(cause, '\n'); i >= 0 {
		cause = cause[:i]
	}
	if len(cause) > 300 {
		cut := 300
		for cut > 0 && !utf8.RuneStart(cause[cut]) {
			cut--
		}
		cause = cause[:cut] + "…"
	}
	return cause
}

// Plan is what a run decided under the lock, before any write; it is stored in the lock item so that a reconcile
// can undo or finish the run.
type Plan struct {
	Action Action `json:"action"`
	// Live is the live stack before this run; nil on an app's first release.
	Live *Slot `json:"live,omitempty"`
	// New is the stack a deployment creates, in the idle color.
	New *Slot `json:"new,omitempty"`
	// Retire is the stack that was idle before this deployment; the clean-up deletes it after the watch.
	Retire *Slot `json:"retire,omitempty"`
	// Target is the idle stack a manual rollback makes live again.
	Target *Slot `json:"target,omitempty"`
	// Kept lists stacks that earlier failed runs kept; the clean-up deletes them.
	Kept []string `json:"kept,omitempty"`
	// Before holds the app's slot, active and weighted records as they were; a rollback restores exactly these.
	Before []records.Record `json:"before"`
	// Adopt is a simple record at the host that the switch replaces with the weighted record (when allowed).
	Adopt *records.Record `json:"adopt,omitempty"`
}

// Candidate is the stack this run is making live: the new stack, or a rollback's target.
func (p *Plan) Candidate() *Slot {
	if p.Target != nil {
		return p.Target
	}
	return p.New
}

// Encode returns the plan as JSON, for the lock item.
func (p *Plan) Encode() string {
	b, err := json.Marshal(p)
	if err != nil {
		panic("deploy: plan does not encode: " + err.Error()) // a Plan holds only strings, ints and slices
	}
	return string(b)
}

// DecodePlan decodes a plan stored by Encode. Unknown fields are ignored: a lock item may hold the plan of a run
// started by another version of the deployer, and a reconcile must still read it.
func DecodePlan(s string) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Slot is a stack in a color.
type Slot struct {
	Color   records.Color `json:"color"`
	StackID string        `json:"stackId"`
	// Stack is the CloudFormation stack name, <app>-<stackId>.
	Stack string `json:"stack"`
	// Version is the release the stack serves (its version tag), when known.
	Version string `json:"version,omitempty"`
}

// Progress is how far a run got, recorded in the lock item after each step.
type Progress string

// The progress values, in the order a deployment records them.
const (
	ProgressLocked     Progress = "locked"
	ProgressPlanned    Progress = "planned"
	ProgressCreated    Progress = "created"
	ProgressPublished  Progress = "published"
	ProgressShifting   Progress = "shifting"
	ProgressSwitched   Progress = "switched"
	ProgressWatched    Progress = "watched"
	ProgressCleaning   Progress = "cleaning"
	ProgressDone       Progress = "done"
	ProgressRolledBack Progress = "rolled-back"
	// ProgressDirty: the run's rollback failed; the records may be inconsistent and only a reconcile may go on.
	ProgressDirty Progress = "dirty"
)

// Progresses lists every progress value.
var Progresses = []Progress{
	ProgressLocked, ProgressPlanned, ProgressCreated, ProgressPublished, ProgressShifting, ProgressSwitched,
	ProgressWatched, ProgressCleaning, ProgressDone, ProgressRolledBack, ProgressDirty,
}

// Free reports whether the lock of a run that stopped at this progress can be taken over by any action: the run
// wrote no record, or it finished its writes. "created" is not free: progress is recorded after a step, so a run
// stopped while publishing its stack still says "created" and may have written its endpoint and slot records.
func (p Progress) Free() bool {
	switch p {
	case ProgressLocked, ProgressPlanned, ProgressDone, ProgressRolledBack:
		return true
	}
	return false
}

// StackWait tracks the creation of the new stack.
type StackWait struct {
	Name string `json:"name"`
	// ID is the stack's ARN.
	ID string `json:"id,omitempty"`
	// Status is CloudFormation's status, as last seen.
	Status string `json:"status,omitempty"`
	// Done is true once the stack is complete.
	Done bool `json:"done"`
	// WaitSeconds is the state machine's next wait before checking again (it grows).
	WaitSeconds int `json:"waitSeconds"`
	// Deadline (RFC 3339) is when the wait gives up.
	Deadline string `json:"deadline,omitempty"`
	// Endpoint is the stack's endpoint, once complete.
	Endpoint *Endpoint `json:"endpoint,omitempty"`
}

// Endpoint is where a stack serves.
type Endpoint struct {
	// DNSName is the load balancer's DNS name.
	DNSName string `json:"dnsName"`
	// HostedZoneID is the load balancer's canonical hosted zone (alias records).
	HostedZoneID string `json:"hostedZoneId,omitempty"`
	// HealthURL is the stack's health URL output, when it has one.
	HealthURL string `json:"healthUrl,omitempty"`
	// TargetGroups are the load balancer's target group ARNs.
	TargetGroups []string `json:"targetGroups,omitempty"`
	// LoadBalancerARN is the ELBv2 load balancer's ARN; empty when the endpoint is not a load balancer's (and in
	// states of earlier versions).
	LoadBalancerARN string `json:"loadBalancerArn,omitempty"`
	// Internal is true for an internal load balancer, which Route 53's health checkers cannot reach.
	Internal bool `json:"internal,omitempty"`
}

// PendingChange is a record change Route 53 accepted but had not applied when the Lambda's deadline came.
type PendingChange struct {
	ID string `json:"id"`
	// Pending is true until a check finds the change INSYNC and the records read back as expected.
	Pending bool `json:"pending"`
	// WaitSeconds is the state machine's wait before checking again.
	WaitSeconds int `json:"waitSeconds"`
}

// Step is the weight step applied last.
type Step struct {
	// Index into the strategy's steps; -1 before the first.
	Index int `json:"index"`
	// Percent is the new stack's share of traffic.
	Percent int `json:"percent"`
	// More is true while steps remain before the switch.
	More bool `json:"more"`
	// Approval is true when an operator must approve this step before the next.
	Approval bool `json:"approval"`
	// SyncedAt (RFC 3339) is when the step's batch was seen INSYNC: from then on Route 53 answers with the step's
	// weights. Set by the shift (or its sync); the split verification's window starts endpoint.ttl later.
	SyncedAt string `json:"syncedAt,omitempty"`
	// Extend is true when the step's split verification was inconclusive and the bake is extended: the state machine
	// waits split.waitSeconds and checks the step again. Always present (the state machine's choice reads it).
	Extend bool `json:"extend"`
}

// Split is a weight step's effective-split verification (health.traffic) across its checks.
type Split struct {
	// Step is the index of the step verified (Step.Index).
	Step int `json:"step"`
	// Extensions counts the bake's extensions so far; Verified is true once a check judged the split (passed, or
	// passed inconclusive with onInconclusive "pass"), so a later check of the step (after an approval) reads no
	// metrics again.
	Extensions int  `json:"extensions"`
	Verified   bool `json:"verified,omitempty"`
	// Aligned is true once a check found no whole period in the window yet and waited for one; such a wait does not
	// count as an extension, once per step.
	Aligned bool `json:"aligned,omitempty"`
	// WaitSeconds is the state machine's wait before the next check (when Step.Extend).
	WaitSeconds int `json:"waitSeconds"`
	// Probes counts the requests the step's checks sent to the new stack, per period (at most MaxProbePeriods, in
	// time order); ProbesUnplaced counts those beyond, subtracted from every window.
	Probes         []PeriodCount `json:"probes,omitempty"`
	ProbesUnplaced int           `json:"probesUnplaced,omitempty"`
	// OldLoadBalancer is the live stack's load balancer ARN, looked up by the step's first check ("" when it has
	// none).
	OldLoadBalancer string `json:"oldLoadBalancer,omitempty"`
}

// PeriodCount is a count of requests sent in the period starting at T (Unix seconds, a multiple of the period).
type PeriodCount struct {
	T int64 `json:"t"`
	N int   `json:"n"`
}

// Watch is the post-switch watch.
type Watch struct {
	// Until (RFC 3339) is when the watch ends.
	Until string `json:"until"`
	// WaitSeconds is the state machine's wait before the next check.
	WaitSeconds int `json:"waitSeconds"`
	// Done is true once the window has passed with every check healthy.
	Done bool `json:"done"`
}

// Reconcile is what a reconcile will do, decided from the stopped run's plan and progress.
type Reconcile struct {
	// Execution is the stopped run.
	Execution string `json:"execution"`
	// Progress is the stopped run's recorded progress.
	Progress Progress `json:"progress"`
	// Restore: put the plan's records back (and delete the run's new stack after the drain time).
	Restore bool `json:"restore"`
	// Cleanup: the release is live and watched; finish the clean-up.
	Cleanup bool `json:"cleanup"`
	// Skip, when set, says why there is nothing to reconcile (the lock is free, or another run holds it); nothing
	// is written.
	Skip string `json:"skip,omitempty"`
	// Foreign: the lock is another run's; this run neither holds nor releases it (the state machine ends at once).
	Foreign bool `json:"foreign,omitempty"`
}

// Sweep is a sweep: the state machine whose stopped runs it reconciles, and what it found and did, lock by lock.
type Sweep struct {
	// StateMachine is the deployer's state machine's ARN (set by the sweeper).
	StateMachine string `json:"stateMachine"`
	// Locks is each lock found, in the order of the apps' names.
	Locks []SweptLock `json:"locks,omitempty"`
}

// SweptLock is one lock a sweep found.
type SweptLock struct {
	App string `json:"app"`
	// Holder is the execution the lock names; Status its status ("" when it no longer exists); Progress and Action
	// what the lock records of it.
	Holder   string   `json:"holder"`
	Status   string   `json:"status,omitempty"`
	Progress Progress `json:"progress,omitempty"`
	Action   Action   `json:"action,omitempty"`
	// Reconcile is the holder's reconcile: started by this sweep (Started), or found under its name, started by an
	// earlier one.
	Reconcile string `json:"reconcile,omitempty"`
	Started   bool   `json:"started,omitempty"`
	// Left says why the sweep left the lock as it was.
	Left string `json:"left,omitempty"`
}

// FenceState is the fence a run expects: Expect nil when the app has none yet.
type FenceState struct {
	Expect *records.Record `json:"expect,omitempty"`
}

// Repair is what a repair found and changed: the problems the state reader reported before, and the batch's
// changes (each "DELETE <record>" or "UPSERT <record>"); no changes when the records already were consistent.
type Repair struct {
	Live     records.Color `json:"live"`
	StackID  string        `json:"stackId"`
	Problems []string      `json:"problems,omitempty"`
	Changes  []string      `json:"changes,omitempty"`
}

// LockInfo is what this run found in the app's lock item when another run held it and was no longer running.
type LockInfo struct {
	// Holder is the execution that held the lock; Status its status (empty when it no longer exists).
	Holder string `json:"holder"`
	Status string `json:"status,omitempty"`
	// Progress and Plan are what the holder had recorded.
	Progress Progress `json:"progress,omitempty"`
	Plan     string   `json:"plan,omitempty"`
	// TakenOver is true once this run holds the lock.
	TakenOver bool `json:"takenOver"`
}

// Checks counts pre-traffic health checks.
type Checks struct {
	// Attempt is the number of checks made.
	Attempt int `json:"attempt"`
	// Retry is true when another check follows after WaitSeconds: the last one failed and health.retries allows
	// another, or it waits for targets that ELB reports initial.
	Retry bool `json:"retry"`
	// Failed counts the failed checks, which health.retries bounds; checks that waited for initial targets are not
	// failures. States of earlier versions lack it: there, every check counted was a failure.
	Failed int `json:"failed,omitempty"`
	// WaitSeconds is the state machine's wait before the next check: health.retrySeconds after a failure, at most
	// the time left to InitialUntil (and at least 1 s) while waiting for initial targets.
	WaitSeconds int `json:"waitSeconds"`
	// InitialUntil (RFC 3339) ends the wait for initial targets; the first check that met them set it, from their
	// target groups' health check settings, and it holds for the rest of the loop.
	InitialUntil string `json:"initialUntil,omitempty"`
}

// Approval is an operator's decision at an approval gate.
type Approval struct {
	// Decision is "promote" (next step), "promote-full" (skip the remaining steps) or "abort" (roll back).
	Decision string `json:"decision"`
	// By and Reason are for the record.
	By     string `json:"by,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// The approval decisions.
const (
	DecisionPromote     = "promote"
	DecisionPromoteFull = "promote-full"
	DecisionAbort       = "abort"
)

// Validate reports what is wrong with a decision before it is sent to a gate: the decision must be one of the three,
// and by and reason, which the state document carries from the gate on, at most MaxApprovalText bytes each.
func (a Approval) Validate() error {
	var p problems
	switch a.Decision {
	case DecisionPromote, DecisionPromoteFull, DecisionAbort:
	default:
		p.add("decision %.32q must be promote, promote-full or abort", a.Decision)
	}
	if len(a.By) > MaxApprovalText || len(a.Reason) > MaxApprovalText {
		p.add("an approval's by and reason are at most %d bytes each", MaxApprovalText)
	}
	return p.err()
}

// TaskError is a failure as a Catch records it.
type TaskError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}
