package operator

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/stacks"
	"github.com/bluegreen-aws/bluegreen/internal/traffic"
)

// stackLister lists an app's stacks.
type stackLister interface {
	List(ctx context.Context, app string) ([]stacks.Summary, error)
}

var _ stackLister = (*stacks.Manager)(nil)

// Status is an app's status as an operator sees it.
type Status struct {
	App    records.App
	State  records.State
	Lock   *applock.Item
	Stacks []stacks.Summary
	// Unslotted are stacks no slot names: kept failed stacks and leftovers the next clean-up deletes (and, while a
	// deployment runs, its new stack before it is published).
	Unslotted []stacks.Summary
}

// Status reads an app's records, lock and stacks. The state reader is told whether a running execution holds the
// lock, so a live deployment's weights are not reported as inconsistent while a dead run's are.
func (o *Operator) Status(ctx context.Context, app string, zones traffic.Zones, sl stackLister) (Status, error) {
	cfg, err := o.Config(ctx, app)
	if err != nil {
		return Status{}, err
	}
	z, err := zones.Open(ctx, cfg.HostedZoneID)
	if err != nil {
		return Status{}, err
	}
	a, err := records.NewApp(app, z.Info().Name, cfg.Host)
	if err != nil {
		return Status{}, err
	}
	l, err := o.Lock(ctx, app)
	if err != nil {
		return Status{}, err
	}
	running := false
	if l != nil {
		d, err := o.status(ctx, l.Execution)
		running = err == nil && d.Status == "RUNNING"
	}
	list, err := sl.List(ctx, app)
	if err != nil {
		return Status{}, err
	}
	ids := make([]string, 0, len(list))
	for _, s := range list {
		ids = append(ids, s.StackID)
	}
	listed, err := z.ListApp(ctx, a) // the app's names only, never the whole zone
	if err != nil {
		return Status{}, err
	}
	st := records.Read(a, listed.Records, records.Facts{OtherRunning: running, Stacks: ids})
	return Status{
		App: a, State: st, Lock: l, Stacks: list,
		Unslotted: stacks.Unslotted(list, st.Slots[records.Blue], st.Slots[records.Green]),
	}, nil
}

// Print writes the status: the phase, the live stack, the lock and any approval waiting, the records table and the
// problems.
func (s Status) Print(w io.Writer) {
	live := "none"
	if s.State.ActiveColor.Valid() {
		live = fmt.Sprintf("%s stack %s (%s)", s.State.ActiveColor, s.State.Active, s.App.StackName(s.State.Active))
	}
	fmt.Fprintf(w, "app %s at %s: %s, live: %s\n", s.App.Name, s.App.HostName(), s.State.Phase, live)
	if s.Lock != nil {
		fmt.Fprintf(w, "locked by %s (%s, progress %s)\n", s.Lock.Execution, s.Lock.Action, s.Lock.Progress)
		if g := s.Lock.Approval; g != nil {
			fmt.Fprintf(w, "approval waiting at %d%%: %s\n", g.Step, g.Verdict)
		}
	}
	rs := s.State.Records
	if f := s.State.Fence; f != nil {
		rs = append(append([]records.Record{}, rs...), *f)
	}
	PrintRecords(w, rs)
	for _, u := range s.Unslotted {
		fmt.Fprintf(w, "stack %s (%s) is in no slot: the next deployment's clean-up deletes it\n", u.Name, u.Status)
	}
	for _, p := range s.State.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
}

// PrintRecords writes records as a table: name, type, SetIdentifier, weight, value.
func PrintRecords(w io.Writer, rs []records.Record) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tSET-ID\tWEIGHT\tVALUE")
	if len(rs) == 0 {
		fmt.Fprintln(tw, "(no records)\t\t\t\t")
	}
	for _, r := range rs {
		weight := "-"
		if r.Weight != nil {
			weight = strconv.FormatInt(*r.Weight, 10)
		}
		value := strings.Join(r.Values, " ")
		if r.Alias != nil {
			value = "alias " + r.Alias.DNSName
		}
		set := r.SetIdentifier
		if set == "" {
			set = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Type, set, weight, value)
	}
	tw.Flush()
}
