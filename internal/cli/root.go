package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

const rootLong = `bluegreen: blue/green releases of CloudFormation stacks, traffic moved by Route 53 weighted records.

A release is a new stack in the idle color, health checked, given a growing share of the traffic, then made live;
the previous stack stays up, so a rollback is one DNS change. Every command that starts an execution checks its
input as the deployer will first, then watches it live (--no-wait to return at once).

The deployer is found through the outputs of its stack (--stack, $BLUEGREEN_STACK, default BlueGreen), or given
with --state-machine, --lock-table and --config-prefix ($BLUEGREEN_STATE_MACHINE_ARN, $BLUEGREEN_LOCK_TABLE,
$BLUEGREEN_CONFIG_PREFIX), with the usual AWS credentials.

Output: text (colour only on a terminal, and never with NO_COLOR set), or -o json: one JSON object a line, the
same fields in every version (see the README); errors on stderr, one line each (one JSON object with -o json).
Flags may be written -flag or --flag.

Exit status: 0 success; 1 the command, or the execution it watched, failed (rolled back, refused, stopped, timed
out); 2 a wrong command line; 3 (status) the app's records are inconsistent; 4 (status) the app has failover and
Route 53 is not serving the live stack, which is unhealthy in its eyes.`

// root builds the command tree.
func (c *command) root() *cobra.Command {
	root := &cobra.Command{
		Use:           "bluegreen",
		Short:         "Blue/green releases on AWS: CloudFormation stacks, Route 53 weighted records, Step Functions",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Sprintf("unknown command %q", args[0])}
			}
			cmd.SetOut(c.errOut)
			_ = cmd.Help()
			return usageError{"a command is needed"}
		},
	}
	root.SetOut(c.out)
	root.SetErr(c.errOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err.Error()} })
	getenv := c.env.Getenv
	pf := root.PersistentFlags()
	pf.StringVar(&c.stack, "stack", or(getenv("BLUEGREEN_STACK"), "BlueGreen"), "the deployer's CloudFormation stack")
	pf.StringVar(&c.stateMachine, "state-machine", getenv("BLUEGREEN_STATE_MACHINE_ARN"), "the deployer's state machine ARN")
	pf.StringVar(&c.lockTable, "lock-table", getenv("BLUEGREEN_LOCK_TABLE"), "the deployer's lock table")
	pf.StringVar(&c.configPrefix, "config-prefix", getenv("BLUEGREEN_CONFIG_PREFIX"), "the apps' SSM parameter prefix")
	pf.StringVarP(&c.output, "output", "o", outputText, "output: text, wide (status, history: every column) or json")
	_ = root.RegisterFlagCompletionFunc("output", fixed(outputText, outputWide, outputJSON))
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		switch c.output {
		case outputText, outputWide, outputJSON:
			return nil
		}
		return usageError{fmt.Sprintf("-o %q: want text, wide or json", c.output)}
	}
	root.AddGroup(&cobra.Group{ID: "release", Title: "Releases:"}, &cobra.Group{ID: "look", Title: "Looking:"},
		&cobra.Group{ID: "check", Title: "Checking inputs:"})
	root.AddCommand(c.deployCmd(), c.rollbackCmd(), c.reconcileCmd(), c.repairCmd(), c.promoteCmd(), c.abortCmd(),
		c.statusCmd(), c.watchCmd(), c.historyCmd(), c.validateCmd(), c.validateConfigCmd())
	return root
}

// fixed completes a flag's value from a fixed list.
func fixed(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// args checks a command's positional arguments: exactly the names given.
func args(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, got []string) error {
		if len(got) != len(names) {
			return usageError{fmt.Sprintf("want %s, have %d argument(s): usage: %s", strings.Join(names, " "), len(got), cmd.UseLine())}
		}
		return nil
	}
}

// normalizeArgs rewrites the single-dash long flags of earlier versions (-artifact URI, -no-wait, -stack NAME) as
// pflag reads long flags (--artifact URI), leaving values, shorthands (-o json, -n 5, -w) and everything after "--"
// as they are. It knows every flag of every command, so a value that looks like a flag is never rewritten.
func normalizeArgs(root *cobra.Command, args []string) []string {
	long, short := map[string]*pflag.Flag{}, map[string]*pflag.Flag{}
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, fs := range []*pflag.FlagSet{cmd.Flags(), cmd.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				long[f.Name] = f
				if f.Shorthand != "" {
					short[f.Shorthand] = f
				}
			})
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)
	takesValue := func(f *pflag.Flag, inline bool) bool { return f != nil && f.NoOptDefVal == "" && !inline }
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		var f *pflag.Flag
		inline := false
		switch {
		case strings.HasPrefix(a, "--"):
			var name string
			name, _, inline = strings.Cut(a[2:], "=")
			f = long[name]
		case strings.HasPrefix(a, "-") && len(a) > 2:
			var name string
			name, _, inline = strings.Cut(a[1:], "=")
			if f = long[name]; f != nil {
				a = "-" + a
			}
		case strings.HasPrefix(a, "-") && len(a) == 2:
			f = short[a[1:]]
		}
		out = append(out, a)
		if takesValue(f, inline) && i+1 < len(args) {
			i++
			out = append(out, args[i])
		}
	}
	return out
}
