package deploy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/bluegreen-aws/bluegreen/internal/exactjson"
)

// Defaults.
const (
	DefaultEndpointOutput  = "LoadBalancerDNSName"
	DefaultHealthURLOutput = "HealthURL"
	DefaultTTL             = 60
	DefaultDrainSeconds    = 60
	DefaultBakeSeconds     = 60
	DefaultApprovalTimeout = 86400
	DefaultWatchSeconds    = 300
	DefaultWatchInterval   = 60
	DefaultStackTimeout    = 1800
	DefaultPollSeconds     = 5
	MaxPollSeconds         = 60
	DefaultHealthRetrySecs = 10
	DefaultHealthRetries   = 3
	DefaultProbeSuccesses  = 3
	DefaultProbeAttempts   = 5
	DefaultProbeIntervalMs = 1000
	DefaultProbeTimeoutMs  = 5000
	DefaultLatencyBudgetMs = 2000
	DefaultHealthPath      = "/"
	DefaultHealthScheme    = "http"
	// health.traffic: defaults that work with ALB metrics on AWS (60-second periods that arrive a minute or two late).
	DefaultTrafficMinRequests   = 100
	DefaultTrafficTolerance     = 0.5
	DefaultTrafficExtensions    = 3
	DefaultTrafficLagSeconds    = 120
	DefaultTrafficPeriodSeconds = 60
)

// DefaultSteps are the new stack's traffic shares before the switch.
var DefaultSteps = []int{10, 30, 60}

// The template parameters the deployer passes to every stack; an app's own parameters may not use these names.
const (
	ParamArtifact = "Artifact"
	ParamVersion  = "Version"
	ParamColor    = "Color"
	ParamStackID  = "StackId"
)

// DecodeConfig decodes an app's stored configuration with exact keys (exactjson): a key that differs from a
// field's name by case or folding, a duplicate key or an unknown key is a ValidationError naming it.
func DecodeConfig(stored []byte) (Config, error) {
	var c Config
	if len(stored) == 0 {
		return c, nil
	}
	if err := exactjson.Decode(stored, &c, exactjson.Options{What: "the stored configuration"}); err != nil {
		return Config{}, validationOf(err, "", "stored configuration: ")
	}
	return c, nil
}

// ResolveConfig is the one way an execution's configuration is made, by Prepare and by the CLI alike: the app's
// stored configuration and each override are checked with exact keys and merged (MergeConfig), no protected field
// may differ from the stored one unless the stored allowOverrides names it, and the result is resolved (defaults)
// and validated for app. Every problem is reported as one ValidationError.
func ResolveConfig(app string, stored []byte, overrides ...json.RawMessage) (Config, error) {
	base, err := DecodeConfig(stored)
	if err != nil {
		return Config{}, err
	}
	c, err := merge(stored, overrides)
	if err != nil {
		return Config{}, err
	}
	var p problems
	for _, f := range protectedFields {
		switch {
		case reflect.DeepEqual(f.get(&c), f.get(&base)):
		case slices.Contains(NeverOverridable, f.name):
			p.add("config.%s cannot be overridden by an execution's input: only the app's stored configuration sets it", f.name)
		case !slices.Contains(base.AllowOverrides, f.name):
			p.add("config.%s cannot be overridden by an execution's input: the app's stored configuration does not list it in allowOverrides", f.name)
		}
	}
	if err := p.err(); err != nil {
		return Config{}, err
	}
	c.Resolve()
	if err := c.Validate(app); err != nil {
		return Config{}, err
	}
	return c, nil
}

// MergeConfig checks the stored configuration and each override (JSON merge patches, RFC 7386, in order) with
// exact keys and applies the overrides. It neither resolves nor validates: ResolveConfig does, after it has checked
// the protected fields.
func MergeConfig(stored []byte, overrides ...json.RawMessage) (Config, error) {
	if _, err := DecodeConfig(stored); err != nil {
		return Config{}, err
	}
	return merge(stored, overrides)
}

// merge applies the overrides to a stored configuration DecodeConfig has accepted.
func merge(stored []byte, overrides []json.RawMessage) (Config, error) {
	var tree any = map[string]any{}
	if len(stored) > 0 {
		_ = json.Unmarshal(stored, &tree) // decoded above: keys exact and unique
	}
	for _, o := range overrides {
		if len(o) == 0 || string(o) == "null" {
			continue
		}
		if err := CheckPatch(o, "config"); err != nil {
			return Config{}, err
		}
		var patch any
		_ = json.Unmarshal(o, &patch) // checked above
		tree = mergePatch(tree, patch)
	}
	merged, err := json.Marshal(tree)
	if err != nil {
		return Config{}, fmt.Errorf("merge the configuration: %w", err)
	}
	var c Config
	if err := exactjson.Decode(merged, &c, exactjson.Options{What: "the merged configuration"}); err != nil {
		return Config{}, validationOf(err, "config", "")
	}
	return c, nil
}

// mergePatch applies an RFC 7386 merge patch: objects merge key by key, null deletes, anything else replaces.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}

// Resolve fills every unset field with its default.
func (c *Config) Resolve() {
	e := &c.Endpoint
	e.Type = or(e.Type, EndpointAlias)
	e.Output = or(e.Output, DefaultEndpointOutput)
	if e.TTL == 0 {
		e.TTL = DefaultTTL
	}
	h := &c.Health
	h.URLOutput = or(h.URLOutput, DefaultHealthURLOutput)
	h.Scheme = or(h.Scheme, DefaultHealthScheme)
	h.Path = or(h.Path, DefaultHealthPath)
	if len(h.ExpectedStatus) == 0 {
		h.ExpectedStatus = []int{200}
	}
	h.LatencyBudgetMillis = orInt(h.LatencyBudgetMillis, DefaultLatencyBudgetMs)
	h.TimeoutMillis = orInt(h.TimeoutMillis, DefaultProbeTimeoutMs)
	h.Successes = orInt(h.Successes, DefaultProbeSuccesses)
	h.Attempts = orInt(h.Attempts, max(DefaultProbeAttempts, h.Successes))
	h.IntervalMillis = orInt(h.IntervalMillis, DefaultProbeIntervalMs)
	h.RetrySeconds = orPtr(h.RetrySeconds, DefaultHealthRetrySecs)
	h.Retries = orPtr(h.Retries, DefaultHealthRetries)
	if t := h.Traffic; t != nil {
		t.MinRequests = orInt(t.MinRequests, DefaultTrafficMinRequests)
		if t.Tolerance == nil {
			tol := DefaultTrafficTolerance
			t.Tolerance = &tol
		}
		t.MaxExtensions = orPtr(t.MaxExtensions, DefaultTrafficExtensions)
		t.LagSeconds = orPtr(t.LagSeconds, DefaultTrafficLagSeconds)
		t.PeriodSeconds = orInt(t.PeriodSeconds, DefaultTrafficPeriodSeconds)
		t.OnInconclusive = or(t.OnInconclusive, InconclusiveFail)
	}
	s := &c.Strategy
	if s.Steps == nil {
		s.Steps = slices.Clone(DefaultSteps)
	}
	s.BakeSeconds = orPtr(s.BakeSeconds, DefaultBakeSeconds)
	s.ApprovalTimeoutSeconds = orInt(s.ApprovalTimeoutSeconds, DefaultApprovalTimeout)
	s.WatchSeconds = orPtr(s.WatchSeconds, DefaultWatchSeconds)
	s.WatchIntervalSeconds = orPtr(s.WatchIntervalSeconds, DefaultWatchInterval)
	s.StackTimeoutSeconds = orInt(s.StackTimeoutSeconds, DefaultStackTimeout)
	s.PollSeconds = orPtr(s.PollSeconds, DefaultPollSeconds)
	drain := DefaultDrainSeconds
	if e.Type == EndpointCNAME {
		drain = max(drain, int(e.TTL))
	}
	c.DrainSeconds = orPtr(c.DrainSeconds, drain)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orInt(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

func orPtr(p *int, def int) *int {
	if p == nil {
		return &def
	}
	return p
}
