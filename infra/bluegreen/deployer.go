// Package bluegreen is the deployer as a reusable CDK construct: the five Lambdas, the state machine and the sweeper,
// the lock table, the artifact bucket and the rules that start deployments and sweeps (package triggers), the notification topic, each app's stored
// configuration, an optional example CodePipeline, and IAM scoped to the configured apps' record names, stack names,
// service roles and templates. NewBlueGreenStack wraps it in a stack checked by cdk-nag's AwsSolutions pack.
//
// Another Go CDK app embeds it with NewDeployer(scope, id, &DeployerProps{...}).
package bluegreen

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Deployer is the construct. Its fields expose the resources, for an embedding app to extend (subscribe to the
// topic, grant an operator's role, add alarms).
type Deployer struct {
	constructs.Construct

	// Functions and Roles are keyed by function name (FunctionNames).
	Functions        map[string]awslambda.Function
	Roles            map[string]awsiam.Role
	StateMachine     awsstepfunctions.StateMachine
	StateMachineRole awsiam.Role
	// Sweeper is the state machine that starts the reconciles of stopped runs (on a schedule and on their status
	// events); SweeperRole its role.
	Sweeper         awsstepfunctions.StateMachine
	SweeperRole     awsiam.Role
	LockTable       awsdynamodb.Table
	ArtifactBucket  awss3.Bucket
	AccessLogBucket awss3.Bucket
	Topic           awssns.Topic
	// Parameters are the apps' configuration parameters, by app name.
	Parameters map[string]awsssm.StringParameter
	// EventsRole is the role of the rules that start executions.
	EventsRole awsiam.Role
	// Pipeline is the example pipeline, nil unless props.Pipeline is set.
	Pipeline awscodepipeline.Pipeline
	// ServiceRoles are the service roles the deployer builds (AppProps.ServiceRole), by app name.
	ServiceRoles map[string]*AppServiceRole

	props DeployerProps
	apps  []*app
}

// NewDeployer builds the deployer. It panics with Validate's error when the props are invalid (an app's
// configuration, overlapping apps, a missing Lambda binary): call props.Validate first to report it cleanly.
func NewDeployer(scope constructs.Construct, id string, props *DeployerProps) *Deployer {
	if props == nil {
		props = &DeployerProps{}
	}
	if err := props.Validate(); err != nil {
		panic(err)
	}
	p := props.withDefaults()
	apps, err := planApps(p.Apps, p.ConfigParameterPrefix)
	if err != nil {
		panic(err) // unreachable: Validate passed
	}
	d := &Deployer{Construct: constructs.NewConstruct(scope, jsii.String(id)), props: p, apps: apps}
	d.addLockTable()
	d.addBuckets()
	d.addTopic()
	d.addServiceRoles()
	d.addParameters()
	d.addFunctions()
	d.grantFunctions()
	d.addStateMachine()
	d.addSweeper()
	d.addTriggers()
	if p.Pipeline != nil {
		d.addPipeline()
	}
	d.suppressNagFindings()
	return d
}
