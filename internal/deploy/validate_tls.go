package deploy

import (
	"errors"
	"strings"

	"github.com/bluegreen-aws/bluegreen/internal/certpool"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// The names health.serverName takes besides a literal DNS name.
const (
	// ServerNameHost presents the app's host.
	ServerNameHost = "host"
	// ServerNameStack presents the stack's endpoint record, <app>-<id>.<zone>.
	ServerNameStack = "stack"
)

// validateTLS checks the names and the trust the probes use: serverName is host, stack or a DNS name; rootCAs, when
// set, a bundle of PEM certificates that parse, within certpool.MaxBytes (no content of a bad block is shown).
func (h HealthConfig) validateTLS(p *problems) {
	switch h.ServerName {
	case "", ServerNameHost, ServerNameStack:
	default:
		if err := records.ValidateDomain(h.ServerName); err != nil {
			p.add("health serverName %q must be %q, %q or a DNS name: %v", h.ServerName, ServerNameHost, ServerNameStack, err)
		}
	}
	if h.RootCAs != "" {
		var bad *certpool.Error
		if _, err := certpool.Parse(h.RootCAs); errors.As(err, &bad) {
			p.add("health rootCAs: %s", strings.Join(bad.Problems, "; "))
		} else if err != nil {
			p.add("health rootCAs: %v", err)
		}
	}
}
