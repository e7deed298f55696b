package localdeploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/dataplane"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
	"github.com/bluegreen-aws/bluegreen/internal/localdeploy"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/records"
)

// The end-to-end tests run the real state machine (moto's interpreter) calling the real handlers (in-process, or
// the real bootstraps under aws-lambda-rie) against the local AWS, and assert the records, the weights, the stack
// statuses and the path each execution took.

// lbTTL is the TTL the local DNS gives a load balancer's address (AWS: 60 s), short so that clients follow a weight
// change at once.
const lbTTL = 300 * time.Millisecond

var (
	local *localaws.AWS
	apps  *localdeploy.AppServer
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if apps, err = localdeploy.StartAppServer(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer apps.Close()
	logs, err := os.CreateTemp("", "bluegreen-functions-*.log")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.Remove(logs.Name())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	local, err = localdeploy.StartInProcess(ctx, logs, func(h gateway.Handler) gateway.Handler { return twiceHandler{h} },
		localaws.Options{DataPlane: dataplane.Options{LoadBalancerTTL: lbTTL, Seed: 1}})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: start the local AWS: %v\n", err)
		return 1
	}
	defer local.Stop()
	return m.Run()
}

// env is one test's deployer with one hosted zone.
type env struct {
	t      *testing.T
	ctx    context.Context
	d      *localdeploy.Deployer
	zoneID string
}

const zoneName = "example.com"

func setup(t *testing.T) *env {
	t.Helper()
	a := localawstest.Use(t, local)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	d, err := localdeploy.Install(ctx, a, apps)
	if err != nil {
		t.Fatal(err)
	}
	zoneID, err := d.AddZone(ctx, zoneName)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: ctx, d: d, zoneID: zoneID}
}

// addApp stores an app's configuration; change edits the fast defaults.
func (e *env) addApp(app string, change func(*deploy.Config)) {
	e.t.Helper()
	cfg := e.d.AppConfig(e.zoneID)
	if change != nil {
		change(&cfg)
	}
	if err := e.d.AddApp(e.ctx, app, cfg); err != nil {
		e.t.Fatal(err)
	}
}

// run starts an execution and waits for it.
func (e *env) run(in deploy.Input) (string, operator.Result) {
	e.t.Helper()
	arn, r, err := e.d.Run(e.ctx, in, nil)
	if err != nil {
		e.t.Fatalf("run %+v: %v", in, err)
	}
	return arn, r
}

// deploy runs a deployment and requires it to succeed.
func (e *env) deploy(app, version string) operator.Result {
	e.t.Helper()
	_, r := e.run(deploy.Input{App: app, Version: version, Artifact: "s3://artifacts/" + app + "/" + version + ".zip"})
	if r.Status != "SUCCEEDED" {
		e.t.Fatalf("deploy %s %s: %s %s: %s\npath: %v", app, version, r.Status, r.Error, r.Cause, operator.Names(r.Path))
	}
	return r
}

// status reads an app's status and fails the test on an inconsistent state.
func (e *env) status(app string) operator.Status {
	e.t.Helper()
	s, err := e.d.Status(e.ctx, app)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// live asserts an app at rest with all the weight on one color's stack, the other color's stack (when given)
// idle at weight 0, and returns the status.
func (e *env) live(app string, c records.Color, idleID string) operator.Status {
	e.t.Helper()
	s := e.status(app)
	st := s.State
	if st.Phase != records.PhaseAtRest || st.ActiveColor != c {
		e.t.Fatalf("app %s: phase %s, live %q (%s), problems %v; want at rest, live %s", app, st.Phase, st.ActiveColor, st.Active, st.Problems, c)
	}
	if st.Weight(c) != 100 || st.Weight(c.Other()) != 0 {
		e.t.Errorf("app %s: weights %s=%d %s=%d, want 100/0", app, c, st.Weight(c), c.Other(), st.Weight(c.Other()))
	}
	if st.Slots[c] != st.Active {
		e.t.Errorf("app %s: stack.active %s, %s slot %s", app, st.Active, c, st.Slots[c])
	}
	if got := st.Slots[c.Other()]; got != idleID {
		e.t.Errorf("app %s: idle %s slot = %q, want %q", app, c.Other(), got, idleID)
	}
	if s.Lock != nil {
		e.t.Errorf("app %s is still locked by %s (%s)", app, s.Lock.Execution, s.Lock.Progress)
	}
	return s
}

// stackStatus returns a stack's CloudFormation status, "" when it is gone.
func (e *env) stackStatus(app, id string) string {
	e.t.Helper()
	list, err := e.d.Stacks.List(e.ctx, app)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range list {
		if s.StackID == id {
			return s.Status
		}
	}
	return ""
}

// hasPath asserts that the execution entered these states in this order (others may come between).
func hasPath(t *testing.T, r operator.Result, states ...string) {
	t.Helper()
	names := operator.Names(r.Path)
	i := 0
	for _, n := range names {
		if i < len(states) && n == states[i] {
			i++
		}
	}
	if i < len(states) {
		t.Errorf("path %v lacks %v (stopped matching at %q)", names, states, states[i])
	}
}

// never asserts the execution did not enter any of these states.
func never(t *testing.T, r operator.Result, states ...string) {
	t.Helper()
	for _, s := range states {
		if slices.Contains(operator.Names(r.Path), s) {
			t.Errorf("path %v enters %s", operator.Names(r.Path), s)
		}
	}
}

// count returns how many times the execution entered a state.
func count(r operator.Result, state string) int {
	n := 0
	for _, s := range r.Path {
		if s.Name == state {
			n++
		}
	}
	return n
}

// outputs returns the state documents a Lambda task state returned, in order, from the execution's history.
func (e *env) outputs(arn, state string) []deploy.State {
	e.t.Helper()
	out, err := e.d.Operator.SFN.(*sfn.Client).GetExecutionHistory(e.ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	var states []deploy.State
	current := ""
	for _, ev := range out.Events {
		switch ev.Type {
		case sfntypes.HistoryEventTypeTaskStateEntered:
			current = aws.ToString(ev.StateEnteredEventDetails.Name)
		case sfntypes.HistoryEventTypeTaskStateExited:
			if current != state {
				continue
			}
			var s deploy.State
			if err := json.Unmarshal([]byte(aws.ToString(ev.StateExitedEventDetails.Output)), &s); err != nil {
				e.t.Fatalf("output of %s: %v", state, err)
			}
			states = append(states, s)
		}
	}
	return states
}

// managedRecords returns an app's records a restore puts back, for comparing before and after.
func managedRecords(s operator.Status) []string {
	var out []string
	for _, r := range s.State.Records {
		if s.App.Managed(r) {
			out = append(out, r.String())
		}
	}
	return out
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// zoneApply applies a batch to the test's zone (to arrange records a test starts from).
func (e *env) zoneApply(b records.Batch) (bool, error) {
	z, err := e.d.Zones.Open(e.ctx, e.zoneID)
	if err != nil {
		return false, err
	}
	res, err := z.Apply(e.ctx, b)
	return res.Submitted, err
}

// twice makes every in-process function run each invocation twice with the same input (the idempotency test).
var twice atomic.Bool

type twiceHandler struct{ h gateway.Handler }

func (w twiceHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if !twice.Load() {
		return w.h.Invoke(ctx, payload)
	}
	if _, err := w.h.Invoke(ctx, payload); err != nil {
		return nil, err
	}
	return w.h.Invoke(ctx, payload)
}

// subscribe subscribes a queue to the notification topic and returns a function that returns every message
// received so far.
func (e *env) subscribe() func() []string {
	e.t.Helper()
	q := sqs.NewFromConfig(e.d.Config)
	out, err := q.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String("notifications")})
	if err != nil {
		e.t.Fatal(err)
	}
	attrs, err := q.GetQueueAttributes(e.ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = sns.NewFromConfig(e.d.Config).Subscribe(e.ctx, &sns.SubscribeInput{
		TopicArn: aws.String(e.d.Topic), Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"]),
		Attributes: map[string]string{"RawMessageDelivery": "true"},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	var got []string
	return func() []string {
		msgs, err := q.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: out.QueueUrl, MaxNumberOfMessages: 10})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, m := range msgs.Messages {
			got = append(got, aws.ToString(m.Body))
		}
		return got
	}
}

// approvalToken returns the approval token in an app's lock item, "" when there is none.
func (e *env) approvalToken(app string) string {
	e.t.Helper()
	l, err := e.d.Operator.Lock(e.ctx, app)
	if err != nil {
		e.t.Fatal(err)
	}
	if l == nil || l.Approval == nil {
		return ""
	}
	return l.Approval.Token
}
