package createstack_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/bluegreen-aws/bluegreen/internal/stacks"
)

// params is SSM Parameter Store: GetParameter of a missing name is ParameterNotFound.
type params map[string]string

func (p params) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	v, ok := p[aws.ToString(in.Name)]
	if !ok {
		return nil, &ssmtypes.ParameterNotFound{Message: aws.String("Parameter " + aws.ToString(in.Name) + " not found.")}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(v)}}, nil
}

// execution is one Step Functions execution.
type execution struct {
	status sfntypes.ExecutionStatus
	input  string
}

// executions is Step Functions: DescribeExecution of an unknown ARN is ExecutionDoesNotExist.
type executions map[string]execution

func (e executions) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	x, ok := e[aws.ToString(in.ExecutionArn)]
	if !ok {
		return nil, &sfntypes.ExecutionDoesNotExist{Message: aws.String("Execution Does Not Exist: '" + aws.ToString(in.ExecutionArn) + "'")}
	}
	return &sfn.DescribeExecutionOutput{ExecutionArn: in.ExecutionArn, Status: x.status, Input: aws.String(x.input)}, nil
}

// StartExecution starts an execution RUNNING, as Step Functions starts a standard one: a name is an execution's for
// good — a second start with the same name and input while it runs answers with the same ARN, anything else is
// ExecutionAlreadyExists ("StartExecution", Step Functions API Reference).
func (e executions) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	arn := strings.Replace(aws.ToString(in.StateMachineArn), ":stateMachine:", ":execution:", 1) + ":" + aws.ToString(in.Name)
	if x, ok := e[arn]; ok {
		if x.status == sfntypes.ExecutionStatusRunning && x.input == aws.ToString(in.Input) {
			return &sfn.StartExecutionOutput{ExecutionArn: aws.String(arn)}, nil
		}
		return nil, &sfntypes.ExecutionAlreadyExists{Message: aws.String("Execution Already Exists: '" + arn + "'")}
	}
	e[arn] = execution{status: sfntypes.ExecutionStatusRunning, input: aws.ToString(in.Input)}
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String(arn)}, nil
}

type item = map[string]ddbtypes.AttributeValue

// fakeStack is one CloudFormation stack.
type fakeStack struct {
	id, status, reason, execution string
	version                       string           // the version tag
	endpoint                      *stacks.Endpoint // nil: the endpoint output is missing
	created                       time.Time
}

// stackFake is the stack manager over an in-memory CloudFormation.
type stackFake struct {
	stacks    map[string]*fakeStack
	specs     []stacks.Spec
	deleted   []string
	deleteErr map[string]error
	seq       int
}

func newStacks() *stackFake {
	return &stackFake{stacks: map[string]*fakeStack{}, deleteErr: map[string]error{}}
}

// add puts a complete stack of app demoapp in place, with a load balancer endpoint.
func (f *stackFake) add(id, status string) *fakeStack {
	f.seq++
	s := &fakeStack{id: "arn:aws:cloudformation:us-east-1:123456789012:stack/demoapp-" + id + "/" + id, status: status,
		endpoint: &stacks.Endpoint{DNSName: lbName(id), LoadBalancer: true, HostedZoneID: lbZoneID, TargetGroups: []string{"arn:tg/" + id}},
		created:  time.Date(2026, 11, 1, 0, 0, f.seq, 0, time.UTC)}
	f.stacks["demoapp-"+id] = s
	return s
}

func (f *stackFake) find(ref string) (string, *fakeStack) {
	for name, s := range f.stacks {
		if name == ref || s.id == ref {
			return name, s
		}
	}
	return "", nil
}

func (f *stackFake) Create(_ context.Context, s stacks.Spec) (string, error) {
	if err := s.Validate(); err != nil {
		return "", fmt.Errorf("create stack %s: %w", s.Name, err)
	}
	f.specs = append(f.specs, s)
	if st, ok := f.stacks[s.Name]; ok && st.status != "DELETE_COMPLETE" {
		if st.execution == s.Execution {
			return st.id, nil
		}
		return "", &stacks.ExistsError{Stack: s.Name, ID: st.id, Execution: st.execution}
	}
	st := f.add(s.StackID, "CREATE_IN_PROGRESS")
	st.execution = s.Execution
	return st.id, nil
}

func (f *stackFake) Status(_ context.Context, ref string) (stacks.Status, error) {
	name, s := f.find(ref)
	if s == nil {
		return stacks.Status{Name: ref, Phase: stacks.PhaseMissing}, nil
	}
	return stacks.Status{Name: name, ID: s.id, Phase: stacks.PhaseOf(s.status), StackStatus: s.status, Reason: s.reason}, nil
}

func (f *stackFake) Endpoint(_ context.Context, name, output, _ string) (stacks.Endpoint, error) {
	_, s := f.find(name)
	switch {
	case s == nil || s.status == "DELETE_COMPLETE":
		return stacks.Endpoint{}, &stacks.NotFoundError{Stack: name}
	case stacks.PhaseOf(s.status) != stacks.PhaseComplete:
		return stacks.Endpoint{}, &stacks.NotCompleteError{Stack: name, Status: s.status}
	case s.endpoint == nil:
		return stacks.Endpoint{}, &stacks.MissingOutputError{Stack: name, Output: output}
	}
	return *s.endpoint, nil
}

func (f *stackFake) Delete(_ context.Context, name string) error {
	if err := f.deleteErr[name]; err != nil {
		return err
	}
	if s, ok := f.stacks[name]; ok && s.status != "DELETE_COMPLETE" {
		s.status = "DELETE_COMPLETE"
		f.deleted = append(f.deleted, name)
	}
	return nil
}

func (f *stackFake) List(_ context.Context, app string) ([]stacks.Summary, error) {
	var out []stacks.Summary
	for name, s := range f.stacks {
		id, ok := strings.CutPrefix(name, app+"-")
		if !ok || s.status == "DELETE_COMPLETE" {
			continue
		}
		out = append(out, stacks.Summary{Name: name, StackID: id, ARN: s.id, Status: s.status, Phase: stacks.PhaseOf(s.status), Execution: s.execution, Version: s.version, Created: s.created})
	}
	slices.SortFunc(out, func(a, b stacks.Summary) int { return a.Created.Compare(b.Created) })
	return out, nil
}
