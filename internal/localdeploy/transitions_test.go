package localdeploy_test

import (
	"slices"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/bench"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
)

// The transition budget (Step Functions Standard bills each state entered, retries included): a default release
// (steps 10/30/60, bake 0, watch 0, INSYNC at once) at most 40, an automatic rollback from the first step's health
// check at most 22, a manual rollback at most 14 — the stack wait loop left out, as `make bench` counts them.
func TestTransitionBudget(t *testing.T) {
	transitions := func(r operator.Result) int {
		n := 0
		for _, s := range r.Path {
			if !slices.Contains(bench.StackWaitLoop, s.Name) {
				n++
			}
		}
		return n
	}
	e := setup(t)
	e.addApp("demoapp", nil)
	e.deploy("demoapp", "v1")

	release := e.deploy("demoapp", "v2")
	if n := transitions(release); n > 40 {
		t.Errorf("a default release entered %d states, want at most 40:\n%v", n, operator.Names(release.Path))
	}

	apps.FailAfter("v3-fails-at-10", 1) // healthy before traffic, unhealthy at the first step
	_, rolledBack := e.run(deploy.Input{App: "demoapp", Version: "v3-fails-at-10"})
	if rolledBack.Status != "FAILED" || !slices.Contains(operator.Names(rolledBack.Path), "StepHealth") {
		t.Fatalf("the failing release: %s, path %v; want it rolled back from the first step", rolledBack.Status, operator.Names(rolledBack.Path))
	}
	if n := transitions(rolledBack); n > 22 {
		t.Errorf("an automatic rollback from the first step entered %d states, want at most 22:\n%v", n, operator.Names(rolledBack.Path))
	}

	_, manual := e.run(deploy.Input{Action: deploy.ActionRollback, App: "demoapp"})
	if manual.Status != "SUCCEEDED" {
		t.Fatalf("manual rollback: %s %s %s", manual.Status, manual.Error, manual.Cause)
	}
	if n := transitions(manual); n > 14 {
		t.Errorf("a manual rollback entered %d states, want at most 14:\n%v", n, operator.Names(manual.Path))
	}
	t.Logf("transitions: release %d, automatic rollback %d, manual rollback %d", transitions(release), transitions(rolledBack), transitions(manual))
}
