package health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
)

// Dialer opens network connections; *net.Dialer is one. The Checker only ever asks it for an IP address and port
// that passed the link-local guard.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Resolver looks up a host's addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// AddressMap says where a host name's port is served, in place of DNS: the local AWS's load balancers have names
// that resolve nowhere and one listener per port (see WithAddressMap). Its error says why a name has no address.
type AddressMap interface {
	LookupAddrPort(ctx context.Context, host, port string) (netip.AddrPort, error)
}

var (
	_ Dialer   = (*net.Dialer)(nil)
	_ Resolver = (*net.Resolver)(nil)
)

// guardedDialer resolves a host itself and connects only to addresses that pass the guard, so neither a DNS answer
// that changes between probes (rebinding) nor a redirect can reach a refused address: the check is on the address
// actually dialled. The default dialer re-checks the address in its Control hook, just before connect(2). With an
// address map, host names are looked up there instead of in DNS, port by port.
type guardedDialer struct {
	dialer    Dialer
	resolver  Resolver
	addresses AddressMap
	allow     allowed
}

func newGuardedDialer(d Dialer, r Resolver, m AddressMap, a allowed) *guardedDialer {
	if d == nil {
		d = &net.Dialer{Control: controlGuard(a)}
	}
	if r == nil {
		r = net.DefaultResolver
	}
	return &guardedDialer{dialer: d, resolver: r, addresses: m, allow: a}
}

// DialContext dials the first of host's addresses that is allowed and answers. When every address is refused it
// returns an *AddressRefusedError without having connected anywhere.
func (g *guardedDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else if g.addresses != nil {
		ap, err := g.addresses.LookupAddrPort(ctx, host, port)
		if err != nil {
			return nil, err
		}
		addrs, port = []netip.Addr{ap.Addr()}, strconv.Itoa(int(ap.Port()))
	} else {
		addrs, err = g.resolver.LookupNetIP(ctx, ipNetwork(network), host)
		if err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("no address found for %s", host)
		}
	}
	var refused, dialErr error
	for _, ip := range addrs {
		if r, ok := refuse(ip, g.allow); ok {
			if refused == nil {
				refused = newAddressRefusedError(host, ip, r)
			}
			continue
		}
		conn, err := g.dialer.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		if dialErr == nil {
			dialErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if dialErr != nil {
		return nil, dialErr
	}
	return nil, refused
}

func ipNetwork(network string) string {
	switch network {
	case "tcp4", "udp4":
		return "ip4"
	case "tcp6", "udp6":
		return "ip6"
	}
	return "ip"
}

// controlGuard refuses, at connect time, an address the guard refuses: a second line behind guardedDialer.
func controlGuard(a allowed) func(network, address string, _ syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("refused to connect to %q: not an IP address and port", address)
		}
		if r, ok := refuse(ap.Addr(), a); ok {
			return newAddressRefusedError("", ap.Addr(), r)
		}
		return nil
	}
}

// asRefused reports the *AddressRefusedError inside err, if any.
func asRefused(err error) (*AddressRefusedError, bool) {
	var r *AddressRefusedError
	ok := errors.As(err, &r)
	return r, ok
}
