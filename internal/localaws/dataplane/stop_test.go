package dataplane_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bluegreen-aws/bluegreen/internal/localaws"
)

// localaws.Start starts the data plane with the rest, and Stop stops it: its port no longer answers.
func TestStoppedWithTheLocalAWS(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	a, err := localaws.Start(ctx, localaws.Options{})
	if err != nil {
		t.Fatalf("start a local AWS: %v", err)
	}
	addr := a.DataPlane.Addr()
	if in := ask(t, addr, "tcp", "nothing.example.com", dns.TypeA); in.Rcode != dns.RcodeRefused {
		t.Errorf("a running data plane: %s, want REFUSED (no zone)", dns.RcodeToString[in.Rcode])
	}
	if err := a.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", addr.String(), time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts TCP after Stop", addr)
	}
}
