package records

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzNameCodec: for a valid app, zone, host, stack id and color, every name the app renders parses back to what it
// was rendered from, and is a valid name in the zone that Apply would take.
func FuzzNameCodec(f *testing.F) {
	f.Add("demo", "example.com", "", "123456", true)
	f.Add("demo2", "example.com", "example.com", "000000", false)
	f.Add("a", "a.b.c", "www.a.b.c", "999999", true)
	f.Add("blue", "stack.example.com", "", "010101", false)
	f.Add("abcdefghijklmnopqrstuvwx", "xn--bcher-kva.example", "demo-123456.xn--bcher-kva.example", "123456", true)
	f.Add("stack", "example.com", "", "123456", true)
	long := strings.Repeat(strings.Repeat("z", 62)+".", 3) + strings.Repeat("y", 50) + ".com" // 243 characters
	f.Add("demo", long, long, "123456", true)
	f.Fuzz(func(t *testing.T, name, zone, host, id string, blue bool) {
		a, err := NewApp(name, zone, host)
		if err != nil || ValidateStackID(id) != nil {
			return
		}
		c := Green
		if blue {
			c = Blue
		}
		cases := []struct {
			name string
			want Parsed
		}{
			{a.HostName(), Parsed{Kind: KindHost}},
			{a.ActiveName(), Parsed{Kind: KindActive}},
			{a.SlotName(c), Parsed{Kind: KindSlot, Color: c}},
			{a.EndpointName(id), Parsed{Kind: KindEndpoint, StackID: id}},
		}
		for _, tc := range cases {
			if diff := cmp.Diff(tc.want, a.ParseName(tc.name)); diff != "" {
				t.Errorf("app %+v: ParseName(%q) mismatch (-want +got):\n%s", a, tc.name, diff)
			}
			if err := ValidateDomain(tc.name); err != nil || !InZone(tc.name, a.Zone) {
				t.Errorf("app %+v: %q is not a valid name in zone %s: %v", a, tc.name, a.Zone, err)
			}
		}
		if got, ok := a.ParseSetIdentifier(a.SetIdentifier(c)); !ok || got != c {
			t.Errorf("app %+v: ParseSetIdentifier(%q) = %s, %t; want %s", a, a.SetIdentifier(c), got, ok, c)
		}
		if got, want := a.StackName(id), name+"-"+id; got != want {
			t.Errorf("StackName(%q) = %q, want %q", id, got, want)
		}
	})
}

// FuzzParseName: ParseName never panics; whatever an app claims re-renders to the same (normalized) name; and no
// name is claimed by two of several apps sharing a zone.
func FuzzParseName(f *testing.F) {
	apps := []App{
		mustApp(f, "demo", ""), mustApp(f, "demo2", ""), mustApp(f, "a", ""), mustApp(f, "a1", ""),
		mustApp(f, "root", "example.com"), mustApp(f, "www", "www.shop.example.com"),
	}
	for _, s := range []string{"demo.example.com", "DEMO.example.com.", " stack.blue.demo.example.com ", "stack.active.a1.example.com",
		"demo-123456.example.com", "demo2-000000.example.com", "demo-12345.example.com", "a-1234567.example.com", "example.com",
		"www.shop.example.com", "stack.green.www.example.com", "demo-123456.example.com.example.com", "", ".", "\u212aexample.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		claimed := ""
		for _, a := range apps {
			p := a.ParseName(s)
			var rendered string
			switch p.Kind {
			case KindNone:
				continue
			case KindHost:
				rendered = a.HostName()
			case KindActive:
				rendered = a.ActiveName()
			case KindSlot:
				rendered = a.SlotName(p.Color)
			case KindEndpoint:
				if err := ValidateStackID(p.StackID); err != nil {
					t.Errorf("app %s: ParseName(%q) = %+v: %v", a.Name, s, p, err)
				}
				rendered = a.EndpointName(p.StackID)
			default:
				t.Fatalf("app %s: ParseName(%q) = unknown kind %d", a.Name, s, p.Kind)
			}
			if rendered != Normalize(s) {
				t.Errorf("app %s: ParseName(%q) = %+v, which renders as %q, not %q", a.Name, s, p, rendered, Normalize(s))
			}
			if claimed != "" {
				t.Errorf("%q is claimed by apps %s and %s", s, claimed, a.Name)
			}
			claimed = a.Name
		}
	})
}

// FuzzQuote: a TXT value round-trips through Quote and Unquote.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "123456", `a"b`, `\`, "\x00\xff", "é", "v=spf1 include:x -all"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Unquote(Quote(s))
		if !ok || got != s {
			t.Errorf("Unquote(Quote(%q)) = %q, %t", s, got, ok)
		}
		if u, ok := Unquote(s); ok && Quote(u) != s {
			// Several quotings of one text exist ("\x41" and "A"); only check that the text survives a round trip.
			if back, ok := Unquote(Quote(u)); !ok || back != u {
				t.Errorf("Unquote(%q) = %q, which does not round-trip", s, u)
			}
		}
	})
}
