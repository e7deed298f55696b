package deploy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
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

// MergeConfig applies the input's overrides (JSON merge patches, RFC 7386, in order) to the app's stored
// configuration and decodes the result strictly: a misspelt field is an error, not a silently ignored setting.
func MergeConfig(stored json.RawMessage, overrides ...json.RawMessage) (Config, error) {
	var base any = map[string]any{}
	if len(stored) > 0 {
		if err := json.Unmarshal(stored, &base); err != nil {
			return Config{}, fmt.Errorf("stored configuration: %w", err)
		}
	}
	for _, o := range overrides {
		if len(o) == 0 || string(o) == "null" {
			continue
		}
		var patch any
		if err := json.Unmarshal(o, &patch); err != nil {
			return Config{}, fmt.Errorf("config overrides: %w", err)
		}
		base = mergePatch(base, patch)
	}
	merged, err := json.Marshal(base)
	if err != nil {
		return Config{}, fmt.Errorf("merge configuration: %w", err)
	}
	var c Config
	if err := decodeStrict(merged, &c); err != nil {
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// CheckOverrides refuses an execution's overrides of protected fields the stored configuration does not allow.
func CheckOverrides(stored, overrides json.RawMessage) error {
	if len(overrides) == 0 || string(overrides) == "null" {
		return nil
	}
	var patch map[string]any
	if err := json.Unmarshal(overrides, &patch); err != nil {
		return &ValidationError{Problems: []string{"config overrides: " + err.Error()}}
	}
	var allow struct {
		AllowOverrides []string `json:"allowOverrides"`
	}
	_ = json.Unmarshal(stored, &allow) // an unreadable stored configuration fails later, in MergeConfig
	var p problems
	for _, field := range Protected {
		if present(patch, strings.Split(field, ".")) && !slices.Contains(allow.AllowOverrides, field) {
			p.add("config.%s cannot be overridden by an execution's input: the app's stored configuration does not list it in allowOverrides", field)
		}
	}
	return p.err()
}

// present reports whether a JSON object has a value at path.
func present(obj map[string]any, path []string) bool {
	v, ok := obj[path[0]]
	if !ok || len(path) == 1 {
		return ok
	}
	next, isObj := v.(map[string]any)
	return isObj && present(next, path[1:])
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
