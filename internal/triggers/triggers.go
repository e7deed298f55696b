// Package triggers is the deployer's EventBridge rules: what starts its executions without an operator. The infra
// (infra/bluegreen) synthesizes exactly these rules, and the local AWS installs exactly these (package
// localdeploy): both take them from Rules.
//
//   - Deploy<app>OnUpload: an object created under <app>/ in the artifact bucket (S3 "Object Created") starts a
//     deployment of app.
//   - Deploy<app>OnPush: a successful, tagged push to the app's ECR repository ("ECR Image Action") starts one.
//   - SweepOnStop: an execution of the deployer's state machine that ended ABORTED or TIMED_OUT, other than a
//     reconcile, starts a sweep.
//   - SweepOnSchedule: every SweepRate, a sweep.
//
// The S3 and ECR rules pass the app's name (fixed by the rule) and the whole event, {"app":"<app>","event":
// <aws.events.event.json>}; Prepare derives version and artifact from the event (deploy.ReleaseFromEvent). No value
// of an event is spliced into JSON text: "EventBridge doesn't escape values extracted by Input Path, when populating
// the Input Template for a target" ("Common issues with transforming input"), so an object key holding a quote
// could add fields to the input. aws.events.event.json is "the full original event payload as JSON", to be used
// only as a JSON field's value ("Predefined variables"): inserted as a value, it is the event's own JSON, its strings
// escaped as AWS wrote them. (Both sections: "Amazon EventBridge input transformation", EventBridge User Guide.)
//
// The sweep rules take nothing from their events at all. AWS delivers Step Functions' status events (and ECR's) on
// a best-effort basis ("AWS Step Functions events", EventBridge Events Reference: "Delivery type: Best effort"), so
// a stopped run is never left to one event: the sweep (the sweeper state machine and the create-stack function's
// sweep operation) looks at every lock and starts the reconcile of each one a stopped run holds, under a name made
// from that run's ARN (ReconcileName), so that the status-change rule and the schedule, or two sweeps, never start
// two reconciles of one run.
package triggers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Deployment names what the rules refer to.
type Deployment struct {
	// ArtifactBucket is the artifact bucket's name.
	ArtifactBucket string
	// StateMachine is the deployer's state machine's ARN; Sweeper the sweeper's.
	StateMachine, Sweeper string
	Apps                  []App
}

// App is an app the rules deploy.
type App struct {
	Name string
	// EcrRepository is the app's ECR repository; none: the app has no push rule.
	EcrRepository string
}

// Rule is one EventBridge rule with its one target, a state machine.
type Rule struct {
	// ID is the rule's construct id in the infra and its name on the local AWS.
	ID          string
	Description string
	// Pattern is the event pattern; Schedule the schedule expression (one of the two).
	Pattern  *Pattern
	Schedule string
	// Target is the state machine the rule starts.
	Target string
	// Input is a constant input; Template an input transformer's template (with the input paths of Paths, if any).
	Input    string
	Template string
	Paths    map[string]string
}

// Pattern is an event pattern of the shape the rules use.
type Pattern struct {
	Source, DetailType []string
	Detail             map[string]any
}

// JSON is the pattern as PutRule takes it.
func (p Pattern) JSON() string {
	m := map[string]any{"source": p.Source, "detail-type": p.DetailType}
	if p.Detail != nil {
		m["detail"] = p.Detail
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // strings, lists and maps of them always encode
	}
	return string(b)
}

// SweepRate is how often the schedule sweeps: a stopped run whose status event was lost waits at most this long.
const SweepRate = "rate(5 minutes)"

// The event sources and types the rules match.
const (
	s3Source, s3ObjectCreated  = "aws.s3", "Object Created"
	ecrSource, ecrImageAction  = "aws.ecr", "ECR Image Action"
	sfnSource, sfnStatusChange = "aws.states", "Step Functions Execution Status Change"
)

// Rules returns the rules of a deployment, in a stable order: each app's upload rule (and push rule), then the
// sweep rules.
func Rules(d Deployment) []Rule {
	var out []Rule
	for _, a := range d.Apps {
		out = append(out, Rule{
			ID:          "Deploy" + a.Name + "OnUpload",
			Description: "Deploy " + a.Name + ": an object created under " + a.Name + "/ in the artifact bucket",
			Pattern: &Pattern{Source: []string{s3Source}, DetailType: []string{s3ObjectCreated}, Detail: map[string]any{
				"bucket": map[string]any{"name": []any{d.ArtifactBucket}},
				"object": map[string]any{"key": []any{map[string]any{"prefix": a.Name + "/"}}},
			}},
			Target: d.StateMachine, Template: EventInputTemplate(a.Name),
		})
		if a.EcrRepository == "" {
			continue
		}
		out = append(out, Rule{
			ID:          "Deploy" + a.Name + "OnPush",
			Description: "Deploy " + a.Name + ": an image pushed with a tag to ECR repository " + a.EcrRepository,
			Pattern: &Pattern{Source: []string{ecrSource}, DetailType: []string{ecrImageAction}, Detail: map[string]any{
				"action-type":     []any{"PUSH"},
				"result":          []any{"SUCCESS"},
				"repository-name": []any{a.EcrRepository},
				"image-tag":       []any{map[string]any{"exists": true}},
			}},
			Target: d.StateMachine, Template: EventInputTemplate(a.Name),
		})
	}
	return append(out,
		Rule{
			ID:          "SweepOnStop",
			Description: "Sweep when an execution of the deployer other than a reconcile is aborted or times out: its reconcile starts",
			Pattern: &Pattern{Source: []string{sfnSource}, DetailType: []string{sfnStatusChange}, Detail: map[string]any{
				"stateMachineArn": []any{d.StateMachine},
				"status":          []any{"ABORTED", "TIMED_OUT"},
				"name":            []any{map[string]any{"anything-but": map[string]any{"wildcard": ReconcileWildcard}}},
			}},
			Target: d.Sweeper, Input: `{"trigger":"status-change"}`,
		},
		Rule{
			ID:          "SweepOnSchedule",
			Description: "Sweep every few minutes: reconcile the runs that stopped holding a lock, whose status events were lost",
			Schedule:    SweepRate, Target: d.Sweeper, Input: `{"trigger":"schedule"}`,
		})
}

// EventInputTemplate is the S3 and ECR rules' input for app: the app's name (as a JSON string) and the whole event.
func EventInputTemplate(app string) string {
	name, err := json.Marshal(app)
	if err != nil {
		panic(err) // a string always encodes
	}
	return `{"app":` + string(name) + `,"event":<aws.events.event.json>}`
}

// reconcileInfix follows the app's name in every reconcile's execution name: the sweep's (ReconcileName) and an
// operator's (operator.ExecutionName: <app>-reconcile-<time>).
const reconcileInfix = "-reconcile-"

// ReconcileWildcard is the status-change rule's pattern for the names of reconciles, whose end starts no sweep. It
// is wider than IsReconcile (a deployment whose version holds "-reconcile-" matches it too): such a run, stopped,
// waits for the schedule's sweep.
const ReconcileWildcard = "*" + reconcileInfix + "*"

// ReconcileName is the name of the reconcile the sweep starts for a stopped execution holding app's lock:
// <app>-reconcile-<16 hex digits of the SHA-256 of the execution's ARN>. The same for every sweep, so Step Functions
// refuses a second one (ExecutionAlreadyExists), and at most 51 characters (an execution name may have 80).
func ReconcileName(app, holder string) string {
	sum := sha256.Sum256([]byte(holder))
	return app + reconcileInfix + hex.EncodeToString(sum[:8])
}

// IsReconcile reports whether an execution's name is a reconcile's: an app's name (one label, no hyphen) followed by
// "-reconcile-".
func IsReconcile(name string) bool {
	app, rest, ok := strings.Cut(name, "-")
	return ok && records.ValidateAppName(app) == nil && strings.HasPrefix("-"+rest, reconcileInfix)
}

// ExecutionName returns the name in an execution's ARN (arn:<partition>:states:<region>:<account>:execution:
// <state machine>:<name>).
func ExecutionName(arn string) string {
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
