package localdeploy_test

import (
	"testing"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Under the Route 53 model as Route53Limits sets it, a release waits out each change's propagation (GetChange
// PENDING, then INSYNC), and only the functions' calls are metered: the harness's own (set-up, status reads) are
// never refused.
func TestReleaseUnderRoute53Limits(t *testing.T) {
	e := setup(t)
	gw := e.d.AWS.Gateway
	gw.SetRoute53(localdeploy.Route53Limits(time.Second, 300*time.Millisecond))
	e.addApp("demoapp", nil)
	e.deploy("demoapp", "v1")
	e.live("demoapp", records.Blue, "")

	getChange := 0
	for _, r := range gw.Requests() {
		switch {
		case r.Service != "route53":
		case r.AccessKey != localdeploy.FunctionsAccessKey && !r.Accepted():
			t.Errorf("the harness's %s was refused (%d, limit %q): its calls are not metered", r.Operation, r.Status, r.Limit)
		case r.AccessKey == localdeploy.FunctionsAccessKey && r.Operation == "GetChange" && r.Accepted():
			getChange++
		}
	}
	if changes := gw.Count("route53", "ChangeResourceRecordSets"); getChange < changes {
		t.Errorf("%d GetChange by the functions for %d changes: want at least one each (every change is PENDING for 1 s)", getChange, changes)
	}
}
