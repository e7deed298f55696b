// Package health judges whether a stack may receive traffic: HTTP probes of its endpoint, the target health of its
// load balancer's target groups, and CloudWatch alarms; after a weight step, optionally, the effective split — the
// new stack's share of its and the old stack's load balancers' RequestCount (SplitSpec, SplitWindow). Every verdict
// carries its evidence, capped in size (MaxVerdictBytes).
//
// A Checker runs one check per call and never past its context's deadline. Probes connect to the probed URL's host (a
// stack's load balancer) but may present another name (Spec.ServerName: the TLS server name the certificate is
// always verified against, and the Host header); they follow redirects only on that name, within the scheme and port
// or from http up to https, every one to the same host; and they never connect to link-local or instance-metadata
// addresses (nor to an IPv6 address carrying one) unless the spec allows it: the guard checks the address of every
// connection, so neither DNS nor a redirect can get round it. Targets that ELB reports initial may be waited for
// (Spec.WaitForInitial), within a time derived from their target groups' settings (InitialAllowance).
// Evidence never shows a URL's userinfo or fragment, nor the values of query parameters named like secrets (SafeURL).
package health

import "github.com/bluegreen-aws/bluegreen/internal/deploy"

// The verdict's types belong to the state document (package deploy), which must not depend on the SDK clients this
// package uses; these aliases keep their names here.
type (
	// Verdict is one health check's outcome with its evidence.
	Verdict = deploy.Verdict
	// Probe is one HTTP probe.
	Probe = deploy.Probe
	// Target is one load balancer target's health.
	Target = deploy.Target
	// Alarm is one CloudWatch alarm's state.
	Alarm = deploy.Alarm
	// TargetWait is a verdict's wait for targets that ELB reports initial.
	TargetWait = deploy.TargetWait
	// TrafficEvidence is a split verification's evidence.
	TrafficEvidence = deploy.TrafficEvidence
)

// The outcomes of a split verification (see package deploy).
const (
	SplitVerified           = deploy.SplitVerified
	SplitInconclusive       = deploy.SplitInconclusive
	SplitPassedInconclusive = deploy.SplitPassedInconclusive
	SplitWaiting            = deploy.SplitWaiting
	SplitNotApplicable      = deploy.SplitNotApplicable
	SplitAlreadyVerified    = deploy.SplitAlreadyVerified
)
