package localaws_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"

	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
)

func route53Client(t *testing.T, a *localaws.AWS, optFns ...func(*route53.Options)) *route53.Client {
	t.Helper()
	cfg, err := a.Config(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return route53.NewFromConfig(cfg, optFns...)
}

func createZone(t *testing.T, c *route53.Client) string {
	t.Helper()
	out, err := c.CreateHostedZone(t.Context(), &route53.CreateHostedZoneInput{
		Name: aws.String("example.com"), CallerReference: aws.String(time.Now().String())})
	if err != nil {
		t.Fatalf("create hosted zone: %v", err)
	}
	return aws.ToString(out.HostedZone.Id)
}

func upsertTXT(t *testing.T, c *route53.Client, zone, name, value string) error {
	t.Helper()
	_, err := c.ChangeResourceRecordSets(t.Context(), txtChange(r53types.ChangeActionUpsert, zone, name, value))
	return err
}

// txtChange is a batch of one change of a TXT record.
func txtChange(action r53types.ChangeAction, zone, name, value string) *route53.ChangeResourceRecordSetsInput {
	return &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(zone),
		ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{{
			Action: action,
			ResourceRecordSet: &r53types.ResourceRecordSet{
				Name: aws.String(name), Type: r53types.RRTypeTxt, TTL: aws.Int64(60),
				ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(`"` + value + `"`)}},
			},
		}}},
	}
}

// A throttled change is retried by the SDK's standard retryer; the log tells the
// accepted call from the throttled one.
func TestThrottledChangeIsRetried(t *testing.T) {
	for _, code := range []string{"", "PriorRequestNotComplete"} {
		t.Run("code="+code, func(t *testing.T) {
			a := localawstest.Use(t, local)
			c := route53Client(t, a)
			zone := createZone(t, c)
			if _, err := a.Gateway.Inject(gateway.Fault{Kind: gateway.KindThrottle, Service: "route53",
				Operation: "ChangeResourceRecordSets", Code: code}); err != nil {
				t.Fatal(err)
			}
			if err := upsertTXT(t, c, zone, "stack.active.demoapp.example.com", "123456"); err != nil {
				t.Fatalf("change after one throttle: %v", err)
			}
			if got := a.Gateway.Count("route53", "ChangeResourceRecordSets"); got != 1 {
				t.Errorf("accepted changes: %d, want 1", got)
			}
			if got := a.Gateway.CountAll("route53", "ChangeResourceRecordSets"); got != 2 {
				t.Errorf("all change calls: %d, want 2 (one throttled, one accepted)", got)
			}
			var first gateway.Request
			for _, r := range a.Gateway.Requests() {
				if r.Operation == "ChangeResourceRecordSets" {
					first = r
					break
				}
			}
			if first.Status != http.StatusBadRequest || first.Fault != "throttle" {
				t.Errorf("first change: status %d fault %q, want 400 throttle", first.Status, first.Fault)
			}
		})
	}
}

// Without retries, the throttle is what the SDK reports: Route 53's own error code.
func TestThrottleErrorCode(t *testing.T) {
	a := localawstest.Use(t, local)
	c := route53Client(t, a, func(o *route53.Options) { o.RetryMaxAttempts = 1 })
	zone := createZone(t, c)
	a.Gateway.Throttle("route53", "", 1)
	err := upsertTXT(t, c, zone, "a.example.com", "x")
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "Throttling" {
		t.Fatalf("throttled change: %v, want the error code Throttling", err)
	}
	a.Gateway.FailWith("route53", "ChangeResourceRecordSets", 1, http.StatusServiceUnavailable)
	err = upsertTXT(t, c, zone, "a.example.com", "x")
	var respErr interface{ HTTPStatusCode() int }
	if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != http.StatusServiceUnavailable {
		t.Fatalf("failed change: %v, want status 503", err)
	}
	if err := upsertTXT(t, c, zone, "a.example.com", "x"); err != nil {
		t.Errorf("change after the faults are used up: %v", err)
	}
}

func TestHold(t *testing.T) {
	a := localawstest.Use(t, local)
	c := route53Client(t, a)

	// Held for a duration.
	a.Gateway.Hold("route53", "ListHostedZones", 300*time.Millisecond)
	start := time.Now()
	if _, err := c.ListHostedZones(t.Context(), &route53.ListHostedZonesInput{}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("a call held for 300ms answered after %v", took)
	}

	// Held until released.
	hold := a.Gateway.Hold("route53", "ListHostedZones", 0)
	done := make(chan error, 1)
	go func() {
		_, err := c.ListHostedZones(t.Context(), &route53.ListHostedZonesInput{})
		done <- err
	}()
	<-hold.Arrived()
	select {
	case err := <-done:
		t.Fatalf("a held call answered before its release: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	hold.Release()
	if err := <-done; err != nil {
		t.Errorf("released call: %v", err)
	}
	if got := a.Gateway.Count("route53", "ListHostedZones"); got != 2 {
		t.Errorf("accepted ListHostedZones: %d, want 2", got)
	}
}

// The control API does over HTTP what the Go API does.
func TestControlAPI(t *testing.T) {
	a := localawstest.Use(t, local)
	c := route53Client(t, a, func(o *route53.Options) { o.RetryMaxAttempts = 1 })
	post := func(method, path, body string) string {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), method, a.Endpoint+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return string(b)
	}
	post("POST", "/_localaws/faults", `{"kind": "throttle", "service": "route53", "operation": "ListHostedZones"}`)
	if _, err := c.ListHostedZones(t.Context(), &route53.ListHostedZonesInput{}); err == nil {
		t.Error("ListHostedZones succeeded despite the throttle")
	}
	if got := post("GET", "/_localaws/requests", ""); !strings.Contains(got, `"fault":"throttle"`) {
		t.Errorf("request log %s: no throttled call", got)
	}
	post("DELETE", "/_localaws/requests", "")
	if got := len(a.Gateway.Requests()); got != 0 {
		t.Errorf("%d calls logged after DELETE /_localaws/requests", got)
	}
	id := post("POST", "/_localaws/faults", `{"kind": "hold", "service": "route53"}`)
	post("DELETE", "/_localaws/faults", "")
	if _, err := c.ListHostedZones(t.Context(), &route53.ListHostedZonesInput{}); err != nil {
		t.Errorf("ListHostedZones after clearing the faults (%s): %v", id, err)
	}
}

// Reset clears moto's state, the faults and the request log.
func TestReset(t *testing.T) {
	a := localawstest.Use(t, local)
	c := route53Client(t, a)
	createZone(t, c)
	a.Gateway.Throttle("route53", "ListHostedZones", 5)
	a.Gateway.SetStackStatus("app-1", gateway.StackStatus{Status: "CREATE_FAILED"})
	if err := a.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := len(a.Gateway.Requests()); got != 0 {
		t.Errorf("%d calls logged after Reset", got)
	}
	out, err := c.ListHostedZones(t.Context(), &route53.ListHostedZonesInput{})
	if err != nil {
		t.Fatalf("list hosted zones after Reset (the throttle should be gone): %v", err)
	}
	if len(out.HostedZones) != 0 {
		t.Errorf("hosted zones after Reset: %d, want 0", len(out.HostedZones))
	}
}

// invokeEcho invokes the echo bootstrap (under aws-lambda-rie) through the gateway with that input, and returns
// its answer; a failed invoke fails the test (with t.Error: it may run in a goroutine of the test).
func invokeEcho(t *testing.T, a *localaws.AWS, input string) []byte {
	t.Helper()
	resp, err := http.Post(a.Endpoint+"/2015-03-31/functions/echo/invocations", "application/json",
		bytes.NewReader([]byte(input)))
	if err != nil {
		t.Error(err)
		return nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(b, []byte(`{"echo":`)) {
		t.Errorf("invoke echo %s: %d %s", input, resp.StatusCode, b)
		return nil
	}
	return b
}
