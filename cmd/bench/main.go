// Command bench measures the deployer end to end on a local AWS and writes build/bench/bench.json and a markdown
// table (see internal/bench): `make bench`, which builds the bootstraps first.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/bluegreen-aws/bluegreen/internal/bench"
)

func main() {
	out := flag.String("out", "build/bench/bench.json", "the report")
	awsDir := flag.String("aws", "build/functions", "the AWS bootstraps, <name>/bootstrap (make build-aws)")
	hostDir := flag.String("host", "build/host", "the host bootstraps, <name>/bootstrap (make build-host)")
	others := flag.String("others", "0,3000,10000", "the numbers of other records in the zone of each release measured")
	apps := flag.Int("apps", 50, "the apps released at once under the Route 53 model (0 skips the load runs)")
	loadOthers := flag.Int("load-others", 5000, "the other records in the zone of the concurrent releases")
	flag.Parse()
	counts, err := bench.ParseCounts(*others)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, bench.Budget)
	defer cancel()
	r, err := bench.Run(ctx, bench.Options{OtherRecords: counts, AWSBootstraps: *awsDir, HostBootstraps: *hostDir, WorkDir: filepath.Dir(*out), Progress: os.Stderr,
		LoadApps: *apps, LoadOtherRecords: *loadOthers})
	if err == nil {
		err = r.WriteJSON(*out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench failed:", err)
		os.Exit(1)
	}
	r.Markdown(os.Stdout)
}
