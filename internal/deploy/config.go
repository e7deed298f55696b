package deploy

import "slices"

// Config is an app's deployment configuration: stored per app by the infra (one SSM parameter each) and merged with
// the execution input's overrides. Absent fields take their defaults in Resolve; the pointer fields are pointers
// because zero is a meaningful value for them (tests bake for 0 seconds).
type Config struct {
	// HostedZoneID is the Route 53 hosted zone holding the app's records.
	HostedZoneID string `json:"hostedZoneId,omitempty"`
	// Zone is the hosted zone's name; Prepare fills it from Route 53 and refuses a given one that differs.
	Zone string `json:"zone,omitempty"`
	// Host is the name users resolve (default "<app>.<zone>"); it may be the zone apex.
	Host string `json:"host,omitempty"`
	// Template is the CloudFormation template every stack of the app is built from.
	Template Template `json:"template"`
	// Parameters are passed to every stack; the deployer adds ArtifactParameter, VersionParameter, Color and StackId.
	Parameters map[string]string `json:"parameters,omitempty"`
	// ServiceRoleARN is the CloudFormation service role stacks are created with, so the deployer needs no rights on
	// the app's resources. Required unless NoServiceRole is set.
	ServiceRoleARN string `json:"serviceRoleArn,omitempty"`
	// NoServiceRole opts out of the service role explicitly (logged as a warning on every deployment).
	NoServiceRole bool `json:"noServiceRole,omitempty"`
	// Endpoint says how a stack's endpoint is found and published.
	Endpoint EndpointConfig `json:"endpoint"`
	// Health says how a stack is judged healthy.
	Health HealthConfig `json:"health"`
	// Strategy says how traffic moves.
	Strategy Strategy `json:"strategy"`
	// DrainSeconds is how long a rolled-back stack keeps serving before it is deleted (default 60; never less than
	// the CNAME TTL).
	DrainSeconds *int `json:"drainSeconds,omitempty"`
	// KeepFailedStack keeps a rolled-back stack (tagged) for inspection; the next deployment's clean-up removes it.
	KeepFailedStack bool `json:"keepFailedStack,omitempty"`
	// AdoptExistingRecord lets the first deployment replace a simple record at the host with the weighted records
	// (in the switch's batch). Without it the first deployment refuses, naming the record.
	AdoptExistingRecord bool `json:"adoptExistingRecord,omitempty"`
	// Routing says how Route 53 routes between the stacks.
	Routing RoutingConfig `json:"routing,omitzero"`
	// AllowOverrides lists the protected fields (see Protected) that an execution's input may override for this
	// app. Only the stored configuration can set it.
	AllowOverrides []string `json:"allowOverrides,omitempty"`
}

// RoutingConfig says how Route 53 routes between the stacks.
type RoutingConfig struct {
	// Failover lets Route 53's data plane move traffic off a failed stack by itself: the alias records carry
	// EvaluateTargetHealth, and a CNAME endpoint's weighted records a Route 53 health check per stack. Only the
	// stored configuration can set it (it is never overridable, like allowOverrides): turning it on or off rewrites
	// the app's records at its next release or repair.
	Failover bool `json:"failover,omitempty"`
}

// Protected lists the fields an execution's input may not change unless the app's stored configuration names them
// in AllowOverrides: where the app lives (hostedZoneId, zone, host), what its stacks are (template: an override
// would run any CloudFormation with the app's service role), with which rights they are built (serviceRoleArn,
// noServiceRole), what may be overwritten (adoptExistingRecord), what may be probed (health.allowLinkLocal) and how
// Route 53 routes (routing.failover). allowOverrides and routing.failover are never overridable (NeverOverridable). ResolveConfig compares each one's merged value with the stored one,
// so no spelling, nesting or null in an override can change it unnoticed.
var Protected = func() []string {
	names := make([]string, len(protectedFields))
	for i, f := range protectedFields {
		names[i] = f.name
	}
	return names
}()

// NeverOverridable are the protected fields that allowOverrides cannot name: an execution's input never changes them.
var NeverOverridable = []string{"routing.failover", "allowOverrides"}

// protectedFields are the protected fields with how to read each from a configuration; allowOverrides is last.
var protectedFields = []struct {
	name string
	get  func(*Config) any
}{
	{"hostedZoneId", func(c *Config) any { return c.HostedZoneID }},
	{"zone", func(c *Config) any { return c.Zone }},
	{"host", func(c *Config) any { return c.Host }},
	{"template", func(c *Config) any { return c.Template }},
	{"serviceRoleArn", func(c *Config) any { return c.ServiceRoleARN }},
	{"noServiceRole", func(c *Config) any { return c.NoServiceRole }},
	{"adoptExistingRecord", func(c *Config) any { return c.AdoptExistingRecord }},
	{"health.allowLinkLocal", func(c *Config) any { return c.Health.AllowLinkLocal }},
	// The probes' trust anchors: an execution's input may not make them trust another CA.
	{"health.rootCAs", func(c *Config) any { return c.Health.RootCAs }},
	// Failover changes the app's records and creates Route 53 health checks: the app's owner decides, not a run.
	{"routing.failover", func(c *Config) any { return c.Routing.Failover }},
	{"allowOverrides", func(c *Config) any { return slices.Clip(append([]string{}, c.AllowOverrides...)) }},
}

// Template is a CloudFormation template: a URL (S3) or, for small templates, the body.
type Template struct {
	URL  string `json:"url,omitempty"`
	Body string `json:"body,omitempty"`
}

// Endpoint types.
const (
	EndpointAlias = "alias"
	EndpointCNAME = "cname"
)

// EndpointConfig says how a stack's endpoint record is made.
type EndpointConfig struct {
	// Type is "alias" (alias A to the stack's load balancer; default, and the only type allowed at a zone apex) or
	// "cname".
	Type string `json:"type,omitempty"`
	// Output is the stack output holding the load balancer's DNS name (default "LoadBalancerDNSName").
	Output string `json:"output,omitempty"`
	// TTL of CNAME records, the per-stack ones and the weighted group (default 60). Alias records have none.
	TTL int64 `json:"ttl,omitempty"`
}

// HealthConfig says how a stack is judged healthy.
type HealthConfig struct {
	// URLOutput is a stack output holding the URL to probe (default "HealthURL"); without it the probe goes to
	// Scheme://<load balancer DNS name><Path>.
	URLOutput string `json:"urlOutput,omitempty"`
	Scheme    string `json:"scheme,omitempty"` // default "http"
	Path      string `json:"path,omitempty"`   // default "/"
	// ServerName is the name the probes present to the stack's load balancer — the TLS server name its certificate
	// is verified against, and the Host header — while connecting to the load balancer itself, whose own name
	// (*.elb.amazonaws.com) no certificate of the app covers: "host" (the app's host; the default with scheme https
	// when the probe goes to the load balancer), "stack" (<app>-<id>.<zone>, the stack's endpoint record, for a
	// wildcard certificate) or a literal DNS name. Without it, plain http sends the load balancer's name as before, and
	// a URLOutput URL its own host.
	ServerName string `json:"serverName,omitempty"`
	// RootCAs is a PEM bundle of the certificate authorities the probes trust instead of the system's, for a private
	// CA (at most certpool.MaxBytes). The certificate is always verified.
	RootCAs string `json:"rootCAs,omitempty"`
	// ExpectedStatus lists the acceptable HTTP statuses (default 200).
	ExpectedStatus []int `json:"expectedStatus,omitempty"`
	// BodyContains, when set, must appear in a healthy response's body.
	BodyContains string `json:"bodyContains,omitempty"`
	// LatencyBudgetMillis is the slowest healthy response (default 2000).
	LatencyBudgetMillis int `json:"latencyBudgetMillis,omitempty"`
	// TimeoutMillis bounds each probe (default 5000).
	TimeoutMillis int `json:"timeoutMillis,omitempty"`
	// Successes in a row make a stack healthy (default 3), within Attempts probes (default 5) spaced IntervalMillis
	// apart (default 1000).
	Successes      int `json:"successes,omitempty"`
	Attempts       int `json:"attempts,omitempty"`
	IntervalMillis int `json:"intervalMillis,omitempty"`
	// Alarms are CloudWatch alarm names; any in ALARM fails the check.
	Alarms []string `json:"alarms,omitempty"`
	// SkipTargetHealth turns off the ELB target health check of the stack's target groups.
	SkipTargetHealth bool `json:"skipTargetHealth,omitempty"`
	// AllowLinkLocal allows probing link-local and instance-metadata addresses (refused by default).
	AllowLinkLocal bool `json:"allowLinkLocal,omitempty"`
	// RetrySeconds and Retries: a failed pre-traffic check is tried again after RetrySeconds (default 10), up to
	// Retries more times (default 3), before the deployment rolls back. A check that waits for targets ELB reports
	// "initial" is not a failure and does not count: it is tried again (after RetrySeconds, at least 1 s) until the
	// targets leave that state or the wait derived from their target groups' settings ends (see
	// health.InitialAllowance); from then on an initial target fails the check like an unhealthy one.
	RetrySeconds *int `json:"retrySeconds,omitempty"`
	Retries      *int `json:"retries,omitempty"`
	// Traffic, when set, turns on the verification of each weight step's effective split (off when absent).
	Traffic *TrafficConfig `json:"traffic,omitempty"`
}

// The values of TrafficConfig.OnInconclusive.
const (
	InconclusiveFail = "fail"
	InconclusivePass = "pass"
)

// TrafficConfig is health.traffic: after each weight step's bake, the step's health check also reads the new and the
// old stack's ALB RequestCount (CloudWatch, AWS/ApplicationELB, Sum per period) over the bake's window and compares
// the new stack's share with the step's weight. The window is whole periods: it starts once the step's weights were
// in sync plus endpoint.ttl (clients' cached answers expired) and ends lagSeconds before the check; the deployer's
// own probes of the new stack in it are subtracted. Fewer than MinRequests requests in all, or a share below
// weight × (1 − Tolerance), is inconclusive: the bake is extended by one period (a Wait of the state machine), up to
// MaxExtensions times; then the step fails (SplitInconclusiveError, the run rolls back), or passes when
// OnInconclusive is "pass", its verdict saying why. Not applied before traffic, nor to a stack whose endpoint is not
// an ELBv2 load balancer (the verdict notes it). Like the rest of health, an execution's config may override it.
type TrafficConfig struct {
	// MinRequests is the fewest requests (both stacks, probes subtracted) a window must hold (default 100).
	MinRequests int `json:"minRequests,omitempty"`
	// Tolerance is how far below the step's weight the new stack's share may be, as a fraction of it (default 0.5:
	// a 10% step passes from a 5% share).
	Tolerance *float64 `json:"tolerance,omitempty"`
	// MaxExtensions is how many times an inconclusive step's bake is extended by one period (default 3).
	MaxExtensions *int `json:"maxExtensions,omitempty"`
	// LagSeconds is how long CloudWatch takes to have a period's data: the window ends this long before the check
	// (default 120; ALB metrics arrive a minute or more late).
	LagSeconds *int `json:"lagSeconds,omitempty"`
	// PeriodSeconds is the metric's period (default 60, ALB's resolution): 1, 5, 10, 20, 30 (high-resolution
	// metrics only) or a multiple of 60.
	PeriodSeconds int `json:"periodSeconds,omitempty"`
	// OnInconclusive is what the last inconclusive check does: "fail" (default; the run rolls back) or "pass".
	OnInconclusive string `json:"onInconclusive,omitempty"`
}

// Strategy says how traffic moves from the live stack to the new one.
type Strategy struct {
	// Steps are the new stack's traffic shares in percent before the switch, strictly increasing, each 1-99
	// (absent or null: 10, 30, 60; [] switches at once after the pre-traffic health check).
	Steps []int `json:"steps"`
	// BakeSeconds is how long each step serves before its health check (default 60).
	BakeSeconds *int `json:"bakeSeconds,omitempty"`
	// Approvals lists the steps (by percent) after which an operator must approve (none by default).
	Approvals []int `json:"approvals,omitempty"`
	// ApprovalTimeoutSeconds bounds each approval wait (default 86400); a timeout aborts and rolls back.
	ApprovalTimeoutSeconds int `json:"approvalTimeoutSeconds,omitempty"`
	// WatchSeconds is the post-switch watch (default 300): health checks every WatchIntervalSeconds (default 60).
	WatchSeconds         *int `json:"watchSeconds,omitempty"`
	WatchIntervalSeconds *int `json:"watchIntervalSeconds,omitempty"`
	// StackTimeoutSeconds bounds the wait for a new stack (default 1800).
	StackTimeoutSeconds int `json:"stackTimeoutSeconds,omitempty"`
	// PollSeconds is the first wait between checks of a stack or a record change (default 5); it doubles up to 60.
	PollSeconds *int `json:"pollSeconds,omitempty"`
}
