// Package cli is the operator's command line (cmd/bluegreen): start a deployment, a rollback or a reconcile and
// follow it, read an app's status and records, and answer an approval gate. It finds the deployer through the
// outputs of its CloudFormation stack, or through flags and environment variables.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/stacks"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
)

// Usage is the command's help.
const Usage = `bluegreen: blue/green releases of CloudFormation stacks, traffic moved by Route 53.

usage: bluegreen [flags] <command> [arguments]

commands:
  deploy APP VERSION [-artifact URI] [-config JSON|@FILE] [-no-wait]
                              release a version (the app's stored configuration, overridden by -config)
  rollback APP [-no-wait]     make the previous (idle) stack live again, after health checking it
  reconcile EXECUTION [-no-wait]
                              repair what a stopped, timed-out or dirty-failed execution left
  status APP                  the app's state, live stack, lock, pending approval and records
  approve APP [-full] [-reason TEXT]
                              let a deployment waiting at an approval gate go on (-full: skip the remaining steps)
  abort APP [-reason TEXT]    roll back a deployment waiting at an approval gate
  repair APP -live COLOR [-no-wait]
                              make records edited by hand consistent with COLOR's stack live, after health checking it
  watch EXECUTION             follow an execution until it ends
  validate FILE [-app-config FILE]
                              check an execution input exactly as the deployer will, with the app's stored
                              configuration (from SSM, or the file given: then no AWS is needed)
  validate-config FILE [-app NAME]
                              check an app's stored configuration (the app's name defaults to the file's)

The deployer is found through the outputs of its stack (-stack, $BLUEGREEN_STACK, default BlueGreen), or given
with -state-machine, -lock-table and -config-prefix ($BLUEGREEN_STATE_MACHINE_ARN, $BLUEGREEN_LOCK_TABLE,
$BLUEGREEN_CONFIG_PREFIX). Exit status: 0 success, 1 the operation or execution failed, 2 usage.

flags:
`

// Run runs the command line args (without the program name), writing to stdout and stderr, with the AWS
// configuration cfg (loaded lazily: validate needs none). It returns the exit status.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, cfg func(context.Context) (aws.Config, error)) int {
	fs := flag.NewFlagSet("bluegreen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, Usage); fs.PrintDefaults() }
	g := globals{}
	fs.StringVar(&g.stack, "stack", or(getenv("BLUEGREEN_STACK"), "BlueGreen"), "the deployer's CloudFormation stack")
	fs.StringVar(&g.stateMachine, "state-machine", getenv("BLUEGREEN_STATE_MACHINE_ARN"), "the deployer's state machine ARN")
	fs.StringVar(&g.lockTable, "lock-table", getenv("BLUEGREEN_LOCK_TABLE"), "the deployer's lock table")
	fs.StringVar(&g.configPrefix, "config-prefix", getenv("BLUEGREEN_CONFIG_PREFIX"), "the apps' SSM parameter prefix")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	c := &command{out: stdout, errOut: stderr, globals: g, loadConfig: cfg}
	name, rest := fs.Arg(0), fs.Args()[1:]
	run, ok := map[string]func(context.Context, []string) error{
		"deploy": c.deploy, "rollback": c.rollback, "reconcile": c.reconcile, "status": c.status,
		"approve": c.approve, "abort": c.abort, "watch": c.watch, "validate": c.validate,
		"validate-config": c.validateConfig, "repair": c.repair,
	}[name]
	if !ok {
		fmt.Fprintf(stderr, "bluegreen: unknown command %q\n\n", name)
		fs.Usage()
		return 2
	}
	err := run(ctx, rest)
	var usage usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "bluegreen %s: %v\n", name, err)
		return 2
	default:
		fmt.Fprintf(stderr, "bluegreen %s: %s\n", name, describe(err))
		return 1
	}
}

type globals struct {
	stack, stateMachine, lockTable, configPrefix string
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// command holds what the commands share; the operator is built on first use.
type command struct {
	out, errOut io.Writer
	globals
	loadConfig func(context.Context) (aws.Config, error)
	cfg        aws.Config
	op         *operator.Operator
}

// operator finds the deployer (flags, environment, then the stack's outputs) and builds the operator.
func (c *command) operator(ctx context.Context) (*operator.Operator, error) {
	if c.op != nil {
		return c.op, nil
	}
	cfg, err := c.loadConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration: %w", err)
	}
	c.cfg = cfg
	if c.stateMachine == "" || c.lockTable == "" {
		out, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(c.stack)})
		if err != nil {
			return nil, fmt.Errorf("find the deployer: read the outputs of stack %s (or give -state-machine and -lock-table): %w", c.stack, err)
		}
		for _, o := range out.Stacks[0].Outputs {
			v := aws.ToString(o.OutputValue)
			switch aws.ToString(o.OutputKey) {
			case "StateMachineArn":
				c.stateMachine = or(c.stateMachine, v)
			case "LockTableName":
				c.lockTable = or(c.lockTable, v)
			case "ConfigParameterPrefix":
				c.configPrefix = or(c.configPrefix, v)
			}
		}
		if c.stateMachine == "" || c.lockTable == "" {
			return nil, fmt.Errorf("stack %s has no StateMachineArn or LockTableName output: is it the deployer's stack?", c.stack)
		}
	}
	c.op = &operator.Operator{
		SFN: sfn.NewFromConfig(cfg), Locks: applock.New(dynamodb.NewFromConfig(cfg), c.lockTable), Params: ssm.NewFromConfig(cfg),
		StateMachine: c.stateMachine, ConfigPrefix: or(c.configPrefix, invoke.DefaultConfigPrefix),
		Warn: func(w string) { fmt.Fprintf(c.errOut, "warning: %s\n", w) },
	}
	return c.op, nil
}

// start starts an execution and, unless told not to, follows it to its end.
func (c *command) start(ctx context.Context, in deploy.Input, wait bool) error {
	op, err := c.operator(ctx)
	if err != nil {
		return err
	}
	arn, err := op.Start(ctx, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "started %s\n", arn)
	if !wait {
		return nil
	}
	return c.follow(ctx, arn)
}

// follow prints the states an execution enters until it ends, then its result; a failed run is an error.
func (c *command) follow(ctx context.Context, arn string) error {
	op, err := c.operator(ctx)
	if err != nil {
		return err
	}
	r, err := op.Wait(ctx, arn, 2*time.Second, func(s operator.Step) {
		if s.Failed {
			fmt.Fprintf(c.out, "  %s  failed: %s: %s\n", s.Name, s.Error, deploy.CauseMessage(s.Cause))
			return
		}
		fmt.Fprintf(c.out, "  %s\n", s.Name)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "%s\n", r.Status)
	if r.Output != nil {
		for _, w := range r.Output.Warnings {
			fmt.Fprintf(c.out, "warning: %s\n", w)
		}
		if e := r.Output.CleanupError; e != nil {
			fmt.Fprintf(c.out, "warning: the clean-up failed (stacks may be left; the release is live): %s: %s\n", e.Error, deploy.CauseMessage(e.Cause))
		}
		if e := r.Output.UnlockError; e != nil {
			fmt.Fprintf(c.out, "warning: the lock was not released: %s: %s\n", e.Error, deploy.CauseMessage(e.Cause))
		}
		if r.Output.Notice != "" {
			fmt.Fprintln(c.out, r.Output.Notice)
		}
		if rep := r.Output.Repair; rep != nil {
			printRepair(c.out, rep)
		}
	}
	if r.Status != "SUCCEEDED" {
		return fmt.Errorf("execution %s %s: %s: %s", arn, r.Status, r.Error, deploy.CauseMessage(r.Cause))
	}
	return nil
}

func (c *command) deploy(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("deploy", flag.ContinueOnError)
	fs.SetOutput(c.errOut)
	artifact := fs.String("artifact", "", "the release's artifact (an S3 URI, an image URI)")
	overrides := fs.String("config", "", "overrides of the app's configuration: JSON, or @FILE")
	noWait := fs.Bool("no-wait", false, "start the deployment and return")
	app, version, err := twoArgs(fs, args, "deploy APP VERSION")
	if err != nil {
		return err
	}
	in := deploy.Input{App: app, Version: version, Artifact: *artifact, Source: "cli"}
	if *overrides != "" {
		raw := []byte(*overrides)
		if name, ok := strings.CutPrefix(*overrides, "@"); ok {
			if raw, err = os.ReadFile(name); err != nil {
				return err
			}
		}
		in.Config = raw
	}
	return c.start(ctx, in, !*noWait)
}

func (c *command) rollback(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("rollback", flag.ContinueOnError)
	fs.SetOutput(c.errOut)
	noWait := fs.Bool("no-wait", false, "start the rollback and return")
	app, err := oneArg(fs, args, "rollback APP")
	if err != nil {
		return err
	}
	return c.start(ctx, deploy.Input{Action: deploy.ActionRollback, App: app, Source: "cli"}, !*noWait)
}

func (c *command) reconcile(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.SetOutput(c.errOut)
	noWait := fs.Bool("no-wait", false, "start the reconcile and return")
	arn, err := oneArg(fs, args, "reconcile EXECUTION")
	if err != nil {
		return err
	}
	return c.start(ctx, deploy.Input{Action: deploy.ActionReconcile, Execution: arn, Source: "cli"}, !*noWait)
}

func (c *command) status(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(c.errOut)
	app, err := oneArg(fs, args, "status APP")
	if err != nil {
		return err
	}
	op, err := c.operator(ctx)
	if err != nil {
		return err
	}
	zones := zone.NewOpener(route53.NewFromConfig(c.cfg), zone.Options{})
	st := stacks.New(cloudformation.NewFromConfig(c.cfg), elasticloadbalancingv2.NewFromConfig(c.cfg))
	s, err := op.Status(ctx, app, zones, st)
	if err != nil {
		return err
	}
	s.Print(c.out)
	return nil
}

func (c *command) approve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("approve", flag.ContinueOnError)
	fs.SetOutput(c.errOut)
	full := fs.Bool("full", false, "skip the remaining steps and bakes (the switch is still health checked)")
	reason := fs.String("reason", "", "why, for the record")
	app, err := oneArg(fs, args, "approve APP")
	if err != nil {
		return err
	}
	decision := deploy.DecisionPromote
	if *full {
		decision = deploy.DecisionPromoteFull
	}
	return c.decide(ctx, app, decision, *reason)
}

func (c *command) abort(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("abort", flag.ContinueOnError)
	fs.SetOutput(c.errOut)
	reason := fs.String("reason", "", "why, for the record")
	app, err := oneArg(fs, args, "abort APP")
	if err != nil {
		return err
	}
	return c.decide(ctx, app, deploy.DecisionAbort, *reason)
}

func (c *command) decide(ctx context.Context, app, decision, reason string) error {
	op, err := c.operator(ctx)
	if err != nil {
		return err
	}
	by := or(os.Getenv("USER"), "cli")
	if err := op.Decide(ctx, app, deploy.Approval{Decision: decision, By: by, Reason: reason}); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "%s: %s sent\n", app, decision)
	return nil
}

func (c *command) watch(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	fs.SetOutput(c.errOut)
	arn, err := oneArg(fs, args, "watch EXECUTION")
	if err != nil {
		return err
	}
	return c.follow(ctx, arn)
}

func oneArg(fs *flag.FlagSet, args []string, usage string) (string, error) {
	pos, err := positional(fs, args, 1, usage)
	if err != nil {
		return "", err
	}
	return pos[0], nil
}

func twoArgs(fs *flag.FlagSet, args []string, usage string) (string, string, error) {
	pos, err := positional(fs, args, 2, usage)
	if err != nil {
		return "", "", err
	}
	return pos[0], pos[1], nil
}

// positional parses flags wherever they stand among the arguments and returns exactly n positional arguments.
func positional(fs *flag.FlagSet, args []string, n int, usage string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usagef("%v", err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != n {
		return nil, usagef("usage: bluegreen %s", usage)
	}
	return pos, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
