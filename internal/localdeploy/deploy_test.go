package localdeploy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

func TestFirstReleaseThenWeightedReleaseThenFailedRelease(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	gw := e.d.AWS.Gateway

	// First release: empty state → blue live at 100, no weight steps.
	r := e.deploy("demoapp", "v1")
	hasPath(t, r, "Prepare", "Lock", "Plan", "Create", "StackStatus", "Publish",
		"PreTrafficHealth", "MoreSteps", "Switch", "Watch", "Watched", "Cleanup", "Done", "Unlock", "Succeeded")
	never(t, r, "Shift", "Rollback")
	s1 := e.live("demoapp", records.Blue, "")
	blue := s1.State.Active
	if st := e.stackStatus("demoapp", blue); st != "CREATE_COMPLETE" {
		t.Errorf("blue stack %s is %q, want CREATE_COMPLETE", blue, st)
	}
	if r.Output == nil || r.Output.Result != "deployed" {
		t.Errorf("output result = %+v, want deployed", r.Output)
	}
	// The state machine's own SDK calls pass through the gateway too, so counting them means something.
	if gw.Count("dynamodb", "PutItem") == 0 || gw.Count("dynamodb", "DeleteItem") == 0 {
		t.Errorf("the lock's PutItem/DeleteItem were not seen by the gateway: %d/%d", gw.Count("dynamodb", "PutItem"), gw.Count("dynamodb", "DeleteItem"))
	}

	// Weighted release: green gets 10, 30, 60 %, then the switch; blue stays up for a rollback.
	gw.ResetLog()
	arn, r2 := e.run(deploy.Input{App: "demoapp", Version: "v2", Artifact: "s3://artifacts/demoapp/v2.zip"})
	if r2.Status != "SUCCEEDED" {
		t.Fatalf("v2: %s %s %s\n%v", r2.Status, r2.Error, r2.Cause, r2.Path)
	}
	hasPath(t, r2, "Publish", "PreTrafficHealth", "Shift", "Bake", "StepHealth", "Shift", "Bake", "StepHealth",
		"Shift", "Bake", "StepHealth", "Switch", "Watch", "Cleanup", "Unlock", "Succeeded")
	// Keep the history small: the default steps stay well under 100 transitions (the stack wait loop, once here).
	if n := len(r2.Path); n >= 80 {
		t.Errorf("a release with the default steps entered %d states, want well under 100", n)
	}
	if n := count(r2, "Shift"); n != 3 {
		t.Errorf("entered Shift %d times, want 3", n)
	}
	var percents []int
	for _, s := range e.outputs(arn, "Shift") {
		percents = append(percents, s.Step.Percent)
	}
	if diff := cmp.Diff([]int{10, 30, 60}, percents); diff != "" {
		t.Errorf("weight steps (-want +got):\n%s", diff)
	}
	// One accepted ChangeResourceRecordSets per step and for the switch; two to publish (endpoint, then slot).
	if got := gw.Count("route53", "ChangeResourceRecordSets"); got != 2+3+1 {
		t.Errorf("accepted ChangeResourceRecordSets = %d, want 6 (publish 2, steps 3, switch 1)", got)
	}
	s2 := e.live("demoapp", records.Green, blue)
	green := s2.State.Active
	if st := e.stackStatus("demoapp", blue); st != "CREATE_COMPLETE" {
		t.Errorf("the previous stack %s is %q: a deployment never deletes the previous live stack", blue, st)
	}

	// A failing release: its pre-traffic health check fails, the records go back exactly, its stack is deleted.
	before := managedRecords(s2)
	gw.ResetLog()
	_, r3 := e.run(deploy.Input{App: "demoapp", Version: "v3-broken"})
	if r3.Status != "FAILED" || r3.Error != "HealthCheckError" {
		t.Fatalf("v3-broken: %s %s %s, want FAILED HealthCheckError", r3.Status, r3.Error, r3.Cause)
	}
	hasPath(t, r3, "Create", "Publish", "PreTrafficHealth", "Rollback", "Drain", "Discard", "UnlockRolledBack", "RolledBack")
	never(t, r3, "Shift", "Switch")
	s3 := e.live("demoapp", records.Green, blue)
	if diff := cmp.Diff(before, managedRecords(s3)); diff != "" {
		t.Errorf("records after the rollback differ from before the deployment (-before +after):\n%s", diff)
	}
	if got := gw.Count("route53", "ChangeResourceRecordSets"); got != 2+1+1 {
		t.Errorf("accepted ChangeResourceRecordSets = %d, want 4 (publish 2, restore 1, remove the endpoint 1)", got)
	}
	for _, u := range s3.Stacks {
		if u.StackID != blue && u.StackID != green && u.Status != "DELETE_COMPLETE" {
			t.Errorf("stack %s of the failed release is %s, want deleted", u.Name, u.Status)
		}
	}
	if len(s3.Unslotted) != 0 {
		t.Errorf("stacks left in no slot: %v", s3.Unslotted)
	}
}

func TestTwoAppsInOneZoneNeverTouchEachOther(t *testing.T) {
	e := setup(t)
	e.addApp("shop", nil)
	e.addApp("blog", nil)
	e.deploy("shop", "1")
	blog0 := e.status("blog")
	e.deploy("blog", "1")
	shop1 := managedRecords(e.status("shop"))
	e.deploy("blog", "2")
	_, r := e.run(deploy.Input{App: "blog", Version: "3-broken"})
	if r.Status != "FAILED" {
		t.Fatalf("blog 3-broken: %s", r.Status)
	}
	if diff := cmp.Diff(shop1, managedRecords(e.status("shop"))); diff != "" {
		t.Errorf("app shop's records changed while blog deployed (-before +after):\n%s", diff)
	}
	if len(blog0.State.Records) != 0 {
		t.Errorf("blog saw records before its first release: %v", blog0.State.Records)
	}
	e.deploy("shop", "2")
	e.live("shop", records.Green, e.status("shop").State.Slots[records.Blue])
	e.live("blog", records.Green, e.status("blog").State.Slots[records.Blue])
	for _, rr := range e.status("blog").State.Records {
		if slices.Contains([]string{"shop-blue", "shop-green"}, rr.SetIdentifier) {
			t.Errorf("blog reads shop's record %s", rr)
		}
	}
}

func TestAppAtTheZoneApex(t *testing.T) {
	e := setup(t)
	e.addApp("site", func(c *deploy.Config) { c.Host = zoneName })
	e.deploy("site", "1")
	e.deploy("site", "2")
	s := e.status("site")
	w := s.State.Weighted[s.State.ActiveColor]
	if w.Name != zoneName || w.Type != records.TypeA || w.Alias == nil {
		t.Errorf("weighted record at the apex = %s, want an alias A at %s", w, zoneName)
	}
	e.live("site", records.Green, s.State.Slots[records.Blue])
}

func TestManualRollbackMakesTheIdleStackLiveInOneBatch(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	e.deploy("demoapp", "v1")
	e.deploy("demoapp", "v2")
	s := e.status("demoapp")
	blue, green := s.State.Slots[records.Blue], s.State.Slots[records.Green]
	e.d.AWS.Gateway.ResetLog()
	_, r := e.run(deploy.Input{Action: deploy.ActionRollback, App: "demoapp"})
	if r.Status != "SUCCEEDED" {
		t.Fatalf("rollback: %s %s %s", r.Status, r.Error, r.Cause)
	}
	hasPath(t, r, "Plan", "TargetHealth", "ManualRollback", "RolledBackToIdle", "Unlock", "Succeeded")
	never(t, r, "Create", "Shift")
	e.live("demoapp", records.Blue, green)
	if got := e.d.AWS.Gateway.Count("route53", "ChangeResourceRecordSets"); got != 1 {
		t.Errorf("accepted ChangeResourceRecordSets = %d, want exactly 1", got)
	}
	if e.status("demoapp").State.Active != blue {
		t.Errorf("active = %s, want the previous stack %s", e.status("demoapp").State.Active, blue)
	}
}

func TestManualRollbackRefusesWithoutAnIdleStack(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	e.deploy("demoapp", "v1")
	before := managedRecords(e.status("demoapp"))
	e.d.AWS.Gateway.ResetLog()
	_, r := e.run(deploy.Input{Action: deploy.ActionRollback, App: "demoapp"})
	if r.Status != "FAILED" || r.Error != "TargetMissingError" {
		t.Fatalf("rollback with no idle stack: %s %s %s, want FAILED TargetMissingError", r.Status, r.Error, r.Cause)
	}
	hasPath(t, r, "Plan", "UnlockRefused", "Refused")
	if got := e.d.AWS.Gateway.CountAll("route53", "ChangeResourceRecordSets"); got != 0 {
		t.Errorf("ChangeResourceRecordSets called %d times, want none", got)
	}
	if diff := cmp.Diff(before, managedRecords(e.status("demoapp"))); diff != "" {
		t.Errorf("records changed (-before +after):\n%s", diff)
	}
	e.live("demoapp", records.Blue, "")
}

func TestBadInputReachesNoWrite(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", func(c *deploy.Config) { c.Strategy.Steps = []int{50, 20} })
	e.d.AWS.Gateway.ResetLog()
	// The CLI's check refuses it before StartExecution; started past it, Prepare refuses it.
	if _, _, err := e.d.Run(e.ctx, deploy.Input{App: "demoapp", Version: "v1"}, nil); err == nil || !contains(err.Error(), "steps must increase") {
		t.Errorf("the operator started an input Prepare refuses: %v", err)
	}
	_, r := e.runRaw("bad-input", `{"app":"demoapp","version":"v1"}`)
	if r.Status != "FAILED" || r.Error != "ValidationError" {
		t.Fatalf("%s %s %s, want FAILED ValidationError", r.Status, r.Error, r.Cause)
	}
	if !contains(r.Cause, "steps must increase") {
		t.Errorf("cause %q does not say what is wrong", r.Cause)
	}
	if strings.HasPrefix(r.Cause, "{") || contains(r.Cause, "errorType") {
		t.Errorf("cause %q is a JSON document, want plain text", r.Cause)
	}
	hasPath(t, r, "Prepare", "NotifyInvalid", "FailInvalid")
	for _, op := range [][2]string{{"route53", "ChangeResourceRecordSets"}, {"cloudformation", "CreateStack"},
		{"dynamodb", "PutItem"}, {"dynamodb", "UpdateItem"}, {"dynamodb", "DeleteItem"}} {
		if n := e.d.AWS.Gateway.CountAll(op[0], op[1]); n != 0 {
			t.Errorf("%s %s called %d times after bad input, want 0", op[0], op[1], n)
		}
	}
}
