// Package functions lists the deployer's five Lambdas and builds them from an AWS configuration, for the local AWS
// that serves them in-process (one build per instance, as Lambda initializes each execution environment). Each binary under functions/ builds only its own (so it links only the SDK
// clients it uses); both go through the same FromConfig of the function's package.
package functions

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/bluegreen-aws/bluegreen/internal/createstack"
	"github.com/bluegreen-aws/bluegreen/internal/healthcheck"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/rollback"
	"github.com/bluegreen-aws/bluegreen/internal/shiftweight"
	"github.com/bluegreen-aws/bluegreen/internal/switchover"
)

// Names lists the five functions, as their folders under functions/ are named.
var Names = []string{"createstack", "healthcheck", "shiftweight", "switch", "rollback"}

// builders maps each function to its FromConfig.
var builders = map[string]func(aws.Config, invoke.Env, *slog.Logger) *invoke.Function{
	"createstack": createstack.FromConfig,
	"healthcheck": healthcheck.FromConfig,
	"shiftweight": shiftweight.FromConfig,
	"switch":      switchover.FromConfig,
	"rollback":    rollback.FromConfig,
}

// New builds one function, with SDK clients of its own; false when no function has that name.
func New(name string, cfg aws.Config, env invoke.Env, log *slog.Logger) (*invoke.Function, bool) {
	build, ok := builders[name]
	if !ok {
		return nil, false
	}
	return build(cfg, env, log), true
}
