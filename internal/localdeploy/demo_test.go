package localdeploy_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
)

// make demo's stages, on a local AWS of their own: every stage ends as expected (Demo returns no error, so the
// command exits 0), each printing its result line.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), localdeploy.Time)
	defer cancel()
	var out bytes.Buffer
	start := time.Now()
	if err := localdeploy.Demo(ctx, &out, localdeploy.DemoOptions{ModuleDir: "../..", WorkDir: t.TempDir(), BakeSeconds: 4}); err != nil {
		t.Fatalf("the demo failed: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"v1 live on blue", "started by putting its artifact", "live on green", "v3-broken rolled back at 30 %: HealthCheckError",
		"v2 still live on green", "rolled back by hand: v1 live again on blue", "v4 stopped at 10 %", "started demoapp-reconcile-",
		"10 %: observed ", "30 %: observed ", "60 %: observed ", "100 %: observed 100.0 %", "in CloudWatch (at least 5.0 % wanted): verified",
		"Route 53's data plane moved the traffic: 95 % of requests on v1", "the state machine's rollback (HealthCheckError) completed",
		"every stage ended as expected",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, text)
		}
	}
	t.Logf("the demo took %v", time.Since(start).Round(time.Second))
}
