// Command localaws runs the local AWS (moto behind the project's gateway) until interrupted, and prints the
// environment to point the AWS SDK, the AWS CLI and the bluegreen CLI at it.
//
//	go run ./cmd/localaws -port 4566 -bootstraps build/host
//	go run ./cmd/localaws -deployer     # and the deployer installed, with app demoapp in zone example.com
//
// With -bootstraps, Lambda invokes of <dir>/<name>/bootstrap run under aws-lambda-rie. With -deployer, the five
// functions are served in-process (unless -bootstraps is given) and the deployer is installed as the infra would
// install it, with a demo app and its triggers (package triggers: uploads to the artifact bucket and pushes to ECR
// repository demoapp start releases; scheduled rules fire in real time): try `go run ./cmd/bluegreen deploy demoapp
// v1` in another shell, after the exports.
// Faults are injected over HTTP under /_localaws/ (see package gateway). -route53-limits puts Route 53's documented
// token buckets in force (for the functions' calls only, with -deployer), -route53-propagation keeps each change
// PENDING for that long, -route53-prior-request makes a hosted zone answer PriorRequestNotComplete for that long
// after a change (see package r53model).
//
// The hosted zones are served over DNS (UDP and TCP) on the port printed as "# DNS:", as Route 53's name servers
// answer (package dataplane): weights, aliases, health. -dns-lb-ttl sets the TTL of a load balancer's address (AWS:
// 60 s), -dns-health-interval how often the Route 53 health checks are probed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/dataplane"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/r53model"
	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
	"github.com/bluegreen-aws/bluegreen/internal/triggers"
)

func main() {
	port := flag.Int("port", 0, "gateway port on 127.0.0.1 (0: a free port)")
	bootstraps := flag.String("bootstraps", "", "directory of host-architecture <name>/bootstrap binaries to serve under aws-lambda-rie")
	logDir := flag.String("logdir", "", "directory for moto's and the functions' logs (default: a temporary one)")
	deployer := flag.Bool("deployer", false, "install the deployer and a demo app (demoapp in example.com)")
	limits := flag.Bool("route53-limits", false, "model Route 53's documented token buckets (the functions' calls only, with -deployer)")
	propagation := flag.Duration("route53-propagation", 0, "how long each Route 53 change stays PENDING (0: INSYNC at once)")
	prior := flag.Duration("route53-prior-request", 0, "how long a hosted zone refuses the next change with PriorRequestNotComplete")
	lbTTL := flag.Duration("dns-lb-ttl", dataplane.DefaultLoadBalancerTTL, "the DNS data plane's TTL for a load balancer's address")
	interval := flag.Duration("dns-health-interval", dataplane.DefaultHealthCheckInterval, "how often the DNS data plane probes each Route 53 health check")
	flag.Parse()
	r53 := route53Model(*limits, *propagation, *prior, *deployer)
	dns := dataplane.Options{LoadBalancerTTL: *lbTTL, HealthCheckInterval: *interval}
	if err := run(*port, *bootstraps, *logDir, *deployer, r53, dns); err != nil {
		fmt.Fprintln(os.Stderr, "localaws:", err)
		os.Exit(1)
	}
}

// route53Model returns the Route 53 model the flags ask for, nil for none.
func route53Model(limits bool, propagation, prior time.Duration, deployer bool) *r53model.Config {
	if !limits && propagation == 0 && prior == 0 {
		return nil
	}
	cfg := localdeploy.Route53Limits(propagation, prior)
	if !limits {
		cfg.Account, cfg.Operation, cfg.Operations, cfg.Changes = r53model.Bucket{}, r53model.Bucket{}, nil, r53model.Bucket{}
	}
	if !deployer {
		cfg.Callers = nil // every caller's calls are metered
	}
	return cfg
}

func run(port int, bootstraps, logDir string, deployer bool, r53 *r53model.Config, dns dataplane.Options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := localaws.Options{Port: port, BootstrapDir: bootstraps, LogDir: logDir, Route53: r53, RealTimeSchedules: true,
		DataPlane: dns}
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
	fmt.Printf("# DNS: dig @127.0.0.1 -p %d demoapp.example.com (the hosted zones, as Route 53's name servers answer)\n",
		aws.DataPlane.Addr().Port())
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
	if err := d.InstallTriggers(ctx, localdeploy.Triggers{Apps: []triggers.App{{Name: "demoapp", EcrRepository: "demoapp"}}}); err != nil {
		return err
	}
	fmt.Printf("export BLUEGREEN_STATE_MACHINE_ARN=%s\nexport BLUEGREEN_LOCK_TABLE=%s\n", d.StateMachine, localdeploy.LockTable)
	fmt.Printf("# an app's HealthBase: the app server, which answers health checks by version (without it, the probes go to the stack's\n# load balancer, served on a loopback address of its own that the DNS above gives out)\nexport BLUEGREEN_APP_SERVER=%s\n", apps.URL())
	fmt.Printf("# deployer installed: app demoapp in example.com (%s); versions containing \"broken\" fail their health check\n", zoneID)
	fmt.Println("# try: go run ./cmd/bluegreen deploy demoapp v1 && go run ./cmd/bluegreen status demoapp")
	fmt.Printf("# or:  aws s3 cp release.zip s3://%s/demoapp/v2.zip (the upload rule starts the release); the sweep runs every 5 minutes\n", localdeploy.ArtifactBucket)
	return nil
}
