package failover_test

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/bluegreen-aws/bluegreen/internal/awsenv"
	"github.com/bluegreen-aws/bluegreen/internal/failover"
	"github.com/bluegreen-aws/bluegreen/internal/zone/zonetest"
)

func spec(app, id string) failover.Spec {
	return failover.Spec{App: app, StackID: id, FQDN: app + "-" + id + ".example.com", Path: "/health"}
}

// A stack's check is created once: found again by its CallerReference, and a create retried after a lost answer
// returns the same check (Route 53's CallerReference rule, which the fake keeps). After its deletion the next
// generation is created: Route 53 refuses a deleted check's reference.
func TestEnsureIsIdempotent(t *testing.T) {
	ctx := context.Background()
	f := zonetest.New()
	c := failover.New(f)
	id, err := c.Ensure(ctx, spec("demo", "111111"), nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Ensure(ctx, spec("demo", "111111"), nil)
	if err != nil || again != id {
		t.Errorf("second Ensure = %q, %v; want %q", again, err, id)
	}
	retried, err := c.Ensure(ctx, spec("demo", "111111"), []failover.Check{}) // as if the list missed it
	if err != nil || retried != id {
		t.Errorf("retried create = %q, %v; want %q", retried, err, id)
	}
	if n := f.Accepted["CreateHealthCheck"]; n != 2 || len(f.HealthChecks()) != 1 {
		t.Errorf("%d creates answered, %d checks; want 2 and 1", n, len(f.HealthChecks()))
	}
	hc := f.HealthChecks()[id]
	cfg := hc.HealthCheckConfig
	if cfg.Type != types.HealthCheckTypeHttp || aws.ToString(cfg.FullyQualifiedDomainName) != "demo-111111.example.com" ||
		aws.ToInt32(cfg.Port) != 80 || aws.ToString(cfg.ResourcePath) != "/health" {
		t.Errorf("check config %+v", cfg)
	}
	if ref := aws.ToString(hc.CallerReference); !strings.HasPrefix(ref, "bluegreen/demo/111111/") || len(ref) > 64 {
		t.Errorf("CallerReference %q", ref)
	}
	https := spec("demo", "222222")
	https.HTTPS = true
	hid, err := c.Ensure(ctx, https, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg := f.HealthChecks()[hid].HealthCheckConfig; cfg.Type != types.HealthCheckTypeHttps || aws.ToInt32(cfg.Port) != 443 || !aws.ToBool(cfg.EnableSNI) {
		t.Errorf("https check config %+v", cfg)
	}
	if err := c.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, id); err != nil {
		t.Errorf("deleting a deleted check: %v, want nil", err)
	}
	next, err := c.Ensure(ctx, spec("demo", "111111"), nil)
	if err != nil || next == id {
		t.Fatalf("Ensure after the delete = %q, %v; want a new check", next, err)
	}
	if ref := aws.ToString(f.HealthChecks()[next].CallerReference); !strings.HasSuffix(ref, "/2") {
		t.Errorf("CallerReference %q, want generation 2", ref)
	}
}

// Sweep deletes the app's checks no record uses, of the named stacks only when named; another app's checks — even
// one whose name starts with this one's — are never listed.
func TestSweep(t *testing.T) {
	ctx := context.Background()
	f := zonetest.New()
	c := failover.New(f)
	ids := map[string]string{}
	for _, s := range []failover.Spec{spec("demo", "111111"), spec("demo", "222222"), spec("demo", "333333"), spec("demox", "111111")} {
		id, err := c.Ensure(ctx, s, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids[s.App+s.StackID] = id
	}
	list, err := c.List(ctx, "demo")
	if err != nil || len(list) != 3 {
		t.Fatalf("List(demo) = %v, %v; want 3 checks", list, err)
	}
	deleted, err := c.Sweep(ctx, "demo", map[string]bool{ids["demo111111"]: true}, "111111", "333333")
	if err != nil || !slices.Equal(deleted, []string{ids["demo333333"]}) {
		t.Errorf("Sweep of stacks 111111 and 333333 = %v, %v; want only 333333's", deleted, err)
	}
	deleted, err = c.Sweep(ctx, "demo", map[string]bool{ids["demo111111"]: true})
	if err != nil || !slices.Equal(deleted, []string{ids["demo222222"]}) {
		t.Errorf("Sweep = %v, %v; want 222222's", deleted, err)
	}
	if _, ok := f.HealthChecks()[ids["demox111111"]]; !ok {
		t.Error("the sweep of demo deleted demox's check")
	}
}

// CreateHealthCheck has its own bucket: a throttle is transient (the SDK's retryer backs off, and past its attempts
// the invoke layer makes it a RetryableError for the state machine).
func TestEnsureThrottled(t *testing.T) {
	f := zonetest.New()
	f.ThrottleHealthChecks = 1
	_, err := failover.New(f).Ensure(context.Background(), spec("demo", "111111"), nil)
	if err == nil || !awsenv.Transient(err) {
		t.Errorf("throttled Ensure = %v, want a transient error", err)
	}
	if len(f.HealthChecks()) != 0 {
		t.Error("a throttled create made a check")
	}
}

type resolver map[string][]string

func (r resolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	as, ok := r[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	var out []netip.Addr
	for _, a := range as {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

// Route 53's checkers run on the internet: an endpoint that resolves to addresses they cannot reach, or an internal
// load balancer, is refused, naming why.
func TestReach(t *testing.T) {
	r := failover.Reach{Resolver: resolver{
		"public.example.com":   {"203.0.113.10", "2001:db8::1"},
		"private.example.com":  {"203.0.113.10", "10.0.1.5"},
		"loopback.example.com": {"127.0.0.1"},
		"link.example.com":     {"169.254.169.254"},
		"shared.example.com":   {"100.64.0.1"},
		"ula.example.com":      {"fd00::1"},
		"mapped.example.com":   {"::ffff:192.168.1.1"},
	}}
	for _, tt := range []struct {
		dns      string
		internal bool
		want     string // "" means reachable
	}{
		{"public.example.com", false, ""},
		{"public.example.com", true, "internal load balancer"},
		{"private.example.com", false, "10.0.1.5 (private)"},
		{"loopback.example.com", false, "loopback"},
		{"link.example.com", false, "link-local"},
		{"shared.example.com", false, "shared address space"},
		{"ula.example.com", false, "private"},
		{"mapped.example.com", false, "private"},
		{"nothere.example.com", false, "does not resolve"},
	} {
		err := r.Check(context.Background(), "demo-111111", tt.dns, tt.internal)
		var u *failover.UnreachableError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want reachable", tt.dns, err)
		case tt.want != "" && (!errors.As(err, &u) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s (internal %v): %v, want an UnreachableError saying %q", tt.dns, tt.internal, err, tt.want)
		}
	}
	local := failover.Reach{Local: true}
	if err := local.Check(context.Background(), "demo-111111", "lb.local", false); err != nil {
		t.Errorf("the local AWS's loopback load balancers: %v", err)
	}
	if err := local.Check(context.Background(), "demo-111111", "lb.local", true); err == nil {
		t.Error("an internal load balancer passes on the local AWS")
	}
}
