package health

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/certpool"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// Spec says what one health check looks at and what counts as healthy. The deployment's configuration
// (deploy.HealthConfig) is turned into a Spec, with its defaults applied, by the health check Lambda.
type Spec struct {
	// URL is probed with GET. Only http and https; userinfo, if any, is sent but never shown in the evidence.
	URL string
	// ServerName, when set, is the name the probes present: the TLS server name (SNI) the certificate is verified
	// against, and the Host header. The probes still connect to URL's host (a stack's load balancer, whose own name
	// no certificate of the app covers), and so does every redirect they follow. Empty: URL's host.
	ServerName string
	// RootCAs, when set, is a PEM bundle of the only certificate authorities the probes trust (see package
	// certpool); empty: the system's. The certificate is always verified.
	RootCAs string
	// ExpectedStatus lists the statuses of a healthy answer (default: 200 only).
	ExpectedStatus []int
	// BodyContains, when set, must appear in the first MaxBodyBytes of a healthy answer's body.
	BodyContains string
	// LatencyBudget is the slowest healthy answer: from sending the request to reading the (bounded) body.
	LatencyBudget time.Duration
	// ProbeTimeout bounds each probe, redirects included.
	ProbeTimeout time.Duration
	// Successes in a row make the probes pass, within at most Attempts probes whose starts are Interval apart.
	Successes int
	Attempts  int
	// Interval is the time from one probe's start to the next one's (when a probe takes longer, the next one starts
	// at once). Required when Attempts > 1.
	Interval time.Duration
	// TargetGroups are ELBv2 target group ARNs whose targets must all be healthy; none skips the check.
	TargetGroups []string
	// WaitForInitial makes targets that ELB reports "initial" (registering, or not through their first health check
	// yet) a reason to wait rather than a failure, until InitialUntil: the verdict's Wait says until when. Without it,
	// such targets fail the check.
	WaitForInitial bool
	// InitialUntil ends the wait for initial targets; from then on they fail. Zero: the check that first meets them
	// derives it from their target groups' health check settings (see InitialAllowance).
	InitialUntil time.Time
	// Alarms are CloudWatch alarm names (metric, composite or log alarms); none in ALARM, all must exist.
	Alarms []string
	// AllowLinkLocal allows connecting to link-local and instance-metadata addresses and AWS's IPv6 service addresses
	// (fd00:ec2::/32), refused by default, and to IPv6 addresses that carry such an IPv4 address (NAT64, ...).
	AllowLinkLocal bool
	// AllowLoopback allows connecting to loopback (and unspecified) addresses, refused by default: in a Lambda,
	// 127.0.0.1 serves the Lambda Runtime API. The local test environment, which serves on 127.0.0.1, allows it.
	AllowLoopback bool
	// OnRequest, when set, is told of every HTTP request the probes send (redirects included) as it is sent: the
	// deployer's own requests, which a split verification subtracts from the new stack's RequestCount.
	OnRequest func(at time.Time)
	// Split, when set, makes the check verify the effective split of a weight step too (Verdict.Traffic).
	Split *SplitSpec
}

// SpecError says a Spec cannot be checked: it is a misconfiguration, not an unhealthy stack.
type SpecError struct {
	Problems []string
}

func (e *SpecError) Error() string {
	return "invalid health check spec: " + strings.Join(e.Problems, "; ")
}

// Validate returns a *SpecError listing every problem of s, or nil.
func (s Spec) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if s.URL == "" {
		add("url is empty")
	} else if u, err := url.Parse(s.URL); err != nil {
		add("url %s does not parse", SafeURL(s.URL))
	} else {
		if u.Scheme != "http" && u.Scheme != "https" {
			add("url %s: scheme %q is not http or https", SafeURL(s.URL), u.Scheme)
		}
		if u.Hostname() == "" {
			add("url %s has no host", SafeURL(s.URL))
		}
	}
	if s.ServerName != "" {
		if err := records.ValidateDomain(strings.ToLower(s.ServerName)); err != nil {
			add("server name: %v", err)
		}
	}
	if s.RootCAs != "" {
		if _, err := certpool.Parse(s.RootCAs); err != nil {
			add("%v", err)
		}
	}
	for _, code := range s.ExpectedStatus {
		if code < 100 || code > 599 {
			add("expected status %d is not an HTTP status", code)
		}
	}
	if s.Successes < 1 {
		add("successes is %d, want at least 1", s.Successes)
	}
	if s.Attempts < s.Successes {
		add("attempts (%d) is less than successes (%d)", s.Attempts, s.Successes)
	}
	if s.LatencyBudget <= 0 {
		add("latency budget %v is not positive", s.LatencyBudget)
	}
	if s.ProbeTimeout <= 0 {
		add("probe timeout %v is not positive", s.ProbeTimeout)
	}
	if s.Interval < 0 || (s.Attempts > 1 && s.Interval == 0) {
		add("interval %v is not positive", s.Interval)
	}
	for i, tg := range s.TargetGroups {
		if strings.TrimSpace(tg) == "" {
			add("target group %d is empty", i+1)
		}
	}
	for i, name := range s.Alarms {
		if strings.TrimSpace(name) == "" {
			add("alarm %d is empty", i+1)
		}
	}
	if problems != nil {
		return &SpecError{Problems: problems}
	}
	return nil
}

func (s Spec) expectedStatus() []int {
	if len(s.ExpectedStatus) == 0 {
		return []int{200}
	}
	return s.ExpectedStatus
}
