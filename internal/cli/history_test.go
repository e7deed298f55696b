package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
)

// history of several executions of an app — deployed, refused by a held lock, rolled back by an operator and by a
// failed health check, a manual rollback — beside another app's, which it never lists: plain, wide and JSON.
func TestHistory(t *testing.T) {
	b := setup(t)
	n := newNormalizer(b)
	cfg := b.d.AppConfig(b.zoneID)
	if err := b.d.AddApp(t.Context(), "demoapp2", cfg); err != nil { // its executions' names begin with "demoapp"
		t.Fatal(err)
	}
	noGate := `{"strategy":{"approvals":[]}}`
	b.must(0, "deploy", "demoapp", "v1")
	b.must(0, "deploy", "demoapp2", "v1")
	b.must(0, "deploy", "demoapp", "v2", "--config", noGate)
	b.must(0, "deploy", "demoapp", "v3", "--no-wait")
	b.atGate("demoapp")
	b.must(1, "deploy", "demoapp", "v4")
	b.must(0, "abort", "demoapp")
	b.must(1, "watch", "demoapp")
	b.must(1, "deploy", "demoapp", "v5-broken", "--config", noGate)
	b.must(0, "rollback", "demoapp")

	for _, v := range []struct{ suffix, output string }{{"", "text"}, {"-wide", "wide"}, {"-json", "json"}} {
		out := b.must(0, "history", "demoapp", "-o", v.output)
		golden(t, n, "history"+v.suffix, out)
		if strings.Contains(out, "demoapp2") {
			t.Errorf("history of demoapp lists demoapp2's executions:\n%s", out)
		}
		if v.output == "text" {
			fits(t, "history", out)
		}
	}
	// -n, and the JSON: one object a line, newest first.
	out := b.must(0, "history", "demoapp", "-n", "2", "-o", "json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var last struct{ Action, Outcome string }
	if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &last) != nil || last.Action != "rollback" || last.Outcome != "rolled back" {
		t.Errorf("history -n 2 -o json:\n%s", out)
	}
	if out := b.must(0, "history", "demoapp2"); strings.Count(out, "\n") != 2 {
		t.Errorf("history of demoapp2:\n%s", out)
	}
	_ = localdeploy.LockTable
}
