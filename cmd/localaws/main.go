// Command localaws runs the local AWS (moto behind the project's gateway) until interrupted, and prints the
// environment to point the AWS SDK, the AWS CLI and the bluegreen CLI at it.
//
//	go run ./cmd/localaws -port 4566 -bootstraps build/host
//	go run ./cmd/localaws -deployer     # and the deployer installed, with app demoapp in zone example.com
//
// With -bootstraps, Lambda invokes of <dir>/<name>/bootstrap run under aws-lambda-rie. With -deployer, the five
// functions are served in-process (unless -bootstraps is given) and the deployer is installed as the infra would
// install it, with a demo app: try `go run ./cmd/bluegreen deploy demoapp v1` in another shell, after the exports.
// Faults are injected over HTTP under /_localaws/ (see package gateway).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
)

func main() {
	port := flag.Int("port", 0, "gateway port on 127.0.0.1 (0: a free port)")
	bootstraps := flag.String("bootstraps", "", "directory of host-architecture <name>/bootstrap binaries to serve under aws-lambda-rie")
	logDir := flag.String("logdir", "", "directory for moto's and the functions' logs (default: a temporary one)")
	deployer := flag.Bool("deployer", false, "install the deployer and a demo app (demoapp in example.com)")
	flag.Parse()
	if err := run(*port, *bootstraps, *logDir, *deployer); err != nil {
		fmt.Fprintln(os.Stderr, "localaws:", err)
		os.Exit(1)
	}
}

func run(port int, bootstraps, logDir string, deployer bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := localaws.Options{Port: port, BootstrapDir: bootstraps, LogDir: logDir}
	start := localaws.Start
	if deployer {
		opts.FunctionEnv = localdeploy.FunctionEnv()
		if bootstraps == "" {
			start = func(ctx context.Context, o localaws.Options) (*localaws.AWS, error) {
				return localdeploy.StartInProcess(ctx, os.Stderr, nil, o)
			}
		}
	}
	aws, err := start(ctx, opts)
	if err != nil {
		return err
	}
	defer aws.Stop()
	fmt.Printf("# local AWS at %s (moto %s); logs in %s\n", aws.Endpoint, aws.Python.MotoVersion, aws.LogDir)
	for _, kv := range aws.Env() {
		fmt.Println("export " + kv)
	}
	if deployer {
		if err := install(ctx, aws); err != nil {
			return err
		}
	}
	<-ctx.Done()
	return aws.Stop()
}

// install installs the deployer with app demoapp (the demo template) in hosted zone example.com.
func install(ctx context.Context, a *localaws.AWS) error {
	apps, err := localdeploy.StartAppServer()
	if err != nil {
		return err
	}
	d, err := localdeploy.Install(ctx, a, apps)
	if err != nil {
		return err
	}
	zoneID, err := d.AddZone(ctx, "example.com")
	if err != nil {
		return err
	}
	if err := d.AddApp(ctx, "demoapp", d.AppConfig(zoneID)); err != nil {
		return err
	}
	fmt.Printf("export BLUEGREEN_STATE_MACHINE_ARN=%s\nexport BLUEGREEN_LOCK_TABLE=%s\n", d.StateMachine, localdeploy.LockTable)
	fmt.Printf("# the stacks' health checks go to the app server (the local load balancers serve no HTTP): an app's HealthBase\nexport BLUEGREEN_APP_SERVER=%s\n", apps.URL())
	fmt.Printf("# deployer installed: app demoapp in example.com (%s); versions containing \"broken\" fail their health check\n", zoneID)
	fmt.Println("# try: go run ./cmd/bluegreen deploy demoapp v1 && go run ./cmd/bluegreen status demoapp")
	return nil
}
