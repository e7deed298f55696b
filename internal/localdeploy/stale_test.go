package localdeploy_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// A record change held at the gateway — past its function's lock check, on its way to Route 53 — while its
// execution is stopped and reconciled, then let go: Route 53 refuses it (the reconcile rewrote the fence the stale
// batch deletes), and the records stay as the reconcile left them. Publish's endpoint batch creates only; it is
// refused all the same.
func TestStaleWritersWriteNothing(t *testing.T) {
	// The release's record changes, in order: publish (endpoint, then slot), the three steps, the switch.
	for _, tt := range []struct {
		name  string
		after int // record changes let through before the held one
	}{
		{"publish, create only", 0},
		{"shift", 2},
		{"switch", 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			e.addApp("demoapp", nil)
			e.deploy("demoapp", "v1")
			gw := e.d.AWS.Gateway
			hold := gw.HoldAfter("route53", "ChangeResourceRecordSets", tt.after, 0)
			defer hold.Release()
			run, err := e.d.Operator.Start(e.ctx, deploy.Input{App: "demoapp", Version: "v2"})
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-hold.Arrived():
			case <-time.After(30 * time.Second):
				t.Fatalf("the %s batch never came", tt.name)
			}
			if _, err := e.d.Operator.SFN.(*sfn.Client).StopExecution(e.ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(run)}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the stopped run ends", func() bool {
				d, err := e.d.Operator.Describe(e.ctx, run)
				return err == nil && d.Status == "ABORTED"
			})
			_, r := e.run(deploy.Input{Action: deploy.ActionReconcile, Execution: run})
			if r.Status != "SUCCEEDED" {
				t.Fatalf("reconcile: %s %s %s\n%v", r.Status, r.Error, r.Cause, operator.Names(r.Path))
			}
			reconciled := e.status("demoapp")
			e.live("demoapp", records.Blue, "")

			gw.ResetLog()
			hold.Release()
			waitFor(t, "the held batch is answered", func() bool { return gw.CountAll("route53", "ChangeResourceRecordSets") > 0 })
			if n, rejected := gw.CountAll("route53", "ChangeResourceRecordSets"), gw.CountRejected("route53", "ChangeResourceRecordSets"); n != 1 || rejected != 1 {
				t.Errorf("after the release: %d record changes, %d refused; want the stale one, refused", n, rejected)
			}
			time.Sleep(200 * time.Millisecond) // let the stale call finish whatever it does next
			after := e.status("demoapp")
			if diff := cmp.Diff(after.State.Records, reconciled.State.Records); diff != "" {
				t.Errorf("the stale writer changed the records the reconcile left (-after +reconciled):\n%s", diff)
			}
			if diff := cmp.Diff(after.State.Fence, reconciled.State.Fence); diff != "" {
				t.Errorf("the stale writer changed the fence:\n%s", diff)
			}
			if n := gw.Count("route53", "ChangeResourceRecordSets"); n != 0 {
				t.Errorf("%d record changes accepted after the reconcile, want 0", n)
			}
		})
	}
}
