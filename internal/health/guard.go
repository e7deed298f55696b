package health

import (
	"fmt"
	"net/netip"
)

var (
	metadataV4 = netip.MustParseAddr("169.254.169.254")

	// AWS serves its VPC services to Nitro instances on IPv6 as well, from fd00:ec2::/32, a unique local prefix that
	// netip does not count as link-local: the instance metadata service at fd00:ec2::254
	// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html), the Route 53 Resolver
	// at fd00:ec2::253 (https://docs.aws.amazon.com/vpc/latest/userguide/AmazonDNS-concepts.html) and the time server
	// at fd00:ec2::123 (https://docs.aws.amazon.com/whitepapers/latest/ipv6-on-aws/supporting-amazon-vpc-services.html).
	// The guard treats the whole prefix as it treats their IPv4 home, 169.254.0.0/16.
	awsServicesV6 = netip.MustParsePrefix("fd00:ec2::/32")
	metadataV6    = netip.MustParseAddr("fd00:ec2::254")
	dnsV6         = netip.MustParseAddr("fd00:ec2::253")

	// IPv6 prefixes whose addresses carry an IPv4 address that a translator, a relay or the host itself reaches.
	nat64       = netip.MustParsePrefix("64:ff9b::/96")   // RFC 6052 §2.1, the well-known prefix
	nat64Local  = netip.MustParsePrefix("64:ff9b:1::/48") // RFC 8215, local use
	sixToFour   = netip.MustParsePrefix("2002::/16")      // RFC 3056
	teredo      = netip.MustParsePrefix("2001::/32")      // RFC 4380
	v4Compat    = netip.MustParsePrefix("::/96")          // RFC 4291 §2.5.5.1, deprecated
	unspecified = netip.IPv6Unspecified()
	loopbackV6  = netip.IPv6Loopback()
)

// allowed says which guarded addresses a probe may connect to.
type allowed struct {
	linkLocal bool // link-local, instance-metadata and AWS's fd00:ec2::/32 addresses (Spec.AllowLinkLocal)
	loopback  bool // loopback and unspecified addresses (Spec.AllowLoopback)
}

// refusal says why the guard refuses an address.
type refusal struct {
	kind     string     // what the refused address is: "the instance metadata address", "a link-local address", ...
	setting  string     // the Spec field that would allow it
	embedded netip.Addr // the refused IPv4 address an IPv6 address carries, when that is the reason
	via      string     // how it carries it, e.g. "NAT64 64:ff9b::/96"
}

// refuse says whether a probe may connect to ip. Link-local and instance-metadata addresses, AWS's IPv6 service
// addresses (fd00:ec2::/32) among them, are refused unless allowed, and so are loopback and unspecified ones: in a
// Lambda, 127.0.0.1 serves the Lambda Runtime API (the local test environment allows loopback). An IPv4-mapped
// address is judged as the IPv4 address it is. An IPv6 address that carries an IPv4 address for a translator or a
// tunnel (NAT64, 6to4, Teredo, IPv4-compatible) is refused when the guard refuses the IPv4 address it carries, and
// only then: DNS64 in an IPv6-only subnet answers with NAT64 addresses, and a public one must stay reachable.
// Private addresses are allowed: a load balancer's address is whatever its VPC gives it.
func refuse(ip netip.Addr, a allowed) (refusal, bool) {
	ip = ip.Unmap()
	if r, ok := refuseItself(ip, a); ok {
		return r, true
	}
	for _, e := range embeddedV4(ip) {
		if r, ok := refuseItself(e.v4, a); ok {
			r.embedded, r.via = e.v4, e.via
			return r, true
		}
	}
	return refusal{}, false
}

// refuseItself judges ip by what it is, not by what it carries.
func refuseItself(ip netip.Addr, a allowed) (refusal, bool) {
	bare := ip.WithZone("") // a zoned address never matches a prefix
	linkLocal := func(kind string) (refusal, bool) { return refusal{kind: kind, setting: "AllowLinkLocal"}, !a.linkLocal }
	switch {
	case bare == metadataV4 || bare == metadataV6:
		return linkLocal("the instance metadata address")
	case bare == dnsV6:
		return linkLocal("the Amazon DNS server address")
	case awsServicesV6.Contains(bare):
		return linkLocal("an AWS VPC service address (fd00:ec2::/32)")
	case ip.IsLinkLocalUnicast():
		return linkLocal("a link-local address")
	case ip.IsLinkLocalMulticast():
		return linkLocal("a link-local multicast address")
	case ip.IsLoopback() || ip.IsUnspecified():
		return refusal{kind: "a loopback address", setting: "AllowLoopback"}, !a.loopback
	}
	return refusal{}, false
}

// embedding is an IPv4 address carried inside an IPv6 one.
type embedding struct {
	v4  netip.Addr
	via string
}

// embeddedV4 returns the IPv4 addresses that ip carries, by the prefix it is in (none for other addresses, and for
// IPv4-mapped ones, which are their IPv4 address):
//
//   - NAT64, 64:ff9b::/96: the last 32 bits (RFC 6052 §2.2, a /96 prefix).
//   - local-use NAT64, 64:ff9b:1::/48 (RFC 8215): bits 48-63 and 72-87, around the "u" octet (RFC 6052 §2.2, a /48
//     prefix), and the last 32 bits (a /96 prefix inside it); a position that reads 0.0.0.0 is not in use.
//   - 6to4, 2002::/16: bits 16-47 (RFC 3056 §2).
//   - Teredo, 2001::/32: the server's address in bits 32-63 and the client's in the last 32 bits, inverted
//     (RFC 4380 §4); both are returned.
//   - IPv4-compatible, ::/96 but for :: and ::1, which are themselves (RFC 4291 §2.5.5.1): the last 32 bits.
func embeddedV4(ip netip.Addr) []embedding {
	ip = ip.WithZone("")
	if !ip.Is6() || ip.Is4In6() {
		return nil
	}
	b := ip.As16()
	v4 := func(a, b, c, d byte) netip.Addr { return netip.AddrFrom4([4]byte{a, b, c, d}) }
	switch {
	case nat64.Contains(ip):
		return []embedding{{v4(b[12], b[13], b[14], b[15]), "NAT64 64:ff9b::/96"}}
	case nat64Local.Contains(ip):
		// The /48 may be used whole or with a longer prefix inside it; /96 is the common one. Both positions are
		// read, and a position that reads 0.0.0.0 is not in use (no NAT64 translates to it).
		var out []embedding
		for _, e := range []embedding{
			{v4(b[6], b[7], b[9], b[10]), "local-use NAT64 64:ff9b:1::/48"},
			{v4(b[12], b[13], b[14], b[15]), "local-use NAT64 64:ff9b:1::/96"},
		} {
			if !e.v4.IsUnspecified() {
				out = append(out, e)
			}
		}
		return out
	case sixToFour.Contains(ip):
		return []embedding{{v4(b[2], b[3], b[4], b[5]), "6to4 2002::/16"}}
	case teredo.Contains(ip):
		return []embedding{
			{v4(b[4], b[5], b[6], b[7]), "Teredo 2001::/32, as its server"},
			{v4(^b[12], ^b[13], ^b[14], ^b[15]), "Teredo 2001::/32, as its client"},
		}
	case v4Compat.Contains(ip) && ip != unspecified && ip != loopbackV6:
		return []embedding{{v4(b[12], b[13], b[14], b[15]), "IPv4-compatible ::/96"}}
	}
	return nil
}

// AddressRefusedError says a probe did not connect to an address because the guard refuses it: link-local, the
// instance metadata service, AWS's IPv6 service addresses, loopback, or an IPv6 address carrying one of these.
type AddressRefusedError struct {
	Host string     // the host name the probe asked for
	Addr netip.Addr // the address it resolved to
	Kind string     // what the refused address is: "the instance metadata address", "a link-local address", ...
	// Embedded is the refused IPv4 address that Addr carries, and Via says how ("NAT64 64:ff9b::/96", ...); they are
	// zero when Addr is refused as itself.
	Embedded netip.Addr
	Via      string
	// Setting is the Spec field that would allow the address: "AllowLinkLocal" or "AllowLoopback".
	Setting string
}

func newAddressRefusedError(host string, ip netip.Addr, r refusal) *AddressRefusedError {
	return &AddressRefusedError{Host: host, Addr: ip.Unmap(), Kind: r.kind, Embedded: r.embedded, Via: r.via,
		Setting: r.setting}
}

func (e *AddressRefusedError) Error() string {
	what := e.Kind
	if e.Embedded.IsValid() {
		what = fmt.Sprintf("it carries %s (%s), %s", e.Embedded, e.Via, e.Kind)
	}
	if e.Host == "" || e.Host == e.Addr.String() {
		return fmt.Sprintf("refused to connect to %s: %s (%s is off)", e.Addr, what, e.Setting)
	}
	return fmt.Sprintf("refused to connect to %s (%s): %s (%s is off)", e.Host, e.Addr, what, e.Setting)
}
