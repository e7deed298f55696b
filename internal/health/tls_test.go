package health

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/localca"
)

// fakeAddresses is an AddressMap from "host:port" to an address, recording every lookup.
type fakeAddresses struct {
	mu      sync.Mutex
	to      map[string]string
	lookups []string
}

func (m *fakeAddresses) LookupAddrPort(_ context.Context, host, port string) (netip.AddrPort, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lookups = append(m.lookups, host+":"+port)
	a, ok := m.to[host+":"+port]
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("no address for %s:%s", host, port)
	}
	return netip.MustParseAddrPort(a), nil
}

// seen is what a test server saw of a request: the TLS server name and the Host header.
type seen struct {
	mu    sync.Mutex
	names []string
}

func (s *seen) add(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names = append(s.names, name)
}

func (s *seen) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.names...)
}

// lb is a stack's load balancer as the probes meet it: lb-1.elb.amazonaws.com, serving https on 443 with a certificate
// for the app's names, and http on 80 (redirecting to https on the same host when asked to).
type lb struct {
	addresses *fakeAddresses
	https     seen
	http      seen
}

const lbName = "lb-1.elb.amazonaws.com"

func startLB(t *testing.T, cert tls.Certificate, redirect bool) *lb {
	t.Helper()
	l := &lb{}
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.https.add("sni " + r.TLS.ServerName + ", host " + r.Host)
		_, _ = w.Write([]byte("ok"))
	}))
	tlsSrv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are what some tests want
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.http.add("host " + r.Host)
		if redirect {
			http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusMovedPermanently)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(plain.Close)
	l.addresses = &fakeAddresses{to: map[string]string{
		lbName + ":443": strings.TrimPrefix(tlsSrv.URL, "https://"),
		lbName + ":80":  strings.TrimPrefix(plain.URL, "http://"),
	}}
	return l
}

func TestTLSNames(t *testing.T) {
	ca, err := localca.New("test CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := localca.New("another CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("demoapp.example.com", "*.example.com")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		url        string
		serverName string
		rootCAs    string
		redirect   bool
		wantError  string // "" for a healthy probe
		wantHTTPS  []string
		wantHTTP   []string
	}{
		{name: "the app's host", url: "https://" + lbName + "/health", serverName: "demoapp.example.com",
			rootCAs: ca.PEM(), wantHTTPS: []string{"sni demoapp.example.com, host demoapp.example.com"}},
		{name: "a per-stack name under the wildcard", url: "https://" + lbName + "/health",
			serverName: "demoapp-123456.example.com", rootCAs: ca.PEM(),
			wantHTTPS: []string{"sni demoapp-123456.example.com, host demoapp-123456.example.com"}},
		{name: "a server name is compared without case", url: "https://" + lbName + "/health",
			serverName: "DemoApp.Example.com", rootCAs: ca.PEM(),
			wantHTTPS: []string{"sni demoapp.example.com, host demoapp.example.com"}},
		{name: "the load balancer's own name is not covered", url: "https://" + lbName + "/health", rootCAs: ca.PEM(),
			wantError: "the certificate covers demoapp.example.com, *.example.com, not " + lbName},
		{name: "a wrong name says which names are covered", url: "https://" + lbName + "/health",
			serverName: "wrong.example.org", rootCAs: ca.PEM(),
			wantError: "the certificate covers demoapp.example.com, *.example.com, not wrong.example.org"},
		{name: "a wildcard covers one label only", url: "https://" + lbName + "/health",
			serverName: "a.b.example.com", rootCAs: ca.PEM(),
			wantError: "the certificate covers demoapp.example.com, *.example.com, not a.b.example.com"},
		{name: "a private CA is not among the system's roots", url: "https://" + lbName + "/health",
			serverName: "demoapp.example.com",
			wantError:  `the certificate (covers demoapp.example.com, *.example.com) is issued by "test CA", which is not in the system's roots`},
		{name: "another CA", url: "https://" + lbName + "/health", serverName: "demoapp.example.com", rootCAs: other.PEM(),
			wantError: `the certificate (covers demoapp.example.com, *.example.com) is issued by "test CA", which is not in RootCAs`},
		{name: "http to https on the same host is followed, to the same load balancer", url: "http://" + lbName + "/health",
			serverName: "demoapp.example.com", rootCAs: ca.PEM(), redirect: true,
			wantHTTP:  []string{"host demoapp.example.com"},
			wantHTTPS: []string{"sni demoapp.example.com, host demoapp.example.com"}},
		{name: "plain http keeps the load balancer's name, and its redirect meets the certificate",
			url: "http://" + lbName + "/health", rootCAs: ca.PEM(), redirect: true,
			wantHTTP:  []string{"host " + lbName},
			wantError: "the certificate covers demoapp.example.com, *.example.com, not " + lbName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := startLB(t, cert, tt.redirect)
			spec := baseSpec(tt.url)
			spec.Successes, spec.Attempts, spec.BodyContains = 1, 1, "ok"
			spec.ServerName, spec.RootCAs = tt.serverName, tt.rootCAs
			c := NewChecker(nil, nil, WithAddressMap(l.addresses), WithResolver(&fakeResolver{}))

			v, err := c.Check(context.Background(), spec)

			if err != nil {
				t.Fatal(err)
			}
			p := v.Probes[0]
			if tt.wantError == "" && !p.OK {
				t.Errorf("probe failed: %s", p.Error)
			}
			if tt.wantError != "" && (p.OK || p.Error != tt.wantError) {
				t.Errorf("probe ok=%v error %q\nwant error %q", p.OK, p.Error, tt.wantError)
			}
			if got := l.https.all(); strings.Join(got, "|") != strings.Join(tt.wantHTTPS, "|") {
				t.Errorf("https requests %q, want %q", got, tt.wantHTTPS)
			}
			if got := l.http.all(); strings.Join(got, "|") != strings.Join(tt.wantHTTP, "|") {
				t.Errorf("http requests %q, want %q", got, tt.wantHTTP)
			}
			for _, a := range l.addresses.lookups {
				if !strings.HasPrefix(a, lbName+":") {
					t.Errorf("looked up %s: every connection must go to the load balancer", a)
				}
			}
		})
	}
}

func TestSpecValidateTLS(t *testing.T) {
	spec := baseSpec("https://" + lbName + "/")
	spec.ServerName, spec.RootCAs = "not a name", "no PEM"
	err := spec.Validate()
	want := `invalid health check spec: server name: DNS name "not a name" has an invalid label "not a name"; ` +
		"root CAs: no PEM certificate found"
	if err == nil || err.Error() != want {
		t.Errorf("Validate() = %v\nwant %s", err, want)
	}
}

// Every connection of a probe goes to the probed URL's host; a request for any other host is refused before dialling.
func TestPinnedDial(t *testing.T) {
	d := &recordingDialer{offline: true}
	g := newGuardedDialer(d, &fakeResolver{answers: map[string][]string{lbName: {"10.0.0.5"}}}, nil, allowed{})
	dial := pinnedDial(g, lbName, "demoapp.example.com")
	for _, addr := range []string{"demoapp.example.com:443", "DemoApp.example.com:80", lbName + ":443", "evil.example.com:443"} {
		_, _ = dial(context.Background(), "tcp", addr)
	}
	want := "10.0.0.5:443|10.0.0.5:80|10.0.0.5:443"
	if got := strings.Join(d.Addrs(), "|"); got != want {
		t.Errorf("dialled %s, want %s (never evil.example.com)", got, want)
	}
}

// The address map's answers pass the guard like DNS answers.
func TestAddressMapAnswersAreGuarded(t *testing.T) {
	m := &fakeAddresses{to: map[string]string{lbName + ":80": "169.254.169.254:80"}}
	spec := baseSpec("http://" + lbName + "/")
	c := NewChecker(nil, nil, WithAddressMap(m), WithDialer(&recordingDialer{offline: true}))
	spec.Successes, spec.Attempts = 1, 1
	got, err := c.Check(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if !got.AddressRefused || !strings.Contains(got.Probes[0].Error, "the instance metadata address") {
		t.Errorf("verdict %+v, want the metadata address refused", got)
	}
}
