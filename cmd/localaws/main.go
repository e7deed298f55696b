// Command localaws runs the local AWS (moto behind the project's gateway) until
// interrupted, and prints the environment to point the AWS SDK and CLI at it.
//
//	go run ./cmd/localaws -port 4566 -bootstraps build/host
//
// With -bootstraps, Lambda invokes of <dir>/<name>/bootstrap run under aws-lambda-rie.
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
)

func main() {
	port := flag.Int("port", 0, "gateway port on 127.0.0.1 (0: a free port)")
	bootstraps := flag.String("bootstraps", "", "directory of host-architecture <name>/bootstrap binaries to serve under aws-lambda-rie")
	logDir := flag.String("logdir", "", "directory for moto's and the functions' logs (default: a temporary one)")
	flag.Parse()
	if err := run(*port, *bootstraps, *logDir); err != nil {
		fmt.Fprintln(os.Stderr, "localaws:", err)
		os.Exit(1)
	}
}

func run(port int, bootstraps, logDir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	aws, err := localaws.Start(ctx, localaws.Options{Port: port, BootstrapDir: bootstraps, LogDir: logDir})
	if err != nil {
		return err
	}
	fmt.Printf("# local AWS at %s (moto %s); logs in %s\n", aws.Endpoint, aws.Python.MotoVersion, aws.LogDir)
	for _, kv := range aws.Env() {
		fmt.Println("export " + kv)
	}
	<-ctx.Done()
	return aws.Stop()
}
