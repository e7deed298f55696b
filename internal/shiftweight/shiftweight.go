// Package shiftweight is the shift-weight Lambda: it gives the new stack the next step's share of the traffic (one
// change batch, INSYNC, read back), checks pending changes, and publishes an approval gate's task token where an
// operator's tool finds it.
package shiftweight

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/traffic"
)

// lockTable checks that a run holds its app's lock and records, while it does, the step it shifted to and the
// approval gate it waits at.
type lockTable interface {
	Held(ctx context.Context, app, execution string) error
	Record(ctx context.Context, app, execution string, m applock.Mark) error
	AskApproval(ctx context.Context, app, execution string, g applock.Gate) error
}

// notifier tells operators that an approval gate waits.
type notifier interface {
	Publish(ctx context.Context, params *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var (
	_ lockTable = (*applock.Table)(nil)
	_ notifier  = (*sns.Client)(nil)
)

// Handler holds the function's dependencies.
type Handler struct {
	zones  traffic.Writers
	locks  lockTable
	notify notifier
	topic  string
	now    func() time.Time
}

// New returns the handler: every write it makes is checked against the app's lock in locks first.
func New(zones traffic.Zones, locks lockTable) *Handler {
	return &Handler{zones: traffic.Writers{Zones: zones, Guard: locks.Held}, locks: locks, now: time.Now}
}

// NotifyApprovals makes the approval gate publish to topic that it waits (the token itself stays in the lock item).
func (h *Handler) NotifyApprovals(n notifier, topic string) *Handler {
	h.notify, h.topic = n, topic
	return h
}

// WithHealthChecks gives the handler the apps' Route 53 health checks, which an app with CNAME failover needs.
func (h *Handler) WithHealthChecks(c traffic.HealthChecks) *Handler {
	h.zones.Checks = c
	return h
}

// Function returns the Lambda with its operations: shift, sync and approval.
func (h *Handler) Function(log *slog.Logger) *invoke.Function {
	return &invoke.Function{Name: "shiftweight", Log: log, Ops: map[string]invoke.Op{
		"shift":    h.shift,
		"sync":     h.sync,
		"approval": h.approval,
	}, Writes: []string{"shift"}, Guard: h.locks.Held}
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
	if err := r.EnsureChecks(ctx, s.Plan.New.StackID, s.Plan.Live.StackID); err != nil {
		return s, err
	}
	b, err := r.App().Shift(r.Routing(), st, s.Plan.New.Color, steps[i])
	if err != nil {
		return s, &deploy.InternalError{Err: err}
	}
	if s.Change, err = r.Apply(ctx, b, *s.Config.Strategy.PollSeconds); err != nil {
		return s, err
	}
	// The batch is applied (it may still be on its way to INSYNC): the new stack may have traffic from now on.
	if err := h.locks.Record(ctx, s.App.Name, req.Execution, applock.Mark{Progress: deploy.ProgressShifting, Step: steps[i]}); err != nil {
		return s, err
	}
	s.Step = &deploy.Step{
		Index:    i,
		Percent:  steps[i],
		More:     i+1 < len(steps),
		Approval: slices.Contains(s.Config.Strategy.Approvals, steps[i]),
	}
	if !s.Change.Pending {
		s.Step.SyncedAt = h.syncedAt()
	}
	log.Info("weights shifted", "percent", steps[i], "pending", s.Change.Pending)
	return s, nil
}

// sync checks the shift's pending change; once it is INSYNC, the step records when (Step.SyncedAt: the split
// verification's window starts from it).
func (h *Handler) sync(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s, err := traffic.SyncOp(h.zones)(ctx, req, log)
	if err == nil && !s.Change.Pending && s.Step != nil && s.Step.SyncedAt == "" {
		s.Step.SyncedAt = h.syncedAt()
	}
	return s, err
}

// syncedAt is now, rounded up to the second (RFC 3339 has none of its fractions): a split verification's window
// never starts before the weights were in sync.
func (h *Handler) syncedAt() string {
	now := h.now().UTC()
	if t := now.Truncate(time.Second); t.Before(now) {
		now = t.Add(time.Second)
	}
	return now.Format(time.RFC3339)
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
	if err := h.locks.AskApproval(ctx, s.App.Name, req.Execution, applock.Gate{Token: req.Token, Step: s.Step.Percent, Verdict: summary}); err != nil {
		return s, err
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
	msg := s.ApprovalNotice(summary)
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
