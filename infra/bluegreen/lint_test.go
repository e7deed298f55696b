package bluegreen

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/bluegreen-aws/bluegreen/statemachine"
)

// cdk-nag reports its findings as error annotations (go run exits 0 regardless): none may be left unsuppressed.
func TestNoUnsuppressedNagErrors(t *testing.T) {
	for _, s := range []*synthesized{base, withPipeline, extended} {
		var msgs []string
		must(t, "annotations", func() {
			found := assertions.Annotations_FromStack(s.stack.Stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
			for _, m := range *found {
				msgs = append(msgs, *m.Id+": "+strings.SplitN(m.Entry.Data.(string), ":", 2)[0])
			}
		})
		if len(msgs) > 0 {
			t.Errorf("%s: %d unsuppressed cdk-nag errors:\n%s", *s.stack.StackName(), len(msgs), strings.Join(msgs, "\n"))
		}
	}
}

// Every suppression carries a reason, and every wildcard suppression names the findings it covers.
func TestNagSuppressionsExplained(t *testing.T) {
	n := 0
	for _, s := range []*synthesized{base, withPipeline, extended} {
		for id, r := range s.json["Resources"].(map[string]any) {
			meta, _ := r.(map[string]any)["Metadata"].(map[string]any)
			nag, _ := meta["cdk_nag"].(map[string]any)
			rules, _ := nag["rules_to_suppress"].([]any)
			for _, raw := range rules {
				rule := raw.(map[string]any)
				n++
				if reason, _ := rule["reason"].(string); len(reason) < 40 {
					t.Errorf("%s: suppression of %v has no real reason: %q", id, rule["id"], reason)
				}
				if applies, _ := rule["applies_to"].([]any); rule["id"] == "AwsSolutions-IAM5" && len(applies) == 0 {
					t.Errorf("%s: IAM5 suppressed for every finding, not the ones it means", id)
				}
			}
		}
	}
	if n == 0 {
		t.Errorf("no suppressions found: the metadata moved?")
	}
}

// cfn-lint passes on every template. W3005 (a DependsOn already implied by a reference) flags the CDK's own
// DependsOn and is ignored.
func TestCfnLint(t *testing.T) {
	lint := findCfnLint(t)
	dir := t.TempDir()
	var files []string
	for _, s := range []*synthesized{base, withPipeline, extended} {
		f := filepath.Join(dir, *s.stack.StackName()+".template.json")
		data, err := json.Marshal(s.json)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	out, err := exec.Command(lint, append([]string{"--ignore-checks", "W3005", "--"}, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

// findCfnLint looks on PATH, then in pyenv's shims.
func findCfnLint(t *testing.T) string {
	if p, err := exec.LookPath("cfn-lint"); err == nil {
		return p
	}
	if root, err := exec.Command("pyenv", "root").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(root)), "shims", "cfn-lint")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".pyenv", "shims", "cfn-lint")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("cfn-lint not found on PATH nor in pyenv's shims: install it (pip install cfn-lint)")
	return ""
}

// asl-validator passes on the state machine and the sweeper as written (placeholders in strings) and as rendered with ARNs. It
// catches what cfn-lint does not (a missing Next, an unreachable state).
func TestASLValidator(t *testing.T) {
	bin := filepath.Join(repoRoot(), ".tools", "node_modules", ".bin", "asl-validator")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("asl-validator is not installed (%v): run npm ci --prefix .tools", err)
	}
	values := map[string]string{
		statemachine.LockTable:         "bluegreen-locks",
		statemachine.NotificationTopic: "arn:aws:sns:us-east-1:123456789012:bluegreen",
	}
	for name, ph := range statemachine.FunctionPlaceholders {
		values[ph] = "arn:aws:lambda:us-east-1:123456789012:function:bluegreen-" + name
	}
	rendered, err := statemachine.Render(values)
	if err != nil {
		t.Fatal(err)
	}
	values[statemachine.StateMachine] = "arn:aws:states:us-east-1:123456789012:stateMachine:bluegreen"
	sweeper, err := statemachine.RenderSweep(values)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f, g := filepath.Join(dir, "rendered.asl.json"), filepath.Join(dir, "rendered-sweep.asl.json")
	for path, def := range map[string]string{f: rendered, g: sweeper} {
		if err := os.WriteFile(path, []byte(def), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{filepath.Join(repoRoot(), "statemachine", "bluegreen.asl.json"), filepath.Join(repoRoot(), "statemachine", "sweep.asl.json"), f, g} {
		out, err := exec.Command(bin, "--json-path", path).CombinedOutput()
		if err != nil {
			t.Errorf("asl-validator %s: %v\n%s", filepath.Base(path), err, out)
		}
	}
}
