package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
)

// watchView writes what a watch sees: text lines (and, on a terminal, a live line rewritten in place), or JSON.
type watchView struct {
	c        *command
	st       style
	live     bool
	liveUp   bool
	app      string
	seen     map[string]bool
	planned  bool
	stackWas string
}

// The JSON a watch writes, one object a line, each with its kind.
type (
	jsonStart struct {
		Kind      string `json:"kind"` // "start"
		Execution string `json:"execution"`
		Name      string `json:"name"`
		App       string `json:"app,omitempty"`
		Action    string `json:"action,omitempty"`
		Version   string `json:"version,omitempty"`
		Source    string `json:"source,omitempty"`
		Started   string `json:"started"`
	}
	jsonStep struct {
		Kind           string            `json:"kind"` // "step"
		At             string            `json:"at"`
		ElapsedSeconds float64           `json:"elapsedSeconds"`
		State          string            `json:"state"`
		Waiting        bool              `json:"waiting,omitempty"`
		Weights        map[string]int64  `json:"weights,omitempty"`
		Step           *jsonWeightStep   `json:"step,omitempty"`
		Verdict        *jsonVerdict      `json:"verdict,omitempty"`
		Approval       *deploy.Approval  `json:"approval,omitempty"`
		Failure        *deploy.TaskError `json:"failure,omitempty"`
		Retried        int               `json:"retried,omitempty"`
	}
	jsonWeightStep struct {
		Number  int `json:"number"` // from 1
		Of      int `json:"of"`
		Percent int `json:"percent"`
	}
	jsonVerdict struct {
		Healthy bool   `json:"healthy"`
		Summary string `json:"summary"`
	}
	jsonResult struct {
		Kind           string   `json:"kind"` // "result"
		Execution      string   `json:"execution"`
		Status         string   `json:"status"`
		Outcome        string   `json:"outcome"`
		Reason         string   `json:"reason,omitempty"`
		Notice         string   `json:"notice,omitempty"`
		ElapsedSeconds float64  `json:"elapsedSeconds"`
		Warnings       []string `json:"warnings,omitempty"`
	}
)

// begin writes what is watched.
func (v *watchView) begin(r operator.Result) error {
	in := r.Input
	if in == nil {
		in = &deploy.Input{}
	}
	v.app = in.App
	if v.c.json() {
		return v.c.printJSON(jsonStart{Kind: "start", Execution: r.ARN, Name: r.Name, App: in.App, Action: string(in.ActionOrDefault()),
			Version: in.Version, Source: in.Source, Started: r.Started.UTC().Format(time.RFC3339Nano)})
	}
	what := strings.Join(nonEmpty(string(in.ActionOrDefault()), in.App, in.Version), " ")
	if in.Action == deploy.ActionReconcile {
		what += " of " + in.Execution
	}
	from := ""
	if in.Source != "" {
		from = " from " + in.Source
	}
	v.c.println(v.st.bold("watching "+r.Name) + fmt.Sprintf(": %s (started %s UTC%s)", what, r.Started.UTC().Format("2006-01-02 15:04:05"), from))
	return nil
}

// update writes one step of the run.
func (v *watchView) update(f *operator.Follower, u operator.Update) error {
	if u.Doc != nil && u.Doc.App != nil {
		v.app = u.Doc.App.Name
	}
	if v.c.json() {
		return v.c.printJSON(v.jsonOf(f, u))
	}
	details := v.details(u)
	if len(details) == 0 && v.seen[u.State] {
		return nil // a loop's state again, with nothing new (a stack still being created)
	}
	v.seen[u.State] = true
	v.clearLive()
	v.c.println(strings.TrimRight(fmt.Sprintf("%8s  %-18s %s", elapsed(u.At.Sub(f.Started())), u.State, strings.Join(details, "  ")), " "))
	return nil
}

// details says what a step did, in a few words each.
func (v *watchView) details(u operator.Update) []string {
	st := v.st
	var out []string
	doc := u.Doc
	if doc == nil {
		doc = &deploy.State{}
	}
	if u.Failure != nil {
		out = append(out, st.bad("FAILED "+u.Failure.Error+": "+shortCause(u.Failure.Cause)))
	}
	if u.Waiting {
		pct := 0
		if doc.Step != nil {
			pct = doc.Step.Percent
		}
		out = append(out, st.warn(fmt.Sprintf("waiting for an operator at %d%%: `bluegreen promote %s` (--full: skip the remaining steps) or `bluegreen abort %s`", pct, v.app, v.app)))
	}
	if p := doc.Plan; p != nil && !v.planned {
		v.planned = true
		out = append(out, planned(p))
	}
	if s := doc.Stack; s != nil && s.Status != "" && s.Status != v.stackWas {
		v.stackWas = s.Status
		out = append(out, fmt.Sprintf("stack %s %s", s.Name, s.Status))
	}
	if s := u.Step; s != nil {
		of := 0
		if doc.Config != nil {
			of = len(doc.Config.Strategy.Steps)
		}
		out = append(out, fmt.Sprintf("step %d/%d", s.Index+1, of))
	}
	if u.Weights != nil {
		out = append(out, st.weights(u.Weights))
	}
	if vd := u.Verdict; vd != nil {
		summary := oneLine(vd.Summary)
		switch {
		case vd.Healthy && strings.HasPrefix(summary, "healthy"):
			out = append(out, st.good(summary))
		case vd.Healthy:
			out = append(out, st.good("healthy: ")+summary)
		default:
			out = append(out, st.bad("unhealthy: ")+summary)
		}
	}
	if a := u.Approval; a != nil {
		decision := strings.Join(nonEmpty(a.Decision, by(a.By)), " ")
		if a.Reason != "" {
			decision += ": " + a.Reason
		}
		out = append(out, decision)
	}
	if u.Retried > 0 {
		out = append(out, st.faint(fmt.Sprintf("(retried %d×)", u.Retried)))
	}
	return out
}

// planned says what a plan decided.
func planned(p *deploy.Plan) string {
	slot := func(s *deploy.Slot) string {
		if s.Version == "" {
			return fmt.Sprintf("%s stack %s", s.Color, s.Stack)
		}
		return fmt.Sprintf("%s stack %s (%s)", s.Color, s.Stack, s.Version)
	}
	switch {
	case p.New != nil && p.Live != nil:
		return fmt.Sprintf("new %s; live %s", slot(p.New), slot(p.Live))
	case p.New != nil:
		return fmt.Sprintf("new %s; first release", slot(p.New))
	case p.Target != nil:
		return fmt.Sprintf("target %s", slot(p.Target))
	}
	return "planned"
}

func by(who string) string {
	if who == "" {
		return ""
	}
	return "by " + who
}

// shortCause is a failure's cause on one line without the evidence a health check appends.
func shortCause(cause string) string { return oneLine(deploy.Summary(cause)) }

func (v *watchView) jsonOf(f *operator.Follower, u operator.Update) jsonStep {
	j := jsonStep{Kind: "step", At: u.At.UTC().Format(time.RFC3339Nano), ElapsedSeconds: u.At.Sub(f.Started()).Seconds(),
		State: u.State, Waiting: u.Waiting, Approval: u.Approval, Failure: u.Failure, Retried: u.Retried}
	if u.Weights != nil {
		j.Weights = map[string]int64{}
		for c, w := range u.Weights {
			j.Weights[string(c)] = w
		}
	}
	if s := u.Step; s != nil {
		j.Step = &jsonWeightStep{Number: s.Index + 1, Percent: s.Percent}
		if u.Doc != nil && u.Doc.Config != nil {
			j.Step.Of = len(u.Doc.Config.Strategy.Steps)
		}
	}
	if vd := u.Verdict; vd != nil {
		j.Verdict = &jsonVerdict{Healthy: vd.Healthy, Summary: vd.Summary}
	}
	return j
}

// showLive rewrites, on a terminal, the line that says where the run is now.
func (v *watchView) showLive(f *operator.Follower) {
	if !v.live {
		return
	}
	state, _ := f.Current()
	line := fmt.Sprintf("%8s  %-18s", elapsed(time.Since(f.Started())), state)
	if w := f.Weights(); w != nil {
		line += " " + v.st.weights(w)
	}
	v.clearLive()
	fmt.Fprint(v.c.out, v.st.faint(line))
	v.liveUp = true
}

func (v *watchView) clearLive() {
	if v.liveUp {
		fmt.Fprint(v.c.out, "\r\x1b[K")
		v.liveUp = false
	}
}

// result writes the run's result, one line after its warnings; a run that did not succeed is exit 1.
func (v *watchView) result(r operator.Result, f *operator.Follower) error {
	v.clearLive()
	doc := r.Output
	if doc == nil {
		doc = f.Doc()
	}
	if doc == nil {
		doc = &deploy.State{}
	}
	outcome := operator.Outcome(r)
	took := r.Stopped.Sub(r.Started)
	if r.Stopped.IsZero() {
		took = -1
	}
	warnings := warningsOf(doc)
	text, word := v.resultText(r, outcome, doc)
	if v.c.json() {
		err := v.c.printJSON(jsonResult{Kind: "result", Execution: r.ARN, Status: r.Status, Outcome: outcome, Reason: operator.Reason(r),
			Notice: notice(r, outcome, doc), ElapsedSeconds: max(took, 0).Seconds(), Warnings: warnings})
		return exitOf(r, err)
	}
	for _, w := range warnings {
		v.c.println(v.st.warn("warning: ") + w)
	}
	when := "in"
	if r.Status != "SUCCEEDED" {
		when = "after"
	}
	v.c.println(fmt.Sprintf("%s %s %s: %s", word, when, elapsed(took), text))
	if doc.Repair != nil {
		printRepair(v.c, doc.Repair)
	}
	return exitOf(r, nil)
}

// resultText is the result line's text and its first word.
func (v *watchView) resultText(r operator.Result, outcome string, doc *deploy.State) (string, string) {
	st := v.st
	reason := operator.Reason(r)
	switch {
	case r.Status == "SUCCEEDED":
		return or(doc.Notice, outcome), st.good("SUCCEEDED")
	case outcome == operator.OutcomeRolledBack:
		return or(notice(r, outcome, doc), reason), st.bad("ROLLED BACK")
	case outcome == operator.OutcomeRollbackFailed:
		return fmt.Sprintf("%s. Check the records with `bluegreen status %s`, then `bluegreen reconcile %s`", reason, v.app, r.ARN), st.bad("ROLLBACK FAILED")
	case outcome == operator.OutcomeLocked && r.Error == "LockHeldError":
		return fmt.Sprintf("%s; nothing was written. Follow the run under way with `bluegreen watch %s`", reason, v.app), st.bad("REFUSED")
	case outcome == operator.OutcomeLocked || outcome == operator.OutcomeInvalid:
		return reason + "; nothing was written", st.bad("REFUSED")
	case r.Status == "ABORTED" || r.Status == "TIMED_OUT":
		return fmt.Sprintf("%s; `bluegreen reconcile %s` finishes or undoes what it left", or(reason, "stopped"), r.ARN), st.bad(strings.ReplaceAll(r.Status, "_", " "))
	}
	return reason, st.bad("FAILED")
}

// notice is the run's notification text, when the run's last document holds its own (a rolled-back run's, set by
// the rollback; not the "started" notice of a run refused before any Lambda ended it).
func notice(r operator.Result, outcome string, doc *deploy.State) string {
	if r.Status == "SUCCEEDED" || outcome == operator.OutcomeRolledBack {
		return doc.Notice
	}
	return ""
}

func exitOf(r operator.Result, err error) error {
	if err != nil {
		return err
	}
	if r.Status != "SUCCEEDED" {
		return &exitCode{code: ExitFailed}
	}
	return nil
}

// warningsOf lists what an operator should know of a run that ended: its warnings, a clean-up or unlock that
// failed.
func warningsOf(s *deploy.State) []string {
	out := append([]string{}, s.Warnings...)
	if e := s.CleanupError; e != nil {
		out = append(out, fmt.Sprintf("the clean-up failed (stacks may be left; the release is live): %s: %s", e.Error, deploy.CauseMessage(e.Cause)))
	}
	if e := s.UnlockError; e != nil {
		out = append(out, fmt.Sprintf("the lock was not released: %s: %s", e.Error, deploy.CauseMessage(e.Cause)))
	}
	return out
}

// printRepair shows what a repair found and what its batch changed.
func printRepair(c *command, rep *deploy.Repair) {
	c.println(fmt.Sprintf("repaired with %s stack %s live", rep.Live, rep.StackID))
	for _, p := range rep.Problems {
		c.println("  before: " + p)
	}
	for _, ch := range rep.Changes {
		c.println("  change: " + ch)
	}
}

func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
