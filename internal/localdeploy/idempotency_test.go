package localdeploy_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Every handler is idempotent: with each invocation run twice with the same input, releases, a weighted release and
// a rollback end with the same records, and no change is submitted twice (the accepted ChangeResourceRecordSets are
// those of a single run).
func TestEveryHandlerIsIdempotent(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	twice.Store(true)
	t.Cleanup(func() { twice.Store(false) })
	gw := e.d.AWS.Gateway

	e.deploy("demoapp", "v1")
	e.live("demoapp", records.Blue, "")
	gw.ResetLog()
	r := e.deploy("demoapp", "v2")
	if got := gw.Count("route53", "ChangeResourceRecordSets"); got != 6 {
		t.Errorf("accepted ChangeResourceRecordSets with every call made twice = %d, want 6 as with single calls", got)
	}
	if got, want := gw.Count("lambda", "Invoke"), 2*count(r, "Shift"); got < want {
		t.Errorf("invokes = %d: the twice wrapper did not run", got)
	}
	s := e.live("demoapp", records.Green, e.status("demoapp").State.Slots[records.Blue])

	gw.ResetLog()
	_, r = e.run(deploy.Input{App: "demoapp", Version: "v3", Config: []byte(`{"strategy": {"steps": [50]}}`)})
	if r.Status != "SUCCEEDED" {
		t.Fatalf("v3: %s %s %s", r.Status, r.Error, r.Cause)
	}
	before := managedRecords(e.live("demoapp", records.Blue, s.State.Active))
	apps.FailAfter("v4", 2) // each check runs twice: healthy before traffic, unhealthy at the step
	_, r = e.run(deploy.Input{App: "demoapp", Version: "v4"})
	if r.Status != "FAILED" || r.Error != "HealthCheckError" {
		t.Fatalf("v4: %s %s, want FAILED HealthCheckError", r.Status, r.Error)
	}
	after := e.live("demoapp", records.Blue, s.State.Active)
	if len(after.Unslotted) != 0 {
		t.Errorf("stacks left: %+v", after.Unslotted)
	}
	if diff := cmp.Diff(before, managedRecords(after)); diff != "" {
		t.Errorf("records after the rollback (-before +after):\n%s", diff)
	}
}
