package health

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// oneProbe checks url once with a fake clock, the given dialer and resolver.
func oneProbe(t *testing.T, spec Spec, d Dialer, r Resolver) Verdict {
	t.Helper()
	spec.Successes, spec.Attempts = 1, 1
	opts := []Option{WithClock(newFakeClock(time.Now()))}
	if d != nil {
		opts = append(opts, WithDialer(d))
	}
	if r != nil {
		opts = append(opts, WithResolver(r))
	}
	got, err := NewChecker(nil, nil, opts...).Check(context.Background(), spec)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if len(got.Probes) != 1 {
		t.Fatalf("probes = %+v, want one", got.Probes)
	}
	return got
}

func TestRedirects(t *testing.T) {
	var other atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		other.Add(1)
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(elsewhere.Close)

	mux := http.NewServeMux()
	mux.Handle("/same", http.RedirectHandler("/final", http.StatusFound))
	mux.HandleFunc("/final", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.Handle("/offhost", http.RedirectHandler(elsewhere.URL+"/x", http.StatusFound))
	mux.Handle("/metadata", http.RedirectHandler("http://169.254.169.254/latest/meta-data/", http.StatusFound))
	mux.Handle("/loop", http.RedirectHandler("/loop", http.StatusFound))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")

	tests := []struct {
		path      string
		wantOK    bool
		wantError string
	}{
		{path: "/same", wantOK: true},
		{path: "/offhost", wantError: "redirect to " + elsewhere.URL + "/x refused: http://:" + port(elsewhere) +
			" after http://:" + port(srv) + ": only the same scheme and port, or http to https, are followed"},
		{path: "/metadata", wantError: "redirect to http://169.254.169.254/latest/meta-data/ refused: not on 127.0.0.1"},
		{path: "/loop", wantError: "redirect to " + srv.URL + "/loop refused: more than 5 redirects"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			d := &recordingDialer{}
			spec := baseSpec(srv.URL + tt.path)
			spec.BodyContains = "ok"

			got := oneProbe(t, spec, d, nil)

			p := got.Probes[0]
			if p.OK != tt.wantOK || p.Error != tt.wantError {
				t.Errorf("probe ok=%v error %q, want ok=%v error %q", p.OK, p.Error, tt.wantOK, tt.wantError)
			}
			if !tt.wantOK && p.Status != http.StatusFound {
				t.Errorf("status = %d, want the refused redirect's 302", p.Status)
			}
			for _, a := range d.Addrs() {
				if a != host {
					t.Errorf("dialled %s, want only %s", a, host)
				}
			}
		})
	}
	if other.Load() != 0 {
		t.Errorf("the off-host server got %d requests, want none", other.Load())
	}
}

func port(srv *httptest.Server) string {
	u, _ := url.Parse(srv.URL)
	return u.Port()
}

func TestRedirectPolicy(t *testing.T) {
	tests := []struct {
		name       string
		from       string
		serverName string
		to         string
		want       bool
		wantHost   string // the redirected request's Host, when followed
	}{
		{name: "same origin", from: "http://App.example.com/health", to: "http://app.example.com/other", want: true},
		{name: "default port", from: "http://App.example.com/health", to: "http://app.example.com:80/other", want: true},
		{name: "http to https", from: "http://app.example.com/health", to: "https://app.example.com/health", want: true},
		{name: "http to https on another port", from: "http://app.example.com/", to: "https://app.example.com:8443/", want: true},
		{name: "https to http", from: "https://app.example.com/health", to: "http://app.example.com/health"},
		{name: "another port", from: "http://app.example.com/health", to: "http://app.example.com:8080/"},
		{name: "another host", from: "http://app.example.com/health", to: "http://evil.example.com/"},
		{name: "a longer host", from: "http://app.example.com/health", to: "http://app.example.com.evil.net/"},
		{name: "to the server name", from: "http://lb-1.elb.amazonaws.com/health", serverName: "Demo.example.com",
			to: "https://demo.example.com/health", want: true, wantHost: "demo.example.com"},
		{name: "to the load balancer's own name", from: "https://lb-1.elb.amazonaws.com/health", serverName: "demo.example.com",
			to: "https://lb-1.elb.amazonaws.com/other", want: true, wantHost: "demo.example.com"},
		{name: "off the server name", from: "https://lb-1.elb.amazonaws.com/health", serverName: "demo.example.com",
			to: "https://other.example.com/"},
		{name: "down to http on the server name", from: "https://lb-1.elb.amazonaws.com/health", serverName: "demo.example.com",
			to: "http://demo.example.com/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, _ := url.Parse(tt.from)
			to, _ := url.Parse(tt.to)
			req := &http.Request{URL: to, Host: to.Host}

			err := redirectPolicy(from, tt.serverName)(req, []*http.Request{{URL: from}})

			if got := err == nil; got != tt.want {
				t.Fatalf("redirect %s -> %s allowed = %v (%v), want %v", tt.from, tt.to, got, err, tt.want)
			}
			if tt.wantHost != "" && req.Host != tt.wantHost {
				t.Errorf("Host = %q, want %q", req.Host, tt.wantHost)
			}
		})
	}
}

func TestLinkLocalRefusedAtDial(t *testing.T) {
	tests := []struct {
		name      string
		url       string
		allow     bool
		wantDials []string
		wantError string
	}{
		{
			name:      "instance metadata",
			url:       "http://169.254.169.254/latest/meta-data/",
			wantError: "refused to connect to 169.254.169.254: the instance metadata address (AllowLinkLocal is off)",
		},
		{
			name:      "IPv6 instance metadata",
			url:       "http://[fd00:ec2::254]/latest/meta-data/",
			wantError: "refused to connect to fd00:ec2::254: the instance metadata address (AllowLinkLocal is off)",
		},
		{
			name:      "IPv4 link-local",
			url:       "http://169.254.10.20:8080/health",
			wantError: "refused to connect to 169.254.10.20: a link-local address (AllowLinkLocal is off)",
		},
		{
			name:      "IPv6 link-local",
			url:       "http://[fe80::1]/health",
			wantError: "refused to connect to fe80::1: a link-local address (AllowLinkLocal is off)",
		},
		{
			name:      "IPv4-mapped IPv6 metadata",
			url:       "http://[::ffff:169.254.169.254]/",
			wantError: "refused to connect to ::ffff:169.254.169.254 (169.254.169.254): the instance metadata address (AllowLinkLocal is off)",
		},
		{
			name:      "a name that resolves to the metadata address",
			url:       "http://metadata.test/",
			wantError: "refused to connect to metadata.test (169.254.169.254): the instance metadata address (AllowLinkLocal is off)",
		},
		{
			name: "a name that resolves to NAT64 of the metadata address (DNS64)",
			url:  "http://nat64-metadata.test/",
			wantError: "refused to connect to nat64-metadata.test (64:ff9b::a9fe:a9fe): it carries 169.254.169.254 " +
				"(NAT64 64:ff9b::/96), the instance metadata address (AllowLinkLocal is off)",
		},
		{
			name:      "a name that resolves to NAT64 of a public address reaches the dial stage",
			url:       "http://nat64-public.test/",
			wantDials: []string{"[64:ff9b::808:808]:80"},
			wantError: "test dialer: offline",
		},
		{
			name:      "IPv6 Amazon DNS",
			url:       "http://[fd00:ec2::253]:53/",
			wantError: "refused to connect to fd00:ec2::253: the Amazon DNS server address (AllowLinkLocal is off)",
		},
		{
			name:      "allowed: reaches the dial stage",
			url:       "http://169.254.169.254/latest/meta-data/",
			allow:     true,
			wantDials: []string{"169.254.169.254:80"},
			wantError: "test dialer: offline",
		},
		{
			name:      "allowed by name: reaches the dial stage",
			url:       "http://metadata.test:8080/",
			allow:     true,
			wantDials: []string{"169.254.169.254:8080"},
			wantError: "test dialer: offline",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &recordingDialer{offline: true}
			r := &fakeResolver{answers: map[string][]string{
				"metadata.test":       {"169.254.169.254"},
				"nat64-metadata.test": {"64:ff9b::a9fe:a9fe"},
				"nat64-public.test":   {"64:ff9b::808:808"},
			}}
			spec := baseSpec(tt.url)
			spec.AllowLinkLocal = tt.allow

			got := oneProbe(t, spec, d, r)

			if diff := cmp.Diff(d.Addrs(), tt.wantDials); diff != "" {
				t.Errorf("dialled (-got +want):\n%s", diff)
			}
			if got.Probes[0].Error != tt.wantError {
				t.Errorf("probe error = %q, want %q", got.Probes[0].Error, tt.wantError)
			}
		})
	}
}

// A name that first resolves to loopback and then, for a same-host redirect, to the metadata address is refused
// on the second dial: the guard checks every connection's address, not the URL.
func TestDNSRebindingRefused(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/health", http.RedirectHandler("/again", http.StatusFound))
	mux.HandleFunc("/again", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	d := &recordingDialer{}
	r := &fakeResolver{answers: map[string][]string{"app.test": {"127.0.0.1", "169.254.169.254"}}}

	got := oneProbe(t, baseSpec("http://app.test:"+port+"/health"), d, r)

	want := "refused to connect to app.test (169.254.169.254): the instance metadata address (AllowLinkLocal is off)"
	if got.Probes[0].Error != want {
		t.Errorf("probe error = %q, want %q", got.Probes[0].Error, want)
	}
	if diff := cmp.Diff(d.Addrs(), []string{"127.0.0.1:" + port}); diff != "" {
		t.Errorf("dialled (-got +want):\n%s", diff)
	}
}

// The default dialer checks the address again just before connecting.
func TestDefaultDialerControlGuard(t *testing.T) {
	tests := []struct {
		addr      string
		allow     allowed
		wantRefus bool
	}{
		{addr: "169.254.169.254:80", wantRefus: true},
		{addr: "[fd00:ec2::254]:80", wantRefus: true},
		{addr: "[fe80::1]:80", wantRefus: true},
		{addr: "[fd00:ec2::253]:53", wantRefus: true},
		{addr: "[64:ff9b::a9fe:a9fe]:80", wantRefus: true},
		{addr: "[2002:7f00:1::1]:9001", wantRefus: true},
		{addr: "[64:ff9b::808:808]:80"},
		{addr: "[fd00:ec2::253]:53", allow: allowed{linkLocal: true}},
		{addr: "127.0.0.1:9001", wantRefus: true}, // the Lambda Runtime API
		{addr: "[::1]:80", wantRefus: true},
		{addr: "0.0.0.0:80", wantRefus: true},
		{addr: "127.0.0.1:80", allow: allowed{loopback: true}},
		{addr: "10.0.0.1:80"},
		{addr: "169.254.169.254:80", allow: allowed{linkLocal: true}},
		{addr: "169.254.169.254:80", allow: allowed{loopback: true}, wantRefus: true},
	}
	for _, tt := range tests {
		err := controlGuard(tt.allow)("tcp", tt.addr, nil)
		if _, refused := asRefused(err); refused != tt.wantRefus {
			t.Errorf("controlGuard(%v)(%s) = %v, want refused %v", tt.allow, tt.addr, err, tt.wantRefus)
		}
	}

	// Through a real dial: refused before any connection is attempted.
	g := newGuardedDialer(nil, nil, nil, allowed{})
	nd := g.dialer.(*net.Dialer)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := nd.DialContext(ctx, "tcp", "169.254.169.254:80")
	var refused *AddressRefusedError
	if !errors.As(err, &refused) || refused.Addr != netip.MustParseAddr("169.254.169.254") {
		t.Errorf("default dialer to 169.254.169.254: %v, want an *AddressRefusedError", err)
	}
}
