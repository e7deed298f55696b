// Command infra is the CDK app that deploys bluegreen: `cdk synth` (via cdk.json) runs it from the repository root.
//
// Context:
//   - apps: path of the apps file (default infra/apps.example.json), e.g. -c apps=apps.json: the apps and the
//     deployer-wide settings (healthCheckVpc)
//   - pipeline: "true" adds the example CodePipeline, e.g. -c pipeline=true
//   - pipelineApp: the app the example pipeline deploys (default the apps file's first app)
//   - assets: the folder holding the Lambda binaries (default build/functions, written by make build)
//   - stateMachineName: the state machine's name (default bluegreen)
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/bluegreen-aws/bluegreen/infra/bluegreen"
)

// defaultAppsFile is used when no apps file is given in context.
const defaultAppsFile = "infra/apps.example.json"

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	props, err := deployerProps(app)
	if err == nil {
		err = props.Validate()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bluegreen.NewBlueGreenStack(app, "BlueGreen", &bluegreen.BlueGreenStackProps{Deployer: props})
	app.Synth(nil)
}

// deployerProps reads the deployer's configuration from the app's context.
func deployerProps(app awscdk.App) (bluegreen.DeployerProps, error) {
	file, err := bluegreen.ReadAppsFile(contextString(app, "apps", defaultAppsFile))
	if err != nil {
		return bluegreen.DeployerProps{}, err
	}
	p := bluegreen.DeployerProps{
		Apps:             file.Apps,
		HealthCheckVPC:   file.HealthCheckVPC,
		AssetsDir:        contextString(app, "assets", ""),
		StateMachineName: contextString(app, "stateMachineName", ""),
	}
	switch v := contextString(app, "pipeline", "false"); v {
	case "true":
		p.Pipeline = &bluegreen.PipelineProps{App: contextString(app, "pipelineApp", "")}
	case "false":
	default:
		return p, fmt.Errorf("bluegreen: context pipeline=%q: want true or false", v)
	}
	return p, nil
}

// contextString returns a context value as a string (-c gives strings, cdk.json may give booleans), or def.
func contextString(app awscdk.App, key, def string) string {
	v := app.Node().TryGetContext(jsii.String(key))
	if v == nil {
		return def
	}
	return fmt.Sprint(v)
}
