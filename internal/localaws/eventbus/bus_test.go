package eventbus_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/eventbus"
)

// starter records the executions the bus starts; failFirst fails that many calls first.
type starter struct {
	mu        sync.Mutex
	starts    []start
	failFirst int
	err       error
}

type start struct{ machine, name, input string }

var errThrottled = errors.New("ThrottlingException")

func (s *starter) StartExecution(_ context.Context, machine, name, input string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failFirst > 0 {
		s.failFirst--
		return "", s.err
	}
	s.starts = append(s.starts, start{machine, name, input})
	return strings.Replace(machine, ":stateMachine:", ":execution:", 1) + ":" + name, nil
}

func (s *starter) all() []start {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]start(nil), s.starts...)
}

const machine = "arn:aws:states:us-east-1:123456789012:stateMachine:bluegreen"

func newBus(t *testing.T, s *starter, rules ...eventbus.Rule) *eventbus.Bus {
	t.Helper()
	b := eventbus.New(eventbus.Config{
		Account: "123456789012", Region: "us-east-1",
		Rules:     func(context.Context) ([]eventbus.Rule, error) { return rules, nil },
		Starter:   s,
		Retryable: func(err error) bool { return errors.Is(err, errThrottled) },
		RetryWait: time.Millisecond,
	})
	t.Cleanup(b.Close)
	return b
}

func idle(t *testing.T, b *eventbus.Bus) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

func rule(name, pattern string, targets ...eventbus.Target) eventbus.Rule {
	return eventbus.Rule{Name: name, ARN: "arn:aws:events:us-east-1:123456789012:rule/" + name, EventPattern: pattern, Enabled: true, Targets: targets}
}

func TestBusStartsExecutionsOfMatchingRules(t *testing.T) {
	s := &starter{}
	b := newBus(t, s,
		rule("whole", `{"source": ["shop"]}`, eventbus.Target{ID: "1", ARN: machine}),
		rule("constant", `{"source": ["shop"], "detail-type": ["order"]}`, eventbus.Target{ID: "1", ARN: machine, Input: `{"c":1}`}),
		rule("path", `{"detail": {"id": [{"numeric": [">", 0]}]}}`, eventbus.Target{ID: "1", ARN: machine, InputPath: "$.detail"}),
		rule("template", `{"source": [{"prefix": "sh"}]}`, eventbus.Target{ID: "1", ARN: machine,
			InputTransformer: &eventbus.Transformer{InputPathsMap: map[string]string{"id": "$.detail.id"}, InputTemplate: `{"id": <id>, "rule": <aws.events.rule-name>}`}}),
		eventbus.Rule{Name: "disabled", EventPattern: `{"source": ["shop"]}`, Targets: []eventbus.Target{{ID: "1", ARN: machine}}},
		rule("other", `{"source": ["other"]}`, eventbus.Target{ID: "1", ARN: machine}),
	)
	res := b.PutEntries([]eventbus.Entry{{Source: "shop", DetailType: "order", Detail: `{"id": 7}`}})
	if res[0].EventID == "" {
		t.Fatalf("PutEntries: %+v", res)
	}
	idle(t, b)
	inputs := map[string]bool{}
	for _, st := range s.all() {
		inputs[st.input] = true
		if st.machine != machine || st.name == "" {
			t.Errorf("started %+v", st)
		}
	}
	if !inputs[`{"c":1}`] || !inputs[`{"id":7}`] || !inputs[`{"id": 7, "rule": "template"}`] || len(inputs) != 4 {
		t.Errorf("inputs %v", inputs)
	}
	recs := b.Records()
	if len(recs) != 1 || len(recs[0].Rules) != 4 || recs[0].ID != res[0].EventID {
		t.Errorf("records %+v", recs)
	}
}

func TestPutEventsRefusesWhatEventBridgeRefuses(t *testing.T) {
	b := newBus(t, &starter{})
	res := b.PutEntries([]eventbus.Entry{
		{Source: "aws.s3", DetailType: "Object Created", Detail: `{}`},
		{Source: "shop", DetailType: "order", Detail: `[1]`},
		{Source: "shop", DetailType: "order", Detail: `{`},
		{Source: "shop", Detail: `{}`},
		{Source: "shop", DetailType: "order", Detail: `{"ok": true}`},
	})
	want := []string{"NotAuthorizedForSourceException", "MalformedDetail", "MalformedDetail", "InvalidArgument", ""}
	for i, r := range res {
		if r.ErrorCode != want[i] || (want[i] == "") != (r.EventID != "") {
			t.Errorf("entry %d: %+v, want error %q", i, r, want[i])
		}
	}
}

func TestBusRetriesThrottledDeliveriesOnly(t *testing.T) {
	s := &starter{failFirst: 2, err: errThrottled}
	b := newBus(t, s, rule("r", `{"source": ["shop"]}`, eventbus.Target{ID: "1", ARN: machine}))
	b.PutEntries([]eventbus.Entry{{Source: "shop", DetailType: "x", Detail: `{}`}})
	idle(t, b)
	if d := b.Records()[0].Deliveries[0]; d.Execution == "" || d.Attempts != 3 {
		t.Errorf("throttled twice: %+v, want started at the third attempt", d)
	}

	s.failFirst, s.err = 1, errors.New("ExecutionAlreadyExists")
	b.PutEntries([]eventbus.Entry{{Source: "shop", DetailType: "x", Detail: `{}`}})
	idle(t, b)
	if d := b.Records()[1].Deliveries[0]; d.Execution != "" || d.Attempts != 1 || d.Error == "" {
		t.Errorf("a client error: %+v, want one attempt, failed", d)
	}
}

func TestServiceEventsAndUndeliverableTargets(t *testing.T) {
	s := &starter{}
	b := newBus(t, s,
		rule("lambda", `{"source": ["aws.s3"]}`, eventbus.Target{ID: "1", ARN: "arn:aws:lambda:us-east-1:123456789012:function:f"}),
		rule("bad-template", `{"source": ["aws.s3"]}`, eventbus.Target{ID: "1", ARN: machine,
			InputTransformer: &eventbus.Transformer{InputTemplate: `"<aws.events.event.json>"`}}),
	)
	if err := b.Put([]byte(`{"source": "aws.s3", "detail-type": "Object Created", "detail": {}}`)); err != nil {
		t.Fatal(err)
	}
	if err := b.Put([]byte(`{"detail": {}}`)); err == nil {
		t.Error("an event without source and detail-type was taken")
	}
	idle(t, b)
	recs := b.Records()
	if len(recs) != 1 || recs[0].ID == "" || len(recs[0].Deliveries) != 2 || len(s.all()) != 0 {
		t.Fatalf("records %+v, starts %v", recs, s.all())
	}
	for _, d := range recs[0].Deliveries {
		if d.Error == "" {
			t.Errorf("delivery %+v should have failed", d)
		}
	}
}

func TestSchedulesFireAsTheClockPassesTheirPeriod(t *testing.T) {
	s := &starter{}
	every5 := eventbus.Rule{Name: "sweep", ARN: "arn:aws:events:us-east-1:123456789012:rule/sweep", ScheduleExpression: "rate(5 minutes)",
		Enabled: true, Targets: []eventbus.Target{{ID: "1", ARN: machine, Input: `{"sweep":true}`}}}
	off := every5
	off.Name, off.ARN, off.Enabled = "off", off.ARN+"-off", false
	b := newBus(t, s, every5, off)
	for _, step := range []struct {
		by   time.Duration
		want int
	}{{4 * time.Minute, 0}, {time.Minute, 1}, {4*time.Minute + 59*time.Second, 1}, {11 * time.Minute, 4}} {
		if err := b.Advance(step.by); err != nil {
			t.Fatal(err)
		}
		idle(t, b)
		if n := len(s.all()); n != step.want {
			t.Fatalf("after %v more: %d sweeps, want %d", step.by, n, step.want)
		}
	}
	if st := s.all()[0]; st.input != `{"sweep":true}` {
		t.Errorf("input %s", st.input)
	}
	if r := b.Records()[0]; r.Source != "aws.events" || r.DetailType != "Scheduled Event" || !strings.Contains(string(r.Event), every5.ARN) {
		t.Errorf("scheduled event %+v", r)
	}
}

func TestParseRate(t *testing.T) {
	for expr, want := range map[string]time.Duration{"rate(1 minute)": time.Minute, "rate(5 minutes)": 5 * time.Minute, "rate(2 hours)": 2 * time.Hour, "rate(1 day)": 24 * time.Hour} {
		if got, err := eventbus.ParseRate(expr); err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", expr, got, err, want)
		}
	}
	for _, expr := range []string{"rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(5 seconds)", "cron(0/5 * * * ? *)", "rate(5  minutes)"} {
		if _, err := eventbus.ParseRate(expr); err == nil {
			t.Errorf("%s: accepted", expr)
		}
	}
}

// In real time the schedules' clock follows Now, checked every second (here a clock five minutes faster a call).
func TestSchedulesInRealTime(t *testing.T) {
	s := &starter{}
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(5 * time.Minute)
		return now
	}
	rules := []eventbus.Rule{{Name: "sweep", ARN: "arn:aws:events:us-east-1:123456789012:rule/sweep", ScheduleExpression: "rate(5 minutes)",
		Enabled: true, Targets: []eventbus.Target{{ID: "1", ARN: machine, Input: `{}`}}}}
	b := eventbus.New(eventbus.Config{Account: "123456789012", Region: "us-east-1", Starter: s, Now: clock, RealTime: true,
		Rules: func(context.Context) ([]eventbus.Rule, error) { return rules, nil }})
	defer b.Close()
	deadline := time.Now().Add(5 * time.Second)
	for len(s.all()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if len(s.all()) == 0 {
		t.Error("no scheduled start in real time")
	}
}
