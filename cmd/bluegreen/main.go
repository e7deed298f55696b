// Command bluegreen is the operator's tool: deploy, roll back, reconcile, read an app's status, answer approval
// gates (see internal/cli).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/bluegreen-aws/bluegreen/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	load := func(ctx context.Context) (aws.Config, error) { return config.LoadDefaultConfig(ctx) }
	os.Exit(cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv, load))
}
