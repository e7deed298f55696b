// Package applock owns an app's lock item: who holds the lock, how far the holder got, its plan and its approval
// gate. Stopping an execution does not stop a Lambda invocation already under way, so every write made for a run is
// conditional on that run still holding the lock, and Held lets an operation check before it writes.
package applock

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// API is the part of DynamoDB's API the lock table needs (Scan through the SDK's paginator).
type API interface {
	dynamodb.ScanAPIClient
	GetItem(ctx context.Context, params *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, params *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, params *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// ErrTaken says a free lock was taken by another run first; ErrChanged that a lock changed hands during a takeover.
var (
	ErrTaken   = errors.New("the lock was taken by another run")
	ErrChanged = errors.New("the lock changed hands")
)

// Table is the lock table.
type Table struct {
	api  API
	name string
	now  func() time.Time
}

// New returns the lock table name, read and written through api.
func New(api API, name string) *Table { return &Table{api: api, name: name, now: time.Now} }

// WithClock makes the table stamp its writes with now.
func (t *Table) WithClock(now func() time.Time) *Table {
	t.now = now
	return t
}

func (t *Table) key(app string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{AttrApp: s(app)}
}

func s(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }

func (t *Table) stamp() ddbtypes.AttributeValue { return s(FormatTime(t.now())) }

// Get reads an app's lock item (strongly consistent); nil when the app is not locked.
func (t *Table) Get(ctx context.Context, app string) (*Item, error) {
	out, err := t.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.name), Key: t.key(app), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read the lock of app %s: %w", app, err)
	}
	if out.Item == nil {
		return nil, nil
	}
	it := Decode(out.Item)
	return &it, nil
}

// listProjection is what List reads of each lock item: not the plan, which can be large.
var listProjection = strings.Join([]string{AttrApp, AttrExecution, AttrProgress, nameAction, AttrStartedAt, AttrUpdatedAt, AttrTakenOverFrom}, ", ")

// List reads every app's lock item — who holds it, for what, how far it got, since when; not the plan or the
// approval gate — with a strongly consistent Scan, page after page. Items come in no particular order.
func (t *Table) List(ctx context.Context) ([]Item, error) {
	p := dynamodb.NewScanPaginator(t.api, &dynamodb.ScanInput{
		TableName:                aws.String(t.name),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String(listProjection),
		ExpressionAttributeNames: map[string]string{nameAction: AttrAction},
	})
	var out []Item
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the locks (table %s): %w", t.name, err)
		}
		for _, av := range page.Items {
			out = append(out, Decode(av))
		}
	}
	return out, nil
}

// Held returns nil when execution holds app's lock, and a LockLostError otherwise. The read is strongly consistent.
func (t *Table) Held(ctx context.Context, app, execution string) error {
	out, err := t.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:            aws.String(t.name),
		Key:                  t.key(app),
		ConsistentRead:       aws.Bool(true),
		ProjectionExpression: aws.String(AttrExecution),
	})
	if err != nil {
		return fmt.Errorf("read the lock of app %s: %w", app, err)
	}
	if holder := Decode(out.Item).Execution; holder != execution {
		return &deploy.LockLostError{App: app, Execution: execution, Holder: holder}
	}
	return nil
}

// Take takes app's lock while it is free, as the state machine's Lock state does; ErrTaken when another run took it
// first.
func (t *Table) Take(ctx context.Context, app, execution string, action deploy.Action) error {
	now := t.stamp()
	_, err := t.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.name),
		Item: map[string]ddbtypes.AttributeValue{
			AttrApp: s(app), AttrExecution: s(execution), AttrProgress: s(string(deploy.ProgressLocked)),
			AttrAction: s(string(action)), AttrStartedAt: now, AttrUpdatedAt: now,
		},
		ConditionExpression: aws.String(ConditionFree),
	})
	if failed(err) {
		return fmt.Errorf("lock app %s: %w", app, ErrTaken)
	}
	if err != nil {
		return fmt.Errorf("lock app %s: %w", app, err)
	}
	return nil
}

// Takeover is a run taking over the lock of one that stopped.
type Takeover struct {
	// From is the stopped run the lock names; Execution and Action the run taking it.
	From, Execution string
	Action          deploy.Action
	// Fresh starts anew: the stopped run's progress, plan, step and approval gate are dropped (a reconcile keeps
	// them: they are what it acts on).
	Fresh bool
}

// TakeOver hands app's lock from a stopped run to another, conditional on the lock still naming the stopped run;
// ErrChanged when it no longer does.
func (t *Table) TakeOver(ctx context.Context, app string, o Takeover) error {
	set := []string{
		AttrExecution + " = :me", AttrTakenOverFrom + " = :old", nameAction + " = :action",
		AttrStartedAt + " = :now", AttrUpdatedAt + " = :now",
	}
	values := map[string]ddbtypes.AttributeValue{
		":me": s(o.Execution), ":old": s(o.From), ":action": s(string(o.Action)), ":now": t.stamp(),
	}
	names := map[string]string{nameAction: AttrAction}
	var remove []string
	if o.Fresh {
		set = append(set, AttrProgress+" = "+ProgressValue)
		values[ProgressValue] = s(string(deploy.ProgressLocked))
		remove = []string{namePlan, AttrStep, AttrApprovalToken, AttrApprovalStep, AttrApprovalVerdict, AttrApprovalRequestedAt}
		names[namePlan] = AttrPlan
	}
	_, err := t.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.name),
		Key:                       t.key(app),
		UpdateExpression:          aws.String(update(set, remove)),
		ConditionExpression:       aws.String(AttrExecution + " = :old"),
		ExpressionAttributeValues: values,
		ExpressionAttributeNames:  names,
	})
	if failed(err) {
		return fmt.Errorf("take over the lock of app %s from %s: %w", app, o.From, ErrChanged)
	}
	if err != nil {
		return fmt.Errorf("take over the lock of app %s from %s: %w", app, o.From, err)
	}
	return nil
}

// Mark is progress a Lambda records for the run holding the lock, in the same invocation as the change it made.
// Zero fields are left as they are.
type Mark struct {
	Progress deploy.Progress
	// Plan is the run's plan, encoded.
	Plan string
	// Step is the weight step's percent.
	Step int
	// Start stamps startedAt unless the lock already has it (a takeover stamps it; the state machine's Lock put,
	// without a clock of fixed width, does not).
	Start bool
}

// Record writes m for execution, conditional on it holding app's lock (a LockLostError otherwise), and stamps
// updatedAt.
func (t *Table) Record(ctx context.Context, app, execution string, m Mark) error {
	set := []string{AttrUpdatedAt + " = :now"}
	values := map[string]ddbtypes.AttributeValue{HolderValue: s(execution), ":now": t.stamp()}
	var names map[string]string
	if m.Progress != "" {
		set = append(set, AttrProgress+" = "+ProgressValue)
		values[ProgressValue] = s(string(m.Progress))
	}
	if m.Plan != "" {
		set = append(set, namePlan+" = :plan")
		values[":plan"] = s(m.Plan)
		names = map[string]string{namePlan: AttrPlan}
	}
	if m.Step > 0 {
		set = append(set, AttrStep+" = :step")
		values[":step"] = &ddbtypes.AttributeValueMemberN{Value: strconv.Itoa(m.Step)}
	}
	if m.Start {
		set = append(set, AttrStartedAt+" = if_not_exists("+AttrStartedAt+", :now)")
	}
	return t.held(ctx, app, execution, "record progress "+string(m.Progress), update(set, nil), values, names)
}

// AskApproval records the approval gate execution waits at, conditional on it holding app's lock (a LockLostError
// otherwise).
func (t *Table) AskApproval(ctx context.Context, app, execution string, g Gate) error {
	requested := g.RequestedAt
	if requested.IsZero() {
		requested = t.now()
	}
	set := []string{
		AttrApprovalToken + " = :token", AttrApprovalStep + " = :step", AttrApprovalVerdict + " = :verdict",
		AttrApprovalRequestedAt + " = :at",
	}
	values := map[string]ddbtypes.AttributeValue{
		HolderValue: s(execution), ":token": s(g.Token), ":step": &ddbtypes.AttributeValueMemberN{Value: strconv.Itoa(g.Step)},
		":verdict": s(g.Verdict), ":at": s(FormatTime(requested)),
	}
	return t.held(ctx, app, execution, fmt.Sprintf("record the approval gate at %d%%", g.Step), update(set, nil), values, nil)
}

// held makes an update of app's lock item conditional on execution holding the lock.
func (t *Table) held(ctx context.Context, app, execution, what, expr string, values map[string]ddbtypes.AttributeValue, names map[string]string) error {
	_, err := t.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.name),
		Key:                       t.key(app),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String(ConditionHeld),
		ExpressionAttributeValues: values,
		ExpressionAttributeNames:  names,
		// On a failed condition, DynamoDB returns the item as it is: the error can name the holder.
		ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var lost *ddbtypes.ConditionalCheckFailedException
	if errors.As(err, &lost) {
		return &deploy.LockLostError{App: app, Execution: execution, Holder: Decode(lost.Item).Execution}
	}
	if err != nil {
		return fmt.Errorf("%s in the lock of app %s (table %s): %w", what, app, t.name, err)
	}
	return nil
}

// failed reports whether err is a failed condition.
func failed(err error) bool {
	var c *ddbtypes.ConditionalCheckFailedException
	return errors.As(err, &c)
}
