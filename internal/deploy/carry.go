package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// BodyRef stands in the state document for the run's template body, which the document never carries: a body is up
// to 51,200 bytes, and the document passes through every state of the execution, within Step Functions' 256 KiB
// (see StateBudget). Prepare records the body's size and digest; Create, the one step that needs the body, reads it
// again where Prepare did (the app's stored configuration merged with the execution's overrides, by ResolveConfig),
// and Template refuses a body that is not the one Prepare validated.
type BodyRef struct {
	Bytes  int    `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// refOf returns the BodyRef of a template body.
func refOf(body string) *BodyRef {
	sum := sha256.Sum256([]byte(body))
	return &BodyRef{Bytes: len(body), SHA256: hex.EncodeToString(sum[:])}
}

// Carry puts Prepare's resolved configuration in the state document: its template body replaced by a BodyRef
// (State.TemplateBody), and the input's overrides and trigger event left out of State.Input — Prepare has turned
// them into the configuration and into the release's version, artifact and source, and the execution keeps its
// input, which Create reads again for a body.
func (s *State) Carry(cfg Config) {
	s.TemplateBody = nil
	if cfg.Template.Body != "" {
		s.TemplateBody = refOf(cfg.Template.Body)
		cfg.Template.Body = ""
	}
	s.Config = &cfg
	s.Input.Config, s.Input.Event = nil, nil
}

// Template returns the run's template, given the configuration made again as Prepare made it (cfg): the state's own
// template when it names a URL or, from a run of an earlier version, carries its body; otherwise cfg's body, which
// must be the one Prepare recorded (a ValidationError when the stored configuration changed its body since).
func (s *State) Template(cfg *Config) (Template, error) {
	if s.TemplateBody == nil {
		return s.Config.Template, nil
	}
	got := refOf(cfg.Template.Body)
	if cfg.Template.Body == "" || *got != *s.TemplateBody {
		return Template{}, &ValidationError{Problems: []string{fmt.Sprintf(
			"the template body is no longer the one this run was prepared with (%d bytes, sha256 %s; now %d bytes, sha256 %s): the app's configuration changed since; start a new deployment",
			s.TemplateBody.Bytes, s.TemplateBody.SHA256, got.Bytes, got.SHA256)}}
	}
	return Template{Body: cfg.Template.Body}, nil
}

// NeedsTemplateBody reports whether the run's template body must be read again (Template) before it is used.
func (s *State) NeedsTemplateBody() bool { return s.TemplateBody != nil }
