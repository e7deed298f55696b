package bluegreen

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// The stacks are synthesized once per test binary (each synth costs seconds of node time) and shared.
var (
	// base has no pipeline; withPipeline is the same deployer with the example pipeline; extended has the optional
	// parts: the health check's VPC and an app whose service role the deployer builds (extendedProps).
	base, withPipeline, extended *synthesized
	// stubAssets is a folder of placeholder bootstrap files, so the tests do not depend on make build.
	stubAssets string
)

// synthesized is one synthesized stack: the construct, its template for the assertions package, the template as
// JSON, and the logical ids of the deployer's resources.
type synthesized struct {
	stack    *BlueGreenStack
	template assertions.Template
	json     map[string]any
	ids      logicalIDs
}

type logicalIDs struct {
	functions, roles, params map[string]string
	serviceRoles             map[string]string
	stateMachine, smRole     string
	sweeper, sweeperRole     string
	table, topic, bucket     string
	eventsRole               string
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	defer jsii.Close()
	dir, err := os.MkdirTemp("", "bluegreen-infra-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	stubAssets = filepath.Join(dir, "functions")
	if err := writeStubAssets(stubAssets); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, err := cdkContext()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(filepath.Join(dir, "cdk.out"))})
	props := testProps()
	plain := NewBlueGreenStack(app, "BlueGreen", &BlueGreenStackProps{Deployer: props})
	props.Pipeline = &PipelineProps{}
	piped := NewBlueGreenStack(app, "BlueGreenPipeline", &BlueGreenStackProps{Deployer: props})
	ext := NewBlueGreenStack(app, "BlueGreenExtended", &BlueGreenStackProps{Deployer: extendedProps()})
	// Every stack exists before the first synth: the tree may not change after it. A synth that fails (cdk-nag
	// errors fail it: annotationsInValidationReport) ends the run here, with the findings printed above.
	if err := catch(func() { base, withPipeline, extended = synthesize(plain), synthesize(piped), synthesize(ext) }); err != nil {
		fmt.Fprintln(os.Stderr, "synthesis failed:", err)
		return 1
	}
	return m.Run()
}

// catch returns a panic of f (a jsii error) as an error.
func catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f()
	return nil
}

func synthesize(s *BlueGreenStack) *synthesized {
	t := assertions.Template_FromStack(s.Stack, nil)
	d := s.Deployer
	id := func(c awscdk.CfnElement) string { return *s.Stack.GetLogicalId(c) }
	res := func(c constructs.IConstruct) string { return id(c.Node().DefaultChild().(awscdk.CfnElement)) }
	ids := logicalIDs{functions: map[string]string{}, roles: map[string]string{}, params: map[string]string{}, serviceRoles: map[string]string{}}
	for name, r := range d.ServiceRoles {
		ids.serviceRoles[name] = res(r.Role)
	}
	for name, fn := range d.Functions {
		ids.functions[name] = res(fn)
		ids.roles[name] = res(d.Roles[name])
	}
	for name, p := range d.Parameters {
		ids.params[name] = res(p)
	}
	ids.stateMachine, ids.smRole = res(d.StateMachine), res(d.StateMachineRole)
	ids.sweeper, ids.sweeperRole = res(d.Sweeper), res(d.SweeperRole)
	ids.table, ids.topic, ids.bucket, ids.eventsRole = res(d.LockTable), res(d.Topic), res(d.ArtifactBucket), res(d.EventsRole)
	return &synthesized{stack: s, template: t, json: *t.ToJSON(), ids: ids}
}

// cdkContext returns the feature flags of the repository's cdk.json, so the tests synthesize what cdk synth does.
func cdkContext() (map[string]any, error) {
	data, err := os.ReadFile(filepath.Join(repoRoot(), "cdk.json"))
	if err != nil {
		return nil, err
	}
	var f struct {
		Context map[string]any `json:"context"`
	}
	return f.Context, json.Unmarshal(data, &f)
}

// repoRoot is the module's root (the tests run in infra/bluegreen).
func repoRoot() string {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		panic(err)
	}
	return root
}

func writeStubAssets(dir string) error {
	for _, name := range FunctionNames {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name, "bootstrap"), []byte("#!/bin/sh\n# test stub of "+name+"\n"), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// Test apps: two in one zone (the default host; a www host with CNAME records), one at another zone's apex with an
// inline template and no service role.
const (
	zoneCom = "Z0111111111111"
	zoneOrg = "Z0222222222222"
	roleA   = "arn:aws:iam::123456789012:role/demoapp-cfn"
	roleB   = "arn:aws:iam::123456789012:role/shop-cfn"
)

func testApps() []AppProps {
	return []AppProps{
		{Name: "demoapp", ZoneName: "example.com", EcrRepository: "demoapp", Config: deploy.Config{
			HostedZoneID:   zoneCom,
			Template:       deploy.Template{URL: "https://templates-123.s3.us-east-1.amazonaws.com/demoapp/service.yaml"},
			ServiceRoleARN: roleA,
			Health:         deploy.HealthConfig{Path: "/healthz", Alarms: []string{"demoapp-5xx"}},
			Strategy:       deploy.Strategy{Steps: []int{10, 50}},
		}},
		{Name: "shop", Config: deploy.Config{
			HostedZoneID:   "/hostedzone/" + zoneCom,
			Zone:           "example.com",
			Host:           "www.example.com",
			Template:       deploy.Template{URL: "https://s3.us-east-1.amazonaws.com/templates-123/shop/service.yaml?versionId=abc"},
			ServiceRoleARN: roleB,
			Endpoint:       deploy.EndpointConfig{Type: deploy.EndpointCNAME, TTL: 30},
		}},
		{Name: "apex", ZoneName: "example.org", Config: deploy.Config{
			HostedZoneID:  zoneOrg,
			Host:          "example.org",
			Template:      deploy.Template{Body: `{"Resources":{}}`},
			NoServiceRole: true,
		}},
	}
}

func testProps() DeployerProps {
	return DeployerProps{Apps: testApps(), AssetsDir: stubAssets}
}

// The extended deployer: the test apps, the health check in a VPC, and app api, whose service role the deployer
// builds for an ECS service behind a load balancer, with an extra statement for a shared task execution role.
var (
	testVPC         = VPCProps{SubnetIDs: []string{"subnet-0123456789abcdef0", "subnet-0fedcba9876543210"}, SecurityGroupID: "sg-0a1b2c3d4e5f60718"}
	apiTypes        = []string{"AWS::ECS::Service", "AWS::ECS::TaskDefinition", "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::ElasticLoadBalancingV2::Listener", "AWS::EC2::SecurityGroup", "AWS::Logs::LogGroup", "AWS::IAM::Role"}
	sharedExecution = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
)

func extendedProps() DeployerProps {
	p := testProps()
	vpc := testVPC
	p.HealthCheckVPC = &vpc
	p.Apps = append(p.Apps, AppProps{Name: "api", ZoneName: "example.com", Config: deploy.Config{
		HostedZoneID: zoneCom,
		Template:     deploy.Template{URL: "https://templates-123.s3.us-east-1.amazonaws.com/api/service.yaml"},
		// Failover with CNAME endpoints: the functions manage Route 53 health checks.
		Endpoint: deploy.EndpointConfig{Type: deploy.EndpointCNAME}, Routing: deploy.RoutingConfig{Failover: true},
	}, ServiceRole: &AppServiceRoleProps{ResourceTypes: apiTypes, Statements: []awsiam.PolicyStatement{
		statement("SharedExecutionRole", []string{"iam:GetRole", "iam:PassRole"}, []*string{jsii.String(sharedExecution)}, nil),
	}}})
	return p
}

// must runs a jsii assertion; its panic (a failed assertion) becomes a test failure instead of ending the binary.
func must(t *testing.T, what string, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assertion()
}
