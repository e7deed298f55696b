package stacks

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

// fakeCFN is an in-memory CloudFormation that answers as the service does: AlreadyExistsException for a live stack's
// name (unless the request token is the one that created it), ValidationError "Stack with id X does not exist" for
// a missing stack, deleted stacks found by ARN only and listed by ListStacks, events newest first, and small pages.
type fakeCFN struct {
	mu     sync.Mutex
	stacks []*fakeStack // every stack ever created, deleted ones too, oldest first
	seq    int
	clock  time.Time
	calls  map[string]int

	// pageSize is the page size of ListStacks, DescribeStacks (without a name) and DescribeStackEvents.
	pageSize int
	// createStatus is the status a new stack starts in (CREATE_COMPLETE when empty, as moto does).
	createStatus types.StackStatus
	// deleteStatus is the status DeleteStack leaves (DELETE_COMPLETE when empty).
	deleteStatus types.StackStatus
	// ignoreTokens makes a repeated CreateStack fail with AlreadyExistsException whatever its token, as moto does.
	ignoreTokens bool
	// errs, keyed by operation, is returned (once) instead of the operation's answer.
	errs map[string]error
	// created records every accepted CreateStackInput; deleted the StackName of every DeleteStack call.
	created []*cloudformation.CreateStackInput
	deleted []string
}

type fakeStack struct {
	stack  types.Stack
	token  string
	events []types.StackEvent // oldest first
}

var _ cfnAPI = (*fakeCFN)(nil)

func newFakeCFN() *fakeCFN {
	return &fakeCFN{clock: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), calls: map[string]int{}, pageSize: 2, errs: map[string]error{}}
}

func cfnError(op string, err error) error {
	return &smithy.OperationError{ServiceID: "CloudFormation", OperationName: op, Err: err}
}

func notExist(name string) error {
	return &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id " + name + " does not exist", Fault: smithy.FaultClient}
}

func validation(format string, args ...any) error {
	return &smithy.GenericAPIError{Code: "ValidationError", Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}

// begin counts the call and returns the error injected for op, if any. The caller holds f.mu.
func (f *fakeCFN) begin(op string) error {
	f.calls[op]++
	if err, ok := f.errs[op]; ok {
		delete(f.errs, op)
		return cfnError(op, err)
	}
	return nil
}

func (f *fakeCFN) now() *time.Time {
	f.clock = f.clock.Add(time.Second)
	t := f.clock
	return &t
}

// find returns the live stack named name or any stack whose ARN is name, as DescribeStacks looks them up.
func (f *fakeCFN) find(name string) *fakeStack {
	for _, s := range f.stacks {
		if aws.ToString(s.stack.StackId) == name {
			return s
		}
	}
	for _, s := range f.stacks {
		if aws.ToString(s.stack.StackName) == name && s.stack.StackStatus != types.StackStatusDeleteComplete {
			return s
		}
	}
	return nil
}

var fakeNameRE = regexp.MustCompile(`^[A-Za-z][-A-Za-z0-9]{0,127}$`)

func (f *fakeCFN) CreateStack(_ context.Context, in *cloudformation.CreateStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateStackOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin("CreateStack"); err != nil {
		return nil, err
	}
	name := aws.ToString(in.StackName)
	switch {
	case !fakeNameRE.MatchString(name):
		return nil, cfnError("CreateStack", validation("1 validation error detected: Value '%s' at 'stackName' failed to satisfy constraint", name))
	case (in.TemplateBody == nil) == (in.TemplateURL == nil):
		return nil, cfnError("CreateStack", validation("Exactly one of TemplateBody or TemplateUrl must be specified"))
	}
	if s := f.find(name); s != nil {
		if !f.ignoreTokens && in.ClientRequestToken != nil && aws.ToString(in.ClientRequestToken) == s.token {
			return &cloudformation.CreateStackOutput{StackId: s.stack.StackId}, nil
		}
		return nil, cfnError("CreateStack", &types.AlreadyExistsException{Message: aws.String("Stack [" + name + "] already exists")})
	}
	f.seq++
	status := f.createStatus
	if status == "" {
		status = types.StackStatusCreateComplete
	}
	s := &fakeStack{
		stack: types.Stack{
			StackId:      aws.String(fmt.Sprintf("arn:aws:cloudformation:us-east-1:123456789012:stack/%s/%08d-0000-0000-0000-000000000000", name, f.seq)),
			StackName:    aws.String(name),
			StackStatus:  status,
			CreationTime: f.now(),
			Tags:         slices.Clone(in.Tags),
			Parameters:   slices.Clone(in.Parameters),
			Capabilities: slices.Clone(in.Capabilities),
			RoleARN:      in.RoleARN,
		},
		token: aws.ToString(in.ClientRequestToken),
	}
	f.stacks = append(f.stacks, s)
	f.created = append(f.created, in)
	f.addEvent(s, name, "AWS::CloudFormation::Stack", aws.ToString(s.stack.StackId), types.ResourceStatusCreateInProgress, "User Initiated")
	return &cloudformation.CreateStackOutput{StackId: s.stack.StackId}, nil
}

func (f *fakeCFN) addEvent(s *fakeStack, logical, typ, physical string, status types.ResourceStatus, reason string) {
	f.seq++
	s.events = append(s.events, types.StackEvent{
		EventId:              aws.String(strconv.Itoa(f.seq)),
		StackId:              s.stack.StackId,
		StackName:            s.stack.StackName,
		LogicalResourceId:    aws.String(logical),
		ResourceType:         aws.String(typ),
		PhysicalResourceId:   aws.String(physical),
		ResourceStatus:       status,
		ResourceStatusReason: aws.String(reason),
		ClientRequestToken:   aws.String(s.token),
		Timestamp:            f.now(),
	})
}

func (f *fakeCFN) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin("DescribeStacks"); err != nil {
		return nil, err
	}
	if in.StackName != nil {
		s := f.find(*in.StackName)
		if s == nil {
			return nil, cfnError("DescribeStacks", notExist(*in.StackName))
		}
		return &cloudformation.DescribeStacksOutput{Stacks: []types.Stack{s.stack}}, nil
	}
	var live []types.Stack
	for _, s := range f.stacks {
		if s.stack.StackStatus != types.StackStatusDeleteComplete {
			live = append(live, s.stack)
		}
	}
	page, next, err := paginate(live, in.NextToken, f.pageSize)
	if err != nil {
		return nil, cfnError("DescribeStacks", err)
	}
	return &cloudformation.DescribeStacksOutput{Stacks: page, NextToken: next}, nil
}

func (f *fakeCFN) DescribeStackEvents(_ context.Context, in *cloudformation.DescribeStackEventsInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin("DescribeStackEvents"); err != nil {
		return nil, err
	}
	s := f.find(aws.ToString(in.StackName))
	if s == nil {
		return nil, cfnError("DescribeStackEvents", notExist(aws.ToString(in.StackName)))
	}
	newest := slices.Clone(s.events)
	slices.Reverse(newest)
	page, next, err := paginate(newest, in.NextToken, f.pageSize)
	if err != nil {
		return nil, cfnError("DescribeStackEvents", err)
	}
	return &cloudformation.DescribeStackEventsOutput{StackEvents: page, NextToken: next}, nil
}

func (f *fakeCFN) ListStacks(_ context.Context, in *cloudformation.ListStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStacksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin("ListStacks"); err != nil {
		return nil, err
	}
	var sums []types.StackSummary
	for _, s := range f.stacks {
		if len(in.StackStatusFilter) > 0 && !slices.Contains(in.StackStatusFilter, s.stack.StackStatus) {
			continue
		}
		sums = append(sums, types.StackSummary{
			StackId: s.stack.StackId, StackName: s.stack.StackName, StackStatus: s.stack.StackStatus,
			CreationTime: s.stack.CreationTime, DeletionTime: s.stack.DeletionTime,
		})
	}
	page, next, err := paginate(sums, in.NextToken, f.pageSize)
	if err != nil {
		return nil, cfnError("ListStacks", err)
	}
	return &cloudformation.ListStacksOutput{StackSummaries: page, NextToken: next}, nil
}

// DeleteStack succeeds for a stack that does not exist, as CloudFormation does.
func (f *fakeCFN) DeleteStack(_ context.Context, in *cloudformation.DeleteStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin("DeleteStack"); err != nil {
		return nil, err
	}
	f.deleted = append(f.deleted, aws.ToString(in.StackName))
	s := f.find(aws.ToString(in.StackName))
	if s == nil || s.stack.StackStatus == types.StackStatusDeleteComplete {
		return &cloudformation.DeleteStackOutput{}, nil
	}
	status := f.deleteStatus
	if status == "" {
		status = types.StackStatusDeleteComplete
	}
	s.stack.StackStatus = status
	if status == types.StackStatusDeleteComplete {
		s.stack.DeletionTime = f.now()
	}
	f.addEvent(s, aws.ToString(s.stack.StackName), "AWS::CloudFormation::Stack", aws.ToString(s.stack.StackId), types.ResourceStatus(status), "User Initiated")
	return &cloudformation.DeleteStackOutput{}, nil
}

// paginate returns the page of items starting at the index in token.
func paginate[T any](items []T, token *string, size int) ([]T, *string, error) {
	start := 0
	if token != nil {
		n, err := strconv.Atoi(*token)
		if err != nil || n < 0 || n > len(items) {
			return nil, nil, validation("Invalid NextToken %q", *token)
		}
		start = n
	}
	end := min(start+size, len(items))
	var next *string
	if end < len(items) {
		next = aws.String(strconv.Itoa(end))
	}
	return items[start:end], next, nil
}

// Test helpers, each as the service would show the change.

// stack returns the stack named (or with ARN) name, panicking when there is none: tests set up what they use.
func (f *fakeCFN) stack(name string) *fakeStack {
	s := f.find(name)
	if s == nil {
		panic("fake: no stack " + name)
	}
	return s
}

// seed adds a stack as if created by someone, with its tags and outputs.
func (f *fakeCFN) seed(name string, status types.StackStatus, tags, outputs map[string]string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	s := &fakeStack{stack: types.Stack{
		StackId:      aws.String(fmt.Sprintf("arn:aws:cloudformation:us-east-1:123456789012:stack/%s/%08d-0000-0000-0000-000000000000", name, f.seq)),
		StackName:    aws.String(name),
		StackStatus:  status,
		CreationTime: f.now(),
	}}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		s.stack.Tags = append(s.stack.Tags, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	for _, k := range slices.Sorted(maps.Keys(outputs)) {
		s.stack.Outputs = append(s.stack.Outputs, types.Output{OutputKey: aws.String(k), OutputValue: aws.String(outputs[k])})
	}
	if status == types.StackStatusDeleteComplete {
		s.stack.DeletionTime = f.now()
	}
	f.stacks = append(f.stacks, s)
	return aws.ToString(s.stack.StackId)
}

// setStatus moves a stack to status, with the stack's reason, and records the stack's event.
func (f *fakeCFN) setStatus(name string, status types.StackStatus, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stack(name)
	s.stack.StackStatus = status
	s.stack.StackStatusReason = aws.String(reason)
	f.addEvent(s, aws.ToString(s.stack.StackName), "AWS::CloudFormation::Stack", aws.ToString(s.stack.StackId), types.ResourceStatus(status), reason)
}

// resourceEvent records an event of one of the stack's resources.
func (f *fakeCFN) resourceEvent(name, logical, typ string, status types.ResourceStatus, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stack(name)
	f.addEvent(s, logical, typ, logical+"-physical", status, reason)
}

// failCreate plays a creation that fails the way CloudFormation reports it: the root cause, the resources
// cancelled because of it, then the stack's CREATE_FAILED with a summary reason (and, with rollback, ROLLBACK_*).
func (f *fakeCFN) failCreate(name, logical, typ, reason string, final types.StackStatus) {
	f.resourceEvent(name, "Cluster", "AWS::ECS::Cluster", types.ResourceStatusCreateComplete, "")
	f.resourceEvent(name, logical, typ, types.ResourceStatusCreateFailed, reason)
	f.resourceEvent(name, "LoadBalancer", "AWS::ElasticLoadBalancingV2::LoadBalancer", types.ResourceStatusCreateFailed, "Resource creation cancelled")
	summary := "The following resource(s) failed to create: [LoadBalancer, " + logical + "]."
	f.setStatus(name, types.StackStatusCreateFailed, summary)
	if final != types.StackStatusCreateFailed {
		f.setStatus(name, types.StackStatusRollbackInProgress, summary+" Rollback requested by user.")
		f.resourceEvent(name, "Cluster", "AWS::ECS::Cluster", types.ResourceStatusDeleteComplete, "")
		f.setStatus(name, final, "")
	}
}

// setOutputs replaces a stack's outputs.
func (f *fakeCFN) setOutputs(name string, outputs map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stack(name)
	s.stack.Outputs = nil
	for _, k := range slices.Sorted(maps.Keys(outputs)) {
		s.stack.Outputs = append(s.stack.Outputs, types.Output{OutputKey: aws.String(k), OutputValue: aws.String(outputs[k])})
	}
}

// fakeELB is an in-memory ELBv2 with small pages (one item by default, so every lookup crosses pages).
type fakeELB struct {
	lbs      []elbtypes.LoadBalancer
	tgs      []elbtypes.TargetGroup
	pageSize int
	calls    map[string]int
	// errs, keyed by operation, is returned (once) instead of the operation's answer.
	errs map[string]error
}

var _ elbAPI = (*fakeELB)(nil)

func newFakeELB() *fakeELB {
	return &fakeELB{pageSize: 1, calls: map[string]int{}, errs: map[string]error{}}
}

// begin counts the call and returns the error injected for op, if any.
func (e *fakeELB) begin(op string) error {
	e.calls[op]++
	if err, ok := e.errs[op]; ok {
		delete(e.errs, op)
		return elbError(op, err)
	}
	return nil
}

func elbError(op string, err error) error {
	return &smithy.OperationError{ServiceID: "Elastic Load Balancing v2", OperationName: op, Err: err}
}

// addLB adds a load balancer with target groups named tgs and returns its ARN.
func (e *fakeELB) addLB(name, dns, zone string, tgs ...string) string {
	arn := "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/" + name + "/50dc6c495c0c9188"
	e.lbs = append(e.lbs, elbtypes.LoadBalancer{
		LoadBalancerArn: aws.String(arn), LoadBalancerName: aws.String(name), DNSName: aws.String(dns),
		CanonicalHostedZoneId: aws.String(zone), Type: elbtypes.LoadBalancerTypeEnumApplication,
	})
	for _, tg := range tgs {
		e.tgs = append(e.tgs, elbtypes.TargetGroup{
			TargetGroupArn:   aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/" + tg + "/6d0ecf831eec9f09"),
			TargetGroupName:  aws.String(tg),
			LoadBalancerArns: []string{arn},
		})
	}
	return arn
}

func (e *fakeELB) DescribeLoadBalancers(_ context.Context, in *elasticloadbalancingv2.DescribeLoadBalancersInput, _ ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeLoadBalancersOutput, error) {
	if err := e.begin("DescribeLoadBalancers"); err != nil {
		return nil, err
	}
	size := e.pageSize
	if in.PageSize != nil {
		if *in.PageSize < 1 || *in.PageSize > 400 {
			return nil, elbError("DescribeLoadBalancers", validation("PageSize must be between 1 and 400"))
		}
		size = min(size, int(*in.PageSize))
	}
	page, next, err := paginate(e.lbs, in.Marker, size)
	if err != nil {
		return nil, elbError("DescribeLoadBalancers", err)
	}
	return &elasticloadbalancingv2.DescribeLoadBalancersOutput{LoadBalancers: page, NextMarker: next}, nil
}

func (e *fakeELB) DescribeTargetGroups(_ context.Context, in *elasticloadbalancingv2.DescribeTargetGroupsInput, _ ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetGroupsOutput, error) {
	if err := e.begin("DescribeTargetGroups"); err != nil {
		return nil, err
	}
	var tgs []elbtypes.TargetGroup
	if in.LoadBalancerArn != nil {
		if !slices.ContainsFunc(e.lbs, func(lb elbtypes.LoadBalancer) bool { return aws.ToString(lb.LoadBalancerArn) == *in.LoadBalancerArn }) {
			return nil, elbError("DescribeTargetGroups", &elbtypes.LoadBalancerNotFoundException{Message: aws.String("One or more load balancers not found")})
		}
		for _, tg := range e.tgs {
			if slices.Contains(tg.LoadBalancerArns, *in.LoadBalancerArn) {
				tgs = append(tgs, tg)
			}
		}
	} else {
		tgs = e.tgs
	}
	page, next, err := paginate(tgs, in.Marker, e.pageSize)
	if err != nil {
		return nil, elbError("DescribeTargetGroups", err)
	}
	return &elasticloadbalancingv2.DescribeTargetGroupsOutput{TargetGroups: page, NextMarker: next}, nil
}
