package health

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// refusedMessage is the guard's answer for addr as the error a probe reports, or "" when it may connect.
func refusedMessage(addr string, a allowed) string {
	ip := netip.MustParseAddr(addr)
	r, ok := refuse(ip, a)
	if !ok {
		return ""
	}
	return newAddressRefusedError("", ip, r).Error()
}

func TestRefuse(t *testing.T) {
	var (
		none      = allowed{}
		linkLocal = allowed{linkLocal: true}
		loopback  = allowed{loopback: true}
	)
	tests := []struct {
		name  string
		addr  string
		allow allowed
		want  string // the refusal's message; "" when allowed
	}{
		// Addresses refused as themselves.
		{"IPv4 metadata", "169.254.169.254", none, "refused to connect to 169.254.169.254: the instance metadata address (AllowLinkLocal is off)"},
		{"IPv4 metadata, link-local allowed", "169.254.169.254", linkLocal, ""},
		{"IPv4 loopback", "127.0.0.1", none, "refused to connect to 127.0.0.1: a loopback address (AllowLoopback is off)"},
		{"IPv6 loopback", "::1", none, "refused to connect to ::1: a loopback address (AllowLoopback is off)"},
		{"IPv6 unspecified", "::", none, "refused to connect to ::: a loopback address (AllowLoopback is off)"},
		{"IPv6 loopback, loopback allowed", "::1", loopback, ""},
		{"IPv6 unspecified, loopback allowed", "::", loopback, ""},
		{"IPv6 link-local with a zone", "fe80::1%eth0", none, "refused to connect to fe80::1%eth0: a link-local address (AllowLinkLocal is off)"},
		{"private IPv4", "10.0.0.1", none, ""},
		{"public IPv4", "8.8.8.8", none, ""},
		{"public IPv6", "2600:1f18::1", none, ""},

		// AWS's IPv6 service addresses, under the rule of 169.254.0.0/16.
		{"IPv6 metadata", "fd00:ec2::254", none, "refused to connect to fd00:ec2::254: the instance metadata address (AllowLinkLocal is off)"},
		{"IPv6 Amazon DNS", "fd00:ec2::253", none, "refused to connect to fd00:ec2::253: the Amazon DNS server address (AllowLinkLocal is off)"},
		{"IPv6 time server", "fd00:ec2::123", none, "refused to connect to fd00:ec2::123: an AWS VPC service address (fd00:ec2::/32) (AllowLinkLocal is off)"},
		{"elsewhere in fd00:ec2::/32", "fd00:ec2:ffff:1::7", none, "refused to connect to fd00:ec2:ffff:1::7: an AWS VPC service address (fd00:ec2::/32) (AllowLinkLocal is off)"},
		{"IPv6 metadata, link-local allowed", "fd00:ec2::254", linkLocal, ""},
		{"IPv6 Amazon DNS, link-local allowed", "fd00:ec2::253", linkLocal, ""},
		{"IPv6 time server, link-local allowed", "fd00:ec2::123", linkLocal, ""},
		{"IPv6 metadata, only loopback allowed", "fd00:ec2::254", loopback, "refused to connect to fd00:ec2::254: the instance metadata address (AllowLinkLocal is off)"},
		{"next to fd00:ec2::/32", "fd00:ec3::254", none, ""},
		{"another unique local address", "fd00::254", none, ""},

		// IPv4-mapped: the IPv4 address itself.
		{"IPv4-mapped metadata", "::ffff:169.254.169.254", none, "refused to connect to 169.254.169.254: the instance metadata address (AllowLinkLocal is off)"},
		{"IPv4-mapped loopback", "::ffff:127.0.0.1", none, "refused to connect to 127.0.0.1: a loopback address (AllowLoopback is off)"},
		{"IPv4-mapped public", "::ffff:8.8.8.8", none, ""},

		// NAT64, well-known prefix: the last 32 bits.
		{"NAT64 metadata", "64:ff9b::a9fe:a9fe", none, "refused to connect to 64:ff9b::a9fe:a9fe: it carries 169.254.169.254 (NAT64 64:ff9b::/96), the instance metadata address (AllowLinkLocal is off)"},
		{"NAT64 link-local", "64:ff9b::169.254.1.2", none, "refused to connect to 64:ff9b::a9fe:102: it carries 169.254.1.2 (NAT64 64:ff9b::/96), a link-local address (AllowLinkLocal is off)"},
		{"NAT64 loopback", "64:ff9b::7f00:1", none, "refused to connect to 64:ff9b::7f00:1: it carries 127.0.0.1 (NAT64 64:ff9b::/96), a loopback address (AllowLoopback is off)"},
		{"NAT64 with a zone", "64:ff9b::a9fe:a9fe%eth0", none, "refused to connect to 64:ff9b::a9fe:a9fe%eth0: it carries 169.254.169.254 (NAT64 64:ff9b::/96), the instance metadata address (AllowLinkLocal is off)"},
		{"NAT64 metadata, link-local allowed", "64:ff9b::a9fe:a9fe", linkLocal, ""},
		{"NAT64 loopback, loopback allowed", "64:ff9b::7f00:1", loopback, ""},
		{"NAT64 public (DNS64)", "64:ff9b::808:808", none, ""},
		{"NAT64 private", "64:ff9b::a00:1", none, ""},

		// NAT64, local-use prefix: bits 48-63 and 72-87.
		{"local NAT64 metadata", "64:ff9b:1:a9fe:a9:fe00::", none, "refused to connect to 64:ff9b:1:a9fe:a9:fe00::: it carries 169.254.169.254 (local-use NAT64 64:ff9b:1::/48), the instance metadata address (AllowLinkLocal is off)"},
		{"local NAT64 loopback", "64:ff9b:1:7f00:0:100::", none, "refused to connect to 64:ff9b:1:7f00:0:100::: it carries 127.0.0.1 (local-use NAT64 64:ff9b:1::/48), a loopback address (AllowLoopback is off)"},
		{"local NAT64 metadata, link-local allowed", "64:ff9b:1:a9fe:a9:fe00::", linkLocal, ""},
		{"local NAT64 public", "64:ff9b:1:808:8:800::", none, ""},
		{"local NAT64 /96 metadata", "64:ff9b:1::a9fe:a9fe", none, "refused to connect to 64:ff9b:1::a9fe:a9fe: it carries 169.254.169.254 (local-use NAT64 64:ff9b:1::/96), the instance metadata address (AllowLinkLocal is off)"},
		{"local NAT64 /96 public", "64:ff9b:1::808:808", none, ""},
		{"local NAT64 public, u octet and suffix ignored", "64:ff9b:1:808:ff08:8ff:ffff:ffff", none, ""},

		// 6to4: bits 16-47.
		{"6to4 metadata", "2002:a9fe:a9fe::1", none, "refused to connect to 2002:a9fe:a9fe::1: it carries 169.254.169.254 (6to4 2002::/16), the instance metadata address (AllowLinkLocal is off)"},
		{"6to4 loopback", "2002:7f00:1:5::1", none, "refused to connect to 2002:7f00:1:5::1: it carries 127.0.0.1 (6to4 2002::/16), a loopback address (AllowLoopback is off)"},
		{"6to4 metadata, link-local allowed", "2002:a9fe:a9fe::1", linkLocal, ""},
		{"6to4 public", "2002:808:808::1", none, ""},

		// Teredo: the server in bits 32-63, the client inverted in the last 32 bits (RFC 4380's example is the public one).
		{"Teredo public server and client", "2001:0:4136:e378:8000:63bf:3fff:fdd2", none, ""},
		{"Teredo metadata server", "2001:0:a9fe:a9fe:8000:63bf:3fff:fdd2", none, "refused to connect to 2001:0:a9fe:a9fe:8000:63bf:3fff:fdd2: it carries 169.254.169.254 (Teredo 2001::/32, as its server), the instance metadata address (AllowLinkLocal is off)"},
		{"Teredo metadata client", "2001:0:4136:e378:8000:63bf:5601:5601", none, "refused to connect to 2001:0:4136:e378:8000:63bf:5601:5601: it carries 169.254.169.254 (Teredo 2001::/32, as its client), the instance metadata address (AllowLinkLocal is off)"},
		{"Teredo loopback client", "2001:0:4136:e378:8000:63bf:80ff:fffe", none, "refused to connect to 2001:0:4136:e378:8000:63bf:80ff:fffe: it carries 127.0.0.1 (Teredo 2001::/32, as its client), a loopback address (AllowLoopback is off)"},
		{"Teredo metadata client, link-local allowed", "2001:0:4136:e378:8000:63bf:5601:5601", linkLocal, ""},
		{"Teredo client not inverted is not the metadata address", "2001:0:4136:e378:8000:63bf:a9fe:a9fe", none, ""},
		{"next to Teredo", "2001:1:a9fe:a9fe::5601:5601", none, ""},
		{"documentation prefix is not Teredo", "2001:db8::a9fe:a9fe", none, ""},

		// IPv4-compatible: the last 32 bits.
		{"IPv4-compatible metadata", "::169.254.169.254", none, "refused to connect to ::a9fe:a9fe: it carries 169.254.169.254 (IPv4-compatible ::/96), the instance metadata address (AllowLinkLocal is off)"},
		{"IPv4-compatible loopback", "::127.0.0.1", none, "refused to connect to ::7f00:1: it carries 127.0.0.1 (IPv4-compatible ::/96), a loopback address (AllowLoopback is off)"},
		{"IPv4-compatible metadata, link-local allowed", "::169.254.169.254", linkLocal, ""},
		{"IPv4-compatible public", "::8.8.8.8", none, ""},
		{"IPv4-compatible 0.0.0.2", "::2", none, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := refusedMessage(tt.addr, tt.allow); got != tt.want {
				t.Errorf("refuse(%s, %+v) = %q, want %q", tt.addr, tt.allow, got, tt.want)
			}
		})
	}
}

// Forms of embedding, each written by an encoder independent of embeddedV4.
var embeddingForms = []struct {
	via    string
	encode func(v4 [4]byte, filler [16]byte) [16]byte
}{
	{"NAT64 64:ff9b::/96", func(v4 [4]byte, _ [16]byte) [16]byte {
		b := netip.MustParseAddr("64:ff9b::").As16()
		copy(b[12:], v4[:])
		return b
	}},
	{"local-use NAT64 64:ff9b:1::/48", func(v4 [4]byte, f [16]byte) [16]byte {
		b := f // the u octet and the suffix are whatever they are
		copy(b[:6], []byte{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01})
		b[6], b[7], b[9], b[10] = v4[0], v4[1], v4[2], v4[3]
		return b
	}},
	{"local-use NAT64 64:ff9b:1::/96", func(v4 [4]byte, f [16]byte) [16]byte {
		b := f
		copy(b[:6], []byte{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01})
		copy(b[12:], v4[:])
		return b
	}},
	{"6to4 2002::/16", func(v4 [4]byte, f [16]byte) [16]byte {
		b := f
		b[0], b[1] = 0x20, 0x02
		copy(b[2:6], v4[:])
		return b
	}},
	{"Teredo 2001::/32, as its server", func(v4 [4]byte, f [16]byte) [16]byte {
		b := f
		copy(b[:4], []byte{0x20, 0x01, 0x00, 0x00})
		copy(b[4:8], v4[:])
		return b
	}},
	{"Teredo 2001::/32, as its client", func(v4 [4]byte, f [16]byte) [16]byte {
		b := f
		copy(b[:4], []byte{0x20, 0x01, 0x00, 0x00})
		binary.BigEndian.PutUint32(b[12:], ^binary.BigEndian.Uint32(v4[:]))
		return b
	}},
	{"IPv4-compatible ::/96", func(v4 [4]byte, _ [16]byte) [16]byte {
		var b [16]byte
		copy(b[12:], v4[:])
		return b
	}},
}

// FuzzEmbeddedV4 checks that every form's IPv4 address is decoded where the RFCs put it, and that an address carrying
// a refused IPv4 address is refused whatever its other bits say.
func FuzzEmbeddedV4(f *testing.F) {
	for i := range embeddingForms {
		for _, v4 := range []uint32{0xa9fea9fe, 0x7f000001, 0x08080808, 0, 1, 0xffffffff} {
			f.Add(uint8(i), v4, uint64(0), uint64(0), uint8(0))
			f.Add(uint8(i), v4, ^uint64(0), uint64(0x8000_63bf_3fff_fdd2), uint8(3))
		}
	}
	f.Fuzz(func(t *testing.T, form uint8, v4bits uint32, hi, lo uint64, allow uint8) {
		ef := embeddingForms[int(form)%len(embeddingForms)]
		var v4 [4]byte
		binary.BigEndian.PutUint32(v4[:], v4bits)
		var filler [16]byte
		binary.BigEndian.PutUint64(filler[:8], hi)
		binary.BigEndian.PutUint64(filler[8:], lo)
		ip := netip.AddrFrom16(ef.encode(v4, filler))
		embedded := netip.AddrFrom4(v4)
		a := allowed{linkLocal: allow&1 != 0, loopback: allow&2 != 0}

		// A local-use NAT64 position that reads 0.0.0.0 is not in use: no NAT64 translates to it.
		localUnused := strings.HasPrefix(ef.via, "local-use") && embedded.IsUnspecified()
		if ip != unspecified && ip != loopbackV6 && !localUnused {
			found := false
			for _, e := range embeddedV4(ip) {
				found = found || (e.v4 == embedded && e.via == ef.via)
			}
			if !found {
				t.Errorf("embeddedV4(%s) = %v, want %s by %s among them", ip, embeddedV4(ip), embedded, ef.via)
			}
		}
		_, ipRefused := refuse(ip, a)
		if _, v4Refused := refuseItself(embedded, a); v4Refused && !ipRefused && !localUnused {
			t.Errorf("refuse(%s, %+v) allows it, but it carries %s by %s, which is refused", ip, a, embedded, ef.via)
		}
		if ipRefused {
			_, itself := refuseItself(ip, a)
			carried := false
			for _, e := range embeddedV4(ip) {
				_, r := refuseItself(e.v4, a)
				carried = carried || r
			}
			if !itself && !carried {
				t.Errorf("refuse(%s, %+v) refuses it, but neither it nor what it carries is refused", ip, a)
			}
		}
	})
}

// A refused address ends the probe series at once, whatever attempts are left; another failure does not.
func TestRefusedAddressNotRetried(t *testing.T) {
	srv, requests := scriptServer(t, nil, reply{status: 200})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	tests := []struct {
		name        string
		url         string
		answers     []string // app.test's addresses, one per lookup
		offline     bool
		wantProbes  int
		wantDials   int
		wantSummary string
		wantRefused bool
	}{
		{
			name:       "the metadata address",
			url:        "http://169.254.169.254/latest/meta-data/",
			offline:    true,
			wantProbes: 1,
			wantSummary: "probe 1/5 http://169.254.169.254/latest/meta-data/: refused to connect to 169.254.169.254: " +
				"the instance metadata address (AllowLinkLocal is off); not retried: the address is refused",
			wantRefused: true,
		},
		{
			name:       "a name that resolves to NAT64 of the metadata address",
			url:        "http://app.test/health",
			answers:    []string{"64:ff9b::a9fe:a9fe"},
			offline:    true,
			wantProbes: 1,
			wantSummary: "probe 1/5 http://app.test/health: refused to connect to app.test (64:ff9b::a9fe:a9fe): it carries " +
				"169.254.169.254 (NAT64 64:ff9b::/96), the instance metadata address (AllowLinkLocal is off); " +
				"not retried: the address is refused",
			wantRefused: true,
		},
		{
			name:       "a name that answers once, then resolves to the metadata address",
			url:        "http://app.test:" + port + "/health",
			answers:    []string{"127.0.0.1", "169.254.169.254"},
			wantProbes: 2,
			wantDials:  1,
			wantSummary: "probe 2/5 http://app.test:" + port + "/health: refused to connect to app.test (169.254.169.254): " +
				"the instance metadata address (AllowLinkLocal is off); not retried: the address is refused",
			wantRefused: true,
		},
		{
			name:        "an allowed address that does not answer is retried",
			url:         "http://app.test/health",
			answers:     []string{"64:ff9b::808:808"},
			offline:     true,
			wantProbes:  3, // 3 in a row are needed within 5: after the third failure, 2 attempts cannot make it
			wantDials:   3,
			wantSummary: "probe 3/5 http://app.test/health: test dialer: offline (3 in a row needed, 2 attempts left)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &recordingDialer{offline: tt.offline}
			r := &fakeResolver{answers: map[string][]string{"app.test": tt.answers}}
			clock := newFakeClock(time.Now())
			c := NewChecker(nil, nil, WithClock(clock), WithDialer(d), WithResolver(r))

			got, err := c.Check(context.Background(), baseSpec(tt.url))
			if err != nil {
				t.Fatalf("Check: %v", err)
			}

			if got.Healthy || got.Summary != tt.wantSummary {
				t.Errorf("verdict healthy=%v summary %q, want unhealthy %q", got.Healthy, got.Summary, tt.wantSummary)
			}
			if got.AddressRefused != tt.wantRefused {
				t.Errorf("AddressRefused = %v, want %v", got.AddressRefused, tt.wantRefused)
			}
			if len(got.Probes) != tt.wantProbes {
				t.Errorf("%d probes, want %d: %+v", len(got.Probes), tt.wantProbes, got.Probes)
			}
			if n := len(d.Addrs()); n != tt.wantDials {
				t.Errorf("dialled %v, want %d dials", d.Addrs(), tt.wantDials)
			}
			if want := max(tt.wantProbes-1, 0); len(clock.Slept()) != want {
				t.Errorf("slept %v, want %d waits between probes", clock.Slept(), want)
			}
		})
	}
	if requests.Load() != 1 {
		t.Errorf("the server got %d requests, want 1 (the answer before the rebinding)", requests.Load())
	}
}
