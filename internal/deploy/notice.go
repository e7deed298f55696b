package deploy

import (
	"fmt"
	"strings"
)

// Notifications. The Lambda that ends a run writes its Notice (the state machine publishes it), and Prepare writes
// the run's Title for the state machine's own notifications (a refusal, a held lock). A notice says the app, the
// version and the version live before, the result and its reason, how far the traffic got, and the CLI command
// that acts on it next (promote, abort, roll back).

// Label names the run: "<app> <version> (<action>)".
func (s *State) Label() string {
	app := s.Input.App
	if s.App != nil {
		app = s.App.Name
	}
	if s.Input.Version != "" {
		app += " " + s.Input.Version
	}
	return fmt.Sprintf("%s (%s)", app, s.Input.ActionOrDefault())
}

// Describe is a one-line summary of the run for notifications: "<app> <version> (<action>[, previous <version>]):
// <what>", cut to MaxNotice bytes. The previous version is the plan's live stack's, once planned.
func (s *State) Describe(what string) string {
	label := s.Label()
	if prev := s.previous(); prev != "" {
		label = strings.TrimSuffix(label, ")") + ", previous " + prev + ")"
	}
	return cut(label+": "+what, MaxNotice)
}

// previous is the version live before this run, "" when not known.
func (s *State) previous() string {
	if s.Plan == nil || s.Plan.Live == nil {
		return ""
	}
	return s.Plan.Live.Version
}

// Reached says how far the run's traffic got: "before any traffic", "at 30%" (the last weight step applied) or
// "after the switch".
func (s *State) Reached() string {
	switch {
	case s.Switched:
		return "after the switch"
	case s.Step != nil && s.Step.Index >= 0:
		return fmt.Sprintf("at %d%%", s.Step.Percent)
	}
	return "before any traffic"
}

// stillLive says what serves after a rollback restored the plan's records.
func (s *State) stillLive() string {
	switch {
	case s.Plan == nil:
		return "nothing was changed"
	case s.Plan.Live == nil && s.Plan.Adopt != nil:
		return "the host's earlier record is back"
	case s.Plan.Live == nil:
		return "no release was live before, so the host does not resolve"
	}
	l := s.Plan.Live
	return fmt.Sprintf("%s still live on %s stack %s", orWord(l.Version, "the previous release"), l.Color, l.Stack)
}

// EvidenceMark separates a failed health check's summary from the evidence appended to it (the verdict as JSON):
// the execution's record keeps both, notifications and terminals show the summary.
const EvidenceMark = "; evidence: "

// Summary is a failure's cause on one line (CauseMessage) without the evidence a health check appends.
func Summary(cause string) string {
	msg, _, _ := strings.Cut(CauseMessage(cause), EvidenceMark)
	return msg
}

// summary is the caught failure in one line without its evidence, for notices.
func (s *State) summary() string {
	if s.Error == nil {
		return s.Reason()
	}
	return s.Error.Error + ": " + Summary(s.Error.Cause)
}

// rolledBackPrefix starts the cause a rolled-back deployment fails with (RollbackCause).
const rolledBackPrefix = "rolled back "

// RollbackCause is the cause a rolled-back deployment fails with, its Fail state's: how far the traffic got and
// what is still live, then why: "rolled back at 30%, v1 still live on blue stack demoapp-123456: <cause>".
func (s *State) RollbackCause(cause string) string {
	return fmt.Sprintf("%s%s, %s: %s", rolledBackPrefix, s.Reached(), s.stillLive(), cause)
}

// IsRollbackCause reports whether an execution's cause is a RollbackCause: the run was rolled back.
func IsRollbackCause(cause string) bool { return strings.HasPrefix(cause, rolledBackPrefix) }

// RollbackNotice is the notice of a rolled-back deployment; extra (may be "") adds what an operator should know.
func (s *State) RollbackNotice(extra string) string {
	return s.Describe(fmt.Sprintf("%s%s: %s; %s%s. Inspect with `bluegreen status %s` and `bluegreen history %s`",
		rolledBackPrefix, s.Reached(), s.summary(), s.stillLive(), extra, s.appName(), s.appName()))
}

// DeployedNotice is the notice of a release made live and watched; extra (may be "") adds what an operator should
// know. It names the command that rolls back to the release live before.
func (s *State) DeployedNotice(extra string) string {
	what := "deployed"
	if s.Plan != nil {
		if c := s.Plan.Candidate(); c != nil {
			what = fmt.Sprintf("deployed, live on %s stack %s", c.Color, c.Stack)
		}
	}
	what += extra
	if s.Plan != nil && s.Plan.Live != nil {
		l := s.Plan.Live
		what += fmt.Sprintf(". To go back to %s (%s stack %s): `bluegreen rollback %s`", orWord(l.Version, "the previous release"), l.Color, l.Stack, s.appName())
	}
	return s.Describe(what)
}

// ApprovalNotice is the notice of an approval gate waiting at the last step, with its verdict's summary: the
// commands that promote and abort, and how long they may take.
func (s *State) ApprovalNotice(summary string) string {
	app := s.appName()
	return s.Describe(fmt.Sprintf("approval waiting at %d%% (%s). Promote with `bluegreen promote %s` (--full skips the remaining steps) or abort with `bluegreen abort %s` within %d s, or the deployment rolls back.",
		s.Step.Percent, summary, app, app, s.Config.Strategy.ApprovalTimeoutSeconds))
}

// ManualRollbackNotice is the notice of a manual rollback that made the plan's target live again.
func (s *State) ManualRollbackNotice() string {
	t := s.Plan.Target
	what := fmt.Sprintf("rolled back: %s stack %s (%s) is live again", t.Color, t.Stack, orWord(t.Version, "version unknown"))
	if l := s.Plan.Live; l != nil {
		what += fmt.Sprintf(" in place of %s stack %s", l.Color, l.Stack)
	}
	return s.Describe(what + fmt.Sprintf(". To undo: `bluegreen rollback %s`", s.appName()))
}

func (s *State) appName() string {
	if s.App != nil {
		return s.App.Name
	}
	return s.Input.App
}

func orWord(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
