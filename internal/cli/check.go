package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
)

// validate checks an execution input exactly as Prepare will: deploy.CheckInput, then deploy.ResolveConfig with the
// app's stored configuration from the file given, or from SSM when the deployer can be reached.
func (c *command) validate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(c.errOut)
	appConfig := fs.String("app-config", "", "the app's stored configuration, a file (validates without AWS)")
	name, err := oneArg(fs, args, "validate FILE [-app-config FILE]")
	if err != nil {
		return err
	}
	body, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	var checked operator.Checked
	switch {
	case *appConfig != "":
		stored, err := os.ReadFile(*appConfig)
		if err != nil {
			return err
		}
		checked, err = (&operator.Operator{}).Check(ctx, body, stored)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	default:
		op, opErr := c.operator(ctx)
		if opErr != nil {
			in, err := deploy.CheckInput(body)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			fmt.Fprintf(c.errOut, "warning: the deployer could not be reached (%v): only the input was checked; give -app-config FILE to check the app's configuration too\n", opErr)
			checked = operator.Checked{Input: in}
			break
		}
		if checked, err = op.Check(ctx, body, nil); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	in := checked.Input
	fmt.Fprintf(c.out, "%s: a valid %s input for app %s\n", name, in.Action, or(in.App, "(learned from the execution)"))
	if cfg := checked.Config; cfg != nil {
		fmt.Fprintf(c.out, "  configuration: hosted zone %s, host %s, steps %v, bake %ds, watch %ds\n",
			cfg.HostedZoneID, or(cfg.Host, "<app>.<zone>"), cfg.Strategy.Steps, *cfg.Strategy.BakeSeconds, *cfg.Strategy.WatchSeconds)
	}
	return nil
}

// validateConfig checks an app's stored configuration as Prepare reads it (exact keys, defaults, validation).
func (c *command) validateConfig(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("validate-config", flag.ContinueOnError)
	fs.SetOutput(c.errOut)
	app := fs.String("app", "", "the app's name (default: the file's name without .json)")
	name, err := oneArg(fs, args, "validate-config FILE [-app NAME]")
	if err != nil {
		return err
	}
	body, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if *app == "" {
		*app = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	cfg, err := deploy.ResolveConfig(*app, body)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(c.out, "%s: a valid configuration of app %s (hosted zone %s, endpoint %s, steps %v; overridable protected fields: %v)\n",
		name, *app, cfg.HostedZoneID, cfg.Endpoint.Type, cfg.Strategy.Steps, cfg.AllowOverrides)
	return nil
}

func (c *command) repair(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("repair", flag.ContinueOnError)
	fs.SetOutput(c.errOut)
	live := fs.String("live", "", "the color that must be live: blue or green")
	noWait := fs.Bool("no-wait", false, "start the repair and return")
	app, err := oneArg(fs, args, "repair APP -live COLOR")
	if err != nil {
		return err
	}
	if *live == "" {
		return usagef("usage: bluegreen repair APP -live blue|green (the color whose stack must be live)")
	}
	return c.start(ctx, deploy.Input{Action: deploy.ActionRepair, App: app, Live: *live, Source: "cli"}, !*noWait)
}

// describe writes an error for the terminal: a refused input lists every problem on its own line.
func describe(err error) string {
	var v *deploy.ValidationError
	if !errors.As(err, &v) || len(v.Problems) < 2 {
		return err.Error()
	}
	prefix, _, _ := strings.Cut(err.Error(), v.Error())
	return prefix + "invalid deployment input:\n  - " + strings.Join(v.Problems, "\n  - ")
}

// printRepair shows what a repair found and what its batch changed.
func printRepair(w io.Writer, rep *deploy.Repair) {
	fmt.Fprintf(w, "repaired with %s stack %s live\n", rep.Live, rep.StackID)
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "  before: %s\n", p)
	}
	for _, ch := range rep.Changes {
		fmt.Fprintf(w, "  change: %s\n", ch)
	}
}
