package bluegreen_test

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/bluegreen-aws/bluegreen/infra/bluegreen"
	"github.com/bluegreen-aws/bluegreen/internal/deploy"
)

// Another CDK app embeds the deployer in a stack of its own, validates its props first (for a clean message rather
// than a panic), then extends it: here an operator role that may start deployments.
func ExampleNewDeployer() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Platform"), nil)
	props := &bluegreen.DeployerProps{
		StateMachineName: "platform-releases",
		Apps: []bluegreen.AppProps{{
			Name:     "api",
			ZoneName: "example.com",
			Config: deploy.Config{
				HostedZoneID:   "Z0123456789EXAMPLE",
				Template:       deploy.Template{URL: "https://templates.s3.us-east-1.amazonaws.com/api/service.yaml"},
				ServiceRoleARN: "arn:aws:iam::123456789012:role/api-cloudformation",
			},
		}},
	}
	if err := props.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	d := bluegreen.NewDeployer(stack, "Releases", props)
	operators := awsiam.NewRole(stack, jsii.String("Operators"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewAccountRootPrincipal(),
	})
	d.StateMachine.GrantStartExecution(operators)
	app.Synth(nil)
}
