package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Kind is what a fault does to the calls it matches.
type Kind string

const (
	// KindThrottle answers as the service does when it throttles a call.
	KindThrottle Kind = "throttle"
	// KindError answers with a server error (5xx).
	KindError Kind = "error"
	// KindHold holds the call for a while, or until released, then lets it through.
	KindHold Kind = "hold"
)

// Fault describes one injected fault: what it does and which calls it applies to.
type Fault struct {
	Kind Kind `json:"kind"`
	// Service is the SigV4 signing name ("route53", "cloudformation", "lambda", ...);
	// Operation ("ChangeResourceRecordSets", "Invoke", ...) narrows it when not empty.
	Service   string `json:"service"`
	Operation string `json:"operation,omitempty"`
	// Function narrows a "lambda" fault to the invokes of one function.
	Function string `json:"function,omitempty"`
	// Times is how many matching calls the fault applies to; 0 means 1.
	Times int `json:"times,omitempty"`
	// After lets that many matching calls through untouched before the fault applies (to hold, say, the third
	// record change of a release).
	After int `json:"after,omitempty"`
	// Code is the error code of a throttle (default: the service's own, e.g. "Throttling"
	// for Route 53; "PriorRequestNotComplete" is Route 53's other one) or of an error
	// (default "InternalFailure").
	Code string `json:"code,omitempty"`
	// Status is the HTTP status of an error; default 500.
	Status int `json:"status,omitempty"`
	// Seconds is how long a hold lasts; 0 holds until released.
	Seconds float64 `json:"seconds,omitempty"`
}

func (f Fault) matches(c Call) bool {
	return f.Service == c.Service &&
		(f.Operation == "" || f.Operation == c.Operation) &&
		(f.Function == "" || f.Function == c.Function)
}

func (f Fault) validate() error {
	switch {
	case f.Kind != KindThrottle && f.Kind != KindError && f.Kind != KindHold:
		return fmt.Errorf("fault kind %q: want %q, %q or %q", f.Kind, KindThrottle, KindError, KindHold)
	case f.Service == "":
		return fmt.Errorf("%s fault: no service", f.Kind)
	case f.Kind == KindError && f.Status != 0 && (f.Status < 500 || f.Status > 599):
		return fmt.Errorf("error fault: status %d is not a 5xx", f.Status)
	case f.Times < 0 || f.Seconds < 0 || f.After < 0:
		return fmt.Errorf("%s fault: negative times, after or seconds", f.Kind)
	}
	return nil
}

// Injected is a fault in force. Its methods let a test follow it and end it.
type Injected struct {
	// ID names the fault in the control API.
	ID    string
	Fault Fault

	mu        sync.Mutex
	skip      int
	remaining int
	hits      int
	arrived   chan struct{}
	released  chan struct{}
	release   sync.Once
}

// Arrived is closed when the fault first applies to a call (for a hold: the call is held).
func (i *Injected) Arrived() <-chan struct{} { return i.arrived }

// Release lets calls held by the fault go on, and ends the fault.
func (i *Injected) Release() {
	i.release.Do(func() { close(i.released) })
	i.mu.Lock()
	i.remaining = 0
	i.mu.Unlock()
}

// Hits returns how many calls the fault has applied to.
func (i *Injected) Hits() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.hits
}

// take claims the fault for one call, reporting false when it is used up.
func (i *Injected) take() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.remaining == 0 {
		return false
	}
	if i.skip > 0 {
		i.skip--
		return false
	}
	i.remaining--
	i.hits++
	if i.hits == 1 {
		close(i.arrived)
	}
	return true
}

// hold waits until the fault is released, its time is up, or the caller leaves.
func (i *Injected) hold(ctx context.Context) {
	var timeout <-chan time.Time
	if i.Fault.Seconds > 0 {
		t := time.NewTimer(time.Duration(i.Fault.Seconds * float64(time.Second)))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-i.released:
	case <-timeout:
	case <-ctx.Done():
	}
}

// faultSet holds the faults in force, in the order they were injected.
type faultSet struct {
	mu     sync.Mutex
	next   int
	faults []*Injected
}

// Inject puts a fault in force.
func (g *Gateway) Inject(f Fault) (*Injected, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	if f.Times == 0 {
		f.Times = 1
	}
	s := &g.faults
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	i := &Injected{ID: "f" + strconv.Itoa(s.next), Fault: f, remaining: f.Times, skip: f.After,
		arrived: make(chan struct{}), released: make(chan struct{})}
	s.faults = append(s.faults, i)
	return i, nil
}

// Throttle throttles the next n calls of a service's operation (any operation when empty).
func (g *Gateway) Throttle(service, operation string, n int) *Injected {
	return g.mustInject(Fault{Kind: KindThrottle, Service: service, Operation: operation, Times: n})
}

// FailWith answers the next n calls of a service's operation with a 5xx status.
func (g *Gateway) FailWith(service, operation string, n, status int) *Injected {
	return g.mustInject(Fault{Kind: KindError, Service: service, Operation: operation, Times: n, Status: status})
}

// Hold holds the next call of a service's operation for d, or until released when d is 0.
func (g *Gateway) Hold(service, operation string, d time.Duration) *Injected {
	return g.mustInject(Fault{Kind: KindHold, Service: service, Operation: operation, Seconds: d.Seconds()})
}

// HoldAfter lets n calls of a service's operation through, then holds the next one for d, or until released when d
// is 0.
func (g *Gateway) HoldAfter(service, operation string, n int, d time.Duration) *Injected {
	return g.mustInject(Fault{Kind: KindHold, Service: service, Operation: operation, After: n, Seconds: d.Seconds()})
}

// HoldInvoke holds the next invoke of a Lambda function for d, or until released when d is 0.
func (g *Gateway) HoldInvoke(function string, d time.Duration) *Injected {
	return g.mustInject(Fault{Kind: KindHold, Service: "lambda", Operation: "Invoke", Function: function, Seconds: d.Seconds()})
}

func (g *Gateway) mustInject(f Fault) *Injected {
	i, err := g.Inject(f)
	if err != nil {
		panic(err) // the helpers build only valid faults, unless n or d is negative
	}
	return i
}

// Fault returns the fault in force with that id.
func (g *Gateway) Fault(id string) (*Injected, bool) {
	g.faults.mu.Lock()
	defer g.faults.mu.Unlock()
	for _, i := range g.faults.faults {
		if i.ID == id {
			return i, true
		}
	}
	return nil, false
}

// ClearFaults ends every fault and override, releasing the calls held.
func (g *Gateway) ClearFaults() {
	g.faults.mu.Lock()
	faults := g.faults.faults
	g.faults.faults = nil
	g.faults.mu.Unlock()
	for _, i := range faults {
		i.Release()
	}
	g.overrides.clear()
}

// claim finds the first fault in force that applies to the call and is not used up.
func (s *faultSet) claim(c Call, kinds ...Kind) *Injected {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range s.faults {
		for _, k := range kinds {
			if i.Fault.Kind == k && i.Fault.matches(c) && i.take() {
				return i
			}
		}
	}
	return nil
}

// applyFaults holds the call if a hold applies, then answers it if a throttle or an
// error applies. It returns the request log's record of what it did, and whether it answered.
func (g *Gateway) applyFaults(w http.ResponseWriter, r *http.Request, c Call) (rec Request, answered bool) {
	if hold := g.faults.claim(c, KindHold); hold != nil {
		start := time.Now()
		hold.hold(r.Context())
		rec.Held = time.Since(start)
	}
	f := g.faults.claim(c, KindThrottle, KindError)
	if f == nil {
		return rec, false
	}
	p := protocolOf(r, c)
	status, code, message := p.throttle()
	if f.Fault.Kind == KindError {
		status, code, message = http.StatusInternalServerError, "InternalFailure", "injected server error"
		if f.Fault.Status != 0 {
			status = f.Fault.Status
		}
		if p == protoRESTJSON {
			code = "ServiceException"
		}
	} else if f.Fault.Code == "PriorRequestNotComplete" {
		message = "The request was rejected because Route 53 was still processing a prior request."
	}
	if f.Fault.Code != "" {
		code = f.Fault.Code
	}
	writeAWSError(w, r, p, status, code, message)
	rec.Fault = string(f.Fault.Kind)
	return rec, true
}
