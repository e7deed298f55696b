package deploy_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

const (
	sampleBucket  = "bluegreen-artifacts-123456789012"
	sampleVersion = "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e"
	sampleDigest  = "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234ef56"
)

// sampleEvent returns one of events/eventbridge-*.json as JSON after change (nil: as it is) edits its decoded form.
func sampleEvent(t testing.TB, name string, change func(e map[string]any)) json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(eventsDir, "eventbridge-"+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]any
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(e)
	}
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func s3Event(t testing.TB, change func(detail, object map[string]any)) json.RawMessage {
	return sampleEvent(t, "s3-object-created", func(e map[string]any) {
		d := e["detail"].(map[string]any)
		change(d, d["object"].(map[string]any))
	})
}

func ecrEvent(t testing.TB, change func(e, detail map[string]any)) json.RawMessage {
	return sampleEvent(t, "ecr-image-push", func(e map[string]any) { change(e, e["detail"].(map[string]any)) })
}

func TestReleaseFromEvent(t *testing.T) {
	s3Artifact := "s3://" + sampleBucket + "/demoapp/releases/1.4.2/demoapp.zip"
	ecrArtifact := func(region, suffix string) string {
		return "123456789012.dkr.ecr." + region + "." + suffix + "/demoapp@" + sampleDigest
	}
	key := func(k string) func(_, o map[string]any) { return func(_, o map[string]any) { o["key"] = k } }
	region := func(r string) func(e, _ map[string]any) { return func(e, _ map[string]any) { e["region"] = r } }
	tests := []struct {
		name string
		in   deploy.Input
		want deploy.Input // the input after; ignored when problems are wanted
		// problems are substrings, one per problem; the input must then be left as it was.
		problems []string
	}{
		{name: "no event: nothing to derive", in: deploy.Input{App: "demoapp", Version: "v2", Source: "cli"},
			want: deploy.Input{App: "demoapp", Version: "v2", Source: "cli"}},
		{name: "S3 object created", in: deploy.Input{App: "demoapp", Event: sampleEvent(t, "s3-object-created", nil)},
			want: deploy.Input{App: "demoapp", Version: sampleVersion, Artifact: s3Artifact, Source: "s3"}},
		{name: "S3, with config overrides kept", in: deploy.Input{App: "demoapp", Config: json.RawMessage(`{"keepFailedStack":true}`), Event: sampleEvent(t, "s3-object-created", nil)},
			want: deploy.Input{App: "demoapp", Version: sampleVersion, Artifact: s3Artifact, Source: "s3", Config: json.RawMessage(`{"keepFailedStack":true}`)}},
		{name: "S3, action deploy given", in: deploy.Input{Action: deploy.ActionDeploy, App: "demoapp", Event: sampleEvent(t, "s3-object-created", nil)},
			want: deploy.Input{Action: deploy.ActionDeploy, App: "demoapp", Version: sampleVersion, Artifact: s3Artifact, Source: "s3"}},
		{name: "S3, a key as the event gives it (not URL-decoded)", in: deploy.Input{App: "demoapp", Event: s3Event(t, key("demoapp/a+b%20c.zip"))},
			want: deploy.Input{App: "demoapp", Version: sampleVersion, Artifact: "s3://" + sampleBucket + "/demoapp/a+b%20c.zip", Source: "s3"}},
		{name: "ECR image push", in: deploy.Input{App: "demoapp", Event: sampleEvent(t, "ecr-image-push", nil)},
			want: deploy.Input{App: "demoapp", Version: "1.4.2", Artifact: ecrArtifact("us-east-1", "amazonaws.com"), Source: "ecr"}},
		{name: "ECR in a China region", in: deploy.Input{App: "demoapp", Event: ecrEvent(t, region("cn-north-1"))},
			want: deploy.Input{App: "demoapp", Version: "1.4.2", Artifact: ecrArtifact("cn-north-1", "amazonaws.com.cn"), Source: "ecr"}},
		{name: "ECR in GovCloud", in: deploy.Input{App: "demoapp", Event: ecrEvent(t, region("us-gov-west-1"))},
			want: deploy.Input{App: "demoapp", Version: "1.4.2", Artifact: ecrArtifact("us-gov-west-1", "amazonaws.com"), Source: "ecr"}},

		{name: "event and version", in: deploy.Input{App: "demoapp", Version: "v9", Event: sampleEvent(t, "s3-object-created", nil)},
			problems: []string{"an input with an event gives no version, artifact or source"}},
		{name: "event and artifact", in: deploy.Input{App: "demoapp", Artifact: "s3://elsewhere/x", Event: sampleEvent(t, "s3-object-created", nil)},
			problems: []string{"an input with an event gives no version, artifact or source"}},
		{name: "event and source", in: deploy.Input{App: "demoapp", Source: "cli", Event: sampleEvent(t, "ecr-image-push", nil)},
			problems: []string{"an input with an event gives no version, artifact or source"}},
		{name: "event with a rollback", in: deploy.Input{Action: deploy.ActionRollback, App: "demoapp", Event: sampleEvent(t, "s3-object-created", nil)},
			problems: []string{"an event starts only a deploy, not a rollback"}},
		{name: "event without app", in: deploy.Input{Event: sampleEvent(t, "s3-object-created", nil)},
			problems: []string{`app name ""`}},
		{name: "not an object", in: deploy.Input{App: "demoapp", Event: json.RawMessage(`[1,2,3]`)},
			problems: []string{"the event must be a JSON object"}},
		{name: "another service's event", in: deploy.Input{App: "demoapp", Event: sampleEvent(t, "s3-object-created", func(e map[string]any) { e["source"] = "aws.ec2" })},
			problems: []string{`a "aws.ec2" event of type "Object Created" starts nothing`}},
		{name: "an S3 object deleted", in: deploy.Input{App: "demoapp", Event: sampleEvent(t, "s3-object-created", func(e map[string]any) { e["detail-type"] = "Object Deleted" })},
			problems: []string{`a "aws.s3" event of type "Object Deleted" starts nothing`}},
		{name: "no source or type", in: deploy.Input{App: "demoapp", Event: json.RawMessage(`{"detail":{}}`)},
			problems: []string{"a no source event of type none starts nothing"}},
		{name: "a source that is not a string", in: deploy.Input{App: "demoapp", Event: json.RawMessage(`{"source":["aws.s3"],"detail-type":"Object Created"}`)},
			problems: []string{"event.source must be a string"}},
		{name: "a key spelt in another case", in: deploy.Input{App: "demoapp", Event: json.RawMessage(`{"Source":"aws.s3","detail-type":"Object Created"}`)},
			problems: []string{`event.Source is not a field: keys must be spelt exactly as "source"`}},
		{name: "a duplicate key", in: deploy.Input{App: "demoapp", Event: json.RawMessage(
			`{"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name":"b-1"},"object":{"key":"demoapp/a","key":"shop/b","version-id":"v1"}}}`)},
			problems: []string{"event.detail.object.key appears more than once"}},
		{name: "a key folded by Unicode", in: deploy.Input{App: "demoapp", Event: json.RawMessage(
			`{"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name":"b-1"},"object":{"key":"demoapp/a","version-id":"v1","\u212aey":"shop/b"}}}`)},
			problems: []string{"keys must be spelt exactly as \"key\""}},
		{name: "S3 key under another app", in: deploy.Input{App: "demoapp", Event: s3Event(t, key("shop/v1.zip"))},
			problems: []string{`"shop/v1.zip" is not under demoapp/`}},
		{name: "S3 key under a longer name", in: deploy.Input{App: "demoapp", Event: s3Event(t, key("demoappx/v1.zip"))},
			problems: []string{"is not under demoapp/"}},
		{name: "S3 key in another case", in: deploy.Input{App: "demoapp", Event: s3Event(t, key("Demoapp/v1.zip"))},
			problems: []string{"is not under demoapp/"}},
		{name: "S3 key climbing out", in: deploy.Input{App: "demoapp", Event: s3Event(t, key("../demoapp/v1.zip"))},
			problems: []string{"is not under demoapp/"}},
		{name: "S3 key with a dot-dot segment", in: deploy.Input{App: "demoapp", Event: s3Event(t, key("demoapp/../shop/v1.zip"))},
			problems: []string{"has a . or .. segment"}},
		{name: "S3 key with a dot segment", in: deploy.Input{App: "demoapp", Event: s3Event(t, key("demoapp/./v1.zip"))},
			problems: []string{"has a . or .. segment"}},
		{name: "S3 folder marker of the app", in: deploy.Input{App: "demoapp", Event: s3Event(t, key("demoapp/"))},
			problems: []string{"ends in /: a folder marker"}},
		{name: "S3 folder marker below", in: deploy.Input{App: "demoapp", Event: s3Event(t, key("demoapp/releases/"))},
			problems: []string{"ends in /: a folder marker"}},
		{name: "S3 key with a control character", in: deploy.Input{App: "demoapp", Event: s3Event(t, key("demoapp/a\nb"))},
			problems: []string{"artifact must be at most 1024 characters without control characters"}},
		{name: "S3 key too long for an artifact", in: deploy.Input{App: "demoapp", Event: s3Event(t, key("demoapp/"+strings.Repeat("k", 1010)))},
			problems: []string{"artifact must be at most 1024 characters"}},
		{name: "S3 key not a string", in: deploy.Input{App: "demoapp", Event: s3Event(t, func(_, o map[string]any) { o["key"] = 7 })},
			problems: []string{"event.detail.object.key must be a string"}},
		{name: "S3 without key, version id or bucket", in: deploy.Input{App: "demoapp", Event: s3Event(t, func(d, o map[string]any) {
			delete(o, "key")
			delete(o, "version-id")
			delete(d, "bucket")
		})}, problems: []string{"event.detail.object.key is missing", "event.detail.object.version-id is missing: the artifact bucket must be versioned", "event.detail.bucket.name is missing"}},
		{name: "S3 bucket name with a slash", in: deploy.Input{App: "demoapp", Event: s3Event(t, func(d, _ map[string]any) { d["bucket"] = map[string]any{"name": "b/demoapp"} })},
			problems: []string{`event.detail.bucket.name "b/demoapp" is not an S3 bucket name`}},
		{name: "S3 version id a version may not be", in: deploy.Input{App: "demoapp", Event: s3Event(t, func(_, o map[string]any) { o["version-id"] = "a b" })},
			problems: []string{`version "a b" must be 1-128 characters`}},
		{name: "ECR delete", in: deploy.Input{App: "demoapp", Event: ecrEvent(t, func(_, d map[string]any) { d["action-type"] = "DELETE" })},
			problems: []string{`an ECR image action "DELETE" with result "SUCCESS" is not a successful push`}},
		{name: "ECR failed push", in: deploy.Input{App: "demoapp", Event: ecrEvent(t, func(_, d map[string]any) { d["result"] = "FAILURE" })},
			problems: []string{"is not a successful push"}},
		{name: "ECR push without tag", in: deploy.Input{App: "demoapp", Event: ecrEvent(t, func(_, d map[string]any) { delete(d, "image-tag") })},
			problems: []string{"event.detail.image-tag is missing: only a tagged push deploys"}},
		{name: "ECR tag a version may not be", in: deploy.Input{App: "demoapp", Event: ecrEvent(t, func(_, d map[string]any) { d["image-tag"] = "-x" })},
			problems: []string{`version "-x" must be`}},
		{name: "ECR fields that would make another image reference", in: deploy.Input{App: "demoapp", Event: ecrEvent(t, func(e, d map[string]any) {
			e["account"], e["region"] = "123456789012.dkr.ecr.evil.example/x#", "us-east-1.evil"
			d["repository-name"], d["image-digest"] = "demoapp@sha256:00", "latest"
		})}, problems: []string{"event.account", "event.region", "event.detail.repository-name", "event.detail.image-digest"}},
		{name: "ECR in an isolated partition", in: deploy.Input{App: "demoapp", Event: ecrEvent(t, region("us-iso-east-1"))},
			problems: []string{`event.region "us-iso-east-1" is not a region whose ECR registry the deployer can name`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in
			err := deploy.ReleaseFromEvent(&got)
			if tt.problems != nil {
				checkProblems(t, problemsOf(t, err), tt.problems)
				if err == nil {
					t.Fatal("no error")
				}
				if diff := cmp.Diff(got, tt.in); diff != "" {
					t.Errorf("a refused input was changed (-got +given):\n%s", diff)
				}
				for _, p := range problemsOf(t, err) {
					if strings.Contains(p, "deploy.") || strings.Contains(p, "struct") || strings.Contains(p, "json:") {
						t.Errorf("problem %q names Go internals", p)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ReleaseFromEvent: %v", err)
			}
			tt.want.Event = tt.in.Event
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("input (-got +want):\n%s", diff)
			}
			if err := deploy.ValidateInput(got); err != nil {
				t.Errorf("the derived input does not validate: %v", err)
			}
		})
	}
}

// hostileKeys are S3 keys (under demoapp/) written to escape a JSON string, add fields, or confuse a decoder. Each
// must end up verbatim in the artifact and nowhere else.
var hostileKeys = []string{
	`demoapp/x","config":{"hostedZoneId":"ZEVIL","serviceRoleArn":"arn:aws:iam::999999999999:role/x"},"app":"shop","a":"`,
	`demoapp/x"}`,
	`demoapp/x","version":"1","artifact":"s3://elsewhere/y`,
	`demoapp/\`,
	`demoapp/a\"b\\c\u0022d`,
	`demoapp/{"app":"shop"}`,
	`demoapp/<aws.events.event.json>`,
	`demoapp/<key>`,
	"demoapp/ſ\u212a\u2028\u2029😀",
	`demoapp/%22%7D%2C%22config%22`,
	`demoapp/a+b c`,
	"demoapp/\u00e9\u0301/..x/.../shop/v1.zip",
}

// As the S3 rule passes it, an event whose key is hostile gives an input with exactly an app and an event; the key
// is then in the artifact, verbatim, and nowhere else.
func TestReleaseFromEventHostileKeys(t *testing.T) {
	for _, k := range hostileKeys {
		t.Run(k, func(t *testing.T) {
			event := s3Event(t, func(_, o map[string]any) { o["key"] = k })
			input := `{"app":"demoapp","event":` + string(event) + `}` // the rule's input template, rendered
			var top map[string]json.RawMessage
			if err := json.Unmarshal([]byte(input), &top); err != nil || len(top) != 2 || top["app"] == nil || top["event"] == nil {
				t.Fatalf("rendered input %s: keys %v (%v), want exactly app and event", input, keys(top), err)
			}
			in, err := deploy.DecodeInput([]byte(input))
			if err != nil {
				t.Fatalf("DecodeInput: %v", err)
			}
			if err := deploy.ReleaseFromEvent(&in); err != nil {
				t.Fatalf("ReleaseFromEvent: %v", err)
			}
			want := deploy.Input{App: "demoapp", Version: sampleVersion, Artifact: "s3://" + sampleBucket + "/" + k, Source: "s3", Event: in.Event}
			if diff := cmp.Diff(in, want); diff != "" {
				t.Errorf("input (-got +want):\n%s", diff)
			}
		})
	}
}

func dotSegment(k string) bool {
	for _, s := range strings.Split(k, "/") {
		if s == "." || s == ".." {
			return true
		}
	}
	return false
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// FuzzReleaseFromEventKey: whatever the S3 key, the derived input is refused with a ValidationError or has the key
// verbatim in its artifact, the app unchanged and no overrides.
func FuzzReleaseFromEventKey(f *testing.F) {
	for _, k := range hostileKeys {
		f.Add(k)
	}
	f.Add("shop/x")
	f.Add("demoapp/")
	f.Fuzz(func(t *testing.T, k string) {
		event := s3Event(t, func(_, o map[string]any) { o["key"] = k })
		in, err := deploy.DecodeInput([]byte(`{"app":"demoapp","event":` + string(event) + `}`))
		if err != nil {
			t.Fatalf("DecodeInput: %v", err)
		}
		err = deploy.ReleaseFromEvent(&in)
		var v *deploy.ValidationError
		if err != nil {
			if !errors.As(err, &v) {
				t.Fatalf("refused with %T, not a ValidationError: %v", err, err)
			}
			if !strings.HasPrefix(k, "demoapp/") || strings.HasSuffix(k, "/") || dotSegment(k) {
				return
			}
			for _, p := range v.Problems {
				if !strings.HasPrefix(p, "artifact ") {
					t.Fatalf("key %q under the prefix refused for %q", k, p)
				}
			}
			return
		}
		// encoding/json writes invalid UTF-8 as U+FFFD, so the key the event carries is the re-encoded one.
		var e struct {
			Detail struct {
				Object struct {
					Key string `json:"key"`
				} `json:"object"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(event, &e); err != nil {
			t.Fatal(err)
		}
		if in.App != "demoapp" || in.Artifact != "s3://"+sampleBucket+"/"+e.Detail.Object.Key || len(in.Config) != 0 || in.Action != "" {
			t.Fatalf("key %q gave %+v", k, in)
		}
	})
}
