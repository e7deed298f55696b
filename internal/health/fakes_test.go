package health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
)

// fakeClock is a Clock whose time moves only when the code sleeps or a test advances it.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}

// recordingDialer dials for real (or refuses, when offline) and records every address it was asked for.
type recordingDialer struct {
	mu      sync.Mutex
	addrs   []string
	offline bool
}

var errOffline = errors.New("test dialer: offline")

func (d *recordingDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, address)
	d.mu.Unlock()
	if d.offline {
		return nil, errOffline
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, address)
}

func (d *recordingDialer) Addrs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.addrs)
}

// fakeResolver answers from a table; a host with several answers gives them in turn, one per lookup (the last one
// repeats), as a rebinding DNS server would.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][]string
	lookups map[string]int
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	answers, ok := r.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	if r.lookups == nil {
		r.lookups = map[string]int{}
	}
	n := min(r.lookups[host], len(answers)-1)
	r.lookups[host]++
	return []netip.Addr{netip.MustParseAddr(answers[n])}, nil
}

// opErr wraps an API error as the SDK's clients do.
func opErr(service, op string, err error) error {
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: err}
}

// fakeELB is an in-memory ELBv2 with DescribeTargetHealth's behaviour: a missing ARN is a ValidationError, an unknown
// one TargetGroupNotFound, a known group with no targets an empty list; and DescribeTargetGroups': the groups named
// (settings, by default ELB's for an HTTP group), TargetGroupNotFound when any is unknown.
type fakeELB struct {
	groups      map[string][]elbtypes.TargetHealthDescription
	settings    map[string]elbtypes.TargetGroup // a group's settings; a known group without is an HTTP one with defaults
	groupsFail  error                           // when set, DescribeTargetGroups fails with it
	calls       int
	groupsCalls int
}

func (f *fakeELB) DescribeTargetGroups(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetGroupsInput,
	_ ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetGroupsOutput, error) {
	const svc, op = "Elastic Load Balancing v2", "DescribeTargetGroups"
	if err := ctx.Err(); err != nil {
		return nil, opErr(svc, op, err)
	}
	f.groupsCalls++
	if f.groupsFail != nil {
		return nil, opErr(svc, op, f.groupsFail)
	}
	if in.PageSize != nil && (*in.PageSize < 1 || *in.PageSize > 400) {
		return nil, opErr(svc, op, &smithy.GenericAPIError{Code: "ValidationError", Message: "PageSize must be between 1 and 400"})
	}
	out := &elasticloadbalancingv2.DescribeTargetGroupsOutput{}
	for _, arn := range in.TargetGroupArns {
		if _, ok := f.groups[arn]; !ok {
			return nil, opErr(svc, op, &elbtypes.TargetGroupNotFoundException{Message: aws.String("One or more target groups not found")})
		}
		tg, ok := f.settings[arn]
		if !ok {
			tg = elbtypes.TargetGroup{Protocol: elbtypes.ProtocolEnumHttp, HealthCheckIntervalSeconds: aws.Int32(30),
				HealthCheckTimeoutSeconds: aws.Int32(5), HealthyThresholdCount: aws.Int32(5)}
		}
		tg.TargetGroupArn = aws.String(arn)
		out.TargetGroups = append(out.TargetGroups, tg)
	}
	return out, nil
}

func (f *fakeELB) DescribeTargetHealth(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetHealthInput,
	_ ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetHealthOutput, error) {
	const svc, op = "Elastic Load Balancing v2", "DescribeTargetHealth"
	if err := ctx.Err(); err != nil {
		return nil, opErr(svc, op, err)
	}
	f.calls++
	if in == nil || aws.ToString(in.TargetGroupArn) == "" {
		return nil, opErr(svc, op, &smithy.GenericAPIError{Code: "ValidationError",
			Message: "1 validation error detected: Value null at 'targetGroupArn' failed to satisfy constraint: Member must not be null"})
	}
	descs, ok := f.groups[aws.ToString(in.TargetGroupArn)]
	if !ok {
		return nil, opErr(svc, op, &elbtypes.TargetGroupNotFoundException{
			Message: aws.String("One or more target groups not found")})
	}
	return &elasticloadbalancingv2.DescribeTargetHealthOutput{TargetHealthDescriptions: slices.Clone(descs)}, nil
}

func target(id string, port int32, state elbtypes.TargetHealthStateEnum, reason elbtypes.TargetHealthReasonEnum,
	desc string) elbtypes.TargetHealthDescription {
	h := &elbtypes.TargetHealth{State: state, Reason: reason}
	if desc != "" {
		h.Description = aws.String(desc)
	}
	return elbtypes.TargetHealthDescription{
		Target:       &elbtypes.TargetDescription{Id: aws.String(id), Port: aws.Int32(port)},
		TargetHealth: h,
	}
}

// fakeCloudWatch is an in-memory CloudWatch with DescribeAlarms' behaviour: at most 100 AlarmNames, MaxRecords 1-100
// (default 50), metric alarms only unless AlarmTypes says otherwise, results sorted by name, opaque NextTokens, and
// pages that may be shorter than MaxRecords (pageLimit).
type fakeCloudWatch struct {
	metric    map[string]cwtypes.MetricAlarm
	composite map[string]cwtypes.CompositeAlarm
	pageLimit int   // when > 0, the most a page holds, whatever MaxRecords says
	fail      error // when set, every call fails with it
	calls     []*cloudwatch.DescribeAlarmsInput
}

func (f *fakeCloudWatch) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput,
	_ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	const svc, op = "CloudWatch", "DescribeAlarms"
	if err := ctx.Err(); err != nil {
		return nil, opErr(svc, op, err)
	}
	c := *in
	f.calls = append(f.calls, &c)
	invalid := func(msg string) error {
		return opErr(svc, op, &smithy.GenericAPIError{Code: "ValidationError", Message: msg})
	}
	if f.fail != nil {
		return nil, opErr(svc, op, f.fail)
	}
	if len(in.AlarmNames) > 100 {
		return nil, invalid(fmt.Sprintf("1 validation error detected: Value at 'alarmNames' failed to satisfy "+
			"constraint: Member must have length less than or equal to 100 (got %d)", len(in.AlarmNames)))
	}
	if len(in.AlarmNames) > 0 && in.AlarmNamePrefix != nil {
		return nil, invalid("AlarmNames and AlarmNamePrefix cannot be used together")
	}
	limit := 50
	if in.MaxRecords != nil {
		limit = int(*in.MaxRecords)
		if limit < 1 || limit > 100 {
			return nil, invalid("MaxRecords must be between 1 and 100")
		}
	}
	if f.pageLimit > 0 {
		limit = min(limit, f.pageLimit)
	}
	types := in.AlarmTypes
	if len(types) == 0 {
		types = []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}
	}
	var names []string
	for _, n := range dedupe(in.AlarmNames) {
		_, isMetric := f.metric[n]
		_, isComposite := f.composite[n]
		if isMetric && slices.Contains(types, cwtypes.AlarmTypeMetricAlarm) ||
			isComposite && slices.Contains(types, cwtypes.AlarmTypeCompositeAlarm) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	start := 0
	if in.NextToken != nil {
		n, err := strconv.Atoi(strings.TrimPrefix(*in.NextToken, "page-"))
		if err != nil || !strings.HasPrefix(*in.NextToken, "page-") || n < 0 || n > len(names) {
			return nil, opErr(svc, op, &smithy.GenericAPIError{Code: "InvalidNextToken", Message: "invalid token"})
		}
		start = n
	}
	end := min(start+limit, len(names))
	out := &cloudwatch.DescribeAlarmsOutput{}
	for _, n := range names[start:end] {
		if a, ok := f.metric[n]; ok {
			out.MetricAlarms = append(out.MetricAlarms, a)
		} else {
			out.CompositeAlarms = append(out.CompositeAlarms, f.composite[n])
		}
	}
	if end < len(names) {
		out.NextToken = aws.String("page-" + strconv.Itoa(end))
	}
	return out, nil
}

func metricAlarm(name string, state cwtypes.StateValue, reason string) cwtypes.MetricAlarm {
	return cwtypes.MetricAlarm{
		AlarmName:          aws.String(name),
		StateValue:         state,
		StateReason:        aws.String(reason),
		Namespace:          aws.String("AWS/ApplicationELB"),
		MetricName:         aws.String("HTTPCode_Target_5XX_Count"),
		Statistic:          cwtypes.StatisticSum,
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
		Threshold:          aws.Float64(5),
	}
}
