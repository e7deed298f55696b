package records

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Record types the deployer writes.
const (
	TypeA     = "A"
	TypeCNAME = "CNAME"
	TypeTXT   = "TXT"
)

// MaxWeight is the largest weight Route 53 accepts.
const MaxWeight = 255

// Alias is the target of an alias record.
type Alias struct {
	// HostedZoneID is the hosted zone of the target: a load balancer's canonical zone, or this zone.
	HostedZoneID string `json:"hostedZoneId"`
	// DNSName is the target's name, lower-case without the trailing dot.
	DNSName string `json:"dnsName"`
	// EvaluateTargetHealth makes Route 53 answer with the record only while its target is healthy (a load
	// balancer with a healthy target in each target group that has targets; an alias into the zone, its target
	// record's health). The deployer sets it on an app's alias records when the app has routing.failover on.
	EvaluateTargetHealth bool `json:"evaluateTargetHealth,omitempty"`
}

// Record is one resource record set, with names normalized (lower-case, no trailing dot). TXT values keep their
// quotes, as on the wire.
type Record struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	TTL           int64    `json:"ttl,omitempty"`
	Values        []string `json:"values,omitempty"`
	SetIdentifier string   `json:"setIdentifier,omitempty"`
	Weight        *int64   `json:"weight,omitempty"`
	Alias         *Alias   `json:"alias,omitempty"`
	// HealthCheckID is the Route 53 health check the record is answered with only while it is healthy: the
	// deployer sets it on a CNAME app's weighted records when the app has routing.failover on.
	HealthCheckID string `json:"healthCheckId,omitempty"`
}

// Key identifies a record set within a zone: name, type and SetIdentifier.
type Key struct {
	Name          string
	Type          string
	SetIdentifier string
}

// Key returns the record's identity.
func (r Record) Key() Key { return Key{Name: r.Name, Type: r.Type, SetIdentifier: r.SetIdentifier} }

// String renders a key for messages.
func (k Key) String() string {
	if k.SetIdentifier != "" {
		return fmt.Sprintf("%s %s (%s)", k.Name, k.Type, k.SetIdentifier)
	}
	return k.Name + " " + k.Type
}

// Weighted reports whether the record is a member of a weighted group.
func (r Record) Weighted() bool { return r.Weight != nil }

// Target returns where the record points: the alias target or the first value.
func (r Record) Target() string {
	if r.Alias != nil {
		return r.Alias.DNSName
	}
	if len(r.Values) > 0 {
		return Normalize(r.Values[0])
	}
	return ""
}

// Equal reports whether two records are the same record set with the same data.
func (r Record) Equal(o Record) bool {
	if r.Key() != o.Key() || r.TTL != o.TTL || !slices.Equal(r.Values, o.Values) || r.HealthCheckID != o.HealthCheckID {
		return false
	}
	if (r.Weight == nil) != (o.Weight == nil) || (r.Weight != nil && *r.Weight != *o.Weight) {
		return false
	}
	if (r.Alias == nil) != (o.Alias == nil) {
		return false
	}
	return r.Alias == nil || *r.Alias == *o.Alias
}

// Clone returns a deep copy.
func (r Record) Clone() Record {
	c := r
	c.Values = slices.Clone(r.Values)
	if r.Weight != nil {
		w := *r.Weight
		c.Weight = &w
	}
	if r.Alias != nil {
		a := *r.Alias
		c.Alias = &a
	}
	return c
}

// String renders the record on one line for logs and tables.
func (r Record) String() string {
	var b strings.Builder
	b.WriteString(r.Name + " " + r.Type)
	if r.SetIdentifier != "" {
		b.WriteString(" id=" + r.SetIdentifier)
	}
	if r.Weight != nil {
		b.WriteString(" weight=" + strconv.FormatInt(*r.Weight, 10))
	}
	if r.Alias != nil {
		b.WriteString(" alias=" + r.Alias.DNSName)
		if r.Alias.EvaluateTargetHealth {
			b.WriteString(" evaluate-target-health")
		}
	} else {
		b.WriteString(" " + strings.Join(r.Values, ","))
	}
	if r.HealthCheckID != "" {
		b.WriteString(" health-check=" + r.HealthCheckID)
	}
	return b.String()
}

// Weight returns a pointer to w, for Record.Weight.
func Weight(w int64) *int64 { return &w }

// Quote returns a TXT value as it is written on the wire.
func Quote(s string) string { return strconv.Quote(s) }

// Unquote returns the text of a quoted TXT value; ok is false when v is not one quoted string.
func Unquote(v string) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	s, err := strconv.Unquote(v)
	return s, err == nil
}

// TXT returns a TXT record holding one value.
func TXT(name string, ttl int64, value string) Record {
	return Record{Name: name, Type: TypeTXT, TTL: ttl, Values: []string{Quote(value)}}
}

// Action is a change's action.
type Action string

// The change actions of Route 53.
const (
	Create Action = "CREATE"
	Delete Action = "DELETE"
	Upsert Action = "UPSERT"
)

// Change is one change of a batch.
type Change struct {
	Action Action `json:"action"`
	Record Record `json:"record"`
}

// Batch is one ChangeResourceRecordSets call: all of it is applied, or none.
type Batch struct {
	Comment string   `json:"comment,omitempty"`
	Changes []Change `json:"changes"`
	// Depends are records the batch does not change but relies on being as they are: the writer deletes and
	// re-creates each exactly as read in the same batch, so that a hand edit of one refuses the batch rather than
	// being kept (a shift relies on the slots and stack.active). They never make a batch worth sending on their own.
	Depends []Record `json:"depends,omitempty"`
}

// Empty reports whether the batch changes nothing.
func (b Batch) Empty() bool { return len(b.Changes) == 0 }
