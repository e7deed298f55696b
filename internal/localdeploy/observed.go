package localdeploy

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/clients"
)

// StepWindow is a stretch of a release with one intended weight on the new stack: a weight step's bake (from the
// Bake state to the step's health check), or, for 100 %, the watch after the switch.
type StepWindow struct {
	Percent  int
	From, To time.Time
}

// historyAPI is the call StepWindows reads an execution's history with.
type historyAPI interface {
	GetExecutionHistory(ctx context.Context, in *sfn.GetExecutionHistoryInput, optFns ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error)
}

// StepWindows reads from an execution's history the windows in which its new stack had each intended weight: each
// Shift's step (its output's step.percent) from the Bake that follows it to the StepHealth that ends it, and 100 %
// from the first Watch to Watched (or the first state after the watch).
func StepWindows(ctx context.Context, api historyAPI, arn string) ([]StepWindow, error) {
	var events []sfntypes.HistoryEvent
	pages := sfn.NewGetExecutionHistoryPaginator(api, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the history of %s: %w", arn, err)
		}
		events = append(events, out.Events...)
	}
	var windows []StepWindow
	percent, open, watching := 0, -1, false
	closeAt := func(at time.Time) {
		if open >= 0 {
			windows[open].To = at
			open = -1
		}
	}
	for _, ev := range events {
		at := aws.ToTime(ev.Timestamp)
		switch {
		case ev.Type == sfntypes.HistoryEventTypeTaskStateExited && aws.ToString(ev.StateExitedEventDetails.Name) == "Shift":
			var s deploy.State
			if err := json.Unmarshal([]byte(aws.ToString(ev.StateExitedEventDetails.Output)), &s); err == nil && s.Step != nil {
				percent = s.Step.Percent
			}
		case ev.StateEnteredEventDetails == nil:
			if ev.Type == sfntypes.HistoryEventTypeExecutionSucceeded || ev.Type == sfntypes.HistoryEventTypeExecutionFailed ||
				ev.Type == sfntypes.HistoryEventTypeExecutionAborted {
				closeAt(at)
			}
		default:
			name := aws.ToString(ev.StateEnteredEventDetails.Name)
			switch {
			case name == "Bake":
				closeAt(at)
				windows, open = append(windows, StepWindow{Percent: percent, From: at}), len(windows)
			case name == "StepHealth":
				closeAt(at)
			case name == "Watch" && !watching:
				closeAt(at)
				watching = true
				windows, open = append(windows, StepWindow{Percent: 100, From: at}), len(windows)
			case watching && name != "Watch" && name != "WatchOver" && name != "WatchWait":
				closeAt(at)
				watching = false
			}
		}
	}
	return windows, nil
}

// Observed is the split clients produced in one window: the intended weight of the new stack, and the share of
// requests its release answered.
type Observed struct {
	Intended int     `json:"intended"`
	Observed float64 `json:"observed"`
	Requests int     `json:"requests"`
}

// String reads "30 %: observed 28.7 % of 1,200 requests".
func (o Observed) String() string {
	return fmt.Sprintf("%d %%: observed %.1f %% of %s requests", o.Intended, o.Observed, thousands(o.Requests))
}

// ObserveSplit tallies, for each window, the requests of load that version answered. Each window is counted from
// ttl after it began, when every client's cached answer is one DNS gave after the weight changed.
func ObserveSplit(windows []StepWindow, load *clients.Load, version string, ttl time.Duration) []Observed {
	out := make([]Observed, 0, len(windows))
	for _, w := range windows {
		from := w.From.Add(ttl)
		if !from.Before(w.To) {
			from = w.From
		}
		t := load.Between(from, w.To)
		out = append(out, Observed{Intended: w.Percent, Observed: round1(t.Share(version)), Requests: t.Requests})
	}
	return out
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

// thousands writes n with commas between groups of three digits: 1,200.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Moved is how traffic moved off a stack that turned unhealthy: how long after it did the clients' requests were
// (at least share of them) answered by the other stack's release, and how many requests they sent meanwhile.
type Moved struct {
	After    time.Duration
	Requests int
}

// TrafficMoved watches load from since for the first window of width in which version answered at least share
// (0–100) of the requests, waiting up to limit; ok is false when that never happened.
func TrafficMoved(ctx context.Context, load *clients.Load, since time.Time, version string, share float64, width, limit time.Duration) (Moved, bool) {
	for from := since; from.Sub(since) < limit; from = from.Add(width / 4) {
		to := from.Add(width)
		for time.Now().Before(to) {
			if sleep(ctx, time.Until(to)) != nil {
				return Moved{}, false
			}
		}
		if t := load.Between(from, to); t.Requests > 0 && t.Share(version) >= share {
			return Moved{After: to.Sub(since), Requests: load.Between(since, to).Requests}, true
		}
	}
	return Moved{}, false
}

// String reads "1.4 s later, 512 requests".
func (m Moved) String() string {
	return fmt.Sprintf("%.1f s later (%s requests meanwhile)", m.After.Seconds(), thousands(m.Requests))
}
