package zonetest_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/zone/zonetest"
)

const zoneID = "ZFAKE"

func a(name string, ttl int64, values ...string) *types.ResourceRecordSet {
	rs := &types.ResourceRecordSet{Name: aws.String(name), Type: types.RRTypeA, TTL: aws.Int64(ttl)}
	for _, v := range values {
		rs.ResourceRecords = append(rs.ResourceRecords, types.ResourceRecord{Value: aws.String(v)})
	}
	return rs
}

func withType(rs *types.ResourceRecordSet, typ types.RRType) *types.ResourceRecordSet {
	rs.Type = typ
	return rs
}

func weighted(rs *types.ResourceRecordSet, id string, w int64) *types.ResourceRecordSet {
	rs.SetIdentifier, rs.Weight = aws.String(id), aws.Int64(w)
	return rs
}

func aliasTo(name, target, targetZone string) *types.ResourceRecordSet {
	return &types.ResourceRecordSet{Name: aws.String(name), Type: types.RRTypeA,
		AliasTarget: &types.AliasTarget{DNSName: aws.String(target), HostedZoneId: aws.String(targetZone)}}
}

func ch(action types.ChangeAction, rs *types.ResourceRecordSet) types.Change {
	return types.Change{Action: action, ResourceRecordSet: rs}
}

func newZone(t *testing.T, changes ...types.Change) *zonetest.Fake {
	t.Helper()
	f := zonetest.New()
	f.AddZone(zoneID, "example.com")
	if len(changes) > 0 {
		if err := send(f, changes...); err != nil {
			t.Fatalf("set up: %v", err)
		}
	}
	return f
}

func send(f *zonetest.Fake, changes ...types.Change) error {
	_, err := f.ChangeResourceRecordSets(context.Background(), &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String("/hostedzone/" + zoneID), ChangeBatch: &types.ChangeBatch{Changes: changes}})
	return err
}

// problems returns the messages of an InvalidChangeBatch, or fails.
func problems(t *testing.T, err error) []string {
	t.Helper()
	var invalid *types.InvalidChangeBatch
	if !errors.As(err, &invalid) {
		t.Fatalf("change: %v, want InvalidChangeBatch", err)
	}
	return invalid.Messages
}

func has(f *zonetest.Fake, name, id string) bool {
	return slices.ContainsFunc(f.Records(zoneID), func(r records.Record) bool { return r.Name == name && r.SetIdentifier == id })
}

func TestDeleteMustMatchExactly(t *testing.T) {
	stored := func() *types.ResourceRecordSet {
		return weighted(a("host.example.com", 60, "192.0.2.1", "192.0.2.2"), "blue", 10)
	}
	storedAlias := func() *types.ResourceRecordSet {
		return weighted(aliasTo("lb.example.com", "lb-1.elb.amazonaws.com", "ZLB"), "blue", 10)
	}
	storedChecked := func() *types.ResourceRecordSet {
		rs := weighted(withType(a("www.example.com", 60, "blue.example.com"), types.RRTypeCname), "blue", 10)
		rs.HealthCheckId = aws.String("hc-0001") // the zone's first check, created below
		return rs
	}
	const mismatch = "but the values provided do not match the current values"
	const notFound = "but it was not found"
	for _, tc := range []struct {
		name string
		base func() *types.ResourceRecordSet
		edit func(*types.ResourceRecordSet)
		want string // "" means accepted
	}{
		{"exact", stored, func(*types.ResourceRecordSet) {}, ""},
		{"values in another order", stored, func(rs *types.ResourceRecordSet) { slices.Reverse(rs.ResourceRecords) }, ""},
		{"name in another case, with its dot", stored, func(rs *types.ResourceRecordSet) { rs.Name = aws.String("Host.EXAMPLE.com.") }, ""},
		{"alias target in another case, with its dot", storedAlias, func(rs *types.ResourceRecordSet) { rs.AliasTarget.DNSName = aws.String("LB-1.elb.amazonaws.com.") }, ""},
		{"weight", stored, func(rs *types.ResourceRecordSet) { rs.Weight = aws.Int64(11) }, mismatch},
		{"ttl", stored, func(rs *types.ResourceRecordSet) { rs.TTL = aws.Int64(61) }, mismatch},
		{"a value fewer", stored, func(rs *types.ResourceRecordSet) { rs.ResourceRecords = rs.ResourceRecords[1:] }, mismatch},
		{"another value", stored, func(rs *types.ResourceRecordSet) { rs.ResourceRecords[0].Value = aws.String("192.0.2.9") }, mismatch},
		{"alias target", storedAlias, func(rs *types.ResourceRecordSet) { rs.AliasTarget.DNSName = aws.String("lb-2.elb.amazonaws.com") }, mismatch},
		{"alias zone", storedAlias, func(rs *types.ResourceRecordSet) { rs.AliasTarget.HostedZoneId = aws.String("ZOTHER") }, mismatch},
		{"alias health", storedAlias, func(rs *types.ResourceRecordSet) { rs.AliasTarget.EvaluateTargetHealth = true }, mismatch},
		{"with its health check", storedChecked, func(*types.ResourceRecordSet) {}, ""},
		{"another health check", storedChecked, func(rs *types.ResourceRecordSet) { rs.HealthCheckId = aws.String("hc-green") }, mismatch},
		{"no health check", storedChecked, func(rs *types.ResourceRecordSet) { rs.HealthCheckId = nil }, mismatch},
		{"a health check the record has not", stored, func(rs *types.ResourceRecordSet) { rs.HealthCheckId = aws.String("hc-0001") }, mismatch},
		{"set identifier", stored, func(rs *types.ResourceRecordSet) { rs.SetIdentifier = aws.String("green") }, notFound},
		{"type", stored, func(rs *types.ResourceRecordSet) { rs.Type = types.RRTypeAaaa }, notFound},
		{"name", stored, func(rs *types.ResourceRecordSet) { rs.Name = aws.String("nothere.example.com") }, notFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newZone(t)
			if _, err := f.CreateHealthCheck(context.Background(), &route53.CreateHealthCheckInput{CallerReference: aws.String("blue"),
				HealthCheckConfig: &types.HealthCheckConfig{Type: types.HealthCheckTypeHttp, FullyQualifiedDomainName: aws.String("blue.example.com")}}); err != nil {
				t.Fatal(err)
			}
			if err := send(f, ch(types.ChangeActionCreate, stored()), ch(types.ChangeActionCreate, storedAlias()),
				ch(types.ChangeActionCreate, weighted(a("other.example.com", 60, "192.0.2.1"), "blue", 10)),
				ch(types.ChangeActionCreate, storedChecked())); err != nil {
				t.Fatal(err)
			}
			rs := tc.base()
			tc.edit(rs)
			err := send(f, ch(types.ChangeActionDelete, rs))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("DELETE: %v, want accepted", err)
				}
				if len(f.Records(zoneID)) != 5 || !has(f, "other.example.com", "blue") { // NS, SOA and three of four
					t.Errorf("after the DELETE: %v, want exactly the named record set gone", f.Records(zoneID))
				}
				return
			}
			if msgs := problems(t, err); len(msgs) != 1 || !strings.HasPrefix(msgs[0], "Tried to delete resource record set [name='") || !strings.HasSuffix(msgs[0], tc.want) {
				t.Errorf("messages %q, want one ending %q", msgs, tc.want)
			}
			if len(f.Records(zoneID)) != 6 {
				t.Errorf("a rejected DELETE changed the zone: %v", f.Records(zoneID))
			}
		})
	}
}

func TestBatchesAreAllOrNothing(t *testing.T) {
	f := newZone(t, ch(types.ChangeActionCreate, a("old.example.com", 60, "192.0.2.1")))
	before := f.Records(zoneID)
	err := send(f,
		ch(types.ChangeActionCreate, a("new.example.com", 60, "192.0.2.2")),
		ch(types.ChangeActionDelete, a("old.example.com", 60, "192.0.2.1")),
		ch(types.ChangeActionCreate, a("new.elsewhere.test", 60, "192.0.2.3")),
		ch(types.ChangeActionCreate, a("new.example.com", 60, "192.0.2.4")),
		ch(types.ChangeActionDelete, a("old.example.com", 60, "192.0.2.1")))
	want := []string{
		"RRSet with DNS name new.elsewhere.test. is not permitted in zone example.com.",
		"Tried to create resource record set [name='new.example.com.', type='A'] but it already exists",
		"Tried to delete resource record set [name='old.example.com.', type='A'] but it was not found",
	}
	if diff := cmp.Diff(want, problems(t, err)); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, f.Records(zoneID)); diff != "" {
		t.Errorf("a rejected batch changed the zone (-before +after):\n%s", diff)
	}
	if f.Accepted["ChangeResourceRecordSets"] != 1 || f.Rejected["ChangeResourceRecordSets"] != 1 || len(f.Batches) != 1 {
		t.Errorf("accepted %d, rejected %d, batches %d; want 1, 1, 1", f.Accepted["ChangeResourceRecordSets"], f.Rejected["ChangeResourceRecordSets"], len(f.Batches))
	}

	// Each change is judged as the ones before it leave the zone.
	if err := send(f,
		ch(types.ChangeActionDelete, a("old.example.com", 60, "192.0.2.1")),
		ch(types.ChangeActionCreate, a("old.example.com", 300, "192.0.2.5")),
		ch(types.ChangeActionUpsert, a("up.example.com", 60, "192.0.2.6")),
		ch(types.ChangeActionUpsert, a("up.example.com", 120, "192.0.2.7"))); err != nil {
		t.Fatalf("DELETE then CREATE, UPSERT twice: %v", err)
	}
	got := map[string]int64{}
	for _, r := range f.Records(zoneID) {
		got[r.Name] = r.TTL
	}
	if got["old.example.com"] != 300 || got["up.example.com"] != 120 {
		t.Errorf("TTLs after the batch: %v, want old 300 (re-created) and up 120 (replaced)", got)
	}
}

func TestRecordRules(t *testing.T) {
	simple := func() *types.ResourceRecordSet { return a("host.example.com", 60, "192.0.2.1") }
	blue := func() *types.ResourceRecordSet { return weighted(a("host.example.com", 60, "192.0.2.2"), "blue", 100) }
	txt := func(v string) *types.ResourceRecordSet {
		return withType(a("t.example.com", 60, v), types.RRTypeTxt)
	}
	cname := func(name string) *types.ResourceRecordSet {
		return withType(a(name, 60, "target.example.net"), types.RRTypeCname)
	}
	for _, tc := range []struct {
		name       string
		existing   []*types.ResourceRecordSet
		changes    []types.Change
		invalid    string // an InvalidInput problem
		changeBits string // part of the one InvalidChangeBatch problem
	}{
		{name: "weighted beside a simple record", existing: []*types.ResourceRecordSet{simple()},
			changes: []types.Change{ch(types.ChangeActionCreate, blue())}, changeBits: "non-weighted set exists"},
		{name: "simple beside a weighted record", existing: []*types.ResourceRecordSet{blue()},
			changes: []types.Change{ch(types.ChangeActionCreate, simple())}, changeBits: "non-weighted set exists"},
		{name: "adopting a simple record in one batch", existing: []*types.ResourceRecordSet{simple()},
			changes: []types.Change{ch(types.ChangeActionDelete, simple()), ch(types.ChangeActionCreate, blue())}},
		{name: "weight above 255", changes: []types.Change{ch(types.ChangeActionCreate, weighted(a("w.example.com", 60, "192.0.2.1"), "x", 256))},
			invalid: "Member must have value between 0 and 255"},
		{name: "weight 255", changes: []types.Change{ch(types.ChangeActionCreate, weighted(a("w.example.com", 60, "192.0.2.1"), "x", 255))}},
		{name: "SetIdentifier without weight", changes: []types.Change{ch(types.ChangeActionCreate, func() *types.ResourceRecordSet {
			rs := a("w.example.com", 60, "192.0.2.1")
			rs.SetIdentifier = aws.String("x")
			return rs
		}())}, invalid: "Expected exactly one of [Weight"},
		{name: "weight without SetIdentifier", changes: []types.Change{ch(types.ChangeActionCreate, func() *types.ResourceRecordSet {
			rs := a("w.example.com", 60, "192.0.2.1")
			rs.Weight = aws.Int64(1)
			return rs
		}())}, invalid: "Missing field 'SetIdentifier'"},
		{name: "unquoted TXT", changes: []types.Change{ch(types.ChangeActionCreate, txt("abc"))}, changeBits: "enclosed in quotation marks"},
		{name: "quoted TXT", changes: []types.Change{ch(types.ChangeActionCreate, txt(`"abc" "def"`))}},
		{name: "CNAME beside A", existing: []*types.ResourceRecordSet{a("c.example.com", 60, "192.0.2.1")},
			changes: []types.Change{ch(types.ChangeActionCreate, cname("c.example.com"))}, changeBits: "conflicting RRSet of type A"},
		{name: "A beside CNAME", existing: []*types.ResourceRecordSet{cname("c.example.com")},
			changes: []types.Change{ch(types.ChangeActionCreate, a("c.example.com", 60, "192.0.2.1"))}, changeBits: "conflicting RRSet of type A"},
		{name: "CNAME at the apex", changes: []types.Change{ch(types.ChangeActionCreate, cname("example.com"))}, changeBits: "not permitted at apex"},
		{name: "not an IPv4 address", changes: []types.Change{ch(types.ChangeActionCreate, a("v.example.com", 60, "2001:db8::1"))}, changeBits: "not a valid IPv4 address"},
		{name: "alias to a missing record of the zone", changes: []types.Change{ch(types.ChangeActionCreate, aliasTo("x.example.com", "missing.example.com", zoneID))},
			changeBits: "alias target name does not exist"},
		{name: "alias to a record created in the same batch", changes: []types.Change{
			ch(types.ChangeActionCreate, a("target.example.com", 60, "192.0.2.1")),
			ch(types.ChangeActionCreate, aliasTo("x.example.com", "target.example.com", zoneID))}, changeBits: "alias target name does not exist"},
		{name: "alias to an existing record", existing: []*types.ResourceRecordSet{a("target.example.com", 60, "192.0.2.1")},
			changes: []types.Change{ch(types.ChangeActionCreate, aliasTo("x.example.com", "Target.example.com.", "/hostedzone/"+zoneID))}},
		{name: "alias with a TTL", changes: []types.Change{ch(types.ChangeActionCreate, func() *types.ResourceRecordSet {
			rs := aliasTo("x.example.com", "lb.elb.amazonaws.com", "ZLB")
			rs.TTL = aws.Int64(60)
			return rs
		}())}, invalid: "but found more than one"},
		{name: "no values", changes: []types.Change{ch(types.ChangeActionCreate, a("v.example.com", 60))}, invalid: "but found none"},
		{name: "empty batch", invalid: "Member must have length greater than or equal to 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var setup []types.Change
			for _, rs := range tc.existing {
				setup = append(setup, ch(types.ChangeActionCreate, rs))
			}
			f := newZone(t, setup...)
			err := send(f, tc.changes...)
			var input *types.InvalidInput
			switch {
			case tc.invalid != "":
				if !errors.As(err, &input) || !strings.Contains(aws.ToString(input.Message), tc.invalid) {
					t.Errorf("change: %v, want InvalidInput saying %q", err, tc.invalid)
				}
			case tc.changeBits != "":
				if msgs := problems(t, err); len(msgs) != 1 || !strings.Contains(msgs[0], tc.changeBits) {
					t.Errorf("messages %q, want one saying %q", msgs, tc.changeBits)
				}
			case err != nil:
				t.Errorf("change: %v, want accepted", err)
			}
		})
	}
}

// Route 53 gives every weighted record of a name and type the TTL written last.
func TestWeightedGroupTakesTheLastTTL(t *testing.T) {
	f := newZone(t, ch(types.ChangeActionCreate, weighted(a("w.example.com", 60, "192.0.2.1"), "blue", 1)),
		ch(types.ChangeActionCreate, weighted(a("w.example.com", 300, "192.0.2.2"), "green", 1)))
	for _, r := range f.Records(zoneID) {
		if r.Name == "w.example.com" && r.TTL != 300 {
			t.Errorf("%s has TTL %d, want 300", r, r.TTL)
		}
	}
	if err := send(f, ch(types.ChangeActionDelete, weighted(a("w.example.com", 60, "192.0.2.1"), "blue", 1))); err == nil {
		t.Error("a DELETE with the TTL first written was accepted; the stored TTL is the last one")
	}
}

type listed struct{ Name, Type, ID string }

func listAll(t *testing.T, f *zonetest.Fake, in route53.ListResourceRecordSetsInput) []listed {
	t.Helper()
	in.HostedZoneId = aws.String(zoneID)
	var out []listed
	for range 100 {
		page, err := f.ListResourceRecordSets(context.Background(), &in)
		if err != nil {
			t.Fatal(err)
		}
		for _, rs := range page.ResourceRecordSets {
			out = append(out, listed{aws.ToString(rs.Name), string(rs.Type), aws.ToString(rs.SetIdentifier)})
		}
		if !page.IsTruncated {
			break
		}
		in.StartRecordName, in.StartRecordType, in.StartRecordIdentifier = page.NextRecordName, page.NextRecordType, page.NextRecordIdentifier
	}
	return out
}

func TestListsInRoute53Order(t *testing.T) {
	var changes []types.Change
	for _, n := range []string{"demoappx", "Stack.Blue.demoapp", "a.demoapp", "demoapp-legacy", "demoapp0", "*.demoapp", "demoapp-123456", "a"} {
		changes = append(changes, ch(types.ChangeActionCreate, a(n+".example.com", 60, "192.0.2.1")))
	}
	for _, id := range []string{"red", "blue", "green"} {
		changes = append(changes, ch(types.ChangeActionCreate, weighted(a("demoapp.example.com", 60, "192.0.2.2"), id, 1)))
	}
	f := newZone(t, append(changes, ch(types.ChangeActionCreate, withType(a("demoapp.example.com", 60, `"x"`), types.RRTypeTxt)))...)
	want := []listed{
		{"example.com.", "NS", ""}, {"example.com.", "SOA", ""},
		{"a.example.com.", "A", ""},
		{"demoapp-123456.example.com.", "A", ""},
		{"demoapp-legacy.example.com.", "A", ""},
		{"demoapp.example.com.", "A", "blue"}, {"demoapp.example.com.", "A", "green"}, {"demoapp.example.com.", "A", "red"},
		{"demoapp.example.com.", "TXT", ""},
		{`\052.demoapp.example.com.`, "A", ""},
		{"a.demoapp.example.com.", "A", ""},
		{"stack.blue.demoapp.example.com.", "A", ""},
		{"demoapp0.example.com.", "A", ""},
		{"demoappx.example.com.", "A", ""},
	}
	for _, size := range []int{1, 2, 3, 100} {
		f.PageSize = size
		if diff := cmp.Diff(want, listAll(t, f, route53.ListResourceRecordSetsInput{})); diff != "" {
			t.Errorf("pages of %d (-want +got):\n%s", size, diff)
		}
	}
	f.PageSize = 100
	page, err := f.ListResourceRecordSets(context.Background(), &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID), MaxItems: aws.Int32(2)})
	if err != nil || len(page.ResourceRecordSets) != 2 || !page.IsTruncated || aws.ToString(page.NextRecordName) != want[2].Name {
		t.Errorf("MaxItems 2: %v, %+v; want two record sets and the next named", err, page)
	}
	for _, tc := range []struct {
		name, typ, id string
		want          listed
	}{
		{"DEMOAPP.example.com.", "", "", want[5]},
		{"demoapp.example.com", "A", "green", want[6]},
		{"demoapp.example.com", "B", "", want[8]},
		{"*.demoapp.example.com", "", "", want[9]},
		{`\052.demoapp.example.com`, "", "", want[9]},
		{"0.demoapp.example.com", "", "", want[10]},
	} {
		in := route53.ListResourceRecordSetsInput{StartRecordName: aws.String(tc.name), StartRecordType: types.RRType(tc.typ), MaxItems: aws.Int32(1)}
		if tc.id != "" {
			in.StartRecordIdentifier = aws.String(tc.id)
		}
		if got := listAll(t, f, in); len(got) == 0 || got[0] != tc.want {
			t.Errorf("from %s %s %s: %v, want %v first", tc.name, tc.typ, tc.id, got, tc.want)
		}
	}
	_, err = f.ListResourceRecordSets(context.Background(), &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID), StartRecordType: types.RRTypeA})
	var input *types.InvalidInput
	if !errors.As(err, &input) {
		t.Errorf("StartRecordType without StartRecordName: %v, want InvalidInput", err)
	}
}
