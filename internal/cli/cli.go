// Package cli is the operator's command line (cmd/bluegreen): start a deployment, a rollback, a reconcile or a
// repair and watch it live, read an app's status and past executions, and answer an approval gate (promote,
// abort). Commands, help and shell completion come from cobra; the single-dash long flags of earlier versions
// (-artifact, -config, -no-wait, -full, -stack, ...) keep working. It finds the deployer through the outputs of its
// CloudFormation stack, or through flags and environment variables.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/spf13/cobra"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
)

// The exit statuses.
const (
	// ExitOK: the command did what it was asked; a watched execution succeeded.
	ExitOK = 0
	// ExitFailed: the command or the execution it watched failed (rolled back, refused, stopped, timed out).
	ExitFailed = 1
	// ExitUsage: the command line is wrong.
	ExitUsage = 2
	// ExitInconsistent: status found the app's records inconsistent.
	ExitInconsistent = 3
	// ExitFailingOver: status found the records consistent, but the app has failover and Route 53 does not serve
	// the live stack as the weights say: it is unhealthy in Route 53's eyes (Route 53 serves the idle stack, or,
	// both being unhealthy, answers as if both were healthy).
	ExitFailingOver = 4
)

// Env is what the command line runs with.
type Env struct {
	Stdout, Stderr io.Writer
	// Getenv reads the environment (BLUEGREEN_*, NO_COLOR, USER).
	Getenv func(string) string
	// AWS loads the AWS configuration, on first use (validate needs none).
	AWS func(context.Context) (aws.Config, error)
	// Terminal reports whether a writer is a terminal: colour and the watch's live line only there. Nil: never.
	Terminal func(io.Writer) bool
	// Poll is how often a watch asks about a running execution (0: every second).
	Poll time.Duration
	// Now is the clock executions are named by (nil: time.Now).
	Now func() time.Time
}

// Run runs the command line args (without the program name) and returns the exit status.
func Run(ctx context.Context, args []string, env Env) int {
	c := &command{env: env, out: env.Stdout, errOut: env.Stderr}
	root := c.root()
	root.SetArgs(normalizeArgs(root, args))
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	name := "bluegreen"
	if cmd != nil && cmd != root {
		name += " " + cmd.Name()
	}
	var (
		fail *failure
		code *exitCode
	)
	switch {
	case errors.As(err, &code):
		return code.code
	case !errors.As(err, &fail):
		// cobra's own errors (an unknown command or flag, the wrong arguments) and ours alike are usage errors.
		c.printError(name, err)
		fmt.Fprintf(env.Stderr, "Run '%s --help' for usage.\n", name)
		return ExitUsage
	}
	c.printError(name, fail.err)
	return ExitFailed
}

// failure is an error of a command that ran (not of its command line).
type failure struct{ err error }

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// exitCode ends a command with a status, its output already written.
type exitCode struct{ code int }

func (e *exitCode) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is a wrong command line found by a command itself.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// command holds what the commands share; the operator is built on first use.
type command struct {
	env         Env
	out, errOut io.Writer
	// The global flags.
	stack, stateMachine, lockTable, configPrefix, output string
	cfg                                                  aws.Config
	op                                                   *operator.Operator
}

// The output formats (-o).
const (
	outputText = "text"
	outputWide = "wide"
	outputJSON = "json"
)

func (c *command) json() bool { return c.output == outputJSON }

// style is the output's: colour only on a terminal, without NO_COLOR, and never in JSON.
func (c *command) style() style {
	return style{on: c.terminal(c.out) && c.env.Getenv("NO_COLOR") == "" && !c.json()}
}

func (c *command) terminal(w io.Writer) bool { return c.env.Terminal != nil && c.env.Terminal(w) }

// run wraps a command's body: its errors are failures (exit 1), not usage errors.
func run(body func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := body(cmd, args)
		var code *exitCode
		var usage usageError
		if err == nil || errors.As(err, &code) || errors.As(err, &usage) {
			return err
		}
		return &failure{err: err}
	}
}

// printError writes an error on one line, or as one JSON object with -o json.
func (c *command) printError(name string, err error) {
	msg, problems := describe(err)
	if c.json() {
		b, _ := json.Marshal(jsonError{Command: name, Error: msg, Problems: problems})
		fmt.Fprintln(c.errOut, string(b))
		return
	}
	fmt.Fprintf(c.errOut, "%s: %s\n", name, c.style().bad(oneLine(msg)))
}

// jsonError is an error with -o json, on stderr.
type jsonError struct {
	Command  string   `json:"command"`
	Error    string   `json:"error"`
	Problems []string `json:"problems,omitempty"`
}

// describe is an error as one line, and a refused input's problems, each on its own.
func describe(err error) (string, []string) {
	var v *deploy.ValidationError
	if !errors.As(err, &v) {
		return err.Error(), nil
	}
	if len(v.Problems) < 2 {
		return err.Error(), v.Problems
	}
	prefix, _, _ := strings.Cut(err.Error(), v.Error())
	return prefix + "invalid deployment input: " + strings.Join(v.Problems, "; "), v.Problems
}

// operator finds the deployer (flags, environment, then the stack's outputs) and builds the operator.
func (c *command) operator(ctx context.Context) (*operator.Operator, error) {
	if c.op != nil {
		return c.op, nil
	}
	cfg, err := c.env.AWS(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration: %w", err)
	}
	c.cfg = cfg
	if c.stateMachine == "" || c.lockTable == "" {
		if err := c.findDeployer(ctx); err != nil {
			return nil, err
		}
	}
	c.op = &operator.Operator{
		SFN: sfn.NewFromConfig(cfg), Locks: applock.New(dynamodb.NewFromConfig(cfg), c.lockTable), Params: ssm.NewFromConfig(cfg),
		StateMachine: c.stateMachine, ConfigPrefix: or(c.configPrefix, invoke.DefaultConfigPrefix),
		Warn: func(w string) { fmt.Fprintf(c.errOut, "warning: %s\n", w) }, Now: c.env.Now,
	}
	return c.op, nil
}

// findDeployer reads the deployer's names from its stack's outputs.
func (c *command) findDeployer(ctx context.Context) error {
	out, err := cloudformation.NewFromConfig(c.cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(c.stack)})
	if err != nil {
		return fmt.Errorf("find the deployer: read the outputs of stack %s (or give --state-machine and --lock-table): %w", c.stack, err)
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
		return fmt.Errorf("stack %s has no StateMachineArn or LockTableName output: is it the deployer's stack?", c.stack)
	}
	return nil
}

// printJSON writes v as one line of JSON.
func (c *command) printJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.out, string(b))
	return err
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
