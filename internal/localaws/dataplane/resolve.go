package dataplane

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// NoAddressError says a name has no address: the server answered with an error code (NXDOMAIN, REFUSED, SERVFAIL)
// or with no A record at the end of its CNAMEs.
type NoAddressError struct {
	Name  string
	Rcode int
}

func (e *NoAddressError) Error() string {
	if e.Rcode != dns.RcodeSuccess {
		return fmt.Sprintf("resolve %s: %s", e.Name, dns.RcodeToString[e.Rcode])
	}
	return fmt.Sprintf("resolve %s: no A record", e.Name)
}

// Resolve asks the DNS server at server for the A records of name, as a stub resolver would: over UDP, again over
// TCP when the answer is truncated, following CNAMEs (asking again for a target the answer does not resolve, such as
// a load balancer's name). ttl is the smallest TTL of the records on the way: how long the answer may be cached.
func Resolve(ctx context.Context, server netip.AddrPort, name string) (addrs []netip.Addr, ttl time.Duration, err error) {
	minTTL := uint32(1<<32 - 1)
	current := dns.Fqdn(name)
	for range maxHops {
		in, err := exchange(ctx, server, current)
		if err != nil {
			return nil, 0, fmt.Errorf("resolve %s: ask %s for %s: %w", name, server, current, err)
		}
		if in.Rcode != dns.RcodeSuccess {
			return nil, 0, &NoAddressError{Name: name, Rcode: in.Rcode}
		}
		// Follow the chain within the answer: CNAMEs from the current name, then its A records.
		for changed := true; changed; {
			changed = false
			for _, rr := range in.Answer {
				if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Hdr.Name, current) {
					current, changed = c.Target, true
					minTTL = min(minTTL, c.Hdr.Ttl)
				}
			}
		}
		for _, rr := range in.Answer {
			if a, ok := rr.(*dns.A); ok && strings.EqualFold(a.Hdr.Name, current) {
				if addr, ok := netip.AddrFromSlice(a.A); ok {
					addrs = append(addrs, addr.Unmap())
					minTTL = min(minTTL, a.Hdr.Ttl)
				}
			}
		}
		if len(addrs) > 0 {
			return addrs, time.Duration(minTTL) * time.Second, nil
		}
		if strings.EqualFold(current, dns.Fqdn(in.Question[0].Name)) {
			break // no CNAME to follow
		}
	}
	return nil, 0, &NoAddressError{Name: name}
}

// exchange asks one A question, over UDP and, when the answer is truncated, over TCP.
func exchange(ctx context.Context, server netip.AddrPort, name string) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	in, _, err := c.ExchangeContext(ctx, m, server.String())
	if err == nil && in.Truncated {
		c.Net = "tcp"
		in, _, err = c.ExchangeContext(ctx, m, server.String())
	}
	return in, err
}
