// Package records owns the DNS record model that is the deployer's state store: the names of an app's records, the
// record and change-batch types, the rules Route 53 enforces (checked here because the local emulator does not), the
// change batches of every deployment step, and the reader that derives an app's state from its records.
package records

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
)

// Color names one of the two slots an app's stacks live in.
type Color string

// The two colors.
const (
	Blue  Color = "blue"
	Green Color = "green"
)

// Colors lists both colors in a fixed order.
var Colors = []Color{Blue, Green}

// Other returns the opposite color.
func (c Color) Other() Color {
	if c == Blue {
		return Green
	}
	return Blue
}

// Valid reports whether c is blue or green.
func (c Color) Valid() bool { return c == Blue || c == Green }

const (
	// MaxAppNameLen bounds an app name so that every name derived from it (stack names, record labels, IAM name
	// prefixes) stays within AWS limits.
	MaxAppNameLen = 24
	// StackIDLen is the number of digits in a stack id.
	StackIDLen = 6
)

var (
	// An app name is one DNS label of lower-case letters and digits, starting with a letter. It has no hyphen, so
	// "<app>-" is never a prefix of another app's "<app2>-": per-stack names, SetIdentifiers, stack names and IAM
	// name prefixes of two apps can never equal or cover each other.
	appNameRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,23}$`)
	stackIDRE = regexp.MustCompile(`^[0-9]{6}$`)
	labelRE   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// perStackLabelRE matches the first label of any app's per-stack endpoint name.
	perStackLabelRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,23}-[0-9]{6}$`)
)

// ValidateAppName reports why name cannot be an app name, or nil.
func ValidateAppName(name string) error {
	if !appNameRE.MatchString(name) {
		return fmt.Errorf("app name %q must be 1-%d lower-case letters and digits, starting with a letter (no hyphens)", name, MaxAppNameLen)
	}
	if name == reservedLabel {
		return fmt.Errorf("app name %q is reserved", name)
	}
	return nil
}

// ValidateStackID reports why id cannot be a stack id, or nil.
func ValidateStackID(id string) error {
	if !stackIDRE.MatchString(id) {
		return fmt.Errorf("stack id %q must be exactly %d digits", id, StackIDLen)
	}
	return nil
}

// reservedLabel starts every slot and active TXT record name.
const reservedLabel = "stack"

// Normalize returns a DNS name as this package stores it: lower-case, without the trailing dot.
func Normalize(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}

// ValidateDomain reports why name is not a lower-case DNS name of valid labels without a trailing dot, or nil.
func ValidateDomain(name string) error {
	if name == "" {
		return fmt.Errorf("empty DNS name")
	}
	if len(name) > 253 {
		return fmt.Errorf("DNS name %q is longer than 253 characters", name)
	}
	if name != Normalize(name) {
		return fmt.Errorf("DNS name %q must be lower-case without a trailing dot", name)
	}
	for _, l := range strings.Split(name, ".") {
		if !labelRE.MatchString(l) {
			return fmt.Errorf("DNS name %q has an invalid label %q", name, l)
		}
	}
	return nil
}

// InZone reports whether name is the zone apex or a name below it.
func InZone(name, zone string) bool {
	return name == zone || strings.HasSuffix(name, "."+zone)
}

// App names the records of one app in one hosted zone.
type App struct {
	// Name is the app's name, one label (see ValidateAppName).
	Name string `json:"name"`
	// Zone is the hosted zone's name, lower-case without the trailing dot.
	Zone string `json:"zone"`
	// Host is the name users resolve; it may be the zone apex. Empty means "<name>.<zone>".
	Host string `json:"host,omitempty"`
}

// NewApp returns the app with its host defaulted, after checking every name.
func NewApp(name, zone, host string) (App, error) {
	a := App{Name: name, Zone: Normalize(zone), Host: Normalize(host)}
	if a.Host == "" {
		a.Host = a.Name + "." + a.Zone
	}
	return a, a.Validate()
}

// Validate reports every reason the app's names are unusable, joined, or nil.
func (a App) Validate() error {
	var problems []string
	if err := ValidateAppName(a.Name); err != nil {
		problems = append(problems, err.Error())
	}
	if err := ValidateDomain(a.Zone); err != nil {
		problems = append(problems, "zone: "+err.Error())
	}
	if err := ValidateHost(a.HostName(), a.Zone); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) == 0 {
		// The longest of the app's record names must still be a DNS name.
		if n := a.ActiveName(); len(n) > 253 {
			problems = append(problems, fmt.Sprintf("zone %q is too long for app %q: its record %s would have %d characters (at most 253)", a.Zone, a.Name, n, len(n)))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// ValidateHost reports why host cannot serve an app in zone: it must be a valid name in the zone that cannot be
// mistaken for any app's slot, active or per-stack record.
func ValidateHost(host, zone string) error {
	if err := ValidateDomain(host); err != nil {
		return fmt.Errorf("host: %w", err)
	}
	if !InZone(host, zone) {
		return fmt.Errorf("host %q is not in zone %q", host, zone)
	}
	if host == zone {
		return nil
	}
	first := strings.SplitN(host, ".", 2)[0]
	if first == reservedLabel {
		return fmt.Errorf("host %q starts with the reserved label %q", host, reservedLabel)
	}
	if perStackLabelRE.MatchString(first) {
		return fmt.Errorf("host %q has the shape of a per-stack endpoint name (<app>-<6 digits>)", host)
	}
	return nil
}

// HostName returns the host, defaulted to "<name>.<zone>".
func (a App) HostName() string {
	if a.Host == "" {
		return a.Name + "." + a.Zone
	}
	return a.Host
}

// SlotName is the TXT record naming the stack in a color's slot: stack.<color>.<app>.<zone>.
func (a App) SlotName(c Color) string {
	return reservedLabel + "." + string(c) + "." + a.Name + "." + a.Zone
}

// ActiveName is the TXT record naming the live stack: stack.active.<app>.<zone>.
func (a App) ActiveName() string { return reservedLabel + ".active." + a.Name + "." + a.Zone }

// FenceName is the TXT record every batch of the deployer deletes as read and creates anew: stack.fence.<app>.<zone>.
func (a App) FenceName() string { return reservedLabel + ".fence." + a.Name + "." + a.Zone }

// EndpointName is a stack's endpoint record: <app>-<id>.<zone>.
func (a App) EndpointName(stackID string) string { return a.StackName(stackID) + "." + a.Zone }

// StackName is the CloudFormation stack name of a stack id: <app>-<id>.
func (a App) StackName(stackID string) string { return a.Name + "-" + stackID }

// SetIdentifier is the SetIdentifier of a color's weighted record at the host: <app>-<color>.
func (a App) SetIdentifier(c Color) string { return a.Name + "-" + string(c) }

// Kind says which of an app's records a name is.
type Kind int

// The kinds of an app's records.
const (
	KindNone Kind = iota
	KindSlot
	KindActive
	KindEndpoint
	KindHost
	KindFence
)

// Parsed is what ParseName learned from a record name.
type Parsed struct {
	Kind    Kind
	Color   Color  // KindSlot
	StackID string // KindEndpoint
}

// ParseName says which of the app's records name is. A name can be both the host and nothing else; the host is
// checked first.
func (a App) ParseName(name string) Parsed {
	name = Normalize(name)
	switch {
	case name == a.HostName():
		return Parsed{Kind: KindHost}
	case name == a.ActiveName():
		return Parsed{Kind: KindActive}
	case name == a.FenceName():
		return Parsed{Kind: KindFence}
	case name == a.SlotName(Blue):
		return Parsed{Kind: KindSlot, Color: Blue}
	case name == a.SlotName(Green):
		return Parsed{Kind: KindSlot, Color: Green}
	}
	prefix, suffix := a.Name+"-", "."+a.Zone
	if strings.HasPrefix(name, prefix) && strings.HasSuffix(name, suffix) {
		id := strings.TrimSuffix(strings.TrimPrefix(name, prefix), suffix)
		if ValidateStackID(id) == nil {
			return Parsed{Kind: KindEndpoint, StackID: id}
		}
	}
	return Parsed{Kind: KindNone}
}

// ParseSetIdentifier returns the color of one of the app's SetIdentifiers.
func (a App) ParseSetIdentifier(id string) (Color, bool) {
	for _, c := range Colors {
		if id == a.SetIdentifier(c) {
			return c, true
		}
	}
	return "", false
}

// NewStackID derives a stack id from seed (an execution ARN: the same execution always plans the same id), moving
// to the next id while taken reports it in use.
func NewStackID(seed string, taken func(id string) bool) string {
	sum := sha256.Sum256([]byte(seed))
	n := binary.BigEndian.Uint64(sum[:8]) % 1_000_000
	for range 1_000_000 {
		id := fmt.Sprintf("%06d", n)
		if taken == nil || !taken(id) {
			return id
		}
		n = (n + 1) % 1_000_000
	}
	panic("records: every stack id is taken")
}
