package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/health"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
)

// The largest state document the caps allow stays under deploy.StateBudget at every step: a deployment's forward
// path, its rollback (clean or dirty), a refused input, a locked app and a repair.
//
// Every field is built at the largest its cap allows — the input, the configuration, the plan, the health evidence
// (health.MaxVerdictBytes), the warnings, the notice, the error messages — and added step by step as the state
// machine's tasks add it. Strings are made of characters JSON escapes, so that every later escaping is at its worst:
// " in text, < in error messages (the Lambda runtime's error JSON escapes it to six bytes).
//
// Sizes are of the JSON a Lambda's result is encoded to (aws-lambda-go: encoding/json without HTML escaping), with
// the request the state machine sends a Lambda around it (op, execution, a task token). A Lambda's error reaches the
// state as a Catch's cause: the runtime's error JSON (messages.InvokeResponse_Error, json.Marshal) as a string.
//
// What no cap of the deployer bounds is modelled at a generous size: the values of a record at the app's host that
// the deployer keeps (hostValues), a load balancer's target groups (ELB allows 100 a load balancer), a stack's health
// URL output (healthURLLen), a failure Step Functions reports itself (taskErrorLen). Names in the app's record range
// that are not the app's (zone.ListApp lists them too) are not bounded, and not modelled.
func TestLargestStateDocument(t *testing.T) {
	b := newLargest(t)
	var s deploy.State
	check := func(step string, doc map[string]any) {
		t.Helper()
		if doc == nil {
			doc = fields(s)
		}
		if n := requestSize(t, doc); n >= deploy.StateBudget {
			t.Errorf("%s: the state document with its request is %d bytes (%.1f KiB), at least %d", step, n, float64(n)/1024, deploy.StateBudget)
		} else {
			t.Logf("%-14s %6.1f KiB", step, float64(n)/1024)
		}
	}

	// A refused input: the input as text (Start), then Prepare's ValidationError and its reason.
	raw := map[string]any{"raw": string(largestInputText(t))}
	check("Start", raw)
	refused := b.caught(&deploy.ValidationError{Problems: []string{strings.Repeat("<", 2*deploy.MaxErrorMessage)}})
	check("InvalidReason", map[string]any{"raw": raw["raw"], "error": refused, "reason": reason(t, refused)})
	with := func(s deploy.State, extra map[string]any) map[string]any {
		doc := fields(s)
		for k, v := range extra {
			doc[k] = v
		}
		return doc
	}

	// The forward path.
	s.Input = b.input
	s.App = &b.app
	s.Carry(b.config)
	s.Warn("%s", worst(deploy.MaxWarning))
	s.Notice = s.Describe(worst(deploy.MaxNotice))
	check("Prepare", nil)
	locked := b.caught(&deploy.ReconcileRequiredError{App: b.app.Name, Holder: b.execution, Status: "ABORTED", Progress: deploy.ProgressShifting})
	check("LockedReason", with(s, map[string]any{"error": locked, "reason": reason(t, locked)}))
	s.Lock = &deploy.LockInfo{Holder: b.execution, Status: "ABORTED", Progress: deploy.ProgressPlanned, Plan: b.plan.Encode(), TakenOver: true}
	check("TakeOverLock", nil)
	s.Plan, s.PlanJSON = &b.plan, b.plan.Encode()
	s.Fence = &deploy.FenceState{Expect: &b.fence}
	s.Records = b.records
	s.Step = &deploy.Step{Index: -1, More: true}
	check("Plan", nil)

	repair := s
	repair.Repair = b.repair
	repair.Notice = repair.Describe(worst(deploy.MaxNotice))
	check("Repair", fields(repair))

	s.Stack = &deploy.StackWait{Name: b.app.StackName("123456"), ID: b.stackARN, Status: "CREATE_IN_PROGRESS", WaitSeconds: 60, Deadline: "2026-11-25T10:45:00Z"}
	check("Create", nil)
	s.Stack.Status, s.Stack.Done, s.Stack.Endpoint = "CREATE_COMPLETE", true, &b.endpoint
	check("StackStatus", nil)
	s.Change = deploy.PendingChange{ID: "C" + strings.Repeat("0", 31), Pending: true, WaitSeconds: 60}
	check("Publish", nil)
	s.Verdict, s.Checks = &b.verdict, &deploy.Checks{Attempt: 101, Retry: true}
	check("PreTraffic", nil)
	s.Step = &deploy.Step{Index: deploy.MaxSteps - 1, Percent: 99, More: true, Approval: true, SyncedAt: "2026-11-25T10:45:00Z", Extend: true}
	// The split verification's record: every probe period used, the counts at their widest.
	s.Split = &deploy.Split{Step: deploy.MaxSteps - 1, Extensions: deploy.MaxTrafficExtensions, Verified: true, Aligned: true,
		WaitSeconds: deploy.MaxTrafficPeriodSeconds, ProbesUnplaced: 1 << 40, OldLoadBalancer: largestLoadBalancerARN}
	for i := range deploy.MaxProbePeriods {
		s.Split.Probes = append(s.Split.Probes, deploy.PeriodCount{T: 1 << 40, N: 1<<31 - 1 - i})
	}
	check("StepHealth", nil)
	s.Approval = &deploy.Approval{Decision: deploy.DecisionPromoteFull, By: worst(deploy.MaxApprovalText), Reason: worst(deploy.MaxApprovalText)}
	check("Approval", nil)
	s.Switched = true
	s.Watch = &deploy.Watch{Until: "2026-11-26T10:45:00Z", WaitSeconds: 3600, Done: true}
	check("Watch", nil)

	// A rollback from the fullest state before the clean-up: the largest health check failure, a kept stack, then a
	// rollback that fails too (dirty) and an unlock that fails.
	rb := s
	rb.Error = b.caught(b.healthError)
	rb.DrainSeconds = 86400
	rb.Notice = rb.Describe("rolled back: " + rb.Reason())
	check("Rollback", fields(rb))
	rb.Warn("%s", worst(deploy.MaxWarning))
	rb.Finish(deploy.ResultRolledBack)
	rb.Failure = deploy.FailureOf(rb.Error)
	check("Delete", fields(rb))
	rb.UnlockError = b.stepFunctionsError
	check("MarkDirty", with(rb, map[string]any{
		"rollbackError": b.caught(&deploy.InternalError{Err: fmt.Errorf("%s", strings.Repeat("<", 2*deploy.MaxErrorMessage))}),
	}))

	// The clean-up: a warning for each stack it could not delete, then a clean-up and an unlock that fail.
	for range 1 + deploy.MaxKept {
		s.Warn("%s", worst(deploy.MaxWarning))
	}
	s.Finish(deploy.ResultDeployed)
	s.Notice = s.Describe(worst(deploy.MaxNotice))
	check("Cleanup", nil)
	s.CleanupError = b.caught(&deploy.InternalError{Err: fmt.Errorf("%s", strings.Repeat("<", 2*deploy.MaxErrorMessage))})
	s.UnlockError = b.stepFunctionsError
	check("UnlockFailed", nil)
}

// Models of what no cap of the deployer bounds (see TestLargestStateDocument).
const (
	hostValues   = 50   // values of the AAAA record at the app's host, kept in the plan
	targetGroups = 100  // a load balancer's target groups (ELB's quota)
	healthURLLen = 4096 // a stack's health URL output
	taskErrorLen = 1024 // the cause of a failure Step Functions reports itself (a DynamoDB task, a timeout)
)

// largest holds every part of the state document at its largest.
type largest struct {
	t                  *testing.T
	app                records.App
	execution          string
	input              deploy.Input
	config             deploy.Config
	plan               deploy.Plan
	fence              records.Record
	records            json.RawMessage
	stackARN           string
	endpoint           deploy.Endpoint
	verdict            deploy.Verdict
	healthError        error
	repair             *deploy.Repair
	stepFunctionsError *deploy.TaskError
}

func newLargest(t *testing.T) *largest {
	b := &largest{t: t}
	// The longest names: an app name of MaxAppNameLen, a zone that makes its longest record name 253 characters,
	// a host of 253 characters in it.
	name := strings.Repeat("a", records.MaxAppNameLen)
	zoneName := strings.Join([]string{strings.Repeat("b", 63), strings.Repeat("c", 63), strings.Repeat("d", 63), strings.Repeat("e", 23)}, ".")
	app, err := records.NewApp(name, zoneName, strings.Repeat("h", 253-len(zoneName)-1)+"."+zoneName)
	if err != nil {
		t.Fatal(err)
	}
	b.app = app
	b.execution = "arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:" + strings.Repeat("m", 80) + ":" + strings.Repeat("x", 80)
	b.input = deploy.Input{Action: deploy.ActionDeploy, App: name, Version: strings.Repeat("v", 128), Artifact: worst(1024), Source: strings.Repeat("s", 32)}
	if err := deploy.ValidateInput(b.input); err != nil {
		t.Fatalf("the largest input: %v", err)
	}
	b.config = largestConfig(t, app)
	b.fence = app.FenceRecord(records.Fence{Holder: records.FenceHolder(b.execution), Epoch: 1 << 30})
	b.plans()
	b.stackARN = "arn:aws-us-gov:cloudformation:us-gov-west-1:123456789012:stack/" + app.StackName("123456") + "/" + strings.Repeat("f", 36)
	b.endpoint = deploy.Endpoint{DNSName: lbName(0), HostedZoneID: "Z35SXDOTRQ7X7K", HealthURL: "https://" + strings.Repeat("u", healthURLLen-8),
		LoadBalancerARN: largestLoadBalancerARN}
	for i := range targetGroups {
		b.endpoint.TargetGroups = append(b.endpoint.TargetGroups, fmt.Sprintf("arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:targetgroup/%032d/%016x", i, i))
	}
	b.verdicts()
	b.stepFunctionsError = &deploy.TaskError{Error: "DynamoDB.AmazonDynamoDBException", Cause: worst(taskErrorLen)}
	return b
}

// plans makes the largest plan, the app's records at their largest, and a repair of them.
func (b *largest) plans() {
	a := b.app
	ids := []string{"100000", "200000", "123456"} // live, retire, new
	for i := range deploy.MaxKept {
		ids = append(ids, fmt.Sprintf("3%05d", i))
	}
	var endpoints []records.Record
	for i, id := range ids {
		endpoints = append(endpoints, records.Record{Name: a.EndpointName(id), Type: records.TypeA, Alias: &records.Alias{HostedZoneID: "Z35SXDOTRQ7X7K", DNSName: lbName(i)}})
	}
	weight := int64(255)
	var aaaa []string
	for i := range hostValues {
		aaaa = append(aaaa, fmt.Sprintf("2001:0db8:0000:0000:0000:0000:0000:%04x", i))
	}
	managed := []records.Record{
		{Name: a.HostName(), Type: records.TypeA, SetIdentifier: a.Name + "-blue", Weight: &weight, Alias: &records.Alias{HostedZoneID: "Z0123456789EXAMPLE", DNSName: a.EndpointName(ids[0])}},
		{Name: a.HostName(), Type: records.TypeA, SetIdentifier: a.Name + "-green", Weight: &weight, Alias: &records.Alias{HostedZoneID: "Z0123456789EXAMPLE", DNSName: a.EndpointName(ids[1])}},
		{Name: a.SlotName(records.Blue), Type: records.TypeTXT, TTL: records.TXTTTL, Values: []string{records.Quote(ids[0])}},
		{Name: a.SlotName(records.Green), Type: records.TypeTXT, TTL: records.TXTTTL, Values: []string{records.Quote(ids[1])}},
		{Name: a.ActiveName(), Type: records.TypeTXT, TTL: records.TXTTTL, Values: []string{records.Quote(ids[0])}},
		{Name: a.HostName(), Type: "AAAA", TTL: 86400, Values: aaaa},
	}
	adopt := records.Record{Name: a.HostName(), Type: records.TypeCNAME, TTL: 86400, Values: []string{strings.Repeat("l", 253)}}
	slot := func(c records.Color, id string) *deploy.Slot {
		return &deploy.Slot{Color: c, StackID: id, Stack: a.StackName(id)}
	}
	b.plan = deploy.Plan{Action: deploy.ActionDeploy, Live: slot(records.Blue, ids[0]), Retire: slot(records.Green, ids[1]),
		New: slot(records.Green, ids[2]), Target: slot(records.Green, ids[1]), Kept: ids[3:], Before: append(managed, adopt), Adopt: &adopt}

	var sets []types.ResourceRecordSet // as zone.Listing encodes them
	for _, r := range slices.Concat(managed, endpoints, []records.Record{b.fence}) {
		sets = append(sets, *zone.ToSDK(r))
	}
	var err error
	if b.records, err = json.Marshal(sets); err != nil {
		b.t.Fatal(err)
	}
	b.repair = &deploy.Repair{Live: records.Green, StackID: ids[1]}
	for _, r := range slices.Concat(managed, endpoints) {
		b.repair.Problems = append(b.repair.Problems, fmt.Sprintf("record %s does not match: %v", r.Key(), r))
		b.repair.Changes = append(b.repair.Changes, "DELETE "+fmt.Sprint(r), "UPSERT "+fmt.Sprint(r))
	}
}

// verdicts makes the largest verdict health allows (its JSON padded to health.MaxVerdictBytes with escaped
// characters) and the health check failure that carries it, as the healthcheck Lambda makes it.
func (b *largest) verdicts() {
	v := deploy.Verdict{Summary: worst(200), Failures: []string{worst(150)}, Truncated: 1 << 20, CheckedAt: "2026-11-25T10:45:00Z"}
	for i := 1; ; i++ {
		p := deploy.Probe{Attempt: i, URL: b.endpoint.HealthURL[:200], Status: 599, LatencyMs: 60000, Error: worst(100)}
		next := v
		next.Probes = append(append([]deploy.Probe(nil), v.Probes...), p)
		if htmlSize(b.t, next) > health.MaxVerdictBytes {
			break
		}
		v = next
	}
	if n := htmlSize(b.t, v); n < health.MaxVerdictBytes-400 {
		b.t.Fatalf("the largest verdict is %d bytes, far from %d", n, health.MaxVerdictBytes)
	}
	b.verdict = v
	evidence, err := json.Marshal(v)
	if err != nil {
		b.t.Fatal(err)
	}
	b.healthError = &deploy.HealthCheckError{Stack: b.app.StackName("123456"), Summary: v.Summary + "; evidence: " + string(evidence)}
}

// caught is the error a Catch records for a Lambda that returned err: the runtime's error JSON as the cause.
func (b *largest) caught(err error) *deploy.TaskError {
	name := reflect.TypeOf(err).Elem().Name()
	payload, e := json.Marshal(messages.InvokeResponse_Error{Message: err.Error(), Type: name})
	if e != nil {
		b.t.Fatal(e)
	}
	return &deploy.TaskError{Error: name, Cause: string(payload)}
}

// reason is what InvalidReason and LockedReason make of a caught error: its cause parsed as JSON.
func reason(t *testing.T, e *deploy.TaskError) map[string]any {
	var cause any
	if err := json.Unmarshal([]byte(e.Cause), &cause); err != nil {
		t.Fatal(err)
	}
	return map[string]any{"Error": e.Error, "Cause": cause}
}

// largestConfig is a configuration Validate accepts with every list at its cap and its JSON padded to
// MaxConfigBytes with parameter values JSON escapes.
func largestConfig(t *testing.T, app records.App) deploy.Config {
	c := validConfig()
	c.Zone, c.Host, c.HostedZoneID = app.Zone, app.HostName(), strings.Repeat("Z", 32)
	c.Strategy.Steps, c.Strategy.Approvals = seq(1, deploy.MaxSteps), seq(1, deploy.MaxSteps)
	c.Health.ExpectedStatus = seq(200, 200+deploy.MaxExpectedStatus-1)
	c.Health.Alarms = make([]string, deploy.MaxAlarms)
	fill(c.Health.Alarms, strings.Repeat("a", 255))
	c.Health.BodyContains = worst(deploy.MaxBodyContains)
	tol, ext, lag, bake := 0.123456789012345, deploy.MaxTrafficExtensions, deploy.MaxTrafficLagSeconds, 86400
	c.Health.Traffic = &deploy.TrafficConfig{MinRequests: deploy.MaxTrafficMinRequests, Tolerance: &tol, MaxExtensions: &ext,
		LagSeconds: &lag, PeriodSeconds: deploy.MaxTrafficPeriodSeconds, OnInconclusive: deploy.InconclusivePass}
	c.Strategy.BakeSeconds = &bake
	c.AllowOverrides = nil
	for _, f := range deploy.Protected {
		if !slices.Contains(deploy.NeverOverridable, f) {
			c.AllowOverrides = append(c.AllowOverrides, f)
		}
	}
	c.Template = deploy.Template{Body: worst(deploy.MaxTemplateBody)} // not carried
	for i := 0; ; i++ {
		left := deploy.MaxConfigBytes - carriedSize(t, c)
		if left < 32 {
			break
		}
		c.Parameters[fmt.Sprintf("Pad%03d", i)] = worst(min(deploy.MaxParameterValue, (left-16)/2))
	}
	if err := c.Validate(app.Name); err != nil {
		t.Fatalf("the largest configuration: %v", err)
	}
	return c
}

// largestInputText is the largest execution input CheckInput reads, of exactly MaxInputBytes: a deployment that
// overrides the template body (allowOverrides permitting) with characters JSON escapes.
func largestInputText(t *testing.T) []byte {
	doc := func(n int) []byte {
		in := map[string]any{"app": "demoapp", "version": "v2", "config": map[string]any{"template": map[string]any{"body": worst(n)}}}
		data, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	n := (deploy.MaxInputBytes - len(doc(0))) / 2
	data := doc(n)
	return append(data[:len(data)-1], strings.Repeat(" ", deploy.MaxInputBytes-len(data))+"}"...)
}

// lbName is a load balancer's DNS name of ELB's longest form.
func lbName(i int) string {
	return fmt.Sprintf("internal-%032d-%010d.us-gov-west-1.elb.amazonaws.com", i, i)
}

// worst is n characters that JSON escapes to twice their size.
// largestLoadBalancerARN is an ELBv2 load balancer's ARN at its longest: a 32-character name, the longest partition
// and region.
var largestLoadBalancerARN = "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/" + strings.Repeat("n", 32) + "/0123456789abcdef"

func worst(n int) string { return strings.Repeat(`"`, n) }

// requestSize is the size of the request a Lambda receives with the state document doc, as the runtime encodes it.
func requestSize(t *testing.T, doc map[string]any) int {
	return plainSize(t, map[string]any{"op": "approval", "execution": strings.Repeat("x", 250), "token": strings.Repeat("t", 2048), "state": doc})
}

// fields is the state document as a JSON object, for the fields the state machine adds beside it.
func fields(s deploy.State) map[string]any {
	data, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		panic(err)
	}
	return m
}

// plainSize encodes as the Lambda runtime does a result: encoding/json without HTML escaping.
func plainSize(t *testing.T, v any) int {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Len() - 1
}

// htmlSize encodes as json.Marshal does (health.MaxVerdictBytes is measured so).
func htmlSize(t *testing.T, v any) int {
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return len(data)
}

// carriedSize is a configuration's size as the state document carries it: without its template body.
func carriedSize(t *testing.T, c deploy.Config) int {
	c.Template.Body = ""
	return plainSize(t, c)
}
