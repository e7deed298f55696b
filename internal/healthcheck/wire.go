package healthcheck

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/bluegreen-aws/bluegreen/internal/health"
	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/lbaddr"
	"github.com/bluegreen-aws/bluegreen/internal/stacks"
)

var _ health.AddressMap = (*lbaddr.Client)(nil)

// FromConfig builds the function with SDK clients from cfg. Against a local emulator CloudWatch speaks the query
// protocol, which the emulator understands, instead of the SDK's default CBOR; and where the local AWS serves the
// load balancers (env.LocalLoadBalancers), the probes ask it where a load balancer listens instead of DNS.
func FromConfig(cfg aws.Config, env invoke.Env, log *slog.Logger) *invoke.Function {
	elb := elasticloadbalancingv2.NewFromConfig(cfg)
	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		if env.LocalEndpoint {
			o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
		}
	})
	opts := []health.Option{health.WithMetrics(cw)}
	if env.LocalLoadBalancers && cfg.BaseEndpoint != nil {
		opts = append(opts, health.WithAddressMap(lbaddr.NewClient(*cfg.BaseEndpoint)))
	}
	return New(health.NewChecker(elb, cw, opts...), stacks.New(cloudformation.NewFromConfig(cfg), elb), env.LocalEndpoint).Function(log)
}
