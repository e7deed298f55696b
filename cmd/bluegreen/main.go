// Command bluegreen is the operator's tool: deploy, roll back, reconcile and repair, watch a run live, read an
// app's status and history, promote or abort at an approval gate (see internal/cli).
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/mattn/go-isatty"

	"github.com/bluegreen-aws/bluegreen/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	load := func(ctx context.Context) (aws.Config, error) { return config.LoadDefaultConfig(ctx) }
	terminal := func(w io.Writer) bool { f, ok := w.(*os.File); return ok && isatty.IsTerminal(f.Fd()) }
	os.Exit(cli.Run(ctx, os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, AWS: load, Terminal: terminal}))
}
