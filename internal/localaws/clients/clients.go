// Package clients simulates an app's users on the local AWS: clients that resolve the app's host through a DNS
// resolver, each with a cache of its own that keeps an answer for its TTL (or longer, for clients whose resolver
// pins answers), and send their requests to the address DNS gave them. What each request reached — the release
// named in the response's version header — is recorded with its time, so that the split clients really produce can
// be read for any window.
//
// What this does not model: resolvers that share a cache between clients, browsers' own DNS caches, HTTP
// keep-alive connections that outlive a DNS change (each request here dials the address its cache gives, though a
// client reuses an idle connection to that same address), and clients' retries.
package clients

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Resolver answers a name's addresses and the TTL to keep them for (package dataplane's Resolve, bound to a server).
type Resolver func(ctx context.Context, name string) ([]netip.Addr, time.Duration, error)

// Config configures a load.
type Config struct {
	// Host is the name the clients ask for and send as the Host header.
	Host string
	// Port is where the load balancers serve http, on every address DNS gives.
	Port uint16
	// Clients is how many clients there are (default 20).
	Clients int
	// Every is each client's time between requests (default 100 ms); clients start spread over it.
	Every time.Duration
	// Resolve is the clients' resolver.
	Resolve Resolver
	// MinCache makes each client keep an answer at least this long, whatever its TTL: clients behind a resolver that
	// pins answers. 0 honours the TTL.
	MinCache time.Duration
	// VersionHeader names the response header that says which release answered.
	VersionHeader string
	// Seed seeds the clients' choices among several addresses.
	Seed uint64
	// Timeout bounds each request (default 2 s).
	Timeout time.Duration
}

// Response is what one request got.
type Response struct {
	At time.Time
	// Version is the release that answered (the version header); empty when no load balancer answered.
	Version string
	// Status is the HTTP status; 0 when there was no response.
	Status int
	// Err says why there was no answer (a DNS failure, a refused connection).
	Err string
}

// Load is clients sending requests until Stop.
type Load struct {
	cfg    Config
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	responses []Response
}

// Start starts the clients.
func Start(ctx context.Context, cfg Config) (*Load, error) {
	if cfg.Host == "" || cfg.Port == 0 || cfg.Resolve == nil || cfg.VersionHeader == "" {
		return nil, errors.New("clients: Host, Port, Resolve and VersionHeader are required")
	}
	if cfg.Clients <= 0 {
		cfg.Clients = 20
	}
	if cfg.Every <= 0 {
		cfg.Every = 100 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	l := &Load{cfg: cfg, cancel: cancel}
	for i := range cfg.Clients {
		c := &client{load: l, rng: rand.New(rand.NewPCG(cfg.Seed, uint64(i))),
			http: &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1,
				DialContext: (&net.Dialer{Timeout: cfg.Timeout}).DialContext}}}
		start := time.Duration(i) * cfg.Every / time.Duration(cfg.Clients)
		l.wg.Add(1)
		go func() { defer l.wg.Done(); c.run(ctx, start) }()
	}
	return l, nil
}

// Stop stops the clients and waits for their last requests.
func (l *Load) Stop() {
	l.cancel()
	l.wg.Wait()
}

// Responses returns every response so far, in the order they came.
func (l *Load) Responses() []Response {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Response(nil), l.responses...)
}

// Between tallies the responses that came in [from, to).
func (l *Load) Between(from, to time.Time) Tally {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := Tally{Versions: map[string]int{}, From: from, To: to}
	for _, r := range l.responses {
		if r.At.Before(from) || !r.At.Before(to) {
			continue
		}
		t.Requests++
		if r.Version == "" {
			t.Unanswered++
			continue
		}
		t.Versions[r.Version]++
	}
	return t
}

func (l *Load) record(r Response) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.responses = append(l.responses, r)
}

// Tally is what the requests of a window reached.
type Tally struct {
	From, To time.Time
	// Requests is how many requests were sent (and ended) in the window.
	Requests int
	// Versions counts the requests each release answered.
	Versions map[string]int
	// Unanswered counts the requests no load balancer answered.
	Unanswered int
}

// Share is the percentage of the window's requests that version answered (0 for an empty window).
func (t Tally) Share(version string) float64 {
	if t.Requests == 0 {
		return 0
	}
	return 100 * float64(t.Versions[version]) / float64(t.Requests)
}

// String lists the versions by count: "v2 840, v1 360 of 1200 requests".
func (t Tally) String() string {
	vs := make([]string, 0, len(t.Versions))
	for v := range t.Versions {
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool {
		return t.Versions[vs[i]] > t.Versions[vs[j]] || (t.Versions[vs[i]] == t.Versions[vs[j]] && vs[i] < vs[j])
	})
	s := ""
	for _, v := range vs {
		s += fmt.Sprintf("%s %d, ", v, t.Versions[v])
	}
	if t.Unanswered > 0 {
		s += fmt.Sprintf("unanswered %d, ", t.Unanswered)
	}
	return s + "of " + strconv.Itoa(t.Requests) + " requests"
}

// client is one simulated user with its own resolver cache.
type client struct {
	load    *Load
	rng     *rand.Rand
	http    *http.Client
	addrs   []netip.Addr
	expires time.Time
}

func (c *client) run(ctx context.Context, start time.Duration) {
	defer c.http.CloseIdleConnections()
	if !sleep(ctx, start) {
		return
	}
	for {
		r := c.request(ctx)
		if ctx.Err() != nil {
			return // a request cut short by Stop is not one the client made
		}
		c.load.record(r)
		if !sleep(ctx, c.load.cfg.Every) {
			return
		}
	}
}

// request resolves the host when the cached answer has expired, and sends one request to an address of the answer.
func (c *client) request(ctx context.Context) Response {
	cfg := &c.load.cfg
	if now := time.Now(); c.addrs == nil || !now.Before(c.expires) {
		addrs, ttl, err := cfg.Resolve(ctx, cfg.Host)
		if err != nil || len(addrs) == 0 {
			c.addrs = nil
			msg := "no address"
			if err != nil {
				msg = err.Error()
			}
			return Response{At: time.Now(), Err: "resolve " + cfg.Host + ": " + msg}
		}
		c.addrs, c.expires = addrs, now.Add(max(ttl, cfg.MinCache))
	}
	addr := c.addrs[c.rng.IntN(len(c.addrs))]
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+netip.AddrPortFrom(addr, cfg.Port).String()+"/", nil)
	if err != nil {
		return Response{At: time.Now(), Err: err.Error()}
	}
	req.Host = cfg.Host
	resp, err := c.http.Do(req)
	if err != nil {
		return Response{At: time.Now(), Err: err.Error()}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return Response{At: time.Now(), Version: resp.Header.Get(cfg.VersionHeader), Status: resp.StatusCode}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
