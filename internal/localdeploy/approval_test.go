package localdeploy_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

func TestApprovalGates(t *testing.T) {
	tests := []struct {
		name       string
		decision   string // "" waits for the timeout
		timeout    int
		wantStatus string
		wantError  string
		wantPath   []string
		notPath    []string
	}{
		{name: "promote", decision: deploy.DecisionPromote, timeout: 600, wantStatus: "SUCCEEDED",
			wantPath: []string{"Approval", "Decision", "MoreSteps", "Shift", "Shift", "Switch", "Succeeded"}},
		{name: "promote-full", decision: deploy.DecisionPromoteFull, timeout: 600, wantStatus: "SUCCEEDED",
			wantPath: []string{"Approval", "Decision", "FinalHealth", "Switch", "Succeeded"}},
		{name: "abort", decision: deploy.DecisionAbort, timeout: 600, wantStatus: "FAILED", wantError: "ApprovalAborted",
			wantPath: []string{"Approval", "Decision", "Aborted", "Rollback", "RolledBack"}, notPath: []string{"Switch"}},
		{name: "timeout", timeout: 1, wantStatus: "FAILED", wantError: "Timeout",
			wantPath: []string{"Approval", "Rollback", "RolledBack"}, notPath: []string{"Switch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			e.addApp("demoapp", func(c *deploy.Config) {
				c.Strategy.Approvals = []int{10}
				c.Strategy.ApprovalTimeoutSeconds = tt.timeout
			})
			e.deploy("demoapp", "v1")
			inbox := e.subscribe()
			before := managedRecords(e.status("demoapp"))
			arn, err := e.d.Operator.Start(e.ctx, deploy.Input{App: "demoapp", Version: "v2"})
			if err != nil {
				t.Fatal(err)
			}
			if tt.decision != "" {
				waitFor(t, "the approval gate waits", func() bool {
					l, err := e.d.Operator.Lock(e.ctx, "demoapp")
					return err == nil && l != nil && l.Approval != nil && l.Approval.Step == 10
				})
				s := e.status("demoapp")
				if s.State.Weight(records.Green) != 10 || s.State.Phase != records.PhaseMoving {
					t.Errorf("at the gate: %s with green at %d, want moving at 10", s.State.Phase, s.State.Weight(records.Green))
				}
				token := e.approvalToken("demoapp")
				waitFor(t, "the gate's notification", func() bool { return slices.ContainsFunc(inbox(), approvalNotice) })
				for _, m := range inbox() {
					if strings.Contains(m, token) {
						t.Errorf("a notification carries the approval token: %s", m)
					}
				}
				if err := e.d.Operator.Decide(e.ctx, "demoapp", deploy.Approval{Decision: tt.decision, By: "test"}); err != nil {
					t.Fatal(err)
				}
				if tok := e.approvalToken("demoapp"); tok != "" {
					waitFor(t, "the answered gate's token to go", func() bool { return e.approvalToken("demoapp") == "" })
				}
			}
			r, err := e.d.Operator.Wait(e.ctx, arn, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tt.wantStatus || r.Error != tt.wantError {
				t.Fatalf("%s %s %s, want %s %s\npath %v", r.Status, r.Error, r.Cause, tt.wantStatus, tt.wantError, operator.Names(r.Path))
			}
			hasPath(t, r, tt.wantPath...)
			never(t, r, tt.notPath...)
			if tt.wantStatus == "SUCCEEDED" {
				e.live("demoapp", records.Green, e.status("demoapp").State.Slots[records.Blue])
				return
			}
			after := e.live("demoapp", records.Blue, "")
			if got := managedRecords(after); len(got) != len(before) {
				t.Errorf("records after the rollback: %v, want %v", got, before)
			}
			if err := e.d.Operator.Decide(e.ctx, "demoapp", deploy.Approval{Decision: deploy.DecisionPromote}); !errors.Is(err, operator.ErrNoApproval) {
				t.Errorf("Decide with no gate waiting = %v, want ErrNoApproval", err)
			}
		})
	}
}

// approvalNotice reports whether a notification announces the gate at 10 %, saying how to answer it.
func approvalNotice(m string) bool {
	return strings.Contains(m, "approval waiting at 10%") && strings.Contains(m, "bluegreen promote demoapp") && strings.Contains(m, "bluegreen abort demoapp")
}
