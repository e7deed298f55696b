package gateway

import (
	"net/http"
	"sync"
	"time"
)

// Request is one call the gateway answered, as the request log records it.
type Request struct {
	Call
	// Status is the HTTP status of the answer.
	Status int `json:"status"`
	// Fault names the injected fault that answered the call ("throttle", "error"), if any.
	Fault string `json:"fault,omitempty"`
	// Limit names the Route 53 model's rule that refused the call (r53model.LimitAccount, LimitOperation,
	// LimitChanges: answered Throttling; LimitPriorRequest: PriorRequestNotComplete), if any.
	Limit string `json:"limit,omitempty"`
	// Instance is the number of the function's instance that ran an invoke (1 for its first), and Cold whether
	// that instance was started for it.
	Instance int  `json:"instance,omitempty"`
	Cold     bool `json:"cold,omitempty"`
	// Held is how long a hold fault kept the call waiting.
	Held time.Duration `json:"held,omitempty"`
	// Time is when the call arrived; Duration how long the answer took.
	Time     time.Time     `json:"time"`
	Duration time.Duration `json:"duration"`
}

// Accepted reports whether the call succeeded (a 2xx status).
func (r Request) Accepted() bool { return r.Status >= 200 && r.Status < 300 }

// requestLog is the gateway's record of calls, safe for concurrent use.
type requestLog struct {
	mu       sync.Mutex
	requests []Request
}

func (l *requestLog) add(r Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests = append(l.requests, r)
}

// Requests returns the calls logged since the last ResetLog, oldest first.
func (g *Gateway) Requests() []Request {
	g.log.mu.Lock()
	defer g.log.mu.Unlock()
	return append([]Request(nil), g.log.requests...)
}

// Count returns how many calls of a service's operation were accepted (answered 2xx)
// since the last ResetLog. An empty operation counts every operation of the service;
// for "lambda", the operation may also be "Invoke:<function name>".
func (g *Gateway) Count(service, operation string) int {
	return g.count(service, operation, Request.Accepted)
}

// CountAll is Count including rejected calls: throttled, failed, or refused by moto.
func (g *Gateway) CountAll(service, operation string) int {
	return g.count(service, operation, func(Request) bool { return true })
}

// CountRejected is CountAll minus Count: the calls answered with an error status.
func (g *Gateway) CountRejected(service, operation string) int {
	return g.count(service, operation, func(r Request) bool { return !r.Accepted() })
}

// CountThrottled counts the calls answered with a throttle: an injected one (Fault "throttle") or the Route 53
// model's refusal (Limit set: Throttling or PriorRequestNotComplete).
func (g *Gateway) CountThrottled(service, operation string) int {
	return g.count(service, operation, func(r Request) bool { return r.Fault == string(KindThrottle) || r.Limit != "" })
}

func (g *Gateway) count(service, operation string, keep func(Request) bool) int {
	n := 0
	for _, r := range g.Requests() {
		if r.Service == service && (operation == "" || operation == r.Operation ||
			operation == r.Operation+":"+r.Function) && keep(r) {
			n++
		}
	}
	return n
}

// ResetLog empties the request log.
func (g *Gateway) ResetLog() {
	g.log.mu.Lock()
	defer g.log.mu.Unlock()
	g.log.requests = nil
}

// recorder remembers the status a handler answered with and makes sure every answer
// carries a request id.
type recorder struct {
	http.ResponseWriter
	status int
}

func (w *recorder) WriteHeader(status int) {
	if w.status != 0 {
		return
	}
	w.status = status
	h := w.Header()
	if h.Get(requestIDHeader) == "" {
		id := h.Get("X-Amz-Request-Id") // S3's header
		if id == "" {
			id = newRequestID()
		}
		h.Set(requestIDHeader, id)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streamed answers through.
func (w *recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
