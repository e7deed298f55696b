package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
)

func (c *command) historyCmd() *cobra.Command {
	var n int
	cmd := &cobra.Command{
		Use:     "history APP [-n COUNT] [-o wide|json]",
		Short:   "The app's past executions: version, action, source, start, duration, result, reason",
		GroupID: "look",
		Long: fmt.Sprintf(`List APP's last executions, newest first: what each released (version), did (action), was started by
(source), when and for how long, how it ended and why. It reads at most %d pages of the state machine's executions
(every app's, newest first) and describes only the executions it shows.`, operator.HistoryPages),
		Args: args("APP"),
		RunE: run(func(cmd *cobra.Command, a []string) error {
			if n < 1 {
				return usageError{"-n: at least 1"}
			}
			return c.history(cmd.Context(), a[0], n)
		}),
	}
	cmd.Flags().IntVarP(&n, "count", "n", 10, "how many executions")
	return cmd
}

// jsonRun is one execution in history -o json: one object a line, newest first.
type jsonRun struct {
	Execution       string   `json:"execution"`
	Name            string   `json:"name"`
	Action          string   `json:"action"`
	Version         string   `json:"version"`
	Source          string   `json:"source"`
	Status          string   `json:"status"`
	Outcome         string   `json:"outcome"`
	Reason          string   `json:"reason"`
	Started         string   `json:"started"`
	Stopped         string   `json:"stopped"`
	DurationSeconds *float64 `json:"durationSeconds"`
}

func (c *command) history(ctx context.Context, app string, n int) error {
	op, err := c.operator(ctx)
	if err != nil {
		return err
	}
	runs, complete, err := op.History(ctx, app, n)
	if err != nil {
		return err
	}
	if !complete {
		fmt.Fprintf(c.errOut, "note: only the state machine's last %d pages of executions were searched; older runs of %s are not listed\n", operator.HistoryPages, app)
	}
	if c.json() {
		for _, r := range runs {
			if err := c.printJSON(runJSON(r)); err != nil {
				return err
			}
		}
		return nil
	}
	if len(runs) == 0 {
		c.println(fmt.Sprintf("app %s has no executions", app))
		return nil
	}
	st, wide := c.style(), c.output == outputWide
	head := []string{"STARTED (UTC)", "ACTION", "VERSION", "SOURCE", "TOOK", "RESULT"}
	if wide {
		head = append(head, "EXECUTION", "REASON")
	}
	rows := [][]string{head}
	var reasons []string
	for _, r := range runs {
		in := r.Input
		if in == nil {
			in = &deploy.Input{}
		}
		took := "-"
		if !r.Stopped.IsZero() {
			took = elapsed(r.Stopped.Sub(r.Started))
		}
		version, source := or(in.Version, "-"), or(in.Source, "-")
		if !wide {
			version, source = clip(version, 14), clip(source, 8)
		}
		row := []string{r.Started.UTC().Format("2006-01-02 15:04"), string(in.ActionOrDefault()), version, source, took, outcome(st, r)}
		if wide {
			row = append(row, r.Name, or(r.Reason, "-"))
		}
		rows = append(rows, row)
		reasons = append(reasons, r.Reason)
	}
	if wide {
		writeTable(c.out, rows)
		return nil
	}
	// Each run on a line, its reason (if any) on the next, indented: the default view fits 80 columns.
	lines := formatTable(rows)
	c.println(lines[0])
	for i, line := range lines[1:] {
		c.println(line)
		if reasons[i] != "" {
			c.println(st.faint("  " + clip(reasons[i], 78)))
		}
	}
	return nil
}

// outcome is a run's outcome, coloured by how it went.
func outcome(st style, r operator.Run) string {
	switch {
	case r.Status == "SUCCEEDED":
		return st.good(r.Outcome)
	case r.Status == "RUNNING":
		return st.warn(r.Outcome)
	}
	return st.bad(r.Outcome)
}

func runJSON(r operator.Run) jsonRun {
	in := r.Input
	if in == nil {
		in = &deploy.Input{}
	}
	j := jsonRun{Execution: r.ARN, Name: r.Name, Action: string(in.ActionOrDefault()), Version: in.Version, Source: in.Source,
		Status: r.Status, Outcome: r.Outcome, Reason: r.Reason, Started: timeJSON(r.Started), Stopped: timeJSON(r.Stopped)}
	if !r.Stopped.IsZero() {
		d := r.Stopped.Sub(r.Started).Seconds()
		j.DurationSeconds = &d
	}
	return j
}
