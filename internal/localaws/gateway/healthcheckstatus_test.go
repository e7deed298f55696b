package gateway

import (
	"strings"
	"testing"
)

// GetHealthCheckStatus reports what the local checkers find: moto's "Success" for every check stands unless the
// status function knows the check to be unhealthy, and ClearFaults does not take the model away.
func TestHealthCheckStatusFromTheLocalCheckers(t *testing.T) {
	var g Gateway
	g.SetHealthCheckStatus(func(id string) (bool, bool) {
		return map[string][2]bool{"bad": {false, true}, "good": {true, true}}[id][0], id == "bad" || id == "good"
	})
	g.ClearFaults()
	answer := `<GetHealthCheckStatusResponse><HealthCheckObservations>` +
		`<HealthCheckObservation><Region>us-east-1</Region><StatusReport><Status>Success: HTTP Status Code: 200. Resolved IP: 1.2.3.4</Status></StatusReport></HealthCheckObservation>` +
		`<HealthCheckObservation><Region>eu-west-1</Region><StatusReport><Status>Success: HTTP Status Code: 200. Resolved IP: 1.2.3.4</Status></StatusReport></HealthCheckObservation>` +
		`</HealthCheckObservations></GetHealthCheckStatusResponse>`
	for id, wantFailures := range map[string]int{"bad": 2, "good": 0, "unknown": 0} {
		call := Call{Service: "route53", Operation: "GetHealthCheckStatus", Path: "/2013-04-01/healthcheck/" + id + "/status"}
		got := answer
		if rewrite := g.overrides.rewriter(call, true); rewrite != nil {
			got = string(rewrite([]byte(answer)))
		}
		if n := strings.Count(got, "<Status>Failure:"); n != wantFailures || strings.Count(got, "<Status>") != 2 {
			t.Errorf("check %s: %d failed observations of %d, want %d:\n%s", id, n, strings.Count(got, "<Status>"), wantFailures, got)
		}
	}
	other := Call{Service: "route53", Operation: "GetHealthCheck", Path: "/2013-04-01/healthcheck/bad"}
	if g.overrides.rewriter(other, true) != nil {
		t.Error("GetHealthCheck is rewritten; only GetHealthCheckStatus should be")
	}
}
