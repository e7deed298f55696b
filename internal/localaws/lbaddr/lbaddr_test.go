package lbaddr_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/lbaddr"
)

func TestClientAndHandler(t *testing.T) {
	resolve := func(_ context.Context, host, port string) (netip.AddrPort, error) {
		switch {
		case host == "lb-1.elb.amazonaws.com" && port == "443":
			return netip.MustParseAddrPort("127.0.0.1:41234"), nil
		case host == "lb-1.elb.amazonaws.com":
			return netip.AddrPort{}, &lbaddr.NotFoundError{Host: host, Port: port, Reason: "it listens on 80 and 443"}
		case host == "broken":
			return netip.AddrPort{}, errors.New("CloudFormation does not answer")
		}
		return netip.AddrPort{}, &lbaddr.NotFoundError{Host: host, Port: port}
	}
	tests := []struct {
		name, host, port string
		resolver         lbaddr.Resolver
		want             string
		wantErr          string
		wantNotFound     bool
	}{
		{name: "served", host: "lb-1.elb.amazonaws.com", port: "443", resolver: resolve, want: "127.0.0.1:41234"},
		{name: "another port", host: "lb-1.elb.amazonaws.com", port: "8443", resolver: resolve, wantNotFound: true,
			wantErr: "the local AWS serves no load balancer listener lb-1.elb.amazonaws.com:8443: it listens on 80 and 443"},
		{name: "unknown", host: "lb-2.elb.amazonaws.com", port: "443", resolver: resolve, wantNotFound: true,
			wantErr: "the local AWS serves no load balancer listener lb-2.elb.amazonaws.com:443"},
		{name: "no load balancers", host: "lb-1.elb.amazonaws.com", port: "443", wantNotFound: true,
			wantErr: "the local AWS serves no load balancer listener lb-1.elb.amazonaws.com:443: no load balancers are served"},
		{name: "a failure", host: "broken", port: "443", resolver: resolve,
			wantErr: "the local AWS's answer for broken:443: HTTP 500: CloudFormation does not answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(lbaddr.Handler(tt.resolver))
			t.Cleanup(srv.Close)

			got, err := lbaddr.NewClient(srv.URL+"/").LookupAddrPort(context.Background(), tt.host, tt.port)

			if tt.wantErr == "" {
				if err != nil || got.String() != tt.want {
					t.Errorf("LookupAddrPort = %v, %v; want %s", got, err, tt.want)
				}
				return
			}
			var nf *lbaddr.NotFoundError
			if err == nil || err.Error() != tt.wantErr || errors.As(err, &nf) != tt.wantNotFound {
				t.Errorf("LookupAddrPort error %v (not found %v)\nwant %s (not found %v)", err, errors.As(err, &nf), tt.wantErr, tt.wantNotFound)
			}
		})
	}
}
