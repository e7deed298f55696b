package failover

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Resolver resolves a name to its addresses (net.DefaultResolver).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// UnreachableError says Route 53's health checkers, which run on the internet outside any VPC, cannot reach a
// stack's endpoint, so failover for a CNAME endpoint cannot work: the endpoint resolves to addresses that are not
// public, or is an internal load balancer.
type UnreachableError struct {
	Stack    string
	Endpoint string
	Reason   string
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("stack %s: routing.failover with a CNAME endpoint needs an endpoint Route 53's health checkers can reach from the internet, and %s %s (use an internet-facing load balancer, or an alias endpoint, or turn failover off)", e.Stack, e.Endpoint, e.Reason)
}

// Reach says whether Route 53's checkers can reach a stack's endpoint.
type Reach struct {
	// Resolver resolves the endpoint's name (nil: net.DefaultResolver).
	Resolver Resolver
	// Local skips the resolution: the local AWS serves its load balancers on loopback addresses, which its own
	// data plane checks. Internal load balancers are refused all the same.
	Local bool
}

// Check returns an UnreachableError when the stack's endpoint dns (internal: an internal load balancer's) is one
// Route 53's checkers cannot reach: it is internal, does not resolve, or resolves to a private, shared (100.64/10),
// loopback, link-local or unspecified address.
func (r Reach) Check(ctx context.Context, stack, dns string, internal bool) error {
	refuse := func(format string, args ...any) error {
		return &UnreachableError{Stack: stack, Endpoint: dns, Reason: fmt.Sprintf(format, args...)}
	}
	if internal {
		return refuse("is an internal load balancer")
	}
	if r.Local {
		return nil
	}
	var res Resolver = net.DefaultResolver
	if r.Resolver != nil {
		res = r.Resolver
	}
	addrs, err := res.LookupNetIP(ctx, "ip", dns)
	if err != nil {
		return refuse("does not resolve (%v)", err)
	}
	if len(addrs) == 0 {
		return refuse("resolves to no address")
	}
	var bad []string
	for _, a := range addrs {
		if kind := notPublic(a.Unmap()); kind != "" {
			bad = append(bad, a.String()+" ("+kind+")")
		}
	}
	if len(bad) > 0 {
		return refuse("resolves to %s", strings.Join(bad, ", "))
	}
	return nil
}

var shared = netip.MustParsePrefix("100.64.0.0/10")

// notPublic names the kind of address a is when the internet cannot reach it, or "".
func notPublic(a netip.Addr) string {
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		return "link-local"
	case a.IsPrivate():
		return "private"
	case a.IsUnspecified():
		return "unspecified"
	case shared.Contains(a):
		return "shared address space"
	case a.IsMulticast():
		return "multicast"
	}
	return ""
}
