package health

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
)

func encodedSize(t *testing.T, v Verdict) int {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func TestCapEvidenceHuge(t *testing.T) {
	long := strings.Repeat("é<&", 400) // multi-byte and escaped characters, far past every string limit
	v := Verdict{
		Summary:   "probe 3000/3000 " + long,
		CheckedAt: "2026-05-01T12:00:00Z",
	}
	for i := range 60 {
		v.Failures = append(v.Failures, fmt.Sprintf("failure %d: %s", i, long))
	}
	for i := 1; i <= 3000; i++ {
		p := Probe{Attempt: i, URL: "http://app.example.com/health/" + long, Status: 200, LatencyMs: 12, OK: true}
		if i == 7 {
			p.OK, p.Status, p.Error = false, 503, "status 503, want 200"
		}
		v.Probes = append(v.Probes, p)
	}
	for i := range 5000 {
		tg := fmt.Sprintf("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-%d/%s", i%7, long)
		tr := Target{TargetGroup: tg, ID: fmt.Sprintf("i-%017d", i), Port: 80, State: "healthy"}
		if i == 4321 {
			tr.State, tr.Reason = "unhealthy", "Target.Timeout: "+long
		}
		v.Targets = append(v.Targets, tr)
	}
	for i := range 3000 {
		a := Alarm{Name: fmt.Sprintf("alarm-%04d", i), State: "OK", Metric: long, Threshold: 1, Reason: long}
		switch i {
		case 2999:
			a.State = "ALARM"
		case 1500:
			a.State = "INSUFFICIENT_DATA"
		}
		v.Alarms = append(v.Alarms, a)
	}
	total := len(v.Failures) + len(v.Probes) + len(v.Targets) + len(v.Alarms)

	capEvidence(&v)

	if size := encodedSize(t, v); size > MaxVerdictBytes {
		t.Errorf("encoded verdict is %d bytes, want at most %d", size, MaxVerdictBytes)
	}
	kept := len(v.Failures) + len(v.Probes) + len(v.Targets) + len(v.Alarms)
	if v.Truncated != total-kept {
		t.Errorf("Truncated = %d, want %d (%d items, %d kept)", v.Truncated, total-kept, total, kept)
	}
	if kept == 0 || len(v.Probes) == 0 || len(v.Targets) == 0 || len(v.Alarms) == 0 || len(v.Failures) == 0 {
		t.Errorf("kept %d failures, %d probes, %d targets, %d alarms: want some of each",
			len(v.Failures), len(v.Probes), len(v.Targets), len(v.Alarms))
	}
	if v.Failures[0] != truncate(fmt.Sprintf("failure 0: %s", long), maxLineBytes) {
		t.Errorf("first failure line = %q, want the first one, shortened", v.Failures[0])
	}
	if !hasProbe(v.Probes, func(p Probe) bool { return p.Attempt == 7 && !p.OK }) {
		t.Errorf("the failed probe 7 was dropped")
	}
	if !hasProbe(v.Probes, func(p Probe) bool { return p.Attempt == 3000 }) {
		t.Errorf("the most recent probe was dropped")
	}
	if hasProbe(v.Probes, func(p Probe) bool { return p.Attempt == 1 }) {
		t.Errorf("the oldest successful probe was kept before more recent ones")
	}
	for i := 1; i < len(v.Probes); i++ {
		if v.Probes[i-1].Attempt >= v.Probes[i].Attempt {
			t.Errorf("probes out of order: %d before %d", v.Probes[i-1].Attempt, v.Probes[i].Attempt)
		}
	}
	if !slices.ContainsFunc(v.Targets, func(t Target) bool { return t.ID == "i-00000000000004321" }) {
		t.Errorf("the unhealthy target was dropped")
	}
	// Alarms: ALARM and INSUFFICIENT_DATA before OK ones; kept in their original order.
	var states []string
	for _, a := range v.Alarms {
		states = append(states, a.State)
	}
	if len(states) < 3 || !slices.Contains(states, "ALARM") || !slices.Contains(states, "INSUFFICIENT_DATA") {
		t.Errorf("alarm states kept = %v, want ALARM, INSUFFICIENT_DATA and some OK", states)
	}
	if !slices.IsSortedFunc(v.Alarms, func(a, b Alarm) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("alarms kept out of their original order: %+v", v.Alarms)
	}
	t.Logf("kept %d failures, %d probes, %d targets, %d alarms; %d bytes",
		len(v.Failures), len(v.Probes), len(v.Targets), len(v.Alarms), encodedSize(t, v))
	for _, s := range v.Failures {
		if b, _ := json.Marshal(s); len(b)-2 > maxLineBytes {
			t.Errorf("failure line of %d encoded bytes kept, want at most %d", len(b)-2, maxLineBytes)
		}
	}
}

func hasProbe(ps []Probe, f func(Probe) bool) bool {
	for _, p := range ps {
		if f(p) {
			return true
		}
	}
	return false
}

func TestCapEvidenceSmallUnchanged(t *testing.T) {
	v := Verdict{
		Summary: "healthy: 3 probes in a row succeeded (3 attempts)",
		Probes:  []Probe{{Attempt: 1, URL: "http://x/", Status: 200, OK: true}},
		Targets: []Target{{TargetGroup: tgWeb, ID: "i-1", Port: 80, State: "healthy"}},
		Alarms:  []Alarm{{Name: "a", State: "OK"}},
	}
	want := v

	capEvidence(&v)

	if diff := cmp.Diff(v, want); diff != "" {
		t.Errorf("small verdict changed (-got +want):\n%s", diff)
	}
}

func TestCheckVerdictStaysUnderCap(t *testing.T) {
	descs := make([]elbtypes.TargetHealthDescription, 3000)
	for i := range descs {
		descs[i] = target(fmt.Sprintf("i-%017d", i), 80, elbtypes.TargetHealthStateEnumHealthy, "", "")
	}
	descs[1234] = target("i-bad", 80, elbtypes.TargetHealthStateEnumUnhealthy,
		elbtypes.TargetHealthReasonEnumTimeout, "Request timed out")
	elb := &fakeELB{groups: map[string][]elbtypes.TargetHealthDescription{tgWeb: descs}}
	cw := &fakeCloudWatch{metric: map[string]cwtypes.MetricAlarm{}}
	var names []string
	for i := range 400 {
		name := fmt.Sprintf("alarm-%03d", i)
		names = append(names, name)
		cw.metric[name] = metricAlarm(name, cwtypes.StateValueOk, strings.Repeat("reason ", 40))
	}
	clock := newFakeClock(time.Now())
	srv, _ := scriptServer(t, clock, reply{status: 200, body: "ok"})
	spec := baseSpec(srv.URL)
	spec.Successes, spec.Attempts, spec.TargetGroups, spec.Alarms = 500, 500, []string{tgWeb}, names

	got, err := NewChecker(elb, cw, WithClock(clock)).Check(context.Background(), spec)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}

	if size := encodedSize(t, got); size > MaxVerdictBytes {
		t.Errorf("encoded verdict is %d bytes, want at most %d", size, MaxVerdictBytes)
	}
	if got.Healthy {
		t.Errorf("Healthy = true, want false: one target is unhealthy")
	}
	if want := 500 + 3000 + 400 + 1; got.Truncated != want-len(got.Probes)-len(got.Targets)-len(got.Alarms)-len(got.Failures) {
		t.Errorf("Truncated = %d, inconsistent with %d items kept of %d", got.Truncated,
			len(got.Probes)+len(got.Targets)+len(got.Alarms)+len(got.Failures), want)
	}
	if !slices.ContainsFunc(got.Targets, func(t Target) bool { return t.ID == "i-bad" }) {
		t.Errorf("targets kept = %+v, want the unhealthy one among them", got.Targets)
	}
	if want := "target group targetgroup/web/0123456789abcdef: 1 of 3000 targets not healthy; i-bad:80 is " +
		"unhealthy (Target.Timeout: Request timed out)"; got.Summary != want {
		t.Errorf("Summary = %q, want %q", got.Summary, want)
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"longer than ten", 10, "longer …"},      // 7 bytes and the 3-byte ellipsis
		{"ééééééé", 9, "ééé…"},                   // é is 2 bytes
		{"a<b>c&d", 12, "a<b…"},                  // < > & are 6 bytes each once encoded
		{"bad\xffbyte", 20, "bad\uFFFDbyte"},     // invalid UTF-8 replaced
		{strings.Repeat("\"", 10), 9, "\"\"\"…"}, // a quote is 2 bytes
	}
	for _, tt := range tests {
		got := truncate(tt.in, tt.n)
		if got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
		if b, _ := json.Marshal(got); len(b)-2 > tt.n {
			t.Errorf("truncate(%q, %d) = %q encodes to %d bytes, over the limit", tt.in, tt.n, got, len(b)-2)
		}
	}
}
