package localdeploy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/lbaddr"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Ports a local load balancer listens on, as the demo's would on AWS: http on 80 and https on 443.
const (
	httpPort  = "80"
	httpsPort = "443"
)

// VersionHeader is the header with which a local load balancer names the release that answered (its stack's Version
// parameter), so that a client can tell which stack DNS sent it to.
const VersionHeader = "X-Bluegreen-Version"

// firstAddress is the first loopback address a local load balancer gets; the next ones follow it. On Linux the whole
// of 127.0.0.0/8 reaches the loopback interface, so each load balancer can have an address of its own, as each has
// its own nodes on AWS.
var firstAddress = netip.MustParseAddr("127.77.0.1")

// loadBalancer is one stack's load balancer on the local AWS: an http and an https listener on a loopback address of
// its own, serving the stack's release, counting its requests as an ALB counts RequestCount.
type loadBalancer struct {
	name    string // its DNS name, lower-case
	arn     string // its ARN (empty when the ELB API did not know it)
	version string // the release its stack serves
	http    *http.Server
	https   *http.Server
	addrs   map[string]netip.AddrPort // by the port the load balancer listens on

	total atomic.Int64 // every request, since it opened

	mu      sync.Mutex
	pending map[int64]int64 // requests not yet published, by the Unix second they came in
}

// count counts a request that came in at t.
func (lb *loadBalancer) count(t time.Time) {
	lb.total.Add(1)
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if lb.pending == nil {
		lb.pending = map[int64]int64{}
	}
	lb.pending[t.Unix()]++
}

// take returns the requests not yet published, by second, and forgets them.
func (lb *loadBalancer) take() map[int64]int64 {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	p := lb.pending
	lb.pending = nil
	return p
}

// putBack keeps counts that could not be published for the next time.
func (lb *loadBalancer) putBack(p map[int64]int64) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if lb.pending == nil {
		lb.pending = map[int64]int64{}
	}
	for sec, n := range p {
		lb.pending[sec] += n
	}
}

// loadBalancers are the local load balancers opened so far, by DNS name. They outlive the local AWS's resets: a
// name is moto's, unique per load balancer. All of them listen on the same two ports (chosen by the first), each on
// its own address, so that an address from DNS and the port of the scheme reach one load balancer. StartAppServer
// chooses the ports.
type loadBalancers struct {
	mu                  sync.Mutex
	byName              map[string]*loadBalancer
	next                netip.Addr
	httpPort, httpsPort uint16
}

// LoadBalancerResolver is what the local AWS answers with when asked where a load balancer listens: the gateway for
// the health function (gateway SetLoadBalancerResolver) and the DNS data plane for clients, so that the two agree on
// every name. The first time a name is asked for, the app server finds the stack whose LoadBalancerDNSName output
// it is (through cfn) and the load balancer's ARN (through elb), and opens the load balancer on a loopback address
// of its own for that stack's release: port 80 serves http (or redirects it to https, see RedirectHTTP), port 443
// https with the app server's certificate (SetCertificate). A name no stack has, or another port, has no address.
func (s *AppServer) LoadBalancerResolver(cfn cloudformation.DescribeStacksAPIClient, elb elasticloadbalancingv2.DescribeLoadBalancersAPIClient) lbaddr.Resolver {
	return func(ctx context.Context, host, port string) (netip.AddrPort, error) {
		if port != httpPort && port != httpsPort {
			return netip.AddrPort{}, &lbaddr.NotFoundError{Host: host, Port: port,
				Reason: "a local load balancer listens on 80 (http) and 443 (https)"}
		}
		lb, err := s.loadBalancer(ctx, cfn, elb, records.Normalize(host))
		if err != nil {
			return netip.AddrPort{}, err
		}
		return lb.addrs[port], nil
	}
}

// loadBalancer returns the load balancer named host, opening it the first time.
func (s *AppServer) loadBalancer(ctx context.Context, cfn cloudformation.DescribeStacksAPIClient, elb elasticloadbalancingv2.DescribeLoadBalancersAPIClient, host string) (*loadBalancer, error) {
	s.lbs.mu.Lock()
	lb, ok := s.lbs.byName[host]
	s.lbs.mu.Unlock()
	if ok {
		return lb, nil
	}
	stack, err := stackOfLoadBalancer(ctx, cfn, host)
	if err != nil {
		return nil, err
	}
	version := ""
	for _, p := range stack.Parameters {
		if aws.ToString(p.ParameterKey) == deploy.ParamVersion {
			version = aws.ToString(p.ParameterValue)
		}
	}
	arn, err := loadBalancerARN(ctx, elb, host)
	if err != nil {
		return nil, err
	}
	s.lbs.mu.Lock()
	defer s.lbs.mu.Unlock()
	if lb, ok := s.lbs.byName[host]; ok {
		return lb, nil
	}
	lb, err = s.openLoadBalancer(host, arn, version)
	if err != nil {
		return nil, err
	}
	if s.lbs.byName == nil {
		s.lbs.byName = map[string]*loadBalancer{}
	}
	s.lbs.byName[host] = lb
	return lb, nil
}

// stackOfLoadBalancer finds the stack whose endpoint output (LoadBalancerDNSName) is host.
func stackOfLoadBalancer(ctx context.Context, cfn cloudformation.DescribeStacksAPIClient, host string) (cfntypes.Stack, error) {
	pages := cloudformation.NewDescribeStacksPaginator(cfn, &cloudformation.DescribeStacksInput{})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return cfntypes.Stack{}, fmt.Errorf("find the stack of load balancer %s: %w", host, err)
		}
		for _, st := range out.Stacks {
			for _, o := range st.Outputs {
				if aws.ToString(o.OutputKey) == deploy.DefaultEndpointOutput && strings.EqualFold(aws.ToString(o.OutputValue), host) {
					return st, nil
				}
			}
		}
	}
	return cfntypes.Stack{}, &lbaddr.NotFoundError{Host: host, Port: httpsPort,
		Reason: "no stack's " + deploy.DefaultEndpointOutput + " output names it"}
}

// loadBalancerARN is the ARN of the load balancer named host ("" when the ELB API has none of that name: a stack's
// output may name something else).
func loadBalancerARN(ctx context.Context, elb elasticloadbalancingv2.DescribeLoadBalancersAPIClient, host string) (string, error) {
	if elb == nil {
		return "", nil
	}
	pages := elasticloadbalancingv2.NewDescribeLoadBalancersPaginator(elb, &elasticloadbalancingv2.DescribeLoadBalancersInput{PageSize: aws.Int32(400)})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("find load balancer %s: %w", host, err)
		}
		for _, lb := range out.LoadBalancers {
			if records.Normalize(aws.ToString(lb.DNSName)) == host {
				return aws.ToString(lb.LoadBalancerArn), nil
			}
		}
	}
	return "", nil
}

// openLoadBalancer opens the listeners of the load balancer named host, serving version, on the next loopback
// address; the caller holds s.lbs.mu.
func (s *AppServer) openLoadBalancer(host, arn, version string) (*loadBalancer, error) {
	lb := &loadBalancer{name: host, arn: arn, version: version, addrs: map[string]netip.AddrPort{}}
	quiet := log.New(io.Discard, "", 0) // refused handshakes are what some tests want
	lb.http = &http.Server{ErrorLog: quiet, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveLoadBalancer(w, r, lb, "http")
	})}
	lb.https = &http.Server{ErrorLog: quiet, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveLoadBalancer(w, r, lb, "https")
	})}
	l := &s.lbs
	if !l.next.IsValid() {
		l.next = firstAddress
	}
	var lastErr error
	for tries := 0; tries < 16; tries++ { // an address whose ports are taken is skipped
		addr := l.next
		l.next = l.next.Next()
		httpLn, httpsLn, err := listenPair(addr, l.httpPort, l.httpsPort)
		if err != nil {
			lastErr = err
			continue
		}
		lb.addrs[httpPort] = httpLn.Addr().(*net.TCPAddr).AddrPort()
		lb.addrs[httpsPort] = httpsLn.Addr().(*net.TCPAddr).AddrPort()
		go lb.http.Serve(httpLn)                                                                                              //nolint:errcheck // Serve returns when Close is called
		go lb.https.Serve(tls.NewListener(httpsLn, &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: s.certificate})) //nolint:errcheck // as above
		return lb, nil
	}
	return nil, fmt.Errorf("load balancer %s: no loopback address from %s on: %w", host, firstAddress, lastErr)
}

// listenPair listens on addr at the two ports (0: a free one).
func listenPair(addr netip.Addr, http, https uint16) (net.Listener, net.Listener, error) {
	a, err := net.Listen("tcp", netip.AddrPortFrom(addr, http).String())
	if err != nil {
		return nil, nil, err
	}
	b, err := net.Listen("tcp", netip.AddrPortFrom(addr, https).String())
	if err != nil {
		return nil, nil, errors.Join(err, a.Close())
	}
	return a, b, nil
}

func (lb *loadBalancer) close() error {
	return errors.Join(lb.http.Close(), lb.https.Close())
}

// serveLoadBalancer answers a request to a load balancer as the demo's would: http redirected to https on the same
// host when RedirectHTTP is on (an ALB listener's redirect action, https://#{host}:443/#{path}?#{query}), otherwise
// the health answer of the load balancer's release at /health and its page everywhere else, naming the release in
// VersionHeader. Every request counts, as an ALB's RequestCount counts every request it receives (probes too).
func (s *AppServer) serveLoadBalancer(w http.ResponseWriter, r *http.Request, lb *loadBalancer, scheme string) {
	lb.count(time.Now())
	seen := scheme + " host " + r.Host
	if r.TLS != nil {
		seen += " sni " + r.TLS.ServerName
	}
	s.mu.Lock()
	if r.URL.Path == "/health" || len(s.lbRequests[lb.version]) < maxRequestLines {
		s.lbRequests[lb.version] = append(s.lbRequests[lb.version], seen)
	}
	redirect := s.redirectHTTP
	s.mu.Unlock()
	if scheme == "http" && redirect {
		http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusMovedPermanently)
		return
	}
	w.Header().Set(VersionHeader, lb.version)
	if r.URL.Path == "/health" {
		s.answer(w, lb.version)
		return
	}
	if s.isBroken(lb.version) {
		http.Error(w, "release "+lb.version+" cannot reach its database", http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "demoapp %s\n", lb.version)
}

// maxRequestLines bounds what LoadBalancerRequests keeps of a release's non-probe requests: a load of clients
// makes thousands.
const maxRequestLines = 100

// LoadBalancerRequestCount is how many requests the load balancer named host has received since it opened (0 for a
// load balancer not open).
func (s *AppServer) LoadBalancerRequestCount(host string) int64 {
	s.lbs.mu.Lock()
	defer s.lbs.mu.Unlock()
	if lb, ok := s.lbs.byName[records.Normalize(host)]; ok {
		return lb.total.Load()
	}
	return 0
}

// certificate is the https listeners' certificate: the one SetCertificate gave, or none (the handshake fails).
func (s *AppServer) certificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cert == nil {
		return nil, errors.New("the local load balancers have no certificate (AppServer.SetCertificate)")
	}
	return s.cert, nil
}

// SetCertificate makes the local load balancers' https listeners serve cert (nil: none). A test makes it with
// package localca, for the demo zone's names.
func (s *AppServer) SetCertificate(cert *tls.Certificate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cert = cert
}

// RedirectHTTP makes the local load balancers answer every http request with a redirect to https on the same host
// (or stop).
func (s *AppServer) RedirectHTTP(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redirectHTTP = on
}

// LoadBalancerRequests returns what the load balancers of a release were asked, one line per request: the scheme,
// the Host header and, for https, the TLS server name ("https host demoapp.example.com sni demoapp.example.com").
// Every probe of /health is kept, and the first maxRequestLines of the other requests.
func (s *AppServer) LoadBalancerRequests(version string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lbRequests[version]...)
}
