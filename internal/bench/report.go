// Package bench measures the deployer end to end on the local AWS (`make bench`): the Route 53 calls, state
// transitions and wall time of a release in zones of 0, 3,000 and 10,000 other records, of an automatic rollback and
// of a manual one, and the size and cold start of each Lambda's bootstrap. It goes through the deployer as a user
// does (localdeploy, the operator, the gateway's request log) and never into the read/write path's packages, so it
// measures whatever the product does. The report is build/bench/bench.json and a markdown table.
package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
)

// Report is bench.json. Its schema is owned here (issue 8); later issues add fields. Fields tagged `json:"-"` are
// shown in the table only.
type Report struct {
	Machine string `json:"machine"`
	// Date is when the bench ran, RFC 3339 UTC.
	Date string `json:"date"`
	// PropagationSeconds is how long the local Route 53 takes to answer INSYNC: 0, it answers at once.
	PropagationSeconds float64   `json:"propagationSeconds"`
	Releases           []Release `json:"releases"`
	Rollback           Rollback  `json:"rollback"`
	ManualRollback     Rollback  `json:"manualRollback"`
	// Concurrent and Propagated are measured under the local AWS's Route 53 model (issue 10).
	Concurrent *Concurrent `json:"concurrent,omitempty"`
	Propagated *Propagated `json:"propagated,omitempty"`
	// ObservedSplit is a default release's split as clients of the local DNS produced it (issue 14).
	ObservedSplit []localdeploy.Observed `json:"observedSplit"`
	// Failover is how long Route 53's data plane took, locally, to move the traffic off a failed stack (issue 16).
	Failover   *Failover   `json:"failover,omitempty"`
	Bootstraps []Bootstrap `json:"bootstraps"`
	// Seconds is the whole bench's wall time.
	Seconds float64 `json:"-"`
}

// Release is an app's third release (the one whose clean-up deletes the first release's stack) in a zone holding
// OtherRecords records named outside the app's range.
type Release struct {
	OtherRecords int `json:"otherRecords"`
	// Route53Calls counts every Route 53 request the deployer's functions made, rejected ones included.
	Route53Calls int `json:"route53Calls"`
	// Route53Changes counts the accepted ChangeResourceRecordSets.
	Route53Changes int `json:"route53Changes"`
	// GetChangeCalls counts the GetChange requests.
	GetChangeCalls int `json:"getChangeCalls"`
	// Transitions counts the execution's StateEntered events, the stack wait loop's excluded.
	Transitions int `json:"transitions"`
	// CostUSD is what Step Functions Standard bills for those transitions (TransitionUSD each).
	CostUSD float64 `json:"costUSD"`
	// WallSeconds is the execution's wall time, start to stop.
	WallSeconds float64 `json:"wallSeconds"`
	// Calls is the detail of Route53Calls.
	Calls Calls `json:"-"`
	// SetupSeconds is how long creating the other records took.
	SetupSeconds float64 `json:"-"`
}

// Rollback is a rollback's measure: the automatic one's or a manual one's.
type Rollback struct {
	// Route53Calls counts the Route 53 requests the deployer's functions made: for the automatic rollback, those from
	// the Rollback state's entry to the Drain (or Discard) state's, which restore the records; for a manual rollback,
	// all of them.
	Route53Calls int `json:"route53Calls"`
	// Transitions counts the whole execution's StateEntered events, the stack wait loop's excluded.
	Transitions int `json:"transitions"`
	// CostUSD is what Step Functions Standard bills for those transitions (TransitionUSD each).
	CostUSD float64 `json:"costUSD"`
	// WallSeconds is the execution's wall time, start to stop.
	WallSeconds float64 `json:"wallSeconds"`
	// Calls is the detail of Route53Calls.
	Calls Calls `json:"-"`
	// Discard is, for the automatic rollback, the calls of the failed stack's deletion (the Discard state), which
	// removes its records: reported apart.
	Discard *Calls `json:"-"`
}

// TransitionUSD is Step Functions Standard's price of one state transition in us-east-1 ($0.025 per 1,000),
// retries included.
const TransitionUSD = 0.000025

// Cost is what n state transitions cost.
func Cost(n int) float64 { return float64(n*25) / 1e6 } // exactly TransitionUSD each, without float drift

// Bootstrap is one function's binary.
type Bootstrap struct {
	Name string `json:"name"`
	// Bytes is the size of the linux/arm64 bootstrap built for AWS.
	Bytes int64 `json:"bytes"`
	// InitMillis is the host build's cold start under aws-lambda-rie: the first invoke's round trip to an RIE that
	// is already listening (RIE starts the bootstrap on that invoke), the median of a few fresh RIE processes. The
	// invoke itself names no operation and is answered at once, without an AWS call.
	InitMillis float64 `json:"initMillis"`
	// WarmMillis is a second invoke's round trip, what the first one costs beyond the cold start.
	WarmMillis float64 `json:"-"`
}

// WriteJSON writes the report to path, creating its folder.
func (r Report) WriteJSON(path string) error {
	body, err := r.JSON()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("bench report folder: %w", err)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return fmt.Errorf("write the bench report: %w", err)
	}
	return nil
}

// JSON is the report as bench.json holds it, indented.
func (r Report) JSON() ([]byte, error) {
	body, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode the bench report: %w", err)
	}
	return append(body, '\n'), nil
}

// Markdown writes the report as markdown: where and when it ran, a table of the runs and one of the bootstraps.
func (r Report) Markdown(w io.Writer) {
	fmt.Fprintf(w, "Measured on %s, %s; Route 53 propagation %s s (the local Route 53 answers INSYNC at once).\n\n",
		r.Machine, r.Date, num(r.PropagationSeconds, 0))
	fmt.Fprintln(w, "| run | other records | Route 53 calls | of which rejected | changes | GetChange | ListResourceRecordSets | GetHostedZone | transitions | cost USD | wall s |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, rel := range r.Releases {
		row(w, "third release", rel.OtherRecords, rel.Calls, strconv.Itoa(rel.Transitions), usd(rel.CostUSD), num(rel.WallSeconds, 2))
	}
	row(w, "rollback at the 10 % step: restore", 0, r.Rollback.Calls, strconv.Itoa(r.Rollback.Transitions), usd(r.Rollback.CostUSD), num(r.Rollback.WallSeconds, 2))
	if d := r.Rollback.Discard; d != nil {
		row(w, "rollback at the 10 % step: failed stack's records (Discard, apart)", 0, *d, "", "", "")
	}
	row(w, "manual rollback", 0, r.ManualRollback.Calls, strconv.Itoa(r.ManualRollback.Transitions), usd(r.ManualRollback.CostUSD), num(r.ManualRollback.WallSeconds, 2))
	if p := r.Propagated; p != nil {
		row(w, fmt.Sprintf("third release, changes PENDING %s s", num(p.PropagationSeconds, 0)), 0, p.Calls, strconv.Itoa(p.Transitions), usd(Cost(p.Transitions)), num(p.WallSeconds, 2))
	}
	fmt.Fprintln(w)
	if c := r.Concurrent; c != nil {
		fmt.Fprintf(w, "Under the Route 53 model (changes PENDING %s s, a zone busy %s ms after each change, the documented token buckets): %d apps in one zone among %s other records, their releases started at once.\n\n",
			num(c.PropagationSeconds, 0), num(float64(PriorRequest.Milliseconds()), 0), c.Apps, thousands(c.OtherRecords))
		fmt.Fprintln(w, "| apps | succeeded | rolled back | inconsistent | locks left | Route 53 calls | refused (PriorRequestNotComplete) | wall s | account bucket's floor s (calls ÷ 10/s) |")
		fmt.Fprintln(w, "|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
		fmt.Fprintf(w, "| %d | %d | %d | %d | %d | %s | %s (%s) | %s | %s |\n\n", c.Apps, c.Succeeded, c.RolledBack, c.Inconsistent, c.LocksLeft,
			thousands(c.Route53Calls), thousands(c.Throttled), thousands(c.PriorRequest), num(c.WallSeconds, 1), num(c.FloorSeconds(), 1))
	}
	if len(r.ObservedSplit) > 0 || r.Failover != nil {
		fmt.Fprintf(w, "Through the local data plane (DNS TTL %s s; %d clients, each with its own DNS cache, a request every %s ms; each step counted from the TTL after it began):\n\n",
			num(dataPlaneTTL.Seconds(), 0), clientCount, num(float64(clientEvery.Milliseconds()), 0))
		fmt.Fprintln(w, "| measure | intended | observed | requests |")
		fmt.Fprintln(w, "|---|--:|--:|--:|")
		for _, o := range r.ObservedSplit {
			step := fmt.Sprintf("default release, the %d %% step", o.Intended)
			if o.Intended == 100 {
				step = "default release, the watch after the switch"
			}
			fmt.Fprintf(w, "| %s | %d %% | %s %% | %s |\n", step, o.Intended, num(o.Observed, 1), thousands(o.Requests))
		}
		if f := r.Failover; f != nil {
			fmt.Fprintf(w, "| failover at rest: the live stack's targets unhealthy → 95 %% of requests on the other | %s s after | (TTL %s s) | %s |\n",
				num(f.Seconds, 2), num(f.TTLSeconds, 0), thousands(f.Requests))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "| function | bootstrap bytes (linux/arm64) | MiB | cold start ms (host build, RIE) | warm invoke ms |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|")
	for _, b := range r.Bootstraps {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", b.Name, thousands(int(b.Bytes)), num(float64(b.Bytes)/(1<<20), 1),
			num(b.InitMillis, 1), num(b.WarmMillis, 1))
	}
}

// row writes one run's line of the table.
func row(w io.Writer, name string, others int, c Calls, transitions, cost, wall string) {
	fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d | %d | %d | %s | %s | %s |\n", name, thousands(others),
		c.All, c.Rejected, c.Changes, c.GetChange, c.List, c.GetHostedZone, dash(transitions), dash(cost), dash(wall))
}

// usd writes a cost in dollars, to six places (a transition costs 0.000025).
func usd(x float64) string { return strconv.FormatFloat(x, 'f', 6, 64) }

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// num formats x with the given decimals.
func num(x float64, decimals int) string { return strconv.FormatFloat(x, 'f', decimals, 64) }

// thousands formats n with commas: 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// round rounds x to the given decimals, for the JSON.
func round(x float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(x*p) / p
}
