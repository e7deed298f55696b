package createstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// lock runs when the state machine's conditional put found the app locked. It fails fast, naming the holder, while
// the holder runs; it takes the lock over from a holder that is no longer running when that run changed no record or
// finished, or when this run is a reconcile; otherwise it refuses and says to reconcile. Taking over is a conditional
// update naming the old holder, so two runs never both win.
func (h *Handler) lock(ctx context.Context, req *deploy.Request, log *slog.Logger) (deploy.State, error) {
	s := req.State
	app := s.App.Name
	key := map[string]ddbtypes.AttributeValue{"app": &ddbtypes.AttributeValueMemberS{Value: app}}
	out, err := h.d.Locks.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(h.d.LockTable), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return s, fmt.Errorf("read the lock of app %s: %w", app, err)
	}
	item := lockItem(out.Item)
	if out.Item == nil {
		// Released since the state machine tried: take it the way the state machine does.
		if err := h.putLock(ctx, &s, req.Execution); err != nil {
			return s, err
		}
		s.Lock = &deploy.LockInfo{TakenOver: true}
		return s, nil
	}
	if item.execution == req.Execution {
		s.Lock = &deploy.LockInfo{Holder: item.execution, Progress: item.progress, Plan: item.plan, TakenOver: true}
		if item.progress.Free() {
			return s, nil // a retry of this operation after it took the lock
		}
		return s, h.takeFence(ctx, req.Execution, &s)
	}
	status, err := h.statusOf(ctx, item.execution)
	if err != nil {
		return s, err
	}
	reconcile := s.Input.Action == deploy.ActionReconcile
	if reconcile && item.execution != s.Input.Execution {
		// A reconcile acts only for the run the lock names: this one holds nothing (it finished, or another run
		// took the lock since). The lock is left to its holder.
		reason := fmt.Sprintf("the lock of app %s is held by %s (%s), not by %s", app, item.execution, orGone(status), s.Input.Execution)
		if !running(status) {
			reason += ": reconcile that execution"
		}
		s.Lock = &deploy.LockInfo{Holder: item.execution, Status: status, Progress: item.progress}
		s.Reconcile = &deploy.Reconcile{Execution: s.Input.Execution, Skip: reason, Foreign: true}
		s.Finish(deploy.ResultReconciled)
		s.Notice = s.Describe("nothing to reconcile: " + reason)
		log.Info("reconcile: the lock is another run's", "holder", item.execution, "holderStatus", orGone(status))
		return s, nil
	}
	if running(status) {
		return s, &deploy.LockHeldError{App: app, Holder: item.execution}
	}
	if !reconcile && !item.progress.Free() {
		return s, &deploy.ReconcileRequiredError{App: app, Holder: item.execution, Status: orGone(status), Progress: item.progress}
	}
	update := "SET execution = :me, takenOverFrom = :old, #action = :action, startedAt = :now"
	if !reconcile {
		// A fresh start: the old run's plan and progress mean nothing to this one.
		update += ", progress = :locked REMOVE #plan, step, approvalToken, approvalStep, approvalVerdict, approvalRequestedAt"
	}
	values := map[string]ddbtypes.AttributeValue{
		":me":     &ddbtypes.AttributeValueMemberS{Value: req.Execution},
		":old":    &ddbtypes.AttributeValueMemberS{Value: item.execution},
		":action": &ddbtypes.AttributeValueMemberS{Value: string(s.Input.Action)},
		":now":    &ddbtypes.AttributeValueMemberS{Value: h.d.Now().UTC().Format("2006-01-02T15:04:05Z")},
	}
	names := map[string]string{"#action": "action"}
	if !reconcile {
		values[":locked"] = &ddbtypes.AttributeValueMemberS{Value: string(deploy.ProgressLocked)}
		names["#plan"] = "plan"
	}
	_, err = h.d.Locks.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(h.d.LockTable),
		Key:                       key,
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("execution = :old"),
		ExpressionAttributeValues: values,
		ExpressionAttributeNames:  names,
	})
	var lost *ddbtypes.ConditionalCheckFailedException
	if errors.As(err, &lost) {
		return s, &deploy.RetryableError{Op: "lock", Err: fmt.Errorf("the lock of app %s changed hands while taking it over from %s", app, item.execution)}
	}
	if err != nil {
		return s, fmt.Errorf("take over the lock of app %s from %s: %w", app, item.execution, err)
	}
	s.Lock = &deploy.LockInfo{Holder: item.execution, Status: status, Progress: item.progress, Plan: item.plan, TakenOver: true}
	if !item.progress.Free() {
		// The stopped run may have a record change on its way to Route 53 (it got past "planned").
		if err := h.takeFence(ctx, req.Execution, &s); err != nil {
			return s, err
		}
	}
	log.Warn("lock taken over", "holder", item.execution, "holderStatus", orGone(status), "progress", item.progress)
	return s, nil
}

// takeFence claims the app's DNS fence right after this run took the lock over from a stopped one that had got past
// "planned" (so it may have a record change on its way to Route 53): from then on that batch is refused (see
// records.Fence). A run stopped earlier had written no record and had none under way.
func (h *Handler) takeFence(ctx context.Context, execution string, s *deploy.State) error {
	r, err := h.writers.Open(ctx, execution, s)
	if err != nil {
		return err
	}
	return r.TakeFence(ctx)
}

// putLock takes a free lock, as the state machine's Lock state does.
func (h *Handler) putLock(ctx context.Context, s *deploy.State, execution string) error {
	_, err := h.d.Locks.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(h.d.LockTable),
		Item: map[string]ddbtypes.AttributeValue{
			"app":       &ddbtypes.AttributeValueMemberS{Value: s.App.Name},
			"execution": &ddbtypes.AttributeValueMemberS{Value: execution},
			"progress":  &ddbtypes.AttributeValueMemberS{Value: string(deploy.ProgressLocked)},
			"action":    &ddbtypes.AttributeValueMemberS{Value: string(s.Input.Action)},
			"startedAt": &ddbtypes.AttributeValueMemberS{Value: h.d.Now().UTC().Format("2006-01-02T15:04:05Z")},
		},
		ConditionExpression: aws.String("attribute_not_exists(app)"),
	})
	var taken *ddbtypes.ConditionalCheckFailedException
	if errors.As(err, &taken) {
		return &deploy.RetryableError{Op: "lock", Err: fmt.Errorf("the lock of app %s was taken again", s.App.Name)}
	}
	if err != nil {
		return fmt.Errorf("lock app %s: %w", s.App.Name, err)
	}
	return nil
}

// statusOf returns an execution's status, or "" when it no longer exists.
func (h *Handler) statusOf(ctx context.Context, arn string) (string, error) {
	out, err := h.d.Executions.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	var missing *sfntypes.ExecutionDoesNotExist
	if errors.As(err, &missing) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("describe lock holder %s: %w", arn, err)
	}
	return string(out.Status), nil
}

// running reports whether an execution status holds the lock: running, or failed but redrivable.
func running(status string) bool {
	return status == string(sfntypes.ExecutionStatusRunning) || status == string(sfntypes.ExecutionStatusPendingRedrive)
}

func orGone(status string) string {
	if status == "" {
		return "gone"
	}
	return status
}

// heldLock is a lock item's attributes.
type heldLock struct {
	execution string
	progress  deploy.Progress
	plan      string
}

func lockItem(item map[string]ddbtypes.AttributeValue) heldLock {
	str := func(k string) string {
		if v, ok := item[k].(*ddbtypes.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	return heldLock{execution: str("execution"), progress: deploy.Progress(str("progress")), plan: str("plan")}
}
