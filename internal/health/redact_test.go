package health

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSafeURL(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    string
		secrets []string // must not appear in the result
	}{
		{name: "a plain query is kept", raw: "https://app.example.com/health?version=2&deep=1",
			want: "https://app.example.com/health?version=2&deep=1"},
		{name: "order and escaping are kept", raw: "http://app.example.com/h?b=a%20b&a=%2Fhome&c",
			want: "http://app.example.com/h?b=a%20b&a=%2Fhome&c"},
		{name: "userinfo is removed", raw: "https://admin:hunter2@app.example.com/health?version=2",
			want: "https://app.example.com/health?version=2", secrets: []string{"admin", "hunter2"}},
		{name: "a user without a password is removed", raw: "https://deploy@app.example.com/", want: "https://app.example.com/",
			secrets: []string{"deploy"}},
		{name: "the fragment is removed", raw: "https://app.example.com/cb#access_token=s3cret", want: "https://app.example.com/cb",
			secrets: []string{"s3cret"}},
		{
			name: "an S3 presigned URL",
			raw: "https://b.s3.us-east-1.amazonaws.com/health.json?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
				"&X-Amz-Credential=AKIAEXAMPLE%2F20260501%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260501T120000Z" +
				"&X-Amz-Expires=300&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE&X-Amz-SignedHeaders=host" +
				"&X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924aEXAMPLE",
			want: "https://b.s3.us-east-1.amazonaws.com/health.json?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
				"&X-Amz-Credential=REDACTED&X-Amz-Date=20260501T120000Z&X-Amz-Expires=300&X-Amz-Security-Token=REDACTED" +
				"&X-Amz-SignedHeaders=REDACTED&X-Amz-Signature=REDACTED", // SignedHeaders contains "sig": the rule is by name
			secrets: []string{"AKIAEXAMPLE", "IQoJb3JpZ2luX2VjEXAMPLE", "5d672d79"},
		},
		{
			name: "every secret name, in any letter case",
			raw: "http://h/?ACCESS_TOKEN=v1&Api-Key=v2&client_secret=v3&sig=v4&PassWord=v5&Authorization=v6" +
				"&aws_credential=v7&SessionID=v8&signature=v9&version=2",
			want: "http://h/?ACCESS_TOKEN=REDACTED&Api-Key=REDACTED&client_secret=REDACTED&sig=REDACTED&PassWord=REDACTED" +
				"&Authorization=REDACTED&aws_credential=REDACTED&SessionID=REDACTED&signature=REDACTED&version=2",
			secrets: []string{"v1", "v3", "v5", "v7", "v9"},
		},
		{name: "a repeated parameter", raw: "http://h/?token=a1&token=b2", want: "http://h/?token=REDACTED&token=REDACTED",
			secrets: []string{"a1", "b2"}},
		{name: "an empty value", raw: "http://h/?token=&x=1", want: "http://h/?token=REDACTED&x=1"},
		{name: "a name without a value", raw: "http://h/?token&x=1", want: "http://h/?token&x=1"},
		{name: "a value with '='", raw: "http://h/?sig=a=b&x=1", want: "http://h/?sig=REDACTED&x=1", secrets: []string{"a=b"}},
		{name: "a parameter after ';'", raw: "http://h/?a=1;token=s3cret", want: "http://h/?a=1;token=REDACTED",
			secrets: []string{"s3cret"}},
		{name: "an escaped name", raw: "http://h/?to%6Ben=s3cret", want: "http://h/?to%6Ben=REDACTED", secrets: []string{"s3cret"}},
		{name: "a name with KELVIN SIGN for k", raw: "http://h/?api_%E2%84%AAey=s3cret", want: "http://h/?api_%E2%84%AAey=REDACTED",
			secrets: []string{"s3cret"}},
		{name: "a name with LONG S for s", raw: "http://h/?%C5%BFe%C5%BFsion=s3cret", want: "http://h/?%C5%BFe%C5%BFsion=REDACTED",
			secrets: []string{"s3cret"}},
		{name: "a name that does not unescape", raw: "http://h/?%zz=s3cret&x=1", want: "http://h/?%zz=REDACTED&x=1",
			secrets: []string{"s3cret"}},
		{name: "a value named like a secret is not a name", raw: "http://h/?mode=token", want: "http://h/?mode=token"},
		{name: "not a URL", raw: "http://[::1/?token=s3cret", want: "(unparsable URL)", secrets: []string{"s3cret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SafeURL(tt.raw)
			if got != tt.want {
				t.Errorf("SafeURL(%q) = %q, want %q", tt.raw, got, tt.want)
			}
			for _, s := range tt.secrets {
				if strings.Contains(got, s) {
					t.Errorf("SafeURL(%q) = %q shows %q", tt.raw, got, s)
				}
			}
		})
	}
}

// The URLs a probe meets — its own, a redirect's, an unparsable Location header — reach the verdict (probes,
// failures, summary) redacted, and so does the URL of a spec that cannot be checked.
func TestProbeURLsRedactedEverywhere(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/offhost", http.RedirectHandler("http://other.example.com/x?X-Amz-Signature=s3cret-sig&v=2", http.StatusFound))
	mux.HandleFunc("/badlocation", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", "http://[bad/?token=s3cret-loc")
		w.WriteHeader(http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	tests := []struct {
		path      string
		wantError string
	}{
		{path: "/offhost", wantError: "redirect to http://other.example.com/x?X-Amz-Signature=REDACTED&v=2 refused: not on 127.0.0.1"},
		{path: "/badlocation", wantError: "a redirect's Location header does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			spec := baseSpec("http://user:pw-s3cret@" + strings.TrimPrefix(srv.URL, "http://") + tt.path + "?api_key=s3cret-key&v=2")
			spec.Successes, spec.Attempts = 1, 1
			got, err := NewChecker(nil, nil, WithClock(newFakeClock(time.Now()))).Check(context.Background(), spec)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if len(got.Probes) != 1 || got.Probes[0].Error != tt.wantError {
				t.Errorf("probes = %+v, want one with error %q", got.Probes, tt.wantError)
			}
			wantURL := srv.URL + tt.path + "?api_key=REDACTED&v=2"
			if got.Probes[0].URL != wantURL || !strings.Contains(got.Summary, wantURL) {
				t.Errorf("probe URL %q, summary %q; want %q in both", got.Probes[0].URL, got.Summary, wantURL)
			}
			b, _ := json.Marshal(got)
			if strings.Contains(string(b), "s3cret") || strings.Contains(string(b), "user") {
				t.Errorf("the verdict shows a secret: %s", b)
			}
		})
	}

	err := Spec{URL: "ftp://user:pw-s3cret@h/?token=s3cret-tok&v=2"}.Validate()
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "ftp://h/?token=REDACTED&v=2") {
		t.Errorf("Validate = %v, want the URL redacted", err)
	}
}

// FuzzRedactQuery checks that no secret-named parameter keeps its value and that the rest of the query is kept.
func FuzzRedactQuery(f *testing.F) {
	for _, s := range []string{"version=2", "token=a&x=1", "a=1;X-Amz-Signature=s", "to%6Ben=s", "%zz=s", "sig", "=&&;="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := redactQuery(raw)
		in, out := strings.FieldsFunc(raw, isQuerySep), strings.FieldsFunc(got, isQuerySep)
		if strings.Count(got, "&")+strings.Count(got, ";") != strings.Count(raw, "&")+strings.Count(raw, ";") || len(in) != len(out) {
			t.Fatalf("redactQuery(%q) = %q: parameters added or lost", raw, got)
		}
		for i, pair := range out {
			name, value, hasValue := strings.Cut(pair, "=")
			if hasValue && secretName(name) && value != Redacted {
				t.Errorf("redactQuery(%q) = %q keeps the value of %q", raw, got, name)
			}
			if !hasValue || !secretName(name) {
				if pair != in[i] {
					t.Errorf("redactQuery(%q) = %q changed %q into %q", raw, got, in[i], pair)
				}
			}
		}
	})
}

func isQuerySep(r rune) bool { return r == '&' || r == ';' }
