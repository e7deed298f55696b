package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/google/go-cmp/cmp"
)

const sigV4 = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/%s/aws4_request, SignedHeaders=host, Signature=0"

func TestClassify(t *testing.T) {
	tests := []struct {
		method, path, service, target, body string
		want                                Call
	}{
		{method: "POST", path: "/2013-04-01/hostedzone/Z1/rrset", service: "route53",
			want: Call{Service: "route53", Operation: "ChangeResourceRecordSets"}},
		{method: "GET", path: "/2013-04-01/hostedzone/Z1/rrset", service: "route53",
			want: Call{Service: "route53", Operation: "ListResourceRecordSets"}},
		{method: "GET", path: "/2013-04-01/change/C1", service: "route53",
			want: Call{Service: "route53", Operation: "GetChange"}},
		{method: "GET", path: "/2013-04-01/hostedzone/Z1", service: "route53",
			want: Call{Service: "route53", Operation: "GetHostedZone"}},
		{method: "POST", path: "/2013-04-01/hostedzone", service: "route53",
			want: Call{Service: "route53", Operation: "CreateHostedZone"}},
		{method: "GET", path: "/2013-04-01/hostedzonesbyname", service: "route53",
			want: Call{Service: "route53", Operation: "ListHostedZonesByName"}},
		{method: "GET", path: "/2013-04-01/healthcheck/hc-1", service: "route53",
			want: Call{Service: "route53", Operation: "GetHealthCheck"}},
		{method: "GET", path: "/2013-04-01/healthcheck/hc-1/status", service: "route53",
			want: Call{Service: "route53", Operation: "GetHealthCheckStatus"}},
		{method: "GET", path: "/2013-04-01/healthcheck/hc-1/lastfailurereason", service: "route53",
			want: Call{Service: "route53", Operation: "GetHealthCheckLastFailureReason"}},
		{method: "POST", path: "/", service: "cloudformation", body: "Action=DescribeStacks&StackName=app-1",
			want: Call{Service: "cloudformation", Operation: "DescribeStacks"}},
		{method: "POST", path: "/", service: "dynamodb", target: "DynamoDB_20120810.PutItem",
			want: Call{Service: "dynamodb", Operation: "PutItem"}},
		{method: "POST", path: "/", service: "states", target: "AWSStepFunctions.StartExecution",
			want: Call{Service: "states", Operation: "StartExecution"}},
		{method: "POST", path: "/service/GraniteServiceVersion20100801/operation/GetMetricData", service: "monitoring",
			want: Call{Service: "monitoring", Operation: "GetMetricData"}},
		{method: "PUT", path: "/bucket/key.zip", service: "s3", want: Call{Service: "s3", Operation: "PutObject"}},
		{method: "GET", path: "/bucket", service: "s3", want: Call{Service: "s3", Operation: "ListObjects"}},
		{method: "POST", path: "/2015-03-31/functions/createstack/invocations", service: "lambda",
			want: Call{Service: "lambda", Operation: "Invoke", Function: "createstack"}},
		{method: "POST", path: "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:switch:live/invocations",
			service: "lambda", want: Call{Service: "lambda", Operation: "Invoke", Function: "switch"}},
		{method: "POST", path: "/2015-03-31/functions/rollback:3/invocations", // unsigned: still Lambda
			want: Call{Service: "lambda", Operation: "Invoke", Function: "rollback"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.service != "" {
				r.Header.Set("Authorization", fmt.Sprintf(sigV4, tt.service))
			}
			if tt.target != "" {
				r.Header.Set("X-Amz-Target", tt.target)
			}
			if tt.body != "" {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			}
			got := classify(r, []byte(tt.body))
			if tt.service != "" && got.AccessKey != "AKID" {
				t.Errorf("access key %q, want AKID (the request's credential)", got.AccessKey)
			}
			got.Params, got.Region, got.AccessKey, got.Path = nil, "", "", ""
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("classify (-want +got):\n%s", diff)
			}
		})
	}
}

type ValidationError struct{ Field string }

func (e *ValidationError) Error() string { return "invalid " + e.Field }

type valueError struct{}

func (valueError) Error() string { return "value" }

func TestHandlerErrorNames(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&ValidationError{Field: "app"}, `{"errorMessage":"invalid app","errorType":"ValidationError"}`},
		{valueError{}, `{"errorMessage":"value","errorType":"valueError"}`},
		{errors.New("plain"), `{"errorMessage":"plain","errorType":"errorString"}`},
		{fmt.Errorf("wrapped: %w", &ValidationError{}), `{"errorMessage":"wrapped: invalid ","errorType":"wrapError"}`},
	}
	for _, tt := range tests {
		got := handlerError(tt.err)
		if !got.failed || string(got.payload) != tt.want {
			t.Errorf("handlerError(%v) = %s (failed %v), want %s", tt.err, got.payload, got.failed, tt.want)
		}
	}
}

// newTestGateway returns a gateway in front of a fake moto that answers every call
// with 200 "moto" and no request id.
func newTestGateway(t *testing.T, handlers map[string]Handler) (*Gateway, *httptest.Server) {
	t.Helper()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "moto")
	}))
	t.Cleanup(backend.Close)
	g, err := New(Config{Backend: backend.URL, Handlers: handlers})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g, backend
}

func do(g *Gateway, method, path, service, target, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if service != "" {
		r.Header.Set("Authorization", fmt.Sprintf(sigV4, service))
	}
	if target != "" {
		r.Header.Set("X-Amz-Target", target)
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	}
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	return w
}

func TestInvoke(t *testing.T) {
	fail := lambda.NewHandler(func(ctx context.Context, in map[string]any) (map[string]any, error) {
		return nil, &ValidationError{Field: "app"}
	})
	ok := lambda.NewHandler(func(ctx context.Context, in map[string]any) (map[string]any, error) {
		return map[string]any{"got": in["v"]}, nil
	})
	g, _ := newTestGateway(t, map[string]Handler{"fail": fail, "ok": ok})

	w := do(g, "POST", "/2015-03-31/functions/ok/invocations", "lambda", "", `{"v": 1}`)
	if w.Code != 200 || w.Body.String() != `{"got":1}` || w.Header().Get("X-Amz-Function-Error") != "" {
		t.Errorf("invoke ok: %d %s %v", w.Code, w.Body, w.Header())
	}
	w = do(g, "POST", "/2015-03-31/functions/fail/invocations", "lambda", "", `{}`)
	if w.Code != 200 || w.Header().Get("X-Amz-Function-Error") != "Unhandled" ||
		w.Body.String() != `{"errorMessage":"invalid app","errorType":"ValidationError"}` {
		t.Errorf("invoke fail: %d %s %v", w.Code, w.Body, w.Header())
	}
	w = do(g, "POST", "/2015-03-31/functions/nope/invocations", "lambda", "", `{}`)
	if w.Code != 404 || w.Header().Get("X-Amzn-ErrorType") != "ResourceNotFoundException" {
		t.Errorf("invoke of an unknown function: %d %v", w.Code, w.Header())
	}
	for _, w := range []*httptest.ResponseRecorder{w, do(g, "GET", "/", "sts", "", "")} {
		if w.Header().Get("X-Amzn-Requestid") == "" {
			t.Errorf("answer without X-Amzn-Requestid: %d %v", w.Code, w.Header())
		}
	}
	if got := g.Count("lambda", "Invoke"); got != 2 {
		t.Errorf("accepted invokes: %d, want 2", got)
	}
}

func TestThrottleAnswers(t *testing.T) {
	g, _ := newTestGateway(t, nil)
	tests := []struct {
		service, target, path string
		wantStatus            int
		wantBody              string
	}{
		{"route53", "", "/2013-04-01/hostedzone/Z1/rrset", 400,
			`<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>`},
		{"dynamodb", "DynamoDB_20120810.PutItem", "/", 400, `{"__type":"ThrottlingException","message":"Rate exceeded"}`},
		{"cloudformation", "", "/", 400, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>`},
		{"lambda", "", "/2015-03-31/functions/x/invocations", 429, `{"Type":"User","message":"Rate exceeded"}`},
	}
	for _, tt := range tests {
		g.Throttle(tt.service, "", 1)
		w := do(g, "POST", tt.path, tt.service, tt.target, "")
		if w.Code != tt.wantStatus || !strings.Contains(w.Body.String(), tt.wantBody) {
			t.Errorf("throttled %s: %d %s, want %d %s", tt.service, w.Code, w.Body, tt.wantStatus, tt.wantBody)
		}
		if w := do(g, "POST", tt.path, tt.service, tt.target, ""); w.Code == tt.wantStatus {
			t.Errorf("%s: the second call was throttled too", tt.service)
		}
	}
}

func TestRewrites(t *testing.T) {
	stacks := `<DescribeStacksResponse><DescribeStacksResult><Stacks>` +
		`<member><StackName>app-1</StackName><StackStatus>CREATE_COMPLETE</StackStatus><Outputs><member><OutputKey>K</OutputKey></member></Outputs></member>` +
		`<member><StackName>app-2</StackName><StackStatus>CREATE_COMPLETE</StackStatus></member>` +
		`</Stacks></DescribeStacksResult></DescribeStacksResponse>`
	got := string(rewriteStacks([]byte(stacks), map[string]StackStatus{"app-1": {Status: "ROLLBACK_COMPLETE", Reason: "a & b"}}))
	want := strings.Replace(stacks, "<StackStatus>CREATE_COMPLETE</StackStatus>",
		"<StackStatus>ROLLBACK_COMPLETE</StackStatus><StackStatusReason>a &amp; b</StackStatusReason>", 1)
	if got != want {
		t.Errorf("rewriteStacks:\n got %s\nwant %s", got, want)
	}

	health := `<R><TargetHealthDescriptions>` +
		`<member><Target><Id>10.0.0.5</Id></Target><TargetHealth><State>healthy</State></TargetHealth></member>` +
		`<member><Target><Id>10.0.0.6</Id></Target><TargetHealth><State>healthy</State></TargetHealth></member>` +
		`</TargetHealthDescriptions></R>`
	got = string(rewriteTargetHealth([]byte(health), map[string]TargetHealth{"10.0.0.6": {State: "unhealthy", Reason: "Target.Timeout"}}))
	want = strings.Replace(health, "<Id>10.0.0.6</Id></Target><TargetHealth><State>healthy</State>",
		"<Id>10.0.0.6</Id></Target><TargetHealth><State>unhealthy</State><Reason>Target.Timeout</Reason>", 1)
	if got != want {
		t.Errorf("rewriteTargetHealth:\n got %s\nwant %s", got, want)
	}
}

func TestIsErrorDocument(t *testing.T) {
	for body, want := range map[string]bool{
		`{"errorType":"BoomError","errorMessage":"boom"}`:                 true,
		`{"errorMessage":"boom","errorType":"BoomError","stackTrace":[]}`: true,
		`{"errorMessage":"boom"}`:                                         false,
		`{"payload":1}`:                                                   false,
		`"text"`:                                                          false,
	} {
		if got := isErrorDocument([]byte(body)); got != want {
			t.Errorf("isErrorDocument(%s) = %v, want %v", body, got, want)
		}
	}
}

// A fault with After lets that many matching calls through, then applies.
func TestFaultAfter(t *testing.T) {
	var g Gateway
	i, err := g.Inject(Fault{Kind: KindHold, Service: "route53", After: 2})
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	for range 4 {
		got = append(got, i.take())
	}
	if want := []bool{false, false, true, false}; !slices.Equal(got, want) {
		t.Errorf("take = %v, want %v", got, want)
	}
	if _, err := g.Inject(Fault{Kind: KindHold, Service: "route53", After: -1}); err == nil {
		t.Error("a negative After: no error")
	}
}
