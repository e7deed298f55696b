package zone_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/zone/zonetest"
)

// neighbours are names that sort between and around an app's names in Route 53's order.
func neighbours() []records.Record {
	var rs []records.Record
	for _, n := range []string{"demoappx", "demoapp-legacy", "a.demoapp", "demoapp0", "shop-123456", "demoap", "zzz", "aaa", "stack.blue.demoapp0", "x.y.demoappz"} {
		rs = append(rs, records.TXT(n+".example.com", 300, "not demoapp's"))
	}
	return rs
}

// ListApp reads the app's names (and what sorts among them) and stops at the first name past them, whatever the
// zone holds around them; a host outside the range is read on its own.
func TestListAppReadsOnlyTheApp(t *testing.T) {
	for _, tt := range []struct {
		name string
		app  records.App
	}{
		{"default host", records.App{Name: "demoapp", Zone: "example.com", Host: "demoapp.example.com"}},
		{"zone apex", records.App{Name: "demoapp", Zone: "example.com", Host: "example.com"}},
		{"custom host", records.App{Name: "demoapp", Zone: "example.com", Host: "www.example.com"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.app
			mine := []records.Record{
				records.TXT(a.SlotName(records.Blue), 60, "111111"), records.TXT(a.ActiveName(), 60, "111111"),
				a.FenceRecord(records.Fence{Holder: "arn:x", Epoch: 1}),
				{Name: a.EndpointName("111111"), Type: "CNAME", TTL: 60, Values: []string{"lb-1.elb.amazonaws.com"}},
				{Name: a.EndpointName("999999"), Type: "CNAME", TTL: 60, Values: []string{"lb-9.elb.amazonaws.com"}},
				{Name: a.HostName(), Type: "CNAME", TTL: 60, SetIdentifier: "demoapp-blue", Weight: records.Weight(100), Values: []string{a.EndpointName("111111")}},
			}
			f := zonetest.New()
			f.AddZone(zoneID, "example.com", append(neighbours(), mine...)...)
			z := open(t, f)
			before := f.Accepted["ListResourceRecordSets"]
			l, err := z.ListApp(context.Background(), a)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range l.Records {
				if r.Type == "NS" || r.Type == "SOA" {
					continue // the apex's own, read with the host
				}
				if a.Owns(r) {
					got = append(got, r.Key().String())
				} else if !slices.Contains([]string{"demoapp-legacy.example.com", "a.demoapp.example.com"}, r.Name) {
					t.Errorf("read %s, which is neither the app's nor among its names", r.Name)
				}
			}
			var want []string
			for _, r := range mine {
				want = append(want, r.Key().String())
			}
			slices.Sort(got)
			slices.Sort(want)
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("the app's records read (-got +want):\n%s", diff)
			}
			// Pages of three: the range needs a few; the rest of the zone is never paged through.
			if n := f.Accepted["ListResourceRecordSets"] - before; n > 5 {
				t.Errorf("%d listing calls for %d records of the app", n, len(mine))
			}
		})
	}
}
