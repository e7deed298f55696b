package localdeploy_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/r53model"
	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// timeouts are the errors of a handler that ran out of time: none may appear under load, retried or not.
var timeouts = []string{"Sandbox.Timedout", "Lambda.Unknown", "States.Timeout"}

// Ten apps in one zone, ten releases started at once, under Route 53's modelled limits (token buckets, changes
// PENDING for 1 s, a zone busy for 300 ms after each change): every release succeeds — none rolled back, none timed
// out — and every app ends at rest on its new stack, with each change applied exactly once and no lock left held.
// (`make bench` runs the same with 50 apps among 5,000 other records.)
func TestConcurrentReleasesUnderRoute53Limits(t *testing.T) {
	const n = 10
	e := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	e.ctx = ctx
	gw := e.d.AWS.Gateway
	var names []string
	for i := range n {
		app := fmt.Sprintf("app%02d", i)
		names = append(names, app)
		e.addApp(app, nil)
	}
	for _, app := range names { // the first releases, unmetered: the test is about the second
		e.deploy(app, "v1")
	}
	before := map[string]string{}
	for _, app := range names {
		before[app] = e.live(app, records.Blue, "").State.Active
	}

	gw.SetRoute53(localdeploy.Route53Limits(time.Second, 300*time.Millisecond))
	defer gw.SetRoute53(nil)
	gw.ResetLog()
	results := make([]operator.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, app := range names {
		wg.Go(func() {
			_, results[i], errs[i] = e.d.Run(ctx, deploy.Input{App: app, Version: "v2", Artifact: "s3://artifacts/" + app + "/v2.zip"}, nil)
		})
	}
	wg.Wait()
	gw.SetRoute53(nil) // the checks below are the harness's: unmetered anyway

	for i, app := range names {
		r := results[i]
		if errs[i] != nil {
			t.Errorf("%s: %v", app, errs[i])
			continue
		}
		if r.Status != "SUCCEEDED" || slices.Contains(operator.Names(r.Path), "Rollback") {
			t.Errorf("%s: %s %s %s, want it deployed\npath %v", app, r.Status, r.Error, r.Cause, operator.Names(r.Path))
		}
		for _, s := range r.Path {
			if slices.Contains(timeouts, s.Error) {
				t.Errorf("%s: %s timed out (%s): a handler must bound its own time", app, s.Name, s.Error)
			}
		}
		st := e.live(app, records.Green, before[app])
		if st.Lock != nil {
			t.Errorf("%s: still locked by %s (%s)", app, st.Lock.Execution, st.Lock.Progress)
		}
	}
	// Each change exactly once: a second release publishes (2 batches), shifts three times and switches: 6 accepted
	// batches an app, no more (none applied twice) and no fewer (none lost; the records above say so too).
	changes, throttled, busy := 0, 0, 0
	for _, r := range gw.Requests() {
		if r.Service != "route53" || r.AccessKey != localdeploy.FunctionsAccessKey {
			continue
		}
		if r.Operation == "ChangeResourceRecordSets" && r.Accepted() {
			changes++
		}
		switch r.Limit {
		case "":
		case r53model.LimitPriorRequest:
			busy++
		default:
			throttled++
		}
	}
	if changes != 6*n {
		t.Errorf("accepted ChangeResourceRecordSets = %d, want %d (6 for each of %d apps)", changes, 6*n, n)
	}
	// The test means something only if the limits bit.
	if busy == 0 {
		t.Errorf("no call was answered PriorRequestNotComplete: the zone was never busy, so the test proves nothing")
	}
	t.Logf("%d apps: %d changes, %d throttled, %d PriorRequestNotComplete", n, changes, throttled, busy)
}

// A restore that meets PriorRequestNotComplete (the zone still busy with the failed step's change) keeps trying and
// restores the records: the release ends rolled back, never dirty.
func TestRestoreWaitsOutPriorRequestNotComplete(t *testing.T) {
	e := setup(t)
	gw := e.d.AWS.Gateway
	e.addApp("demoapp", nil)
	e.deploy("demoapp", "v1")
	s1 := e.live("demoapp", records.Blue, "")
	before := managedRecords(s1)

	apps.FailAfter("v2-fails-at-10", 1) // healthy before traffic, unhealthy at the first step
	// Each change keeps the zone busy for 4 s: the restore comes a moment after the shift's change is INSYNC.
	gw.SetRoute53(localdeploy.Route53Limits(200*time.Millisecond, 4*time.Second))
	defer gw.SetRoute53(nil)
	gw.ResetLog()
	_, r := e.run(deploy.Input{App: "demoapp", Version: "v2-fails-at-10"})
	gw.SetRoute53(nil)
	if r.Status != "FAILED" || r.Error != "HealthCheckError" || !slices.Contains(operator.Names(r.Path), "RolledBack") {
		t.Fatalf("the failing release: %s %s %s, path %v; want rolled back", r.Status, r.Error, r.Cause, operator.Names(r.Path))
	}
	if diff := cmp.Diff(before, managedRecords(e.live("demoapp", records.Blue, ""))); diff != "" {
		t.Errorf("records after the rollback differ from before the release (-before +after):\n%s", diff)
	}
	busy := 0
	for _, q := range gw.Requests() {
		if q.Operation == "ChangeResourceRecordSets" && q.Limit == r53model.LimitPriorRequest {
			busy++
		}
	}
	if busy == 0 {
		t.Errorf("no change was answered PriorRequestNotComplete: the restore never met a busy zone")
	}
}
