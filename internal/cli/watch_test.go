package cli_test

import (
	"strings"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
)

// watch, live, of a release (its first shift throttled once and retried), of a rollback at a step and before any
// traffic, and of a deployment refused by a held lock: what is printed, against the local AWS.
func TestWatch(t *testing.T) {
	b := setup(t)
	n := newNormalizer(b)
	noGate := `{"strategy":{"approvals":[]}}`
	golden(t, n, "watch-first-release", b.must(0, "deploy", "demoapp", "v1", "-artifact", "s3://artifacts/demoapp/v1.zip"))

	// The shift weight function is throttled once: the state machine retries it, and that is no failure.
	throttle, err := b.d.AWS.Gateway.Inject(gateway.Fault{Kind: gateway.KindThrottle, Service: "lambda", Operation: "Invoke", Function: "shiftweight"})
	if err != nil {
		t.Fatal(err)
	}
	out := b.must(0, "deploy", "demoapp", "v2", "--config", noGate)
	if throttle.Hits() != 1 {
		t.Errorf("the throttle applied to %d calls, want 1", throttle.Hits())
	}
	golden(t, n, "watch-release", out)
	if strings.Contains(out, "FAILED") || !strings.Contains(out, "(retried 1×)") {
		t.Errorf("a retried throttle is shown as a failure, or not at all:\n%s", out)
	}
	// The same execution again, named by its name, as JSON: one object a line.
	golden(t, n, "watch-release-json", b.must(0, "watch", "demoapp-deploy-v2-20261201T100002-000", "-o", "json"))

	// A deployment refused because another holds the lock: the lock's conditional check leads to the takeover by
	// design and is not shown as a failure; the refusal is.
	b.must(0, "deploy", "demoapp", "v3", "--no-wait")
	b.atGate("demoapp")
	out = b.must(1, "deploy", "demoapp", "v4")
	golden(t, n, "watch-refused", out)
	if strings.Contains(out, "ConditionalCheckFailed") || !strings.Contains(out, "LockHeldError") {
		t.Errorf("the refusal shows the lock's conditional check, or not the held lock:\n%s", out)
	}
	// Watching for a while only: the run goes on.
	code, _, errOut := b.run("watch", "demoapp", "--timeout", "300ms")
	if code != 1 || !strings.Contains(errOut, "still running after 300ms") {
		t.Errorf("watch --timeout: exit %d, %s", code, errOut)
	}

	// The gate is aborted: the run rolls back from 30 %.
	b.must(0, "abort", "demoapp", "-reason", "not today")
	golden(t, n, "watch-rollback", b.must(1, "watch", "demoapp"))

	// A release whose health check fails before any traffic.
	golden(t, n, "watch-rollback-health", b.must(1, "deploy", "demoapp", "v5-broken", "--config", noGate))
}
