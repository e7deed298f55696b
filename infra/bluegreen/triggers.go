package bluegreen

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"

	"github.com/bluegreen-aws/bluegreen/internal/triggers"
)

// addTriggers adds the rules of package triggers — exactly those, the ones the local AWS runs too: an upload under
// <app>/ in the artifact bucket and a push to the app's ECR repository start a deployment; an aborted or timed-out
// execution of the deployer, and a schedule, start a sweep. Their targets share one role that may start executions
// of the two state machines only.
func (d *Deployer) addTriggers() {
	d.EventsRole = awsiam.NewRole(d.Construct, jsii.String("EventsRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
		Description: jsii.String("bluegreen EventBridge rules: start executions"),
	})
	var apps []triggers.App
	for _, a := range d.apps {
		apps = append(apps, triggers.App{Name: a.Name, EcrRepository: a.EcrRepository})
	}
	machines := map[string]awsstepfunctions.StateMachine{
		*d.StateMachine.StateMachineArn(): d.StateMachine,
		*d.Sweeper.StateMachineArn():      d.Sweeper,
	}
	for _, r := range triggers.Rules(triggers.Deployment{
		ArtifactBucket: *d.ArtifactBucket.BucketName(), StateMachine: *d.StateMachine.StateMachineArn(),
		Sweeper: *d.Sweeper.StateMachineArn(), Apps: apps,
	}) {
		props := &awsevents.RuleProps{
			Description: jsii.String(r.Description),
			Targets: &[]awsevents.IRuleTarget{
				awseventstargets.NewSfnStateMachine(machines[r.Target], &awseventstargets.SfnStateMachineProps{Role: d.EventsRole}),
			},
		}
		if p := r.Pattern; p != nil {
			detail := p.Detail
			props.EventPattern = &awsevents.EventPattern{Source: jsii.Strings(p.Source...), DetailType: jsii.Strings(p.DetailType...), Detail: &detail}
		} else {
			props.Schedule = awsevents.Schedule_Expression(jsii.String(r.Schedule))
		}
		rule := awsevents.NewRule(d.Construct, jsii.String(r.ID), props)
		setInput(rule, r)
	}
}

// setInput sets the input of the rule's target exactly as package triggers writes it: a constant, or an input
// transformer (its paths may be nil: the template uses predefined variables only). The L2 inputs would render their
// own.
func setInput(rule awsevents.Rule, r triggers.Rule) {
	cfn := rule.Node().DefaultChild().(awsevents.CfnRule)
	if r.Template == "" {
		cfn.AddPropertyOverride(jsii.String("Targets.0.Input"), r.Input)
		return
	}
	t := map[string]any{"InputTemplate": r.Template}
	if len(r.Paths) > 0 {
		t["InputPathsMap"] = r.Paths
	}
	cfn.AddPropertyOverride(jsii.String("Targets.0.InputTransformer"), t)
}
