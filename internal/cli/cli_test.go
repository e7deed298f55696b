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
	t   *testing.T
	d   *localdeploy.Deployer
	env map[string]string
}

func (b bg) run(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	load := func(context.Context) (aws.Config, error) {
		if b.d == nil {
			return aws.Config{}, errors.New("no deployer in this test")
		}
		return b.d.AWS.Config(context.Background())
	}
	code := cli.Run(context.Background(), args, &out, &errOut, func(k string) string { return b.env[k] }, load)
	return code, out.String(), errOut.String()
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
	return bg{t: t, d: d, env: map[string]string{
		"BLUEGREEN_STATE_MACHINE_ARN": d.StateMachine, "BLUEGREEN_LOCK_TABLE": localdeploy.LockTable,
	}}
}

func TestDeployStatusApproveRollback(t *testing.T) {
	b := setup(t)
	code, out, errOut := b.run("deploy", "demoapp", "v1", "-artifact", "s3://artifacts/demoapp/v1.zip")
	if code != 0 || !strings.Contains(out, "SUCCEEDED") || !strings.Contains(out, "Switch") {
		t.Fatalf("deploy v1: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = b.run("status", "demoapp")
	if code != 0 || !strings.Contains(out, "at-rest, live: blue") || !strings.Contains(out, "demoapp-blue") || !strings.Contains(out, "100") {
		t.Fatalf("status after v1: exit %d\n%s", code, out)
	}

	code, out, errOut = b.run("deploy", "demoapp", "v2", "-no-wait")
	if code != 0 || !strings.Contains(out, "started arn:aws:states:") {
		t.Fatalf("deploy -no-wait: exit %d\n%s%s", code, out, errOut)
	}
	arn := strings.TrimSpace(strings.TrimPrefix(out, "started "))
	deadline := time.Now().Add(time.Minute)
	for {
		_, out, _ = b.run("status", "demoapp")
		if strings.Contains(out, "approval waiting at 30%") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no approval gate in the status:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(out, "moving") {
		t.Errorf("status at the gate does not say moving:\n%s", out)
	}
	if code, out, errOut = b.run("approve", "demoapp", "-reason", "looks good"); code != 0 {
		t.Fatalf("approve: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut = b.run("watch", arn); code != 0 || !strings.Contains(out, "SUCCEEDED") {
		t.Fatalf("watch: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut = b.run("approve", "demoapp"); code != 1 || !strings.Contains(errOut, "no approval is waiting") {
		t.Errorf("approve with no gate: exit %d, %s", code, errOut)
	}

	code, out, errOut = b.run("rollback", "demoapp")
	if code != 0 || !strings.Contains(out, "RolledBackToIdle") {
		t.Fatalf("rollback: exit %d\n%s%s", code, out, errOut)
	}
	if _, out, _ = b.run("status", "demoapp"); !strings.Contains(out, "live: blue") {
		t.Errorf("status after the rollback:\n%s", out)
	}

	code, out, _ = b.run("deploy", "demoapp", "v3-broken")
	if code != 1 || !strings.Contains(out, "FAILED") || !strings.Contains(out, "HealthCheckError") {
		t.Errorf("a failing deployment: exit %d\n%s", code, out)
	}
}

func TestUsageAndValidate(t *testing.T) {
	b := bg{t: t, env: map[string]string{}}
	for _, args := range [][]string{{}, {"nope"}, {"deploy", "demoapp"}, {"status"}, {"approve", "a", "b"}} {
		if code, _, _ := b.run(args...); code != 2 {
			t.Errorf("bluegreen %v: exit %d, want 2", args, code)
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
