package dataplane

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// FailureThreshold: a status changes after that many consecutive contrary results, and a result that agrees with
// the status starts the count again.
func TestFailureThreshold(t *testing.T) {
	tests := []struct {
		name      string
		threshold int
		results   []bool
		want      []bool // the status after each result
	}{
		{"threshold 3: three failures to turn unhealthy", 3, []bool{false, false, false},
			[]bool{true, true, false}},
		{"a success in between starts the count again", 3, []bool{false, false, true, false, false, false},
			[]bool{true, true, true, true, true, false}},
		{"and as many successes to turn healthy again", 2, []bool{false, false, true, false, true, true},
			[]bool{true, false, false, false, false, true}},
		{"threshold 1 (or unset): every result counts", 0, []bool{false, true, false},
			[]bool{false, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := status{Healthy: true} // a new health check is healthy
			for i, ok := range tt.results {
				s = s.next(ok, tt.threshold)
				if s.Healthy != tt.want[i] {
					t.Errorf("after result %d (%v): healthy %v, want %v", i+1, ok, s.Healthy, tt.want[i])
				}
			}
		})
	}
}

// One probe, as a Route 53 health checker makes it: an HTTP(S) status of 2xx or 3xx passes, others fail; the
// search string must be in the first 5,120 bytes; HTTPS does not check the certificate; TCP needs a connection.
func TestCheckOnce(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("all good")) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/nowhere", http.StatusFound) })
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	mux.HandleFunc("/late", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, searchBytes))
		_, _ = w.Write([]byte("all good"))
	})
	mux.HandleFunc("/host", func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "demoapp.example.com" {
			http.Error(w, "host "+r.Host, http.StatusBadRequest)
		}
	})
	plain := httptest.NewServer(mux)
	defer plain.Close()
	secure := httptest.NewTLSServer(mux) // a certificate no one trusts
	defer secure.Close()
	addrOf := func(s *httptest.Server) netip.AddrPort {
		return netip.MustParseAddrPort(s.Listener.Addr().String())
	}
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := netip.MustParseAddrPort(closed.Addr().String())
	closed.Close()

	tests := []struct {
		name   string
		cfg    types.HealthCheckConfig
		addr   netip.AddrPort
		wantOK bool
	}{
		{"HTTP 200", httpCheck(types.HealthCheckTypeHttp, "/ok", ""), addrOf(plain), true},
		{"HTTP 302, not followed", httpCheck(types.HealthCheckTypeHttp, "/moved", ""), addrOf(plain), true},
		{"HTTP 503", httpCheck(types.HealthCheckTypeHttp, "/broken", ""), addrOf(plain), false},
		{"HTTP 404", httpCheck(types.HealthCheckTypeHttp, "/missing", ""), addrOf(plain), false},
		{"HTTP refused", httpCheck(types.HealthCheckTypeHttp, "/ok", ""), closedAddr, false},
		{"HTTP Host header: the FQDN (port 80)", withFQDN(httpCheck(types.HealthCheckTypeHttp, "/host", ""), "demoapp.example.com"), addrOf(plain), true},
		{"HTTPS, certificate not validated", httpCheck(types.HealthCheckTypeHttps, "/ok", ""), addrOf(secure), true},
		{"HTTP_STR_MATCH found", httpCheck(types.HealthCheckTypeHttpStrMatch, "/ok", "good"), addrOf(plain), true},
		{"HTTP_STR_MATCH missing", httpCheck(types.HealthCheckTypeHttpStrMatch, "/ok", "bad"), addrOf(plain), false},
		{"HTTP_STR_MATCH past 5,120 bytes", httpCheck(types.HealthCheckTypeHttpStrMatch, "/late", "good"), addrOf(plain), false},
		{"HTTPS_STR_MATCH", httpCheck(types.HealthCheckTypeHttpsStrMatch, "/ok", "all"), addrOf(secure), true},
		{"TCP open", types.HealthCheckConfig{Type: types.HealthCheckTypeTcp}, addrOf(plain), true},
		{"TCP refused", types.HealthCheckConfig{Type: types.HealthCheckTypeTcp}, closedAddr, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkOnce(context.Background(), tt.cfg, tt.addr, 80)
			if (err == nil) != tt.wantOK {
				t.Errorf("checkOnce: %v, want passed %v", err, tt.wantOK)
			}
		})
	}
}

func httpCheck(typ types.HealthCheckType, path, search string) types.HealthCheckConfig {
	cfg := types.HealthCheckConfig{Type: typ, ResourcePath: aws.String(path), IPAddress: aws.String("127.0.0.1")}
	if search != "" {
		cfg.SearchString = aws.String(search)
	}
	return cfg
}

func withFQDN(cfg types.HealthCheckConfig, name string) types.HealthCheckConfig {
	cfg.FullyQualifiedDomainName, cfg.IPAddress = aws.String(name), nil
	return cfg
}

// Disabled and Inverted: a disabled check is healthy whatever its probes said; Inverted reverses the status, a
// disabled check's too; a check the checkers have not seen is healthy.
func TestDisabledAndInverted(t *testing.T) {
	tests := []struct {
		name             string
		probed, disabled bool
		inverted, wantUp bool
	}{
		{"probed healthy", true, false, false, true},
		{"probed unhealthy", false, false, false, false},
		{"probed unhealthy, inverted", false, false, true, true},
		{"probed healthy, inverted", true, false, true, false},
		{"disabled", false, true, false, true},
		{"disabled, inverted", false, true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProber(nil, nil, nil, 0, nil)
			p.states["hc"] = &checkState{status: status{Healthy: tt.probed},
				config: types.HealthCheckConfig{Disabled: aws.Bool(tt.disabled), Inverted: aws.Bool(tt.inverted)}}
			if got := p.healthy("hc"); got != tt.wantUp {
				t.Errorf("healthy: %v, want %v", got, tt.wantUp)
			}
		})
	}
	if !newProber(nil, nil, nil, 0, nil).healthy("unseen") {
		t.Error("a health check not seen yet is unhealthy; want healthy")
	}
}

// fakeChecks is moto's list of health checks.
type fakeChecks struct {
	checks []types.HealthCheck
	calls  int
}

func (f *fakeChecks) ListHealthChecks(context.Context, *route53.ListHealthChecksInput, ...func(*route53.Options)) (*route53.ListHealthChecksOutput, error) {
	f.calls++
	return &route53.ListHealthChecksOutput{HealthChecks: f.checks}, nil
}

// The checkers probe only the health checks the records name, and call moto not at all while none does; a failing
// probe with FailureThreshold 1 makes its check unhealthy.
func TestProbedChecksAreTheNamedOnes(t *testing.T) {
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	port := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	tcp := func(id string) types.HealthCheck {
		return types.HealthCheck{Id: aws.String(id), HealthCheckConfig: &types.HealthCheckConfig{Type: types.HealthCheckTypeTcp,
			IPAddress: aws.String("127.0.0.1"), Port: aws.Int32(int32(port)), FailureThreshold: aws.Int32(1)}}
	}
	api := &fakeChecks{checks: []types.HealthCheck{tcp("named"), tcp("unnamed")}}
	named := map[string]bool{}
	endpoint := func(_ context.Context, _, ip string, port int) (netip.AddrPort, error) {
		return netip.AddrPortFrom(netip.MustParseAddr(ip), uint16(port)), nil
	}
	p := newProber(api, func() map[string]bool { return named }, endpoint, 0, nil)
	var probes sync.WaitGroup
	p.round(context.Background(), &probes)
	probes.Wait()
	if api.calls != 0 || len(p.states) != 0 {
		t.Errorf("no check named: %d calls to moto, %d states; want none", api.calls, len(p.states))
	}
	named["named"] = true
	p.round(context.Background(), &probes)
	probes.Wait()
	if _, ok := p.states["unnamed"]; ok || p.healthy("named") {
		t.Errorf("states %v: want only the named check, unhealthy after its failed probe", p.states)
	}
}
