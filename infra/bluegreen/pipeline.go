package bluegreen

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// addPipeline adds the example CodePipeline: its source is an object in the artifact bucket (a zip holding the
// execution input file, e.g. {"app":"demoapp","version":"1.4.2","artifact":"s3://...","source":"codepipeline"}),
// its one action the Step Functions invoke action, which waits for the execution and fails when it fails.
//
// The source action polls nothing (trigger NONE): a rule on the bucket's own EventBridge notifications starts the
// pipeline when the source object is written, where the S3 action's EVENTS trigger would need a CloudTrail trail.
func (d *Deployer) addPipeline() {
	pp := d.props.Pipeline
	artifacts := d.newBucket("PipelineArtifacts", "pipeline-artifacts/", false)
	source := awscodepipeline.NewArtifact(jsii.String("Source"), nil)
	d.Pipeline = awscodepipeline.NewPipeline(d.Construct, jsii.String("Pipeline"), &awscodepipeline.PipelineProps{
		PipelineType:             awscodepipeline.PipelineType_V2,
		ArtifactBucket:           artifacts,
		CrossAccountKeys:         jsii.Bool(false),
		RestartExecutionOnUpdate: jsii.Bool(false),
		Stages: &[]*awscodepipeline.StageProps{
			{
				StageName: jsii.String("Source"),
				Actions: &[]awscodepipeline.IAction{awscodepipelineactions.NewS3SourceAction(&awscodepipelineactions.S3SourceActionProps{
					ActionName: jsii.String("Source"),
					Bucket:     d.ArtifactBucket,
					BucketKey:  jsii.String(pp.SourceKey),
					Output:     source,
					Trigger:    awscodepipelineactions.S3Trigger_NONE,
				})},
			},
			{
				StageName: jsii.String("Deploy"),
				Actions: &[]awscodepipeline.IAction{awscodepipelineactions.NewStepFunctionInvokeAction(&awscodepipelineactions.StepFunctionsInvokeActionProps{
					ActionName:          jsii.String("Deploy"),
					StateMachine:        d.StateMachine,
					StateMachineInput:   awscodepipelineactions.StateMachineInput_FilePath(source.AtPath(jsii.String(pp.InputFile))),
					ExecutionNamePrefix: jsii.String("pipeline"),
				})},
			},
		},
	})
	// StateMachineInput_FilePath renders the input as "<artifact>::<path>" (the CloudFormation actions' format); the
	// Step Functions action takes the file's path inside the input artifact ("assets/input.json" in the action
	// reference), so the path is set as written.
	cfn := d.Pipeline.Node().DefaultChild().(awscodepipeline.CfnPipeline)
	cfn.AddPropertyOverride(jsii.String("Stages.1.Actions.0.Configuration.Input"), jsii.String(pp.InputFile))
	role := awsiam.NewRole(d.Construct, jsii.String("PipelineEventsRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
		Description: jsii.String("bluegreen EventBridge rule: start the example pipeline"),
	})
	awsevents.NewRule(d.Construct, jsii.String("StartPipelineOnUpload"), &awsevents.RuleProps{
		Description: jsii.String("Start the bluegreen example pipeline: its source object was written"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.s3"),
			DetailType: jsii.Strings("Object Created"),
			Detail: &map[string]any{
				"bucket": map[string]any{"name": []any{d.ArtifactBucket.BucketName()}},
				"object": map[string]any{"key": []any{pp.SourceKey}},
			},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewCodePipeline(d.Pipeline, &awseventstargets.CodePipelineTargetOptions{EventRole: role})},
	})
}
