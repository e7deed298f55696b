package localdeploy

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/cli"
	"github.com/bluegreen-aws/bluegreen/internal/functions"
	"github.com/bluegreen-aws/bluegreen/internal/localaws"
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
// rolls back, each started and watched with the operator's command line (internal/cli) as an operator would type it,
// then the app's status (the records once) and its history. It returns an error when a stage ends other than
// expected.
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

	env := map[string]string{"BLUEGREEN_STATE_MACHINE_ARN": d.StateMachine, "BLUEGREEN_LOCK_TABLE": LockTable, "USER": "demo"}
	// bluegreen runs the operator's command line as an operator would type it, and checks its exit status.
	bluegreen := func(want int, args ...string) error {
		say("$ bluegreen %s", strings.Join(args, " "))
		code := cli.Run(ctx, args, cli.Env{Stdout: w, Stderr: w, Getenv: func(k string) string { return env[k] }, AWS: a.Config, Poll: 200 * time.Millisecond})
		if code != want {
			return fmt.Errorf("bluegreen %s: exit status %d, want %d", strings.Join(args, " "), code, want)
		}
		return nil
	}
	stage := func(title string, live records.Color, cmds ...[]string) error {
		say("\n== %s", title)
		for _, c := range cmds {
			want := 0
			if slices.Contains(c, "v3-broken") {
				want = cli.ExitFailed // a rolled-back release is a failed one
			}
			if err := bluegreen(want, c...); err != nil {
				return err
			}
		}
		return expect(ctx, d, live)
	}
	if err := stage("first release: demoapp v1 (empty zone → blue live)", records.Blue,
		[]string{"deploy", "demoapp", "v1", "--artifact", "s3://artifacts/demoapp/v1.zip"}, []string{"status", "demoapp"}); err != nil {
		return err
	}
	if err := stage("weighted release: demoapp v2 (blue → green: 10 %, 30 %, 60 %, switch)", records.Green,
		[]string{"deploy", "demoapp", "v2", "--artifact", "s3://artifacts/demoapp/v2.zip"}, []string{"status", "demoapp", "-o", "wide"}); err != nil {
		return err
	}
	if err := stage("failing release: demoapp v3-broken (health check fails → rollback, green stays live)", records.Green,
		[]string{"deploy", "demoapp", "v3-broken", "--artifact", "s3://artifacts/demoapp/v3-broken.zip"}, []string{"status", "demoapp"},
		[]string{"history", "demoapp"}); err != nil {
		return err
	}
	say("\n== done: v1 went live, v2 replaced it through weighted steps, v3-broken was rolled back; v2 is live")
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
