package bluegreen

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// PipelineSource is the source action's variable namespace: the Step Functions action's input reads
// #{PipelineSource.VersionId}.
const PipelineSource = "PipelineSource"

// addPipeline adds the example CodePipeline: its source is an object in the artifact bucket, the release's artifact
// for the pipeline's app, and its one action the Step Functions invoke action, which waits for the execution and
// fails when it fails.
//
// The action's input is literal, {"app":"<app>","version":"#{PipelineSource.VersionId}","artifact":
// "s3://<bucket>/<source key>","source":"codepipeline"}: the app and the object are fixed in the pipeline, and the
// version is the source object's version id, a variable of the S3 source action. Whoever may write the source object
// chooses the artifact's contents and nothing of the input. What AWS documents, and why this holds:
//   - "AWS Step Functions invoke action reference" (CodePipeline User Guide): with InputType Literal, "the value in
//     the Input field is passed directly to the state machine input"; with FilePath the input is a file of the input
//     artifact, so whoever writes the source object would write the whole execution input.
//   - "Variables reference" (CodePipeline User Guide): variables "can be used to dynamically configure actions";
//     "CodePipeline resolves all of the variable references present in the configuration prior to initiating the
//     action execution". The Step Functions action reference excludes none of its fields, so Input is resolved
//     like any other; configuration fields with variables are limited to 1000 characters.
//   - "Amazon S3 source action reference": the action's output variables are ETag and VersionId, "the version ID
//     for the version of the object related to the source change that triggered the pipeline".
//   - CodePipeline does not say it escapes a value it resolves inside a JSON string. The version id cannot break
//     the string: S3 assigns it, and "the version ID values that Amazon S3 assigns are URL safe" ("Adding objects
//     to versioning-enabled buckets", Amazon S3 User Guide), so it holds no " or \ or control character. No other
//     variable is used.
//
// The source action polls nothing (trigger NONE): a rule on the bucket's own EventBridge notifications starts the
// pipeline when the source object is written, where the S3 action's EVENTS trigger would need a CloudTrail trail.
func (d *Deployer) addPipeline() {
	pp := d.props.Pipeline
	artifacts := d.newBucket("PipelineArtifacts", "pipeline-artifacts/", false)
	sourceOutput := awscodepipeline.NewArtifact(jsii.String("Source"), nil)
	source := awscodepipelineactions.NewS3SourceAction(&awscodepipelineactions.S3SourceActionProps{
		ActionName:         jsii.String("Source"),
		Bucket:             d.ArtifactBucket,
		BucketKey:          jsii.String(pp.SourceKey),
		Output:             sourceOutput,
		Trigger:            awscodepipelineactions.S3Trigger_NONE,
		VariablesNamespace: jsii.String(PipelineSource),
	})
	d.Pipeline = awscodepipeline.NewPipeline(d.Construct, jsii.String("Pipeline"), &awscodepipeline.PipelineProps{
		PipelineType:             awscodepipeline.PipelineType_V2,
		ArtifactBucket:           artifacts,
		CrossAccountKeys:         jsii.Bool(false),
		RestartExecutionOnUpdate: jsii.Bool(false),
		Stages: &[]*awscodepipeline.StageProps{
			{StageName: jsii.String("Source"), Actions: &[]awscodepipeline.IAction{source}},
			{
				StageName: jsii.String("Deploy"),
				Actions: &[]awscodepipeline.IAction{awscodepipelineactions.NewStepFunctionInvokeAction(&awscodepipelineactions.StepFunctionsInvokeActionProps{
					ActionName:          jsii.String("Deploy"),
					StateMachine:        d.StateMachine,
					StateMachineInput:   awscodepipelineactions.StateMachineInput_Literal(&map[string]any{}),
					ExecutionNamePrefix: jsii.String("pipeline"),
				})},
			},
		},
	})
	// The input is written here rather than given to StateMachineInput_Literal, which would encode a map in an
	// order of its own: it is deploy.Input encoded, its field names those of the one type that decodes it.
	input, err := json.Marshal(deploy.Input{
		App:      pp.App,
		Version:  *source.Variables().VersionId,
		Artifact: "s3://" + *d.ArtifactBucket.BucketName() + "/" + pp.SourceKey,
		Source:   "codepipeline",
	})
	if err != nil {
		panic(err) // strings always encode
	}
	cfn := d.Pipeline.Node().DefaultChild().(awscodepipeline.CfnPipeline)
	cfn.AddPropertyOverride(jsii.String("Stages.1.Actions.0.Configuration.Input"), jsii.String(string(input)))
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
