package bluegreen

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// ReconcilePrefix starts the input of every reconcile the deployer starts itself. The reconcile rule skips stopped
// executions whose input starts with it, so a stopped automatic reconcile does not start another one (an operator
// reconciles it).
const ReconcilePrefix = `{"action":"reconcile"`

// Input transformers. Every placeholder sits inside a JSON string ("<key>"): EventBridge inserts the value's
// characters there, so the template stays JSON and the value stays a string.
//
// From S3, the version is the object's version id (the artifact bucket is versioned): unique per upload, even when
// a key is overwritten, always of the shape deploy.ValidateInput accepts, and what a template needs to pin the
// object (e.g. a Lambda's S3ObjectVersion). The artifact is the object's s3:// URI.
//
// From ECR, the version is the pushed tag and the artifact the image by digest (<repository URI>@sha256:...), so the
// stack runs exactly the image that was pushed even if the tag moves.
const (
	s3InputTemplate        = `{"app":"%APP%","version":"<version>","artifact":"s3://<bucket>/<key>","source":"s3"}`
	ecrInputTemplatePrefix = `{"app":"%APP%","version":"<tag>","artifact":"<account>.dkr.ecr.<region>.`
	ecrInputTemplateSuffix = `/<repository>@<digest>","source":"ecr"}`
	reconcileInputTemplate = ReconcilePrefix + `,"execution":"<execution>","source":"reconcile"}`
)

var (
	s3InputPaths = map[string]string{
		"bucket":  "$.detail.bucket.name",
		"key":     "$.detail.object.key",
		"version": "$.detail.object.version-id",
	}
	ecrInputPaths = map[string]string{
		"account":    "$.account",
		"region":     "$.region",
		"repository": "$.detail.repository-name",
		"tag":        "$.detail.image-tag",
		"digest":     "$.detail.image-digest",
	}
	reconcileInputPaths = map[string]string{"execution": "$.detail.executionArn"}
)

// addTriggers adds the rules that start executions: an upload under <app>/ in the artifact bucket, a push to the
// app's ECR repository, and a stopped or timed-out execution (reconcile). Their targets share one role that may
// start executions of this state machine only.
func (d *Deployer) addTriggers() {
	d.EventsRole = awsiam.NewRole(d.Construct, jsii.String("EventsRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
		Description: jsii.String("bluegreen EventBridge rules: start executions"),
	})
	for _, a := range d.apps {
		s3 := d.startRule("Deploy"+a.Name+"OnUpload", "Deploy "+a.Name+": an object created under "+a.Name+"/ in the artifact bucket", &awsevents.EventPattern{
			Source:     jsii.Strings("aws.s3"),
			DetailType: jsii.Strings("Object Created"),
			Detail: &map[string]any{
				"bucket": map[string]any{"name": []any{d.ArtifactBucket.BucketName()}},
				"object": map[string]any{"key": []any{map[string]any{"prefix": a.Name + "/"}}},
			},
		})
		setInputTransformer(s3, s3InputPaths, appTemplate(s3InputTemplate, a.Name))
		if a.EcrRepository == "" {
			continue
		}
		ecr := d.startRule("Deploy"+a.Name+"OnPush", "Deploy "+a.Name+": an image pushed with a tag to ECR repository "+a.EcrRepository, &awsevents.EventPattern{
			Source:     jsii.Strings("aws.ecr"),
			DetailType: jsii.Strings("ECR Image Action"),
			Detail: &map[string]any{
				"action-type":     []any{"PUSH"},
				"result":          []any{"SUCCESS"},
				"repository-name": []any{a.EcrRepository},
				"image-tag":       []any{map[string]any{"exists": true}},
			},
		})
		template := appTemplate(ecrInputTemplatePrefix, a.Name) + *awscdk.Aws_URL_SUFFIX() + ecrInputTemplateSuffix
		setInputTransformer(ecr, ecrInputPaths, template)
	}
	reconcile := d.startRule("ReconcileStopped", "Reconcile an execution of "+d.props.StateMachineName+" that was aborted or timed out", &awsevents.EventPattern{
		Source:     jsii.Strings("aws.states"),
		DetailType: jsii.Strings("Step Functions Execution Status Change"),
		Detail: &map[string]any{
			"stateMachineArn": []any{d.StateMachine.StateMachineArn()},
			"status":          []any{"ABORTED", "TIMED_OUT"},
			"input":           []any{map[string]any{"anything-but": map[string]any{"prefix": ReconcilePrefix}}},
		},
	})
	setInputTransformer(reconcile, reconcileInputPaths, reconcileInputTemplate)
}

// startRule adds a rule whose one target starts an execution of the state machine.
func (d *Deployer) startRule(id, description string, pattern *awsevents.EventPattern) awsevents.Rule {
	return awsevents.NewRule(d.Construct, jsii.String(id), &awsevents.RuleProps{
		Description:  jsii.String(description),
		EventPattern: pattern,
		Targets: &[]awsevents.IRuleTarget{
			awseventstargets.NewSfnStateMachine(d.StateMachine, &awseventstargets.SfnStateMachineProps{Role: d.EventsRole}),
		},
	})
}

// setInputTransformer sets the input transformer of the rule's target exactly as written. (The L2 inputs render a
// placeholder that is a whole JSON value unquoted, <key> rather than "<key>".)
func setInputTransformer(rule awsevents.Rule, paths map[string]string, template string) {
	cfn := rule.Node().DefaultChild().(awsevents.CfnRule)
	cfn.AddPropertyOverride(jsii.String("Targets.0.InputTransformer"), map[string]any{
		"InputPathsMap": paths,
		"InputTemplate": template,
	})
}

// appTemplate puts the app's name into a template (app names are letters and digits: nothing to escape).
func appTemplate(t, app string) string { return strings.ReplaceAll(t, "%APP%", app) }
