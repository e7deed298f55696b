// Package gateway is the front door of the local AWS. It answers Lambda Invoke itself,
// by running the project's handlers in-process or their bootstrap binaries under
// aws-lambda-rie — each concurrent invocation in an instance of its own, as Lambda scales
// out (instances.go) — passes every other call to moto unchanged, logs every call, and
// injects the faults tests ask for: throttling, server errors, held calls, failed stack
// statuses and unhealthy targets. When a Route 53 model is in force (package r53model),
// it answers Route 53 calls as Route 53's limits would: Throttling,
// PriorRequestNotComplete, and changes PENDING until propagated (route53.go). It runs
// EventBridge's default bus (eventbridge.go, package eventbus): PutEvents, the AWS services'
// events, and rules whose state machine targets start executions.
//
// moto's Step Functions interpreter makes its Lambda invokes and SDK integrations
// (dynamodb:putItem, sns:publish, aws-sdk:*) as HTTP calls to localhost:MOTO_PORT;
// with MOTO_PORT set to the gateway's port, they too are logged and can be faulted.
package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/eventbus"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/r53model"
)

// Config configures a Gateway.
type Config struct {
	// Backend is moto's base URL, e.g. "http://127.0.0.1:5000".
	Backend string
	// Functions serve Lambda invokes in-process, by function name, as Lambda scales out: each concurrent invocation
	// runs in an instance of its own, whose handler the Factory builds; an idle instance serves the next
	// invocation (a warm start).
	Functions map[string]Factory
	// Handlers serve Lambda invokes in-process, by function name, with one handler shared by every instance: for
	// handlers that hold no state of their own (Functions model Lambda's instances).
	Handlers map[string]Handler
	// Bootstraps maps function names to host-architecture bootstrap binaries, each instance run under an
	// aws-lambda-rie process of its own: a function's pool of RIE processes grows with its concurrent invocations.
	Bootstraps map[string]string
	// RIE is the aws-lambda-rie binary; FindRIE finds it when empty and Bootstraps is not.
	RIE string
	// FunctionEnv is the whole environment ("KEY=value") of the aws-lambda-rie processes.
	FunctionEnv []string
	// FunctionTimeout bounds each invoke; 0 means 60 s.
	FunctionTimeout time.Duration
	// LogDir receives one log per RIE function, <name>.log: the handler's stdout and
	// stderr. Required with Bootstraps.
	LogDir string
	// Route53, when set, is the Route 53 model in force from the start (and again after ResetRoute53): token
	// buckets, PriorRequestNotComplete and change propagation, for the callers it meters (see package r53model).
	// Nil: Route 53 calls reach moto as they come, and moto answers every change INSYNC at once.
	Route53 *r53model.Config
	// Region is the region the local EventBridge answers for ("us-east-1" when empty).
	Region string
	// RealTimeSchedules makes scheduled rules fire as real time passes; otherwise only Events().Advance moves their
	// clock (tests).
	RealTimeSchedules bool
	// QuietCallers are access keys whose calls the gateway passes to moto without logging them, metering them
	// (Route 53 model), applying faults to them or counting them against an override's Answers: the local AWS's own
	// readers (its DNS data plane, dataplane.AccessKey), which must not change what a test counts or injects.
	// Overrides still rewrite their answers: a target a test made unhealthy is unhealthy to them too.
	QuietCallers []string
}

// Gateway is an http.Handler in front of moto. Its methods are safe for concurrent use.
type Gateway struct {
	proxy     *httputil.ReverseProxy
	functions map[string]*pool
	rieLogs   []io.Closer
	timeout   time.Duration
	control   http.Handler
	log       requestLog
	faults    faultSet
	overrides overrides
	// lbAddresses says where the local load balancers listen (SetLoadBalancerResolver).
	lbAddresses lbAddresses
	route53     route53Models
	// bus is the local EventBridge's default bus (eventbridge.go).
	bus *eventbus.Bus
	// quiet are Config.QuietCallers.
	quiet map[string]bool
}

// New returns a gateway to the moto at cfg.Backend. Close stops what it started.
func New(cfg Config) (*Gateway, error) {
	backend, err := url.Parse(cfg.Backend)
	if err != nil || backend.Host == "" {
		return nil, fmt.Errorf("gateway backend %q: not a URL", cfg.Backend)
	}
	g := &Gateway{functions: map[string]*pool{}, timeout: cfg.FunctionTimeout, quiet: map[string]bool{}}
	for _, key := range cfg.QuietCallers {
		g.quiet[key] = true
	}
	g.route53.base = cfg.Route53
	g.route53.set(cfg.Route53)
	if g.timeout == 0 {
		g.timeout = time.Minute
	}
	for name, build := range cfg.Functions {
		g.functions[name] = inProcessPool(build)
	}
	for name, h := range cfg.Handlers {
		if _, ok := g.functions[name]; ok {
			return nil, fmt.Errorf("function %s: both a factory and a handler", name)
		}
		g.functions[name] = inProcessPool(func() (Handler, error) { return h, nil })
	}
	if len(cfg.Bootstraps) > 0 {
		if err := g.addRIEFunctions(cfg); err != nil {
			g.Close()
			return nil, err
		}
	}
	g.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(backend)
			pr.Out.Host = pr.In.Host // moto reads some services from the Host header
		},
		Transport:      &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second},
		ModifyResponse: g.rewriteResponse,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			c, _ := r.Context().Value(callKey{}).(Call)
			writeAWSError(w, r, protocolOf(r, c), http.StatusBadGateway, "InternalFailure",
				"local AWS gateway: moto did not answer: "+err.Error())
		},
	}
	g.control = g.controlAPI()
	g.bus = g.newBus(cfg)
	return g, nil
}

func (g *Gateway) addRIEFunctions(cfg Config) error {
	if cfg.LogDir == "" {
		return errors.New("gateway: Bootstraps need a LogDir")
	}
	rie := cfg.RIE
	if rie == "" {
		var err error
		if rie, err = FindRIE(); err != nil {
			return err
		}
	}
	for name, bootstrap := range cfg.Bootstraps {
		if _, ok := g.functions[name]; ok {
			return fmt.Errorf("function %s: both a handler and a bootstrap", name)
		}
		f, err := newRIEFunction(name, rie, bootstrap, cfg.LogDir, cfg.FunctionEnv, g.timeout)
		if err != nil {
			return err
		}
		g.rieLogs = append(g.rieLogs, f.log)
		g.functions[name] = newPool(f.start)
	}
	return nil
}

// Close releases held calls, stops the event bus and the aws-lambda-rie processes.
func (g *Gateway) Close() error {
	g.ClearFaults()
	if g.bus != nil {
		g.bus.Close()
	}
	var errs []error
	for _, f := range g.functions {
		errs = append(errs, f.close())
	}
	for _, l := range g.rieLogs {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}

// ControlPrefix is the path under which the gateway serves its control API.
const ControlPrefix = "/_localaws/"

type callKey struct{}

// quietKey marks the context of a quiet caller's call (Config.QuietCallers).
type quietKey struct{}

// ServeHTTP answers a call: the control API, a Lambda invoke, or moto's answer,
// after the faults in force and the Route 53 model's verdict, and logs it.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Path) >= len(ControlPrefix) && r.URL.Path[:len(ControlPrefix)] == ControlPrefix {
		g.control.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read request: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	c := classify(r, body)
	if g.quiet[c.AccessKey] {
		g.serveQuiet(w, r, c, body)
		return
	}
	rec := &recorder{ResponseWriter: w}
	entry, answered := g.applyFaults(rec, r, c)
	var ticket *r53model.Ticket
	if !answered {
		ticket, entry.Limit, answered = g.admitRoute53(rec, r, c, body)
	}
	if !answered {
		r.Body = io.NopCloser(bytes.NewReader(body))
		switch {
		case c.Operation == "Invoke" && c.Function != "":
			g.serveInvoke(rec, r, c, &entry)
		case c.Service == "events" && c.Operation == "PutEvents":
			g.servePutEvents(rec, r, c, body)
		default:
			ctx := context.WithValue(r.Context(), callKey{}, c)
			if ticket != nil {
				ctx = context.WithValue(ctx, ticketKey{}, ticket)
				defer ticket.Rejected() // moto did not answer: no effect once its answer is reported
			}
			g.proxy.ServeHTTP(rec, r.WithContext(ctx))
			if eventsWrite(c) {
				g.bus.Invalidate() // a rule or target may have changed
			}
		}
	}
	if rec.status == 0 {
		rec.WriteHeader(http.StatusOK)
	}
	entry.Call, entry.Status, entry.Time, entry.Duration = c, rec.status, start, time.Since(start)
	entry.Call.Params = nil
	g.log.add(entry)
}

// serveQuiet passes a quiet caller's call to moto: no fault, no Route 53 model, no log entry, and the overrides'
// rewrites without using up their Answers.
func (g *Gateway) serveQuiet(w http.ResponseWriter, r *http.Request, c Call, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	ctx := context.WithValue(context.WithValue(r.Context(), callKey{}, c), quietKey{}, true)
	g.proxy.ServeHTTP(&recorder{ResponseWriter: w}, r.WithContext(ctx))
}

// rewriteResponse applies the overrides in force to moto's answer, and reports moto's answer to an admitted change
// batch to the Route 53 model.
func (g *Gateway) rewriteResponse(resp *http.Response) error {
	ctx := resp.Request.Context()
	if t, ok := ctx.Value(ticketKey{}).(*r53model.Ticket); ok {
		return answerChange(resp, t)
	}
	c, _ := ctx.Value(callKey{}).(Call)
	quiet, _ := ctx.Value(quietKey{}).(bool)
	rewrite := g.overrides.rewriter(c, !quiet)
	if rewrite == nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	setBody(resp, rewrite(body))
	return nil
}

// setBody replaces a response's body.
func setBody(resp *http.Response, body []byte) {
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
}

// functionNames lists the functions the gateway serves.
func (g *Gateway) functionNames() []string {
	var names []string
	for n := range g.functions {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
