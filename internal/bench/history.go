package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// historyAPI lists the Step Functions calls that read an execution.
type historyAPI interface {
	sfn.GetExecutionHistoryAPIClient
	DescribeExecution(ctx context.Context, params *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
}

var _ historyAPI = (*sfn.Client)(nil)

// execution is what the bench reads of an ended execution.
type execution struct {
	path []Entered
	wall time.Duration
}

// readExecution reads an ended execution's states entered (as internal/operator's Path does, with their times) and
// its wall time, from its start date to its stop date.
func readExecution(ctx context.Context, api historyAPI, arn string) (execution, error) {
	d, err := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		return execution{}, fmt.Errorf("describe %s: %w", arn, err)
	}
	if d.StartDate == nil || d.StopDate == nil {
		return execution{}, fmt.Errorf("execution %s has no start or stop date (status %s)", arn, d.Status)
	}
	ex := execution{wall: d.StopDate.Sub(*d.StartDate)}
	p := sfn.NewGetExecutionHistoryPaginator(api, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return execution{}, fmt.Errorf("history of %s: %w", arn, err)
		}
		for _, e := range page.Events {
			if e.StateEnteredEventDetails != nil {
				ex.path = append(ex.path, Entered{Name: aws.ToString(e.StateEnteredEventDetails.Name), Time: aws.ToTime(e.Timestamp)})
			}
		}
	}
	return ex, nil
}
