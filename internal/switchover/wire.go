package switchover

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/route53"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/failover"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
)

// FromConfig builds the function with SDK clients from cfg.
func FromConfig(cfg aws.Config, env invoke.Env, log *slog.Logger) *invoke.Function {
	r53 := route53.NewFromConfig(cfg)
	locks := applock.New(dynamodb.NewFromConfig(cfg), env.LockTable)
	return New(zone.NewOpener(r53, zone.Options{}), locks).WithHealthChecks(failover.New(r53)).Function(log)
}
