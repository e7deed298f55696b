// Package eventbus is the local AWS's EventBridge default event bus, a model of what EventBridge does that moto's
// does not: rules whose target is a state machine start an execution, with the target's input — the event, a
// constant, a part of the event (InputPath) or the input transformer's rendering (Transformer.Render) — and rules
// match events as EventBridge matches them (Pattern). Scheduled rules (rate expressions) fire as the bus's clock
// passes their period (Bus.Advance, or in real time).
//
// The rules live in moto, where PutRule and PutTargets stored them; the bus reads them through Config.Rules (again
// after Invalidate). Events come from PutEvents (PutEntries: the custom events callers may put) and from the AWS
// services the local AWS runs (Put: S3, ECR and Step Functions, whose events the launcher's patches send). Delivery
// is asynchronous and in order of arrival, as EventBridge delivers: a caller waits with WaitIdle.
package eventbus

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Rule is a rule of the default bus with its targets, as moto stores them.
type Rule struct {
	Name, ARN          string
	EventPattern       string
	ScheduleExpression string
	Enabled            bool
	Targets            []Target
}

// Target is a rule's target.
type Target struct {
	ID, ARN, RoleARN string
	// Input is a constant input; InputPath selects part of the event; InputTransformer renders a template. With
	// none of them, the target gets the whole event.
	Input            string
	InputPath        string
	InputTransformer *Transformer
}

// Starter starts state machine executions (the targets the bus delivers to).
type Starter interface {
	StartExecution(ctx context.Context, stateMachineARN, name, input string) (executionARN string, err error)
}

// Config configures a Bus.
type Config struct {
	Account, Region string
	// Rules lists the default bus's rules with their targets.
	Rules func(ctx context.Context) ([]Rule, error)
	// Starter starts the executions of state machine targets.
	Starter Starter
	// Retryable says which delivery errors are tried again (throttling, a service's 5xx); nil: none.
	Retryable func(error) bool
	// Attempts bounds the tries of one delivery (EventBridge retries for up to 24 hours by default; the local bus
	// tries a few times, backing off from RetryWait); 0 means 3.
	Attempts  int
	RetryWait time.Duration
	// Now is the clock (time.Now when nil); the schedules' clock starts at it.
	Now func() time.Time
	// RealTime makes the schedules' clock follow Now, checked every second; otherwise only Advance moves it.
	RealTime bool
}

// Record is what became of one event: the rules it matched and each delivery.
type Record struct {
	ID         string          `json:"id"`
	Source     string          `json:"source"`
	DetailType string          `json:"detailType"`
	Received   time.Time       `json:"received"`
	Event      json.RawMessage `json:"event"`
	// Rules are the names of the rules the event matched.
	Rules      []string   `json:"rules,omitempty"`
	Deliveries []Delivery `json:"deliveries,omitempty"`
	// Error says why the event was not matched at all (the rules could not be read).
	Error string `json:"error,omitempty"`
}

// Delivery is one target's invocation.
type Delivery struct {
	Rule, Target string
	Input        string `json:"input,omitempty"`
	// Execution is the execution a state machine target started; Error why the delivery failed.
	Execution string `json:"execution,omitempty"`
	Error     string `json:"error,omitempty"`
	Attempts  int    `json:"attempts"`
}

// maxRecords bounds the bus's record of events.
const maxRecords = 2000

// Bus is the default event bus. Its methods are safe for concurrent use.
type Bus struct {
	cfg   Config
	queue chan queued
	done  chan struct{}
	stop  context.CancelFunc
	ctx   context.Context

	mu      sync.Mutex
	idle    *sync.Cond
	pending int
	records []Record
	rules   []compiled
	loaded  bool
	clock   time.Time
	next    map[string]time.Time // each schedule's next firing, by rule ARN
}

type queued struct {
	event    map[string]any
	raw      json.RawMessage
	received time.Time
	only     *compiled // a scheduled event: for its rule only
}

type compiled struct {
	Rule
	pattern *Pattern
	period  time.Duration
	err     error
}

// New starts a bus; Close stops it.
func New(cfg Config) *Bus {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.RetryWait <= 0 {
		cfg.RetryWait = 200 * time.Millisecond
	}
	ctx, stop := context.WithCancel(context.Background())
	b := &Bus{cfg: cfg, queue: make(chan queued, 1024), done: make(chan struct{}), stop: stop, ctx: ctx,
		clock: cfg.Now(), next: map[string]time.Time{}}
	b.idle = sync.NewCond(&b.mu)
	go b.dispatch()
	if cfg.RealTime {
		go b.tick()
	}
	return b
}

// Close stops the bus; events still queued are dropped.
func (b *Bus) Close() {
	b.stop()
	<-b.done
}

// Reset forgets the records, the rules read and the schedules' state (the local AWS was reset).
func (b *Bus) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.records, b.rules, b.loaded = nil, nil, false
	b.next = map[string]time.Time{}
}

// Invalidate makes the bus read the rules again before the next event (they changed).
func (b *Bus) Invalidate() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.loaded = false
}

// Records returns what became of the events received, oldest first.
func (b *Bus) Records() []Record {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Record(nil), b.records...)
}

// WaitIdle waits until every event received so far has been delivered.
func (b *Bus) WaitIdle(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.idle.Broadcast()
	})
	defer stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.pending > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.idle.Wait()
	}
	return nil
}

// Put sends a service's event (an envelope with version, id, detail-type, source, account, time, region,
// resources, detail) to the bus, as an AWS service delivers its events to the default bus.
func (b *Bus) Put(event []byte) error {
	v, err := decodeJSON(event)
	if err != nil {
		return fmt.Errorf("event: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return errors.New("event: not a JSON object")
	}
	for _, f := range []string{"source", "detail-type"} {
		if s, _ := obj[f].(string); s == "" {
			return fmt.Errorf("event: no %s", f)
		}
	}
	if _, ok := obj["id"].(string); !ok {
		obj["id"] = newUUID()
	}
	b.enqueue(queued{event: obj, received: b.cfg.Now()})
	return nil
}

// Entry is one entry of PutEvents.
type Entry struct {
	Source, DetailType, Detail, EventBusName string
	Resources                                []string
	Time                                     *time.Time
}

// Result is PutEvents' answer for one entry: its event's id, or why it was refused.
type Result struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// PutEntries is PutEvents on the default bus. Each entry is judged on its own ("PutEvents", EventBridge API
// Reference): Source, DetailType and Detail are required, Detail must be a JSON object, and a source starting with
// "aws." is an AWS service's, which no caller may put (NotAuthorizedForSourceException).
func (b *Bus) PutEntries(entries []Entry) []Result {
	out := make([]Result, len(entries))
	for i, e := range entries {
		switch {
		case e.Source == "" || e.DetailType == "" || e.Detail == "":
			out[i] = Result{ErrorCode: "InvalidArgument", ErrorMessage: "Parameters Source, DetailType and Detail are required."}
			continue
		case strings.HasPrefix(e.Source, "aws."):
			out[i] = Result{ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: "Not authorized for the source."}
			continue
		}
		detail, err := decodeJSON([]byte(e.Detail))
		if _, isObject := detail.(map[string]any); err != nil || !isObject {
			out[i] = Result{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed."}
			continue
		}
		at := b.cfg.Now()
		if e.Time != nil {
			at = *e.Time
		}
		resources := []any{}
		for _, r := range e.Resources {
			resources = append(resources, r)
		}
		id := newUUID()
		b.enqueue(queued{received: b.cfg.Now(), event: map[string]any{
			"version": "0", "id": id, "detail-type": e.DetailType, "source": e.Source, "account": b.cfg.Account,
			"time": at.UTC().Format(timeLayout), "region": b.cfg.Region, "resources": resources, "detail": detail,
		}})
		out[i] = Result{EventID: id}
	}
	return out
}

// timeLayout is the envelope's time: ISO 8601 to the second, in UTC.
const timeLayout = "2006-01-02T15:04:05Z"

func (b *Bus) enqueue(q queued) {
	if q.raw == nil {
		q.raw = json.RawMessage(encode(q.event))
	}
	b.mu.Lock()
	b.pending++
	b.mu.Unlock()
	select {
	case b.queue <- q:
	case <-b.ctx.Done():
		b.finish()
	}
}

func (b *Bus) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending--
	if b.pending == 0 {
		b.idle.Broadcast()
	}
}

func (b *Bus) dispatch() {
	defer close(b.done)
	for {
		select {
		case <-b.ctx.Done():
			return
		case q := <-b.queue:
			b.deliver(q)
			b.finish()
		}
	}
}

// deliver matches an event against the enabled rules and invokes the targets of those it matches.
func (b *Bus) deliver(q queued) {
	rec := Record{Received: q.received, Event: q.raw}
	rec.ID, _ = q.event["id"].(string)
	rec.Source, _ = q.event["source"].(string)
	rec.DetailType, _ = q.event["detail-type"].(string)
	var rules []compiled
	if q.only != nil {
		rules = []compiled{*q.only}
	} else {
		var err error
		if rules, err = b.loadRules(); err != nil {
			rec.Error = err.Error()
		}
	}
	for _, r := range rules {
		if q.only == nil && (!r.Enabled || r.pattern == nil || !r.pattern.MatchValue(q.event)) {
			continue
		}
		rec.Rules = append(rec.Rules, r.Name)
		for _, t := range r.Targets {
			rec.Deliveries = append(rec.Deliveries, b.invoke(r, t, q))
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.records = append(b.records, rec)
	if len(b.records) > maxRecords {
		b.records = b.records[len(b.records)-maxRecords:]
	}
}

// invoke delivers an event to one target, trying again while the error is retryable.
func (b *Bus) invoke(r compiled, t Target, q queued) Delivery {
	d := Delivery{Rule: r.Name, Target: t.ID}
	input, err := targetInput(t, q, r)
	if err != nil {
		d.Error = "the target's input: " + err.Error()
		return d
	}
	d.Input = input
	if !strings.HasPrefix(t.ARN, "arn:") || !strings.Contains(t.ARN, ":states:") || !strings.Contains(t.ARN, ":stateMachine:") {
		d.Error = "target " + t.ARN + ": the local EventBridge delivers to state machines only"
		return d
	}
	wait := b.cfg.RetryWait
	for d.Attempts = 1; ; d.Attempts++ {
		arn, err := b.cfg.Starter.StartExecution(b.ctx, t.ARN, newUUID(), input)
		if err == nil {
			d.Execution = arn
			return d
		}
		d.Error = err.Error()
		if d.Attempts >= b.cfg.Attempts || b.cfg.Retryable == nil || !b.cfg.Retryable(err) {
			return d
		}
		select {
		case <-b.ctx.Done():
			return d
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// targetInput is what a target gets for an event.
func targetInput(t Target, q queued, r compiled) (string, error) {
	switch {
	case t.Input != "":
		return t.Input, nil
	case t.InputPath != "":
		p, err := parsePath(t.InputPath)
		if err != nil {
			return "", err
		}
		v, ok := p.eval(q.event)
		if !ok {
			return "", fmt.Errorf("InputPath %s is not in the event", t.InputPath)
		}
		return encode(v), nil
	case t.InputTransformer != nil:
		return t.InputTransformer.Render(q.raw, Context{RuleARN: r.ARN, RuleName: r.Name, Ingested: q.received})
	}
	return string(q.raw), nil
}

// loadRules returns the rules, read again when they may have changed.
func (b *Bus) loadRules() ([]compiled, error) {
	b.mu.Lock()
	if b.loaded {
		defer b.mu.Unlock()
		return b.rules, nil
	}
	b.mu.Unlock()
	rules, err := b.cfg.Rules(b.ctx)
	if err != nil {
		return nil, fmt.Errorf("read the rules: %w", err)
	}
	out := make([]compiled, 0, len(rules))
	for _, r := range rules {
		c := compiled{Rule: r}
		if r.EventPattern != "" {
			c.pattern, c.err = Compile(r.EventPattern)
		}
		if r.ScheduleExpression != "" {
			c.period, c.err = ParseRate(r.ScheduleExpression)
		}
		out = append(out, c)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rules, b.loaded = out, true
	return out, nil
}

// Advance moves the schedules' clock on by d: each enabled scheduled rule fires once for each of its periods that
// ends meanwhile (at most maxFirings), its event a "Scheduled Event" from aws.events. A rule's first period starts
// when the bus first sees it (at the latest, at the start of this Advance).
func (b *Bus) Advance(d time.Duration) error {
	rules, err := b.loadRules()
	if err != nil {
		return err
	}
	b.mu.Lock()
	from := b.clock
	for _, r := range rules {
		if r.period > 0 && r.Enabled {
			if _, armed := b.next[r.ARN]; !armed {
				b.next[r.ARN] = from.Add(r.period)
			}
		}
	}
	b.clock = from.Add(d)
	var due []queued
	for _, r := range rules {
		next, armed := b.next[r.ARN]
		if r.period <= 0 || !r.Enabled || !armed {
			continue
		}
		for n := 0; !next.After(b.clock) && n < maxFirings; n++ {
			r := r
			due = append(due, queued{only: &r, received: next, event: map[string]any{
				"version": "0", "id": newUUID(), "detail-type": "Scheduled Event", "source": "aws.events",
				"account": b.cfg.Account, "time": next.UTC().Format(timeLayout), "region": b.cfg.Region,
				"resources": []any{r.ARN}, "detail": map[string]any{},
			}})
			next = next.Add(r.period)
		}
		b.next[r.ARN] = next
	}
	b.mu.Unlock()
	for _, q := range due {
		b.enqueue(q)
	}
	return nil
}

// maxFirings bounds how often one Advance fires one rule.
const maxFirings = 10

// tick moves the schedules' clock with real time.
func (b *Bus) tick() {
	last := b.cfg.Now()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-t.C:
			now := b.cfg.Now()
			_ = b.Advance(now.Sub(last)) // a failure to read the rules is retried at the next tick
			last = now
		}
	}
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
