package localdeploy_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/functions"
	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// The real bootstraps, built for this machine and run under aws-lambda-rie, behave as the in-process handlers: a
// first release, a weighted release, a failing release that rolls back, and an https release.
func TestRealBootstrapsUnderRIE(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	if err := localaws.BuildBootstraps(ctx, filepath.Join("..", ".."), dir, functions.Names); err != nil {
		t.Fatal(err)
	}
	a := localawstest.Start(t, localaws.Options{BootstrapDir: dir, FunctionEnv: localdeploy.FunctionEnv()})
	d, err := localdeploy.Install(ctx, a, apps)
	if err != nil {
		t.Fatal(err)
	}
	zoneID, err := d.AddZone(ctx, zoneName)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, d: d, zoneID: zoneID}
	e.addApp("demoapp", nil)
	e.deploy("demoapp", "v1")
	blue := e.live("demoapp", records.Blue, "").State.Active
	r := e.deploy("demoapp", "v2")
	hasPath(t, r, "Shift", "Shift", "Shift", "Switch", "Succeeded")
	e.live("demoapp", records.Green, blue)
	_, r = e.run(deploy.Input{App: "demoapp", Version: "v3-broken"})
	if r.Status != "FAILED" || r.Error != "HealthCheckError" {
		t.Fatalf("v3-broken: %s %s %s", r.Status, r.Error, r.Cause)
	}
	e.live("demoapp", records.Green, blue)
	// An https release: the bootstrap's environment (FunctionEnv) makes it ask the local AWS where the load
	// balancer listens.
	e.addApp("demoapp", tlsApp(t, "https"))
	e.deploy("demoapp", "v4-tls")
	if got := apps.LoadBalancerRequests("v4-tls"); len(got) == 0 || got[0] != "https host demoapp.example.com sni demoapp.example.com" {
		t.Errorf("the load balancer of v4-tls was asked %q, want https as demoapp.example.com", got)
	}
	if n := a.Gateway.Count("lambda", "Invoke"); n == 0 {
		t.Error("no Lambda invoke went through the gateway")
	}
	byKey := map[string]int{}
	for _, r := range a.Gateway.Requests() {
		if r.Service == "route53" && r.Operation == "ChangeResourceRecordSets" {
			byKey[r.AccessKey]++
		}
	}
	if byKey[localdeploy.FunctionsAccessKey] == 0 || len(byKey) != 1 {
		t.Errorf("ChangeResourceRecordSets by access key %v, want only the functions' (%s): FunctionEnv sets it", byKey, localdeploy.FunctionsAccessKey)
	}
}
