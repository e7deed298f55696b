package createstack_test

import (
	"context"
	"log/slog"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/applock/applocktest"
	"github.com/bluegreen-aws/bluegreen/internal/createstack"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/failover"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/records"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
	"github.com/bluegreen-aws/bluegreen/internal/zone/zonetest"
)

const (
	zoneID   = "Z0EXAMPLE12345"
	lbZoneID = "Z35SXDOTRQ7X7K"
	table    = "bluegreen-locks"
	prefix   = "/bluegreen/apps/"
	me       = "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-deploy-v2"
	holder   = "arn:aws:states:us-east-1:123456789012:execution:bluegreen:demoapp-deploy-v1"
	liveID   = "819273"
)

var (
	app = records.App{Name: "demoapp", Zone: "example.com", Host: "demoapp.example.com"}
	now = time.Date(2026, 11, 25, 10, 15, 0, 0, time.UTC)
)

func lbName(id string) string { return "demoapp-" + id + "-1873640213.us-east-1.elb.amazonaws.com" }

// storedConfig is demoapp's configuration as the infra stores it. It lets an execution override the protected
// fields, so the tests can exercise every override; strictConfig does not.
const storedConfig = `{"hostedZoneId":"Z0EXAMPLE12345","template":{"url":"https://templates.s3.amazonaws.com/demoapp.yaml"},
"serviceRoleArn":"arn:aws:iam::123456789012:role/demoapp-cfn","health":{"path":"/health"},
"allowOverrides":["hostedZoneId","zone","host","serviceRoleArn","noServiceRole","health.allowLinkLocal"]}`

const strictConfig = `{"hostedZoneId":"Z0EXAMPLE12345","template":{"url":"https://templates.s3.amazonaws.com/demoapp.yaml"},
"serviceRoleArn":"arn:aws:iam::123456789012:role/demoapp-cfn","health":{"path":"/health"}}`

// env is a create-stack function over fakes.
type env struct {
	t      *testing.T
	ctx    context.Context
	fn     *invoke.Function
	zone   *zonetest.Fake
	params params
	execs  executions
	locks  *applocktest.Table
	stacks *stackFake
	clock  time.Time
	// resolve maps endpoint names to the addresses they resolve to (default: a public address).
	resolve map[string][]string
}

// LookupNetIP resolves as e.resolve says.
func (e *env) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	as, ok := e.resolve[host]
	if !ok {
		as = []string{"203.0.113.10"}
	}
	var out []netip.Addr
	for _, a := range as {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

func setup(t *testing.T, rs ...records.Record) *env { return setupMargin(t, time.Millisecond, rs...) }

// setupMargin is setup with the zone's INSYNC margin: a margin beyond the context's deadline (a minute) makes every
// record change come back pending instead of being waited for.
func setupMargin(t *testing.T, margin time.Duration, rs ...records.Record) *env {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, zone: zonetest.New(), params: params{prefix + "demoapp": storedConfig}, execs: executions{},
		stacks: newStacks(), clock: now}
	// The run holds the app's lock, as every operation after Lock finds it.
	e.locks = applocktest.New(table)
	e.locks.Put(applocktest.Item{"app": s("demoapp"), "execution": s(me), "progress": s("locked"), "action": s("deploy")})
	e.zone.AddZone(zoneID, "example.com", rs...)
	e.fn = createstack.New(createstack.Deps{
		Params: e.params, Executions: e.execs, Stacks: e.stacks,
		Locks:        applock.New(e.locks, table).WithClock(func() time.Time { return e.clock }),
		Zones:        zone.NewOpener(e.zone, zone.Options{MinDelay: time.Millisecond, MaxDelay: time.Millisecond, Margin: margin}),
		ConfigPrefix: prefix, Now: func() time.Time { return e.clock },
		Checks: failover.New(e.zone), Reach: failover.Reach{Resolver: e},
	}).Function(slog.New(slog.DiscardHandler))
	return e
}

// call runs one operation of the function, as the state machine invokes it.
func (e *env) call(op string, s deploy.State) (deploy.State, error) {
	return e.fn.Handle(e.ctx, deploy.Request{Op: op, Execution: me, State: s})
}

// lock is the app's lock item as stored.
func (e *env) lock() applock.Item { return applock.Decode(e.locks.Get("demoapp")) }

// changes counts the accepted ChangeResourceRecordSets calls.
func (e *env) changes() int { return e.zone.Accepted["ChangeResourceRecordSets"] }

// prepared is the state after prepare for a deployment of demoapp v2 (cfg may change the configuration).
func prepared(cfg func(*deploy.Config)) deploy.State {
	c, err := deploy.MergeConfig([]byte(storedConfig))
	if err != nil {
		panic(err)
	}
	c.Zone, c.Host = "example.com", "demoapp.example.com"
	if cfg != nil {
		cfg(&c)
	}
	c.Resolve()
	a := app
	return deploy.State{Input: deploy.Input{Action: deploy.ActionDeploy, App: "demoapp", Version: "v2", Artifact: "s3://artifacts/demoapp/v2.zip"}, App: &a, Config: &c}
}

func endpointRec(id string) records.Record {
	return records.Record{Name: app.EndpointName(id), Type: "A", Alias: &records.Alias{HostedZoneID: lbZoneID, DNSName: lbName(id)}}
}

func weightedRec(c records.Color, id string, w int64) records.Record {
	return records.Record{Name: app.HostName(), Type: "A", SetIdentifier: app.SetIdentifier(c), Weight: records.Weight(w),
		Alias: &records.Alias{HostedZoneID: zoneID, DNSName: app.EndpointName(id)}}
}

func slotRec(c records.Color, id string) records.Record { return records.TXT(app.SlotName(c), 60, id) }

func activeRec(id string) records.Record { return records.TXT(app.ActiveName(), 60, id) }

// liveIn is the app at rest with stack id live in color c (and, when idle is set, the other color's slot holding it
// at weight 0).
func liveIn(c records.Color, id, idle string) []records.Record {
	rs := []records.Record{endpointRec(id), slotRec(c, id), activeRec(id), weightedRec(c, id, 100)}
	if idle != "" {
		rs = append(rs, endpointRec(idle), slotRec(c.Other(), idle), weightedRec(c.Other(), idle, 0))
	}
	return rs
}

func slot(c records.Color, id string) *deploy.Slot {
	return &deploy.Slot{Color: c, StackID: id, Stack: "demoapp-" + id}
}

// typeName is the name the Lambda runtime reports for an error (aws-lambda-go's getErrorType); "" for nil.
func typeName(err error) string {
	if err == nil {
		return ""
	}
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
