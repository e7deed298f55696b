package deploy_test

import (
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

func TestNotices(t *testing.T) {
	app := &records.App{Name: "demoapp", Zone: "example.com"}
	live := &deploy.Slot{Color: records.Blue, StackID: "123456", Stack: "demoapp-123456", Version: "v1"}
	next := &deploy.Slot{Color: records.Green, StackID: "654321", Stack: "demoapp-654321", Version: "v2"}
	legacy := records.Record{Name: "demoapp.example.com", Type: "A", TTL: 300, Values: []string{"192.0.2.10"}}
	failed := &deploy.TaskError{Error: "HealthCheckError", Cause: `{"errorMessage":"stack demoapp-654321 failed its health check: status 500"}`}
	release := func(plan *deploy.Plan, step *deploy.Step, switched bool) *deploy.State {
		timeout := 600
		return &deploy.State{
			Input: deploy.Input{Action: deploy.ActionDeploy, App: "demoapp", Version: "v2"}, App: app, Plan: plan,
			Step: step, Switched: switched, Error: failed,
			Config: &deploy.Config{Strategy: deploy.Strategy{ApprovalTimeoutSeconds: timeout}},
		}
	}
	second := &deploy.Plan{Action: deploy.ActionDeploy, Live: live, New: next}
	first := &deploy.Plan{Action: deploy.ActionDeploy, New: next}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{name: "title", got: release(nil, nil, false).Label(), want: "demoapp v2 (deploy)"},
		{name: "describe names the previous version once planned", got: release(second, nil, false).Describe("started"),
			want: "demoapp v2 (deploy, previous v1): started"},
		{name: "deployed", got: release(second, &deploy.Step{Index: 2, Percent: 60}, true).DeployedNotice(""),
			want: "demoapp v2 (deploy, previous v1): deployed, live on green stack demoapp-654321. To go back to v1 (blue stack demoapp-123456): `bluegreen rollback demoapp`"},
		{name: "first release deployed", got: release(first, &deploy.Step{Index: -1}, true).DeployedNotice(" (1 warning(s): x)"),
			want: "demoapp v2 (deploy): deployed, live on green stack demoapp-654321 (1 warning(s): x)"},
		{name: "rolled back at a step", got: release(second, &deploy.Step{Index: 1, Percent: 30}, false).RollbackNotice(""),
			want: "demoapp v2 (deploy, previous v1): rolled back at 30%: HealthCheckError: stack demoapp-654321 failed its health check: status 500; v1 still live on blue stack demoapp-123456. Inspect with `bluegreen status demoapp` and `bluegreen history demoapp`"},
		{name: "rolled back after the switch", got: release(second, &deploy.Step{Index: 2, Percent: 60}, true).RollbackCause("the watch failed"),
			want: "rolled back after the switch, v1 still live on blue stack demoapp-123456: the watch failed"},
		{name: "first release rolled back", got: release(first, &deploy.Step{Index: -1}, false).RollbackCause("unhealthy"),
			want: "rolled back before any traffic, no release was live before, so the host does not resolve: unhealthy"},
		{name: "first release that adopted a record rolled back", got: release(&deploy.Plan{New: next, Adopt: &legacy}, nil, true).RollbackCause("unhealthy"),
			want: "rolled back after the switch, the host's earlier record is back: unhealthy"},
		{name: "approval", got: release(second, &deploy.Step{Index: 0, Percent: 10}, false).ApprovalNotice("3/3 probes ok"),
			want: "demoapp v2 (deploy, previous v1): approval waiting at 10% (3/3 probes ok). Promote with `bluegreen promote demoapp` (--full skips the remaining steps) or abort with `bluegreen abort demoapp` within 600 s, or the deployment rolls back."},
		{name: "manual rollback", got: (&deploy.State{Input: deploy.Input{Action: deploy.ActionRollback, App: "demoapp"}, App: app,
			Plan: &deploy.Plan{Action: deploy.ActionRollback, Live: next, Target: live}}).ManualRollbackNotice(),
			want: "demoapp (rollback, previous v2): rolled back: blue stack demoapp-123456 (v1) is live again in place of green stack demoapp-654321. To undo: `bluegreen rollback demoapp`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got  %q\nwant %q", tt.got, tt.want)
			}
		})
	}
	if c := release(second, nil, false).RollbackCause("x"); !deploy.IsRollbackCause(c) || deploy.IsRollbackCause("stack demoapp-654321 failed") {
		t.Errorf("IsRollbackCause does not tell a rollback's cause (%q) from another", c)
	}
}
