package localdeploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/bluegreen-aws/bluegreen/internal/cli"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/functions"
	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/clients"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/dataplane"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/triggers"
)

// DemoOptions configure the demo.
type DemoOptions struct {
	// ModuleDir is the repository root (the functions are built from it).
	ModuleDir string
	// WorkDir receives the host bootstraps and the logs.
	WorkDir string
	// BakeSeconds is each weight step's bake (the records are printed during it).
	BakeSeconds int
}

// Demo runs the product as a user lives it, on a local AWS it starts and stops: the real bootstraps under
// aws-lambda-rie, the real state machines in moto's interpreter, the rules of package triggers on the local
// EventBridge. Release 1 (started with the operator's command line, internal/cli); release 2, started by putting its artifact into the
// bucket; release 3, healthy before traffic, failing at 30 % and rolled back; a manual rollback; a release stopped
// mid-shift and reconciled by the status-change rule's sweep; then the CLI's status and history. Each stage prints the
// records and one result line; an error when a stage ends other than expected.
func Demo(ctx context.Context, w io.Writer, o DemoOptions) (err error) {
	say := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	bootstraps := filepath.Join(o.WorkDir, "host")
	say("== building the five Lambdas for this machine (%s)", bootstraps)
	if err := localaws.BuildBootstraps(ctx, o.ModuleDir, bootstraps, functions.Names); err != nil {
		return err
	}
	logs := filepath.Join(o.WorkDir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return err
	}
	say("== starting the local AWS (moto + gateway, functions under aws-lambda-rie; logs in %s)", logs)
	a, err := localaws.Start(ctx, localaws.Options{BootstrapDir: bootstraps, FunctionEnv: FunctionEnv(), LogDir: logs,
		DataPlane: dataplane.Options{LoadBalancerTTL: DemoTTL}})
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := a.Stop(); stopErr != nil && err == nil {
			err = stopErr
		}
		say("== local AWS stopped")
	}()
	apps, err := StartAppServer()
	if err != nil {
		return err
	}
	defer apps.Close()
	d, err := Install(ctx, a, apps)
	if err != nil {
		return err
	}
	zoneID, err := d.AddZone(ctx, "example.com")
	if err != nil {
		return err
	}
	cfg := d.AppConfig(zoneID)
	bake, drain := o.BakeSeconds, 1
	cfg.Strategy.BakeSeconds, cfg.DrainSeconds = &bake, &drain
	cfg.Strategy.WatchSeconds, cfg.Strategy.WatchIntervalSeconds = &bake, &bake // the watch is observed as 100 %
	// Each step's check verifies the split clients produce from the load balancers' RequestCount, in 1-second
	// periods (the local load balancers publish at high resolution): the bake is at least the TTL, a period and
	// the lag.
	lag := 1
	cfg.Endpoint.TTL = int64(DemoTTL / time.Second)
	cfg.Health.Traffic = &deploy.TrafficConfig{MinRequests: 100, LagSeconds: &lag, PeriodSeconds: 1}
	apps.SetRequestCountResolution(true)
	if err := d.AddApp(ctx, "demoapp", cfg); err != nil {
		return err
	}
	if err := d.InstallTriggers(ctx, Triggers{Apps: []triggers.App{{Name: "demoapp"}}}); err != nil {
		return err
	}
	say("   state machine %s, hosted zone example.com (%s), app demoapp at demoapp.example.com", d.StateMachine, zoneID)
	say("   triggers: uploads under demoapp/ in s3://%s, a sweep on a stopped run's status change and every 5 minutes", ArtifactBucket)
	say("   DNS: dig @%s -p %d demoapp.example.com (a load balancer's TTL: %.0f s); from release 2 on, %d clients, each with its own DNS cache,",
		a.DataPlane.Addr().Addr(), a.DataPlane.Addr().Port(), DemoTTL.Seconds(), demoClients)
	say("   send a request every %d ms; each step's check verifies the split from the load balancers' RequestCount (1-s periods)", demoEvery.Milliseconds())

	env := map[string]string{"BLUEGREEN_STATE_MACHINE_ARN": d.StateMachine, "BLUEGREEN_LOCK_TABLE": LockTable, "USER": "demo"}
	// bluegreen runs the operator's command line as an operator types it, and checks its exit status.
	bluegreen := func(want int, args ...string) error {
		say("$ bluegreen %s", strings.Join(args, " "))
		code := cli.Run(ctx, args, cli.Env{Stdout: w, Stderr: w, Getenv: func(k string) string { return env[k] }, AWS: a.Config, Poll: 200 * time.Millisecond})
		if code != want {
			return fmt.Errorf("bluegreen %s: exit status %d, want %d", strings.Join(args, " "), code, want)
		}
		return nil
	}
	dm := &demo{d: d, apps: apps, bluegreen: bluegreen, say: say, cfg: cfg}
	defer dm.stopClients()
	for i, st := range []struct {
		title string
		run   func(context.Context) (string, error)
	}{
		{"release 1: demoapp v1, started with the CLI", dm.first},
		{"release 2: demoapp v2, started by putting its artifact into the bucket", dm.upload},
		{"release 3: demoapp v3-broken, healthy before traffic, failing at 30 %", dm.failing},
		{"manual rollback, with the CLI", dm.rollback},
		{"release 4: demoapp v4, stopped mid-shift", dm.stopped},
		{"release 5: demoapp v5 with failover on; its targets fail during the watch", dm.failover},
	} {
		say("\n== %d. %s", i+1, st.title)
		result, err := st.run(ctx)
		if err != nil {
			return fmt.Errorf("stage %d (%s): %w", i+1, st.title, err)
		}
		if err := bluegreen(0, "status", "demoapp", "-o", "wide"); err != nil { // the records table
			return err
		}
		say("   %s", result)
	}
	say("\n== the app now, and its history")
	if err := bluegreen(0, "status", "demoapp"); err != nil {
		return err
	}
	if err := bluegreen(0, "history", "demoapp"); err != nil {
		return err
	}
	say("\n== done: every stage ended as expected; v1 is live on blue")
	return nil
}

// demo is the demo's deployer and app server, stage by stage.
type demo struct {
	d    *Deployer
	apps *AppServer
	// bluegreen runs the CLI and requires its exit status.
	bluegreen func(want int, args ...string) error
	say       func(format string, args ...any)
	cfg       deploy.Config // demoapp's stored configuration
	// clients send requests to demoapp.example.com through the local DNS from release 2 on.
	clients *clients.Load
}

// The demo's clients and the TTL its DNS gives the load balancers (AWS: 60 s).
const (
	DemoTTL     = time.Second
	demoClients = 120 // each draws a weighted answer once per TTL: many clients make the observed split steadier
	demoEvery   = 300 * time.Millisecond
)

// startClients starts the demo's clients.
func (m *demo) startClients(ctx context.Context) error {
	load, err := m.d.Clients(ctx, clients.Config{Host: "demoapp.example.com", Clients: demoClients, Every: demoEvery})
	m.clients = load
	return err
}

func (m *demo) stopClients() {
	if m.clients != nil {
		m.clients.Stop()
	}
}

// observed prints, for each weight step of the execution and its watch, the intended weight of version and the
// share of the clients' requests it answered, counted from the TTL (and the data plane's record cache) after the
// step began.
func (m *demo) observed(ctx context.Context, arn, version string) error {
	windows, err := StepWindows(ctx, sfn.NewFromConfig(m.d.Config), arn)
	if err != nil {
		return err
	}
	verified, err := m.verified(ctx, arn)
	if err != nil {
		return err
	}
	for _, o := range ObserveSplit(windows, m.clients, version, DemoTTL+dataplane.DefaultRecordCache) {
		line := o.String()
		if ev, ok := verified[o.Intended]; ok {
			counted := ev.NewRequests - ev.ProbesSubtracted + ev.OldRequests
			line += fmt.Sprintf("; the step's check read %.1f %% of %s in CloudWatch (at least %.1f %% wanted): %s",
				100*ev.Share, thousands(int(counted)), 100*ev.MinShare, ev.Outcome)
		}
		m.say("   %s", line)
	}
	return nil
}

// verified returns, by step percent, the split verification's evidence of the last check of each step that passed.
func (m *demo) verified(ctx context.Context, arn string) (map[int]deploy.TrafficEvidence, error) {
	out, err := sfn.NewFromConfig(m.d.Config).GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	if err != nil {
		return nil, err
	}
	evidence := map[int]deploy.TrafficEvidence{}
	for _, ev := range out.Events {
		if ev.Type != sfntypes.HistoryEventTypeTaskStateExited || aws.ToString(ev.StateExitedEventDetails.Name) != "StepHealth" {
			continue
		}
		var st deploy.State
		if json.Unmarshal([]byte(aws.ToString(ev.StateExitedEventDetails.Output)), &st) != nil || st.Step == nil || st.Verdict == nil || st.Verdict.Traffic == nil {
			continue
		}
		// Keyed by the step the evidence is of: moto's exit event of a failed check carries the check's input,
		// the previous step's verdict.
		evidence[int(math.Round(100*st.Verdict.Traffic.Intended))] = *st.Verdict.Traffic
	}
	return evidence, nil
}

// run runs an execution the way the CLI does and requires it to end as want.
func (m *demo) run(ctx context.Context, in deploy.Input, want string) (string, operator.Result, error) {
	arn, r, err := m.d.Run(ctx, in, nil)
	if err == nil && r.Status != want {
		err = fmt.Errorf("the execution ended %s (%s: %s), want %s", r.Status, r.Error, deploy.CauseMessage(r.Cause), want)
	}
	return arn, r, err
}

// wait waits for an execution someone else started and requires it to end as want.
func (m *demo) wait(ctx context.Context, arn, want string) (operator.Result, error) {
	r, err := m.d.Operator.Wait(ctx, arn, 50*time.Millisecond, nil)
	if err == nil && r.Status != want {
		err = fmt.Errorf("execution %s ended %s (%s: %s), want %s", arn, r.Status, r.Error, deploy.CauseMessage(r.Cause), want)
	}
	return r, err
}

// live checks that demoapp is at rest with c live, and returns the stack ids in c and in the other color.
func (m *demo) live(ctx context.Context, c records.Color) (live, idle string, err error) {
	if err := expect(ctx, m.d, c); err != nil {
		return "", "", err
	}
	s, err := m.d.Status(ctx, "demoapp")
	if err != nil {
		return "", "", err
	}
	return s.State.Slots[c], s.State.Slots[c.Other()], nil
}

func (m *demo) first(ctx context.Context) (string, error) {
	if err := m.bluegreen(0, "deploy", "demoapp", "v1", "--artifact", "s3://"+ArtifactBucket+"/demoapp/releases/v1.zip"); err != nil {
		return "", err
	}
	blue, _, err := m.live(ctx, records.Blue)
	return fmt.Sprintf("v1 live on blue (stack %s): the first release switches at once, with no weight steps", blue), err
}

func (m *demo) upload(ctx context.Context) (string, error) {
	if err := m.startClients(ctx); err != nil {
		return "", err
	}
	key := "demoapp/releases/v2.zip"
	put, err := s3.NewFromConfig(m.d.Config, func(o *s3.Options) { o.UsePathStyle = true }).PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(ArtifactBucket), Key: aws.String(key), Body: strings.NewReader("demoapp v2"),
	})
	if err != nil {
		return "", err
	}
	arn, err := m.startedBy(ctx, func(ev map[string]any) bool {
		d, _ := ev["detail"].(map[string]any)
		o, _ := d["object"].(map[string]any)
		return ev["detail-type"] == "Object Created" && o["key"] == key
	})
	if err != nil {
		return "", err
	}
	r, err := m.wait(ctx, arn, "SUCCEEDED")
	if err != nil {
		return "", err
	}
	if r.Input == nil {
		return "", fmt.Errorf("execution %s: its input does not read as a release", arn)
	}
	if err := m.observed(ctx, arn, r.Input.Version); err != nil { // the upload's version id
		return "", err
	}
	green, blue, err := m.live(ctx, records.Green)
	return fmt.Sprintf("s3://%s/%s (version id %s) started %s: live on green (stack %s) after 10, 30, 60 %%; v1 idle on blue (stack %s)",
		ArtifactBucket, key, aws.ToString(put.VersionId), name(arn), green, blue), err
}

func (m *demo) failing(ctx context.Context) (string, error) {
	const v = "v3-broken"
	m.apps.Break(v, false) // healthy for its first two checks (before traffic, at 10 %), then failing
	m.apps.FailAfter(v, 2)
	arn, r, err := m.run(ctx, deploy.Input{App: "demoapp", Version: v, Artifact: "s3://" + ArtifactBucket + "/demoapp/releases/" + v + ".zip"}, "FAILED")
	if err != nil {
		return "", err
	}
	at, err := m.lastStep(ctx, arn)
	if err != nil {
		return "", err
	}
	if err := m.observed(ctx, arn, v); err != nil {
		return "", err
	}
	if at != 30 {
		return "", fmt.Errorf("%s failed after the %d %% step, want 30 %%", v, at)
	}
	green, _, err := m.live(ctx, records.Green)
	return fmt.Sprintf("%s rolled back at %d %%: %s: %s; v2 still live on green (stack %s)", v, at, r.Error, cutLine(deploy.CauseMessage(r.Cause), 160), green), err
}

func (m *demo) rollback(ctx context.Context) (string, error) {
	if err := m.bluegreen(0, "rollback", "demoapp"); err != nil {
		return "", err
	}
	blue, green, err := m.live(ctx, records.Blue)
	return fmt.Sprintf("rolled back by hand: v1 live again on blue (stack %s), after a health check; v2 idle on green (stack %s)", blue, green), err
}

func (m *demo) stopped(ctx context.Context) (string, error) {
	o := m.d.Operator
	arn, err := o.Start(ctx, deploy.Input{App: "demoapp", Version: "v4", Artifact: "s3://" + ArtifactBucket + "/demoapp/releases/v4.zip",
		Config: []byte(`{"strategy": {"bakeSeconds": 600}}`)})
	if err != nil {
		return "", err
	}
	for {
		l, err := o.Lock(ctx, "demoapp")
		if err != nil {
			return "", err
		}
		if l != nil && l.Progress == deploy.ProgressShifting {
			break
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return "", err
		}
	}
	if _, err := sfn.NewFromConfig(m.d.Config).StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn)}); err != nil {
		return "", err
	}
	// Nothing here starts the reconcile: the stopped run's status event starts a sweep, which starts it.
	reconcile := strings.Replace(m.d.StateMachine, ":stateMachine:", ":execution:", 1) + ":" + triggers.ReconcileName("demoapp", arn)
	for {
		_, err := sfn.NewFromConfig(m.d.Config).DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(reconcile)})
		var missing *sfntypes.ExecutionDoesNotExist
		if err == nil {
			break
		}
		if !errors.As(err, &missing) {
			return "", err
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return "", fmt.Errorf("no reconcile %s started: %w", reconcile, err)
		}
	}
	if _, err := m.wait(ctx, reconcile, "SUCCEEDED"); err != nil {
		return "", err
	}
	blue, _, err := m.live(ctx, records.Blue)
	if err != nil {
		return "", err
	}
	if s, err := m.d.Status(ctx, "demoapp"); err != nil || len(s.Unslotted) != 0 {
		return "", fmt.Errorf("after the reconcile: stacks no slot names %+v (%v), want v4's deleted", s.Unslotted, err)
	}
	return fmt.Sprintf("v4 stopped at 10 %%; its status event started a sweep, which started %s: v1 live on blue again (stack %s), v4's stack deleted",
		name(reconcile), blue), err
}

func (m *demo) failover(ctx context.Context) (string, error) {
	cfg := m.cfg
	cfg.Routing.Failover = true // stored configuration only: never an execution's override
	if err := m.d.AddApp(ctx, "demoapp", cfg); err != nil {
		return "", err
	}
	m.say("   routing.failover on: the weighted and per-stack alias records evaluate target health (rewritten in v5's first batch)")
	const v = "v5"
	arn, err := m.d.Operator.Start(ctx, deploy.Input{App: "demoapp", Version: v, Artifact: "s3://" + ArtifactBucket + "/demoapp/releases/" + v + ".zip"})
	if err != nil {
		return "", err
	}
	for { // the first check of the watch has passed: v5 is live on green
		path, err := m.d.Operator.Path(ctx, arn)
		if err != nil {
			return "", err
		}
		if slices.Contains(operator.Names(path), "WatchWait") {
			break
		}
		if slices.Contains(operator.Names(path), "Rollback") {
			return "", fmt.Errorf("%s rolled back before its watch", v)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return "", err
		}
	}
	s, err := m.d.Status(ctx, "demoapp")
	if err != nil {
		return "", err
	}
	green := s.State.Slots[records.Green]
	at := time.Now()
	if err := m.d.FailTargets(ctx, "demoapp-"+green); err != nil {
		return "", err
	}
	defer m.d.AWS.Gateway.ClearFaults()
	m.say("   %s: green's targets turn unhealthy (stack %s), while the state machine watches v5", at.Format("15:04:05.0"), green)
	moved, ok := TrafficMoved(ctx, m.clients, at, "v1", 95, 500*time.Millisecond, 20*time.Second)
	if !ok {
		return "", errors.New("the clients' traffic never moved to v1 on blue")
	}
	m.say("   Route 53's data plane moved the traffic: 95 %% of requests on v1 (blue) %s; TTL %.0f s", moved, DemoTTL.Seconds())
	r, err := m.wait(ctx, arn, "FAILED")
	if err != nil {
		return "", err
	}
	done := time.Since(at)
	if done <= moved.After {
		return "", fmt.Errorf("the rollback completed %.1f s after, before the traffic moved (%.1f s)", done.Seconds(), moved.After.Seconds())
	}
	if _, _, err := m.live(ctx, records.Blue); err != nil {
		return "", err
	}
	return fmt.Sprintf("traffic on v1 %.1f s after green's targets failed; the state machine's rollback (%s) completed %.1f s after: v1 live on blue",
		moved.After.Seconds(), r.Error, done.Seconds()), nil
}

// startedBy waits (30 s at most) for the event bus to deliver an event match accepts, and returns the one execution
// it started.
func (m *demo) startedBy(ctx context.Context, match func(event map[string]any) bool) (string, error) {
	bus := m.d.AWS.Gateway.Events()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		for _, r := range bus.Records() {
			var ev map[string]any
			if json.Unmarshal(r.Event, &ev) != nil || !match(ev) {
				continue
			}
			if len(r.Deliveries) != 1 || r.Deliveries[0].Execution == "" {
				return "", fmt.Errorf("event %s: rules %v, deliveries %+v; want one execution started", r.ID, r.Rules, r.Deliveries)
			}
			return r.Deliveries[0].Execution, nil
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return "", fmt.Errorf("the event never reached the bus: %w", err)
		}
	}
}

// lastStep is the weight step (percent) an execution shifted to last, from its history.
func (m *demo) lastStep(ctx context.Context, arn string) (int, error) {
	out, err := sfn.NewFromConfig(m.d.Config).GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	if err != nil {
		return 0, err
	}
	percent := 0
	for _, ev := range out.Events {
		if ev.Type == sfntypes.HistoryEventTypeTaskStateExited && aws.ToString(ev.StateExitedEventDetails.Name) == "Shift" {
			var s deploy.State
			if err := json.Unmarshal([]byte(aws.ToString(ev.StateExitedEventDetails.Output)), &s); err == nil && s.Step != nil {
				percent = s.Step.Percent
			}
		}
	}
	return percent, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// name is an execution's name.
func name(arn string) string { return arn[strings.LastIndexByte(arn, ':')+1:] }

// cutLine cuts s to n bytes, marking the cut.
func cutLine(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// expect checks that demoapp is at rest with c live.
func expect(ctx context.Context, d *Deployer, c records.Color) error {
	s, err := d.Status(ctx, "demoapp")
	if err != nil {
		return err
	}
	st := s.State
	if st.Phase != records.PhaseAtRest || st.ActiveColor != c || st.Weight(c) != 100 || s.Lock != nil {
		return fmt.Errorf("demoapp should be at rest with %s live at weight 100 and unlocked; it is %s, live %q, weight %d, problems %v",
			c, st.Phase, st.ActiveColor, st.Weight(c), st.Problems)
	}
	return nil
}

// Time is the demo's overall budget.
const Time = 5 * time.Minute
