package bluegreen

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// ReconcilePrefix starts the input of every reconcile the deployer starts itself. The reconcile rule skips stopped
// executions whose input starts with it, so a stopped automatic reconcile does not start another one (an operator
// reconciles it).
const ReconcilePrefix = `{"action":"reconcile"`

// The input transformers.
//
// The S3 and ECR rules pass the whole event, {"app":"<app>","event":<aws.events.event.json>}, with the app fixed by
// the rule, and Prepare derives version, artifact and source from the event's fields (deploy.ReleaseFromEvent). No
// value of an event is spliced into JSON text: "EventBridge doesn't escape values extracted by Input Path, when
// populating the Input Template for a target" ("Common issues with transforming input"), so an object key holding a
// quote could add fields to the input. The predefined variable aws.events.event.json is documented as the full
// original event payload as JSON, detail field included, to be used only as the value of a JSON field because its
// contents are not escaped ("Predefined variables"): inserted as a value, it is the event's own JSON, its strings
// escaped as AWS wrote them. (Both sections: "Amazon EventBridge input transformation", EventBridge User Guide.)
//
// The reconcile rule still takes one value by path, the stopped execution's ARN, inside a JSON string. That value
// cannot break the string: the rule matches only executions of this state machine (whose name the deployer
// chooses: letters, digits, _ and -), and an execution's name "must not contain" white space, brackets, wildcard
// characters, the special characters " # % \ ^ | ~ ` $ & , ; : / or control characters (U+0000-001F,
// U+007F-009F) ("StartExecution", Step Functions API Reference, parameter name) — JSON needs escaping only for ",
// \ and U+0000-001F. Passing the whole Step Functions event instead would carry the stopped run's input, which can
// itself approach the 256 KiB limit of an execution's input.
const reconcileInputTemplate = ReconcilePrefix + `,"execution":"<execution>","source":"reconcile"}`

var reconcileInputPaths = map[string]string{"execution": "$.detail.executionArn"}

// eventInputTemplate is the S3 and ECR rules' input for app: the app's name (as a JSON string) and the whole event.
func eventInputTemplate(app string) string {
	name, err := json.Marshal(app)
	if err != nil {
		panic(err) // a string always encodes
	}
	return `{"app":` + string(name) + `,"event":<aws.events.event.json>}`
}

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
		setInputTransformer(s3, nil, eventInputTemplate(a.Name))
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
		setInputTransformer(ecr, nil, eventInputTemplate(a.Name))
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

// setInputTransformer sets the input transformer of the rule's target exactly as written (paths may be nil: the
// template uses predefined variables only). The L2 inputs would render their own templates.
func setInputTransformer(rule awsevents.Rule, paths map[string]string, template string) {
	t := map[string]any{"InputTemplate": template}
	if len(paths) > 0 {
		t["InputPathsMap"] = paths
	}
	cfn := rule.Node().DefaultChild().(awsevents.CfnRule)
	cfn.AddPropertyOverride(jsii.String("Targets.0.InputTransformer"), t)
}
