// Package localdeploy installs the deployer on the local AWS the way the infra installs it on AWS — the lock table,
// the notification topic, the state machine and the sweeper rendered from their ASL files with the functions' ARNs,
// and (InstallTriggers) the artifact bucket and the EventBridge rules of package triggers — and adds apps to it: a hosted zone, the app's stored configuration (an SSM parameter, as the infra writes it) and the demo
// template, with an app server that answers the demo stacks' health checks (moto's load balancers serve no HTTP):
// at the stacks' health URL output, or at their load balancers, which the app server serves over http and https
// (with a certificate a test makes) on loopback addresses of their own, given out by the local DNS data plane and,
// through the gateway, to the health function. Simulated clients (Clients) follow the DNS to them. The demo and the
// end-to-end tests use it.
package localdeploy

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/awsenv"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
	"github.com/bluegreen-aws/bluegreen/internal/functions"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/clients"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/dataplane"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
	"github.com/bluegreen-aws/bluegreen/internal/operator"
	"github.com/bluegreen-aws/bluegreen/internal/stacks"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
	"github.com/bluegreen-aws/bluegreen/statemachine"
)

// Names the local deployer uses, as the infra names them on AWS.
const (
	Account          = "123456789012"
	LockTable        = "bluegreen-locks"
	StateMachineName = "bluegreen"
	// SweeperName is the sweeper's name, as the infra names it (bluegreen.SweeperSuffix).
	SweeperName  = StateMachineName + "-sweep"
	TopicName    = "bluegreen-notifications"
	ConfigPrefix = invoke.DefaultConfigPrefix
	// FunctionsAccessKey is the access key the five functions sign their calls with, in-process and under
	// aws-lambda-rie, as their role's credentials would on AWS: the gateway's request log (Call.AccessKey) tells
	// the deployer's calls from the harness's, which signs with the local AWS's own key.
	FunctionsAccessKey = "bluegreen-functions"
)

// DemoTemplate is the demo app's CloudFormation template: a load balancer in front of one release.
//
//go:embed demoapp.yaml
var DemoTemplate string

// FunctionARN is the ARN the state machine calls a function by; the gateway serves it.
func FunctionARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", localaws.Region, Account, name)
}

// TopicARN is the notification topic's ARN on the local AWS.
var TopicARN = fmt.Sprintf("arn:aws:sns:%s:%s:%s", localaws.Region, Account, TopicName)

// FunctionEnv is the functions' environment, for aws-lambda-rie processes (it follows the local AWS's own, and
// its access key replaces that one's).
func FunctionEnv() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + FunctionsAccessKey, "CONFIG_PARAMETER_PREFIX=" + ConfigPrefix, "LOCK_TABLE=" + LockTable, "NOTIFICATION_TOPIC=" + TopicARN, "AWS_LAMBDA_LOG_FORMAT=JSON",
		invoke.EnvLocalLoadBalancers + "=true"}
}

// inProcess returns the five functions to serve in-process (localaws.Options.Functions), and bind, which readies
// them once the local AWS's endpoint is known. Each instance the gateway starts builds its function afresh, with
// SDK clients of its own and the production retry policy, logging JSON to log, as Lambda initializes each
// execution environment. A wrap, when given, wraps each instance's handler (the idempotency test calls every
// operation twice).
func inProcess(log io.Writer, wrap func(gateway.Handler) gateway.Handler) (map[string]gateway.Factory, func(endpoint string) error) {
	var bound atomic.Pointer[aws.Config]
	env := invoke.Env{ConfigPrefix: ConfigPrefix, LockTable: LockTable, LocalEndpoint: true, Topic: TopicARN, LocalLoadBalancers: true}
	logger := slog.New(slog.NewJSONHandler(log, nil))
	factories := map[string]gateway.Factory{}
	for _, name := range functions.Names {
		factories[name] = func() (gateway.Handler, error) {
			cfg := bound.Load()
			if cfg == nil {
				return nil, fmt.Errorf("function %s is not bound to a local AWS yet", name)
			}
			fn, _ := functions.New(name, *cfg, env, logger)
			var h gateway.Handler = lambda.NewHandler(fn.Handle)
			if wrap != nil {
				h = wrap(h)
			}
			return h, nil
		}
	}
	bind := func(endpoint string) error {
		cfg, err := awsenv.Config(func(k string) string {
			return map[string]string{"AWS_REGION": localaws.Region, "AWS_ACCESS_KEY_ID": FunctionsAccessKey, "AWS_SECRET_ACCESS_KEY": "localaws", "AWS_ENDPOINT_URL": endpoint}[k]
		})
		if err != nil {
			return err
		}
		bound.Store(&cfg)
		return nil
	}
	return factories, bind
}

// StartInProcess starts a local AWS (opts, its Functions and Handlers replaced) serving the five functions
// in-process, bound to it: an instance per concurrent invocation, each with its own SDK clients and the production
// retry policy, logging JSON to log; wrap, when given, wraps each instance's handler.
func StartInProcess(ctx context.Context, log io.Writer, wrap func(gateway.Handler) gateway.Handler, opts localaws.Options) (*localaws.AWS, error) {
	factories, bind := inProcess(log, wrap)
	opts.Functions, opts.Handlers = factories, nil
	a, err := localaws.Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := bind(a.Endpoint); err != nil {
		return nil, errors.Join(err, a.Stop())
	}
	return a, nil
}

// Deployer is the deployer installed on a local AWS.
type Deployer struct {
	AWS          *localaws.AWS
	Config       aws.Config
	StateMachine string
	// Sweeper is the sweeper's ARN.
	Sweeper  string
	Topic    string
	Operator *operator.Operator
	Zones    *zone.Opener
	Stacks   *stacks.Manager
	// Apps answers the demo stacks' health checks.
	Apps *AppServer
}

// Install creates the lock table, the topic, the state machine and the sweeper on a (reset) local AWS. No rule
// starts anything until InstallTriggers.
func Install(ctx context.Context, a *localaws.AWS, apps *AppServer) (*Deployer, error) {
	cfg, err := a.Config(ctx)
	if err != nil {
		return nil, err
	}
	ddb := dynamodb.NewFromConfig(cfg)
	_, err = ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(LockTable),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String(applock.AttrApp), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String(applock.AttrApp), KeyType: ddbtypes.KeyTypeHash}},
	})
	if err != nil {
		return nil, fmt.Errorf("create the lock table: %w", err)
	}
	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(TopicName)})
	if err != nil {
		return nil, fmt.Errorf("create the topic: %w", err)
	}
	values := map[string]string{
		statemachine.LockTable:         LockTable,
		statemachine.NotificationTopic: aws.ToString(topic.TopicArn),
	}
	for name, p := range statemachine.FunctionPlaceholders {
		values[p] = FunctionARN(name)
	}
	if apps != nil { // the health function asks the gateway where a stack's load balancer listens
		lbs := apps.LoadBalancerResolver(cloudformation.NewFromConfig(cfg), elasticloadbalancingv2.NewFromConfig(cfg))
		a.Gateway.SetLoadBalancerResolver(lbs)
		if a.DataPlane != nil { // clients resolve them through the DNS data plane, to the same addresses
			a.DataPlane.SetLoadBalancers(lbs)
		}
		apps.PublishRequestCounts(dataPlaneCloudWatch(cfg))
	}
	def, err := statemachine.Render(values)
	if err != nil {
		return nil, err
	}
	sf := sfn.NewFromConfig(cfg)
	sm, err := sf.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String(StateMachineName), Definition: aws.String(def),
		RoleArn: aws.String(fmt.Sprintf("arn:aws:iam::%s:role/bluegreen-state-machine", Account)),
	})
	if err != nil {
		return nil, fmt.Errorf("create the state machine: %w", err)
	}
	sweepDef, err := statemachine.RenderSweep(map[string]string{
		statemachine.CreateStackFunction: FunctionARN("createstack"), statemachine.StateMachine: aws.ToString(sm.StateMachineArn),
	})
	if err != nil {
		return nil, err
	}
	sweeper, err := sf.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String(SweeperName), Definition: aws.String(sweepDef),
		RoleArn: aws.String(fmt.Sprintf("arn:aws:iam::%s:role/bluegreen-sweeper", Account)),
	})
	if err != nil {
		return nil, fmt.Errorf("create the sweeper: %w", err)
	}
	return &Deployer{
		AWS: a, Config: cfg, StateMachine: aws.ToString(sm.StateMachineArn), Sweeper: aws.ToString(sweeper.StateMachineArn),
		Topic: aws.ToString(topic.TopicArn),
		Operator: &operator.Operator{
			SFN: sf, Locks: applock.New(ddb, LockTable), Params: ssm.NewFromConfig(cfg),
			StateMachine: aws.ToString(sm.StateMachineArn), ConfigPrefix: ConfigPrefix,
		},
		Zones:  zone.NewOpener(route53.NewFromConfig(cfg), zone.Options{}),
		Stacks: stacks.New(cloudformation.NewFromConfig(cfg), elasticloadbalancingv2.NewFromConfig(cfg)),
		Apps:   apps,
	}, nil
}

// AddZone creates a public hosted zone and returns its id.
func (d *Deployer) AddZone(ctx context.Context, name string) (string, error) {
	out, err := route53.NewFromConfig(d.Config).CreateHostedZone(ctx, &route53.CreateHostedZoneInput{
		Name: aws.String(name), CallerReference: aws.String(fmt.Sprintf("%s-%d", name, time.Now().UnixNano())),
	})
	if err != nil {
		return "", fmt.Errorf("create hosted zone %s: %w", name, err)
	}
	z, err := zone.Open(ctx, route53.NewFromConfig(d.Config), aws.ToString(out.HostedZone.Id), zone.Options{})
	if err != nil {
		return "", err
	}
	return z.Info().ID, nil
}

// AppConfig is a configuration for the demo template that runs fast on the local AWS: no bakes, watches or drains,
// one probe per health check, stacks checked without waiting.
func (d *Deployer) AppConfig(zoneID string) deploy.Config {
	zero, one := 0, 1
	return deploy.Config{
		HostedZoneID:   zoneID,
		Template:       deploy.Template{Body: DemoTemplate},
		Parameters:     map[string]string{"HealthBase": d.Apps.URL()},
		ServiceRoleARN: fmt.Sprintf("arn:aws:iam::%s:role/bluegreen-demoapp-cloudformation", Account),
		Health: deploy.HealthConfig{
			Successes: 1, Attempts: 1, TimeoutMillis: 2000, RetrySeconds: &zero, Retries: &zero,
		},
		Strategy: deploy.Strategy{
			BakeSeconds: &zero, WatchSeconds: &zero, WatchIntervalSeconds: &one, PollSeconds: &zero,
		},
		DrainSeconds: &zero,
	}
}

// AddApp stores an app's configuration where the create-stack function reads it, as the infra does.
func (d *Deployer) AddApp(ctx context.Context, app string, cfg deploy.Config) error {
	body, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	_, err = ssm.NewFromConfig(d.Config).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String(ConfigPrefix + app), Value: aws.String(string(body)), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("store the configuration of app %s: %w", app, err)
	}
	return nil
}

// Run starts an execution and waits for it to end, calling progress with each state it enters (nil to stay quiet).
func (d *Deployer) Run(ctx context.Context, in deploy.Input, progress func(operator.Step)) (string, operator.Result, error) {
	arn, err := d.Operator.Start(ctx, in)
	if err != nil {
		return "", operator.Result{}, err
	}
	r, err := d.Operator.Wait(ctx, arn, 50*time.Millisecond, progress)
	return arn, r, err
}

// RunRaw starts an execution with input exactly as given — past the operator's checks, as anyone allowed to call
// StartExecution could — and waits for it.
func (d *Deployer) RunRaw(ctx context.Context, name, input string) (string, operator.Result, error) {
	out, err := d.Operator.SFN.(*sfn.Client).StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(d.StateMachine), Name: aws.String(name), Input: aws.String(input),
	})
	if err != nil {
		return "", operator.Result{}, fmt.Errorf("start %s: %w", name, err)
	}
	arn := aws.ToString(out.ExecutionArn)
	r, err := d.Operator.Wait(ctx, arn, 50*time.Millisecond, nil)
	return arn, r, err
}

// Status reads an app's status.
func (d *Deployer) Status(ctx context.Context, app string) (operator.Status, error) {
	return d.Operator.Status(ctx, app, d.Zones, d.Stacks)
}

// Clients starts simulated clients (package clients) of a name served by the local AWS's DNS data plane: each
// resolves it there with a cache of its own and sends its requests to the local load balancer DNS gave it. The
// caller stops them.
func (d *Deployer) Clients(ctx context.Context, cfg clients.Config) (*clients.Load, error) {
	if d.AWS.DataPlane == nil || d.Apps == nil {
		return nil, errors.New("clients need the local AWS's DNS data plane and the app server's load balancers")
	}
	server := d.AWS.DataPlane.Addr()
	cfg.Resolve = func(ctx context.Context, name string) ([]netip.Addr, time.Duration, error) {
		return dataplane.Resolve(ctx, server, name)
	}
	cfg.Port, cfg.VersionHeader = d.Apps.LoadBalancerPort(), VersionHeader
	return clients.Start(ctx, cfg)
}

// FailTargets makes every target of a stack's load balancer unhealthy in ELB's answers (the gateway's target health,
// limited to the stack's target groups: the demo stacks' targets share their ids), as when its release stops
// answering its target group's health checks; the gateway's ClearFaults ends it.
func (d *Deployer) FailTargets(ctx context.Context, stack string) error {
	ep, err := d.Stacks.Endpoint(ctx, stack, deploy.DefaultEndpointOutput, "")
	if err != nil {
		return err
	}
	if len(ep.TargetGroups) == 0 {
		return fmt.Errorf("stack %s's load balancer has no target group to fail", stack)
	}
	for _, tg := range ep.TargetGroups {
		d.AWS.Gateway.SetTargetHealth("*", gateway.TargetHealth{State: "unhealthy", TargetGroup: tg})
	}
	return nil
}
