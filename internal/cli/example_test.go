package cli_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// The example app of examples/local-app, set up exactly as the README says (its setup.sh: a hosted zone, the
// template, the stored configuration, the first release) with the real bluegreen command and the AWS CLI, against
// the local AWS.
func TestExampleLocalApp(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not on PATH (the machine image has it: LOCAL-AWS.md)")
	}
	b := setup(t)
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "bluegreen"), "./cmd/bluegreen")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/bluegreen: %v\n%s", err, out)
	}
	cmd := exec.Command("bash", "examples/local-app/setup.sh")
	cmd.Dir = "../.."
	cmd.Env = append(b.d.AWS.Env(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+t.TempDir(), "TMPDIR="+t.TempDir(),
		"BLUEGREEN_STATE_MACHINE_ARN="+b.d.StateMachine, "BLUEGREEN_LOCK_TABLE="+localdeploy.LockTable, "BLUEGREEN_APP_SERVER="+apps.URL())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("examples/local-app/setup.sh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "SUCCEEDED") || !strings.Contains(string(out), "shop at www.shop.test: at rest, blue live (v1)") {
		t.Errorf("setup.sh did not release shop v1:\n%s", out)
	}
	s, err := b.d.Status(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	if s.State.Phase != records.PhaseAtRest || s.Live() != records.Blue || s.App.HostName() != "www.shop.test" {
		t.Errorf("shop is %s with %q live at %s, want at rest, blue live, at www.shop.test", s.State.Phase, s.Live(), s.App.HostName())
	}
	// The next release goes through the example's steps.
	if out := b.must(0, "deploy", "shop", "v2"); !strings.Contains(out, "step 2/2") {
		t.Errorf("shop v2:\n%s", out)
	}

	// The README gives the same commands.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../../examples/local-app/setup.sh")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "set ") || strings.HasPrefix(line, ":") || strings.HasPrefix(line, "cd ") {
			continue
		}
		if !strings.Contains(string(readme), line) {
			t.Errorf("README.md does not give the command %q of examples/local-app/setup.sh", line)
		}
	}
}
