package bench

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
)

const functionsKey = "functions-key"

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func req(ms int, key, service, op string, status int) gateway.Request {
	return gateway.Request{Call: gateway.Call{Service: service, Operation: op, AccessKey: key}, Status: status, Time: at(ms)}
}

func TestTally(t *testing.T) {
	reqs := []gateway.Request{
		req(0, functionsKey, "route53", "GetHostedZone", 200),
		req(1, functionsKey, "route53", "ListResourceRecordSets", 200),
		req(2, "localaws", "route53", "ListResourceRecordSets", 200), // the harness's status read
		req(3, functionsKey, "route53", "ChangeResourceRecordSets", 400),
		req(4, functionsKey, "route53", "ChangeResourceRecordSets", 200),
		req(5, functionsKey, "route53", "GetChange", 200),
		req(6, functionsKey, "route53", "GetChange", 400), // throttled
		req(7, functionsKey, "dynamodb", "GetItem", 200),
		req(8, "ak", "lambda", "Invoke", 200),
		req(9, functionsKey, "route53", "ListResourceRecordSets", 200),
	}
	tests := []struct {
		name string
		w    Window
		want Calls
	}{
		{"all", Window{}, Calls{All: 7, Rejected: 2, Changes: 1, GetChange: 2, List: 2, GetHostedZone: 1}},
		{"from 3 ms to 6 ms, 6 excluded", Window{From: at(3), To: at(6)}, Calls{All: 3, Rejected: 1, Changes: 1, GetChange: 1}},
		{"open end", Window{From: at(6)}, Calls{All: 2, Rejected: 1, GetChange: 1, List: 1}},
		{"open start", Window{To: at(2)}, Calls{All: 2, List: 1, GetHostedZone: 1}},
		{"empty", Window{From: at(20), To: at(30)}, Calls{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Tally(reqs, functionsKey, tt.w)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Tally (-got +want):\n%s", diff)
			}
		})
	}
}

// The path of a release that fails at the first step, as moto's history gives it (millisecond times).
var rolledBack = []Entered{
	{"Start", at(0)}, {"Prepare", at(0)}, {"Create", at(10)}, {"StackWait", at(20)}, {"StackStatus", at(21)},
	{"StackReady", at(30)}, {"Publish", at(31)}, {"Shift", at(40)}, {"StepHealth", at(50)}, {"Rollback", at(60)},
	{"RollbackPending", at(70)}, {"Drain", at(71)}, {"Discard", at(80)}, {"UnlockRolledBack", at(90)}, {"RolledBack", at(95)},
}

func TestSpan(t *testing.T) {
	tests := []struct {
		name    string
		from    string
		until   []string
		want    Window
		wantErr bool
	}{
		{"restore: Rollback to Drain", "Rollback", []string{"Drain", "Discard"}, Window{From: at(60), To: at(71)}, false},
		{"Discard to the next state", "Discard", nil, Window{From: at(80), To: at(90)}, false},
		{"the last state: open-ended", "RolledBack", nil, Window{From: at(95)}, false},
		{"until never entered: open-ended", "Shift", []string{"Switch"}, Window{From: at(40)}, false},
		{"never entered", "ManualRollback", nil, Window{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Span(rolledBack, tt.from, tt.until...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Span error %v, want an error: %t", err, tt.wantErr)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Span (-got +want):\n%s", diff)
			}
		})
	}
}

func TestTransitionsLeaveOutTheStackWaitLoop(t *testing.T) {
	path := append(slices.Clone(rolledBack), Entered{"StackWait", at(22)}, Entered{"StackStatus", at(23)})
	if got, want := Transitions(path), len(rolledBack)-3; got != want {
		t.Errorf("Transitions = %d, want %d (the path without StackWait, StackStatus, StackReady)", got, want)
	}
}

func sample() Report {
	return Report{
		Machine: "2 × AMD EPYC, 24 GiB", Date: "2026-12-01T10:00:00Z",
		Releases: []Release{
			{OtherRecords: 0, Route53Calls: 37, Route53Changes: 7, Transitions: 46, CostUSD: Cost(46), WallSeconds: 0.94,
				Calls: Calls{All: 37, Changes: 7, List: 22, GetHostedZone: 8}},
			{OtherRecords: 10000, Route53Calls: 764, Route53Changes: 7, GetChangeCalls: 1, Transitions: 46, CostUSD: Cost(46), WallSeconds: 113.26,
				Calls: Calls{All: 764, Rejected: 1, Changes: 7, GetChange: 1, List: 748, GetHostedZone: 8}, SetupSeconds: 12.6},
		},
		Rollback: Rollback{Route53Calls: 5, Transitions: 26, CostUSD: Cost(26), WallSeconds: 0.85,
			Calls: Calls{All: 5, Changes: 1, List: 3, GetHostedZone: 1}, Discard: &Calls{All: 4, Changes: 1, List: 2, GetHostedZone: 1}},
		ManualRollback: Rollback{Route53Calls: 8, Transitions: 14, CostUSD: Cost(14), WallSeconds: 0.58, Calls: Calls{All: 8, Changes: 1, List: 4, GetHostedZone: 3}},
		Propagated: &Propagated{PropagationSeconds: 1, Route53Calls: 17, GetChangeCalls: 7, WallSeconds: 16.2, Transitions: 36,
			Calls: Calls{All: 17, Changes: 7, GetChange: 7, List: 2, GetHostedZone: 1}},
		Concurrent: &Concurrent{Apps: 50, OtherRecords: 5000, PropagationSeconds: 1, Succeeded: 50, Route53Calls: 1200, Throttled: 300,
			PriorRequest: 250, WallSeconds: 140.5},
		ObservedSplit: []localdeploy.Observed{{Intended: 10, Observed: 9.6, Requests: 1624}, {Intended: 100, Observed: 100, Requests: 1580}},
		Failover:      &Failover{Seconds: 1.62, Requests: 640, TTLSeconds: 1},
		Bootstraps:    []Bootstrap{{Name: "createstack", Bytes: 11403426, InitMillis: 14.1, WarmMillis: 0.9}},
		Seconds:       160,
	}
}

// bench.json has exactly the schema issue 8 gives it: nothing the table alone shows leaks into it.
func TestJSONSchema(t *testing.T) {
	body, err := sample().JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) []string {
		var out []string
		for k := range v.(map[string]any) {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	got := map[string][]string{
		"":                 keys(doc),
		"releases[0]":      keys(doc["releases"].([]any)[0]),
		"rollback":         keys(doc["rollback"]),
		"manualRollback":   keys(doc["manualRollback"]),
		"bootstraps[0]":    keys(doc["bootstraps"].([]any)[0]),
		"concurrent":       keys(doc["concurrent"]),
		"propagated":       keys(doc["propagated"]),
		"observedSplit[0]": keys(doc["observedSplit"].([]any)[0]),
		"failover":         keys(doc["failover"]),
	}
	want := map[string][]string{
		"": {"bootstraps", "concurrent", "date", "failover", "machine", "manualRollback", "observedSplit", "propagated", "propagationSeconds",
			"releases", "rollback"},
		"releases[0]":    {"costUSD", "getChangeCalls", "otherRecords", "route53Calls", "route53Changes", "transitions", "wallSeconds"},
		"rollback":       {"costUSD", "route53Calls", "transitions", "wallSeconds"},
		"manualRollback": {"costUSD", "route53Calls", "transitions", "wallSeconds"},
		"bootstraps[0]":  {"bytes", "initMillis", "name"},
		"concurrent": {"apps", "inconsistent", "locksLeft", "otherRecords", "propagationSeconds", "rolledBack", "route53Calls",
			"succeeded", "throttled", "wallSeconds"},
		"propagated":       {"getChangeCalls", "propagationSeconds", "route53Calls", "wallSeconds"},
		"observedSplit[0]": {"intended", "observed", "requests"},
		"failover":         {"requests", "seconds", "ttlSeconds"},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("bench.json keys (-got +want):\n%s", diff)
	}
	if !bytes.Contains(body, []byte(`"propagationSeconds": 0,`)) || !bytes.Contains(body, []byte(`"wallSeconds": 113.26`)) || !bytes.Contains(body, []byte(`"costUSD": 0.00115`)) {
		t.Errorf("bench.json values:\n%s", body)
	}
}

func TestMarkdown(t *testing.T) {
	var b strings.Builder
	sample().Markdown(&b)
	want := `Measured on 2 × AMD EPYC, 24 GiB, 2026-12-01T10:00:00Z; Route 53 propagation 0 s (the local Route 53 answers INSYNC at once).

| run | other records | Route 53 calls | of which rejected | changes | GetChange | ListResourceRecordSets | GetHostedZone | transitions | cost USD | wall s |
|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|
| third release | 0 | 37 | 0 | 7 | 0 | 22 | 8 | 46 | 0.001150 | 0.94 |
| third release | 10,000 | 764 | 1 | 7 | 1 | 748 | 8 | 46 | 0.001150 | 113.26 |
| rollback at the 10 % step: restore | 0 | 5 | 0 | 1 | 0 | 3 | 1 | 26 | 0.000650 | 0.85 |
| rollback at the 10 % step: failed stack's records (Discard, apart) | 0 | 4 | 0 | 1 | 0 | 2 | 1 | – | – | – |
| manual rollback | 0 | 8 | 0 | 1 | 0 | 4 | 3 | 14 | 0.000350 | 0.58 |
| third release, changes PENDING 1 s | 0 | 17 | 0 | 7 | 7 | 2 | 1 | 36 | 0.000900 | 16.20 |

Under the Route 53 model (changes PENDING 1 s, a zone busy 300 ms after each change, the documented token buckets): 50 apps in one zone among 5,000 other records, their releases started at once.

| apps | succeeded | rolled back | inconsistent | locks left | Route 53 calls | refused (PriorRequestNotComplete) | wall s | account bucket's floor s (calls ÷ 10/s) |
|--:|--:|--:|--:|--:|--:|--:|--:|--:|
| 50 | 50 | 0 | 0 | 0 | 1,200 | 300 (250) | 140.5 | 120.0 |

Through the local data plane (DNS TTL 1 s; 120 clients, each with its own DNS cache, a request every 300 ms; each step counted from the TTL after it began):

| measure | intended | observed | requests |
|---|--:|--:|--:|
| default release, the 10 % step | 10 % | 9.6 % | 1,624 |
| default release, the watch after the switch | 100 % | 100.0 % | 1,580 |
| failover at rest: the live stack's targets unhealthy → 95 % of requests on the other | 1.62 s after | (TTL 1 s) | 640 |

| function | bootstrap bytes (linux/arm64) | MiB | cold start ms (host build, RIE) | warm invoke ms |
|---|--:|--:|--:|--:|
| createstack | 11,403,426 | 10.9 | 14.1 | 0.9 |
`
	if diff := cmp.Diff(b.String(), want); diff != "" {
		t.Errorf("Markdown (-got +want):\n%s", diff)
	}
}

// route53Order is a name's place in ListResourceRecordSets' order, written here apart from the launcher's: the
// labels reversed, joined with dots, with the trailing dot.
func route53Order(name string) string {
	l := strings.Split(strings.TrimSuffix(strings.ToLower(name), "."), ".")
	slices.Reverse(l)
	return strings.Join(l, ".") + "."
}

// The other records lie outside the app's range of names, half before it and half after it.
func TestOtherNamesSortOutsideTheAppsRange(t *testing.T) {
	// The app's names are com.example.demoapp followed by '-' (<app>-<id>), or by '.' (<app> itself, then the
	// names under it): from "com.example.demoapp-" to before "com.example.demoapp/" ('/' follows '-' and '.').
	app := strings.TrimSuffix(route53Order("demoapp.example.com"), ".")
	lo, hi := app+"-", app+"/"
	inRange := func(name string) bool { o := route53Order(name); return o >= lo && o < hi }
	documented := []string{"demoapp-123456", "demoapp-legacy", "a.demoapp", "stack.blue.demoapp", "demoappx"} // LOCAL-AWS.md
	for i := 1; i < len(documented); i++ {
		if route53Order(documented[i-1]+".example.com") >= route53Order(documented[i]+".example.com") {
			t.Fatalf("route53Order puts %s after %s, unlike Route 53: the test is wrong", documented[i-1], documented[i])
		}
	}
	for _, name := range []string{"demoapp.example.com", "demoapp-ab12cd.example.com", "stack.blue.demoapp.example.com", "stack.active.demoapp.example.com"} {
		if !inRange(name) {
			t.Fatalf("the app's own name %s is outside the range the test computes: the test is wrong", name)
		}
	}
	before, after := 0, 0
	for i := range 10000 {
		name := OtherName(i, "example.com")
		switch o := route53Order(name); {
		case inRange(name):
			t.Fatalf("other record %s sorts inside the app's range (%s)", name, o)
		case o < lo:
			before++
		default:
			after++
		}
	}
	if before != 5000 || after != 5000 {
		t.Errorf("%d other names before the app's range and %d after, want 5000 each", before, after)
	}
}

func TestDescribeMachine(t *testing.T) {
	cpu := "processor\t: 0\nmodel name\t: AMD EPYC   7B13\n\nprocessor\t: 1\nmodel name\t: AMD EPYC   7B13\n"
	mem := "MemTotal:       24684084 kB\nMemFree:        1000 kB\n"
	if got, want := describeMachine(cpu, mem), "2 × AMD EPYC 7B13, 24 GiB"; got != want {
		t.Errorf("describeMachine = %q, want %q", got, want)
	}
}

func TestParseCounts(t *testing.T) {
	got, err := ParseCounts("0, 3000,10000")
	if err != nil || !slices.Equal(got, []int{0, 3000, 10000}) {
		t.Errorf("ParseCounts = %v, %v", got, err)
	}
	for _, bad := range []string{"", "1,x", "-1"} {
		if _, err := ParseCounts(bad); err == nil {
			t.Errorf("ParseCounts(%q) accepted", bad)
		}
	}
}

func TestMedian(t *testing.T) {
	if got := median([]float64{9, 1, 5}); got != 5 {
		t.Errorf("median of 9 1 5 = %v", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median of 4 1 3 2 = %v", got)
	}
}
