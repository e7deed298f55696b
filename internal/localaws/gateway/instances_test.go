package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/google/go-cmp/cmp"
)

// counting is a factory whose handlers say which build they are, and wait, when asked, until as many invocations
// have run at once as the input names.
type counting struct {
	builds  atomic.Int32
	mu      sync.Mutex
	running int
	peak    int           // the most invocations that ran at once
	changed chan struct{} // closed and replaced whenever running changes
}

func newCounting() *counting { return &counting{changed: make(chan struct{})} }

type countingInput struct {
	// Together makes the invocation wait until that many run at once.
	Together int  `json:"together,omitempty"`
	Panic    bool `json:"panic,omitempty"`
	SleepMS  int  `json:"sleepMS,omitempty"`
}

func (f *counting) build() (Handler, error) {
	build := f.builds.Add(1)
	return lambda.NewHandler(func(ctx context.Context, in countingInput) (map[string]int32, error) {
		f.enter(+1)
		defer f.enter(-1)
		for in.Together > 0 && f.waitFor(ctx, in.Together) {
		}
		if in.Panic {
			panic("on purpose")
		}
		time.Sleep(time.Duration(in.SleepMS) * time.Millisecond)
		return map[string]int32{"build": build}, ctx.Err()
	}), nil
}

func (f *counting) enter(d int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running += d
	f.peak = max(f.peak, f.running)
	close(f.changed)
	f.changed = make(chan struct{})
}

// waitFor reports whether to keep waiting for n invocations to have run at once.
func (f *counting) waitFor(ctx context.Context, n int) bool {
	f.mu.Lock()
	if f.peak >= n {
		f.mu.Unlock()
		return false
	}
	changed := f.changed
	f.mu.Unlock()
	select {
	case <-changed:
		return true
	case <-ctx.Done():
		return false
	}
}

func newFunctionsGateway(t *testing.T, timeout time.Duration, fns map[string]Factory) *Gateway {
	t.Helper()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(backend.Close)
	g, err := New(Config{Backend: backend.URL, Functions: fns, FunctionTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func invokeAll(g *Gateway, function string, payloads ...string) []string {
	out := make([]string, len(payloads))
	var wg sync.WaitGroup
	for i, p := range payloads {
		wg.Go(func() {
			w := do(g, "POST", "/2015-03-31/functions/"+function+"/invocations", "lambda", "", p)
			out[i] = fmt.Sprintf("%d %s", w.Code, w.Body)
		})
	}
	wg.Wait()
	return out
}

// Concurrent invocations of a function run in instances of their own, each handler built afresh; an idle instance
// serves the next invocation; an instance that timed out or panicked is never reused.
func TestScaleOut(t *testing.T) {
	f := newCounting()
	g := newFunctionsGateway(t, 500*time.Millisecond, map[string]Factory{"fn": f.build})

	got := invokeAll(g, "fn", `{"together": 2}`, `{"together": 2}`)
	if !cmp.Equal(got, []string{`200 {"build":1}`, `200 {"build":2}`}) && !cmp.Equal(got, []string{`200 {"build":2}`, `200 {"build":1}`}) {
		t.Fatalf("two invocations waiting for each other: %v, want builds 1 and 2 (one each)", got)
	}
	if diff := cmp.Diff(Instances{Started: 2, Idle: 2, Peak: 2}, g.Instances("fn")); diff != "" {
		t.Errorf("instances (-want +got):\n%s", diff)
	}
	for range 3 {
		if got := invokeAll(g, "fn", `{}`); got[0] != `200 {"build":2}` && got[0] != `200 {"build":1}` {
			t.Errorf("a later invocation: %v, want a warm instance (build 1 or 2)", got)
		}
	}
	if got := g.Instances("fn").Started; got != 2 {
		t.Errorf("instances started after three invocations in a row: %d, want still 2 (warm starts)", got)
	}

	got = invokeAll(g, "fn", `{"together": 3}`, `{"together": 3}`, `{"together": 3}`)
	if n := g.Instances("fn"); n.Started != 3 || n.Peak != 3 || n.Idle != 3 || n.Busy != 0 {
		t.Errorf("three at once after two: %+v, want one more started, three idle (%v)", n, got)
	}

	if got := invokeAll(g, "fn", `{"sleepMS": 2000}`); !strings.Contains(got[0], "Sandbox.Timedout") {
		t.Fatalf("an invocation past the timeout: %v", got)
	}
	if got := invokeAll(g, "fn", `{"panic": true}`); !strings.Contains(got[0], `"errorType":"string"`) {
		t.Fatalf("a panicking invocation: %v", got)
	}
	if n := g.Instances("fn"); n.Idle != 1 {
		t.Errorf("after a timeout and a panic: %+v, want 1 of the 3 idle instances left (neither reused)", n)
	}
	cold := 0
	for _, r := range g.Requests() {
		if r.Cold {
			cold++
		}
		if r.Instance == 0 {
			t.Errorf("an invoke with no instance in the log: %+v", r)
		}
	}
	if cold != 3 {
		t.Errorf("cold starts in the request log: %d, want 3", cold)
	}
}

// A factory that fails answers the invocation with Lambda's service error and starts nothing.
func TestScaleOutFactoryFails(t *testing.T) {
	g := newFunctionsGateway(t, time.Second, map[string]Factory{"fn": func() (Handler, error) { return nil, errors.New("no config") }})
	w := do(g, "POST", "/2015-03-31/functions/fn/invocations", "lambda", "", `{}`)
	body, _ := io.ReadAll(w.Body)
	if w.Code != http.StatusBadGateway || !strings.Contains(string(body), "no config") {
		t.Errorf("invoke: %d %s, want 502 naming the factory's error", w.Code, body)
	}
	if n := g.Instances("fn"); n.Busy != 0 || n.Idle != 0 {
		t.Errorf("instances after a failed start: %+v", n)
	}
}

// fakeInstance is an instance whose runtime the test can kill.
type fakeInstance struct {
	dead   atomic.Bool
	closed atomic.Bool
}

func (f *fakeInstance) invoke(context.Context, invocation) (result, bool, error) {
	return result{payload: []byte(`{}`)}, true, nil
}
func (f *fakeInstance) alive() bool  { return !f.dead.Load() }
func (f *fakeInstance) close() error { f.closed.Store(true); return nil }

// An idle instance whose runtime died meanwhile (an RIE process that exited) is dropped, not handed an invocation.
func TestScaleOutDropsDeadIdleInstances(t *testing.T) {
	var started []*fakeInstance
	p := newPool(func(context.Context) (instance, error) {
		in := &fakeInstance{}
		started = append(started, in)
		return in, nil
	})
	if _, id, cold, err := p.invoke(t.Context(), invocation{}); err != nil || id != 1 || !cold {
		t.Fatalf("first invocation: instance %d, cold %v, %v", id, cold, err)
	}
	started[0].dead.Store(true)
	if _, id, cold, err := p.invoke(t.Context(), invocation{}); err != nil || id != 2 || !cold {
		t.Fatalf("after the idle instance died: instance %d, cold %v, %v; want a new one, 2", id, cold, err)
	}
	if !started[0].closed.Load() {
		t.Error("the dead instance was not closed")
	}
	if diff := cmp.Diff(Instances{Started: 2, Idle: 1, Peak: 1}, p.counts()); diff != "" {
		t.Errorf("instances (-want +got):\n%s", diff)
	}
	if err := p.close(); err != nil || !started[1].closed.Load() {
		t.Errorf("close: %v, idle instance closed %v", err, started[1].closed.Load())
	}
	if _, _, _, err := p.invoke(t.Context(), invocation{}); !errors.Is(err, errClosed) {
		t.Errorf("an invocation after close: %v, want %v", err, errClosed)
	}
}
