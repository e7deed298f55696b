package cli

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// startFlags are the flags of every command that starts an execution.
type startFlags struct {
	noWait  bool
	timeout time.Duration
}

func (f *startFlags) add(cmd *cobra.Command, what string) {
	cmd.Flags().BoolVar(&f.noWait, "no-wait", false, "start the "+what+" and return, printing its execution ARN")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 0, "stop watching after this long (the execution goes on; exit 1); 0: no limit")
}

func (c *command) deployCmd() *cobra.Command {
	var (
		sf                  startFlags
		artifact, overrides string
	)
	cmd := &cobra.Command{
		Use:     "deploy APP VERSION [--artifact URI] [--config JSON|@FILE] [--no-wait]",
		Short:   "Release a version into the idle color, and watch it",
		GroupID: "release",
		Long: `Release VERSION of APP: a new stack in the idle color, health checked, given the strategy's shares of the
traffic, switched and watched; any failure until the end of the watch rolls back. The app's stored configuration
applies, overridden field by field by --config (JSON, or @FILE), checked exactly as the deployer checks it before
anything starts.`,
		Example: "  bluegreen deploy demoapp v2 --artifact s3://artifacts/demoapp/v2.zip\n  bluegreen deploy demoapp v3 --config '{\"strategy\":{\"steps\":[50]}}' --no-wait",
		Args:    args("APP", "VERSION"),
		RunE: run(func(cmd *cobra.Command, a []string) error {
			in := deploy.Input{App: a[0], Version: a[1], Artifact: artifact, Source: "cli"}
			if overrides != "" {
				raw := []byte(overrides)
				if name, ok := strings.CutPrefix(overrides, "@"); ok {
					var err error
					if raw, err = os.ReadFile(name); err != nil {
						return err
					}
				}
				in.Config = raw
			}
			return c.start(cmd.Context(), in, sf)
		}),
	}
	cmd.Flags().StringVar(&artifact, "artifact", "", "the release's artifact (an S3 URI, an image URI)")
	cmd.Flags().StringVar(&overrides, "config", "", "overrides of the app's configuration: JSON, or @FILE")
	sf.add(cmd, "deployment")
	return cmd
}

func (c *command) rollbackCmd() *cobra.Command {
	return c.startCmd("rollback APP [--no-wait]", "Make the previous (idle) stack live again, after health checking it",
		`Make APP's idle stack — the release live before the last one — live again in one DNS change, after health
checking it. It refuses, changing nothing, when there is no idle stack or it is unhealthy.`,
		"APP", func(app string) deploy.Input {
			return deploy.Input{Action: deploy.ActionRollback, App: app, Source: "cli"}
		})
}

func (c *command) reconcileCmd() *cobra.Command {
	return c.startCmd("reconcile EXECUTION [--no-wait]", "Finish or undo what a stopped, timed-out or dirty-failed execution left",
		`Reconcile the app of a stopped, timed-out or dirty-failed EXECUTION (its ARN or name): take over its lock and act on
the progress it recorded — restore its plan's records before the end of its watch, finish its clean-up after it.
It never chooses a release: records at rest need nothing; inconsistent ones are refused, naming the repair.`,
		"EXECUTION", func(arn string) deploy.Input {
			return deploy.Input{Action: deploy.ActionReconcile, Execution: arn, Source: "cli"}
		})
}

// startCmd is a command that starts the execution of its one argument's input, and watches it.
func (c *command) startCmd(use, short, long, arg string, input func(string) deploy.Input) *cobra.Command {
	var sf startFlags
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long, GroupID: "release", Args: args(arg),
		RunE: run(func(cmd *cobra.Command, a []string) error { return c.start(cmd.Context(), input(a[0]), sf) }),
	}
	in := input("")
	sf.add(cmd, string(in.Action))
	return cmd
}

func (c *command) repairCmd() *cobra.Command {
	var (
		sf   startFlags
		live string
	)
	cmd := &cobra.Command{
		Use:     "repair APP --live COLOR [--no-wait]",
		Short:   "Make records edited by hand consistent with COLOR's stack live, after health checking it",
		GroupID: "release",
		Args:    args("APP"),
		RunE: run(func(cmd *cobra.Command, a []string) error {
			if !records.Color(live).Valid() {
				return usageError{"--live blue|green: the color whose stack must be live"}
			}
			return c.start(cmd.Context(), deploy.Input{Action: deploy.ActionRepair, App: a[0], Live: live, Source: "cli"}, sf)
		}),
	}
	cmd.Flags().StringVar(&live, "live", "", "the color that must be live: blue or green")
	_ = cmd.RegisterFlagCompletionFunc("live", fixed(string(records.Blue), string(records.Green)))
	sf.add(cmd, "repair")
	return cmd
}

// started is what a command that starts an execution prints with --no-wait and -o json.
type started struct {
	Execution string `json:"execution"`
}

// start starts an execution and, unless told not to, watches it to its end.
func (c *command) start(ctx context.Context, in deploy.Input, sf startFlags) error {
	op, err := c.operator(ctx)
	if err != nil {
		return err
	}
	if in.Action == deploy.ActionReconcile {
		in.Execution = op.ExecutionARN(in.Execution) // named by its ARN or its name
	}
	arn, err := op.Start(ctx, in)
	if err != nil {
		return err
	}
	if sf.noWait {
		if c.json() {
			return c.printJSON(started{Execution: arn})
		}
		c.println("started " + arn)
		return nil
	}
	return c.follow(ctx, arn, sf.timeout)
}

func (c *command) println(line string) {
	_, _ = c.out.Write([]byte(line + "\n"))
}
