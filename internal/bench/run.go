package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/functions"
	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/dataplane"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Budget is how long the whole bench may take on the project's 2-core machines.
const Budget = 20 * time.Minute

// Options configure a bench run.
type Options struct {
	// OtherRecords are the numbers of other records in the zone of each release measured.
	OtherRecords []int
	// AWSBootstraps holds <name>/bootstrap built for AWS (make build-aws); HostBootstraps the host builds (make
	// build-host), run under aws-lambda-rie.
	AWSBootstraps, HostBootstraps string
	// WorkDir receives the local AWS's and the functions' logs.
	WorkDir string
	// Progress hears a line at each stage; nil stays quiet.
	Progress io.Writer
	// LoadApps apps among LoadOtherRecords other records are released at once under the Route 53 model
	// (Concurrent); 0 skips that run and the propagated one.
	LoadApps, LoadOtherRecords int
}

// ParseCounts reads a comma-separated list of record counts, "0,3000,10000".
func ParseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("record count %q is not a number of records", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// The app the bench deploys, in its zone.
const (
	appName  = "demoapp"
	zoneName = "example.com"
)

// Run starts a local AWS with the deployer's functions in-process, measures a release in each zone size, an
// automatic rollback and a manual one (each on a freshly reset local AWS), then the bootstraps, and stops it.
func Run(ctx context.Context, o Options) (r Report, err error) {
	start := time.Now()
	b := &bench{start: start, progress: o.Progress}
	r = Report{Machine: Machine(), Date: start.UTC().Format(time.RFC3339)}
	rie, err := gateway.FindRIE()
	if err != nil {
		return r, err
	}
	if err := os.MkdirAll(o.WorkDir, 0o755); err != nil {
		return r, fmt.Errorf("bench work folder: %w", err)
	}
	logs, err := os.Create(filepath.Join(o.WorkDir, "functions.log"))
	if err != nil {
		return r, fmt.Errorf("functions' log: %w", err)
	}
	defer logs.Close()
	if b.apps, err = localdeploy.StartAppServer(); err != nil {
		return r, err
	}
	defer b.apps.Close()
	b.say("starting the local AWS (functions in-process; logs in %s)", o.WorkDir)
	if b.aws, err = localdeploy.StartInProcess(ctx, logs, nil, localaws.Options{LogDir: filepath.Join(o.WorkDir, "logs"),
		DataPlane: dataplane.Options{LoadBalancerTTL: dataPlaneTTL}}); err != nil {
		return r, err
	}
	defer func() { err = errors.Join(err, b.aws.Stop()) }()

	for _, n := range o.OtherRecords {
		rel, err := b.release(ctx, n)
		if err != nil {
			return r, fmt.Errorf("release in a zone of %d other records: %w", n, err)
		}
		r.Releases = append(r.Releases, rel)
	}
	if r.Rollback, err = b.rollback(ctx); err != nil {
		return r, fmt.Errorf("rollback: %w", err)
	}
	if r.ManualRollback, err = b.manualRollback(ctx); err != nil {
		return r, fmt.Errorf("manual rollback: %w", err)
	}
	if r.ObservedSplit, err = b.observedSplit(ctx); err != nil {
		return r, fmt.Errorf("observed split: %w", err)
	}
	f, err := b.failover(ctx)
	if err != nil {
		return r, fmt.Errorf("failover: %w", err)
	}
	r.Failover = &f
	if o.LoadApps > 0 {
		p, err := b.propagated(ctx)
		if err != nil {
			return r, fmt.Errorf("propagated release: %w", err)
		}
		r.Propagated = &p
		c, err := b.concurrent(ctx, o.LoadApps, o.LoadOtherRecords)
		if err != nil {
			return r, fmt.Errorf("concurrent releases: %w", err)
		}
		r.Concurrent = &c
	}
	env := append(b.aws.Env(), localdeploy.FunctionEnv()...)
	if r.Bootstraps, err = measureBootstraps(ctx, functions.Names, o.AWSBootstraps, o.HostBootstraps, rie, env, b.say); err != nil {
		return r, err
	}
	r.Seconds = round(time.Since(start).Seconds(), 1)
	b.say("done in %.0f s", r.Seconds)
	return r, nil
}

// bench is one run's local AWS and app server.
type bench struct {
	aws      *localaws.AWS
	apps     *localdeploy.AppServer
	start    time.Time
	progress io.Writer
}

// say writes a progress line, with the time since the bench started.
func (b *bench) say(format string, args ...any) {
	if b.progress != nil {
		fmt.Fprintf(b.progress, "bench [%5.1fs] %s\n", time.Since(b.start).Seconds(), fmt.Sprintf(format, args...))
	}
}

// release measures the app's third release in a zone of n other records.
func (b *bench) release(ctx context.Context, n int) (Release, error) {
	d, zoneID, err := b.fresh(ctx)
	if err != nil {
		return Release{}, err
	}
	if err := b.deployments(ctx, d, "v1", "v2"); err != nil {
		return Release{}, err
	}
	t := time.Now()
	if err := addOtherRecords(ctx, route53.NewFromConfig(d.Config), zoneID, zoneName, n); err != nil {
		return Release{}, err
	}
	setup := time.Since(t)
	b.say("zone of %s other records: created in %.1f s; third release...", thousands(n), setup.Seconds())
	ex, reqs, err := b.measure(ctx, d, deploy.Input{App: appName, Version: "v3"}, "SUCCEEDED")
	if err != nil {
		return Release{}, err
	}
	if err := b.live(ctx, d, records.Blue); err != nil {
		return Release{}, err
	}
	c := Tally(reqs, localdeploy.FunctionsAccessKey, Window{})
	rel := Release{
		OtherRecords: n, Route53Calls: c.All, Route53Changes: c.Changes, GetChangeCalls: c.GetChange,
		Transitions: Transitions(ex.path), CostUSD: Cost(Transitions(ex.path)), WallSeconds: round(ex.wall.Seconds(), 2), Calls: c, SetupSeconds: round(setup.Seconds(), 1),
	}
	b.say("zone of %s other records: %d Route 53 calls (%d ListResourceRecordSets), %d transitions, %.2f s",
		thousands(n), c.All, c.List, rel.Transitions, rel.WallSeconds)
	return rel, nil
}

// rollback measures a release that fails the first weight step's health check and rolls back: the Route 53 calls
// from the Rollback state's entry to the Drain state's (Discard's when there is no drain), and apart those of
// Discard, which deletes the failed stack and its records.
func (b *bench) rollback(ctx context.Context) (Rollback, error) {
	d, _, err := b.fresh(ctx)
	if err != nil {
		return Rollback{}, err
	}
	if err := b.deployments(ctx, d, "v1", "v2"); err != nil {
		return Rollback{}, err
	}
	const failing = "v3-fails-at-10"
	b.apps.FailAfter(failing, 1) // healthy before traffic, unhealthy at the first step
	b.say("rollback: a third release failing at the 10 %% step...")
	ex, reqs, err := b.measure(ctx, d, deploy.Input{App: appName, Version: failing}, "FAILED")
	if err != nil {
		return Rollback{}, err
	}
	if err := b.live(ctx, d, records.Green); err != nil {
		return Rollback{}, err
	}
	restore, err := Span(ex.path, "Rollback", "Drain", "Discard")
	if err != nil {
		return Rollback{}, err
	}
	discard, err := Span(ex.path, "Discard")
	if err != nil {
		return Rollback{}, err
	}
	if !pathHas(ex.path, "StepHealth", "Rollback") || pathHas(ex.path, "Switch") {
		return Rollback{}, fmt.Errorf("the failing release did not roll back from the first step's health check: %v", names(ex.path))
	}
	c, dc := Tally(reqs, localdeploy.FunctionsAccessKey, restore), Tally(reqs, localdeploy.FunctionsAccessKey, discard)
	run := Rollback{Route53Calls: c.All, Transitions: Transitions(ex.path), CostUSD: Cost(Transitions(ex.path)), WallSeconds: round(ex.wall.Seconds(), 2), Calls: c, Discard: &dc}
	b.say("rollback: %d Route 53 calls to restore, %d to discard the failed stack's records; %d transitions, %.2f s",
		c.All, dc.All, run.Transitions, run.WallSeconds)
	return run, nil
}

// manualRollback measures {"action":"rollback"} after two releases.
func (b *bench) manualRollback(ctx context.Context) (Rollback, error) {
	d, _, err := b.fresh(ctx)
	if err != nil {
		return Rollback{}, err
	}
	if err := b.deployments(ctx, d, "v1", "v2"); err != nil {
		return Rollback{}, err
	}
	b.say("manual rollback...")
	ex, reqs, err := b.measure(ctx, d, deploy.Input{Action: deploy.ActionRollback, App: appName}, "SUCCEEDED")
	if err != nil {
		return Rollback{}, err
	}
	if err := b.live(ctx, d, records.Blue); err != nil {
		return Rollback{}, err
	}
	c := Tally(reqs, localdeploy.FunctionsAccessKey, Window{})
	run := Rollback{Route53Calls: c.All, Transitions: Transitions(ex.path), CostUSD: Cost(Transitions(ex.path)), WallSeconds: round(ex.wall.Seconds(), 2), Calls: c}
	b.say("manual rollback: %d Route 53 calls, %d transitions, %.2f s", c.All, run.Transitions, run.WallSeconds)
	return run, nil
}

// fresh resets the local AWS and installs the deployer with the app in its own zone, configured with the local
// defaults: default steps (10, 30, 60), no bake, watch, poll or drain.
func (b *bench) fresh(ctx context.Context) (*localdeploy.Deployer, string, error) {
	if err := b.aws.Reset(ctx); err != nil {
		return nil, "", err
	}
	d, err := localdeploy.Install(ctx, b.aws, b.apps)
	if err != nil {
		return nil, "", err
	}
	zoneID, err := d.AddZone(ctx, zoneName)
	if err != nil {
		return nil, "", err
	}
	if err := d.AddApp(ctx, appName, d.AppConfig(zoneID)); err != nil {
		return nil, "", err
	}
	return d, zoneID, nil
}

// deployments releases versions in turn, each required to succeed.
func (b *bench) deployments(ctx context.Context, d *localdeploy.Deployer, versions ...string) error {
	for _, v := range versions {
		_, res, err := d.Run(ctx, deploy.Input{App: appName, Version: v}, nil)
		if err != nil {
			return err
		}
		if res.Status != "SUCCEEDED" {
			return fmt.Errorf("release %s: %s %s: %s (path %v)", v, res.Status, res.Error, res.Cause, operator.Names(res.Path))
		}
	}
	return nil
}

// measure empties the gateway's request log, runs an execution that must end with status want, and returns it
// with the calls logged while it ran.
func (b *bench) measure(ctx context.Context, d *localdeploy.Deployer, in deploy.Input, want string) (execution, []gateway.Request, error) {
	b.aws.Gateway.ResetLog()
	arn, res, err := d.Run(ctx, in, nil)
	if err != nil {
		return execution{}, nil, err
	}
	reqs := b.aws.Gateway.Requests()
	if res.Status != want {
		return execution{}, nil, fmt.Errorf("%s of %s %s ended %s (%s: %s), want %s; path %v",
			in.ActionOrDefault(), in.App, in.Version, res.Status, res.Error, res.Cause, want, operator.Names(res.Path))
	}
	ex, err := readExecution(ctx, sfn.NewFromConfig(d.Config), arn)
	return ex, reqs, err
}

// live checks that the app is at rest with color c live at weight 100 and unlocked: the run measured did what it
// should.
func (b *bench) live(ctx context.Context, d *localdeploy.Deployer, c records.Color) error {
	s, err := d.Status(ctx, appName)
	if err != nil {
		return err
	}
	st := s.State
	if st.Phase != records.PhaseAtRest || st.ActiveColor != c || st.Weight(c) != 100 || s.Lock != nil {
		return fmt.Errorf("app %s should be at rest with %s live at weight 100 and unlocked; it is %s, live %q, weight %d, problems %v",
			appName, c, st.Phase, st.ActiveColor, st.Weight(c), st.Problems)
	}
	return nil
}

// pathHas reports whether the path entered these states in this order (others may come between).
func pathHas(path []Entered, states ...string) bool {
	i := 0
	for _, e := range path {
		if i < len(states) && e.Name == states[i] {
			i++
		}
	}
	return i == len(states)
}

// names returns the names of the states on a path.
func names(path []Entered) []string {
	out := make([]string, len(path))
	for i, e := range path {
		out[i] = e.Name
	}
	return out
}
