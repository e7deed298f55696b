package dataplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/lbaddr"
)

// AccessKey is the access key the data plane signs its ELB calls with (they go through the local AWS's gateway,
// which passes them quietly: gateway.Config.QuietCallers).
const AccessKey = "localaws-dataplane"

// Defaults of Options.
const (
	// DefaultLoadBalancerTTL is the TTL Route 53 gives an alias to an ELB load balancer.
	DefaultLoadBalancerTTL = 60 * time.Second
	// DefaultHealthCheckInterval is how often the local health checkers probe (Route 53's RequestInterval is 10 or 30 s).
	DefaultHealthCheckInterval = time.Second
	// DefaultRecordCache is how long the zones read from moto are served before they are read again.
	DefaultRecordCache = 200 * time.Millisecond
	// DefaultTargetHealthCache is how long a load balancer's target health is kept.
	DefaultTargetHealthCache = 400 * time.Millisecond
)

// Options are the data plane's settings; zero values take the defaults.
type Options struct {
	// LoadBalancerTTL is the TTL of a load balancer's address, aliased or asked for by name (AWS: 60 s). Local
	// demos and tests shorten it so that clients re-resolve soon after a weight changes.
	LoadBalancerTTL time.Duration
	// HealthCheckInterval is how often each Route 53 health check is probed locally (AWS: its RequestInterval).
	HealthCheckInterval time.Duration
	// Seed seeds the weighted choice, so that a test's answers are the same on every run; 0: seeded from the clock.
	Seed int64
	// RecordCache is how long the zones read from moto are served before the next query reads them again.
	RecordCache time.Duration
	// TargetHealthCache is how long a load balancer's target health is kept (at most 500 ms is sensible: a target
	// turning unhealthy is then seen within about a second).
	TargetHealthCache time.Duration
}

func (o Options) withDefaults() Options {
	if o.LoadBalancerTTL <= 0 {
		o.LoadBalancerTTL = DefaultLoadBalancerTTL
	}
	if o.HealthCheckInterval <= 0 {
		o.HealthCheckInterval = DefaultHealthCheckInterval
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
	if o.RecordCache <= 0 {
		o.RecordCache = DefaultRecordCache
	}
	if o.TargetHealthCache <= 0 {
		o.TargetHealthCache = DefaultTargetHealthCache
	}
	return o
}

// Config is what a Server reads and how.
type Config struct {
	Options
	// Route53 is moto's Route 53, reached directly (moto's own URL, not the gateway's): zones, records, health checks.
	Route53 Route53API
	// ELB is ELBv2 through the gateway, signed with AccessKey: load balancers, target groups, target health.
	ELB ELBAPI
	// Log receives what goes wrong while answering (moto unreachable, a probe's resolution failing); nil: discarded.
	Log *slog.Logger
}

// Server is the local AWS's Route 53 data plane: a DNS server on 127.0.0.1, UDP and TCP on one port, answering for
// moto's public hosted zones and for the local load balancers' names as Route 53's name servers answer.
type Server struct {
	addr   netip.AddrPort
	udp    *dns.Server
	tcp    *dns.Server
	zones  *cachedSource
	lbs    *loadBalancerHealth
	checks *prober
	opts   Options
	log    *slog.Logger

	randMu sync.Mutex
	rand   *rand.Rand

	resolverMu sync.RWMutex
	resolver   lbaddr.Resolver

	stop     context.CancelFunc
	stopped  chan struct{}
	stopOnce sync.Once
	stopErr  error
}

// Start starts a data plane on a free port of 127.0.0.1 (UDP and TCP) and its health checkers. Close stops them.
func Start(cfg Config) (*Server, error) {
	if cfg.Route53 == nil || cfg.ELB == nil {
		return nil, errors.New("dataplane: Config needs Route53 (moto's) and ELB (the gateway's)")
	}
	opts := cfg.Options.withDefaults()
	s := &Server{
		opts:    opts,
		log:     cfg.Log,
		zones:   &cachedSource{src: motoSource{api: cfg.Route53}, ttl: opts.RecordCache, now: time.Now},
		lbs:     &loadBalancerHealth{api: cfg.ELB, ttl: opts.TargetHealthCache, now: time.Now},
		rand:    rand.New(rand.NewPCG(uint64(opts.Seed), uint64(opts.Seed)>>1|1)),
		stopped: make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	pc, ln, err := listenBoth()
	if err != nil {
		return nil, err
	}
	s.addr = ln.Addr().(*net.TCPAddr).AddrPort()
	s.udp = &dns.Server{PacketConn: pc, Handler: s}
	s.tcp = &dns.Server{Listener: ln, Handler: s}
	go func() { _ = s.udp.ActivateAndServe() }()
	go func() { _ = s.tcp.ActivateAndServe() }()

	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.checks = newProber(cfg.Route53, func() map[string]bool { return s.zones.peek().healthChecks() }, s.endpoint,
		opts.HealthCheckInterval, s.log)
	go func() { s.checks.run(ctx); close(s.stopped) }()
	return s, nil
}

// listenBoth listens on one free port of 127.0.0.1 for both TCP and UDP.
func listenBoth() (net.PacketConn, net.Listener, error) {
	var lastErr error
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, fmt.Errorf("dataplane: listen on TCP: %w", err)
		}
		pc, err := net.ListenPacket("udp", ln.Addr().String())
		if err == nil {
			return pc, ln, nil
		}
		ln.Close()
		lastErr = err
	}
	return nil, nil, fmt.Errorf("dataplane: no port of 127.0.0.1 free for both TCP and UDP: %w", lastErr)
}

// Addr is where the server answers, over UDP and TCP.
func (s *Server) Addr() netip.AddrPort { return s.addr }

// SetLoadBalancers says where the local load balancers are (nil: there are none): an alias to a load balancer, and
// a query for its name, are answered with the address r gives for its port 80.
func (s *Server) SetLoadBalancers(r lbaddr.Resolver) {
	s.resolverMu.Lock()
	defer s.resolverMu.Unlock()
	s.resolver = r
}

func (s *Server) loadBalancers() lbaddr.Resolver {
	s.resolverMu.RLock()
	defer s.resolverMu.RUnlock()
	return s.resolver
}

// Flush forgets the zones, target health and health-check states read so far (after a reset of the local AWS).
func (s *Server) Flush() {
	s.zones.flush()
	s.lbs.flush()
	s.checks.flush()
}

// HealthCheckStatus says what the local checkers find of a Route 53 health check (Inverted and Disabled applied):
// known is false for a check they have not probed (no record served names it). The gateway answers
// GetHealthCheckStatus with it (gateway SetHealthCheckStatus).
func (s *Server) HealthCheckStatus(id string) (healthy, known bool) { return s.checks.known(id) }

// Close stops the server and its health checkers. It is safe to call more than once.
func (s *Server) Close() error {
	s.stopOnce.Do(func() {
		s.stop()
		<-s.stopped
		s.stopErr = errors.Join(s.udp.Shutdown(), s.tcp.Shutdown())
	})
	return s.stopErr
}

// rules are the answering rules over the zones as they are now.
func (s *Server) rules(ctx context.Context) (Rules, error) {
	snap, err := s.zones.Snapshot(ctx)
	if err != nil {
		return Rules{}, err
	}
	return Rules{
		Snapshot:        snap,
		Health:          serverHealth{s},
		LoadBalancers:   s.loadBalancers(),
		LoadBalancerTTL: s.opts.LoadBalancerTTL,
		Rand:            lockedRand{s},
	}, nil
}

// ServeDNS answers one DNS message: a single question, as every DNS server in practice. A UDP answer too large for
// the client's buffer (512 bytes, or its EDNS0 size) is truncated with the TC bit set, and the client asks over TCP.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Compress = true
	if req.Opcode != dns.OpcodeQuery || len(req.Question) != 1 {
		m.Rcode = dns.RcodeNotImplemented
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rules, err := s.rules(ctx)
	res := Result{Rcode: dns.RcodeServerFailure, Err: err}
	if err == nil {
		res = rules.Answer(ctx, q.Name, q.Qtype)
	}
	if res.Err != nil {
		s.log.Warn("dataplane: SERVFAIL", "name", q.Name, "type", dns.TypeToString[q.Qtype], "error", res.Err)
	}
	m.Rcode, m.Authoritative, m.Answer, m.Ns = res.Rcode, res.Authoritative, res.Answer, res.Authority
	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		size = int(opt.UDPSize())
		m.SetEdns0(opt.UDPSize(), false)
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		m.Truncate(size)
	}
	_ = w.WriteMsg(m)
}

// Answer answers one query as the server would (for callers in the same process: the health checkers, tests).
func (s *Server) Answer(ctx context.Context, name string, qtype uint16) Result {
	rules, err := s.rules(ctx)
	if err != nil {
		return Result{Rcode: dns.RcodeServerFailure, Err: err}
	}
	return rules.Answer(ctx, name, qtype)
}

// serverHealth is the server's Health: its health checkers' states and the load balancers' target health.
type serverHealth struct{ s *Server }

func (h serverHealth) HealthCheck(id string) bool { return h.s.checks.healthy(id) }

func (h serverHealth) LoadBalancer(ctx context.Context, name string) (bool, error) {
	return h.s.lbs.healthy(ctx, name)
}

// lockedRand is the server's random source, shared by concurrent queries.
type lockedRand struct{ s *Server }

func (l lockedRand) IntN(n int) int {
	l.s.randMu.Lock()
	defer l.s.randMu.Unlock()
	return l.s.rand.IntN(n)
}
