package localdeploy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localca"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// The end-to-end tests of HTTPS apps: the demo stacks without the HealthURL output are probed at their load
// balancers' DNS names, which the local AWS serves (through the gateway's lb-address) on listeners of the app server,
// https with a certificate for the demo zone's names from a CA the test makes.

// tlsApp gives the local load balancers a certificate for demoapp.example.com and *.example.com from a new CA, and
// returns a configuration change that makes an app probe its load balancer over scheme, trusting that CA.
func tlsApp(t *testing.T, scheme string) func(*deploy.Config) {
	t.Helper()
	ca, err := localca.New("bluegreen test CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("demoapp.example.com", "*.example.com")
	if err != nil {
		t.Fatal(err)
	}
	apps.SetCertificate(&cert)
	t.Cleanup(func() { apps.SetCertificate(nil); apps.RedirectHTTP(false) })
	return func(c *deploy.Config) {
		delete(c.Parameters, "HealthBase") // no HealthURL output: the probe goes to the load balancer
		c.Health.Scheme, c.Health.Path, c.Health.RootCAs = scheme, "/health", ca.PEM()
		c.Strategy.Steps = []int{}
	}
}

func TestHTTPSReleases(t *testing.T) {
	e := setup(t)
	https := tlsApp(t, "https")
	e.addApp("demoapp", https)

	// The default name is the app's host, what its certificate is issued for.
	arn, r := e.run(deploy.Input{App: "demoapp", Version: "v1-tls"})
	if r.Status != "SUCCEEDED" {
		t.Fatalf("v1-tls: %s %s %s\npath %v", r.Status, r.Error, r.Cause, operator.Names(r.Path))
	}
	e.live("demoapp", records.Blue, "")
	if got, want := apps.LoadBalancerRequests("v1-tls"), "https host demoapp.example.com sni demoapp.example.com"; len(got) == 0 || got[0] != want {
		t.Errorf("the load balancer of v1-tls was asked %q, want first %q", got, want)
	}
	pre := e.outputs(arn, "PreTrafficHealth")
	if len(pre) != 1 || pre[0].Verdict == nil || !pre[0].Verdict.Healthy ||
		!strings.HasPrefix(pre[0].Verdict.Probes[0].URL, "https://") || !strings.Contains(pre[0].Verdict.Probes[0].URL, ".elb.amazonaws.com/health") {
		t.Errorf("pre-traffic verdict %+v, want a healthy probe of https://<load balancer>/health", pre)
	}

	// serverName stack: the stack's own endpoint name, under the wildcard.
	e.addApp("demoapp", func(c *deploy.Config) { https(c); c.Health.ServerName = "stack" })
	_, r = e.run(deploy.Input{App: "demoapp", Version: "v2-tls"})
	if r.Status != "SUCCEEDED" {
		t.Fatalf("v2-tls: %s %s %s", r.Status, r.Error, r.Cause)
	}
	s := e.live("demoapp", records.Green, e.status("demoapp").State.Slots[records.Blue])
	want := "https host demoapp-" + s.State.Active + ".example.com sni demoapp-" + s.State.Active + ".example.com"
	if got := apps.LoadBalancerRequests("v2-tls"); len(got) == 0 || got[0] != want {
		t.Errorf("the load balancer of v2-tls was asked %q, want first %q", got, want)
	}
}

// A name the certificate does not cover fails the pre-traffic check, saying which names it covers; nothing gets
// traffic and the records are as before.
func TestHTTPSWrongServerNameRollsBack(t *testing.T) {
	e := setup(t)
	https := tlsApp(t, "https")
	e.addApp("demoapp", https)
	e.deploy("demoapp", "v1")
	before := e.status("demoapp")

	e.addApp("demoapp", func(c *deploy.Config) { https(c); c.Health.ServerName = "wrong.example.org" })
	_, r := e.run(deploy.Input{App: "demoapp", Version: "v2-wrong-name"})

	if r.Status != "FAILED" || r.Error != "HealthCheckError" {
		t.Fatalf("v2-wrong-name: %s %s, want FAILED HealthCheckError", r.Status, r.Error)
	}
	const covered = "the certificate covers demoapp.example.com, *.example.com, not wrong.example.org"
	if !contains(r.Cause, covered) {
		t.Errorf("cause %q does not say %q", r.Cause, covered)
	}
	hasPath(t, r, "PreTrafficHealth", "Rollback", "RolledBack")
	never(t, r, "Switch")
	if got := apps.LoadBalancerRequests("v2-wrong-name"); len(got) != 0 {
		t.Errorf("requests past a refused handshake: %q", got)
	}
	e.live("demoapp", records.Blue, "")
	if diff := slices.Compare(managedRecords(before), managedRecords(e.status("demoapp"))); diff != 0 {
		t.Errorf("records changed: %v -> %v", managedRecords(before), managedRecords(e.status("demoapp")))
	}
}

// An http probe meets the load balancer's redirect to https on the same host and follows it to the same load
// balancer: with the app's host as its name it passes; with the load balancer's own name (plain http's default)
// the certificate refuses it, naming what it covers.
func TestHTTPRedirectToHTTPSIsFollowed(t *testing.T) {
	e := setup(t)
	plain := tlsApp(t, "http")
	apps.RedirectHTTP(true)

	e.addApp("demoapp", plain)
	_, r := e.run(deploy.Input{App: "demoapp", Version: "v1-lb-name"})
	if r.Status != "FAILED" || !contains(r.Cause, "the certificate covers demoapp.example.com, *.example.com, not ") ||
		!contains(r.Cause, ".elb.amazonaws.com") {
		t.Errorf("v1-lb-name: %s %s %s; want a failure naming the covered names and the load balancer's", r.Status, r.Error, r.Cause)
	}

	e.addApp("demoapp", func(c *deploy.Config) { plain(c); c.Health.ServerName = "host" })
	_, r = e.run(deploy.Input{App: "demoapp", Version: "v1-redirect"})
	if r.Status != "SUCCEEDED" {
		t.Fatalf("v1-redirect: %s %s %s", r.Status, r.Error, r.Cause)
	}
	got := apps.LoadBalancerRequests("v1-redirect")
	want := []string{"http host demoapp.example.com", "https host demoapp.example.com sni demoapp.example.com"}
	if len(got) < 2 || !slices.Equal(got[:2], want) {
		t.Errorf("the load balancer was asked %q, want first %q", got, want)
	}
	e.live("demoapp", records.Blue, "")
}

// Targets that ELB reports initial are waited for by the pre-traffic loop, without spending health.retries (0
// here): the state machine waits, the function does not sleep, and the deadline it derived stays in the state.
func TestInitialTargetsAreWaitedFor(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", func(c *deploy.Config) { c.Strategy.Steps = []int{} })
	e.d.AWS.Gateway.SetTargetHealth("*", gateway.TargetHealth{State: "initial", Answers: 2})

	arn, r := e.run(deploy.Input{App: "demoapp", Version: "v1-initial"})

	if r.Status != "SUCCEEDED" {
		t.Fatalf("v1-initial: %s %s %s\npath %v", r.Status, r.Error, r.Cause, operator.Names(r.Path))
	}
	if n, w := count(r, "PreTrafficHealth"), count(r, "PreTrafficRetryWait"); n != 3 || w != 2 {
		t.Errorf("PreTrafficHealth %d times, PreTrafficRetryWait %d, want 3 and 2", n, w)
	}
	pre := e.outputs(arn, "PreTrafficHealth")
	if len(pre) != 3 {
		t.Fatalf("%d pre-traffic outputs, want 3", len(pre))
	}
	until := pre[0].Checks.InitialUntil
	for i, s := range pre[:2] {
		if s.Verdict.Wait == nil || !s.Checks.Retry || s.Checks.Failed != 0 || s.Checks.WaitSeconds != 1 || s.Checks.InitialUntil != until || until == "" {
			t.Errorf("check %d: verdict wait %+v, checks %+v; want a wait of 1 s until one deadline, no failure", i+1, s.Verdict.Wait, s.Checks)
		}
		if len(s.Verdict.Notes) == 0 || !contains(s.Verdict.Notes[0], "Elb.InitialHealthChecking") {
			t.Errorf("check %d: notes %q, want the initial targets named", i+1, s.Verdict.Notes)
		}
	}
	if last := pre[2]; !last.Verdict.Healthy || last.Checks.Retry {
		t.Errorf("third check: %+v %+v, want healthy", last.Verdict, last.Checks)
	}
	e.live("demoapp", records.Blue, "")
}

// A target group whose health checks are off (Lambda targets' default) is not judged, and the evidence says so.
func TestHealthChecksOffAreNotJudged(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", func(c *deploy.Config) { c.Strategy.Steps = []int{} })
	e.d.AWS.Gateway.SetTargetHealth("*", gateway.TargetHealth{State: "unavailable"}) // Target.HealthCheckDisabled

	arn, r := e.run(deploy.Input{App: "demoapp", Version: "v1-checks-off"})

	if r.Status != "SUCCEEDED" {
		t.Fatalf("v1-checks-off: %s %s %s", r.Status, r.Error, r.Cause)
	}
	pre := e.outputs(arn, "PreTrafficHealth")
	if len(pre) != 1 || len(pre[0].Verdict.Notes) != 1 ||
		!contains(pre[0].Verdict.Notes[0], "not judged: ELB's health checks are off (Target.HealthCheckDisabled)") {
		t.Errorf("pre-traffic verdicts %+v, want one healthy with a note that the targets were not judged", pre)
	}

	// Unavailable for any other reason still fails.
	e.d.AWS.Gateway.SetTargetHealth("*", gateway.TargetHealth{State: "unavailable", Reason: "Target.IpUnusable"})
	_, r = e.run(deploy.Input{App: "demoapp", Version: "v2-unusable"})
	if r.Status != "FAILED" || r.Error != "HealthCheckError" || !contains(r.Cause, "Target.IpUnusable") {
		t.Errorf("v2-unusable: %s %s %s, want a HealthCheckError naming Target.IpUnusable", r.Status, r.Error, r.Cause)
	}
}

// Bad TLS settings are refused by the CLI before it starts anything, and by Prepare before the lock or any write.
func TestBadTLSSettingsRefusedBeforeAnyWrite(t *testing.T) {
	e := setup(t)
	e.addApp("demoapp", func(c *deploy.Config) { c.Health.RootCAs, c.Health.ServerName = "not PEM", "Not A Name" })
	const rootCAs, serverName = "health rootCAs: no PEM certificate found", `health serverName "Not A Name"`

	if _, _, err := e.d.Run(e.ctx, deploy.Input{App: "demoapp", Version: "v1"}, nil); err == nil ||
		!contains(err.Error(), rootCAs) || !contains(err.Error(), serverName) {
		t.Errorf("the operator started a deployment with bad TLS settings: %v", err)
	}
	_, r := e.runRaw("bad-tls", `{"app":"demoapp","version":"v1"}`)

	if r.Status != "FAILED" || r.Error != "ValidationError" || !contains(r.Cause, rootCAs) || !contains(r.Cause, serverName) {
		t.Errorf("%s %s %s, want a ValidationError naming both", r.Status, r.Error, r.Cause)
	}
	never(t, r, "Lock", "Create")
	if n := e.writes(); n != 0 {
		t.Errorf("%d writes, want none", n)
	}
}
