// Package r53model models what Route 53 enforces and moto does not, for the local AWS's gateway: the request-rate
// token buckets (one for the account, one per operation), the change-throughput bucket, PriorRequestNotComplete
// while a hosted zone is still processing an earlier change, and change propagation (PENDING, then INSYNC).
//
// It is pure logic on an injected clock, so each rule is tested against AWS's documented behaviour without HTTP or
// moto; the gateway reads the requests off the wire, asks the model, and writes Route 53's answers.
//
// What AWS documents, and where ("Throttling for Amazon Route 53 API requests",
// https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/throttling-api-requests.html):
//
//   - "Route 53 applies two independent limits: Request rate: the number of API requests per second. Change
//     throughput: the number of individual DNS record changes per second, aggregated across the API actions that
//     modify DNS data. A request can be throttled by either limit", answered "HTTP 400 error (Bad request)" with
//     "a Code element with a value of Throttling and a Message element with a value of Rate exceeded".
//   - "Route 53 uses a token bucket algorithm. [...] Each request (for the request rate limit) or each change (for
//     the change throughput limit) removes tokens from the applicable bucket. The bucket refills at a fixed rate
//     every second, up to its maximum capacity"; "you can use refill tokens as they are added".
//   - Request rate at two levels: "All Amazon Route 53 API requests from your account draw from one bucket" and
//     "each API action also has its own bucket"; "a request consumes tokens from both buckets and is throttled if
//     either bucket is empty". The account's bucket and every unlisted operation's: 50 tokens, refilled at 10 per
//     second; the listed ones are in DocumentedOperations (CreateHealthCheck: 50, 0.5 per second).
//   - The change-throughput bucket's figures are not published: AssumedChanges says what the model assumes.
//   - PriorRequestNotComplete: "If Route 53 can't process a request before the next request arrives, it will reject
//     subsequent requests for the same hosted zone and return an HTTP 400 error (Bad request)" with "a Code
//     element with a value of PriorRequestNotComplete and a Message element with a value of The request was
//     rejected because Route 53 was still processing a prior request" (Developer Guide, Quotas, for
//     ChangeResourceRecordSets requests).
//   - Propagation: "PENDING indicates that the changes in this request have not propagated to all Amazon Route 53
//     DNS servers managing the hosted zone. This is the initial status of all change batch requests. INSYNC
//     indicates that the changes have propagated" (API Reference, GetChange); "Changes generally propagate to all
//     Route 53 name servers within 60 seconds" (Developer Guide, Editing records).
//
// Where AWS says nothing, the model chooses, and says so: a refused request takes no token from the bucket that
// refused it (nor from the ones after it); a request refused by PriorRequestNotComplete or by the change bucket has
// drawn its request-rate tokens (it reached Route 53); each Change element of a batch is one change (an UPSERT
// too); a batch of more changes than the change bucket holds is taken when the bucket is full, and leaves it in
// debt.
package r53model

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Config is what the model enforces. The zero Config enforces nothing: moto's behaviour. Documented returns the
// documented buckets; propagation and PriorRequestNotComplete are set apart, since their durations vary on AWS.
type Config struct {
	// Account is the bucket every metered request draws one token from; the zero Bucket is none.
	Account Bucket `json:"account"`
	// Operations are the per-operation buckets by operation name ("ChangeResourceRecordSets"); Operation is every
	// other operation's. Each metered request draws one token from its operation's bucket; zero Buckets are none.
	Operations map[string]Bucket `json:"operations,omitempty"`
	Operation  Bucket            `json:"operation"`
	// Changes is the change-throughput bucket: a ChangeResourceRecordSets draws one token per change in its batch.
	Changes Bucket `json:"changes"`
	// PriorRequest is how long a hosted zone keeps processing a change batch after accepting it: until then (and
	// while a batch to it is being applied) it refuses the next ChangeResourceRecordSets with
	// PriorRequestNotComplete. 0: never refused.
	PriorRequest time.Duration `json:"priorRequest,omitempty"`
	// Propagation is how long an accepted change stays PENDING before it is INSYNC. 0: INSYNC at once, as moto answers.
	Propagation time.Duration `json:"propagation,omitempty"`
	// Callers are the access keys whose calls the model meters (on the local AWS, the deployer's functions':
	// localdeploy.FunctionsAccessKey). Empty: every caller. Calls of other callers — a test's set-up, a data plane
	// — take no token, are never refused, and their changes are INSYNC at once; GetChange answers anyone by change id.
	Callers []string `json:"callers,omitempty"`
	// Now is the model's clock; nil is time.Now.
	Now func() time.Time `json:"-"`
}

// Documented returns the buckets as AWS documents them (and AssumedChanges), metering every caller, with no
// propagation delay and no PriorRequestNotComplete.
func Documented() Config {
	return Config{
		Account:    DocumentedAccount,
		Operation:  DocumentedOperation,
		Operations: DocumentedOperations(),
		Changes:    AssumedChanges,
	}
}

// The rules by which the model refuses a request (Refusal.Limit).
const (
	LimitAccount      = "account"       // the account's request-rate bucket was empty
	LimitOperation    = "operation"     // the operation's request-rate bucket was empty
	LimitChanges      = "changes"       // the change-throughput bucket held too few tokens for the batch
	LimitPriorRequest = "prior-request" // the hosted zone was still processing an earlier change
)

// Refusal is the model's answer to a request Route 53 would refuse: Code and Message as Route 53 answers them
// (with HTTP 400, error type Sender), Limit naming the rule.
type Refusal struct {
	Limit   string
	Code    string
	Message string
	// Zone is the hosted zone of a PriorRequestNotComplete.
	Zone string
}

func (r *Refusal) Error() string {
	if r.Zone != "" {
		return fmt.Sprintf("route 53 model: %s (%s, hosted zone %s): %s", r.Code, r.Limit, r.Zone, r.Message)
	}
	return fmt.Sprintf("route 53 model: %s (%s bucket): %s", r.Code, r.Limit, r.Message)
}

// Request is what the model needs to know of a Route 53 call.
type Request struct {
	// Caller is the access key the call was signed with.
	Caller string
	// Operation is the API operation, e.g. "ChangeResourceRecordSets".
	Operation string
	// Zone is the hosted zone id of a ChangeResourceRecordSets; Changes the number of Change elements in its batch.
	Zone    string
	Changes int
}

// ChangeStatus is a change's status, as GetChange reports it.
type ChangeStatus string

// The two statuses of a change.
const (
	Pending ChangeStatus = "PENDING"
	InSync  ChangeStatus = "INSYNC"
)

// Change is an accepted change batch, as Route 53 reports it.
type Change struct {
	// ID is the change's id, without "/change/".
	ID          string
	Status      ChangeStatus
	SubmittedAt time.Time
}

// Model is the state of the modelled Route 53: the buckets' tokens, the zones' processing and the changes'
// propagation. Its methods are safe for concurrent use.
type Model struct {
	cfg     Config
	now     func() time.Time
	callers map[string]bool

	mu      sync.Mutex
	account *bucket
	ops     map[string]*bucket
	changes *bucket
	zones   map[string]*zoneState
	pending map[string]change
}

type zoneState struct {
	applying  int       // batches admitted and not yet answered
	busyUntil time.Time // the last accepted batch's processing ends
}

type change struct {
	submitted, inSync time.Time
}

// New returns a model enforcing cfg, with every bucket full.
func New(cfg Config) *Model {
	m := &Model{cfg: cfg, now: cfg.Now, ops: map[string]*bucket{}, zones: map[string]*zoneState{}, pending: map[string]change{}}
	if m.now == nil {
		m.now = time.Now
	}
	if len(cfg.Callers) > 0 {
		m.callers = map[string]bool{}
		for _, k := range cfg.Callers {
			m.callers[k] = true
		}
	}
	start := m.now()
	m.account = newBucket(cfg.Account, start)
	m.changes = newBucket(cfg.Changes, start)
	return m
}

// Config returns what the model enforces.
func (m *Model) Config() Config {
	cfg := m.cfg
	cfg.Operations = maps.Clone(cfg.Operations)
	cfg.Callers = slices.Clone(cfg.Callers)
	return cfg
}

// Metered reports whether the model meters the calls of that caller.
func (m *Model) Metered(caller string) bool {
	return m.callers == nil || m.callers[caller]
}

// Admit decides a request as Route 53 would now: a *Refusal when it would refuse it, else nil. An admitted
// ChangeResourceRecordSets of a metered caller gets a Ticket, on which the caller reports moto's answer; every
// other admitted request gets none.
func (m *Model) Admit(r Request) (*Ticket, error) {
	if !m.Metered(r.Caller) {
		return nil, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	op := m.operation(r.Operation, now)
	switch {
	case !m.account.has(1, now):
		return nil, throttled(LimitAccount)
	case !op.has(1, now):
		return nil, throttled(LimitOperation)
	}
	m.account.take(1)
	op.take(1)
	if r.Operation != "ChangeResourceRecordSets" {
		return nil, nil
	}
	z := m.zone(r.Zone)
	if m.cfg.PriorRequest > 0 && (z.applying > 0 || now.Before(z.busyUntil)) {
		return nil, &Refusal{Limit: LimitPriorRequest, Code: "PriorRequestNotComplete", Zone: r.Zone,
			Message: "The request was rejected because Route 53 was still processing a prior request."}
	}
	n := float64(r.Changes)
	if !m.changes.has(min(n, m.changes.Burst), now) {
		return nil, throttled(LimitChanges)
	}
	m.changes.take(n)
	z.applying++
	return &Ticket{m: m, zone: r.Zone}, nil
}

func throttled(limit string) *Refusal {
	return &Refusal{Limit: limit, Code: "Throttling", Message: "Rate exceeded"}
}

// operation returns the bucket of an operation, made full on its first request.
func (m *Model) operation(name string, now time.Time) *bucket {
	b, ok := m.ops[name]
	if !ok {
		spec, listed := m.cfg.Operations[name]
		if !listed {
			spec = m.cfg.Operation
		}
		b = newBucket(spec, now)
		m.ops[name] = b
	}
	return b
}

func (m *Model) zone(id string) *zoneState {
	z, ok := m.zones[id]
	if !ok {
		z = &zoneState{}
		m.zones[id] = z
	}
	return z
}

// Change returns the change of that id (with or without "/change/") as GetChange reports it now, when the model
// made it; false when it did not (a change of an unmetered caller, or one made before the model).
func (m *Model) Change(id string) (Change, bool) {
	id = bareID(id)
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.pending[id]
	if !ok {
		return Change{}, false
	}
	return c.report(id, m.now()), true
}

func (c change) report(id string, now time.Time) Change {
	status := InSync
	if now.Before(c.inSync) {
		status = Pending
	}
	return Change{ID: id, Status: status, SubmittedAt: c.submitted}
}

func bareID(id string) string {
	const prefix = "/change/"
	if len(id) > len(prefix) && id[:len(prefix)] == prefix {
		return id[len(prefix):]
	}
	return id
}

// Ticket is an admitted change batch, until moto's answer is known.
type Ticket struct {
	m    *Model
	zone string
	once sync.Once
	done Change
}

// Accepted records that the batch was applied: its zone is processing it for PriorRequest, and the change is
// PENDING for Propagation. It returns the change to answer with: a new id (moto gives every change the same one)
// and its status. Only the first of Accepted and Rejected counts.
func (t *Ticket) Accepted() Change {
	t.once.Do(func() {
		m := t.m
		m.mu.Lock()
		defer m.mu.Unlock()
		now := m.now()
		z := m.zone(t.zone)
		z.applying--
		if until := now.Add(m.cfg.PriorRequest); until.After(z.busyUntil) {
			z.busyUntil = until
		}
		id := newChangeID()
		c := change{submitted: now, inSync: now.Add(m.cfg.Propagation)}
		m.pending[id] = c
		t.done = c.report(id, now)
	})
	return t.done
}

// Rejected records that the batch was refused (or never answered): its zone is free of it. The change tokens it
// drew stay drawn.
func (t *Ticket) Rejected() {
	t.once.Do(func() {
		t.m.mu.Lock()
		defer t.m.mu.Unlock()
		t.m.zone(t.zone).applying--
	})
}

// newChangeID returns an id of Route 53's shape: "C" and upper-case letters and digits.
func newChangeID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return "C" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
}

// Tokens returns the tokens in each bucket now, by "account", "changes" and operation name (those requested so
// far), for tests and the bench; unlimited buckets are left out.
func (m *Model) Tokens() map[string]float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	out := map[string]float64{}
	add := func(name string, b *bucket) {
		if !b.Unlimited() {
			b.has(0, now)
			out[name] = b.tokens
		}
	}
	add(LimitAccount, m.account)
	add(LimitChanges, m.changes)
	for name, b := range m.ops {
		add(name, b)
	}
	return out
}
