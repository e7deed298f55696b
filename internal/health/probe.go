package health

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/certpool"
)

const (
	// MaxBodyBytes is how much of a probe's response body is read; BodyContains must appear within it.
	MaxBodyBytes = 64 << 10
	// MaxRedirects is how many same-host redirects one probe follows.
	MaxRedirects = 5

	userAgent = "bluegreen-health/1"
)

// seriesResult is the outcome of the probe series: its evidence and either a failure or, when it passed, a note.
type seriesResult struct {
	probes  []Probe
	failure string
	note    string
	refused bool // the guard refused the address a probe led to
}

// probeSeries probes spec.URL until spec.Successes probes in a row succeeded, success became impossible within
// spec.Attempts, the guard refused the address a probe led to, or the next probe could not end before ctx's deadline
// less the margin. A refused address ends the series at once: the attempts left would meet the same refusal.
func (c *Checker) probeSeries(ctx context.Context, spec Spec) seriesResult {
	u, err := url.Parse(spec.URL)
	if err != nil { // Validate accepted it; keep the check honest anyway.
		return seriesResult{failure: "probe url does not parse"}
	}
	var roots *x509.CertPool
	if spec.RootCAs != "" {
		if roots, err = certpool.Parse(spec.RootCAs); err != nil { // Validate accepted it
			return seriesResult{failure: err.Error()}
		}
	}
	client, closeIdle := c.httpClient(spec, u, roots)
	defer closeIdle()

	deadline, hasDeadline := ctx.Deadline()
	deadline = deadline.Add(-c.margin)
	var res seriesResult
	inRow := 0
	stopped := func(i int, why string) seriesResult {
		res.failure = fmt.Sprintf("probe %d/%d %s not run: %s (%d of %d successes in a row so far)",
			i, spec.Attempts, safeURL(u), why, inRow, spec.Successes)
		return res
	}
	var next time.Time
	for i := 1; i <= spec.Attempts; i++ {
		now := c.clock.Now()
		if i == 1 || next.Before(now) {
			next = now
		}
		if hasDeadline && next.Add(spec.ProbeTimeout).After(deadline) {
			return stopped(i, fmt.Sprintf("not enough time before the check's deadline for its %v timeout and a %v margin",
				spec.ProbeTimeout, c.margin))
		}
		if wait := next.Sub(now); wait > 0 {
			if err := c.clock.Sleep(ctx, wait); err != nil {
				return stopped(i, ctxReason(err))
			}
		}
		if err := ctx.Err(); err != nil {
			return stopped(i, ctxReason(err))
		}
		next = c.clock.Now().Add(spec.Interval)

		p, refused := c.probe(ctx, client, spec, u, i)
		res.probes = append(res.probes, p)
		if refused {
			res.refused = true
			res.failure = fmt.Sprintf("probe %d/%d %s: %s; not retried: the address is refused",
				i, spec.Attempts, p.URL, p.Error)
			return res
		}
		if err := ctx.Err(); err != nil && !p.OK {
			res.failure = fmt.Sprintf("probe %d/%d %s: %s", i, spec.Attempts, p.URL, p.Error)
			return res
		}
		if p.OK {
			inRow++
			if inRow >= spec.Successes {
				res.note = fmt.Sprintf("%s in a row succeeded (%s)", plural(inRow, "probe"), plural(i, "attempt"))
				return res
			}
			continue
		}
		inRow = 0
		if left := spec.Attempts - i; left < spec.Successes {
			res.failure = fmt.Sprintf("probe %d/%d %s: %s (%d in a row needed, %s left)",
				i, spec.Attempts, p.URL, p.Error, spec.Successes, plural(left, "attempt"))
			return res
		}
	}
	// Not reached: the series ends as soon as success is impossible.
	res.failure = fmt.Sprintf("probes of %s: fewer than %d successes in a row", safeURL(u), spec.Successes)
	return res
}

func ctxReason(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "the check's deadline came"
	}
	return "the check was cancelled"
}

// probe runs one GET of u and judges it; refused says the guard refused the address it led to.
func (c *Checker) probe(ctx context.Context, client *http.Client, spec Spec, u *url.URL,
	attempt int) (p Probe, refused bool) {
	p = Probe{Attempt: attempt, URL: safeURL(u)}
	pctx, cancel := context.WithTimeout(ctx, spec.ProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodGet, u.String(), nil)
	if err != nil {
		p.Error = "building the request failed"
		return p, false
	}
	req.Header.Set("User-Agent", userAgent)
	if _, name := probedNames(spec, u); spec.ServerName != "" {
		req.Host = name
	}

	start := c.clock.Now()
	resp, err := client.Do(req)
	if err != nil {
		p.LatencyMs = c.clock.Now().Sub(start).Milliseconds()
		p.Error = describeProbeErr(ctx, pctx, err, spec)
		if resp != nil { // a refused redirect: the redirect's own status, its body already closed
			p.Status = resp.StatusCode
		}
		_, refused = asRefused(err)
		return p, refused
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes))
	_ = resp.Body.Close() // the body was read as far as it is judged; a close error changes nothing
	latency := c.clock.Now().Sub(start)
	p.Status = resp.StatusCode
	p.LatencyMs = latency.Milliseconds()

	want := spec.expectedStatus()
	switch {
	case !slices.Contains(want, resp.StatusCode):
		p.Error = fmt.Sprintf("status %d, want %s", resp.StatusCode, statusList(want))
	case readErr != nil:
		p.Error = "reading the body: " + describeProbeErr(ctx, pctx, readErr, spec)
	case spec.BodyContains != "" && !bytes.Contains(body, []byte(spec.BodyContains)):
		p.Error = fmt.Sprintf("body does not contain %q (%d bytes read)", truncate(spec.BodyContains, 64), len(body))
	case latency > spec.LatencyBudget:
		p.Error = fmt.Sprintf("latency %v over budget %v", roundDuration(latency), spec.LatencyBudget)
	default:
		p.OK = true
	}
	return p, false
}

// describeProbeErr says in a few words why a request failed, without the request's URL or a redirect's (which may
// carry userinfo and secrets): the URLs it names are SafeURL's. A refused certificate is described with the names it
// covers.
func describeProbeErr(parent, pctx context.Context, err error, spec Spec) string {
	if r, ok := asRefused(err); ok {
		return r.Error()
	}
	var re *redirectError
	if errors.As(err, &re) {
		return re.Error()
	}
	if perr := parent.Err(); perr != nil {
		return ctxReason(perr) + " during the probe"
	}
	if pctx.Err() != nil {
		return fmt.Sprintf("no answer within the probe timeout of %v", spec.ProbeTimeout)
	}
	if msg, ok := describeTLSErr(err, spec.RootCAs != ""); ok {
		return msg
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if strings.HasPrefix(err.Error(), "failed to parse Location header") { // net/http quotes the header in full
		return "a redirect's Location header does not parse"
	}
	return err.Error()
}

// httpClient builds the client of one check: no proxy, no connection reuse between probes (each probe may meet a
// different load balancer node), the link-local guard at dial time, every connection to u's host (pinnedDial), the
// certificate verified against the probed name (the server name, or u's host) with the given roots (nil: the
// system's), and redirects only on that name (redirectPolicy).
func (c *Checker) httpClient(spec Spec, u *url.URL, roots *x509.CertPool) (*http.Client, func()) {
	g := newGuardedDialer(c.dialer, c.resolver, c.addresses,
		allowed{linkLocal: spec.AllowLinkLocal, loopback: spec.AllowLoopback})
	target, name := probedNames(spec, u)
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            pinnedDial(g, target, name),
		DisableKeepAlives:      true,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots},
		MaxResponseHeaderBytes: 64 << 10,
	}
	if spec.ServerName != "" {
		tr.TLSClientConfig.ServerName = name
	}
	var rt http.RoundTripper = tr
	if spec.OnRequest != nil {
		rt = countingTransport{next: tr, clock: c.clock, seen: spec.OnRequest}
	}
	client := &http.Client{Transport: rt, CheckRedirect: redirectPolicy(u, spec.ServerName)}
	return client, tr.CloseIdleConnections
}

// countingTransport tells seen of every request it sends (a probe and each redirect it follows), when it sends it.
type countingTransport struct {
	next  http.RoundTripper
	clock Clock
	seen  func(time.Time)
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.seen(t.clock.Now())
	return t.next.RoundTrip(r)
}

// probedNames returns the host the probes connect to (u's) and the name they present (the server name, else the
// same), both lower-case.
func probedNames(spec Spec, u *url.URL) (target, name string) {
	target = strings.ToLower(u.Hostname())
	if spec.ServerName == "" {
		return target, target
	}
	return target, strings.ToLower(spec.ServerName)
}

// pinnedDial connects every request of a probe to target, the probed URL's host, whichever of target and name the
// request's URL names: a redirect to https://<name>/ must reach the stack's load balancer, not whatever <name>
// resolves to (the app's host resolves to the live stack). The port is the request's. A request for any other host
// (which redirectPolicy never lets through) is refused.
func pinnedDial(g *guardedDialer, target, name string) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		if h := strings.ToLower(host); h != target && h != name {
			return nil, fmt.Errorf("refused to connect for %s: the probe connects only to %s", host, target)
		}
		return g.DialContext(ctx, network, net.JoinHostPort(target, port))
	}
}

// redirectError says a probe did not follow a redirect.
type redirectError struct {
	to     string
	reason string
}

func (e *redirectError) Error() string { return "redirect to " + e.to + " refused: " + e.reason }

// redirectPolicy follows at most MaxRedirects redirects, each on the probed name (the server name, or u's host; u's
// host too) and either on the scheme and port of the request it answers or from http up to https: a load balancer
// serving https commonly answers http with a redirect to https on the same host. A redirect to another host, to
// another port of the same scheme, or down from https to http fails the probe, saying where it pointed. Every
// request goes to u's host anyway (pinnedDial); with a server name, it carries that name as its Host.
func redirectPolicy(u *url.URL, serverName string) func(*http.Request, []*http.Request) error {
	target, name := probedNames(Spec{ServerName: serverName}, u)
	return func(req *http.Request, via []*http.Request) error {
		to, from := req.URL, via[len(via)-1].URL
		host := strings.ToLower(to.Hostname())
		switch {
		case host != name && host != target:
			return &redirectError{to: safeURL(to), reason: "not on " + name}
		case schemePort(to) != schemePort(from) && !upgrade(from, to):
			return &redirectError{to: safeURL(to), reason: fmt.Sprintf(
				"%s after %s: only the same scheme and port, or http to https, are followed", schemePort(to), schemePort(from))}
		case len(via) > MaxRedirects:
			return &redirectError{to: safeURL(to), reason: fmt.Sprintf("more than %d redirects", MaxRedirects)}
		}
		if serverName != "" {
			req.Host = name
		}
		return nil
	}
}

// upgrade reports whether a redirect goes from http to https.
func upgrade(from, to *url.URL) bool {
	return strings.EqualFold(from.Scheme, "http") && strings.EqualFold(to.Scheme, "https")
}

// schemePort is u's scheme://:port, lower-cased, with the scheme's default port made explicit.
func schemePort(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://:" + port
}

// describeTLSErr says why the certificate was refused, naming what it covers, when err is a verification failure.
// rootsGiven says whether the trusted authorities are the spec's (RootCAs) or the system's.
func describeTLSErr(err error, rootsGiven bool) (string, bool) {
	var host x509.HostnameError
	if errors.As(err, &host) {
		return fmt.Sprintf("the certificate %s, not %s", covers(host.Certificate), host.Host), true
	}
	var unknown x509.UnknownAuthorityError
	var verify *tls.CertificateVerificationError
	if errors.As(err, &unknown) && unknown.Cert != nil && errors.As(err, &verify) && len(verify.UnverifiedCertificates) > 0 {
		trusted := "the system's roots"
		if rootsGiven {
			trusted = "RootCAs"
		}
		return fmt.Sprintf("the certificate (%s) is issued by %q, which is not in %s",
			covers(verify.UnverifiedCertificates[0]), unknown.Cert.Issuer.CommonName, trusted), true
	}
	return "", false
}

// maxCoveredNames is how many of a certificate's names a probe's error lists.
const maxCoveredNames = 6

// covers says which names a certificate covers.
func covers(cert *x509.Certificate) string {
	if cert == nil {
		return "covers no names"
	}
	names := slices.Clone(cert.DNSNames)
	for _, ip := range cert.IPAddresses {
		names = append(names, ip.String())
	}
	switch n := len(names); {
	case n == 0:
		return fmt.Sprintf("covers no names (its common name %q is not one)", cert.Subject.CommonName)
	case n > maxCoveredNames:
		return fmt.Sprintf("covers %s and %d more names", strings.Join(names[:maxCoveredNames], ", "), n-maxCoveredNames)
	}
	return "covers " + strings.Join(names, ", ")
}

func statusList(codes []int) string {
	if len(codes) == 1 {
		return strconv.Itoa(codes[0])
	}
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = strconv.Itoa(c)
	}
	return "one of " + strings.Join(s, ", ")
}

func roundDuration(d time.Duration) time.Duration {
	if d >= time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d
}
