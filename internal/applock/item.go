package applock

import (
	"strconv"
	"time"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// The lock item: one item per app in the lock table, keyed by the app's name. This package owns its schema: the
// state machine's DynamoDB tasks take their attribute names and expressions from here (the statemachine builder),
// and every Go read and write goes through Table.
const (
	// AttrApp is the key: the app's name.
	AttrApp = "app"
	// AttrExecution is the ARN of the execution holding the lock.
	AttrExecution = "execution"
	// AttrProgress is how far the holder got (a deploy.Progress).
	AttrProgress = "progress"
	// AttrAction is the holder's action (deploy, rollback, reconcile, repair). "action" is a DynamoDB reserved
	// word: expressions name it through an attribute name placeholder.
	AttrAction = "action"
	// AttrStartedAt is when the holder started under the lock (its plan, or its takeover); AttrUpdatedAt when a
	// Lambda last recorded the holder's progress. Both are TimeLayout, written by Go only: the state machine has no
	// clock of fixed width ($$.State.EnteredTime is "ISO 8601" of varying precision).
	AttrStartedAt = "startedAt"
	AttrUpdatedAt = "updatedAt"
	// AttrTakenOverFrom is the execution whose lock the holder took over.
	AttrTakenOverFrom = "takenOverFrom"
	// AttrPlan is the holder's plan (deploy.Plan, encoded). "plan" is a DynamoDB reserved word.
	AttrPlan = "plan"
	// AttrStep is the weight step (percent) the holder shifted to last.
	AttrStep = "step"
	// The approval gate waiting for an operator: its task token, step, verdict and when it was asked.
	AttrApprovalToken       = "approvalToken"
	AttrApprovalStep        = "approvalStep"
	AttrApprovalVerdict     = "approvalVerdict"
	AttrApprovalRequestedAt = "approvalRequestedAt"
)

// TimeLayout is the one format of the lock item's timestamps: UTC, milliseconds always written, so that it has a
// fixed width and strings compare as times (RFC3339Nano trims trailing zeros and would not).
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime writes t in TimeLayout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime reads a lock item's timestamp: TimeLayout, and the formats earlier versions wrote — Go's
// "2006-01-02T15:04:05Z" and the state machine's $$.State.EnteredTime (ISO 8601 with fractional seconds, "Z" on
// AWS, "+00:00" in moto).
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(TimeLayout, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// Item is an app's lock item.
type Item struct {
	App       string
	Execution string
	Progress  deploy.Progress
	Action    deploy.Action
	// StartedAt and UpdatedAt are zero when absent (or written in no format ParseTime reads: the timestamps inform,
	// they never decide who holds the lock).
	StartedAt, UpdatedAt time.Time
	TakenOverFrom        string
	Plan                 string
	// Step is the last weight step's percent; 0 before the first.
	Step int
	// Approval is the gate waiting for an operator; nil when none.
	Approval *Gate
}

// Gate is an approval gate waiting for an operator's decision. The token is a capability: it is stored here, under
// the lock table's access control, never logged or published.
type Gate struct {
	Token       string
	Step        int
	Verdict     string
	RequestedAt time.Time
}

// Decode reads a lock item as DynamoDB returns it.
func Decode(av map[string]ddbtypes.AttributeValue) Item {
	str := func(k string) string {
		switch v := av[k].(type) {
		case *ddbtypes.AttributeValueMemberS:
			return v.Value
		case *ddbtypes.AttributeValueMemberN:
			return v.Value
		}
		return ""
	}
	num := func(k string) int {
		n, _ := strconv.Atoi(str(k))
		return n
	}
	at := func(k string) time.Time {
		t, _ := ParseTime(str(k))
		return t
	}
	it := Item{
		App: str(AttrApp), Execution: str(AttrExecution), Progress: deploy.Progress(str(AttrProgress)),
		Action: deploy.Action(str(AttrAction)), StartedAt: at(AttrStartedAt), UpdatedAt: at(AttrUpdatedAt),
		TakenOverFrom: str(AttrTakenOverFrom), Plan: str(AttrPlan), Step: num(AttrStep),
	}
	if tok := str(AttrApprovalToken); tok != "" {
		it.Approval = &Gate{Token: tok, Step: num(AttrApprovalStep), Verdict: str(AttrApprovalVerdict), RequestedAt: at(AttrApprovalRequestedAt)}
	}
	return it
}
