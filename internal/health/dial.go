package health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
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

var (
	_ Dialer   = (*net.Dialer)(nil)
	_ Resolver = (*net.Resolver)(nil)
)

var (
	metadataV4 = netip.MustParseAddr("169.254.169.254")
	metadataV6 = netip.MustParseAddr("fd00:ec2::254")
)

// allowed says which guarded addresses a probe may connect to.
type allowed struct {
	linkLocal bool // link-local and instance-metadata addresses (Spec.AllowLinkLocal)
	loopback  bool // loopback and unspecified addresses (Spec.AllowLoopback)
}

// refusedKind says why a probe may not connect to ip, or "" when it may. Link-local and instance-metadata addresses
// are refused unless allowed, and so are loopback and unspecified ones: in a Lambda, 127.0.0.1 serves the Lambda
// Runtime API (the local test environment allows loopback). Private addresses are allowed: a load balancer's
// address is whatever its VPC gives it.
func refusedKind(ip netip.Addr, a allowed) string {
	ip = ip.Unmap()
	switch {
	case (ip == metadataV4 || ip == metadataV6) && !a.linkLocal:
		return "the instance metadata address"
	case ip.IsLinkLocalUnicast() && !a.linkLocal:
		return "a link-local address"
	case ip.IsLinkLocalMulticast() && !a.linkLocal:
		return "a link-local multicast address"
	case (ip.IsLoopback() || ip.IsUnspecified()) && !a.loopback:
		return "a loopback address"
	}
	return ""
}

// AddressRefusedError says a probe did not connect to an address because it is link-local or the instance
// metadata service.
type AddressRefusedError struct {
	Host string     // the host name the probe asked for
	Addr netip.Addr // the address it resolved to
	Kind string     // what the address is: "the instance metadata address", "a link-local address", ...
}

func (e *AddressRefusedError) Error() string {
	setting := "AllowLinkLocal"
	if e.Kind == "a loopback address" {
		setting = "AllowLoopback"
	}
	if e.Host == "" || e.Host == e.Addr.String() {
		return fmt.Sprintf("refused to connect to %s: %s (%s is off)", e.Addr, e.Kind, setting)
	}
	return fmt.Sprintf("refused to connect to %s (%s): %s (%s is off)", e.Host, e.Addr, e.Kind, setting)
}

// guardedDialer resolves a host itself and connects only to addresses that pass the guard, so neither a DNS answer
// that changes between probes (rebinding) nor a redirect can reach a refused address: the check is on the address
// actually dialled. The default dialer re-checks the address in its Control hook, just before connect(2).
type guardedDialer struct {
	dialer   Dialer
	resolver Resolver
	allow    allowed
}

func newGuardedDialer(d Dialer, r Resolver, a allowed) *guardedDialer {
	if d == nil {
		d = &net.Dialer{Control: controlGuard(a)}
	}
	if r == nil {
		r = net.DefaultResolver
	}
	return &guardedDialer{dialer: d, resolver: r, allow: a}
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
		if kind := refusedKind(ip, g.allow); kind != "" {
			if refused == nil {
				refused = &AddressRefusedError{Host: host, Addr: ip.Unmap(), Kind: kind}
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
		if kind := refusedKind(ap.Addr(), a); kind != "" {
			return &AddressRefusedError{Addr: ap.Addr().Unmap(), Kind: kind}
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
