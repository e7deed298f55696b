package localaws_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
)

// The Route 53 patches (launcher_route53.py), each tested here with the patch (on the shared local AWS) and, in
// TestMotoDefectsWithoutPatches, without it: the without-tests call the same scenarios and see moto's leniency.

func rrA(name string, ttl int64, values ...string) *r53types.ResourceRecordSet {
	rs := &r53types.ResourceRecordSet{Name: aws.String(name), Type: r53types.RRTypeA, TTL: aws.Int64(ttl)}
	for _, v := range values {
		rs.ResourceRecords = append(rs.ResourceRecords, r53types.ResourceRecord{Value: aws.String(v)})
	}
	return rs
}

func weighted(rs *r53types.ResourceRecordSet, id string, weight int64) *r53types.ResourceRecordSet {
	rs.SetIdentifier, rs.Weight = aws.String(id), aws.Int64(weight)
	return rs
}

func alias(name, target, targetZone string, evaluate bool) *r53types.ResourceRecordSet {
	return &r53types.ResourceRecordSet{Name: aws.String(name), Type: r53types.RRTypeA, AliasTarget: &r53types.AliasTarget{
		DNSName: aws.String(target), HostedZoneId: aws.String(targetZone), EvaluateTargetHealth: evaluate}}
}

func change(action r53types.ChangeAction, rs *r53types.ResourceRecordSet) r53types.Change {
	return r53types.Change{Action: action, ResourceRecordSet: rs}
}

// changeBatch sends one batch without retries.
func changeBatch(t *testing.T, c *route53.Client, zone string, changes ...r53types.Change) error {
	t.Helper()
	_, err := c.ChangeResourceRecordSets(t.Context(), &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(zone), ChangeBatch: &r53types.ChangeBatch{Changes: changes},
	}, func(o *route53.Options) { o.RetryMaxAttempts = 1 })
	return err
}

func mustChange(t *testing.T, c *route53.Client, zone string, changes ...r53types.Change) {
	t.Helper()
	if err := changeBatch(t, c, zone, changes...); err != nil {
		t.Fatalf("change batch: %v", err)
	}
}

// rejection returns the messages of Route 53's InvalidChangeBatch answer (HTTP 400), or fails the test.
func rejection(t *testing.T, err error) []string {
	t.Helper()
	var invalid *r53types.InvalidChangeBatch
	var status interface{ HTTPStatusCode() int }
	if !errors.As(err, &invalid) || !errors.As(err, &status) || status.HTTPStatusCode() != http.StatusBadRequest {
		t.Fatalf("change batch: %v, want InvalidChangeBatch with status 400", err)
	}
	if len(invalid.Messages) > 0 {
		return invalid.Messages
	}
	return []string{aws.ToString(invalid.Message)}
}

type listed struct{ Name, Type, ID string }

// listAll lists the zone page by page, pageSize record sets a page, following NextRecordName/Type/Identifier; at
// most 50 pages (moto without the list-order patch can repeat a page forever).
func listAll(t *testing.T, c *route53.Client, zone string, pageSize int32) []listed {
	t.Helper()
	in := &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone), MaxItems: aws.Int32(pageSize)}
	var out []listed
	for range 50 {
		page, err := c.ListResourceRecordSets(t.Context(), in)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		for _, rs := range page.ResourceRecordSets {
			out = append(out, listed{aws.ToString(rs.Name), string(rs.Type), aws.ToString(rs.SetIdentifier)})
		}
		if !page.IsTruncated {
			return out
		}
		in.StartRecordName, in.StartRecordType, in.StartRecordIdentifier = page.NextRecordName, page.NextRecordType, page.NextRecordIdentifier
	}
	return out
}

// find returns the zone's record set with that name (as listed), type and identifier.
func find(t *testing.T, c *route53.Client, zone, name, id string) *r53types.ResourceRecordSet {
	t.Helper()
	out, err := c.ListResourceRecordSets(t.Context(), &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone)})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	for _, rs := range out.ResourceRecordSets {
		if aws.ToString(rs.Name) == name && aws.ToString(rs.SetIdentifier) == id {
			return &rs
		}
	}
	return nil
}

// Two apps' weighted records, one identifier: moto's DELETE with a SetIdentifier takes both.
func deleteOneOfTwoWithOneIdentifier(t *testing.T, c *route53.Client, zone string) (deletedOther bool) {
	t.Helper()
	mine := weighted(rrA("app1.example.com", 60, "192.0.2.1"), "blue", 100)
	other := weighted(rrA("app2.example.com", 60, "192.0.2.2"), "blue", 100)
	mustChange(t, c, zone, change(r53types.ChangeActionCreate, mine), change(r53types.ChangeActionCreate, other))
	mustChange(t, c, zone, change(r53types.ChangeActionDelete, mine))
	return find(t, c, zone, "app2.example.com.", "blue") == nil
}

// A DELETE whose weight differs from the stored record's: moto accepts it and deletes the record.
func deleteWithOtherWeight(t *testing.T, c *route53.Client, zone string) (error, bool) {
	t.Helper()
	mustChange(t, c, zone, change(r53types.ChangeActionCreate, weighted(rrA("w.example.com", 60, "192.0.2.1"), "blue", 100)))
	err := changeBatch(t, c, zone, change(r53types.ChangeActionDelete, weighted(rrA("w.example.com", 60, "192.0.2.1"), "blue", 0)))
	return err, find(t, c, zone, "w.example.com.", "blue") != nil
}

func TestDeleteMatchesExactly(t *testing.T) {
	a := localawstest.Use(t, local)
	c := route53Client(t, a)
	zone := createZone(t, c)

	if deleteOneOfTwoWithOneIdentifier(t, c, zone) {
		t.Error("deleting app1's weighted record deleted app2's, which has the same SetIdentifier")
	}
	if find(t, c, zone, "app1.example.com.", "blue") != nil {
		t.Error("the deleted record is still listed")
	}
	if err, kept := deleteWithOtherWeight(t, c, zone); err == nil || !kept {
		t.Errorf("DELETE with another weight: %v, record kept: %v; want rejected and kept", err, kept)
	}

	stored := func() *r53types.ResourceRecordSet {
		rs := weighted(rrA("host.example.com", 60, "192.0.2.1", "192.0.2.2"), "blue", 10)
		rs.HealthCheckId = aws.String("hc-1")
		return rs
	}
	storedAlias := func() *r53types.ResourceRecordSet {
		return weighted(alias("lb.example.com", "lb-1.elb.amazonaws.com", "ZLB", false), "blue", 10)
	}
	mustChange(t, c, zone, change(r53types.ChangeActionCreate, stored()), change(r53types.ChangeActionCreate, storedAlias()))

	const mismatch, notFound = "but the values provided do not match the current values", "but it was not found"
	for _, tc := range []struct {
		name string
		edit func(*r53types.ResourceRecordSet)
		base func() *r53types.ResourceRecordSet
		want string
	}{
		{"weight", func(rs *r53types.ResourceRecordSet) { rs.Weight = aws.Int64(11) }, stored, mismatch},
		{"ttl", func(rs *r53types.ResourceRecordSet) { rs.TTL = aws.Int64(300) }, stored, mismatch},
		{"one value fewer", func(rs *r53types.ResourceRecordSet) { rs.ResourceRecords = rs.ResourceRecords[:1] }, stored, mismatch},
		{"another value", func(rs *r53types.ResourceRecordSet) { rs.ResourceRecords[1].Value = aws.String("192.0.2.9") }, stored, mismatch},
		{"health check", func(rs *r53types.ResourceRecordSet) { rs.HealthCheckId = aws.String("hc-2") }, stored, mismatch},
		{"no health check", func(rs *r53types.ResourceRecordSet) { rs.HealthCheckId = nil }, stored, mismatch},
		{"region", func(rs *r53types.ResourceRecordSet) { rs.Region = r53types.ResourceRecordSetRegionUsEast1 }, stored, mismatch},
		{"failover", func(rs *r53types.ResourceRecordSet) { rs.Failover = r53types.ResourceRecordSetFailoverPrimary }, stored, mismatch},
		{"multivalue", func(rs *r53types.ResourceRecordSet) { rs.MultiValueAnswer = aws.Bool(true) }, stored, mismatch},
		{"geolocation", func(rs *r53types.ResourceRecordSet) {
			rs.GeoLocation = &r53types.GeoLocation{CountryCode: aws.String("FR")}
		}, stored, mismatch},
		{"set identifier", func(rs *r53types.ResourceRecordSet) { rs.SetIdentifier = aws.String("green") }, stored, notFound},
		{"name", func(rs *r53types.ResourceRecordSet) { rs.Name = aws.String("other.example.com") }, stored, notFound},
		{"type", func(rs *r53types.ResourceRecordSet) {
			rs.Type, rs.ResourceRecords = r53types.RRTypeAaaa, []r53types.ResourceRecord{{Value: aws.String("2001:db8::1")}}
		}, stored, notFound},
		{"alias target", func(rs *r53types.ResourceRecordSet) { rs.AliasTarget.DNSName = aws.String("lb-2.elb.amazonaws.com") }, storedAlias, mismatch},
		{"alias zone", func(rs *r53types.ResourceRecordSet) { rs.AliasTarget.HostedZoneId = aws.String("ZOTHER") }, storedAlias, mismatch},
		{"alias health", func(rs *r53types.ResourceRecordSet) { rs.AliasTarget.EvaluateTargetHealth = true }, storedAlias, mismatch},
		{"alias with a TTL", func(rs *r53types.ResourceRecordSet) { rs.TTL = aws.Int64(60) }, storedAlias, mismatch},
	} {
		t.Run("rejected/"+tc.name, func(t *testing.T) {
			rs := tc.base()
			tc.edit(rs)
			msgs := rejection(t, changeBatch(t, c, zone, change(r53types.ChangeActionDelete, rs)))
			if len(msgs) != 1 || !strings.HasPrefix(msgs[0], "Tried to delete resource record set [name='") || !strings.HasSuffix(msgs[0], tc.want) {
				t.Errorf("messages %q, want one ending %q", msgs, tc.want)
			}
		})
	}
	if msgs := rejection(t, changeBatch(t, c, zone, change(r53types.ChangeActionDelete, weighted(rrA("nope.example.com", 60, "192.0.2.1"), "blue", 10)))); msgs[0] != "Tried to delete resource record set [name='nope.example.com.', type='A', set-identifier='blue'] but it was not found" {
		t.Errorf("message %q, not Route 53's", msgs[0])
	}
	if find(t, c, zone, "host.example.com.", "blue") == nil || find(t, c, zone, "lb.example.com.", "blue") == nil {
		t.Fatal("a rejected DELETE deleted its record")
	}

	// What Route 53 treats as the same: the values in another order, names in another case or with the trailing dot,
	// the alias target's name in another case with its dot.
	same := stored()
	same.Name = aws.String("HOST.Example.com.")
	slices.Reverse(same.ResourceRecords)
	sameAlias := storedAlias()
	sameAlias.AliasTarget.DNSName = aws.String("LB-1.elb.amazonaws.com.")
	mustChange(t, c, zone, change(r53types.ChangeActionDelete, same), change(r53types.ChangeActionDelete, sameAlias))
	if find(t, c, zone, "host.example.com.", "blue") != nil || find(t, c, zone, "lb.example.com.", "blue") != nil {
		t.Error("the exact DELETEs left their records")
	}
}

// A batch whose third change names a record outside the zone and whose fourth creates what the first did: moto
// applies the first two.
func batchWithBadChanges(t *testing.T, c *route53.Client, zone string, more ...r53types.Change) (error, []listed) {
	t.Helper()
	mustChange(t, c, zone, change(r53types.ChangeActionCreate, rrA("old.example.com", 60, "192.0.2.1")))
	err := changeBatch(t, c, zone, append([]r53types.Change{
		change(r53types.ChangeActionCreate, rrA("new.example.com", 60, "192.0.2.2")),
		change(r53types.ChangeActionDelete, rrA("old.example.com", 60, "192.0.2.1")),
		change(r53types.ChangeActionCreate, rrA("new.elsewhere.test", 60, "192.0.2.3")),
		change(r53types.ChangeActionCreate, rrA("new.example.com", 60, "192.0.2.4")),
	}, more...)...)
	return err, listAll(t, c, zone, 100)
}

// A CREATE of an existing record set with other values: moto keeps both.
func createExisting(t *testing.T, c *route53.Client, zone string) (error, []listed) {
	t.Helper()
	mustChange(t, c, zone, change(r53types.ChangeActionCreate, rrA("dup.example.com", 60, "192.0.2.1")))
	err := changeBatch(t, c, zone, change(r53types.ChangeActionCreate, rrA("dup.example.com", 60, "192.0.2.2")))
	var dups []listed
	for _, l := range listAll(t, c, zone, 100) {
		if l.Name == "dup.example.com." {
			dups = append(dups, l)
		}
	}
	return err, dups
}

func TestAtomicBatches(t *testing.T) {
	a := localawstest.Use(t, local)
	c := route53Client(t, a)
	zone := createZone(t, c)

	err, got := batchWithBadChanges(t, c, zone, change(r53types.ChangeActionDelete, rrA("missing.example.com", 60, "192.0.2.5")))
	want := []string{
		"RRSet with DNS name new.elsewhere.test. is not permitted in zone example.com.",
		"Tried to create resource record set [name='new.example.com.', type='A'] but it already exists",
		"Tried to delete resource record set [name='missing.example.com.', type='A'] but it was not found",
	}
	if diff := cmp.Diff(want, rejection(t, err)); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	wantListed := []listed{{"example.com.", "NS", ""}, {"example.com.", "SOA", ""}, {"old.example.com.", "A", ""}}
	if diff := cmp.Diff(wantListed, got); diff != "" {
		t.Errorf("after the rejected batch (-want +got):\n%s", diff)
	}

	err, dups := createExisting(t, c, zone)
	if msgs := rejection(t, err); len(dups) != 1 || msgs[0] != "Tried to create resource record set [name='dup.example.com.', type='A'] but it already exists" {
		t.Errorf("CREATE of an existing record: %q, listed %v; want Route 53's message and one record", msgs, dups)
	}

	// Judged as each change leaves the zone: DELETE then CREATE replaces; UPSERT creates or replaces; a second
	// DELETE of one record set finds nothing.
	mustChange(t, c, zone,
		change(r53types.ChangeActionDelete, rrA("old.example.com", 60, "192.0.2.1")),
		change(r53types.ChangeActionCreate, rrA("old.example.com", 300, "192.0.2.7")),
		change(r53types.ChangeActionUpsert, rrA("up.example.com", 60, "192.0.2.8")))
	mustChange(t, c, zone, change(r53types.ChangeActionUpsert, rrA("up.example.com", 120, "192.0.2.9")))
	if rs := find(t, c, zone, "old.example.com.", ""); rs == nil || aws.ToInt64(rs.TTL) != 300 {
		t.Errorf("old.example.com after DELETE then CREATE: %+v, want TTL 300", rs)
	}
	if rs := find(t, c, zone, "up.example.com.", ""); rs == nil || aws.ToInt64(rs.TTL) != 120 || aws.ToString(rs.ResourceRecords[0].Value) != "192.0.2.9" {
		t.Errorf("up.example.com after two UPSERTs: %+v, want TTL 120 and 192.0.2.9", rs)
	}
	twice := change(r53types.ChangeActionDelete, rrA("up.example.com", 120, "192.0.2.9"))
	if msgs := rejection(t, changeBatch(t, c, zone, twice, twice)); len(msgs) != 1 || !strings.HasSuffix(msgs[0], "but it was not found") {
		t.Errorf("a record set deleted twice in one batch: %q", msgs)
	}
	if find(t, c, zone, "up.example.com.", "") == nil {
		t.Error("the rejected double DELETE deleted the record")
	}
}

// Batches sent at once to one zone are applied one at a time, as Route 53 applies them: none is lost, neither to
// another's write nor to a rejected one's undo (moto's server answers on threads; the patched batch is a
// read-modify-write of the zone).
func TestConcurrentBatchesAreAppliedOneAtATime(t *testing.T) {
	a := localawstest.Use(t, local)
	c := route53Client(t, a)
	zone := createZone(t, c)
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("host-%02d.example.com", i)
			// A good batch, and a rejected one (its DELETE finds nothing, after many changes) whose undo must not
			// erase the others: batches long enough that two are under way at once.
			_ = changeBatch(t, c, zone, change(r53types.ChangeActionCreate, rrA(name, 60, "192.0.2.1")))
			bad := []r53types.Change{}
			for j := range 30 {
				bad = append(bad, change(r53types.ChangeActionCreate, rrA(fmt.Sprintf("x%02d-%s", j, name), 60, "192.0.2.2")))
			}
			bad = append(bad, change(r53types.ChangeActionDelete, rrA("missing-"+name, 60, "192.0.2.3")))
			_ = changeBatch(t, c, zone, bad...)
		})
	}
	wg.Wait()
	var missing []string
	for i := range n {
		if name := fmt.Sprintf("host-%02d.example.com.", i); find(t, c, zone, name, "") == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d accepted batches were lost: %v", len(missing), n, missing)
	}
	if got := len(listAll(t, c, zone, 300)); got != n+2 {
		t.Errorf("listed %d record sets, want %d (NS, SOA and one per accepted batch)", got, n+2)
	}
}

// demoNames are created in this order, in these spellings; routeOrder is how Route 53 lists them (LOCAL-AWS.md,
// "Measured at scale", and the API Reference's sort order: labels reversed, with the trailing dot, as characters).
var demoNames = []string{"demoappx", "Stack.Blue.demoapp", "a.demoapp", "demoapp-legacy", "demoapp0", "*.demoapp",
	"demoapp-123456", "up.demoapp", "a"}

var routeOrder = []listed{
	{"example.com.", "NS", ""}, {"example.com.", "SOA", ""},
	{"a.example.com.", "A", ""},
	{"demoapp-123456.example.com.", "A", ""},
	{"demoapp-legacy.example.com.", "A", ""},
	{"demoapp.example.com.", "A", "blue"}, {"demoapp.example.com.", "A", "green"}, {"demoapp.example.com.", "A", "red"},
	{"demoapp.example.com.", "TXT", ""},
	{`\052.demoapp.example.com.`, "A", ""},
	{"a.demoapp.example.com.", "A", ""},
	{"stack.blue.demoapp.example.com.", "A", ""},
	{"up.demoapp.example.com.", "A", ""},
	{"demoapp0.example.com.", "A", ""},
	{"demoappx.example.com.", "A", ""},
}

// fillOrderZone creates demoNames and, at demoapp itself, a weighted group of three and a TXT record.
func fillOrderZone(t *testing.T, c *route53.Client, zone string) {
	t.Helper()
	var changes []r53types.Change
	for _, n := range demoNames {
		changes = append(changes, change(r53types.ChangeActionCreate, rrA(n+".example.com", 60, "192.0.2.1")))
	}
	for _, id := range []string{"red", "blue", "green"} {
		changes = append(changes, change(r53types.ChangeActionCreate, weighted(rrA("demoapp.example.com", 60, "192.0.2.2"), id, 1)))
	}
	txt := &r53types.ResourceRecordSet{Name: aws.String("demoapp.example.com"), Type: r53types.RRTypeTxt, TTL: aws.Int64(60),
		ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(`"x"`)}}}
	mustChange(t, c, zone, append(changes, change(r53types.ChangeActionCreate, txt))...)
}

func TestListOrder(t *testing.T) {
	a := localawstest.Use(t, local)
	c := route53Client(t, a)
	zone := createZone(t, c)
	fillOrderZone(t, c, zone)

	for _, size := range []int32{1, 2, 300, 1000} {
		if diff := cmp.Diff(routeOrder, listAll(t, c, zone, size)); diff != "" {
			t.Errorf("listed in pages of %d (-want +got):\n%s", size, diff)
		}
	}
	for _, tc := range []struct {
		name, typ, id string
		want          listed
	}{
		{"demoapp.example.com", "", "", routeOrder[5]},
		{"DEMOAPP.Example.Com.", "", "", routeOrder[5]},
		{"demoapp.example.com", "A", "green", routeOrder[6]},
		{"demoapp.example.com", "B", "", routeOrder[8]},
		{"demoapp.example.com", "TXT", "", routeOrder[8]},
		{"*.demoapp.example.com", "", "", routeOrder[9]},
		{`\052.demoapp.example.com`, "", "", routeOrder[9]},
		{"0.demoapp.example.com", "", "", routeOrder[10]}, // not in the zone: the list starts at the next name
	} {
		in := &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone), MaxItems: aws.Int32(1),
			StartRecordName: aws.String(tc.name)}
		if tc.typ != "" {
			in.StartRecordType = r53types.RRType(tc.typ)
		}
		if tc.id != "" {
			in.StartRecordIdentifier = aws.String(tc.id)
		}
		out, err := c.ListResourceRecordSets(t.Context(), in)
		if err != nil {
			t.Fatalf("list from %s %s %s: %v", tc.name, tc.typ, tc.id, err)
		}
		rs := out.ResourceRecordSets[0]
		if got := (listed{aws.ToString(rs.Name), string(rs.Type), aws.ToString(rs.SetIdentifier)}); got != tc.want {
			t.Errorf("list from %s %s %s starts at %v, want %v", tc.name, tc.typ, tc.id, got, tc.want)
		}
	}
}

// createCheck sends one CreateHealthCheck without retries.
func createCheck(t *testing.T, c *route53.Client, ref string, port int32) (string, error) {
	t.Helper()
	out, err := c.CreateHealthCheck(t.Context(), &route53.CreateHealthCheckInput{CallerReference: aws.String(ref),
		HealthCheckConfig: &r53types.HealthCheckConfig{Type: r53types.HealthCheckTypeHttp, FullyQualifiedDomainName: aws.String("demoapp-123456.example.com"), Port: aws.Int32(port), ResourcePath: aws.String("/health")}},
		func(o *route53.Options) { o.RetryMaxAttempts = 1 })
	if err != nil {
		return "", err
	}
	return aws.ToString(out.HealthCheck.Id), nil
}

// CreateHealthCheck honours its CallerReference, as Route 53 does: the same reference and settings return the
// existing check (a retried create makes no second one), other settings or a deleted check's reference are
// HealthCheckAlreadyExists.
func TestHealthCheckCallerReference(t *testing.T) {
	a := localawstest.Use(t, local)
	c := route53Client(t, a)
	first, err := createCheck(t, c, "bluegreen/demoapp/123456/x/1", 80)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := createCheck(t, c, "bluegreen/demoapp/123456/x/1", 80); err != nil || again != first {
		t.Errorf("the same reference and settings: %q, %v; want %q", again, err, first)
	}
	var exists *r53types.HealthCheckAlreadyExists
	if _, err := createCheck(t, c, "bluegreen/demoapp/123456/x/1", 8080); !errors.As(err, &exists) {
		t.Errorf("the same reference, other settings: %v, want HealthCheckAlreadyExists", err)
	}
	if _, err := c.DeleteHealthCheck(t.Context(), &route53.DeleteHealthCheckInput{HealthCheckId: aws.String(first)}); err != nil {
		t.Fatal(err)
	}
	if _, err := createCheck(t, c, "bluegreen/demoapp/123456/x/1", 80); !errors.As(err, &exists) {
		t.Errorf("a deleted check's reference: %v, want HealthCheckAlreadyExists", err)
	}
	out, err := c.ListHealthChecks(t.Context(), &route53.ListHealthChecksInput{})
	if err != nil || len(out.HealthChecks) != 0 {
		t.Errorf("checks listed: %v, %v; want none", out, err)
	}
}
