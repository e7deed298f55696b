package deploy

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// The deployer's own limits. Step Functions passes the state document from state to state and bounds it: at most
// 256 KiB "as a UTF-8 encoded string" for a task's, a state's or an execution's input or output
// (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, "Maximum input or output size for a
// task, state, or execution"); a larger one fails with States.DataLimitExceeded, whatever the step. So every list,
// map and string the document can hold is capped here or by AWS, and a test builds the largest document these caps
// allow at every step and checks it stays under StateBudget.
const (
	// StateBudget is what the largest state document must stay under: 200 KiB, leaving room under Step Functions'
	// 256 KiB for what the state machine's own tasks add.
	StateBudget = 200 << 10
	// MaxInputBytes bounds an execution input's text. Until Prepare has read it, the state document holds the input
	// as text (raw), escaped once more; from Prepare on, only what Prepare kept of it (see State.Carry).
	MaxInputBytes = 64 << 10
	// MaxConfigBytes bounds a resolved configuration as the state document carries it: its JSON without the
	// template body (never carried: see BodyRef).
	MaxConfigBytes = 32 << 10
	// MaxParameters is the most parameters an app may pass: CloudFormation takes 200 a template
	// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html), and the deployer
	// passes four of its own (Artifact, Version, Color, StackId).
	MaxParameters = 200 - 4
	// MaxParameterValue is CloudFormation's limit on a parameter's value, in bytes (same page).
	MaxParameterValue = 4096
	// MaxTemplateURL is CreateStack's limit on TemplateURL.
	MaxTemplateURL = 5120
	// MaxAlarms is the most alarm names DescribeAlarms takes in one call.
	MaxAlarms = 100
	// MaxExpectedStatus bounds health.expectedStatus.
	MaxExpectedStatus = 20
	// MaxSteps bounds strategy.steps; each approval names a different step, so approvals are bounded by it too.
	MaxSteps = 20
	// MaxHealthPath bounds health.path.
	MaxHealthPath = 2048
	// MaxBodyContains bounds health.bodyContains.
	MaxBodyContains = 1024
	// MaxKept is the most stacks kept by earlier failed runs (keepFailedStack) that one plan lists for its clean-up;
	// the next deployment's clean-up takes the rest.
	MaxKept = 10
	// MaxWarning bounds each of State.Warnings (see State.Warn), MaxNotice the notice (State.Describe).
	MaxWarning = 1 << 10
	MaxNotice  = 2 << 10
	// MaxApprovalText bounds an approval's by and reason, which the state document carries from the gate on.
	MaxApprovalText = 1024
	// MaxErrorMessage bounds the message of every named error but HealthCheckError (see bounded): a Lambda's error
	// reaches the state document as a Catch's cause, escaped twice (the runtime's error JSON, as a string).
	// ValidationError.Problems, StateInconsistentError.Problems and the like keep everything.
	MaxErrorMessage = 4 << 10
	// MaxTrafficExtensions bounds health.traffic.maxExtensions: each extension is a Wait and a check in the
	// execution's history.
	MaxTrafficExtensions = 10
	// MaxTrafficLagSeconds bounds health.traffic.lagSeconds; MaxTrafficPeriodSeconds its periodSeconds (an hour).
	MaxTrafficLagSeconds    = 900
	MaxTrafficPeriodSeconds = 3600
	// MaxTrafficMinRequests bounds health.traffic.minRequests.
	MaxTrafficMinRequests = 1_000_000_000
	// HighResolutionRetention is how long CloudWatch keeps data points of periods under 60 s ("available for 3
	// hours", GetMetricData): a high-resolution window must fit in it.
	HighResolutionRetention = 3 * 3600
	// MaxProbePeriods bounds the per-period counts of the deployer's own probes that a step's split verification
	// carries (Split.Probes); probes beyond them are counted in Split.ProbesUnplaced and subtracted from every window.
	MaxProbePeriods = 64
	// MaxHealthCheckMessage bounds a HealthCheckError's message, which carries the verdict (up to 8 KiB of JSON) as
	// its evidence.
	MaxHealthCheckMessage = 16 << 10
)

// jsonSize is the size of v's JSON as the Lambda runtime encodes a result (aws-lambda-go: no HTML escaping).
func jsonSize(v any) int {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return 0
	}
	return b.Len() - 1 // Encode adds a newline
}

// carriedSize is the size of the configuration's JSON as the state document carries it: without its template body.
func (c Config) carriedSize() int {
	c.Template.Body = ""
	return jsonSize(c)
}

// bounded cuts an error's message to MaxErrorMessage bytes.
func bounded(msg string) string { return cut(msg, MaxErrorMessage) }

// cut cuts msg to at most limit bytes, at a character boundary, saying so.
func cut(msg string, limit int) string {
	if len(msg) <= limit {
		return msg
	}
	const mark = "… (cut)"
	n := limit - len(mark)
	for n > 0 && !utf8.RuneStart(msg[n]) {
		n--
	}
	return msg[:n] + mark
}
