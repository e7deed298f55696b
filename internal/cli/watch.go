package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func (c *command) watchCmd() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:     "watch EXECUTION|APP [--timeout DURATION]",
		Short:   "Follow an execution live until it ends",
		GroupID: "look",
		Long: `Follow an execution (its ARN or name), or an app's (the one holding its lock, else its latest), as it
happens: the elapsed time, each step with the traffic's split between the colors, each health check's verdict,
then one line with the result. Failures the state machine handles by design (the lock's conditional check that leads to the
takeover, a retried throttle) are not failures of the run and are not shown as such. The exit status is 1 when
the execution failed, was rolled back, stopped or timed out, or is still running after --timeout.`,
		Args: args("EXECUTION|APP"),
		RunE: run(func(cmd *cobra.Command, a []string) error {
			arn, err := c.executionOf(cmd.Context(), a[0])
			if err != nil {
				return err
			}
			return c.follow(cmd.Context(), arn, timeout)
		}),
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "stop watching after this long (the execution goes on; exit 1); 0: no limit")
	return cmd
}

// executionOf is the execution an argument names: an ARN or an execution's name (which has a hyphen: app names
// have none), or an app's — the running one holding its lock, else its latest.
func (c *command) executionOf(ctx context.Context, arg string) (string, error) {
	op, err := c.operator(ctx)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(arg, "arn:") || strings.Contains(arg, "-") {
		return op.ExecutionARN(arg), nil
	}
	l, err := op.Lock(ctx, arg)
	if err != nil {
		return "", err
	}
	if l != nil {
		if r, err := op.Execution(ctx, l.Execution); err == nil && r.Running() {
			return l.Execution, nil
		}
	}
	runs, _, err := op.History(ctx, arg, 1)
	if err != nil {
		return "", err
	}
	if len(runs) == 0 {
		return "", fmt.Errorf("app %s has no executions to watch", arg)
	}
	return runs[0].ARN, nil
}

// errStillRunning: --timeout passed with the execution still running.
var errStillRunning = errors.New("still running")

// follow watches an execution until it ends: its steps as they happen, then its result. A failed run is exit 1.
func (c *command) follow(ctx context.Context, arn string, timeout time.Duration) error {
	op, err := c.operator(ctx)
	if err != nil {
		return err
	}
	r, err := op.Execution(ctx, arn)
	if err != nil {
		return err
	}
	v := &watchView{c: c, st: c.style(), live: c.terminal(c.out) && !c.json(), seen: map[string]bool{}}
	if err := v.begin(r); err != nil {
		return err
	}
	f := op.Follow(arn)
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	poll := c.env.Poll
	if poll <= 0 {
		poll = time.Second
	}
	for {
		if r, err = op.Execution(ctx, arn); err != nil {
			return err
		}
		ups, err := f.Read(ctx)
		if err != nil {
			return err
		}
		for _, u := range ups {
			if err := v.update(f, u); err != nil {
				return err
			}
		}
		if !r.Running() {
			return v.result(r, f)
		}
		v.showLive(f)
		select {
		case <-ctx.Done():
			v.clearLive()
			return ctx.Err()
		case <-deadline:
			v.clearLive()
			return fmt.Errorf("execution %s: %w after %s (it goes on; follow it again with `bluegreen watch %s`)", r.Name, errStillRunning, timeout, arn)
		case <-time.After(poll):
		}
	}
}
