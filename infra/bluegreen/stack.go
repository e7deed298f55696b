package bluegreen

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// The stack's outputs, read by the operator's CLI.
const (
	OutputStateMachine = "StateMachineArn"
	OutputLockTable    = "LockTableName"
	OutputConfigPrefix = "ConfigParameterPrefix"
	OutputArtifacts    = "ArtifactBucketName"
	OutputTopic        = "NotificationTopicArn"
)

// BlueGreenStackProps configure the deployer's stack.
type BlueGreenStackProps struct {
	awscdk.StackProps
	Deployer DeployerProps
}

// BlueGreenStack is a stack holding one Deployer, checked by cdk-nag's AwsSolutions pack (findings are error
// annotations: `cdk synth` fails on an unsuppressed one).
type BlueGreenStack struct {
	awscdk.Stack
	Deployer *Deployer
}

// NewBlueGreenStack builds the stack. Like NewDeployer, it panics when props.Deployer is invalid.
func NewBlueGreenStack(scope constructs.Construct, id string, props *BlueGreenStackProps) *BlueGreenStack {
	if props == nil {
		props = &BlueGreenStackProps{}
	}
	sp := props.StackProps
	if sp.Description == nil {
		sp.Description = jsii.String("bluegreen: blue/green releases of CloudFormation stacks, traffic moved by Route 53 weighted records")
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &sp)
	d := NewDeployer(stack, "Deployer", &props.Deployer)
	// The operator's CLI (cmd/bluegreen) finds the deployer through these outputs.
	for name, v := range map[string]*string{
		OutputStateMachine: d.StateMachine.StateMachineArn(),
		OutputLockTable:    d.LockTable.TableName(),
		OutputConfigPrefix: jsii.String(d.props.ConfigParameterPrefix),
		OutputArtifacts:    d.ArtifactBucket.BucketName(),
		OutputTopic:        d.Topic.TopicArn(),
	} {
		awscdk.NewCfnOutput(stack, jsii.String(name), &awscdk.CfnOutputProps{Value: v})
	}
	awscdk.Aspects_Of(stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return &BlueGreenStack{Stack: stack, Deployer: d}
}
