// Package localawstest runs a local AWS (package localaws) in tests.
//
// A test binary shares one local AWS, started by TestMain, and each test resets it:
//
//	var local *localaws.AWS
//
//	func TestMain(m *testing.M) {
//		os.Exit(localawstest.Main(m, localaws.Options{Handlers: handlers}, &local))
//	}
//
//	func TestSwitch(t *testing.T) {
//		aws := localawstest.Use(t, local) // reset; logs dumped if the test fails
//		cfg, _ := aws.Config(t.Context())
//		...
//	}
//
// A test that needs its own local AWS calls Start. Nothing here skips a test when moto
// is missing: the test fails, saying where moto was looked for.
package localawstest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/localaws"
)

// dumpBytes is how much of each log a failed test prints.
const dumpBytes = 4000

// Start starts a local AWS for one test and stops it when the test ends; if the test
// failed, it first logs the tail of moto's and the functions' logs and the last calls.
func Start(t testing.TB, opts localaws.Options) *localaws.AWS {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := localaws.Start(ctx, opts)
	if err != nil {
		t.Fatalf("start the local AWS: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(Dump(a, nil))
		}
		if err := a.Stop(); err != nil {
			t.Errorf("stop the local AWS: %v", err)
		}
	})
	return a
}

// Main starts a local AWS for the tests of m, stores it in *aws, runs the tests, stops
// it, and returns the exit code for os.Exit. When the local AWS cannot start, it says
// why on stderr and returns 1.
func Main(m *testing.M, opts localaws.Options, aws **localaws.AWS) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	a, err := localaws.Start(ctx, opts)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: start the local AWS: %v\n", err)
		return 1
	}
	*aws = a
	code := m.Run()
	if err := a.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: stop the local AWS: %v\n", err)
		return 1
	}
	return code
}

// Use resets a shared local AWS for test t. If t fails, the logs written during the
// test and the calls it made are logged when it ends.
func Use(t testing.TB, a *localaws.AWS) *localaws.AWS {
	t.Helper()
	if a == nil {
		t.Fatal("no local AWS: start it in TestMain with localawstest.Main")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Reset(ctx); err != nil {
		t.Fatalf("reset the local AWS: %v", err)
	}
	marks := logSizes(a.LogDir)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(Dump(a, marks))
		}
	})
	return a
}

// Dump returns, for a failed test, the tail of each log in the local AWS's log
// directory (from the offsets in since, when given) and the last calls the gateway logged.
func Dump(a *localaws.AWS, since map[string]int64) string {
	var b strings.Builder
	paths, _ := filepath.Glob(filepath.Join(a.LogDir, "*.log"))
	for _, p := range paths {
		fmt.Fprintf(&b, "\n--- %s ---\n%s", p, readTail(p, since[p], dumpBytes))
	}
	reqs := a.Gateway.Requests()
	if len(reqs) > 40 {
		reqs = reqs[len(reqs)-40:]
	}
	fmt.Fprintf(&b, "\n--- last %d calls through the gateway ---\n", len(reqs))
	for _, r := range reqs {
		op := r.Operation
		if r.Function != "" {
			op += ":" + r.Function
		}
		if r.Instance != 0 {
			op += fmt.Sprintf("#%d", r.Instance)
		}
		fmt.Fprintf(&b, "%s %s %s -> %d %s%s held=%v took=%v\n", r.Time.Format("15:04:05.000"),
			r.Service, op, r.Status, r.Fault, r.Limit, r.Held, r.Duration)
	}
	return b.String()
}

// logSizes records each log's size, so that a dump shows only what came after.
func logSizes(dir string) map[string]int64 {
	sizes := map[string]int64{}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			sizes[p] = st.Size()
		}
	}
	return sizes
}

// readTail returns at most n bytes of the end of a file, from offset from.
func readTail(path string, from, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err.Error()
	}
	if st.Size()-from > n {
		from = st.Size() - n
	}
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return err.Error()
	}
	b, _ := io.ReadAll(f)
	return string(b)
}
