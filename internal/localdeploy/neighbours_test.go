package localdeploy_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
)

// others lists, through the Route 53 API, every record set of the zone that is not demoapp's, exactly as listed.
func (e *env) others(app records.App) []types.ResourceRecordSet {
	e.t.Helper()
	var out []types.ResourceRecordSet
	p := route53.NewListResourceRecordSetsPaginator(route53.NewFromConfig(e.d.Config), &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(e.zoneID)})
	for p.HasMorePages() {
		page, err := p.NextPage(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, rs := range page.ResourceRecordSets {
			if !app.Owns(zone.FromSDK(rs)) {
				out = append(out, rs)
			}
		}
	}
	return out
}

// Names that sort between and around the app's in Route 53's order — another app's endpoint, demoapp-legacy,
// a.demoapp, demoapp0, demoappx — are never read as the app's and never touched: a release, a failed release, a
// manual rollback and a repair leave every one of them byte-identical.
func TestNeighboursAreNeverTouched(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", nil)
	var changes []records.Change
	for _, n := range []string{"demoapp-legacy", "a.demoapp", "demoapp0", "demoappx", "stack.blue.demoappx", "x.stack.active.demoapp"} {
		changes = append(changes, records.Change{Action: records.Create, Record: records.TXT(n+"."+zoneName, 300, "not demoapp's")})
	}
	if _, err := e.zoneApply(records.Batch{Comment: "neighbours", Changes: changes}); err != nil {
		t.Fatal(err)
	}
	// Another app's endpoint, written as its owner wrote it (mixed case and a trailing dot), through the API.
	if _, err := route53.NewFromConfig(e.d.Config).ChangeResourceRecordSets(e.ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(e.zoneID),
		ChangeBatch: &types.ChangeBatch{Changes: []types.Change{{Action: types.ChangeActionCreate, ResourceRecordSet: &types.ResourceRecordSet{
			Name: aws.String("shop-123456." + zoneName), Type: types.RRTypeCname, TTL: aws.Int64(60),
			ResourceRecords: []types.ResourceRecord{{Value: aws.String("Shop-LB.Example.NET.")}}}}}},
	}); err != nil {
		t.Fatal(err)
	}
	e.deploy("demoapp", "v1")
	app := e.status("demoapp").App
	before := e.others(app)
	if len(before) < len(changes) {
		t.Fatalf("only %d other records listed", len(before))
	}
	e.deploy("demoapp", "v2")
	apps.FailAfter("v3-neighbours", 1)
	if _, r := e.run(deploy.Input{App: "demoapp", Version: "v3-neighbours"}); r.Status != "FAILED" || r.Error != "HealthCheckError" {
		t.Errorf("failing release: %s %s", r.Status, r.Error)
	}
	if _, r := e.run(deploy.Input{Action: deploy.ActionRollback, App: "demoapp"}); r.Status != "SUCCEEDED" {
		t.Errorf("manual rollback: %s %s %s", r.Status, r.Error, r.Cause)
	}
	if _, r := e.run(deploy.Input{Action: deploy.ActionRepair, App: "demoapp", Live: "green"}); r.Status != "SUCCEEDED" {
		t.Errorf("repair: %s %s %s", r.Status, r.Error, r.Cause)
	}
	st := e.status("demoapp").State
	if st.Phase != records.PhaseAtRest || st.ActiveColor != records.Green {
		t.Errorf("after the repair: %s, live %s, problems %v", st.Phase, st.ActiveColor, st.Problems)
	}
	for _, r := range st.Records {
		if !app.Owns(r) {
			t.Errorf("the state holds %s, which is not demoapp's", r.Name)
		}
	}
	if diff := cmp.Diff(e.others(app), before, cmpopts.IgnoreUnexported(types.ResourceRecordSet{}, types.ResourceRecord{}, types.AliasTarget{})); diff != "" {
		t.Errorf("records that are not demoapp's changed (-after +before):\n%s", diff)
	}
}
