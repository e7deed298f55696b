package localdeploy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
)

// AppServer stands in for the demo stacks' releases and their load balancers (moto's serve no HTTP): it answers
// /health?version=V with 200 "ok V", or 500 for a version that is broken — one containing "broken", one marked
// with Break, or one past its FailAfter count. Each stack's load balancer is served too, on a loopback address of
// its own that the local DNS gives out and the health function is told (see LoadBalancerResolver): http and https
// listeners that answer /health for the stack's release the same way and every other path with its page, and
// publish their RequestCount to the local CloudWatch.
type AppServer struct {
	srv    *http.Server
	ln     net.Listener
	mu     sync.Mutex
	broken map[string]bool
	after  map[string]int
	hits   map[string]int

	lbs          loadBalancers
	cert         *tls.Certificate
	redirectHTTP bool
	lbRequests   map[string][]string // by version

	cw             cloudWatchAPI // where the load balancers publish RequestCount (nil: nowhere)
	highResolution bool
	done           chan struct{} // closed by Close: the publisher stops
	published      chan struct{} // closed when the publisher has stopped
}

// StartAppServer listens on a free 127.0.0.1 port.
func StartAppServer() (*AppServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("app server: %w", err)
	}
	httpLn, httpsLn, err := listenPair(firstAddress, 0, 0) // the ports every local load balancer listens on
	if err != nil {
		return nil, errors.Join(fmt.Errorf("app server: the local load balancers' ports on %s: %w", firstAddress, err), ln.Close())
	}
	ports := [2]uint16{httpLn.Addr().(*net.TCPAddr).AddrPort().Port(), httpsLn.Addr().(*net.TCPAddr).AddrPort().Port()}
	if err := errors.Join(httpLn.Close(), httpsLn.Close()); err != nil {
		return nil, errors.Join(err, ln.Close())
	}
	s := &AppServer{ln: ln, broken: map[string]bool{}, after: map[string]int{}, hits: map[string]int{},
		lbRequests: map[string][]string{}, done: make(chan struct{}), published: make(chan struct{})}
	s.lbs.httpPort, s.lbs.httpsPort = ports[0], ports[1]
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve)}
	go s.srv.Serve(ln) //nolint:errcheck // Serve returns when Close is called
	go func() { s.publish(s.done); close(s.published) }()
	return s, nil
}

// LoadBalancerPort is the port every local load balancer serves http on, at its own address (the one DNS answers
// for it); https is on another.
func (s *AppServer) LoadBalancerPort() uint16 {
	s.lbs.mu.Lock()
	defer s.lbs.mu.Unlock()
	return s.lbs.httpPort
}

// URL is the server's base URL.
func (s *AppServer) URL() string { return "http://" + s.ln.Addr().String() }

// Break makes a version's health check fail (or pass again).
func (s *AppServer) Break(version string, broken bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.broken[version] = broken
}

// FailAfter makes a version healthy for its next n health checks and unhealthy after them (its count starts again:
// two tests may use one version name).
func (s *AppServer) FailAfter(version string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.after[version], s.hits[version] = n, 0
}

// Hits returns how many health checks a version got.
func (s *AppServer) Hits(version string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[version]
}

// Close stops the server and its load balancers, publishing what they counted.
func (s *AppServer) Close() error {
	close(s.done)
	<-s.published
	errs := []error{s.srv.Close()}
	s.lbs.mu.Lock()
	defer s.lbs.mu.Unlock()
	for _, lb := range s.lbs.byName {
		errs = append(errs, lb.close())
	}
	return errors.Join(errs...)
}

func (s *AppServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/health" {
		http.NotFound(w, r)
		return
	}
	s.answer(w, r.URL.Query().Get("version"))
}

// answer is the health answer of release v; it counts as one of v's health checks.
func (s *AppServer) answer(w http.ResponseWriter, v string) {
	s.mu.Lock()
	s.hits[v]++
	s.mu.Unlock()
	if s.isBroken(v) {
		http.Error(w, "unhealthy: release "+v+" cannot reach its database", http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "ok %s\n", v)
}

// isBroken says whether release v fails now: marked with Break, past its FailAfter count of health checks, or
// (unmarked) named "broken".
func (s *AppServer) isBroken(v string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	broken, marked := s.broken[v]
	if n, ok := s.after[v]; ok && s.hits[v] > n {
		broken, marked = true, true
	}
	return (marked && broken) || (!marked && strings.Contains(v, "broken"))
}
