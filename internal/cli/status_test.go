package cli_test

import (
	"context"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// status of an app at rest, in the middle of a release (at an approval gate) and with records edited by hand into
// an inconsistent state: plain, wide and JSON, against the local AWS.
func TestStatus(t *testing.T) {
	b := setup(t)
	n := newNormalizer(b)
	views := func(name string, wantCode int) {
		t.Helper()
		for _, v := range []struct{ suffix, output string }{{"", "text"}, {"-wide", "wide"}, {"-json", "json"}} {
			code, out, errOut := b.run("status", "demoapp", "-o", v.output)
			if code != wantCode {
				t.Fatalf("status -o %s: exit %d, want %d\n%s%s", v.output, code, wantCode, out, errOut)
			}
			golden(t, n, "status-"+name+v.suffix, out)
			if v.output == "text" {
				fits(t, "status "+name, out)
			}
			if v.output == "json" && !json.Valid([]byte(out)) {
				t.Errorf("status -o json is not JSON: %s", out)
			}
			if strings.Contains(out, "approvalToken") || strings.Contains(out, "token") {
				t.Errorf("status -o %s shows the approval token:\n%s", v.output, out)
			}
			// Problems are on stderr as well, one line each.
			if wantCode == 3 && v.output != "json" && strings.Count(errOut, "problem: ") != strings.Count(out, "PROBLEM:") {
				t.Errorf("status -o %s: stderr does not repeat the problems:\n%s", v.output, errOut)
			}
		}
	}
	b.must(0, "deploy", "demoapp", "v1")
	b.must(0, "deploy", "demoapp", "v2", "--config", `{"strategy":{"approvals":[]}}`)
	views("at-rest", 0)

	// -w, from just after the start (before the run has the lock), prints the status again when it changes, until
	// the app is at rest and unlocked.
	b.must(0, "deploy", "demoapp", "v3", "--no-wait")
	var refreshing syncBuffer
	exited := make(chan int)
	go func() { exited <- b.runTo(&refreshing, io.Discard, "status", "demoapp", "-w", "--interval", "100ms") }()
	waitFor(t, "status -w prints the gate", func() bool { return strings.Contains(refreshing.String(), "approval waiting") })
	b.atGate("demoapp")
	views("moving", 0)
	b.must(0, "abort", "demoapp", "--reason", "not today")
	b.must(1, "watch", "demoapp")
	code := <-exited
	if out := refreshing.String(); code != 0 || !strings.HasSuffix(out, "\n\ndemoapp at demoapp.example.com: at rest, green live (v2)\n"+
		"COLOR  STACK   VERSION  TRAFFIC          STATUS\n"+
		"blue   739889  v1       ░░░░░░░░░░   0%  CREATE_COMPLETE\n"+
		"green  261149  v2       ██████████ 100%  CREATE_COMPLETE  live\n"+
		"lock: free\n") {
		t.Errorf("status -w: exit %d, want 0 and the status from moving to at rest and unlocked:\n%s", code, out)
	}

	// By hand: stack.active names blue's stack while green has the traffic.
	s, err := b.d.Status(context.Background(), "demoapp")
	if err != nil {
		t.Fatal(err)
	}
	z, err := b.d.Zones.Open(context.Background(), b.zoneID)
	if err != nil {
		t.Fatal(err)
	}
	active := records.TXT(s.App.ActiveName(), records.TXTTTL, s.State.Slots[records.Blue])
	if _, err := z.Apply(context.Background(), records.Batch{Changes: []records.Change{{Action: records.Upsert, Record: active}}}); err != nil {
		t.Fatal(err)
	}
	views("inconsistent", 3)
}

var colourRE = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// Colour only on a terminal, and never with NO_COLOR set; the watch's live line, rewritten in place, only on a
// terminal.
func TestColourOnlyOnATerminal(t *testing.T) {
	b := setup(t)
	b.must(0, "deploy", "demoapp", "v1")
	b.must(0, "deploy", "demoapp", "v2", "--config", `{"strategy":{"approvals":[]}}`)
	tests := []struct {
		name     string
		terminal bool
		noColor  string
		want     bool
	}{
		{name: "a terminal", terminal: true, want: true},
		{name: "a terminal, NO_COLOR", terminal: true, noColor: "1"},
		{name: "a pipe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := b
			c.terminal = func(io.Writer) bool { return tt.terminal }
			c.env = map[string]string{"NO_COLOR": tt.noColor}
			for k, v := range b.env {
				c.env[k] = v
			}
			for _, args := range [][]string{{"status", "demoapp"}, {"history", "demoapp"}, {"watch", "demoapp"}} {
				out := c.must(0, args...)
				if got := colourRE.MatchString(out); got != tt.want {
					t.Errorf("%v: colour %v, want %v:\n%q", args, got, tt.want, out)
				}
			}
			out := c.must(0, "rollback", "demoapp") // the watch of a run: its live line is cleared before each line
			if got := strings.Contains(out, "\r\x1b[K"); got != tt.terminal {
				t.Errorf("rollback: a live line %v, want %v:\n%q", got, tt.terminal, out)
			}
		})
	}
}
