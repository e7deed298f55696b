package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/clients"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/dataplane"
	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// The bench's clients and DNS: the local data plane gives the load balancers this TTL (AWS: 60 s), and the clients
// send a request each every clientEvery.
const (
	dataPlaneTTL = time.Second
	clientCount  = 120
	clientEvery  = 300 * time.Millisecond
	// splitBake is each step's bake (and the watch) of the release whose split is observed.
	splitBake = 5
)

// Failover is bench.json's "failover": with routing.failover on and the app at rest, how long after the live
// stack's targets turn unhealthy at least 95 % of the clients' requests reach the other stack, through the local
// data plane alone (no API call), with the TTL the data plane gives.
type Failover struct {
	Seconds    float64 `json:"seconds"`
	Requests   int     `json:"requests"`
	TTLSeconds float64 `json:"ttlSeconds"`
}

// startClients starts the bench's clients of the app's host.
func (b *bench) startClients(ctx context.Context, d *localdeploy.Deployer) (*clients.Load, error) {
	return d.Clients(ctx, clients.Config{Host: appName + "." + zoneName, Clients: clientCount, Every: clientEvery, Seed: 1})
}

// observedSplit releases the app's second version with the default steps while clients send requests through
// the local DNS, and returns the share of requests its release answered at each step and during the watch.
func (b *bench) observedSplit(ctx context.Context) ([]localdeploy.Observed, error) {
	d, zoneID, err := b.fresh(ctx)
	if err != nil {
		return nil, err
	}
	cfg := d.AppConfig(zoneID)
	bake := splitBake
	cfg.Strategy.BakeSeconds, cfg.Strategy.WatchSeconds, cfg.Strategy.WatchIntervalSeconds = &bake, &bake, &bake
	if err := d.AddApp(ctx, appName, cfg); err != nil {
		return nil, err
	}
	if err := b.deployments(ctx, d, "v1"); err != nil {
		return nil, err
	}
	load, err := b.startClients(ctx, d)
	if err != nil {
		return nil, err
	}
	defer load.Stop()
	b.say("observed split: %d clients through the local DNS (TTL %s), a default release with %d-s bakes...", clientCount, dataPlaneTTL, splitBake)
	arn, res, err := d.Run(ctx, deploy.Input{App: appName, Version: "v2"}, nil)
	if err != nil {
		return nil, err
	}
	if res.Status != "SUCCEEDED" {
		return nil, fmt.Errorf("release v2: %s %s: %s", res.Status, res.Error, res.Cause)
	}
	windows, err := localdeploy.StepWindows(ctx, sfn.NewFromConfig(d.Config), arn)
	if err != nil {
		return nil, err
	}
	out := localdeploy.ObserveSplit(windows, load, "v2", dataPlaneTTL+dataplane.DefaultRecordCache)
	for _, o := range out {
		b.say("observed split: %s", o)
	}
	return out, nil
}

// failover measures Route 53's data plane moving traffic off a failed stack: the app at rest with routing.failover
// on, v2 live on green and v1 idle on blue, then green's targets turned unhealthy.
func (b *bench) failover(ctx context.Context) (Failover, error) {
	d, zoneID, err := b.fresh(ctx)
	if err != nil {
		return Failover{}, err
	}
	cfg := d.AppConfig(zoneID)
	cfg.Routing.Failover = true
	if err := d.AddApp(ctx, appName, cfg); err != nil {
		return Failover{}, err
	}
	if err := b.deployments(ctx, d, "v1", "v2"); err != nil {
		return Failover{}, err
	}
	if err := b.live(ctx, d, records.Green); err != nil {
		return Failover{}, err
	}
	s, err := d.Status(ctx, appName)
	if err != nil {
		return Failover{}, err
	}
	load, err := b.startClients(ctx, d)
	if err != nil {
		return Failover{}, err
	}
	defer load.Stop()
	if !sleepFor(ctx, 2*dataPlaneTTL) { // every client has resolved green
		return Failover{}, ctx.Err()
	}
	at := time.Now()
	if err := d.FailTargets(ctx, appName+"-"+s.State.Slots[records.Green]); err != nil {
		return Failover{}, err
	}
	defer b.aws.Gateway.ClearFaults()
	moved, ok := localdeploy.TrafficMoved(ctx, load, at, "v1", 95, 500*time.Millisecond, 30*time.Second)
	if !ok {
		return Failover{}, fmt.Errorf("the traffic never moved to v1 on blue after green's targets turned unhealthy")
	}
	f := Failover{Seconds: round(moved.After.Seconds(), 2), Requests: moved.Requests, TTLSeconds: dataPlaneTTL.Seconds()}
	b.say("failover: 95 %% of requests on v1 %.2f s after green's targets turned unhealthy (%d requests; TTL %.0f s)", f.Seconds, f.Requests, f.TTLSeconds)
	return f, nil
}

func sleepFor(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
