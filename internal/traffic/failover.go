package traffic

import (
	"context"
	"fmt"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/failover"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// HealthChecks are the apps' Route 53 health checks (failover.Checks).
type HealthChecks interface {
	List(ctx context.Context, app string) ([]failover.Check, error)
	Ensure(ctx context.Context, spec failover.Spec, known []failover.Check) (string, error)
	Sweep(ctx context.Context, app string, inUse map[string]bool, stackIDs ...string) ([]string, error)
}

var _ HealthChecks = (*failover.Checks)(nil)

// recordedChecks maps the stacks the app's weighted records point at to the health checks they carry.
func (r *Router) recordedChecks() map[string]string {
	out := map[string]string{}
	if r.listing == nil {
		return out
	}
	st := records.Read(r.app, r.listing.Records, records.Facts{OtherRunning: true})
	for c, w := range st.Weighted {
		if id := st.Slots[c]; id != "" && w.HealthCheckID != "" && w.Target() == r.app.EndpointName(id) {
			out[id] = w.HealthCheckID
		}
	}
	return out
}

// HealthCheckSpec is the Route 53 health check of one of the app's stacks: HTTP or HTTPS (health.scheme) to its
// endpoint name, at health.path.
func (r *Router) HealthCheckSpec(stackID string) failover.Spec {
	h := r.state.Config.Health
	return failover.Spec{App: r.app.Name, StackID: stackID, FQDN: r.app.EndpointName(stackID), HTTPS: h.Scheme == "https", Path: h.Path}
}

// EnsureChecks makes sure that each of the stacks has its Route 53 health check before a record refers to it, when
// the app's weighted records carry one (CNAME failover; otherwise it does nothing): a stack whose weighted record
// already names a check keeps it; the others' are found by their CallerReference or created (CreateHealthCheck has
// its own rate limit, 0.5 a second after a burst: a throttle past the SDK's retries is a RetryableError).
func (r *Router) EnsureChecks(ctx context.Context, stackIDs ...string) error {
	if !r.routing.HealthChecked() {
		return nil
	}
	if r.listing == nil {
		if _, err := r.State(ctx, records.Facts{}); err != nil {
			return err
		}
	}
	have := r.recordedChecks()
	var known []failover.Check
	for _, id := range stackIDs {
		if id == "" || have[id] != "" || r.ensured[id] != "" {
			continue
		}
		if r.checks == nil {
			return &deploy.InternalError{Err: fmt.Errorf("app %s has failover with CNAME endpoints, and this function has no Route 53 health check client", r.app.Name)}
		}
		if known == nil {
			var err error
			if known, err = r.checks.List(ctx, r.app.Name); err != nil {
				return err
			}
			known = append([]failover.Check{}, known...) // listed once: not nil, even when the app has none
		}
		if err := r.CheckLock(ctx); err != nil {
			return err
		}
		hc, err := r.checks.Ensure(ctx, r.HealthCheckSpec(id), known)
		if err != nil {
			return err
		}
		if r.ensured == nil {
			r.ensured = map[string]string{}
		}
		r.ensured[id] = hc
	}
	return r.Routing().Ready(stackIDs...)
}

// SweepChecks deletes the app's Route 53 health checks that none of its records refers to any more — of the given
// stacks only, when named — after the batches that stopped referring to them (Route 53 deletes a check records
// still use, so the records go first). It calls Route 53 only for an app whose records use health checks now, did
// in this call's reads, or did before this run (its plan's records: failover turned off). It returns the ids
// deleted.
func (r *Router) SweepChecks(ctx context.Context, stackIDs ...string) ([]string, error) {
	if r.listing == nil {
		if _, err := r.State(ctx, records.Facts{}); err != nil {
			return nil, err
		}
	}
	inUse := map[string]bool{}
	for _, rec := range r.listing.Records {
		if rec.HealthCheckID != "" && r.app.Owns(rec) {
			inUse[rec.HealthCheckID] = true
		}
	}
	used := r.routing.HealthChecked() || r.sawChecks
	if p := r.state.Plan; p != nil {
		for _, rec := range p.Before {
			used = used || rec.HealthCheckID != ""
		}
	}
	if !used || r.checks == nil {
		return nil, nil
	}
	if err := r.CheckLock(ctx); err != nil {
		return nil, err
	}
	return r.checks.Sweep(ctx, r.app.Name, inUse, stackIDs...)
}
