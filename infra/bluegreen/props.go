package bluegreen

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// Defaults of DeployerProps.
const (
	DefaultAssetsDir         = "build/functions"
	DefaultStateMachineName  = "bluegreen"
	DefaultConfigPrefix      = "/bluegreen/apps/"
	DefaultPipelineSourceKey = "pipeline-source/source.zip"
)

// FunctionNames lists the five Lambdas, as their folders under the assets directory are named (the keys of
// statemachine.FunctionPlaceholders).
var FunctionNames = []string{"createstack", "healthcheck", "shiftweight", "switch", "rollback"}

// DeployerProps configure a Deployer. The zero value of every optional field takes its default.
type DeployerProps struct {
	// Apps are the applications the deployer releases. Each gets its configuration parameter, its trigger rules and
	// its share of the Lambdas' IAM rights (its record names, stack names, service role, template).
	Apps []AppProps
	// AssetsDir holds one folder per function (createstack, healthcheck, shiftweight, switch, rollback), each with
	// the function's bootstrap binary (default "build/functions", relative to the working directory: `make build`
	// writes it).
	AssetsDir string
	// StateMachineName is the state machine's fixed name (default "bluegreen"). Fixed so that the createstack
	// Lambda's states:DescribeExecution can be scoped to its executions without a dependency cycle; two deployers
	// in one account and region need two names.
	StateMachineName string
	// ConfigParameterPrefix starts every app's SSM parameter name: <prefix><app> (default "/bluegreen/apps/").
	ConfigParameterPrefix string
	// LogRetention is the retention of every log group (default three months).
	LogRetention awslogs.RetentionDays
	// RemovalPolicy applies to the stateful resources: the lock table, the buckets and the log groups (default
	// RETAIN: deleting the stack keeps the locks, the artifacts and the logs).
	RemovalPolicy awscdk.RemovalPolicy
	// Pipeline adds the example CodePipeline when non-nil.
	Pipeline *PipelineProps
	// HealthCheckVPC, when set, runs the healthcheck function (one for all apps) in a VPC, so that it can probe
	// internal load balancers, whose addresses are private. The function then reaches AWS's APIs only through that
	// VPC: see infra/README.md for the NAT gateway or the VPC endpoints it needs.
	HealthCheckVPC *VPCProps
}

// VPCProps place a function in a VPC: its subnets (1-16, in different Availability Zones for availability) and the
// security group of its network interfaces, which must allow it out to the load balancers it probes and to AWS's
// endpoints.
type VPCProps struct {
	SubnetIDs       []string `json:"subnetIds"`
	SecurityGroupID string   `json:"securityGroupId"`
}

// AppProps describe one application.
type AppProps struct {
	// Name is the app's name: one DNS label of lower-case letters and digits (see records.ValidateAppName).
	Name string `json:"name"`
	// ZoneName is the hosted zone's name (example.com). Required unless Config.Zone is set; when both are set they
	// must agree. The IAM conditions on record names are computed from it.
	ZoneName string `json:"zoneName,omitempty"`
	// EcrRepository, when set, names the ECR repository (same account and region) whose image pushes deploy the app.
	EcrRepository string `json:"ecrRepository,omitempty"`
	// Config is the app's stored configuration (deploy.Config), written to its SSM parameter as JSON. It is
	// validated at synth with Resolve and Validate.
	Config deploy.Config `json:"config"`
	// ServiceRole, when set, has the deployer build the app's CloudFormation service role from its template's
	// resource types (NewAppServiceRole) and store its ARN as the configuration's serviceRoleArn, which must then be
	// empty (and noServiceRole false).
	ServiceRole *AppServiceRoleProps `json:"serviceRole,omitempty"`
}

// PipelineProps configure the example CodePipeline: an S3 source (an object in the artifact bucket, the release's
// artifact) and a Step Functions invoke action whose literal input names the pipeline's app, the source object and
// its version id.
type PipelineProps struct {
	// App is the app the pipeline deploys (default: the first of the deployer's apps). It is fixed in the
	// pipeline: whoever writes the source object chooses the artifact, not the app or its configuration.
	App string `json:"app,omitempty"`
	// SourceKey is the source object's key in the artifact bucket (default "pipeline-source/source.zip"). Its first
	// segment must not be an app's name, or uploads of the source would also trigger that app's rule.
	SourceKey string `json:"sourceKey,omitempty"`
}

var (
	stateMachineNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	paramPrefixRE      = regexp.MustCompile(`^(/[A-Za-z0-9_.-]+)+/$`)
	ecrRepoRE          = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`)
	s3KeyRE            = regexp.MustCompile(`^[A-Za-z0-9!_.*'()/-]+$`)
	subnetIDRE         = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	securityGroupIDRE  = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// maxVPCSubnets is the most subnets a Lambda function's VpcConfig takes.
const maxVPCSubnets = 16

// withDefaults returns a copy of p with every unset optional field at its default.
func (p DeployerProps) withDefaults() DeployerProps {
	p.AssetsDir = or(p.AssetsDir, DefaultAssetsDir)
	p.StateMachineName = or(p.StateMachineName, DefaultStateMachineName)
	p.ConfigParameterPrefix = or(p.ConfigParameterPrefix, DefaultConfigPrefix)
	if p.LogRetention == "" {
		p.LogRetention = awslogs.RetentionDays_THREE_MONTHS
	}
	if p.RemovalPolicy == "" {
		p.RemovalPolicy = awscdk.RemovalPolicy_RETAIN
	}
	if p.Pipeline != nil {
		pp := *p.Pipeline
		pp.SourceKey = or(pp.SourceKey, DefaultPipelineSourceKey)
		if pp.App == "" && len(p.Apps) > 0 {
			pp.App = p.Apps[0].Name
		}
		p.Pipeline = &pp
	}
	return p
}

// Validate reports every reason the props cannot be deployed, or nil: an invalid app configuration, two apps that
// share a host or whose record names or stack names overlap, a missing Lambda binary. NewDeployer panics with this
// error; call Validate first to report it cleanly.
func (p DeployerProps) Validate() error {
	p = p.withDefaults()
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if !stateMachineNameRE.MatchString(p.StateMachineName) {
		add("state machine name %q must be 1-80 letters, digits, _ and -", p.StateMachineName)
	}
	if !paramPrefixRE.MatchString(p.ConfigParameterPrefix) {
		add("config parameter prefix %q must start and end with / (like %s)", p.ConfigParameterPrefix, DefaultConfigPrefix)
	}
	if len(p.Apps) == 0 {
		add("no apps: give at least one (see infra/apps.example.json)")
	}
	apps, err := planApps(p.Apps, p.ConfigParameterPrefix)
	if err != nil {
		problems = append(problems, strings.Split(err.Error(), "\n")...)
	}
	if p.Pipeline != nil {
		validatePipeline(*p.Pipeline, apps, add)
	}
	if p.HealthCheckVPC != nil {
		validateVPC(*p.HealthCheckVPC, add)
	}
	var missing []string
	for _, name := range FunctionNames {
		bin := filepath.Join(p.AssetsDir, name, "bootstrap")
		if fi, err := os.Stat(bin); err != nil || !fi.Mode().IsRegular() {
			missing = append(missing, bin)
		}
	}
	if len(missing) > 0 {
		add("Lambda binaries missing (%s): run make build first", strings.Join(missing, ", "))
	}
	if len(problems) > 0 {
		return fmt.Errorf("bluegreen: invalid deployer configuration:\n  - %s", strings.Join(problems, "\n  - "))
	}
	return nil
}

func validatePipeline(pp PipelineProps, apps []*app, add func(string, ...any)) {
	if !s3KeyRE.MatchString(pp.SourceKey) || len(pp.SourceKey) > 1024 || strings.HasPrefix(pp.SourceKey, "/") {
		add("pipeline source key %q is not a plain S3 key", pp.SourceKey)
	}
	first := strings.SplitN(pp.SourceKey, "/", 2)[0]
	for _, a := range apps {
		if a.Name == first {
			add("pipeline source key %q is under app %s's prefix %s/: its uploads would also deploy the app", pp.SourceKey, a.Name, a.Name)
		}
	}
	if len(apps) > 0 && !slices.ContainsFunc(apps, func(a *app) bool { return a.Name == pp.App }) {
		add("pipeline app %q is not one of the deployer's apps", pp.App)
	}
}

func validateVPC(v VPCProps, add func(string, ...any)) {
	if n := len(v.SubnetIDs); n < 1 || n > maxVPCSubnets {
		add("health check VPC: %d subnets, want 1-%d", n, maxVPCSubnets)
	}
	for i, id := range v.SubnetIDs {
		switch {
		case !subnetIDRE.MatchString(id):
			add("health check VPC: %q is not a subnet id (subnet-0123456789abcdef0)", id)
		case slices.Contains(v.SubnetIDs[:i], id):
			add("health check VPC: subnet %s is given twice", id)
		}
	}
	if !securityGroupIDRE.MatchString(v.SecurityGroupID) {
		add("health check VPC: %q is not a security group id (sg-0123456789abcdef0)", v.SecurityGroupID)
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
