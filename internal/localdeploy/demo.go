package localdeploy

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/functions"
	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
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

// Demo runs the whole flow on a local AWS it starts and stops: the real bootstraps under aws-lambda-rie, the real
// state machine in moto's interpreter; a first release, a weighted blue → green release and a failing release that
// rolls back, printing the DNS records at each stage. It returns an error when a stage ends other than expected.
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
	a, err := localaws.Start(ctx, localaws.Options{BootstrapDir: bootstraps, FunctionEnv: FunctionEnv(), LogDir: logs})
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
	if err := d.AddApp(ctx, "demoapp", cfg); err != nil {
		return err
	}
	say("   state machine %s, hosted zone example.com (%s), app demoapp at demoapp.example.com", d.StateMachine, zoneID)

	stage := func(title string, in deploy.Input, want string, during func(operator.Step)) error {
		say("\n== %s", title)
		_, r, err := d.Run(ctx, in, func(s operator.Step) {
			line := "   → " + s.Name
			if s.Failed {
				line += fmt.Sprintf("  (%s: %s)", s.Error, deploy.CauseMessage(s.Cause))
			}
			say("%s", line)
			if during != nil {
				during(s)
			}
		})
		if err != nil {
			return err
		}
		say("   execution %s", r.Status)
		if r.Status != want {
			return fmt.Errorf("%s: the execution ended %s (%s: %s), want %s", title, r.Status, r.Error, deploy.CauseMessage(r.Cause), want)
		}
		if r.Status == "FAILED" {
			say("   rolled back: %s: %s", r.Error, deploy.CauseMessage(r.Cause))
		}
		return printRecords(ctx, w, d)
	}
	steps := func(s operator.Step) {
		// Entered once the stack is published, and once each step's shift is INSYNC.
		if s.Name == "PreTrafficHealth" || s.Name == "Bake" {
			say("")
			_ = printRecords(ctx, w, d)
			say("")
		}
	}
	if err := stage("first release: demoapp v1 (empty zone → blue live)", deploy.Input{App: "demoapp", Version: "v1", Artifact: "s3://artifacts/demoapp/v1.zip"}, "SUCCEEDED", nil); err != nil {
		return err
	}
	if err := expect(ctx, d, records.Blue); err != nil {
		return err
	}
	if err := stage("weighted release: demoapp v2 (blue → green: 10 %, 30 %, 60 %, switch)", deploy.Input{App: "demoapp", Version: "v2", Artifact: "s3://artifacts/demoapp/v2.zip"}, "SUCCEEDED", steps); err != nil {
		return err
	}
	if err := expect(ctx, d, records.Green); err != nil {
		return err
	}
	if err := stage("failing release: demoapp v3-broken (health check fails → rollback, green stays live)", deploy.Input{App: "demoapp", Version: "v3-broken", Artifact: "s3://artifacts/demoapp/v3-broken.zip"}, "FAILED", nil); err != nil {
		return err
	}
	if err := expect(ctx, d, records.Green); err != nil {
		return err
	}
	say("\n== done: v1 went live, v2 replaced it through weighted steps, v3-broken was rolled back; v2 is live")
	return nil
}

// printRecords prints demoapp's status and records.
func printRecords(ctx context.Context, w io.Writer, d *Deployer) error {
	s, err := d.Status(ctx, "demoapp")
	if err != nil {
		return err
	}
	var b strings.Builder
	s.Print(&b)
	for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		fmt.Fprintln(w, "   "+line)
	}
	return nil
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
