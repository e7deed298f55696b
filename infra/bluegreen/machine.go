package bluegreen

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"

	"github.com/bluegreen-aws/bluegreen/statemachine"
)

// substitutions maps every placeholder of the state machine's definition to its value.
func (d *Deployer) substitutions() map[string]*string {
	subs := map[string]*string{
		statemachine.LockTable:         d.LockTable.TableName(),
		statemachine.NotificationTopic: d.Topic.TopicArn(),
	}
	for name, placeholder := range statemachine.FunctionPlaceholders {
		subs[placeholder] = d.Functions[name].FunctionArn()
	}
	return subs
}

// addStateMachine adds the workflow from the ASL file, inlined (so cfn-lint sees it) with its placeholders
// substituted, a role that may call exactly what the definition calls, and logging and tracing.
//
// The log level is ALL, without execution data: the state document carries the approval gate's task token (whoever
// reads it could approve a step) and the app's configuration, including template parameters. The execution
// history, with its own access control, keeps the data; the Lambdas log what they did, with the execution id.
func (d *Deployer) addStateMachine() {
	role := awsiam.NewRole(d.Construct, jsii.String("StateMachineRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("states.amazonaws.com"), nil),
		Description: jsii.String("bluegreen state machine"),
	})
	// Exactly the five function ARNs: the definition invokes them unqualified. (GrantInvoke would add <arn>:*.)
	var fns []*string
	for _, name := range FunctionNames {
		fns = append(fns, d.Functions[name].FunctionArn())
	}
	role.AddToPrincipalPolicy(statement("InvokeFunctions", []string{"lambda:InvokeFunction"}, fns, nil))
	role.AddToPrincipalPolicy(statement("LockTable", []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}, []*string{d.LockTable.TableArn()}, nil))
	role.AddToPrincipalPolicy(statement("Notify", []string{"sns:Publish"}, []*string{d.Topic.TopicArn()}, nil))
	d.StateMachineRole = role

	logs := awslogs.NewLogGroup(d.Construct, jsii.String("StateMachineLogs"), &awslogs.LogGroupProps{
		LogGroupName:  d.logGroupName(d.props.StateMachineName),
		Retention:     d.props.LogRetention,
		RemovalPolicy: d.props.RemovalPolicy,
	})
	d.StateMachine = newStateMachine(d, "StateMachine", d.props.StateMachineName, statemachine.Definition, d.substitutions(), role, logs)
}

// newStateMachine is a standard state machine of an inlined definition, traced, logging at level ALL without
// execution data.
func newStateMachine(d *Deployer, id, name, definition string, subs map[string]*string, role awsiam.Role, logs awslogs.LogGroup) awsstepfunctions.StateMachine {
	return awsstepfunctions.NewStateMachine(d.Construct, jsii.String(id), &awsstepfunctions.StateMachineProps{
		StateMachineName:        jsii.String(name),
		StateMachineType:        awsstepfunctions.StateMachineType_STANDARD,
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(definition)),
		DefinitionSubstitutions: &subs,
		Role:                    role,
		TracingEnabled:          jsii.Bool(true),
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logs,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(false),
		},
	})
}

// SweeperSuffix follows the deployer's state machine's name in the sweeper's.
const SweeperSuffix = "-sweep"

// addSweeper adds the sweeper (statemachine.Sweeper): on a schedule and on the deployer's stopped runs' status
// events (addTriggers), it calls the create-stack function's sweep. Its role may invoke that function only; it
// logs and traces as the deployer's state machine does. Its input is not read.
func (d *Deployer) addSweeper() {
	role := awsiam.NewRole(d.Construct, jsii.String("SweeperRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("states.amazonaws.com"), nil),
		Description: jsii.String("bluegreen sweeper state machine"),
	})
	role.AddToPrincipalPolicy(statement("InvokeCreateStack", []string{"lambda:InvokeFunction"}, []*string{d.Functions["createstack"].FunctionArn()}, nil))
	d.SweeperRole = role
	name := d.props.StateMachineName + SweeperSuffix
	logs := awslogs.NewLogGroup(d.Construct, jsii.String("SweeperLogs"), &awslogs.LogGroupProps{
		LogGroupName:  d.logGroupName(name),
		Retention:     d.props.LogRetention,
		RemovalPolicy: d.props.RemovalPolicy,
	})
	subs := map[string]*string{
		statemachine.CreateStackFunction: d.Functions["createstack"].FunctionArn(),
		statemachine.StateMachine:        d.StateMachine.StateMachineArn(),
	}
	d.Sweeper = newStateMachine(d, "Sweeper", name, statemachine.SweepDefinition, subs, role, logs)
}

// StateMachineLogPrefix starts the state machine's log group name. Step Functions adds every log group it delivers
// to to the account's CloudWatch Logs resource policy, which is limited to 5,120 characters; for log groups under
// /aws/vendedlogs/ CloudWatch Logs needs no entry of its own, so AWS advises the prefix
// (https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html).
const StateMachineLogPrefix = "/aws/vendedlogs/states/"

// logGroupName is a state machine's log group name, /aws/vendedlogs/states/<state machine name>-<first group of the
// stack's UUID>: the suffix keeps a log group retained from a deleted deployer stack from blocking a new one.
func (d *Deployer) logGroupName(stateMachine string) *string {
	uuid := awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), awscdk.Aws_STACK_ID(), nil))
	suffix := awscdk.Fn_Select(jsii.Number(0), awscdk.Fn_Split(jsii.String("-"), uuid, nil))
	return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(StateMachineLogPrefix + stateMachine + "-"), suffix})
}
