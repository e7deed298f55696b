// Package health judges whether a stack may receive traffic: HTTP probes of its endpoint, the target health of its
// load balancer's target groups, and CloudWatch alarms. Every verdict carries its evidence, capped in size.
package health

// Verdict is one health check's outcome with its evidence.
type Verdict struct {
	// Healthy is true when every check passed.
	Healthy bool `json:"healthy"`
	// Summary says in one line why the verdict is what it is.
	Summary string `json:"summary"`
	// Probes, Targets and Alarms are the evidence, capped (see Truncated).
	Probes  []Probe  `json:"probes,omitempty"`
	Targets []Target `json:"targets,omitempty"`
	Alarms  []Alarm  `json:"alarms,omitempty"`
	// Truncated counts evidence items left out to keep the verdict small.
	Truncated int `json:"truncated,omitempty"`
	// CheckedAt is when the check ended (RFC 3339).
	CheckedAt string `json:"checkedAt,omitempty"`
}

// Probe is one HTTP probe.
type Probe struct {
	URL       string `json:"url"`
	Status    int    `json:"status,omitempty"`
	LatencyMs int64  `json:"latencyMs"`
	OK        bool   `json:"ok"`
	// Error says why the probe failed: a transport error, an unexpected status, a missing body match, a slow answer.
	Error string `json:"error,omitempty"`
}

// Target is one load balancer target's health.
type Target struct {
	TargetGroup string `json:"targetGroup"`
	ID          string `json:"id"`
	Port        int32  `json:"port,omitempty"`
	State       string `json:"state"`
	Reason      string `json:"reason,omitempty"`
}

// Alarm is one CloudWatch alarm's state.
type Alarm struct {
	Name      string  `json:"name"`
	State     string  `json:"state"`
	Metric    string  `json:"metric,omitempty"`
	Threshold float64 `json:"threshold"`
	Reason    string  `json:"reason,omitempty"`
}
