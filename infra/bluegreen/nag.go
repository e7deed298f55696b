package bluegreen

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Reasons of the deliberate AwsSolutions-IAM5 (wildcard) findings. Each suppression names the exact findings it
// covers (appliesTo).
const (
	reasonXRay         = "xray:PutTraceSegments and xray:PutTelemetryRecords (added by the CDK for active tracing) have no resource-level permissions: AWS requires Resource *."
	reasonListStacks   = "cloudformation:ListStacks has no resource-level permissions; the function keeps only the app's stacks (by name) from the list."
	reasonELB          = "elasticloadbalancing:Describe* calls have no resource-level permissions: AWS requires Resource * (read-only: the stack's load balancer, target groups and target health)."
	reasonAlarms       = "cloudwatch:DescribeAlarms only returns composite alarms when scoped to * (read-only: the app's configured alarms)."
	reasonMetrics      = "cloudwatch:GetMetricData has no resource-level permissions: AWS requires Resource * (read-only: the stacks' load balancers' RequestCount, for the split verification)."
	reasonChange       = "route53:GetChange's resource is the change (change/<id>), whose id Route 53 assigns when the batch is sent: the waiter polls it. Read-only."
	reasonStacks       = "The stack names are exactly <app>-<6-character stack id> (IAM ?), one pattern per configured app; the trailing /* is the stack's UUID, assigned by CloudFormation."
	reasonExecutions   = "Executions of this state machine only (its fixed name); execution names are chosen per execution."
	reasonSFNLogsXRay  = "Added by the CDK for the state machine's logging (logs:*LogDelivery, Describe* on vended log deliveries) and tracing (xray:*): these actions have no resource-level permissions, AWS requires Resource *."
	reasonPipelineS3   = "Added by the CDK's CodePipeline grants: object-level actions on the pipeline's own artifact bucket (and the one source object), which CodePipeline uses to pass artifacts between actions."
	reasonPipelineExec = "Added by the CDK's StepFunctionInvokeAction: states:DescribeExecution on this state machine's executions named pipeline*, which the action starts and waits for."
	reasonVPCDescribe  = "ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets (the healthcheck function in its VPC) have no resource-level permissions: AWS requires Resource *."
	reasonHealthChecks = "route53:CreateHealthCheck and route53:ListHealthChecks (routing.failover with CNAME endpoints) have no resource-level permissions: AWS requires Resource *. The deployer finds its checks by their CallerReference."
	reasonDeleteChecks = "route53:DeleteHealthCheck on health checks (healthcheck/*): their ids are Route 53's choice, made when the deployer creates them; it deletes only the app's, found by their CallerReference, once no record refers to them."
	reasonENI          = "Lambda creates, deletes and re-addresses the healthcheck function's network interfaces with the function's role; their ids are Lambda's choice (network-interface/*). Creating one is limited to the configured subnets and security group."
)

// suppressNagFindings records, on each resource, the AwsSolutions findings that are deliberate, with the reason.
func (d *Deployer) suppressNagFindings() {
	change := "Resource::" + d.nagArn("route53", "change/*")
	executions := "Resource::" + d.nagArn("states", "execution:"+d.props.StateMachineName+":*")
	var stacks []string
	for _, a := range d.apps {
		stacks = append(stacks, "Resource::"+d.nagArn("cloudformation", "stack/"+a.stacks+"/*"))
	}
	star := "Resource::*"
	checks := d.healthCheckStatements(true) != nil
	withChecks := func(reason string, del bool, more ...*cdknag.NagPackSuppression) []*cdknag.NagPackSuppression {
		if !checks {
			return append(more, iam5(reason, star))
		}
		more = append(more, iam5(reason+" "+reasonHealthChecks, star))
		if del {
			more = append(more, iam5(reasonDeleteChecks, "Resource::"+d.nagArn("route53", "healthcheck/*")))
		}
		return more
	}
	suppress(d.Roles["createstack"], withChecks(reasonXRay+" "+reasonListStacks+" "+reasonELB, true,
		iam5(reasonChange, change),
		iam5(reasonExecutions, executions),
		iam5(reasonStacks, stacks...))...)
	healthStar := reasonXRay + " " + reasonELB + " " + reasonAlarms + " " + reasonMetrics
	healthFindings := []*cdknag.NagPackSuppression{iam5(reasonStacks, stacks...)}
	if d.props.HealthCheckVPC != nil {
		healthStar += " " + reasonVPCDescribe
		healthFindings = append(healthFindings, iam5(reasonENI, "Resource::"+d.nagArn("ec2", "network-interface/*")))
	}
	suppress(d.Roles["healthcheck"], append(healthFindings, iam5(healthStar, star))...)
	suppress(d.Roles["shiftweight"], withChecks(reasonXRay, false, iam5(reasonChange, change))...)
	suppress(d.Roles["switch"], withChecks(reasonXRay, false, iam5(reasonChange, change))...)
	suppress(d.Roles["rollback"], withChecks(reasonXRay, true, iam5(reasonChange, change), iam5(reasonStacks, stacks...))...)
	suppress(d.StateMachineRole, iam5(reasonSFNLogsXRay, star))
	suppress(d.SweeperRole, iam5(reasonSFNLogsXRay, star))
	if d.Pipeline != nil {
		suppress(d.Pipeline,
			iam5(reasonPipelineS3, "Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*", "Action::s3:DeleteObject*", "Action::s3:Abort*"),
			iam5regex(reasonPipelineS3, `/^Resource::<\w*PipelineArtifacts\w*\.Arn>\/\*$/g`),
			iam5regex(reasonPipelineExec, `/^Resource::arn:.*:execution:.*:pipeline\*$/g`))
	}
}

// nagArn is how cdk-nag prints an ARN built by Deployer.arn: pseudo parameters in angle brackets.
func (d *Deployer) nagArn(service, resource string) string {
	switch service {
	case "route53", "s3":
		return "arn:<AWS::Partition>:" + service + ":::" + resource
	}
	return "arn:<AWS::Partition>:" + service + ":<AWS::Region>:<AWS::AccountId>:" + resource
}

func iam5(reason string, appliesTo ...string) *cdknag.NagPackSuppression {
	var at []any
	for _, a := range appliesTo {
		at = append(at, a)
	}
	return &cdknag.NagPackSuppression{Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String(reason), AppliesTo: &at}
}

func iam5regex(reason, regex string) *cdknag.NagPackSuppression {
	at := []any{&cdknag.RegexAppliesTo{Regex: jsii.String(regex)}}
	return &cdknag.NagPackSuppression{Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String(reason), AppliesTo: &at}
}

// suppress adds the suppressions to a construct and its children (a role's default policy).
func suppress(c constructs.IConstruct, s ...*cdknag.NagPackSuppression) {
	cdknag.NagSuppressions_AddResourceSuppressions(c, &s, jsii.Bool(true))
}
