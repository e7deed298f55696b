package deploy

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

var (
	versionRE       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$`)
	executionARNRE  = regexp.MustCompile(`^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:execution:[A-Za-z0-9_-]{1,80}:[A-Za-z0-9_-]{1,80}$`)
	roleARNRE       = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
	hostedZoneIDRE  = regexp.MustCompile(`^[A-Z0-9]{1,32}$`)
	parameterNameRE = regexp.MustCompile(`^[A-Za-z0-9]{1,255}$`)
	outputNameRE    = regexp.MustCompile(`^[A-Za-z0-9]{1,255}$`)
	sourceRE        = regexp.MustCompile(`^[a-z0-9-]{0,32}$`)
)

// MaxTemplateBody is the largest template body CloudFormation takes inline.
const MaxTemplateBody = 51200

// ValidateInput reports every problem of an execution input on its own (before the app's configuration is known),
// or nil.
func ValidateInput(in Input) error {
	var p problems
	switch in.ActionOrDefault() {
	case ActionDeploy:
		p.check(validateApp(in.App))
		if !versionRE.MatchString(in.Version) {
			p.add("version %q must be 1-128 characters: letters, digits and . _ : / @ + - (starting with a letter or digit)", in.Version)
		}
		if len(in.Artifact) > 1024 || strings.IndexFunc(in.Artifact, unicode.IsControl) >= 0 {
			p.add("artifact must be at most 1024 characters without control characters")
		}
		if in.Execution != "" {
			p.add("execution is only for the reconcile action")
		}
	case ActionRollback:
		p.check(validateApp(in.App))
		if in.Version != "" || in.Artifact != "" || in.Execution != "" {
			p.add("a rollback takes no version, artifact or execution: it makes the idle stack live again")
		}
	case ActionRepair:
		p.check(validateApp(in.App))
		if c := records.Color(in.Live); !c.Valid() {
			p.add("repair needs live, the color that must be live: blue or green (got %q)", in.Live)
		}
		if in.Version != "" || in.Artifact != "" || in.Execution != "" {
			p.add("a repair takes no version, artifact or execution: it makes the records consistent with the live color's stack")
		}
	case ActionReconcile:
		if !executionARNRE.MatchString(in.Execution) {
			p.add("reconcile needs execution, the ARN of the stopped execution (got %q)", in.Execution)
		}
		if in.App != "" {
			p.check(records.ValidateAppName(in.App))
		}
		if in.Version != "" || in.Artifact != "" {
			p.add("a reconcile takes no version or artifact")
		}
	default:
		p.add("action %q must be deploy, rollback, reconcile or repair", in.Action)
	}
	if in.Live != "" && in.ActionOrDefault() != ActionRepair {
		p.add("live is only for the repair action")
	}
	if !sourceRE.MatchString(in.Source) {
		p.add("source %q must be up to 32 lower-case letters, digits and hyphens", in.Source)
	}
	return p.err()
}

// validateApp checks an app name, saying plainly when there is none.
func validateApp(app string) error {
	if app == "" {
		return errors.New("app is required")
	}
	return records.ValidateAppName(app)
}

// Validate reports every problem of a resolved configuration for app, or nil.
func (c *Config) Validate(app string) error {
	var p problems
	if !hostedZoneIDRE.MatchString(strings.TrimPrefix(c.HostedZoneID, "/hostedzone/")) {
		p.add("hostedZoneId %q is not a Route 53 hosted zone id", c.HostedZoneID)
	}
	if c.Zone != "" {
		if _, err := records.NewApp(app, c.Zone, c.Host); err != nil {
			p.add("%v", err)
		} else if c.Endpoint.Type == EndpointCNAME && records.Normalize(c.Host) == records.Normalize(c.Zone) {
			p.add("host %s is the zone apex, where only alias records are allowed: use endpoint type alias", c.Host)
		}
	}
	switch t := c.Template; {
	case (t.URL == "") == (t.Body == ""):
		p.add("template needs exactly one of url and body")
	case len(t.URL) > MaxTemplateURL:
		p.add("template url is %d characters; CloudFormation takes at most %d", len(t.URL), MaxTemplateURL)
	case t.URL != "":
		if u, err := url.Parse(t.URL); err != nil || u.Scheme != "https" || u.Host == "" {
			p.add("template url %q must be an https URL (an S3 object)", t.URL)
		}
	case len(t.Body) > MaxTemplateBody:
		p.add("template body is %d bytes; CloudFormation takes at most %d inline: use a url", len(t.Body), MaxTemplateBody)
	}
	if len(c.Parameters) > MaxParameters {
		p.add("parameters: %d, at most %d (CloudFormation takes 200 a template; the deployer passes 4)", len(c.Parameters), MaxParameters)
	}
	for _, k := range slices.Sorted(maps.Keys(c.Parameters)) {
		if !parameterNameRE.MatchString(k) {
			p.add("parameter name %.255q must be 1-255 letters and digits", k)
		}
		if slices.Contains([]string{ParamArtifact, ParamVersion, ParamColor, ParamStackID}, k) {
			p.add("parameter %s is set by the deployer", k)
		}
		if v := c.Parameters[k]; len(v) > MaxParameterValue {
			p.add("parameter %.255s is %d bytes; CloudFormation takes at most %d", k, len(v), MaxParameterValue)
		}
	}
	switch {
	case c.ServiceRoleARN != "" && !roleARNRE.MatchString(c.ServiceRoleARN):
		p.add("serviceRoleArn %q is not an IAM role ARN", c.ServiceRoleARN)
	case c.ServiceRoleARN == "" && !c.NoServiceRole:
		p.add("serviceRoleArn is required (stacks are created with a CloudFormation service role); set noServiceRole to opt out")
	case c.ServiceRoleARN != "" && c.NoServiceRole:
		p.add("serviceRoleArn and noServiceRole are exclusive")
	}
	for i, f := range c.AllowOverrides {
		switch {
		case !slices.Contains(Protected, f) || slices.Contains(NeverOverridable, f):
			p.add("allowOverrides: %.64q is not a protected field that can be overridden (%s)", f, strings.Join(overridable(), ", "))
		case slices.Contains(c.AllowOverrides[:i], f):
			p.add("allowOverrides: %s is given twice", f)
		}
	}
	c.validateEndpoint(&p)
	c.validateHealth(&p)
	c.validateStrategy(&p)
	c.validateTraffic(&p)
	if *c.DrainSeconds < 0 || *c.DrainSeconds > 86400 {
		p.add("drainSeconds %d must be 0-86400", *c.DrainSeconds)
	} else if c.Endpoint.Type == EndpointCNAME && int64(*c.DrainSeconds) < c.Endpoint.TTL {
		p.add("drainSeconds %d is less than the CNAME TTL %d: clients could still resolve the stack after it is deleted", *c.DrainSeconds, c.Endpoint.TTL)
	}
	if n := c.carriedSize(); n > MaxConfigBytes {
		p.add("the configuration is %d bytes of JSON (its template body aside), more than %d: every state of an execution carries it, and Step Functions bounds a state at 256 KiB", n, MaxConfigBytes)
	}
	return p.err()
}

func (c *Config) validateEndpoint(p *problems) {
	e := c.Endpoint
	if e.Type != EndpointAlias && e.Type != EndpointCNAME {
		p.add("endpoint type %q must be alias or cname", e.Type)
	}
	if !outputNameRE.MatchString(e.Output) {
		p.add("endpoint output %q is not a stack output name", e.Output)
	}
	if e.TTL < 1 || e.TTL > 86400 {
		p.add("endpoint ttl %d must be 1-86400", e.TTL)
	}
}

func (c *Config) validateHealth(p *problems) {
	h := c.Health
	if !outputNameRE.MatchString(h.URLOutput) {
		p.add("health urlOutput %q is not a stack output name", h.URLOutput)
	}
	if h.Scheme != "http" && h.Scheme != "https" {
		p.add("health scheme %q must be http or https", h.Scheme)
	}
	switch {
	case len(h.Path) > MaxHealthPath:
		p.add("health path is %d characters, at most %d", len(h.Path), MaxHealthPath)
	case !strings.HasPrefix(h.Path, "/") || strings.ContainsAny(h.Path, " \t\r\n#"):
		p.add("health path %q must start with / and contain no spaces or fragment", h.Path)
	}
	if len(h.ExpectedStatus) > MaxExpectedStatus {
		p.add("health expectedStatus: %d statuses, at most %d", len(h.ExpectedStatus), MaxExpectedStatus)
	}
	for _, s := range h.ExpectedStatus {
		if s < 100 || s > 599 {
			p.add("health expectedStatus %d is not an HTTP status", s)
		}
	}
	if len(h.BodyContains) > MaxBodyContains {
		p.add("health bodyContains is longer than %d characters", MaxBodyContains)
	}
	h.validateTLS(p)
	inRange(p, "health latencyBudgetMillis", h.LatencyBudgetMillis, 1, 60000)
	inRange(p, "health timeoutMillis", h.TimeoutMillis, 1, 60000)
	inRange(p, "health successes", h.Successes, 1, 100)
	inRange(p, "health attempts", h.Attempts, h.Successes, 100)
	inRange(p, "health intervalMillis", h.IntervalMillis, 0, 60000)
	inRange(p, "health retrySeconds", *h.RetrySeconds, 0, 3600)
	inRange(p, "health retries", *h.Retries, 0, 100)
	if len(h.Alarms) > MaxAlarms {
		p.add("health alarms: %d, at most %d (what one DescribeAlarms call takes)", len(h.Alarms), MaxAlarms)
	}
	for _, a := range h.Alarms {
		if a == "" || len(a) > 255 {
			p.add("health alarm name %.255q must be 1-255 characters", a)
		}
	}
}

func (c *Config) validateStrategy(p *problems) {
	s := c.Strategy
	for i, step := range s.Steps {
		if step < 1 || step > 99 {
			p.add("strategy step %d%% must be 1-99 (the switch makes it 100)", step)
		} else if i > 0 && step <= s.Steps[i-1] {
			p.add("strategy steps must increase: %d after %d", step, s.Steps[i-1])
		}
	}
	if len(s.Steps) > MaxSteps {
		p.add("strategy: at most %d steps (got %d)", MaxSteps, len(s.Steps))
	}
	for i, a := range s.Approvals {
		switch {
		case !slices.Contains(s.Steps, a):
			p.add("strategy approval %d%% is not one of the steps %v", a, s.Steps)
		case slices.Contains(s.Approvals[:i], a):
			p.add("strategy approval %d%% is given twice", a)
		}
	}
	inRange(p, "strategy bakeSeconds", *s.BakeSeconds, 0, 86400)
	inRange(p, "strategy approvalTimeoutSeconds", s.ApprovalTimeoutSeconds, 1, 7*86400)
	inRange(p, "strategy watchSeconds", *s.WatchSeconds, 0, 86400)
	inRange(p, "strategy watchIntervalSeconds", *s.WatchIntervalSeconds, 0, 3600)
	if *s.WatchSeconds > 0 && *s.WatchIntervalSeconds < 1 {
		p.add("strategy watchIntervalSeconds must be at least 1 when watchSeconds is set (the watch checks every interval)")
	} else if *s.WatchSeconds > 0 && *s.WatchSeconds / *s.WatchIntervalSeconds > 500 {
		p.add("strategy watchSeconds/watchIntervalSeconds is %d checks: at most 500, to keep the execution's history small", *s.WatchSeconds / *s.WatchIntervalSeconds)
	}
	inRange(p, "strategy stackTimeoutSeconds", s.StackTimeoutSeconds, 60, 4*3600)
	inRange(p, "strategy pollSeconds", *s.PollSeconds, 0, MaxPollSeconds)
}

// TrafficPeriods are the periods GetMetricData takes below a minute (high-resolution metrics only: "1, 5, 10, 20,
// 30, 60, or any multiple of 60", MetricStat.Period in the CloudWatch API reference).
var TrafficPeriods = []int{1, 5, 10, 20, 30}

// validateTraffic checks health.traffic: its values, and that each step's bake holds a window — the weights'
// TTL, then one whole period, then the metric's lag.
func (c *Config) validateTraffic(p *problems) {
	t := c.Health.Traffic
	if t == nil {
		return
	}
	inRange(p, "health traffic minRequests", t.MinRequests, 1, MaxTrafficMinRequests)
	if tol := *t.Tolerance; !(tol >= 0 && tol <= 1) { // NaN fails too
		p.add("health traffic tolerance %g must be 0-1 (the share may fall short of the weight by this fraction of it)", tol)
	}
	inRange(p, "health traffic maxExtensions", *t.MaxExtensions, 0, MaxTrafficExtensions)
	inRange(p, "health traffic lagSeconds", *t.LagSeconds, 0, MaxTrafficLagSeconds)
	period := t.PeriodSeconds
	switch {
	case period < 1 || period > MaxTrafficPeriodSeconds:
		p.add("health traffic periodSeconds %d must be 1, 5, 10, 20, 30 or a multiple of 60 up to %d", period, MaxTrafficPeriodSeconds)
		return
	case period < 60 && !slices.Contains(TrafficPeriods, period), period > 60 && period%60 != 0:
		p.add("health traffic periodSeconds %d must be 1, 5, 10, 20, 30 (high-resolution metrics) or a multiple of 60, as CloudWatch's GetMetricData takes them", period)
		return
	}
	switch t.OnInconclusive {
	case InconclusiveFail, InconclusivePass:
	default:
		p.add("health traffic onInconclusive %.32q must be fail or pass", t.OnInconclusive)
	}
	ttl, lag, bake := int(c.Endpoint.TTL), *t.LagSeconds, *c.Strategy.BakeSeconds
	if need := ttl + period + lag; bake < need {
		p.add("strategy bakeSeconds %d is too short for health traffic: it must be at least %d, the endpoint ttl %d (clients see the new weights) + one periodSeconds %d (the window) + lagSeconds %d (CloudWatch has the data)",
			bake, need, ttl, period, lag)
	}
	if longest := bake + *t.MaxExtensions*period; period < 60 && longest > HighResolutionRetention {
		p.add("health traffic periodSeconds %d keeps data for %d s only, less than a bake of %d s with its %d extensions (%d s): use a period of 60 or more",
			period, HighResolutionRetention, bake, *t.MaxExtensions, longest)
	}
}

func inRange(p *problems, what string, n, lo, hi int) {
	if n < lo || n > hi {
		p.add("%s %d must be %d-%d", what, n, lo, hi)
	}
}

// problems collects validation problems.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p *problems) check(err error) {
	if err != nil {
		*p = append(*p, err.Error())
	}
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

// overridable are the protected fields allowOverrides may name.
func overridable() []string {
	var out []string
	for _, f := range Protected {
		if !slices.Contains(NeverOverridable, f) {
			out = append(out, f)
		}
	}
	return out
}
