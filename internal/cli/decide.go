package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

func (c *command) promoteCmd() *cobra.Command {
	var (
		full   bool
		reason string
	)
	cmd := &cobra.Command{
		Use:     "promote APP [--full] [--reason TEXT]",
		Aliases: []string{"approve"},
		Short:   "Let a deployment waiting at an approval gate go on (--full: skip the remaining steps)",
		GroupID: "release",
		Long: `Answer the approval gate APP's deployment waits at: go on to the next step, or with --full skip the
remaining steps and bakes (the switch is still health checked). "approve" is the same command.`,
		Args: args("APP"),
		RunE: run(func(cmd *cobra.Command, a []string) error {
			decision := deploy.DecisionPromote
			if full {
				decision = deploy.DecisionPromoteFull
			}
			return c.decide(cmd.Context(), a[0], decision, reason)
		}),
	}
	cmd.Flags().BoolVar(&full, "full", false, "skip the remaining steps and bakes (the switch is still health checked)")
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the record")
	return cmd
}

func (c *command) abortCmd() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:     "abort APP [--reason TEXT]",
		Short:   "Roll back a deployment waiting at an approval gate",
		GroupID: "release",
		Args:    args("APP"),
		RunE: run(func(cmd *cobra.Command, a []string) error {
			return c.decide(cmd.Context(), a[0], deploy.DecisionAbort, reason)
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the record")
	return cmd
}

// decided is what promote and abort print with -o json.
type decided struct {
	App      string `json:"app"`
	Decision string `json:"decision"`
	By       string `json:"by"`
}

// decide answers an app's approval gate; the gate's token is read from the lock item and never printed.
func (c *command) decide(ctx context.Context, app, decision, reason string) error {
	op, err := c.operator(ctx)
	if err != nil {
		return err
	}
	who := or(c.env.Getenv("USER"), "cli")
	if err := op.Decide(ctx, app, deploy.Approval{Decision: decision, By: who, Reason: reason}); err != nil {
		return err
	}
	if c.json() {
		return c.printJSON(decided{App: app, Decision: decision, By: who})
	}
	c.println(fmt.Sprintf("%s: %s sent; follow it with `bluegreen watch %s`", app, decision, app))
	return nil
}
