package dataplane

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// The response times a Route 53 health checker allows ("How Amazon Route 53 determines whether a health check is
// healthy"): "HTTP and HTTPS health checks – Route 53 must be able to establish a TCP connection with the endpoint
// within four seconds. In addition, the endpoint must respond with an HTTP status code of 2xx or 3xx within two
// seconds after connecting"; "TCP health checks – Route 53 must be able to establish a TCP connection with the
// endpoint within ten seconds"; string matching: "Route 53 must receive the response body from the endpoint within
// the next two seconds ... The string must appear entirely in the first 5,120 bytes of the response body".
const (
	httpConnectTimeout  = 4 * time.Second
	httpResponseTimeout = 2 * time.Second
	tcpConnectTimeout   = 10 * time.Second
	searchBytes         = 5120
)

// endpointFunc says where to connect for a health check: IPAddress when given, else FullyQualifiedDomainName
// resolved through the zones served and the local load balancers, on port.
type endpointFunc func(ctx context.Context, fqdn, ip string, port int) (netip.AddrPort, error)

// prober models Route 53's health checkers for the endpoint health checks moto holds (HTTP, HTTPS,
// HTTP_STR_MATCH, HTTPS_STR_MATCH, TCP): every interval it lists them from moto and probes each that a record of the
// zones last served names, one probe at a time per check. (Only those: a check no record names changes no answer,
// and an idle data plane makes no call to moto, nor lines in its log.) A check is healthy until FailureThreshold consecutive probes say otherwise, and then unhealthy until as
// many say healthy ("the number of consecutive health checks that an endpoint must pass or fail for Route 53 to
// change the current status"); a new one starts healthy ("Route 53 considers a new health check to be healthy
// until there's enough data to determine the actual status"). A disabled check is not probed: "After you disable a
// health check, Route 53 considers the status of the health check to always be healthy ... If you want to stop
// routing traffic to a resource, change the value of Inverted" (HealthCheckConfig, Route 53 API reference); Inverted
// reverses the status ("Route 53 considers the health check to be unhealthy when the status is healthy and vice
// versa"), a disabled one's too. Other types (CALCULATED, CLOUDWATCH_METRIC, RECOVERY_CONTROL) are not modelled:
// they stay healthy.
//
// AWS's checkers probe from several regions and call an endpoint healthy when more than 18 % of them do; one local
// checker stands for them all. AWS's interval is RequestInterval (10 or 30 s); locally it is the interval given.
type prober struct {
	api      route53.ListHealthChecksAPIClient
	named    func() map[string]bool // the health checks the records name
	endpoint endpointFunc
	interval time.Duration
	log      *slog.Logger

	mu     sync.Mutex
	states map[string]*checkState
}

// checkState is what the checkers know of one health check.
type checkState struct {
	config  types.HealthCheckConfig
	status  status
	probing bool
}

// status is a health check's status as its consecutive results move it.
type status struct {
	Healthy bool
	Streak  int // consecutive results contrary to Healthy
}

// next is the status after one result, for a check whose FailureThreshold is threshold.
func (s status) next(ok bool, threshold int) status {
	if threshold < 1 {
		threshold = 1
	}
	if ok == s.Healthy {
		return status{Healthy: s.Healthy}
	}
	if s.Streak+1 >= threshold {
		return status{Healthy: ok}
	}
	return status{Healthy: s.Healthy, Streak: s.Streak + 1}
}

func newProber(api route53.ListHealthChecksAPIClient, named func() map[string]bool, endpoint endpointFunc,
	interval time.Duration, log *slog.Logger) *prober {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &prober{api: api, named: named, endpoint: endpoint, interval: interval, log: log, states: map[string]*checkState{}}
}

// healthy reports the status of a health check; one the checkers have not seen yet is healthy, as a new one is.
func (p *prober) healthy(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.states[id]
	if !ok {
		return true
	}
	healthy := st.status.Healthy || aws.ToBool(st.config.Disabled)
	return healthy != aws.ToBool(st.config.Inverted)
}

// known reports the status of a health check the checkers have probed; known is false for one they have not.
func (p *prober) known(id string) (healthy, known bool) {
	p.mu.Lock()
	_, known = p.states[id]
	p.mu.Unlock()
	return p.healthy(id), known
}

func (p *prober) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.states = map[string]*checkState{}
}

// run probes every interval until ctx ends.
func (p *prober) run(ctx context.Context) {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	var probes sync.WaitGroup
	defer probes.Wait()
	for {
		p.round(ctx, &probes)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// round lists the health checks and starts a probe of each one the records name that is not being probed.
func (p *prober) round(ctx context.Context, probes *sync.WaitGroup) {
	named := p.named()
	if len(named) == 0 {
		p.flush()
		return
	}
	var checks []types.HealthCheck
	pages := route53.NewListHealthChecksPaginator(p.api, &route53.ListHealthChecksInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if ctx.Err() == nil {
				p.log.Warn("dataplane: list the health checks", "error", err)
			}
			return
		}
		checks = append(checks, page.HealthChecks...)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := map[string]bool{}
	for _, hc := range checks {
		id := aws.ToString(hc.Id)
		if hc.HealthCheckConfig == nil || !named[id] {
			continue
		}
		seen[id] = true
		st, ok := p.states[id]
		if !ok {
			st = &checkState{status: status{Healthy: true}}
			p.states[id] = st
		}
		st.config = *hc.HealthCheckConfig
		if st.probing || aws.ToBool(st.config.Disabled) || !probed(st.config.Type) {
			continue
		}
		st.probing = true
		probes.Add(1)
		go func(cfg types.HealthCheckConfig) {
			defer probes.Done()
			ok := p.probe(ctx, cfg)
			p.mu.Lock()
			defer p.mu.Unlock()
			st.probing = false
			if ctx.Err() == nil {
				st.status = st.status.next(ok, int(aws.ToInt32(cfg.FailureThreshold)))
			}
		}(st.config)
	}
	for id := range p.states {
		if !seen[id] {
			delete(p.states, id)
		}
	}
}

func probed(t types.HealthCheckType) bool {
	switch t {
	case types.HealthCheckTypeHttp, types.HealthCheckTypeHttps, types.HealthCheckTypeHttpStrMatch,
		types.HealthCheckTypeHttpsStrMatch, types.HealthCheckTypeTcp:
		return true
	}
	return false
}

// probe makes one health check request, and reports whether it passed.
func (p *prober) probe(ctx context.Context, cfg types.HealthCheckConfig) bool {
	port := int(aws.ToInt32(cfg.Port))
	if port == 0 {
		port = defaultPort(cfg.Type)
	}
	addr, err := p.endpoint(ctx, aws.ToString(cfg.FullyQualifiedDomainName), aws.ToString(cfg.IPAddress), port)
	if err != nil {
		p.log.Debug("dataplane: health check endpoint", "error", err)
		return false
	}
	return checkOnce(ctx, cfg, addr, port) == nil
}

func defaultPort(t types.HealthCheckType) int {
	if t == types.HealthCheckTypeHttps || t == types.HealthCheckTypeHttpsStrMatch {
		return 443
	}
	return 80
}

// checkOnce makes one health check request to addr as a Route 53 health checker does, and says why it failed. An
// HTTP check asks for ResourcePath with the Host header FullyQualifiedDomainName (else the IP address), with ":port"
// when the port is not 80 (443 for HTTPS); HTTPS does not validate the certificate ("HTTPS health checks don't
// validate SSL/TLS certificates") and sends the name as SNI when EnableSNI is on; redirects are not followed (a 3xx
// passes).
func checkOnce(ctx context.Context, cfg types.HealthCheckConfig, addr netip.AddrPort, port int) error {
	if cfg.Type == types.HealthCheckTypeTcp {
		d := net.Dialer{Timeout: tcpConnectTimeout}
		conn, err := d.DialContext(ctx, "tcp", addr.String())
		if err != nil {
			return err
		}
		return conn.Close()
	}
	host := aws.ToString(cfg.FullyQualifiedDomainName)
	if host == "" {
		host = aws.ToString(cfg.IPAddress)
	}
	scheme := "http"
	tlsConfig := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // Route 53's health checkers do not validate certificates
	if cfg.Type == types.HealthCheckTypeHttps || cfg.Type == types.HealthCheckTypeHttpsStrMatch {
		scheme = "https"
		if aws.ToBool(cfg.EnableSNI) {
			tlsConfig.ServerName = aws.ToString(cfg.FullyQualifiedDomainName)
		}
	}
	client := &http.Client{
		Transport: &http.Transport{
			Proxy: nil,
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				d := net.Dialer{Timeout: httpConnectTimeout}
				return d.DialContext(ctx, network, addr.String())
			},
			TLSClientConfig:       tlsConfig,
			ResponseHeaderTimeout: httpResponseTimeout,
			DisableKeepAlives:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	path := aws.ToString(cfg.ResourcePath)
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	hostPort := host // Route 53's Host header: the name, with the port when it is not the scheme's default
	if port != defaultPort(cfg.Type) {
		hostPort = net.JoinHostPort(host, strconv.Itoa(port))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+hostPort+path, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if cfg.Type != types.HealthCheckTypeHttpStrMatch && cfg.Type != types.HealthCheckTypeHttpsStrMatch {
		return nil
	}
	bodyCtx, cancel := context.WithTimeout(ctx, httpResponseTimeout)
	defer cancel()
	go func() { <-bodyCtx.Done(); resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, searchBytes))
	if !strings.Contains(string(body), aws.ToString(cfg.SearchString)) {
		return fmt.Errorf("%q not in the first %d bytes of the body", aws.ToString(cfg.SearchString), searchBytes)
	}
	return nil
}
