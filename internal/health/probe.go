package health

import (
	"bytes"
	"context"
	"crypto/tls"
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
	client, closeIdle := c.httpClient(spec, u)
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

	start := c.clock.Now()
	resp, err := client.Do(req)
	if err != nil {
		p.LatencyMs = c.clock.Now().Sub(start).Milliseconds()
		p.Error = describeProbeErr(ctx, pctx, err, spec.ProbeTimeout)
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
		p.Error = "reading the body: " + describeProbeErr(ctx, pctx, readErr, spec.ProbeTimeout)
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
// carry userinfo and secrets): the URLs it names are SafeURL's.
func describeProbeErr(parent, pctx context.Context, err error, timeout time.Duration) string {
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
		return fmt.Sprintf("no answer within the probe timeout of %v", timeout)
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
// different load balancer node), the link-local guard at dial time, and redirects only within u's origin.
func (c *Checker) httpClient(spec Spec, u *url.URL) (*http.Client, func()) {
	g := newGuardedDialer(c.dialer, c.resolver, allowed{linkLocal: spec.AllowLinkLocal, loopback: spec.AllowLoopback})
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            g.DialContext,
		DisableKeepAlives:      true,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		MaxResponseHeaderBytes: 64 << 10,
	}
	client := &http.Client{Transport: tr, CheckRedirect: sameOriginRedirects(u)}
	return client, tr.CloseIdleConnections
}

// redirectError says a probe did not follow a redirect.
type redirectError struct {
	to     string
	reason string
}

func (e *redirectError) Error() string { return "redirect to " + e.to + " refused: " + e.reason }

// sameOriginRedirects follows at most MaxRedirects redirects, each to the scheme, host and port of u: a redirect
// elsewhere (another host, or http to https) fails the probe, saying where it pointed.
func sameOriginRedirects(u *url.URL) func(*http.Request, []*http.Request) error {
	want := origin(u)
	return func(req *http.Request, via []*http.Request) error {
		if got := origin(req.URL); got != want {
			return &redirectError{to: safeURL(req.URL), reason: "not on " + want}
		}
		if len(via) > MaxRedirects {
			return &redirectError{to: safeURL(req.URL), reason: fmt.Sprintf("more than %d redirects", MaxRedirects)}
		}
		return nil
	}
}

// origin is u's scheme://host:port, lower-cased, with the scheme's default port made explicit.
func origin(u *url.URL) string {
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
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
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
