// Package functions lists the deployer's five Lambdas and builds them all from one AWS configuration, for the local
// AWS that serves them in-process. Each binary under functions/ builds only its own (so it links only the SDK
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

// All builds every function, by name.
func All(cfg aws.Config, env invoke.Env, log *slog.Logger) map[string]*invoke.Function {
	fns := make(map[string]*invoke.Function, len(Names))
	for _, n := range Names {
		fns[n] = builders[n](cfg, env, log)
	}
	return fns
}
