package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/spf13/cobra"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/failover"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/stacks"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
)

func (c *command) statusCmd() *cobra.Command {
	var (
		watch    bool
		interval time.Duration
	)
	cmd := &cobra.Command{
		Use:     "status APP [-o wide|json] [-w]",
		Short:   "The app's state: live color, stacks and versions, traffic, lock, waiting approval, problems",
		GroupID: "look",
		Long: `Read APP's state from its records, stacks and lock: which color holds the traffic (that one is live), each
color's stack with the version it serves and its share of the traffic, the deployment under way and an approval
waiting, and stacks no slot names. Problems come first, loud, and on stderr as well; the exit status is 3 when the
records are inconsistent. With routing.failover, a WARNING says when Route 53 does not serve the live stack because
it is unhealthy in Route 53's eyes (it serves the idle one, or both fail open); the exit status is then 4. -o wide adds the records table; -w refreshes until the app is at rest.`,
		Args: args("APP"),
		RunE: run(func(cmd *cobra.Command, a []string) error {
			return c.status(cmd.Context(), a[0], watch, interval)
		}),
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "refresh until the app is at rest and unlocked")
	cmd.Flags().DurationVar(&interval, "interval", 2*time.Second, "how often -w refreshes")
	return cmd
}

// status prints an app's status, or with watch every change of it until the app settles.
func (c *command) status(ctx context.Context, app string, watch bool, interval time.Duration) error {
	op, err := c.operator(ctx)
	if err != nil {
		return err
	}
	r53, elb := route53.NewFromConfig(c.cfg), elasticloadbalancingv2.NewFromConfig(c.cfg)
	zones := zone.NewOpener(r53, zone.Options{})
	sl := stacks.New(cloudformation.NewFromConfig(c.cfg), elb)
	last := ""
	for {
		s, err := op.Status(ctx, app, zones, sl)
		if err != nil {
			return err
		}
		if err := op.Judge(ctx, &s, failover.Judge{ELB: elb, Route53: r53, TargetGroups: targetGroups(sl, s)}); err != nil {
			return err
		}
		var b strings.Builder
		if err := c.printStatus(&b, s); err != nil {
			return err
		}
		if b.String() != last {
			if last != "" && !c.json() {
				c.println("")
			}
			fmt.Fprint(c.out, b.String())
			last = b.String()
			for _, p := range s.State.Problems {
				fmt.Fprintf(c.errOut, "bluegreen status: %s: problem: %s\n", app, p)
			}
			if s.FailingOver() {
				fmt.Fprintf(c.errOut, "bluegreen status: %s: warning: %s\n", app, servedLine(s))
			}
		}
		inconsistent := s.State.Phase == records.PhaseInconsistent
		settled := s.Settled()
		if watch && settled {
			// A run just started has not taken the lock yet: wait for it too.
			runs, _, err := op.History(ctx, app, 1)
			settled = err == nil && (len(runs) == 0 || !runs[0].Running())
		}
		if !watch || settled || (inconsistent && !s.Running()) {
			switch {
			case inconsistent:
				return &exitCode{code: ExitInconsistent}
			case s.FailingOver():
				return &exitCode{code: ExitFailingOver}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// printStatus writes a status as text (80 columns; wide: every column and the records), or JSON.
func (c *command) printStatus(w io.Writer, s operator.Status) error {
	if c.json() {
		b, err := json.Marshal(statusJSON(s))
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	}
	st, wide := c.style(), c.output == outputWide
	for _, p := range s.State.Problems {
		fmt.Fprintln(w, wrap(st.bad("PROBLEM:")+" "+p, 80, "  "))
	}
	if s.FailingOver() {
		fmt.Fprintln(w, wrap(st.bad("WARNING:")+" "+servedLine(s), 80, "  "))
	}
	fmt.Fprintln(w, heading(st, s))
	rows := [][]string{{"COLOR", "STACK", "VERSION", "TRAFFIC", "STATUS", ""}}
	if wide {
		rows = [][]string{{"COLOR", "STACK", "VERSION", "TRAFFIC", "WEIGHT", "STATUS", "CREATED", ""}}
	}
	for _, col := range records.Colors {
		rows = append(rows, colorRow(st, s, col, wide))
	}
	writeTable(w, rows)
	lockLines(w, st, s, wide)
	for _, u := range s.Unslotted {
		fmt.Fprintln(w, wrap(fmt.Sprintf("stack %s (%s, %s) is in no slot: the next deployment's clean-up deletes it", u.Name, or(u.Version, "version unknown"), u.Status), 80, "  "))
	}
	if wide {
		fmt.Fprintln(w)
		rs := s.State.Records
		if f := s.State.Fence; f != nil {
			rs = append(append([]records.Record{}, rs...), *f)
		}
		printRecords(w, rs)
	}
	return nil
}

// servedLine says that Route 53 does not answer as the records say, and why.
func servedLine(s operator.Status) string {
	v := s.Served
	if v.Served == v.Live {
		return fmt.Sprintf("the records say %s is live; Route 53 serves it, but %s", v.Live, v.Reason)
	}
	return fmt.Sprintf("the records say %s is live; Route 53 is serving %s because %s", v.Live, v.Served, v.Reason)
}

// targetGroups finds a stack's load balancer's target groups, for judging its health as Route 53 does.
func targetGroups(sl *stacks.Manager, s operator.Status) func(ctx context.Context, stackID string) ([]string, error) {
	return func(ctx context.Context, stackID string) ([]string, error) {
		ep, err := sl.Endpoint(ctx, s.App.StackName(stackID), s.Config.Endpoint.Output, "")
		if err != nil {
			return nil, err
		}
		return ep.TargetGroups, nil
	}
}

// heading says where the app stands, and which color holds the traffic.
func heading(st style, s operator.Status) string {
	phase := string(s.State.Phase)
	switch s.State.Phase {
	case records.PhaseInconsistent:
		phase = st.bad("INCONSISTENT")
	case records.PhaseMoving:
		phase = st.warn("moving") + " (a deployment runs)"
	case records.PhaseAtRest:
		phase = st.good("at rest")
	case records.PhaseEmpty:
		phase = "no release yet"
	}
	live := "no color holds the traffic"
	if s.State.Weight(records.Blue) > 0 && s.Live() == "" {
		live = "the traffic split evenly"
	}
	if c := s.Live(); c != "" {
		live = st.colour(c) + " live"
		if id := s.State.Slots[c]; id != "" {
			live += " (" + or(version(s, id), "stack "+id) + ")"
		}
	}
	return fmt.Sprintf("%s at %s: %s, %s", st.bold(s.App.Name), s.App.HostName(), phase, live)
}

// colorRow is one color's row: its stack, version, traffic and status, and whether it is live.
func colorRow(st style, s operator.Status, c records.Color, wide bool) []string {
	id, ok := s.State.Slots[c]
	if !ok {
		if wide {
			return []string{st.colour(c), "-", "-", "-", "-", "(empty slot)", "", ""}
		}
		return []string{st.colour(c), "-", "-", "-", "(empty slot)", ""}
	}
	status, created := "(no such stack)", ""
	if x := s.Stack(id); x != nil {
		status, created = x.Status, x.Created.UTC().Format("2006-01-02 15:04")
	}
	traffic := "-"
	if _, routed := s.State.Weighted[c]; routed {
		traffic = fmt.Sprintf("%s %3d%%", bar(s.Share(c)), s.Share(c))
	}
	var notes []string
	if s.Live() == c {
		notes = append(notes, st.good("live"))
	}
	if s.State.ActiveColor == c && s.Live() != c {
		// stack.active names the other color: a problem at rest, the live release before the switch otherwise.
		if s.State.Phase == records.PhaseInconsistent {
			notes = append(notes, st.bad("stack.active"))
		} else {
			notes = append(notes, st.faint("active"))
		}
	}
	if v := s.Served; v != nil {
		// Route 53 does not answer as the weights say (failover): the unhealthy live color, and the one it serves.
		switch {
		case c == v.Live:
			notes = append(notes, st.bad("unhealthy"))
		case c == v.Served:
			notes = append(notes, st.bad("served by Route 53"))
		}
	}
	note := strings.Join(notes, ", ")
	v := version(s, id)
	if wide {
		weight := "-"
		if r, routed := s.State.Weighted[c]; routed && r.Weight != nil {
			weight = strconv.FormatInt(*r.Weight, 10)
		}
		return []string{st.colour(c), s.App.StackName(id), or(v, "-"), traffic, weight, status, created, note}
	}
	return []string{st.colour(c), id, clip(or(v, "-"), 16), traffic, clip(status, 18), note}
}

// version is the version a stack serves (its version tag), "" when unknown.
func version(s operator.Status, id string) string {
	if x := s.Stack(id); x != nil {
		return x.Version
	}
	return ""
}

// lockLines say who holds the app's lock, how far it got, and the approval it waits for.
func lockLines(w io.Writer, st style, s operator.Status, wide bool) {
	l := s.Lock
	if l == nil {
		fmt.Fprintln(w, st.faint("lock: free"))
		return
	}
	name := l.Execution
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !wide {
		name = name[i+1:]
	}
	progress := string(l.Progress)
	if l.Step > 0 {
		progress += fmt.Sprintf(" at %d%%", l.Step)
	}
	switch {
	case s.Running():
		fmt.Fprintln(w, wrap(fmt.Sprintf("%s under way: %s (%s); follow it with `bluegreen watch %s`", runOf(l.Action), name, progress, s.App.Name), 80, "  "))
	default:
		status := "gone"
		if s.Holder != nil {
			status = s.Holder.Status
		}
		fmt.Fprintln(w, wrap(st.bad("LOCKED")+fmt.Sprintf(" by a run that is not running: %s (%s, %s). Finish or undo what it left with:", name, status, progress), 80, "  "))
		fmt.Fprintf(w, "  `bluegreen reconcile %s`\n", name)
		return // its approval gate, if any, waits for no one
	}
	if g := l.Approval; g != nil {
		fmt.Fprintln(w, wrap(st.warn(fmt.Sprintf("approval waiting at %d%%", g.Step))+": "+g.Verdict, 80, "  "))
		fmt.Fprintln(w, wrap(fmt.Sprintf("  promote: `bluegreen promote %s` (--full: all the way)", s.App.Name), 80, "    "))
		fmt.Fprintln(w, wrap(fmt.Sprintf("  abort:   `bluegreen abort %s`", s.App.Name), 80, "    "))
	}
}

// runOf names a run by its action: "deployment", "rollback", ...
func runOf(a deploy.Action) string {
	switch a {
	case deploy.ActionDeploy:
		return "deployment"
	case "":
		return "a run"
	}
	return string(a)
}
