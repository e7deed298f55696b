package statemachine_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bluegreen-aws/bluegreen/statemachine"
)

// Every pre-traffic health loop waits as long as its last verdict says (checks.waitSeconds): health.retrySeconds
// after a failure, less while it waits for initial targets whose deadline is near. No Lambda sleeps for it.
func TestHealthLoopsWaitAsTheVerdictSays(t *testing.T) {
	var def struct {
		States map[string]struct {
			Type        string
			SecondsPath string
			Next        string
		}
	}
	if err := json.Unmarshal([]byte(statemachine.Definition), &def); err != nil {
		t.Fatal(err)
	}
	n := 0
	for name, s := range def.States {
		if !strings.HasSuffix(name, "RetryWait") {
			continue
		}
		n++
		if s.Type != "Wait" || s.SecondsPath != "$.checks.waitSeconds" {
			t.Errorf("%s: %s with SecondsPath %q, want a Wait on $.checks.waitSeconds", name, s.Type, s.SecondsPath)
		}
		if want := strings.TrimSuffix(name, "RetryWait") + "Health"; s.Next != want {
			t.Errorf("%s goes to %s, want %s", name, s.Next, want)
		}
	}
	if n != 3 {
		t.Errorf("%d health loops, want 3 (pre-traffic, manual rollback's target, repair's target)", n)
	}
}
