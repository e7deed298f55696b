package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/route53"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// The Route 53 model the load runs are measured under (localdeploy.Route53Limits: the documented token buckets):
// each change PENDING for Propagation, each hosted zone busy for PriorRequest after a change (AWS publishes no
// figure; PriorRequestNotComplete meanwhile).
const (
	Propagation  = time.Second
	PriorRequest = 300 * time.Millisecond
	// AccountRefill is the account bucket's documented refill: the floor of any Route 53 workload's wall time is
	// its calls ÷ this many per second.
	AccountRefill = 10.0
)

// Concurrent is many apps released at once in one zone, under the Route 53 model: each app's second release.
type Concurrent struct {
	Apps               int     `json:"apps"`
	OtherRecords       int     `json:"otherRecords"`
	PropagationSeconds float64 `json:"propagationSeconds"`
	// Succeeded, RolledBack: how the releases ended (a release ending otherwise counts in neither).
	Succeeded  int `json:"succeeded"`
	RolledBack int `json:"rolledBack"`
	// Inconsistent counts the apps not at rest on their new stack afterwards; LocksLeft those still locked.
	Inconsistent int `json:"inconsistent"`
	LocksLeft    int `json:"locksLeft"`
	// Route53Calls counts the functions' Route 53 requests, refused ones included; Throttled those the model
	// refused (Throttling or PriorRequestNotComplete).
	Route53Calls int     `json:"route53Calls"`
	Throttled    int     `json:"throttled"`
	WallSeconds  float64 `json:"wallSeconds"`
	// PriorRequest counts the PriorRequestNotComplete answers among Throttled; Calls is the detail.
	PriorRequest int   `json:"-"`
	Calls        Calls `json:"-"`
}

// FloorSeconds is the wall time the account bucket alone allows for the calls: calls ÷ AccountRefill.
func (c Concurrent) FloorSeconds() float64 { return float64(c.Route53Calls) / AccountRefill }

// Propagated is one default release (the app's third) under the Route 53 model, GetChange included.
type Propagated struct {
	PropagationSeconds float64 `json:"propagationSeconds"`
	Route53Calls       int     `json:"route53Calls"`
	GetChangeCalls     int     `json:"getChangeCalls"`
	WallSeconds        float64 `json:"wallSeconds"`
	Transitions        int     `json:"-"`
	Calls              Calls   `json:"-"`
}

// concurrent installs apps apps in the zone with others other records, releases each once without the model, then
// starts their second releases at once under it and measures them.
func (b *bench) concurrent(ctx context.Context, apps, others int) (Concurrent, error) {
	d, zoneID, err := b.fresh(ctx)
	if err != nil {
		return Concurrent{}, err
	}
	if err := addOtherRecords(ctx, route53.NewFromConfig(d.Config), zoneID, zoneName, others); err != nil {
		return Concurrent{}, err
	}
	names := make([]string, apps)
	for i := range names {
		names[i] = fmt.Sprintf("load%02d", i)
		if err := d.AddApp(ctx, names[i], d.AppConfig(zoneID)); err != nil {
			return Concurrent{}, err
		}
	}
	b.say("concurrent: %d apps among %s other records: first releases (unmetered)...", apps, thousands(others))
	first := releaseAll(ctx, d, names, "v1")
	for i, r := range first {
		if r.err != nil || r.res.Status != "SUCCEEDED" {
			return Concurrent{}, fmt.Errorf("first release of %s: %v %s %s", names[i], r.err, r.res.Status, r.res.Cause)
		}
	}
	gw := b.aws.Gateway
	gw.SetRoute53(localdeploy.Route53Limits(Propagation, PriorRequest))
	gw.ResetLog()
	b.say("concurrent: %d releases at once under the Route 53 model...", apps)
	start := time.Now()
	second := releaseAll(ctx, d, names, "v2")
	wall := time.Since(start)
	reqs := gw.Requests()
	gw.SetRoute53(nil)

	c := Concurrent{Apps: apps, OtherRecords: others, PropagationSeconds: Propagation.Seconds(), WallSeconds: round(wall.Seconds(), 1)}
	for i, r := range second {
		switch {
		case r.err != nil:
		case r.res.Status == "SUCCEEDED":
			c.Succeeded++
		case slices.Contains(operator.Names(r.res.Path), "RolledBack"):
			c.RolledBack++
		}
		s, err := d.Status(ctx, names[i])
		if err != nil {
			return Concurrent{}, err
		}
		if st := s.State; st.Phase != records.PhaseAtRest || len(st.Problems) > 0 || st.ActiveColor != records.Green {
			c.Inconsistent++
		}
		if s.Lock != nil {
			c.LocksLeft++
		}
	}
	c.Calls = Tally(reqs, localdeploy.FunctionsAccessKey, Window{})
	c.Route53Calls = c.Calls.All
	for _, r := range reqs {
		if r.Service != "route53" || r.AccessKey != localdeploy.FunctionsAccessKey || r.Limit == "" {
			continue
		}
		c.Throttled++
		if r.Limit == "prior-request" {
			c.PriorRequest++
		}
	}
	b.say("concurrent: %d/%d succeeded, %d rolled back, %d inconsistent, %d locked; %d Route 53 calls (%d refused, %d of them PriorRequestNotComplete) in %.1f s (the account bucket's floor: %.1f s)",
		c.Succeeded, apps, c.RolledBack, c.Inconsistent, c.LocksLeft, c.Route53Calls, c.Throttled, c.PriorRequest, c.WallSeconds, c.FloorSeconds())
	return c, nil
}

// outcome is one release's end.
type outcome struct {
	res operator.Result
	err error
}

// releaseAll starts version of every app at once and waits for all of them.
func releaseAll(ctx context.Context, d *localdeploy.Deployer, apps []string, version string) []outcome {
	out := make([]outcome, len(apps))
	var wg sync.WaitGroup
	for i, app := range apps {
		wg.Go(func() {
			_, out[i].res, out[i].err = d.Run(ctx, deploy.Input{App: app, Version: version}, nil)
		})
	}
	wg.Wait()
	return out
}

// propagated measures the app's third release under the Route 53 model.
func (b *bench) propagated(ctx context.Context) (Propagated, error) {
	d, _, err := b.fresh(ctx)
	if err != nil {
		return Propagated{}, err
	}
	if err := b.deployments(ctx, d, "v1", "v2"); err != nil {
		return Propagated{}, err
	}
	gw := b.aws.Gateway
	gw.SetRoute53(localdeploy.Route53Limits(Propagation, PriorRequest))
	defer gw.SetRoute53(nil)
	b.say("propagated: a third release with changes PENDING for %v...", Propagation)
	ex, reqs, err := b.measure(ctx, d, deploy.Input{App: appName, Version: "v3"}, "SUCCEEDED")
	if err != nil {
		return Propagated{}, err
	}
	c := Tally(reqs, localdeploy.FunctionsAccessKey, Window{})
	p := Propagated{PropagationSeconds: Propagation.Seconds(), Route53Calls: c.All, GetChangeCalls: c.GetChange,
		WallSeconds: round(ex.wall.Seconds(), 2), Transitions: Transitions(ex.path), Calls: c}
	b.say("propagated: %d Route 53 calls (%d GetChange), %d transitions, %.2f s", p.Route53Calls, p.GetChangeCalls, p.Transitions, p.WallSeconds)
	return p, nil
}
