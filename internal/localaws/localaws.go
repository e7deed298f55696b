// Package localaws runs a local AWS for tests and demos: moto's server, with its Step
// Functions interpreter on and a few of its defects fixed by an embedded launcher
// (launcher.py), behind a Go gateway (package gateway) that runs the project's Lambda
// handlers (an instance per concurrent invocation, as Lambda scales out), logs every call,
// injects faults, runs EventBridge's default bus (package eventbus: rules that start
// executions, with the S3, ECR and Step Functions events launcher_events.py sends) and,
// when Options.Route53 says so, enforces Route 53's limits (package r53model). Its Route 53 data plane (package
// dataplane) serves the hosted zones over DNS as Route 53's name servers answer.
//
// Everything listens on 127.0.0.1. Start needs a Python with moto (see FindPython) and,
// for bootstraps, aws-lambda-rie (see gateway.FindRIE); it fails, saying where it
// looked, when they are missing.
package localaws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/dataplane"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/r53model"
)

// Region is the local AWS's region.
const Region = "us-east-1"

// Handler runs a Lambda function in-process (lambda.NewHandler(fn) is one).
type Handler = gateway.Handler

// Factory builds a fresh Handler, with SDK clients of its own, for each instance of an in-process function.
type Factory = gateway.Factory

// Options configure a local AWS.
type Options struct {
	// Functions serve Lambda invokes in-process, by function name, as Lambda scales out: each concurrent
	// invocation in an instance of its own, built by the Factory; idle instances are reused (warm starts).
	Functions map[string]Factory
	// Handlers serve Lambda invokes in-process, by function name, one handler shared by every instance (for
	// handlers with no state of their own).
	Handlers map[string]Handler
	// BootstrapDir holds host-architecture bootstraps, <BootstrapDir>/<name>/bootstrap,
	// each served under aws-lambda-rie as the function <name> (see BuildBootstraps): one RIE process per
	// instance, as many as the function's concurrent invocations.
	BootstrapDir string
	// FunctionEnv is added to the environment of the aws-lambda-rie processes ("KEY=value").
	FunctionEnv []string
	// FunctionTimeout bounds each Lambda invoke; 0 means 60 s.
	FunctionTimeout time.Duration
	// LogDir receives moto.log and one <function>.log per RIE function. When empty, a
	// temporary directory is used and removed by Stop.
	LogDir string
	// Port is the gateway's port on 127.0.0.1; 0 picks a free one.
	Port int
	// DisablePatches leaves out launcher fixes by name (Patch* constants), to show a
	// fix is still needed.
	DisablePatches []string
	// StartTimeout bounds moto's start; 0 means 20 s.
	StartTimeout time.Duration
	// Route53, when set, models Route 53's limits for the callers it meters: token buckets (r53model.Documented
	// has AWS's figures), PriorRequestNotComplete and change propagation. Reset puts it in force afresh; a test
	// may change it for a while with Gateway.SetRoute53. Nil: moto's Route 53 as it is (no limits, INSYNC at once).
	Route53 *r53model.Config
	// RealTimeSchedules makes the local EventBridge's scheduled rules fire as real time passes; otherwise their
	// clock moves only when Gateway.Events().Advance moves it (tests).
	RealTimeSchedules bool
	// DataPlane configures the local Route 53 data plane (the hosted zones served over DNS): the load balancers'
	// TTL, the health checkers' interval, the seed of the weighted choice; zero values take its defaults.
	DataPlane dataplane.Options
}

// AWS is a running local AWS.
type AWS struct {
	// Endpoint is the gateway's URL: the endpoint of every service.
	Endpoint string
	// Region is the region to use, "us-east-1".
	Region string
	// Gateway is the gateway: its request log and its faults.
	Gateway *gateway.Gateway
	// Python is the interpreter moto runs in.
	Python Python
	// LogDir holds moto.log and the RIE functions' logs.
	LogDir string
	// DataPlane serves the hosted zones over DNS, UDP and TCP, at DataPlane.Addr(); the owner of the local load
	// balancers gives it their addresses (SetLoadBalancers).
	DataPlane *dataplane.Server

	launcher *launcher
	server   *http.Server
	served   chan struct{}
	scratch  string // the launcher's directory (and the logs', by default), removed by Stop
	stopOnce sync.Once
	stopErr  error
}

// Start starts moto and the gateway and waits until both answer.
func Start(ctx context.Context, opts Options) (_ *AWS, err error) {
	py, err := FindPython(ctx)
	if err != nil {
		return nil, err
	}
	bootstraps, err := findBootstraps(opts.BootstrapDir)
	if err != nil {
		return nil, err
	}
	a := &AWS{Region: Region, Python: py, LogDir: opts.LogDir, served: make(chan struct{})}
	defer func() {
		if err != nil {
			a.Stop()
		}
	}()
	if a.scratch, err = os.MkdirTemp("", "localaws-"); err != nil {
		return nil, err
	}
	if a.LogDir == "" {
		a.LogDir = filepath.Join(a.scratch, "logs")
	}
	if err := os.MkdirAll(a.LogDir, 0o755); err != nil {
		return nil, fmt.Errorf("log dir: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(opts.Port))
	if err != nil {
		return nil, fmt.Errorf("listen for the gateway: %w", err)
	}
	a.Endpoint = "http://" + ln.Addr().String()
	port := ln.Addr().(*net.TCPAddr).Port

	motoLog, err := os.OpenFile(a.MotoLog(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("moto log: %w", err)
	}
	defer motoLog.Close() // the launcher has its own descriptor
	if a.launcher, err = startLauncher(py, a.scratch, port, motoLog, opts.DisablePatches); err != nil {
		ln.Close()
		return nil, err
	}
	a.Gateway, err = gateway.New(gateway.Config{
		Backend:           a.launcher.url,
		Functions:         opts.Functions,
		Handlers:          opts.Handlers,
		Bootstraps:        bootstraps,
		FunctionEnv:       append(a.Env(), opts.FunctionEnv...),
		FunctionTimeout:   opts.FunctionTimeout,
		LogDir:            a.LogDir,
		Route53:           opts.Route53,
		Region:            Region,
		RealTimeSchedules: opts.RealTimeSchedules,
		QuietCallers:      []string{dataplane.AccessKey},
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	a.server = &http.Server{Handler: a.Gateway, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.server.Serve(ln); close(a.served) }()

	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	if err := a.launcher.waitReady(ctx, timeout); err != nil {
		return nil, fmt.Errorf("start moto (%s, moto %s): %w\nlast lines of %s:\n%s",
			py.Path, py.MotoVersion, err, a.MotoLog(), tail(a.MotoLog(), 2000))
	}
	resp, err := http.Get(a.Endpoint + gateway.ControlPrefix + "health")
	if err != nil {
		return nil, fmt.Errorf("the gateway does not answer: %w", err)
	}
	resp.Body.Close()
	if a.DataPlane, err = startDataPlane(a.launcher.url, a.Endpoint, opts.DataPlane); err != nil {
		return nil, err
	}
	a.Gateway.SetHealthCheckStatus(a.DataPlane.HealthCheckStatus) // what the data plane's checkers find, not moto's "Success"
	return a, nil
}

// MotoLog is the path of moto's log: the launcher's and moto's stdout and stderr.
func (a *AWS) MotoLog() string { return filepath.Join(a.LogDir, "moto.log") }

// Env is the environment for a program using the local AWS: the endpoint, region,
// dummy credentials, and no shared config files.
func (a *AWS) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + a.Endpoint,
		"AWS_REGION=" + a.Region,
		"AWS_DEFAULT_REGION=" + a.Region,
		"AWS_ACCESS_KEY_ID=localaws",
		"AWS_SECRET_ACCESS_KEY=localaws",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Config returns an SDK configuration for the local AWS: static dummy credentials, the
// gateway as every service's endpoint, and the SDK's standard retryer. It reads no
// shared config file and no environment variable. S3 clients need UsePathStyle.
func (a *AWS) Config(ctx context.Context) (aws.Config, error) {
	return aws.Config{
		Region:       a.Region,
		Credentials:  credentials.NewStaticCredentialsProvider("localaws", "localaws", ""),
		BaseEndpoint: aws.String(a.Endpoint),
	}, nil
}

// Reset clears all of moto's state (and the data plane's caches of it), switches its Step Functions interpreter on
// again, clears the gateway's faults and request log and the event bus's record, rules and schedules (after letting
// the events already sent be delivered, for a few seconds at most), and puts the configured Route 53 model in force
// afresh.
func (a *AWS) Reset(ctx context.Context) error {
	a.Gateway.ClearFaults()
	a.Gateway.ResetRoute53()
	settle, cancel := context.WithTimeout(ctx, 3*time.Second)
	_ = a.Gateway.Events().WaitIdle(settle) // events of the last test's executions, delivered before the reset
	cancel()
	if err := a.launcher.reset(ctx); err != nil {
		return err
	}
	a.Gateway.Events().Reset()
	a.Gateway.ResetLog()
	a.DataPlane.Flush()
	return nil
}

// Stop stops the data plane, the gateway, its aws-lambda-rie processes, and moto, and waits for them.
// It is safe to call more than once.
func (a *AWS) Stop() error {
	a.stopOnce.Do(func() {
		var errs []error
		if a.DataPlane != nil {
			errs = append(errs, a.DataPlane.Close())
		}
		if a.Gateway != nil {
			errs = append(errs, a.Gateway.Close()) // releases held calls first
		}
		if a.server != nil {
			errs = append(errs, a.server.Close())
			<-a.served
		}
		if a.launcher != nil {
			errs = append(errs, a.launcher.stop())
		}
		if a.scratch != "" {
			errs = append(errs, os.RemoveAll(a.scratch))
		}
		a.stopErr = errors.Join(errs...)
	})
	return a.stopErr
}

// PID returns moto's process id.
func (a *AWS) PID() int { return a.launcher.cmd.Process.Pid }

// findBootstraps lists <dir>/<name>/bootstrap by function name.
func findBootstraps(dir string) (map[string]string, error) {
	if dir == "" {
		return nil, nil
	}
	matches, err := filepath.Glob(filepath.Join(dir, "*", "bootstrap"))
	if err != nil {
		return nil, err
	}
	if len(matches) == 0 {
		return nil, fmt.Errorf("no <name>/bootstrap in %s", dir)
	}
	out := map[string]string{}
	for _, m := range matches {
		abs, err := filepath.Abs(m)
		if err != nil {
			return nil, err
		}
		out[filepath.Base(filepath.Dir(m))] = abs
	}
	return out, nil
}

// tail returns the last n bytes of a file.
func tail(path string, n int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if int64(len(b)) > n {
		b = b[int64(len(b))-n:]
	}
	return string(b)
}
