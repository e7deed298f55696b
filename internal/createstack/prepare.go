package createstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// prepare loads the app's stored configuration, merges the input's overrides, resolves the defaults and validates
// everything. It only reads: bad input fails here, before anything is written.
func (h *Handler) prepare(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	raw, err := h.inputOf(ctx, req)
	if err != nil {
		return s, err
	}
	in, err := deploy.CheckInput(raw)
	if err != nil {
		return s, err
	}
	s.Input, s.Raw = in, ""
	app, overrides := in.App, []json.RawMessage{in.Config}
	if in.Action == deploy.ActionReconcile {
		// The stopped run's own overrides come first: a reconcile must act in the zone, at the host, with the drain
		// and keep settings that run used.
		target, err := h.appOf(ctx, in, req.Execution)
		if err != nil {
			return s, err
		}
		app, overrides = target.App, []json.RawMessage{target.Config, in.Config}
	}
	stored, err := h.storedConfig(ctx, app)
	if err != nil {
		return s, err
	}
	cfg, err := deploy.ResolveConfig(app, stored, overrides...)
	if err != nil {
		return s, err
	}
	z, err := h.d.Zones.Open(ctx, cfg.HostedZoneID)
	var noZone *r53types.NoSuchHostedZone
	if errors.As(err, &noZone) {
		return s, &deploy.ValidationError{Problems: []string{fmt.Sprintf("app %s: hosted zone %s does not exist", app, cfg.HostedZoneID)}}
	}
	if err != nil {
		return s, err
	}
	zone := z.Info().Name
	if cfg.Zone != "" && records.Normalize(cfg.Zone) != zone {
		return s, &deploy.ValidationError{Problems: []string{fmt.Sprintf("app %s: hosted zone %s is %s, not %s", app, cfg.HostedZoneID, zone, cfg.Zone)}}
	}
	cfg.Zone = zone
	if err := cfg.Validate(app); err != nil { // again, now that the host can be checked against the zone
		return s, err
	}
	if cfg.Routing.Failover && cfg.Endpoint.Type == deploy.EndpointCNAME && z.Private() {
		return s, &deploy.ValidationError{Problems: []string{fmt.Sprintf(
			"app %s: routing.failover with CNAME endpoints needs Route 53 health checks, whose checkers run on the internet and cannot resolve the stacks' names in private hosted zone %s (%s): use alias endpoints, whose failover evaluates the load balancers' target health, or turn failover off", app, zone, cfg.HostedZoneID)}}
	}
	a, err := records.NewApp(app, zone, cfg.Host)
	if err != nil {
		return s, &deploy.ValidationError{Problems: []string{err.Error()}}
	}
	cfg.Host = a.HostName()
	s.App = &a
	s.Carry(cfg) // without the template body, which create reads again
	if cfg.NoServiceRole {
		s.Warn("app %s has no CloudFormation service role: its stacks are created with the deployer's own rights", app)
		log.Warn("no CloudFormation service role", "app", app)
	}
	s.Title = s.Label()
	s.Notice = s.Describe("started")
	log.Info("prepared", "app", app, "action", s.Input.Action, "host", a.HostName(), "zone", zone)
	return s, nil
}

// storedConfig reads the app's stored configuration (its SSM parameter).
func (h *Handler) storedConfig(ctx context.Context, app string) ([]byte, error) {
	name := h.d.ConfigPrefix + app
	out, err := h.d.Params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	var notFound *ssmtypes.ParameterNotFound
	var coded interface{ ErrorCode() string }
	if errors.As(err, &notFound) || (errors.As(err, &coded) && coded.ErrorCode() == "AccessDeniedException") {
		// The deployer may read only the configured apps' parameters: an unknown app reads as access denied.
		return nil, &deploy.ValidationError{Problems: []string{fmt.Sprintf("app %s has no stored configuration (SSM parameter %s): add it to the deployer's apps", app, name)}}
	}
	if err != nil {
		return nil, fmt.Errorf("read the configuration of app %s: %w", app, err)
	}
	return []byte(aws.ToString(out.Parameter.Value)), nil
}

// inputOf returns the execution's input exactly as it was given, from Step Functions: the state document's copy
// was parsed by Step Functions (a repeated key is gone) and by the Lambda runtime's encoding/json (keys folded), so
// only the original text can be checked key by key. A run whose execution Step Functions does not know (a state
// built by hand) uses the state's raw copy, or its input.
func (h *Handler) inputOf(ctx context.Context, req *deploy.Request) ([]byte, error) {
	out, err := h.d.Executions.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(req.Execution)})
	var missing *sfntypes.ExecutionDoesNotExist
	switch {
	case err == nil && out.Input != nil:
		return []byte(aws.ToString(out.Input)), nil
	case err != nil && !errors.As(err, &missing):
		return nil, fmt.Errorf("read the input of execution %s: %w", req.Execution, err)
	case req.State.Raw != "":
		return []byte(req.State.Raw), nil
	}
	return json.Marshal(req.State.Input)
}

// appOf learns the app a reconcile repairs, and the overrides it ran with, from the stopped execution's input. A
// stopped reconcile names no app: its own target's input does (followed a few levels), or the operator names it.
// Only an execution of this state machine (self's) is reconciled.
func (h *Handler) appOf(ctx context.Context, in deploy.Input, self string) (deploy.Input, error) {
	arn := in.Execution
	for range 4 {
		if self != "" && stateMachineOf(arn) != stateMachineOf(self) {
			return deploy.Input{}, &deploy.ValidationError{Problems: []string{fmt.Sprintf("execution %s is not an execution of this state machine (%s)", arn, stateMachineOf(self))}}
		}
		out, err := h.d.Executions.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		var missing *sfntypes.ExecutionDoesNotExist
		if errors.As(err, &missing) {
			return deploy.Input{}, &deploy.ValidationError{Problems: []string{fmt.Sprintf("execution %s does not exist", arn)}}
		}
		if err != nil {
			return deploy.Input{}, fmt.Errorf("describe execution %s: %w", arn, err)
		}
		if arn == in.Execution && running(string(out.Status)) {
			return deploy.Input{}, &deploy.ValidationError{Problems: []string{fmt.Sprintf("execution %s is still %s: stop it before reconciling", arn, out.Status)}}
		}
		target, err := deploy.DecodeInput([]byte(aws.ToString(out.Input)))
		if err != nil {
			return deploy.Input{}, &deploy.ValidationError{Problems: []string{fmt.Sprintf("execution %s: its input does not decode: %v", arn, err)}}
		}
		if target.App == "" && in.App != "" {
			target.App = in.App // the operator names the app
		}
		switch {
		case target.App != "" && in.App != "" && target.App != in.App:
			return deploy.Input{}, &deploy.ValidationError{Problems: []string{fmt.Sprintf("execution %s deployed app %s, not %s", arn, target.App, in.App)}}
		case target.App != "":
			return target, nil
		case target.ActionOrDefault() == deploy.ActionReconcile && target.Execution != "":
			arn = target.Execution // a reconcile: its target names the app
			continue
		}
		break
	}
	return deploy.Input{}, &deploy.ValidationError{Problems: []string{fmt.Sprintf("execution %s: its input names no app (give app in the reconcile's input)", in.Execution)}}
}

// stateMachineOf returns the part of an execution ARN that names its state machine
// (arn:aws:states:<region>:<account>:execution:<state machine>), or the whole ARN when it has no execution name.
func stateMachineOf(executionARN string) string {
	if i := strings.LastIndexByte(executionARN, ':'); i > 0 && strings.Contains(executionARN[:i], ":execution:") {
		return executionARN[:i]
	}
	return executionARN
}
