package operator

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// HistoryPages is how many pages of ListExecutions History reads at most: the state machine's executions, every
// app's, newest first, historyListPage a page. It bounds what a history costs however many runs the deployer has made.
const HistoryPages = 3

const historyListPage = 100

// Run is one of an app's executions, as History lists it.
type Run struct {
	Result
	// Outcome says in a word or two how it ended (see Outcome).
	Outcome string
	// Reason says why: the failure and its cause, or the warnings of a success.
	Reason string
}

// History returns the app's last n executions, newest first. It lists the state machine's executions (at most
// HistoryPages pages), keeps those whose names begin with the app's name and a hyphen (ExecutionName; app names
// have no hyphen, so no app's prefix is another's), and describes each one it returns: one DescribeExecution a row.
// Complete is false when older executions were left unsearched with fewer than n found.
func (o *Operator) History(ctx context.Context, app string, n int) (runs []Run, complete bool, err error) {
	prefix := app + "-"
	var arns []string
	p := sfn.NewListExecutionsPaginator(o.SFN, &sfn.ListExecutionsInput{StateMachineArn: aws.String(o.StateMachine), MaxResults: historyListPage})
	for pages := 0; p.HasMorePages() && len(arns) < n; pages++ {
		if pages == HistoryPages {
			return o.describeRuns(ctx, arns, false)
		}
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("list the executions of %s: %w", o.StateMachine, err)
		}
		for _, e := range page.Executions {
			if strings.HasPrefix(aws.ToString(e.Name), prefix) && len(arns) < n {
				arns = append(arns, aws.ToString(e.ExecutionArn))
			}
		}
	}
	return o.describeRuns(ctx, arns, true)
}

func (o *Operator) describeRuns(ctx context.Context, arns []string, complete bool) ([]Run, bool, error) {
	runs := make([]Run, 0, len(arns))
	for _, arn := range arns {
		r, err := o.Execution(ctx, arn)
		if err != nil {
			return nil, false, err
		}
		runs = append(runs, Run{Result: r, Outcome: Outcome(r), Reason: Reason(r)})
	}
	return runs, complete, nil
}

// The outcomes an execution ends with (Outcome).
const (
	OutcomeRunning        = "running"
	OutcomeDeployed       = "deployed"
	OutcomeRolledBack     = "rolled back"
	OutcomeReconciled     = "reconciled"
	OutcomeRepaired       = "repaired"
	OutcomeSucceeded      = "succeeded"
	OutcomeRollbackFailed = "ROLLBACK FAILED"
	OutcomeLocked         = "locked"
	OutcomeInvalid        = "invalid"
	OutcomeFailed         = "failed"
	OutcomeStopped        = "stopped"
	OutcomeTimedOut       = "timed out"
)

// Outcome says in a word or two how an execution ended, from what DescribeExecution says of it: a success's result
// (deployed, rolled back, reconciled, repaired); a failure rolled back (its cause says so: deploy.RollbackCause), a
// rollback that failed, a refusal because the app is locked or the input invalid, any other failure; stopped; timed
// out; still running.
func Outcome(r Result) string {
	switch r.Status {
	case "RUNNING":
		return OutcomeRunning
	case "SUCCEEDED":
		if r.Output == nil {
			return OutcomeSucceeded
		}
		switch r.Output.Result {
		case deploy.ResultDeployed:
			return OutcomeDeployed
		case deploy.ResultRolledBack:
			return OutcomeRolledBack
		case deploy.ResultReconciled:
			return OutcomeReconciled
		case deploy.ResultRepaired:
			return OutcomeRepaired
		}
		return OutcomeSucceeded
	case "ABORTED":
		return OutcomeStopped
	case "TIMED_OUT":
		return OutcomeTimedOut
	}
	switch {
	case deploy.IsRollbackCause(r.Cause):
		return OutcomeRolledBack
	case r.Error == "RollbackFailed":
		return OutcomeRollbackFailed
	case r.Error == nameOf(&deploy.LockHeldError{}) || r.Error == nameOf(&deploy.ReconcileRequiredError{}):
		return OutcomeLocked
	case r.Error == nameOf(&deploy.ValidationError{}):
		return OutcomeInvalid
	}
	return OutcomeFailed
}

// Reason says why an execution ended as it did, on one line: the failure and its cause (without a health check's
// evidence), or a success's warnings.
func Reason(r Result) string {
	if r.Error != "" {
		return r.Error + ": " + deploy.Summary(r.Cause)
	}
	if r.Output != nil && len(r.Output.Warnings) > 0 {
		return fmt.Sprintf("%d warning(s): %s", len(r.Output.Warnings), deploy.CauseMessage(strings.Join(r.Output.Warnings, "; ")))
	}
	return ""
}

// nameOf is the name the state machine sees for one of package deploy's errors: its type's, as the Lambda runtime
// reports it.
func nameOf(err error) string {
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
