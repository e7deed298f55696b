// Package shiftweight is the shift-weight Lambda: it gives the new stack the next step's share of the traffic (one
// change batch, INSYNC, read back), checks pending changes, and publishes an approval gate's task token where an
// operator's tool finds it.
package shiftweight

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/traffic"
)

// lockTable lists the DynamoDB call the approval gate makes.
type lockTable interface {
	UpdateItem(ctx context.Context, params *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// notifier tells operators that an approval gate waits.
type notifier interface {
	Publish(ctx context.Context, params *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var (
	_ lockTable = (*dynamodb.Client)(nil)
	_ notifier  = (*sns.Client)(nil)
)

// Handler holds the function's dependencies.
type Handler struct {
	zones  traffic.Writers
	locks  lockTable
	table  string
	guard  func(ctx context.Context, app, execution string) error
	notify notifier
	topic  string
	now    func() time.Time
}

// New returns the handler; table is the lock table's name; guard, when not nil, confirms that an execution still
// holds an app's lock before a shift.
func New(zones traffic.Zones, locks lockTable, table string, guard func(ctx context.Context, app, execution string) error) *Handler {
	return &Handler{zones: traffic.Writers{Zones: zones, Guard: guard}, locks: locks, table: table, guard: guard, now: time.Now}
}

// NotifyApprovals makes the approval gate publish to topic that it waits (the token itself stays in the lock item).
func (h *Handler) NotifyApprovals(n notifier, topic string) *Handler {
	h.notify, h.topic = n, topic
	return h
}

// Function returns the Lambda with its operations: shift, sync and approval.
func (h *Handler) Function(log *slog.Logger) *invoke.Function {
	return &invoke.Function{Name: "shiftweight", Log: log, Ops: map[string]invoke.Op{
		"shift":    h.shift,
		"sync":     traffic.SyncOp(h.zones),
		"approval": h.approval,
	}, Writes: []string{"shift"}, Guard: h.guard}
}

// shift applies the next weight step.
func (h *Handler) shift(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	if s.Plan == nil || s.Plan.New == nil || s.Plan.Live == nil {
		return s, &deploy.InternalError{Err: fmt.Errorf("shift needs a deployment's plan with a live and a new stack")}
	}
	steps := s.Config.Strategy.Steps
	i := 0
	if s.Step != nil {
		i = s.Step.Index + 1
	}
	if i >= len(steps) {
		return s, &deploy.InternalError{Err: fmt.Errorf("no weight step left after step %d of %v", i, steps)}
	}
	r, st, err := h.zones.OpenCarried(ctx, req.Execution, &s)
	if err != nil {
		return s, err
	}
	if err := r.Expect(st, s.Plan, true); err != nil {
		return s, err
	}
	b, err := r.App().Shift(r.Routing(), st, s.Plan.New.Color, steps[i])
	if err != nil {
		return s, &deploy.InternalError{Err: err}
	}
	if s.Change, err = r.Apply(ctx, b, *s.Config.Strategy.PollSeconds); err != nil {
		return s, err
	}
	s.Step = &deploy.Step{
		Index:    i,
		Percent:  steps[i],
		More:     i+1 < len(steps),
		Approval: slices.Contains(s.Config.Strategy.Approvals, steps[i]),
	}
	log.Info("weights shifted", "percent", steps[i], "pending", s.Change.Pending)
	return s, nil
}

// approval records an approval gate's task token, step and verdict in the app's lock item, conditional on this
// execution still holding the lock. The token is a capability: it is stored, never logged or published.
func (h *Handler) approval(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	if req.Token == "" || s.Step == nil || s.App == nil {
		return s, &deploy.InternalError{Err: fmt.Errorf("approval needs a task token, an app and a step")}
	}
	summary := ""
	if s.Verdict != nil {
		summary = s.Verdict.Summary
	}
	_, err := h.locks.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(h.table),
		Key:                 map[string]ddbtypes.AttributeValue{"app": &ddbtypes.AttributeValueMemberS{Value: s.App.Name}},
		UpdateExpression:    aws.String("SET approvalToken = :t, approvalStep = :p, approvalVerdict = :v, approvalRequestedAt = :at"),
		ConditionExpression: aws.String("execution = :e"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":t":  &ddbtypes.AttributeValueMemberS{Value: req.Token},
			":p":  &ddbtypes.AttributeValueMemberN{Value: strconv.Itoa(s.Step.Percent)},
			":v":  &ddbtypes.AttributeValueMemberS{Value: summary},
			":at": &ddbtypes.AttributeValueMemberS{Value: h.now().UTC().Format(time.RFC3339)},
			":e":  &ddbtypes.AttributeValueMemberS{Value: req.Execution},
		},
	})
	var lost *ddbtypes.ConditionalCheckFailedException
	if errors.As(err, &lost) {
		return s, &deploy.LockLostError{App: s.App.Name, Execution: req.Execution}
	}
	if err != nil {
		return s, fmt.Errorf("record the approval gate of app %s at %d%% in lock table %s: %w", s.App.Name, s.Step.Percent, h.table, err)
	}
	log.Info("approval requested", "percent", s.Step.Percent)
	h.announce(ctx, &s, summary, log)
	return s, nil
}

// announce tells the notification topic that a gate waits, and how to answer it. The token is a capability and is
// not in the message: the CLI reads it from the lock item, under the lock table's access control. A failed
// notification does not fail the gate (the token is stored; `bluegreen status` shows the gate).
func (h *Handler) announce(ctx context.Context, s *deploy.State, summary string, log *slog.Logger) {
	if h.notify == nil || h.topic == "" {
		return
	}
	app := s.App.Name
	msg := s.Describe(fmt.Sprintf("approval waiting at %d%% (%s). Answer with `bluegreen approve %s` (-full to skip the remaining steps) or `bluegreen abort %s` within %d s, or the deployment rolls back.",
		s.Step.Percent, summary, app, app, s.Config.Strategy.ApprovalTimeoutSeconds))
	_, err := h.notify.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(h.topic),
		Subject:  aws.String("bluegreen: approval waiting"),
		Message:  aws.String(msg),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"app": {DataType: aws.String("String"), StringValue: aws.String(app)},
		},
	})
	if err != nil {
		log.Warn("approval notification not sent", "error", err.Error())
	}
}
