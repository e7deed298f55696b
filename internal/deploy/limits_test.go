package deploy_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// An input of more than MaxInputBytes is refused before it is decoded; the largest one is read.
func TestCheckInputSize(t *testing.T) {
	raw := largestInputText(t)
	if len(raw) != deploy.MaxInputBytes {
		t.Fatalf("the largest input is %d bytes, want %d", len(raw), deploy.MaxInputBytes)
	}
	if _, err := deploy.CheckInput(raw); err != nil {
		t.Errorf("the largest input: %v", err)
	}
	over := append(slices.Clip(raw), ' ') // one byte more: trailing white space
	checkProblems(t, problemsOf(t, mustFail(deploy.CheckInput(over))), []string{fmt.Sprintf("the execution input is %d bytes, more than %d", len(over), deploy.MaxInputBytes)})
}

func mustFail(_ deploy.Input, err error) error { return err }

// Every named error's message is bounded, cut at a character boundary, however much its fields hold.
func TestErrorMessagesAreBounded(t *testing.T) {
	long := strings.Repeat("é", deploy.MaxHealthCheckMessage)
	tests := []struct {
		err   error
		limit int
	}{
		{&deploy.ValidationError{Problems: []string{long, long}}, deploy.MaxErrorMessage},
		{&deploy.StackFailedError{Stack: "demoapp-123456", Status: "CREATE_FAILED", Reason: long}, deploy.MaxErrorMessage},
		{&deploy.StateInconsistentError{App: "demoapp", Problems: []string{long}}, deploy.MaxErrorMessage},
		{&deploy.RecordConflictError{Name: "demoapp.example.com", Type: "A", Reason: long}, deploy.MaxErrorMessage},
		{&deploy.TargetMissingError{App: "demoapp", Color: "blue", Reason: long}, deploy.MaxErrorMessage},
		{&deploy.StackInUseError{Stack: "demoapp-123456", Reason: long}, deploy.MaxErrorMessage},
		{&deploy.RetryableError{Op: "shift", Err: errors.New(long)}, deploy.MaxErrorMessage},
		{&deploy.InternalError{Err: errors.New(long)}, deploy.MaxErrorMessage},
		{&deploy.HealthCheckError{Stack: "demoapp-123456", Summary: long}, deploy.MaxHealthCheckMessage},
	}
	for _, tt := range tests {
		msg := tt.err.Error()
		if len(msg) > tt.limit || !utf8.ValidString(msg) || !strings.HasSuffix(msg, "… (cut)") {
			t.Errorf("%T: a message of %d bytes (valid UTF-8: %v), want at most %d, cut and saying so", tt.err, len(msg), utf8.ValidString(msg), tt.limit)
		}
	}
	if msg := (&deploy.StackFailedError{Stack: "demoapp-123456", Status: "CREATE_FAILED", Reason: "boom"}).Error(); msg != "stack demoapp-123456 is CREATE_FAILED: boom" {
		t.Errorf("a short message changed: %q", msg)
	}
}

func TestApprovalValidate(t *testing.T) {
	long := strings.Repeat("x", deploy.MaxApprovalText+1)
	tests := []struct {
		a    deploy.Approval
		want []string
	}{
		{deploy.Approval{Decision: deploy.DecisionPromote, By: strings.Repeat("x", deploy.MaxApprovalText), Reason: "ok"}, nil},
		{deploy.Approval{Decision: deploy.DecisionAbort}, nil},
		{deploy.Approval{Decision: "maybe"}, []string{`decision "maybe" must be promote, promote-full or abort`}},
		{deploy.Approval{Decision: deploy.DecisionPromoteFull, Reason: long}, []string{"at most 1024 bytes each"}},
		{deploy.Approval{Decision: deploy.DecisionPromote, By: long}, []string{"at most 1024 bytes each"}},
	}
	for _, tt := range tests {
		checkProblems(t, problemsOf(t, tt.a.Validate()), tt.want)
	}
}

// Carry leaves the template body, the input's overrides and its event out of the state document; Template gives the
// body back from a configuration made again, only when it is the body Prepare recorded.
func TestCarryAndTemplate(t *testing.T) {
	cfg := validConfig()
	cfg.Template = deploy.Template{Body: "Resources: {} # the body"}
	s := deploy.State{Input: deploy.Input{App: "demoapp", Version: "v2", Config: json.RawMessage(`{"template":{"body":"x"}}`), Event: json.RawMessage(`{"detail":{}}`)}}
	s.Carry(cfg)
	doc, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"the body", `"event"`, `{"body":"x"}`} {
		if strings.Contains(string(doc), gone) {
			t.Errorf("the state document still carries %s: %s", gone, doc)
		}
	}
	if !s.NeedsTemplateBody() || s.TemplateBody.Bytes != len(cfg.Template.Body) || len(s.TemplateBody.SHA256) != 64 {
		t.Errorf("templateBody = %+v, want the body's size and sha256", s.TemplateBody)
	}
	if cfg.Template.Body == "" {
		t.Errorf("Carry changed its argument")
	}

	got, err := s.Template(&cfg)
	if diff := cmp.Diff(got, deploy.Template{Body: cfg.Template.Body}); diff != "" || err != nil {
		t.Errorf("Template = %+v, %v; want the body (-got +want):\n%s", got, err, diff)
	}
	changed := cfg
	changed.Template.Body += " changed"
	if _, err := s.Template(&changed); !strings.Contains(fmt.Sprint(err), "no longer the one this run was prepared with") {
		t.Errorf("Template of a changed body = %v, want a ValidationError saying so", err)
	}
	byURL := validConfig()
	changed.Template = byURL.Template
	if _, err := s.Template(&changed); err == nil {
		t.Errorf("Template of a configuration that now names a url: no error")
	}

	// A url is carried as it is; a state of an earlier version carries its body, which is used as it is.
	var u deploy.State
	u.Carry(byURL)
	if got, err := u.Template(nil); got != byURL.Template || err != nil || u.NeedsTemplateBody() {
		t.Errorf("a url template: %+v, %v", got, err)
	}
	old := deploy.State{Config: &cfg}
	if got, err := old.Template(nil); got != cfg.Template || err != nil {
		t.Errorf("an earlier version's state: %+v, %v", got, err)
	}
}
