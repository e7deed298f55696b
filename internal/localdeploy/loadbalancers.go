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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/lbaddr"
)

// Ports a local load balancer listens on, as the demo's would on AWS: http on 80 and https on 443.
const (
	httpPort  = "80"
	httpsPort = "443"
)

// loadBalancer is one stack's load balancer on the local AWS: an http and an https listener, each on a port of its
// own on 127.0.0.1, serving the stack's release.
type loadBalancer struct {
	name    string // its DNS name, lower-case
	version string // the release its stack serves
	http    *http.Server
	https   *http.Server
	addrs   map[string]netip.AddrPort // by the port the load balancer listens on
}

// loadBalancers are the local load balancers the health function has asked about, by DNS name. They outlive the
// local AWS's resets: a name is moto's, unique per load balancer.
type loadBalancers struct {
	mu     sync.Mutex
	byName map[string]*loadBalancer
}

// LoadBalancerResolver is what the local AWS's gateway answers the health function with (gateway
// SetLoadBalancerResolver): where the load balancer of that DNS name listens on that port. The first time a name is
// asked for, the app server finds the stack whose LoadBalancerDNSName output it is (through cfn) and opens the load
// balancer's two listeners for that stack's release: port 80 serves http (or redirects it to https, see
// RedirectHTTP), port 443 https with the app server's certificate (SetCertificate). A name no stack has, or another
// port, has no address.
func (s *AppServer) LoadBalancerResolver(cfn cloudformation.DescribeStacksAPIClient) lbaddr.Resolver {
	return func(ctx context.Context, host, port string) (netip.AddrPort, error) {
		if port != httpPort && port != httpsPort {
			return netip.AddrPort{}, &lbaddr.NotFoundError{Host: host, Port: port,
				Reason: "a local load balancer listens on 80 (http) and 443 (https)"}
		}
		lb, err := s.loadBalancer(ctx, cfn, strings.ToLower(host))
		if err != nil {
			return netip.AddrPort{}, err
		}
		return lb.addrs[port], nil
	}
}

// loadBalancer returns the load balancer named host, opening it the first time.
func (s *AppServer) loadBalancer(ctx context.Context, cfn cloudformation.DescribeStacksAPIClient, host string) (*loadBalancer, error) {
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
	s.lbs.mu.Lock()
	defer s.lbs.mu.Unlock()
	if lb, ok := s.lbs.byName[host]; ok {
		return lb, nil
	}
	lb, err = s.openLoadBalancer(host, version)
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

// openLoadBalancer opens the listeners of the load balancer named host, serving version.
func (s *AppServer) openLoadBalancer(host, version string) (*loadBalancer, error) {
	lb := &loadBalancer{name: host, version: version, addrs: map[string]netip.AddrPort{}}
	quiet := log.New(io.Discard, "", 0) // refused handshakes are what some tests want
	lb.http = &http.Server{ErrorLog: quiet, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveLoadBalancer(w, r, lb, "http")
	})}
	lb.https = &http.Server{ErrorLog: quiet, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveLoadBalancer(w, r, lb, "https")
	})}
	for port, srv := range map[string]*http.Server{httpPort: lb.http, httpsPort: lb.https} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, errors.Join(fmt.Errorf("load balancer %s: %w", host, err), lb.close())
		}
		lb.addrs[port] = ln.(*net.TCPListener).Addr().(*net.TCPAddr).AddrPort()
		if port == httpsPort {
			ln = tls.NewListener(ln, &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: s.certificate})
		}
		go srv.Serve(ln) //nolint:errcheck // Serve returns when Close is called
	}
	return lb, nil
}

func (lb *loadBalancer) close() error {
	return errors.Join(lb.http.Close(), lb.https.Close())
}

// serveLoadBalancer answers a request to a load balancer as the demo's would: http redirected to https on the same
// host when RedirectHTTP is on (an ALB listener's redirect action, https://#{host}:443/#{path}?#{query}), otherwise
// the health answer of the load balancer's release at /health.
func (s *AppServer) serveLoadBalancer(w http.ResponseWriter, r *http.Request, lb *loadBalancer, scheme string) {
	seen := scheme + " host " + r.Host
	if r.TLS != nil {
		seen += " sni " + r.TLS.ServerName
	}
	s.mu.Lock()
	s.lbRequests[lb.version] = append(s.lbRequests[lb.version], seen)
	redirect := s.redirectHTTP
	s.mu.Unlock()
	if scheme == "http" && redirect {
		http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusMovedPermanently)
		return
	}
	if r.URL.Path != "/health" {
		http.NotFound(w, r)
		return
	}
	s.answer(w, lb.version)
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
func (s *AppServer) LoadBalancerRequests(version string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lbRequests[version]...)
}
