package localaws_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/r53model"
)

// With the Route 53 model on, moto's Route 53 behaves as AWS documents it to the SDK: a change is PENDING until
// propagated (the SDK's waiter waits it out), a second change to the zone while the first is processed is refused
// PriorRequestNotComplete and retried by the SDK, and a burst past the account's bucket is throttled.
func TestRoute53Model(t *testing.T) {
	a := localawstest.Use(t, local)
	cfg := r53model.Documented()
	cfg.Propagation, cfg.PriorRequest = 3*time.Second, time.Second // margins for a loaded machine
	a.Gateway.SetRoute53(&cfg)
	c := route53Client(t, a)
	zone := createZone(t, c)

	start := time.Now()
	out, err := c.ChangeResourceRecordSets(t.Context(), txtChange(r53types.ChangeActionCreate, zone, "stack.blue.demoapp.example.com", "123456"))
	if err != nil {
		t.Fatal(err)
	}
	if out.ChangeInfo.Status != r53types.ChangeStatusPending {
		t.Fatalf("change status %s, want PENDING", out.ChangeInfo.Status)
	}
	got, err := c.GetChange(t.Context(), &route53.GetChangeInput{Id: out.ChangeInfo.Id})
	if err != nil || got.ChangeInfo.Status != r53types.ChangeStatusPending {
		t.Fatalf("GetChange at once: %+v, %v; want PENDING", got, err)
	}
	_, err = c.ChangeResourceRecordSets(t.Context(), txtChange(r53types.ChangeActionCreate, zone, "stack.green.demoapp.example.com", "123456"),
		func(o *route53.Options) { o.RetryMaxAttempts = 10 }) // each backoff may be short of the 1 s
	if err != nil {
		t.Fatalf("a second change, retried past PriorRequestNotComplete by the SDK: %v", err)
	}
	if got := refusedBy(a.Gateway.Requests(), r53model.LimitPriorRequest); got == 0 {
		t.Error("no PriorRequestNotComplete for a change at once after the first (the zone processes one for 1 s)")
	}
	w := route53.NewResourceRecordSetsChangedWaiter(c, func(o *route53.ResourceRecordSetsChangedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, 200*time.Millisecond
	})
	if err := w.Wait(t.Context(), &route53.GetChangeInput{Id: out.ChangeInfo.Id}, 10*time.Second); err != nil {
		t.Fatalf("wait for INSYNC: %v", err)
	}
	if waited := time.Since(start); waited < 3*time.Second {
		t.Errorf("INSYNC after %v, want at least the propagation time, 3 s", waited)
	}
	sets, err := c.ListResourceRecordSets(t.Context(), &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone)})
	if err != nil || len(sets.ResourceRecordSets) != 4 { // SOA, NS and the two TXT records
		t.Errorf("records after both changes: %d, %v; want 4", len(sets.ResourceRecordSets), err)
	}

	burst := route53Client(t, a, func(o *route53.Options) { o.Retryer = aws.NopRetryer{} })
	accepted, began := 0, time.Now()
	for range 80 {
		if _, err := burst.ListHostedZones(t.Context(), &route53.ListHostedZonesInput{}); err == nil {
			accepted++
		}
	}
	most := 50 + int(10*time.Since(began).Seconds()) // the burst, and the refill at 10 a second meanwhile
	if throttled := refusedBy(a.Gateway.Requests(), r53model.LimitAccount); throttled == 0 || accepted+throttled != 80 || accepted > most {
		t.Errorf("80 calls in a row: %d accepted, %d throttled by the account's bucket; want at most %d accepted (its burst and refill), the rest throttled", accepted, throttled, most)
	}
}

func refusedBy(reqs []gateway.Request, limit string) int {
	n := 0
	for _, r := range reqs {
		if r.Limit == limit {
			n++
		}
	}
	return n
}
