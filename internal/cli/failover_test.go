package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// With failover, status says loudly when Route 53 serves the idle stack because the live one's targets are
// unhealthy, and exits 4; with both healthy it says nothing and exits 0.
func TestStatusSaysWhenRoute53FailsOver(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	cfg := b.d.AppConfig(b.zoneID)
	cfg.Routing.Failover = true
	if err := b.d.AddApp(ctx, "demoapp", cfg); err != nil {
		t.Fatal(err)
	}
	b.must(0, "deploy", "demoapp", "v1")
	b.must(0, "deploy", "demoapp", "v2")
	if out := b.must(0, "status", "demoapp"); strings.Contains(out, "WARNING") {
		t.Errorf("both stacks healthy, yet:\n%s", out)
	}
	s, err := b.d.Status(ctx, "demoapp")
	if err != nil {
		t.Fatal(err)
	}
	if s.State.ActiveColor != records.Green {
		t.Fatalf("live %s, want green", s.State.ActiveColor)
	}
	ep, err := b.d.Stacks.Endpoint(ctx, s.App.StackName(s.State.Active), "LoadBalancerDNSName", "")
	if err != nil || len(ep.TargetGroups) == 0 {
		t.Fatalf("green's target groups: %v, %v", ep.TargetGroups, err)
	}
	b.d.AWS.Gateway.SetTargetHealth("*", gateway.TargetHealth{State: "unhealthy", TargetGroup: ep.TargetGroups[0]})
	t.Cleanup(b.d.AWS.Gateway.ClearFaults)
	code, out, errOut := b.run("status", "demoapp")
	want := "WARNING: the records say green is live; Route 53 is serving blue because green is unhealthy: its targets are unhealthy"
	if code != 4 || !strings.Contains(strings.Join(strings.Fields(out), " "), want) || !strings.Contains(errOut, "warning: the records say green is live; Route 53 is serving blue") {
		t.Errorf("status: exit %d, want 4 and %q\nstdout:\n%s\nstderr:\n%s", code, want, out, errOut)
	}
	for _, row := range []string{"blue   739889  v1       ░░░░░░░░░░   0%  CREATE_COMPLETE  served by Route 53", "green  261149  v2       ██████████ 100%  CREATE_COMPLETE  live, unhealthy"} {
		if !strings.Contains(out, row+"\n") {
			t.Errorf("status does not show %q:\n%s", row, out)
		}
	}
	code, out, _ = b.run("status", "demoapp", "-o", "json")
	if code != 4 || !strings.Contains(out, `"failover":{"live":"green","served":"blue","reason":"green is unhealthy: its targets are unhealthy`) {
		t.Errorf("status -o json: exit %d\n%s", code, out)
	}
}
