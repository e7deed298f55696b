package dataplane

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/miekg/dns"
)

// endpoint says where a health checker connects: IPAddress when the check has one; otherwise its
// FullyQualifiedDomainName resolved as a client of this server would resolve it, following CNAMEs, and, when the
// answer is a local load balancer's, that load balancer's listener on port (the local load balancers listen on a
// port of their own per listener).
func (s *Server) endpoint(ctx context.Context, fqdn, ip string, port int) (netip.AddrPort, error) {
	if ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("health check IP address %q: %w", ip, err)
		}
		return netip.AddrPortFrom(a, uint16(port)), nil
	}
	name := fqdn
	for range maxHops {
		res := s.Answer(ctx, name, dns.TypeA)
		if res.Err != nil {
			return netip.AddrPort{}, res.Err
		}
		if res.LoadBalancer != "" {
			if r := s.loadBalancers(); r != nil {
				return r(ctx, res.LoadBalancer, strconv.Itoa(port))
			}
		}
		next := ""
		for _, rr := range res.Answer {
			switch rr := rr.(type) {
			case *dns.A:
				if a, ok := netip.AddrFromSlice(rr.A); ok {
					return netip.AddrPortFrom(a.Unmap(), uint16(port)), nil
				}
			case *dns.CNAME:
				next = rr.Target
			}
		}
		if next == "" {
			break
		}
		name = next
	}
	return netip.AddrPort{}, fmt.Errorf("health check endpoint %s: no address (%s)", fqdn, "no A record")
}
