package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/bluegreen-aws/bluegreen/internal/cli"
	"github.com/bluegreen-aws/bluegreen/internal/deploy/deploytest"
	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
)

var (
	local *localaws.AWS
	apps  *localdeploy.AppServer
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if apps, err = localdeploy.StartAppServer(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer apps.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	local, err = localdeploy.StartInProcess(ctx, io.Discard, nil, localaws.Options{})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: start the local AWS: %v\n", err)
		return 1
	}
	defer local.Stop()
	return m.Run()
}

// bg runs the command line against a deployer on the local AWS, found through flags.
type bg struct {
	t      *testing.T
	d      *localdeploy.Deployer
	zoneID string
	env    map[string]string
	// terminal, when set, says whether the output is a terminal (default: never).
	terminal func(io.Writer) bool
	clock    *clock
}

// clock names the executions a test starts: a second apart from 2026-12-01T10:00:00Z, so that their names, and the
// stack ids the plan derives from them, are the same on every run.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func (b bg) run(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := b.runTo(&out, &errOut, args...)
	return code, out.String(), errOut.String()
}

// runTo runs the command line writing to stdout and stderr.
func (b bg) runTo(stdout, stderr io.Writer, args ...string) int {
	load := func(context.Context) (aws.Config, error) {
		if b.d == nil {
			return aws.Config{}, errors.New("no deployer in this test")
		}
		return b.d.AWS.Config(context.Background())
	}
	var now func() time.Time
	if b.clock != nil {
		now = b.clock.now
	}
	return cli.Run(context.Background(), args, cli.Env{Stdout: stdout, Stderr: stderr, Getenv: func(k string) string { return b.env[k] }, AWS: load,
		Terminal: b.terminal, Poll: 50 * time.Millisecond, Now: now})
}

// syncBuffer is a buffer a test reads while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func setup(t *testing.T) bg {
	a := localawstest.Use(t, local)
	ctx := context.Background()
	d, err := localdeploy.Install(ctx, a, apps)
	if err != nil {
		t.Fatal(err)
	}
	zoneID, err := d.AddZone(ctx, "example.com")
	if err != nil {
		t.Fatal(err)
	}
	cfg := d.AppConfig(zoneID)
	cfg.Strategy.Approvals = []int{30}
	if err := d.AddApp(ctx, "demoapp", cfg); err != nil {
		t.Fatal(err)
	}
	return bg{t: t, d: d, zoneID: zoneID, clock: &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}, env: map[string]string{
		"BLUEGREEN_STATE_MACHINE_ARN": d.StateMachine, "BLUEGREEN_LOCK_TABLE": localdeploy.LockTable, "USER": "alice",
	}}
}

// must runs the command line and requires the exit status want; it returns stdout.
func (b bg) must(want int, args ...string) string {
	b.t.Helper()
	code, out, errOut := b.run(args...)
	if code != want {
		b.t.Fatalf("bluegreen %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out
}

// waitFor polls until cond holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// atGate waits until an app's deployment waits at an approval gate.
func (b bg) atGate(app string) {
	b.t.Helper()
	waitFor(b.t, app+" waits at an approval gate", func() bool {
		l, err := b.d.Operator.Lock(context.Background(), app)
		return err == nil && l != nil && l.Approval != nil
	})
}

func TestUsageAndValidate(t *testing.T) {
	b := bg{t: t, env: map[string]string{}}
	for _, args := range [][]string{{}, {"nope"}, {"deploy", "demoapp"}, {"status"}, {"approve", "a", "b"}, {"status", "demoapp", "-nope"},
		{"status", "demoapp", "-o", "yaml"}, {"history", "demoapp", "-n", "0"}, {"repair", "demoapp", "-live", "red"}} {
		code, out, errOut := b.run(args...)
		if code != 2 || out != "" && len(args) > 0 || !strings.Contains(errOut, "--help") {
			t.Errorf("bluegreen %v: exit %d, want 2 and a usage error on stderr\n%s%s", args, code, out, errOut)
		}
	}
	// Help per command, and shell completion.
	for _, args := range [][]string{{"--help"}, {"help", "status"}, {"promote", "--help"}, {"completion", "bash"}, {"completion", "zsh"}} {
		if code, out, errOut := b.run(args...); code != 0 || out == "" {
			t.Errorf("bluegreen %v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	files, err := filepath.Glob("../../events/input/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no input samples: %v", err)
	}
	const appConfig = "../../events/config/demoapp.json"
	for _, f := range files {
		if code, out, errOut := b.run("validate", f, "-app-config", appConfig); code != 0 {
			t.Errorf("validate %s: exit %d\n%s%s", f, code, out, errOut)
		}
	}
	if code, out, errOut := b.run("validate-config", appConfig); code != 0 || !strings.Contains(out, "a valid configuration of app demoapp") {
		t.Errorf("validate-config %s: exit %d\n%s%s", appConfig, code, out, errOut)
	}
	bad := filepath.Join(t.TempDir(), "deploy.json")
	if err := os.WriteFile(bad, []byte(`{"app": "Demo App", "version": "", "colour": "blue"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := b.run("validate", bad, "-app-config", appConfig)
	if code != 1 || !strings.Contains(errOut, "colour") {
		t.Errorf("validate of a bad file: exit %d, %s", code, errOut)
	}
}

// `bluegreen validate` refuses every input Prepare refuses (the shared table), printing every problem, offline.
func TestValidateRefusesWhatPrepareRefuses(t *testing.T) {
	b := bg{t: t, env: map[string]string{}}
	dir := t.TempDir()
	for i, tt := range deploytest.RefusedInputs() {
		t.Run(tt.Name, func(t *testing.T) {
			f := filepath.Join(dir, fmt.Sprintf("input-%d.json", i))
			if err := os.WriteFile(f, []byte(tt.Input), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := b.run("validate", f, "-app-config", "../../events/config/demoapp.json")
			if code != 1 {
				t.Errorf("validate %s: exit %d, want 1\n%s", tt.Input, code, out)
			}
			for _, p := range tt.Problems {
				if !strings.Contains(errOut, p) {
					t.Errorf("validate %s: no problem contains %q:\n%s", tt.Input, p, errOut)
				}
			}
		})
	}
}
