package createstack

import (
	"log/slog"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/bluegreen-aws/bluegreen/internal/applock"
	"github.com/bluegreen-aws/bluegreen/internal/failover"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/stacks"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
)

// FromConfig builds the function with SDK clients from cfg.
func FromConfig(cfg aws.Config, env invoke.Env, log *slog.Logger) *invoke.Function {
	locks := applock.New(dynamodb.NewFromConfig(cfg), env.LockTable)
	r53 := route53.NewFromConfig(cfg)
	return New(Deps{
		Params:       ssm.NewFromConfig(cfg),
		Executions:   sfn.NewFromConfig(cfg),
		Locks:        locks,
		Guard:        locks.Held,
		Stacks:       stacks.New(cloudformation.NewFromConfig(cfg), elasticloadbalancingv2.NewFromConfig(cfg)),
		Zones:        zone.NewOpener(r53, zone.Options{}),
		Checks:       failover.New(r53),
		Reach:        failover.Reach{Resolver: net.DefaultResolver, Local: env.LocalEndpoint},
		ConfigPrefix: env.ConfigPrefix,
	}).Function(log)
}
