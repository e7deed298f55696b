// Command demo runs the deployer's whole flow on a local AWS (see internal/localdeploy.Demo): `make demo`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
)

func main() {
	work := flag.String("work", "build/demo", "folder for the host builds of the functions and the logs")
	bake := flag.Int("bake", 4, "seconds each weight step bakes (the records are printed meanwhile)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, localdeploy.Time)
	defer cancel()
	if err := localdeploy.Demo(ctx, os.Stdout, localdeploy.DemoOptions{ModuleDir: ".", WorkDir: *work, BakeSeconds: *bake}); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}
