package bluegreen

import (
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// Timeouts of the Lambdas, in seconds. The health check runs a series of spaced probes (planApp checks that an
// app's series fits); the others make a few calls and may wait for a Route 53 change to be INSYNC, returning a
// pending result before their deadline when it takes longer.
const (
	defaultTimeoutSeconds     = 120
	healthcheckTimeoutSeconds = 300
)

// functionIDs are the construct ids of the functions, by folder name.
var functionIDs = map[string]string{
	"createstack": "CreateStack",
	"healthcheck": "HealthCheck",
	"shiftweight": "ShiftWeight",
	"switch":      "Switch",
	"rollback":    "Rollback",
}

// functionDescriptions say what each function does, in the console.
var functionDescriptions = map[string]string{
	"createstack": "bluegreen: prepare, lock take-over, plan, create/check/publish/delete stacks, clean-up, sweep",
	"healthcheck": "bluegreen: health checks (HTTP probes, ELB target health, CloudWatch alarms)",
	"shiftweight": "bluegreen: weight steps and approval gates",
	"switch":      "bluegreen: the switch batch (weights and active TXT)",
	"rollback":    "bluegreen: rollback, manual rollback and reconcile batches",
}

// usesLockTable lists the functions that get LOCK_TABLE: every function that writes checks that its execution still
// holds the app's lock first (internal/applock); createstack takes locks over, shiftweight stores approval tokens.
var usesLockTable = map[string]bool{"createstack": true, "shiftweight": true, "switch": true, "rollback": true}

// addFunctions builds the five Lambdas, each with its log group and its role (rights added by grantFunctions).
func (d *Deployer) addFunctions() {
	p := d.props
	d.Functions = map[string]awslambda.Function{}
	d.Roles = map[string]awsiam.Role{}
	for _, name := range FunctionNames {
		id := functionIDs[name]
		logs := awslogs.NewLogGroup(d.Construct, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
			Retention:     p.LogRetention,
			RemovalPolicy: p.RemovalPolicy,
		})
		role := awsiam.NewRole(d.Construct, jsii.String(id+"Role"), &awsiam.RoleProps{
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
			Description: jsii.String("bluegreen " + name + " Lambda"),
		})
		env := map[string]*string{"CONFIG_PARAMETER_PREFIX": jsii.String(p.ConfigParameterPrefix)}
		if usesLockTable[name] {
			env["LOCK_TABLE"] = d.LockTable.TableName()
		}
		if name == "shiftweight" { // approval gates announce themselves on the topic
			env["NOTIFICATION_TOPIC"] = d.Topic.TopicArn()
		}
		timeout := float64(defaultTimeoutSeconds)
		if name == "healthcheck" {
			timeout = healthcheckTimeoutSeconds
		}
		dir, err := filepath.Abs(filepath.Join(p.AssetsDir, name))
		if err != nil {
			panic(err)
		}
		fn := awslambda.NewFunction(d.Construct, jsii.String(id), &awslambda.FunctionProps{
			Description:           jsii.String(functionDescriptions[name]),
			Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
			Architecture:          awslambda.Architecture_ARM_64(),
			Handler:               jsii.String("bootstrap"),
			Code:                  awslambda.Code_FromAsset(jsii.String(dir), nil),
			MemorySize:            jsii.Number(128),
			Timeout:               awscdk.Duration_Seconds(jsii.Number(timeout)),
			LoggingFormat:         awslambda.LoggingFormat_JSON,
			ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
			SystemLogLevelV2:      awslambda.SystemLogLevel_INFO,
			LogGroup:              logs,
			Tracing:               awslambda.Tracing_ACTIVE,
			Role:                  role,
			Environment:           &env,
		})
		if v := p.HealthCheckVPC; v != nil && name == "healthcheck" {
			fn.Node().DefaultChild().(awslambda.CfnFunction).SetVpcConfig(&awslambda.CfnFunction_VpcConfigProperty{
				SubnetIds:        jsii.Strings(v.SubnetIDs...),
				SecurityGroupIds: jsii.Strings(v.SecurityGroupID),
			})
		}
		logs.GrantWrite(role)
		d.Functions[name] = fn
		d.Roles[name] = role
	}
}
