package createstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/stacks"
)

// create creates the new stack from the app's template, with the artifact, version, color and stack id as
// parameters and the app's CloudFormation service role. A retried call from the same execution returns the stack it
// already created.
func (h *Handler) create(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	if s.Plan == nil || s.Plan.New == nil {
		return s, &deploy.InternalError{Err: fmt.Errorf("create needs a deployment's plan")}
	}
	cfg, n := s.Config, s.Plan.New
	params := maps.Clone(cfg.Parameters)
	if params == nil {
		params = map[string]string{}
	}
	params[deploy.ParamArtifact] = s.Input.Artifact
	params[deploy.ParamVersion] = s.Input.Version
	params[deploy.ParamColor] = string(n.Color)
	params[deploy.ParamStackID] = n.StackID
	timeout := time.Duration(cfg.Strategy.StackTimeoutSeconds) * time.Second
	tmpl, err := h.template(ctx, req)
	if err != nil {
		return s, err
	}
	if h.d.Guard != nil {
		if err := h.d.Guard(ctx, s.App.Name, req.Execution); err != nil {
			return s, err
		}
	}
	id, err := h.d.Stacks.Create(ctx, stacks.Spec{
		Name: n.Stack, App: s.App.Name, Color: n.Color, StackID: n.StackID, Version: s.Input.Version,
		Execution:   req.Execution,
		TemplateURL: tmpl.URL, TemplateBody: tmpl.Body,
		Parameters: params,
		RoleARN:    cfg.ServiceRoleARN, AllowNoRole: cfg.NoServiceRole,
		Timeout: timeout,
	})
	var exists *stacks.ExistsError
	if errors.As(err, &exists) {
		return s, &deploy.StackFailedError{Stack: n.Stack, Status: "EXISTS", Reason: exists.Error()}
	}
	if err != nil {
		return s, err
	}
	if err := h.d.Locks.Record(ctx, s.App.Name, req.Execution, applock.Mark{Progress: deploy.ProgressCreated}); err != nil {
		return s, err
	}
	s.Stack = &deploy.StackWait{
		Name: n.Stack, ID: id, Status: "CREATE_IN_PROGRESS",
		WaitSeconds: *cfg.Strategy.PollSeconds,
		Deadline:    h.d.Now().Add(timeout).UTC().Format(time.RFC3339),
	}
	s.Notice = s.Describe(fmt.Sprintf("creating stack %s in %s", n.Stack, n.Color))
	log.Info("stack created", "stack", n.Stack, "stackArn", id)
	return s, nil
}

// template returns the run's template. The state document carries no template body (deploy.BodyRef): it is read
// again where Prepare read it, the app's stored configuration merged with the execution's own overrides (allowed
// there by allowOverrides), and must be the body Prepare validated.
func (h *Handler) template(ctx context.Context, req *deploy.Request) (deploy.Template, error) {
	s := &req.State
	if !s.NeedsTemplateBody() {
		return s.Template(nil)
	}
	raw, err := h.inputOf(ctx, req)
	if err != nil {
		return deploy.Template{}, err
	}
	in, err := deploy.CheckInput(raw)
	if err != nil {
		return deploy.Template{}, err
	}
	stored, err := h.storedConfig(ctx, s.App.Name)
	if err != nil {
		return deploy.Template{}, err
	}
	cfg, err := deploy.ResolveConfig(s.App.Name, stored, in.Config)
	if err != nil {
		return deploy.Template{}, err
	}
	return s.Template(&cfg)
}

// status checks the new stack once. Complete: its endpoint is read and the wait is done. In progress: the next wait
// doubles (up to a minute) until the deadline. Failed: a StackFailedError with CloudFormation's root cause.
func (h *Handler) status(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	if s.Stack == nil {
		return s, &deploy.InternalError{Err: fmt.Errorf("status needs a created stack")}
	}
	w := *s.Stack
	ref := w.ID
	if ref == "" {
		ref = w.Name
	}
	st, err := h.d.Stacks.Status(ctx, ref)
	if err != nil {
		return s, err
	}
	w.Status = st.StackStatus
	switch st.Phase {
	case stacks.PhaseComplete:
		ep, err := h.endpoint(ctx, &s, w.Name)
		if err != nil {
			return s, err
		}
		w.Done, w.Endpoint = true, ep
	case stacks.PhaseInProgress:
		deadline, err := time.Parse(time.RFC3339, w.Deadline)
		if err == nil && h.d.Now().After(deadline) {
			return s, &deploy.StackFailedError{Stack: w.Name, Status: st.StackStatus, Reason: fmt.Sprintf("not complete by its deadline %s (strategy.stackTimeoutSeconds %d)", w.Deadline, s.Config.Strategy.StackTimeoutSeconds)}
		}
		w.WaitSeconds = min(max(1, 2*w.WaitSeconds), deploy.MaxPollSeconds) // from 0 too: never spin
	default:
		reason := st.Reason
		if reason == "" {
			reason = "the stack is " + string(st.Phase)
		}
		return s, &deploy.StackFailedError{Stack: w.Name, Status: st.StackStatus, Reason: reason}
	}
	s.Stack = &w
	log.Info("stack checked", "stack", w.Name, "status", w.Status, "done", w.Done, "nextWait", w.WaitSeconds)
	return s, nil
}

// endpoint reads a complete stack's endpoint and checks it can carry the app's endpoint record type.
func (h *Handler) endpoint(ctx context.Context, s *deploy.State, name string) (*deploy.Endpoint, error) {
	ep, err := h.d.Stacks.Endpoint(ctx, name, s.Config.Endpoint.Output, s.Config.Health.URLOutput)
	var missing *stacks.MissingOutputError
	if errors.As(err, &missing) {
		return nil, &deploy.StackFailedError{Stack: name, Status: "CREATE_COMPLETE", Reason: missing.Error()}
	}
	if err != nil {
		return nil, err
	}
	if s.Config.Endpoint.Type == deploy.EndpointAlias && !ep.LoadBalancer {
		return nil, &deploy.StackFailedError{Stack: name, Status: "CREATE_COMPLETE", Reason: fmt.Sprintf(
			"output %s is %s, which is not a load balancer's DNS name: alias records need one (set endpoint.type to cname)", s.Config.Endpoint.Output, ep.DNSName)}
	}
	return &deploy.Endpoint{DNSName: ep.DNSName, HostedZoneID: ep.HostedZoneID, HealthURL: ep.HealthURL, TargetGroups: ep.TargetGroups,
		LoadBalancerARN: ep.LoadBalancerARN, Internal: ep.Internal}, nil
}
