package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
)

// promote (and its alias approve), abort, and the single-dash spellings of earlier versions, against the local AWS.
func TestPromoteAbortAndOldSpellings(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	overrides := filepath.Join(t.TempDir(), "overrides.json")
	if err := os.WriteFile(overrides, []byte(`{"strategy":{"steps":[20,50],"approvals":[20]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// The global flags before the command, single-dash, with no environment to find the deployer by.
	old := bg{t: t, d: b.d, zoneID: b.zoneID, clock: b.clock, env: map[string]string{"USER": "bob"}}
	global := []string{"-state-machine", b.d.StateMachine, "-lock-table", localdeploy.LockTable, "-stack", "Unused"}
	out := old.must(0, append(global, "deploy", "demoapp", "v1", "-artifact", "s3://artifacts/demoapp/v1.zip", "-config", "@"+overrides, "-no-wait")...)
	arn := strings.TrimSpace(strings.TrimPrefix(out, "started "))
	d, err := b.d.Operator.SFN.(*sfn.Client).DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	in, err := deploy.DecodeInput([]byte(aws.ToString(d.Input)))
	if err != nil || in.Artifact != "s3://artifacts/demoapp/v1.zip" || !strings.Contains(string(in.Config), `"steps":[20,50]`) || in.Source != "cli" {
		t.Fatalf("started with %s (%v): want the artifact and the overrides given", aws.ToString(d.Input), err)
	}
	b.must(0, "watch", arn) // a first release: no steps, no gate

	// approve (the old name) -full -reason: the remaining steps are skipped.
	b.must(0, "-state-machine", b.d.StateMachine, "deploy", "demoapp", "v2", "-config", "@"+overrides, "-no-wait")
	b.atGate("demoapp")
	if out := old.must(0, append(global, "approve", "demoapp", "-full", "-reason", "looks good")...); !strings.Contains(out, "demoapp: promote-full sent") {
		t.Errorf("approve -full: %s", out)
	}
	out = b.must(0, "watch", "demoapp")
	if !strings.Contains(out, "promote-full by bob: looks good") || strings.Contains(out, "step 2/2") {
		t.Errorf("the watch of a promote-full:\n%s", out)
	}

	// promote, one step at a time; -o json says what was sent.
	b.must(0, "deploy", "demoapp", "v3", "--config", `{"strategy":{"steps":[20,50],"approvals":[20,50]}}`, "--no-wait")
	b.atGate("demoapp")
	var sent struct{ App, Decision, By string }
	if err := json.Unmarshal([]byte(b.must(0, "promote", "demoapp", "-o", "json")), &sent); err != nil || sent.Decision != "promote" || sent.By != "alice" {
		t.Errorf("promote -o json: %+v, %v", sent, err)
	}
	waitFor(t, "the gate at 50%", func() bool {
		l, err := b.d.Operator.Lock(ctx, "demoapp")
		return err == nil && l != nil && l.Approval != nil && l.Approval.Step == 50
	})
	if out := b.must(0, "abort", "demoapp", "--reason", "enough"); !strings.Contains(out, "demoapp: abort sent") {
		t.Errorf("abort: %s", out)
	}
	out = b.must(1, "watch", "demoapp")
	if !strings.Contains(out, "ROLLED BACK") || !strings.Contains(out, "rolled back at 50%") || !strings.Contains(out, "v2 still live on green") {
		t.Errorf("the watch of an aborted release:\n%s", out)
	}
	// No gate waits now.
	if code, _, errOut := b.run("promote", "demoapp"); code != 1 || !strings.Contains(errOut, "no approval is waiting") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("promote with no gate: exit %d, %q: want 1 and one line", code, errOut)
	}
	// A run stopped at its gate holds the lock: status says so and names the reconcile, which takes the
	// execution's name.
	b.must(0, "deploy", "demoapp", "v4", "--no-wait")
	b.atGate("demoapp")
	l, err := b.d.Operator.Lock(ctx, "demoapp")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.d.Operator.SFN.(*sfn.Client).StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(l.Execution)}); err != nil {
		t.Fatal(err)
	}
	b.must(1, "watch", l.Execution)
	name := l.Execution[strings.LastIndexByte(l.Execution, ':')+1:]
	if out := b.must(3, "status", "demoapp"); !strings.Contains(out, "LOCKED by a run that is not running: "+name) || !strings.Contains(out, "`bluegreen reconcile "+name+"`") ||
		strings.Contains(out, "promote") {
		t.Errorf("status after a stop:\n%s", out)
	}
	if out := b.must(0, "reconcile", name); !strings.Contains(out, "SUCCEEDED") {
		t.Errorf("reconcile %s:\n%s", name, out)
	}
	if out := b.must(0, "status", "demoapp"); !strings.Contains(out, "at rest, green live (v2)") || !strings.Contains(out, "lock: free") {
		t.Errorf("status after the reconcile:\n%s", out)
	}
	// repair -live -no-wait.
	if out := b.must(0, "repair", "demoapp", "-live", "green", "-no-wait"); !strings.HasPrefix(out, "started arn:aws:states:") {
		t.Errorf("repair -live green -no-wait: %s", out)
	}
}
