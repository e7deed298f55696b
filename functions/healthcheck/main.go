// Command healthcheck is the deployer's healthcheck Lambda. It only wires configuration and clients; the logic lives in
// internal/healthcheck.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/bluegreen-aws/bluegreen/internal/awsenv"
	"github.com/bluegreen-aws/bluegreen/internal/healthcheck"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
)

func main() {
	log := lambdacontext.NewLogger()
	cfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		log.Error("load the AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(healthcheck.FromConfig(cfg, invoke.EnvFrom(os.Getenv), log).Handle)
}
