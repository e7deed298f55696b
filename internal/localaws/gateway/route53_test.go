package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/r53model"
)

// motoChange is moto's answer to every change batch and GetChange: one fixed id, INSYNC.
const motoChange = `<ChangeInfo><Id>/change/C2682N5HXP0BZ4</Id><Status>INSYNC</Status><SubmittedAt>2026-12-01T12:00:00Z</SubmittedAt></ChangeInfo>`

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newRoute53Gateway returns a gateway with the Route 53 model cfg on a fake clock, in front of a fake moto that
// answers change batches and GetChange as moto does (and every other call with an empty list of hosted zones).
func newRoute53Gateway(t *testing.T, cfg r53model.Config) (*Gateway, *fakeClock, string) {
	t.Helper()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		switch {
		case strings.HasSuffix(r.URL.Path, "/rrset") && r.Method == http.MethodPost:
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">`+motoChange+`</ChangeResourceRecordSetsResponse>`)
		case strings.Contains(r.URL.Path, "/change/"):
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><GetChangeResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">`+motoChange+`</GetChangeResponse>`)
		default:
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><ListHostedZonesResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><HostedZones></HostedZones><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems></ListHostedZonesResponse>`)
		}
	}))
	t.Cleanup(backend.Close)
	clock := &fakeClock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	cfg.Now = clock.now
	g, err := New(Config{Backend: backend.URL, Route53: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	front := httptest.NewServer(g)
	t.Cleanup(front.Close)
	return g, clock, front.URL
}

// route53As returns a Route 53 client of the gateway at url signing with that access key, without retries, so
// that every refusal reaches the test.
func route53As(url, accessKey string) *route53.Client {
	return route53.New(route53.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(accessKey, "secret", ""),
		Retryer:     aws.NopRetryer{},
	})
}

func changeTXT(ctx context.Context, c *route53.Client, zone string, names ...string) (*route53.ChangeResourceRecordSetsOutput, error) {
	var changes []r53types.Change
	for _, n := range names {
		changes = append(changes, r53types.Change{Action: r53types.ChangeActionUpsert, ResourceRecordSet: &r53types.ResourceRecordSet{
			Name: aws.String(n), Type: r53types.RRTypeTxt, TTL: aws.Int64(60),
			ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(`"1"`)}},
		}})
	}
	return c.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(zone), ChangeBatch: &r53types.ChangeBatch{Changes: changes},
	})
}

// The model's refusals are Route 53's errors as the SDK reads them: codes Throttling and PriorRequestNotComplete
// (the SDK's modelled types.PriorRequestNotComplete), both of which the SDK's retryer classes as throttles (retry.DefaultThrottleErrorCodes), so that its adaptive
// mode slows down as it does on AWS.
func TestRoute53ModelAnswersAsRoute53(t *testing.T) {
	ctx := t.Context()
	_, _, url := newRoute53Gateway(t, r53model.Config{
		Account: r53model.Bucket{Burst: 3, Rate: 1}, PriorRequest: time.Second, Callers: []string{"fn"}})
	fn := route53As(url, "fn")
	if _, err := changeTXT(ctx, fn, "Z1", "a.example.com"); err != nil {
		t.Fatalf("first change: %v", err)
	}
	_, prior := changeTXT(ctx, fn, "Z1", "b.example.com")
	_, err := fn.ListHostedZones(ctx, &route53.ListHostedZonesInput{})
	if err != nil {
		t.Fatalf("third call: %v", err)
	}
	_, throttled := fn.ListHostedZones(ctx, &route53.ListHostedZonesInput{})
	for _, tt := range []struct {
		err             error
		code, message   string
		wantStatus      int
		wantThrottleSDK bool
	}{
		{prior, "PriorRequestNotComplete", "The request was rejected because Route 53 was still processing a prior request.", 400, true},
		{throttled, "Throttling", "Rate exceeded", 400, true},
	} {
		var api smithy.APIError
		if !errors.As(tt.err, &api) || api.ErrorCode() != tt.code || api.ErrorMessage() != tt.message {
			t.Errorf("error %v, want %s (%q)", tt.err, tt.code, tt.message)
		}
		var re interface{ HTTPStatusCode() int }
		if !errors.As(tt.err, &re) || re.HTTPStatusCode() != tt.wantStatus {
			t.Errorf("%s: HTTP status %v, want %d", tt.code, re, tt.wantStatus)
		}
		if got := retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(tt.err); got != aws.TrueTernary {
			t.Errorf("%s: the SDK's throttle classification says %v, want true", tt.code, got)
		}
	}
	var modelled *r53types.PriorRequestNotComplete
	if !errors.As(prior, &modelled) {
		t.Errorf("PriorRequestNotComplete is not the SDK's modelled error: %T", prior)
	}
	harness := route53As(url, "harness")
	for range 10 {
		if _, err := harness.ListHostedZones(ctx, &route53.ListHostedZonesInput{}); err != nil {
			t.Fatalf("a caller the model does not meter was refused: %v", err)
		}
	}
}

// A change batch of a metered caller is PENDING, with an id of its own, until the propagation time has passed;
// GetChange says so to any caller. A batch of a caller not metered is moto's: INSYNC at once.
func TestRoute53ModelPropagation(t *testing.T) {
	ctx := t.Context()
	g, clock, url := newRoute53Gateway(t, r53model.Config{Propagation: 2 * time.Second, Callers: []string{"fn"}})
	fn, harness := route53As(url, "fn"), route53As(url, "harness")
	first, err := changeTXT(ctx, fn, "Z1", "a.example.com")
	if err != nil {
		t.Fatal(err)
	}
	second, err := changeTXT(ctx, fn, "Z1", "b.example.com")
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(first.ChangeInfo.Id)
	if first.ChangeInfo.Status != r53types.ChangeStatusPending || !strings.HasPrefix(id, "/change/C") ||
		id == "/change/C2682N5HXP0BZ4" || id == aws.ToString(second.ChangeInfo.Id) {
		t.Fatalf("changes %s %s and %s: want PENDING, each with an id of its own", id, first.ChangeInfo.Status, aws.ToString(second.ChangeInfo.Id))
	}
	status := func(c *route53.Client) r53types.ChangeStatus {
		t.Helper()
		out, err := c.GetChange(ctx, &route53.GetChangeInput{Id: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.ChangeInfo.Id) != id {
			t.Errorf("GetChange answered change %s, want %s", aws.ToString(out.ChangeInfo.Id), id)
		}
		return out.ChangeInfo.Status
	}
	clock.advance(1999 * time.Millisecond)
	if got := status(fn); got != r53types.ChangeStatusPending {
		t.Errorf("at +1.999 s: %s, want PENDING", got)
	}
	clock.advance(time.Millisecond)
	if got, byHarness := status(fn), status(harness); got != r53types.ChangeStatusInsync || byHarness != r53types.ChangeStatusInsync {
		t.Errorf("at +2 s: %s (asked by the harness: %s), want INSYNC", got, byHarness)
	}
	set, err := changeTXT(ctx, harness, "Z1", "c.example.com")
	if err != nil || set.ChangeInfo.Status != r53types.ChangeStatusInsync || aws.ToString(set.ChangeInfo.Id) != "/change/C2682N5HXP0BZ4" {
		t.Errorf("the harness's change: %+v, %v; want moto's answer", set, err)
	}
	if n := g.Count("route53", "GetChange"); n != 3 {
		t.Errorf("GetChange calls logged: %d, want 3 (answered by the model, logged all the same)", n)
	}
}

// Throttled calls are in the request log, named by rule; an injected fault still applies first, and takes no token.
func TestRoute53ModelLogsRefusalsAndKeepsFaults(t *testing.T) {
	ctx := t.Context()
	g, clock, url := newRoute53Gateway(t, r53model.Config{
		Account: r53model.Bucket{Burst: 2, Rate: 10}, Changes: r53model.Bucket{Burst: 3, Rate: 1}})
	fn := route53As(url, "fn")
	g.Throttle("route53", "ListHostedZones", 1)
	if _, err := fn.ListHostedZones(ctx, &route53.ListHostedZonesInput{}); err == nil {
		t.Fatal("the injected throttle did not apply")
	}
	if _, err := changeTXT(ctx, fn, "Z1", "a.example.com", "b.example.com"); err != nil {
		t.Fatalf("a batch of 2 changes: %v", err)
	}
	if _, err := changeTXT(ctx, fn, "Z2", "a.example.com", "b.example.com"); err == nil {
		t.Fatal("a second batch of 2 changes with 1 change token left: accepted")
	}
	if _, err := fn.ListHostedZones(ctx, &route53.ListHostedZonesInput{}); err == nil {
		t.Fatal("a third request with a burst of 2: accepted")
	}
	clock.advance(100 * time.Millisecond)
	if _, err := fn.ListHostedZones(ctx, &route53.ListHostedZonesInput{}); err != nil {
		t.Fatalf("after a refill of one token: %v", err)
	}
	var got []string
	for _, r := range g.Requests() {
		got = append(got, r.Operation+":"+r.Fault+":"+r.Limit)
	}
	want := []string{"ListHostedZones:throttle:", "ChangeResourceRecordSets::", "ChangeResourceRecordSets::changes",
		"ListHostedZones::account", "ListHostedZones::"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("request log (operation:fault:limit)\n got %v\nwant %v", got, want)
	}
	if n := g.CountThrottled("route53", ""); n != 3 {
		t.Errorf("CountThrottled = %d, want 3", n)
	}
	g.SetRoute53(nil)
	for range 5 {
		if _, err := fn.ListHostedZones(ctx, &route53.ListHostedZonesInput{}); err != nil {
			t.Fatalf("with the model off: %v", err)
		}
	}
	g.ResetRoute53()
	if g.Route53() == nil || g.Route53().Tokens()["account"] != 2 {
		t.Errorf("ResetRoute53: model %v, want the configured one with full buckets", g.Route53())
	}
}
