package localdeploy_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Failures at each step of a deployment roll back to exactly the records the plan recorded.
func TestFailuresRollBackToThePlansRecords(t *testing.T) {
	tests := []struct {
		name      string
		version   string
		arrange   func(e *env, version string)
		wantError string
		wantPath  []string
		notPath   []string
	}{
		{
			name: "unhealthy at the 10% step", version: "v2-step",
			arrange:   func(e *env, v string) { apps.FailAfter(v, 1) }, // healthy before traffic, not after
			wantError: "HealthCheckError",
			wantPath:  []string{"PreTrafficHealth", "Shift", "Bake", "StepHealth", "Rollback", "Drain", "Discard", "RolledBack"},
			notPath:   []string{"Switch"},
		},
		{
			name: "unhealthy in the watch after the switch", version: "v2-watch",
			arrange:   func(e *env, v string) { apps.FailAfter(v, 4) }, // before traffic and three steps
			wantError: "HealthCheckError",
			wantPath:  []string{"Shift", "Switch", "Watch", "Rollback", "Drain", "Discard", "RolledBack"},
			notPath:   []string{"Cleanup"},
		},
		{
			name: "targets unhealthy", version: "v2-targets",
			arrange: func(e *env, v string) {
				e.d.AWS.Gateway.SetTargetHealth("*", gateway.TargetHealth{State: "unhealthy", Description: "Health checks failed"})
			},
			wantError: "HealthCheckError",
			wantPath:  []string{"PreTrafficHealth", "Rollback", "RolledBack"},
			notPath:   []string{"Shift"},
		},
		{
			name: "stack CREATE_FAILED", version: "v2-stack",
			wantError: "StackFailedError",
			wantPath:  []string{"Create", "StackStatus", "Rollback", "Discard", "RolledBack"},
			notPath:   []string{"Publish"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			e.addApp("demoapp", nil)
			e.deploy("demoapp", "v1")
			before := e.status("demoapp")
			in := deploy.Input{App: "demoapp", Version: tt.version}
			name := operator.ExecutionName(in, time.Now())
			if tt.arrange != nil {
				tt.arrange(e, tt.version)
			} else {
				// The stack id derives from the execution's ARN: fail exactly that stack.
				arn := fmt.Sprintf("arn:aws:states:us-east-1:%s:execution:%s:%s", localdeploy.Account, localdeploy.StateMachineName, name)
				id := records.NewStackID(arn, func(id string) bool { return id == before.State.Active })
				e.d.AWS.Gateway.SetStackStatus("demoapp-"+id, gateway.StackStatus{Status: "CREATE_FAILED", Reason: "Resource handler returned message: subnet quota exceeded"})
			}
			arn, err := e.d.Operator.StartNamed(e.ctx, name, in)
			if err != nil {
				t.Fatal(err)
			}
			r, err := e.d.Operator.Wait(e.ctx, arn, 50*time.Millisecond, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != "FAILED" || r.Error != tt.wantError {
				t.Fatalf("%s %s %s, want FAILED %s\npath %v", r.Status, r.Error, r.Cause, tt.wantError, operator.Names(r.Path))
			}
			hasPath(t, r, tt.wantPath...)
			never(t, r, tt.notPath...)
			e.d.AWS.Gateway.ClearFaults()
			after := e.live("demoapp", records.Blue, "")
			if diff := cmp.Diff(managedRecords(before), managedRecords(after)); diff != "" {
				t.Errorf("records after the rollback (-before +after):\n%s", diff)
			}
			if len(after.Unslotted) != 0 {
				t.Errorf("the failed release's stack is left: %+v", after.Unslotted)
			}
			if tt.name == "stack CREATE_FAILED" && !contains(r.Cause, "subnet quota exceeded") {
				t.Errorf("cause %q does not carry CloudFormation's reason", r.Cause)
			}
		})
	}
}

func TestKeptFailedStackIsRemovedByTheNextCleanup(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", func(c *deploy.Config) { c.KeepFailedStack = true })
	e.deploy("demoapp", "v1")
	_, r := e.run(deploy.Input{App: "demoapp", Version: "v2-broken"})
	if r.Status != "FAILED" {
		t.Fatalf("v2-broken: %s", r.Status)
	}
	s := e.live("demoapp", records.Blue, "")
	if len(s.Unslotted) != 1 || s.Unslotted[0].Status != "CREATE_COMPLETE" {
		t.Fatalf("kept stacks = %+v, want the failed release's stack, complete", s.Unslotted)
	}
	kept := s.Unslotted[0].StackID
	if _, ok := s.State.Endpoints[kept]; !ok {
		t.Errorf("the kept stack %s lost its endpoint record (it should stay inspectable)", kept)
	}
	if len(s.State.Problems) != 0 {
		t.Errorf("problems with a kept stack: %v", s.State.Problems)
	}
	e.deploy("demoapp", "v3")
	s = e.live("demoapp", records.Green, s.State.Active)
	if len(s.Unslotted) != 0 {
		t.Errorf("after the next deployment, stacks in no slot: %+v", s.Unslotted)
	}
	if _, ok := s.State.Endpoints[kept]; ok {
		t.Errorf("the kept stack's endpoint record is left after its deletion")
	}
	if st := e.stackStatus("demoapp", kept); st != "" && st != "DELETE_COMPLETE" && st != "DELETE_IN_PROGRESS" {
		t.Errorf("kept stack is %s after the clean-up", st)
	}
}

func TestThrottledRoute53IsRetriedAndCountedOnce(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	e.deploy("demoapp", "v1")
	gw := e.d.AWS.Gateway
	gw.ResetLog()
	gw.Throttle("route53", "ChangeResourceRecordSets", 2)
	e.deploy("demoapp", "v2")
	if got := gw.Count("route53", "ChangeResourceRecordSets"); got != 6 {
		t.Errorf("accepted ChangeResourceRecordSets = %d, want 6", got)
	}
	if got := gw.CountRejected("route53", "ChangeResourceRecordSets"); got != 2 {
		t.Errorf("throttled ChangeResourceRecordSets = %d, want 2", got)
	}
	// Only the functions called Route 53 during the release, and the log says so: the bench counts on it.
	for _, r := range gw.Requests() {
		if r.Service == "route53" && r.AccessKey != localdeploy.FunctionsAccessKey {
			t.Errorf("Route 53 %s signed with %q, want the functions' key %q", r.Operation, r.AccessKey, localdeploy.FunctionsAccessKey)
		}
	}
	e.live("demoapp", records.Green, e.status("demoapp").State.Slots[records.Blue])
}

func TestFirstReleaseRefusesASimpleRecordAtTheHostUnlessAdopting(t *testing.T) {
	e := setup(t)
	// Adopting a record overwrites it: an execution may ask for it only where the stored configuration allows.
	e.addApp("demoapp", func(c *deploy.Config) { c.AllowOverrides = []string{"adoptExistingRecord"} })
	legacy := records.Record{Name: "demoapp.example.com", Type: "A", TTL: 300, Values: []string{"192.0.2.10"}}
	if _, err := e.zoneApply(records.Batch{Changes: []records.Change{{Action: records.Create, Record: legacy}}}); err != nil {
		t.Fatal(err)
	}
	_, r := e.run(deploy.Input{App: "demoapp", Version: "v1"})
	if r.Status != "FAILED" || r.Error != "RecordConflictError" || !contains(r.Cause, "demoapp.example.com") {
		t.Fatalf("%s %s %s, want FAILED RecordConflictError naming the record", r.Status, r.Error, r.Cause)
	}
	never(t, r, "Create")
	if s := e.status("demoapp"); len(s.State.HostOther) != 1 {
		t.Fatalf("the simple record was touched: %+v", s.State.HostOther)
	}
	_, r = e.run(deploy.Input{App: "demoapp", Version: "v1", Config: []byte(`{"adoptExistingRecord": true}`)})
	if r.Status != "SUCCEEDED" {
		t.Fatalf("adopting: %s %s %s", r.Status, r.Error, r.Cause)
	}
	s := e.live("demoapp", records.Blue, "")
	if len(s.State.HostOther) != 0 {
		t.Errorf("the simple record is still there: %+v", s.State.HostOther)
	}
}

// A failing first release leaves the app as it found it: no records but those of no stack, no stack.
func TestFailedFirstReleaseLeavesNothing(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	_, r := e.run(deploy.Input{App: "demoapp", Version: "v1-broken"})
	if r.Status != "FAILED" || r.Error != "HealthCheckError" {
		t.Fatalf("%s %s %s, want FAILED HealthCheckError", r.Status, r.Error, r.Cause)
	}
	hasPath(t, r, "Publish", "PreTrafficHealth", "Rollback", "Discard", "RolledBack")
	s := e.status("demoapp")
	if s.State.Phase != records.PhaseEmpty || len(s.State.Records) != 0 {
		t.Errorf("after a failed first release: %s with records %v, want empty", s.State.Phase, s.State.Records)
	}
	if len(s.Unslotted) != 0 || s.Lock != nil {
		t.Errorf("left behind: stacks %+v, lock %+v", s.Unslotted, s.Lock)
	}
	e.deploy("demoapp", "v1")
	e.live("demoapp", records.Blue, "")
}
