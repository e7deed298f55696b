package zone_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/awsenv"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
	"github.com/bluegreen-aws/bluegreen/internal/zone/zonetest"
)

const zoneID = "Z0EXAMPLE"

var app = records.App{Name: "demoapp", Zone: "example.com"}

func open(t *testing.T, f *zonetest.Fake) *zone.Zone {
	t.Helper()
	z, err := zone.Open(context.Background(), f, "/hostedzone/"+zoneID, zone.Options{MinDelay: time.Millisecond, MaxDelay: time.Millisecond, Margin: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func endpointBatch(t *testing.T, z *zone.Zone, id string) records.Batch {
	t.Helper()
	b, err := app.PublishEndpoint(records.Routing{Zone: z.Info()}, id, records.Target{DNSName: "lb-" + id + ".elb.amazonaws.com", HostedZoneID: "ZLB"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenNormalizesTheZone(t *testing.T) {
	f := zonetest.New()
	f.AddZone(zoneID, "example.com")
	got := open(t, f).Info()
	if want := (records.Zone{ID: zoneID, Name: "example.com"}); got != want {
		t.Errorf("Info() = %+v, want %+v", got, want)
	}
	_, err := zone.Open(context.Background(), f, "ZNOPE", zone.Options{})
	var missing *types.NoSuchHostedZone
	if !errors.As(err, &missing) {
		t.Errorf("Open(missing zone) = %v, want NoSuchHostedZone", err)
	}
}

func TestListPaginatesAndNormalizes(t *testing.T) {
	f := zonetest.New()
	var rs []records.Record
	for _, id := range []string{"000001", "000002", "000003", "000004", "000005"} {
		rs = append(rs, records.TXT(app.SlotName(records.Blue), 60, id))
		rs[len(rs)-1].Name = "x" + id + ".example.com"
	}
	f.AddZone(zoneID, "example.com", rs...)
	f.PageSize = 2
	got, err := open(t, f).List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 7 { // 5 + NS + SOA
		t.Fatalf("List() returned %d records, want 7: %v", len(got), got)
	}
	for _, r := range got {
		if r.Name != records.Normalize(r.Name) {
			t.Errorf("record name %q is not normalized", r.Name)
		}
	}
}

func TestApplySendsOneBatchAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	f := zonetest.New()
	f.AddZone(zoneID, "example.com")
	z := open(t, f)
	b := endpointBatch(t, z, "123456")

	res, err := z.Apply(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Submitted || !res.InSync || res.ChangeID == "" {
		t.Errorf("first Apply = %+v, want submitted and in sync", res)
	}
	res, err = z.Apply(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if res.Submitted || !res.InSync {
		t.Errorf("second Apply = %+v, want nothing submitted", res)
	}
	if got := f.Accepted["ChangeResourceRecordSets"]; got != 1 {
		t.Errorf("accepted ChangeResourceRecordSets = %d, want 1", got)
	}
}

func TestApplyRefusesAnInvalidBatchBeforeAnyCall(t *testing.T) {
	f := zonetest.New()
	f.AddZone(zoneID, "example.com")
	z := open(t, f)
	// The weighted record aliases an endpoint that does not exist yet.
	b := records.Batch{Changes: []records.Change{{Action: records.Upsert, Record: app.WeightedRecord(records.Routing{Zone: z.Info()}, records.Blue, "123456", 100)}}}
	_, err := z.Apply(context.Background(), b)
	var invalid *records.InvalidBatchError
	if !errors.As(err, &invalid) {
		t.Fatalf("Apply = %v, want InvalidBatchError", err)
	}
	if n := f.Accepted["ChangeResourceRecordSets"] + f.Rejected["ChangeResourceRecordSets"]; n != 0 {
		t.Errorf("ChangeResourceRecordSets called %d times, want 0", n)
	}
}

func TestApplyReturnsPendingWhenTheDeadlineComesFirst(t *testing.T) {
	f := zonetest.New()
	f.AddZone(zoneID, "example.com")
	f.PendingChecks = 1000
	z := open(t, f)
	b := endpointBatch(t, z, "123456")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	res, err := z.Apply(ctx, b)
	if err != nil {
		t.Fatalf("Apply = %v, want a pending result, not an error", err)
	}
	if !res.Submitted || res.InSync || res.ChangeID == "" {
		t.Fatalf("Apply = %+v, want submitted, not in sync, with a change id", res)
	}
	// Later calls check the same change rather than re-submitting.
	f.PendingChecks = 0
	done, err := z.Check(context.Background(), res.ChangeID)
	if err != nil || done {
		t.Fatalf("Check while pending = %v, %v; want false, nil", done, err)
	}
	f.Set(zoneID, f.Records(zoneID)) // no change to the records
	for range 1000 {
		if done, err = z.Check(context.Background(), res.ChangeID); err != nil || done {
			break
		}
	}
	if err != nil || !done {
		t.Fatalf("Check after the change settled = %v, %v; want true, nil", done, err)
	}
	if got := f.Accepted["ChangeResourceRecordSets"]; got != 1 {
		t.Errorf("accepted ChangeResourceRecordSets = %d, want 1", got)
	}
}

func TestReadBackCatchesAChangeBySomeoneElse(t *testing.T) {
	ctx := context.Background()
	f := zonetest.New()
	f.AddZone(zoneID, "example.com")
	z := open(t, f)
	res, err := z.Apply(ctx, endpointBatch(t, z, "123456"))
	if err != nil {
		t.Fatal(err)
	}
	rs := f.Records(zoneID)
	for i := range rs {
		if rs[i].Alias != nil {
			rs[i].Alias.DNSName = "someone-else.elb.amazonaws.com"
		}
	}
	f.Set(zoneID, rs)
	err = z.ReadBack(ctx, res.Expect, res.Removed)
	if !errors.Is(err, zone.ErrReadBack) {
		t.Errorf("ReadBack = %v, want ErrReadBack", err)
	}
}

func TestThrottlingIsTransient(t *testing.T) {
	f := zonetest.New()
	f.AddZone(zoneID, "example.com")
	z := open(t, f)
	f.Throttle = 1
	_, err := z.Apply(context.Background(), endpointBatch(t, z, "123456"))
	if err == nil || !awsenv.Transient(err) {
		t.Errorf("Apply while throttled = %v, want a transient error", err)
	}
	if diff := cmp.Diff(map[string]int{"ChangeResourceRecordSets": 1}, f.Rejected); diff != "" {
		t.Errorf("rejected calls (-want +got):\n%s", diff)
	}
}

// A batch applied by an attempt whose answer was lost, then refused on the SDK's retry, is applied.
func TestApplyAfterALostAnswer(t *testing.T) {
	ctx := context.Background()
	f := zonetest.New()
	f.AddZone(zoneID, "example.com")
	z := open(t, f)
	b := endpointBatch(t, z, "123456")
	f.LoseAnswers = 1
	res, err := z.Apply(ctx, b)
	if err != nil || !res.Submitted || !res.InSync {
		t.Fatalf("Apply after a lost answer = %+v, %v; want applied", res, err)
	}
	if got := f.Accepted["ChangeResourceRecordSets"]; got != 1 {
		t.Errorf("accepted ChangeResourceRecordSets = %d, want 1", got)
	}
}

// Route 53 answers PENDING for a change it has just accepted: the wait asks GetChange only after MinDelay, so a
// change that propagates faster costs one GetChange (the SDK's waiter asked at once, and paid two), then doubles the
// delay while the change stays pending.
func TestTheWaitAsksOnceForAChangeFasterThanMinDelay(t *testing.T) {
	tests := []struct {
		name        string
		propagation time.Duration
		want        int
	}{
		{name: "propagated before the first ask", propagation: 20 * time.Millisecond, want: 1},
		{name: "still pending at the first ask", propagation: 90 * time.Millisecond, want: 2}, // asked at 50 ms, then 150 ms
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := zonetest.New()
			f.AddZone(zoneID, "example.com")
			f.Propagation = tt.propagation
			z, err := zone.NewOpener(f, zone.Options{MinDelay: 50 * time.Millisecond, MaxDelay: time.Second, Margin: time.Millisecond}).Open(context.Background(), zoneID)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := z.Apply(ctx, endpointBatch(t, z, "123456"))
			if err != nil || !res.InSync {
				t.Fatalf("Apply = %+v, %v; want in sync", res, err)
			}
			if got := f.Accepted["GetChange"]; got != tt.want {
				t.Errorf("GetChange calls = %d, want %d", got, tt.want)
			}
		})
	}
}
