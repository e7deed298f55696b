package r53model_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/r53model"
)

// clock is a fake clock that moves only when told.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)} }

// step is n requests (default 1) made after the clock moved on by after, each answered want: "" when admitted,
// else the refusing rule (a Limit* constant). Admitted change batches are accepted.
type step struct {
	after time.Duration
	n     int
	req   r53model.Request
	want  string
}

// verdict is a step's outcome, for the diff: how many of its requests got which answer.
type verdict map[string]int

func list(caller string) r53model.Request {
	return r53model.Request{Caller: caller, Operation: "ListResourceRecordSets"}
}

func changes(zone string, n int) r53model.Request {
	return r53model.Request{Caller: "fn", Operation: "ChangeResourceRecordSets", Zone: zone, Changes: n}
}

func op(name string) r53model.Request { return r53model.Request{Caller: "fn", Operation: name} }

func TestBuckets(t *testing.T) {
	documented := r53model.Documented()
	tests := []struct {
		name  string
		cfg   r53model.Config
		steps []step
	}{
		{
			name: "account: a burst of 50, then Throttling",
			cfg:  documented,
			steps: []step{
				{n: 25, req: list("fn")},
				{n: 25, req: op("GetChange")},
				{req: op("GetHostedZone"), want: r53model.LimitAccount},
			},
		},
		{
			name: "account: refilled at 10 a second, usable as the tokens come",
			cfg:  documented,
			steps: []step{
				{n: 50, req: op("GetChange")},
				{req: list("fn"), want: r53model.LimitAccount},
				{after: 100 * time.Millisecond, req: list("fn")},
				{req: list("fn"), want: r53model.LimitAccount},
				{after: time.Second, n: 10, req: list("fn")},
				{req: list("fn"), want: r53model.LimitAccount},
				{after: time.Hour, n: 50, req: op("GetHostedZone")}, // full again, and no fuller
				{req: op("GetHostedZone"), want: r53model.LimitAccount},
			},
		},
		{
			name: "operation: its own bucket empties while the account's still holds tokens",
			cfg:  r53model.Config{Account: r53model.Bucket{Burst: 100, Rate: 10}, Operation: r53model.DocumentedOperation},
			steps: []step{
				{n: 50, req: list("fn")},
				{req: list("fn"), want: r53model.LimitOperation},
				{n: 50, req: op("GetChange")}, // the account's other 50
				{req: op("GetHostedZone"), want: r53model.LimitAccount},
			},
		},
		{
			name: "CreateHealthCheck: 50, refilled at 0.5 a second",
			cfg:  documented,
			steps: []step{
				{n: 50, req: op("CreateHealthCheck")},
				{after: 10 * time.Second, req: op("CreateHealthCheck")}, // the account refilled; 5 health-check tokens
				{n: 4, req: op("CreateHealthCheck")},
				{req: op("CreateHealthCheck"), want: r53model.LimitOperation},
				{after: time.Second, req: op("CreateHealthCheck"), want: r53model.LimitOperation},
				{after: time.Second, req: op("CreateHealthCheck")},
				{req: list("fn")}, // the account's bucket is not the one empty
			},
		},
		{
			name: "a refused request takes no token: the operation's refusal leaves the account's bucket as it was",
			cfg:  r53model.Config{Account: r53model.Bucket{Burst: 3, Rate: 1}, Operation: r53model.Bucket{Burst: 1, Rate: 1}},
			steps: []step{
				{req: list("fn")},
				{n: 5, req: list("fn"), want: r53model.LimitOperation},
				{req: op("GetChange")},
				{req: op("GetHostedZone")},
				{req: op("GetHostedZoneCount"), want: r53model.LimitAccount},
			},
		},
		{
			name: "changes: each change of a batch draws a token from the change bucket",
			cfg:  r53model.Config{Changes: r53model.Bucket{Burst: 10, Rate: 5}},
			steps: []step{
				{req: changes("Z1", 6)},
				{req: changes("Z2", 6), want: r53model.LimitChanges},
				{req: changes("Z2", 4)},
				{after: 1100 * time.Millisecond, req: changes("Z2", 6), want: r53model.LimitChanges}, // 5.5 tokens
				{after: 100 * time.Millisecond, req: changes("Z2", 6)},
				{n: 50, req: list("fn")}, // the change bucket meters changes only
			},
		},
		{
			name: "changes: a batch larger than the bucket is taken when it is full, and leaves it in debt",
			cfg:  r53model.Config{Changes: r53model.Bucket{Burst: 10, Rate: 5}},
			steps: []step{
				{req: changes("Z1", 1)},
				{req: changes("Z1", 15), want: r53model.LimitChanges},
				{after: time.Second, req: changes("Z1", 15)},
				{after: 1100 * time.Millisecond, req: changes("Z1", 1), want: r53model.LimitChanges},
				{after: 100 * time.Millisecond, req: changes("Z1", 1)},
			},
		},
		{
			name: "a batch refused for its changes has drawn its request tokens",
			cfg:  r53model.Config{Account: r53model.Bucket{Burst: 3, Rate: 1}, Changes: r53model.Bucket{Burst: 2, Rate: 1}},
			steps: []step{
				{req: changes("Z1", 2)},
				{req: changes("Z2", 1), want: r53model.LimitChanges},
				{req: list("fn")},
				{req: list("fn"), want: r53model.LimitAccount},
			},
		},
		{
			name: "callers not metered draw nothing and are never refused",
			cfg: func() r53model.Config {
				c := r53model.Documented()
				c.Callers = []string{"fn"}
				return c
			}(),
			steps: []step{
				{n: 500, req: list("harness")},
				{n: 5000, req: r53model.Request{Caller: "harness", Operation: "ChangeResourceRecordSets", Zone: "Z1", Changes: 100}},
				{n: 50, req: list("fn")},
				{req: list("fn"), want: r53model.LimitAccount},
				{n: 10, req: list("harness")},
			},
		},
		{
			name:  "the zero Config enforces nothing",
			steps: []step{{n: 1000, req: list("fn")}, {n: 1000, req: changes("Z1", 1000)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			tt.cfg.Now = c.now
			m := r53model.New(tt.cfg)
			for i, s := range tt.steps {
				c.advance(s.after)
				n := max(s.n, 1)
				got := verdict{}
				for range n {
					got[admit(t, m, s.req)]++
				}
				if diff := cmp.Diff(verdict{s.want: n}, got); diff != "" {
					t.Fatalf("step %d (%d × %s %s after %v): answers (-want +got):\n%s", i, n, s.req.Caller, s.req.Operation, s.after, diff)
				}
			}
		})
	}
}

// admit asks the model, accepts an admitted batch, and returns the refusing rule ("" when admitted).
func admit(t *testing.T, m *r53model.Model, r r53model.Request) string {
	t.Helper()
	ticket, err := m.Admit(r)
	var refusal *r53model.Refusal
	switch {
	case errors.As(err, &refusal):
		want := map[string]string{r53model.LimitPriorRequest: "PriorRequestNotComplete"}[refusal.Limit]
		if want == "" {
			want = "Throttling"
		}
		if refusal.Code != want {
			t.Errorf("refused by %s with code %s, want %s", refusal.Limit, refusal.Code, want)
		}
		return refusal.Limit
	case err != nil:
		t.Fatalf("Admit: %v", err)
	}
	if ticket != nil {
		ticket.Accepted()
	}
	return ""
}

// Route 53's answers, as the gateway sends them.
func TestRefusalCodes(t *testing.T) {
	m := r53model.New(r53model.Config{Account: r53model.Bucket{Burst: 1}, PriorRequest: time.Minute})
	if _, err := m.Admit(changes("Z1", 1)); err != nil {
		t.Fatal(err)
	}
	_, err := m.Admit(list("fn"))
	want := &r53model.Refusal{Limit: r53model.LimitAccount, Code: "Throttling", Message: "Rate exceeded"}
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("throttled (-want +got):\n%s", diff)
	}
	m = r53model.New(r53model.Config{PriorRequest: time.Minute})
	ticket, _ := m.Admit(changes("Z1", 1))
	ticket.Accepted()
	_, err = m.Admit(changes("Z1", 1))
	want = &r53model.Refusal{Limit: r53model.LimitPriorRequest, Code: "PriorRequestNotComplete", Zone: "Z1",
		Message: "The request was rejected because Route 53 was still processing a prior request."}
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("prior request (-want +got):\n%s", diff)
	}
}

func TestPriorRequestNotComplete(t *testing.T) {
	c := newClock()
	m := r53model.New(r53model.Config{PriorRequest: 2 * time.Second, Now: c.now})
	tests := []struct {
		after time.Duration
		req   r53model.Request
		want  string
	}{
		{req: changes("Z1", 3)}, // Z1 busy until +2 s
		{after: time.Second, req: changes("Z1", 1), want: r53model.LimitPriorRequest},
		{req: changes("Z2", 1)}, // per zone: another zone is free (Z2 busy until +3 s)
		{req: list("fn")},       // only change batches are refused
		{after: 999 * time.Millisecond, req: changes("Z1", 1), want: r53model.LimitPriorRequest},
		{after: time.Millisecond, req: changes("Z1", 1)}, // +2 s: Z1 busy again until +4 s
		{req: changes("Z2", 1), want: r53model.LimitPriorRequest},
		{after: time.Second, req: changes("Z2", 1)},
		{req: changes("Z1", 1), want: r53model.LimitPriorRequest},
	}
	for i, tt := range tests {
		c.advance(tt.after)
		if got := admit(t, m, tt.req); got != tt.want {
			t.Fatalf("step %d (%s in %s after %v): %q, want %q", i, tt.req.Operation, tt.req.Zone, tt.after, got, tt.want)
		}
	}
}

// A zone is busy from the moment a batch to it is admitted, not only once it is accepted; a batch moto refuses frees it.
func TestPriorRequestWhileABatchIsApplied(t *testing.T) {
	c := newClock()
	m := r53model.New(r53model.Config{PriorRequest: time.Second, Now: c.now})
	first, err := m.Admit(changes("Z1", 1))
	if err != nil || first == nil {
		t.Fatalf("first batch: ticket %v, %v", first, err)
	}
	c.advance(time.Hour)
	if got := admit(t, m, changes("Z1", 1)); got != r53model.LimitPriorRequest {
		t.Fatalf("a batch while the first is applied: %q, want %q", got, r53model.LimitPriorRequest)
	}
	first.Rejected()
	first.Accepted() // too late: the first answer counts
	if got := admit(t, m, changes("Z1", 1)); got != "" {
		t.Fatalf("a batch once the first was refused: %q, want admitted", got)
	}
}

func TestPropagation(t *testing.T) {
	for _, propagation := range []time.Duration{0, time.Second, 60 * time.Second} {
		t.Run(fmt.Sprint(propagation), func(t *testing.T) {
			c := newClock()
			m := r53model.New(r53model.Config{Propagation: propagation, Callers: []string{"fn"}, Now: c.now})
			ticket, err := m.Admit(changes("Z1", 2))
			if err != nil || ticket == nil {
				t.Fatalf("Admit: ticket %v, %v", ticket, err)
			}
			submitted := c.now()
			ch := ticket.Accepted()
			want := r53model.Pending
			if propagation == 0 {
				want = r53model.InSync
			}
			if ch.Status != want || ch.ID == "" || !ch.SubmittedAt.Equal(submitted) {
				t.Errorf("accepted change %+v, want %s, an id, submitted %v", ch, want, submitted)
			}
			if again := ticket.Accepted(); again != ch {
				t.Errorf("a second Accepted made another change: %+v, then %+v", ch, again)
			}
			for _, at := range []struct {
				after time.Duration
				want  r53model.ChangeStatus
			}{
				{propagation - time.Millisecond, r53model.Pending},
				{propagation, r53model.InSync},
				{propagation + time.Hour, r53model.InSync},
			} {
				if at.after < 0 {
					continue
				}
				c.t = submitted.Add(at.after)
				for _, id := range []string{ch.ID, "/change/" + ch.ID} {
					got, ok := m.Change(id)
					if !ok || got.Status != at.want || got.ID != ch.ID {
						t.Errorf("GetChange %s at +%v: %+v (known %v), want %s", id, at.after, got, ok, at.want)
					}
				}
			}
			other, _ := m.Admit(changes("Z1", 1))
			if next := other.Accepted(); next.ID == ch.ID {
				t.Errorf("two changes with one id %s", ch.ID)
			}
			if _, ok := m.Change("C2682N5HXP0BZ4"); ok {
				t.Error("moto's fixed change id is known to the model")
			}
			if ticket, err := m.Admit(r53model.Request{Caller: "harness", Operation: "ChangeResourceRecordSets", Zone: "Z1", Changes: 1}); ticket != nil || err != nil {
				t.Errorf("an unmetered caller's batch: ticket %v, %v; want none (moto's answer stands: INSYNC)", ticket, err)
			}
		})
	}
}

func TestTokens(t *testing.T) {
	c := newClock()
	cfg := r53model.Documented()
	cfg.Now = c.now
	m := r53model.New(cfg)
	for range 3 {
		admit(t, m, changes("Z1", 7))
	}
	c.advance(100 * time.Millisecond)
	want := map[string]float64{"account": 48, "changes": 989, "ChangeResourceRecordSets": 48}
	if diff := cmp.Diff(want, m.Tokens()); diff != "" {
		t.Errorf("tokens (-want +got):\n%s", diff)
	}
}
