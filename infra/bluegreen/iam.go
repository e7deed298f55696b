package bluegreen

import (
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// RecordTypes are the record types the deployer writes: A (alias) or CNAME per-stack and weighted records, TXT
// slot and active records.
var RecordTypes = []string{"A", "CNAME", "TXT"}

// Condition keys of Route 53's ChangeResourceRecordSets.
const (
	condRecordNames = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
	condRecordTypes = "route53:ChangeResourceRecordSetsRecordTypes"
	condActions     = "route53:ChangeResourceRecordSetsActions"
)

// ChangeActions are the only change actions the deployer sends: every write is a compare-and-swap (DELETE exactly as
// read, then CREATE), never an UPSERT.
var ChangeActions = []string{"CREATE", "DELETE"}

// WildcardActions are the only actions granted on Resource "*", each because AWS offers no resource-level
// permission for it (see the nag suppression reasons).
var WildcardActions = []string{
	"cloudformation:ListStacks",
	"elasticloadbalancing:DescribeLoadBalancers",
	"elasticloadbalancing:DescribeTargetGroups",
	"elasticloadbalancing:DescribeTargetHealth",
	"cloudwatch:DescribeAlarms",
	"cloudwatch:GetMetricData",
	// with DeployerProps.HealthCheckVPC only, for the healthcheck function's network interfaces
	"ec2:DescribeNetworkInterfaces",
	"ec2:DescribeSubnets",
	// with an app with routing.failover and CNAME endpoints only: its stacks' Route 53 health checks
	"route53:CreateHealthCheck",
	"route53:ListHealthChecks",
}

// grantFunctions gives each Lambda exactly the calls its code makes, on the apps' resources only.
func (d *Deployer) grantFunctions() {
	route53 := d.route53Statements()
	add := func(name string, statements ...awsiam.PolicyStatement) {
		for _, s := range statements {
			d.Roles[name].AddToPrincipalPolicy(s)
		}
	}
	// createstack: prepare (SSM, Route 53 GetHostedZone, states:DescribeExecution), lock take-over (DynamoDB,
	// states:DescribeExecution), plan (Route 53 list, CloudFormation list), create/status/publish/delete/clean-up
	// (CloudFormation, ELBv2 describe, Route 53 change), the sweep (DynamoDB Scan, states:DescribeExecution and
	// StartExecution of the deployer's state machine).
	add("createstack", d.paramStatement(), d.executionsStatement(), d.startReconcilesStatement(),
		statement("LockTable", []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Scan"}, []*string{d.LockTable.TableArn()}, nil))
	add("createstack", route53...)
	add("createstack", d.healthCheckStatements(true)...)
	add("createstack", d.createStackStatements()...)
	add("createstack", d.stackReadStatement("ReadStacks", "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents"),
		statement("ListStacks", []string{"cloudformation:ListStacks"}, star(), nil),
		statement("DescribeLoadBalancers", []string{"elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTargetGroups"}, star(), nil))
	if s := d.templateStatement(); s != nil {
		add("createstack", s)
	}
	// healthcheck: the stack's endpoint (CloudFormation outputs, its load balancer and target groups; the root cause
	// from its events when the stack failed, as a rollback's target may have), target health, alarms, and the load
	// balancers' RequestCount for the split verification (health.traffic).
	add("healthcheck", d.stackReadStatement("ReadStacks", "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents"),
		statement("DescribeTargets", []string{"elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth"}, star(), nil),
		statement("DescribeAlarms", []string{"cloudwatch:DescribeAlarms"}, star(), nil),
		statement("GetMetricData", []string{"cloudwatch:GetMetricData"}, star(), nil))
	if d.props.HealthCheckVPC != nil {
		add("healthcheck", d.networkInterfaceStatements()...)
	}
	// shiftweight: weight steps (Route 53), the step it records and the approval gate's token (DynamoDB).
	add("shiftweight", route53...)
	add("shiftweight", d.healthCheckStatements(false)...)
	add("shiftweight", statement("LockTable", []string{"dynamodb:GetItem", "dynamodb:UpdateItem"}, []*string{d.LockTable.TableArn()}, nil),
		statement("Notify", []string{"sns:Publish"}, []*string{d.Topic.TopicArn()}, nil))
	// switch: the switch batch; the lock check before it and the progress it records after it (conditional on
	// the lock).
	add("switch", route53...)
	add("switch", d.healthCheckStatements(false)...)
	add("switch", statement("LockTable", []string{"dynamodb:GetItem", "dynamodb:UpdateItem"}, []*string{d.LockTable.TableArn()}, nil))
	// rollback: restore, manual rollback and repair batches, the status of the stack it makes live again and (repair,
	// reconcile) the app's stacks; the lock check before a write.
	add("rollback", route53...)
	add("rollback", d.healthCheckStatements(true)...)
	add("rollback", statement("LockTable", []string{"dynamodb:GetItem"}, []*string{d.LockTable.TableArn()}, nil))
	add("rollback", d.stackReadStatement("ReadStacks", "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents"),
		statement("ListStacks", []string{"cloudformation:ListStacks"}, star(), nil))
}

// networkInterfaceStatements are what Lambda needs of the healthcheck function's own role to attach the function to
// its VPC: the actions of the AWS managed policy AWSLambdaVPCAccessExecutionRole but its logs rights (the function
// has those for its own log group), network interfaces created only in the configured subnets with the configured
// security group. Describing them has no resource-level permission; Lambda deletes and re-addresses the interfaces
// it made, whose ids it chooses.
func (d *Deployer) networkInterfaceStatements() []awsiam.PolicyStatement {
	v := d.props.HealthCheckVPC
	eni := d.arn("ec2", "network-interface", "*", awscdk.ArnFormat_SLASH_RESOURCE_NAME)
	create := []*string{eni, d.arn("ec2", "security-group", v.SecurityGroupID, awscdk.ArnFormat_SLASH_RESOURCE_NAME)}
	for _, id := range v.SubnetIDs {
		create = append(create, d.arn("ec2", "subnet", id, awscdk.ArnFormat_SLASH_RESOURCE_NAME))
	}
	return []awsiam.PolicyStatement{
		statement("CreateNetworkInterfaces", []string{"ec2:CreateNetworkInterface"}, create, nil),
		statement("ManageNetworkInterfaces", []string{"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}, []*string{eni}, nil),
		statement("DescribeNetworkInterfaces", []string{"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"}, star(), nil),
	}
}

// route53Statements allow reading the apps' hosted zones, waiting for changes, and changing only the apps' record
// names (exact names and the per-stack endpoint pattern) of the deployer's record types, zone by zone.
func (d *Deployer) route53Statements() []awsiam.PolicyStatement {
	ids, byZone := zones(d.apps)
	var zoneARNs []*string
	var out []awsiam.PolicyStatement
	for _, id := range ids {
		arn := d.arn("route53", "hostedzone", id, awscdk.ArnFormat_SLASH_RESOURCE_NAME)
		zoneARNs = append(zoneARNs, arn)
		var names []string
		for _, a := range byZone[id] {
			names = append(names, a.names()...)
		}
		out = append(out, statement("ChangeRecords"+id, []string{"route53:ChangeResourceRecordSets"}, []*string{arn}, map[string]any{
			"ForAllValues:StringLike":   map[string]any{condRecordNames: names},
			"ForAllValues:StringEquals": map[string]any{condRecordTypes: RecordTypes, condActions: ChangeActions},
		}))
	}
	out = append(out,
		statement("ReadZones", []string{"route53:GetHostedZone", "route53:ListResourceRecordSets"}, zoneARNs, nil),
		statement("GetChanges", []string{"route53:GetChange"}, []*string{d.arn("route53", "change", "*", awscdk.ArnFormat_SLASH_RESOURCE_NAME)}, nil))
	return out
}

// healthCheckStatements allow managing the Route 53 health checks of the stacks of apps with routing.failover and
// CNAME endpoints (none without such an app): CreateHealthCheck and ListHealthChecks have no resource-level
// permission (Resource *); DeleteHealthCheck is granted on health checks (healthcheck/*, their ids Route 53's
// choice), to the functions that delete them (withDelete: createstack's stack removal and clean-up, rollback's
// repair). The deployer never tags them: it finds them by their CallerReference.
func (d *Deployer) healthCheckStatements(withDelete bool) []awsiam.PolicyStatement {
	if !slices.ContainsFunc(d.apps, func(a *app) bool {
		return a.stored.Routing.Failover && a.stored.Endpoint.Type == deploy.EndpointCNAME
	}) {
		return nil
	}
	out := []awsiam.PolicyStatement{statement("HealthChecks", []string{"route53:CreateHealthCheck", "route53:ListHealthChecks"}, star(), nil)}
	if withDelete {
		out = append(out, statement("DeleteHealthChecks", []string{"route53:DeleteHealthCheck"}, []*string{d.arn("route53", "healthcheck", "*", awscdk.ArnFormat_SLASH_RESOURCE_NAME)}, nil))
	}
	return out
}

// createStackStatements allow creating each app's stacks only with its own service role, deleting the apps'
// stacks, and passing the apps' service roles to CloudFormation only.
func (d *Deployer) createStackStatements() []awsiam.PolicyStatement {
	var out []awsiam.PolicyStatement
	var roles []string
	for _, a := range d.apps {
		var cond map[string]any
		if r := a.roleARN(); r != "" {
			cond = map[string]any{"StringEquals": map[string]any{"cloudformation:RoleArn": r}}
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
		out = append(out, statement("CreateStacks"+a.Name, []string{"cloudformation:CreateStack"}, []*string{d.stackARN(a)}, cond))
	}
	out = append(out, d.stackReadStatement("DeleteStacks", "cloudformation:DeleteStack"))
	if len(roles) > 0 {
		slices.Sort(roles)
		out = append(out, statement("PassServiceRoles", []string{"iam:PassRole"}, *jsii.Strings(roles...), map[string]any{
			"StringEquals": map[string]any{"iam:PassedToService": "cloudformation.amazonaws.com"},
		}))
	}
	return out
}

// stackReadStatement allows actions on every app's stacks.
func (d *Deployer) stackReadStatement(sid string, actions ...string) awsiam.PolicyStatement {
	var arns []*string
	for _, a := range d.apps {
		arns = append(arns, d.stackARN(a))
	}
	return statement(sid, actions, arns, nil)
}

// stackARN matches the ARNs of an app's stacks: stack/<app>-??????/<uuid>.
func (d *Deployer) stackARN(a *app) *string {
	return d.arn("cloudformation", "stack", a.stacks+"/*", awscdk.ArnFormat_SLASH_RESOURCE_NAME)
}

// paramStatement allows reading the apps' configuration parameters.
func (d *Deployer) paramStatement() awsiam.PolicyStatement {
	var arns []*string
	for _, a := range d.apps {
		arns = append(arns, d.Parameters[a.Name].ParameterArn())
	}
	return statement("ReadConfig", []string{"ssm:GetParameter"}, arns, nil)
}

// executionsStatement allows describing the state machine's executions (a reconcile's stopped execution, a lock
// holder). The ARN is built from the fixed name, so the function does not depend on the state machine.
func (d *Deployer) executionsStatement() awsiam.PolicyStatement {
	arn := d.arn("states", "execution", d.props.StateMachineName+":*", awscdk.ArnFormat_COLON_RESOURCE_NAME)
	return statement("DescribeExecutions", []string{"states:DescribeExecution"}, []*string{arn}, nil)
}

// startReconcilesStatement allows starting executions of the deployer's state machine (the reconciles a sweep
// starts), by an ARN built from its fixed name: a reference would make the function depend on the state machine,
// which depends on the function.
func (d *Deployer) startReconcilesStatement() awsiam.PolicyStatement {
	arn := d.arn("states", "stateMachine", d.props.StateMachineName, awscdk.ArnFormat_COLON_RESOURCE_NAME)
	return statement("StartReconciles", []string{"states:StartExecution"}, []*string{arn}, nil)
}

// templateStatement allows reading the apps' S3 templates (CloudFormation reads a TemplateURL with the caller's
// rights), exactly the objects configured.
func (d *Deployer) templateStatement() awsiam.PolicyStatement {
	var arns []*string
	actions := []string{"s3:GetObject"}
	for _, a := range d.apps {
		if t := a.template; t != nil {
			arns = append(arns, d.arn("s3", t.Bucket, t.Key, awscdk.ArnFormat_SLASH_RESOURCE_NAME))
			if t.Versioned && !slices.Contains(actions, "s3:GetObjectVersion") {
				actions = append(actions, "s3:GetObjectVersion")
			}
		}
	}
	if len(arns) == 0 {
		return nil
	}
	return statement("ReadTemplates", actions, arns, nil)
}

// arn formats an ARN in the stack's partition, region and account (none for the global Route 53 and S3).
func (d *Deployer) arn(service, resource, name string, format awscdk.ArnFormat) *string {
	c := &awscdk.ArnComponents{Service: jsii.String(service), Resource: jsii.String(resource), ResourceName: jsii.String(name), ArnFormat: format}
	if service == "route53" || service == "s3" {
		c.Region, c.Account = jsii.String(""), jsii.String("")
	}
	return awscdk.Stack_Of(d.Construct).FormatArn(c)
}

func statement(sid string, actions []string, resources []*string, conditions map[string]any) awsiam.PolicyStatement {
	props := &awsiam.PolicyStatementProps{
		Sid:       jsii.String(sanitizeSid(sid)),
		Actions:   jsii.Strings(actions...),
		Resources: &resources,
	}
	if conditions != nil {
		props.Conditions = &conditions
	}
	return awsiam.NewPolicyStatement(props)
}

func star() []*string { return []*string{jsii.String("*")} }

// sanitizeSid keeps the letters and digits of s (a Sid allows no other characters).
func sanitizeSid(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
