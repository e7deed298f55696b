package gateway

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A quiet caller's calls reach moto past the faults, leave no trace in the request log, and see the target-health
// overrides without using up their Answers; everyone else's calls are as before.
func TestQuietCallers(t *testing.T) {
	health := `<R><TargetHealthDescriptions><member><Target><Id>10.0.0.5</Id></Target>` +
		`<TargetHealth><State>healthy</State></TargetHealth></member></TargetHealthDescriptions></R>`
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, health)
	}))
	t.Cleanup(backend.Close)
	g, err := New(Config{Backend: backend.URL, QuietCallers: []string{"quiet"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	call := func(key string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/", strings.NewReader("Action=DescribeTargetHealth&TargetGroupArn=tg"))
		r.Header.Set("Authorization", fmt.Sprintf(
			"AWS4-HMAC-SHA256 Credential=%s/20260101/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=0", key))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		return w
	}
	g.SetTargetHealth("10.0.0.5", TargetHealth{State: "unhealthy", Answers: 1})
	g.Throttle("elasticloadbalancing", "DescribeTargetHealth", 1)

	for i := range 3 {
		w := call("quiet")
		if w.Code != 200 || element(w.Body.String(), "State") != "unhealthy" {
			t.Errorf("quiet call %d: %d %s, want 200 and the override's unhealthy", i+1, w.Code, w.Body)
		}
		if w.Header().Get(requestIDHeader) == "" {
			t.Errorf("quiet call %d: no %s", i+1, requestIDHeader)
		}
	}
	if n := len(g.Requests()); n != 0 {
		t.Errorf("request log after quiet calls: %d entries, want 0", n)
	}
	if w := call("loud"); w.Code != 400 {
		t.Errorf("first loud call: %d, want 400 (the throttle the quiet calls left)", w.Code)
	}
	if w := call("loud"); element(w.Body.String(), "State") != "unhealthy" {
		t.Errorf("second loud call: %s, want unhealthy (the override's one answer, left by the quiet calls)", w.Body)
	}
	if w := call("loud"); element(w.Body.String(), "State") != "healthy" {
		t.Errorf("third loud call: %s, want healthy (the override used up)", w.Body)
	}
	if got := g.CountAll("elasticloadbalancing", "DescribeTargetHealth"); got != 3 {
		t.Errorf("logged calls: %d, want 3 (the loud ones)", got)
	}
}
