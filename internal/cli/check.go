package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
)

func (c *command) validateCmd() *cobra.Command {
	var appConfig string
	cmd := &cobra.Command{
		Use:     "validate FILE [--app-config FILE]",
		Short:   "Check an execution input exactly as the deployer will",
		GroupID: "check",
		Long: `Check an execution input (a file like those in events/input/) exactly as the deployer's Prepare step will:
the input, then the app's configuration made from its stored configuration — from SSM when the deployer can be
reached, or from --app-config FILE, with no AWS needed — and the input's overrides. Every problem is printed.`,
		Args: args("FILE"),
		RunE: run(func(cmd *cobra.Command, a []string) error {
			return c.validate(cmd.Context(), a[0], appConfig)
		}),
	}
	cmd.Flags().StringVar(&appConfig, "app-config", "", "the app's stored configuration, a file (validates without AWS)")
	return cmd
}

// validated is what validate prints with -o json.
type validated struct {
	File   string `json:"file"`
	Action string `json:"action"`
	App    string `json:"app,omitempty"`
	// Config is the configuration the input resolves to, when it could be made.
	Config *deploy.Config `json:"config,omitempty"`
}

// validate checks an execution input exactly as Prepare will: deploy.CheckInput, then deploy.ResolveConfig with the
// app's stored configuration from the file given, or from SSM when the deployer can be reached.
func (c *command) validate(ctx context.Context, name, appConfig string) error {
	body, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	var checked operator.Checked
	switch {
	case appConfig != "":
		stored, err := os.ReadFile(appConfig)
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
			fmt.Fprintf(c.errOut, "warning: the deployer could not be reached (%v): only the input was checked; give --app-config FILE to check the app's configuration too\n", opErr)
			checked = operator.Checked{Input: in}
			break
		}
		if checked, err = op.Check(ctx, body, nil); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	in := checked.Input
	if c.json() {
		return c.printJSON(validated{File: name, Action: string(in.Action), App: in.App, Config: checked.Config})
	}
	c.println(fmt.Sprintf("%s: a valid %s input for app %s", name, in.Action, or(in.App, "(learned from the execution)")))
	if cfg := checked.Config; cfg != nil {
		c.println(fmt.Sprintf("  configuration: hosted zone %s, host %s, steps %v, bake %ds, watch %ds",
			cfg.HostedZoneID, or(cfg.Host, "<app>.<zone>"), cfg.Strategy.Steps, *cfg.Strategy.BakeSeconds, *cfg.Strategy.WatchSeconds))
	}
	return nil
}

func (c *command) validateConfigCmd() *cobra.Command {
	var app string
	cmd := &cobra.Command{
		Use:     "validate-config FILE [--app NAME]",
		Short:   "Check an app's stored configuration as the deployer reads it",
		GroupID: "check",
		Long: `Check an app's stored configuration (the JSON of its SSM parameter, like events/config/demoapp.json) as
Prepare reads it: exact keys, defaults, validation. The app's name defaults to the file's, without .json.`,
		Args: args("FILE"),
		RunE: run(func(_ *cobra.Command, a []string) error {
			return c.validateConfig(a[0], app)
		}),
	}
	cmd.Flags().StringVar(&app, "app", "", "the app's name (default: the file's name without .json)")
	return cmd
}

// validateConfig checks an app's stored configuration as Prepare reads it (exact keys, defaults, validation).
func (c *command) validateConfig(name, app string) error {
	body, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if app == "" {
		app = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	cfg, err := deploy.ResolveConfig(app, body)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if c.json() {
		return c.printJSON(validated{File: name, App: app, Config: &cfg})
	}
	c.println(fmt.Sprintf("%s: a valid configuration of app %s (hosted zone %s, endpoint %s, steps %v; overridable protected fields: %v)",
		name, app, cfg.HostedZoneID, cfg.Endpoint.Type, cfg.Strategy.Steps, cfg.AllowOverrides))
	return nil
}
