package deploy

// The health check's verdict is part of the state document; package health produces it.

// Verdict is one health check's outcome with its evidence.
type Verdict struct {
	// Healthy is true when every check passed.
	Healthy bool `json:"healthy"`
	// Summary says in one line why the verdict is what it is: the first failure (probes, then targets, then alarms),
	// or what passed.
	Summary string `json:"summary"`
	// Failures lists every failed part of the check, one line each, in the order of Summary's choice: the probe
	// series, each target group, each alarm. Empty when Healthy.
	Failures []string `json:"failures,omitempty"`
	// Probes, Targets and Alarms are the evidence, capped (see Truncated).
	Probes  []Probe  `json:"probes,omitempty"`
	Targets []Target `json:"targets,omitempty"`
	Alarms  []Alarm  `json:"alarms,omitempty"`
	// Truncated counts evidence items (probes, targets, alarms, failure lines) left out to keep the JSON-encoded
	// verdict within health.MaxVerdictBytes. Failing items are kept first, then the most recent probes; long strings are
	// shortened, ending in "…".
	Truncated int `json:"truncated,omitempty"`
	// Notes says what the check saw but did not judge, one line each: target groups whose health checks are off
	// (their targets unavailable with Target.HealthCheckDisabled), targets it waits for (see Wait).
	Notes []string `json:"notes,omitempty"`
	// Wait, when set, says the check waits for targets that ELB reports initial (registering, or not through their
	// first health check yet): the stack cannot answer for itself yet, so the verdict is neither healthy nor a failure
	// (a pre-traffic check is tried again, without counting against health.retries). Failures, if any, are what the
	// check saw meanwhile.
	Wait *TargetWait `json:"wait,omitempty"`
	// AddressRefused is true when the probes stopped because the prober's guard refused the address the probed URL
	// leads to (link-local, instance metadata, loopback, ...): trying again cannot help, so such a check is not retried.
	AddressRefused bool `json:"addressRefused,omitempty"`
	// Traffic is the effective-split verification's evidence (health.traffic), after a weight step's bake.
	Traffic *TrafficEvidence `json:"traffic,omitempty"`
	// CheckedAt is when the check ended (RFC 3339).
	CheckedAt string `json:"checkedAt,omitempty"`
}

// Probe is one HTTP probe.
type Probe struct {
	// Attempt is the probe's place in its series, from 1.
	Attempt int `json:"attempt,omitempty"`
	// URL is the probed URL without userinfo and fragment, and with the values of secret-named query parameters
	// redacted (see health.SafeURL).
	URL       string `json:"url"`
	Status    int    `json:"status,omitempty"`
	LatencyMs int64  `json:"latencyMs"`
	OK        bool   `json:"ok"`
	// Error says why the probe failed: a transport error, an unexpected status, a missing body match, a slow answer.
	Error string `json:"error,omitempty"`
}

// Target is one load balancer target's health. State is ELBv2's: "healthy" passes; "unhealthy", "unavailable" (and
// any state the checker does not know) fail; "draining", "unhealthy.draining" and "unused" are reported but neither
// pass nor fail, since such a target gets no new traffic; "unavailable" with Target.HealthCheckDisabled is not
// judged (its group's health checks are off, so ELB knows nothing of its health); "initial" is waited for by the
// pre-traffic check (see Verdict.Wait) and fails any other. Reason is ELBv2's reason code and description.
type Target struct {
	TargetGroup string `json:"targetGroup"`
	ID          string `json:"id"`
	Port        int32  `json:"port,omitempty"`
	State       string `json:"state"`
	Reason      string `json:"reason,omitempty"`
}

// Alarm is one CloudWatch alarm's state: "OK", "INSUFFICIENT_DATA" (passes, reported), "ALARM" (fails) or
// "NOT_FOUND" (health.AlarmNotFound; fails: a named alarm that does not exist is a misconfiguration). Metric describes what the alarm
// watches; Threshold is 0 for composite alarms and for alarms whose threshold is a band or a log query's.
type Alarm struct {
	Name      string  `json:"name"`
	State     string  `json:"state"`
	Metric    string  `json:"metric,omitempty"`
	Threshold float64 `json:"threshold"`
	Reason    string  `json:"reason,omitempty"`
}

// TargetWait is a verdict's wait for targets that ELB reports initial.
type TargetWait struct {
	// Until (RFC 3339) is when the wait ends: from then on, a target still initial fails the check. The check that
	// first met such targets derived it from their target groups' health check settings (health.InitialAllowance).
	Until string `json:"until"`
	// Targets counts the targets waited for.
	Targets int `json:"targets"`
}

// The outcomes of a split verification (TrafficEvidence.Outcome).
const (
	// SplitVerified: enough requests, and the new stack's share at least the minimum.
	SplitVerified = "verified"
	// SplitInconclusive: too few requests or too small a share; the bake is extended (or, after the last extension,
	// the step fails).
	SplitInconclusive = "inconclusive"
	// SplitPassedInconclusive: inconclusive after the last extension, passed because onInconclusive is "pass".
	SplitPassedInconclusive = "passed-inconclusive"
	// SplitWaiting: the window holds no whole period yet; the check waits for one (not an extension).
	SplitWaiting = "waiting"
	// SplitNotApplicable: a stack's endpoint is not an ELBv2 load balancer, so there is no RequestCount to read.
	SplitNotApplicable = "not-applicable"
	// SplitAlreadyVerified: a later check of a step already verified (after an approval gate) reads nothing again.
	SplitAlreadyVerified = "already-verified"
)

// TrafficEvidence is what a step's split verification read and how it judged it. Counts are CloudWatch's Sums of
// RequestCount over the window; NewRequests is before, Share after subtracting ProbesSubtracted (the deployer's
// own probes of the new stack within the window).
type TrafficEvidence struct {
	Outcome string `json:"outcome"`
	// Reason says in one line why.
	Reason string `json:"reason"`
	// NewLoadBalancer and OldLoadBalancer are the LoadBalancer dimensions read (app/<name>/<id>).
	NewLoadBalancer  string `json:"newLoadBalancer,omitempty"`
	OldLoadBalancer  string `json:"oldLoadBalancer,omitempty"`
	NewRequests      int64  `json:"newRequests"`
	OldRequests      int64  `json:"oldRequests"`
	ProbesSubtracted int64  `json:"probesSubtracted"`
	// Share is the new stack's share of the requests, probes subtracted: (new − probes) / (new − probes + old).
	Share float64 `json:"share"`
	// Intended is the step's weight as a fraction; MinShare is Intended × (1 − tolerance); MinRequests the fewest
	// requests (both stacks, probes subtracted) a window must hold.
	Intended    float64 `json:"intended"`
	MinShare    float64 `json:"minShare"`
	MinRequests int     `json:"minRequests"`
	// WindowStart and WindowEnd (RFC 3339, end exclusive) bound the window read, PeriodSeconds its periods.
	WindowStart   string `json:"windowStart,omitempty"`
	WindowEnd     string `json:"windowEnd,omitempty"`
	PeriodSeconds int    `json:"periodSeconds"`
	// Extensions is how many times the bake had been extended before this check, of MaxExtensions.
	Extensions    int `json:"extensions"`
	MaxExtensions int `json:"maxExtensions"`
}
