package gateway

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/lbaddr"
)

// The gateway answers where a local load balancer listens with the resolver its harness set, through ClearFaults.
func TestLoadBalancerAddresses(t *testing.T) {
	g, err := New(Config{Backend: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	client := lbaddr.NewClient(srv.URL)

	var nf *lbaddr.NotFoundError
	if _, err := client.LookupAddrPort(context.Background(), "lb-1.elb.amazonaws.com", "443"); !errors.As(err, &nf) {
		t.Errorf("before a resolver is set: %v, want a NotFoundError", err)
	}
	g.SetLoadBalancerResolver(func(_ context.Context, host, port string) (netip.AddrPort, error) {
		if host == "lb-1.elb.amazonaws.com" && port == "443" {
			return netip.MustParseAddrPort("127.0.0.1:41234"), nil
		}
		return netip.AddrPort{}, &lbaddr.NotFoundError{Host: host, Port: port}
	})
	g.ClearFaults()
	got, err := client.LookupAddrPort(context.Background(), "lb-1.elb.amazonaws.com", "443")
	if err != nil || got != netip.MustParseAddrPort("127.0.0.1:41234") {
		t.Errorf("LookupAddrPort = %v, %v; want 127.0.0.1:41234", got, err)
	}
	if len(g.Requests()) != 0 {
		t.Errorf("the request log holds %d calls: the control API is not a call to AWS", len(g.Requests()))
	}
}
