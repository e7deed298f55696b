package cli_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with what the commands print")

// normalizer replaces what differs from run to run in the commands' output — times, durations, ports, the hosted
// zone's id, load balancer names, the fence's digest — so that a golden file says what is printed, the same on
// every run. (Execution names and the stack ids the plan derives from them are the same on every run: the tests
// name executions by their own clock.)
type normalizer struct {
	zoneID string
}

func newNormalizer(b bg) *normalizer { return &normalizer{zoneID: b.zoneID} }

var (
	timeRE     = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?`)
	secondsRE  = regexp.MustCompile(`"(durationSeconds|elapsedSeconds)":[0-9.e+-]+`)
	elapsedRE  = regexp.MustCompile(`\b(\d+\.\d+s|\d+m\d{2}s|\d+h\d{2}m)\b`)
	lineTimeRE = regexp.MustCompile(`(?m)^ +<t>  `)
	portRE     = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	lbRE       = regexp.MustCompile(`-load-[a-z0-9]+-\d+\.us-east-1\.elb\.amazonaws\.com`)
	fenceRE    = regexp.MustCompile(`\d+ [0-9a-f]{32}`)
)

func (n *normalizer) apply(s string) string {
	s = timeRE.ReplaceAllString(s, "<time>")
	s = secondsRE.ReplaceAllString(s, `"$1":<n>`)
	s = elapsedRE.ReplaceAllString(s, "<t>")
	s = lineTimeRE.ReplaceAllString(s, "<t>  ")
	s = portRE.ReplaceAllString(s, "127.0.0.1:<port>")
	s = lbRE.ReplaceAllString(s, "-load-<lb>.us-east-1.elb.amazonaws.com")
	s = fenceRE.ReplaceAllString(s, "<fence>")
	if n.zoneID != "" {
		s = strings.ReplaceAll(s, n.zoneID, "<zone>")
	}
	return s
}

// golden compares what a command printed, normalized, with testdata/<name>.golden (go test -update rewrites it).
func golden(t *testing.T, n *normalizer, name, got string) {
	t.Helper()
	got = n.apply(got)
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// fits checks that every line of a default view fits 80 columns.
func fits(t *testing.T, what, out string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("%s: a line of %d columns:\n%s", what, n, line)
		}
	}
}
