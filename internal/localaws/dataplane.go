package localaws

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/dataplane"
)

// startDataPlane starts the local Route 53 data plane: it reads the zones and health checks from moto itself
// (motoURL: no Route 53 model, no request log) and the load balancers' target health through the gateway, signed
// with dataplane.AccessKey, which the gateway passes quietly.
func startDataPlane(motoURL, gatewayURL string, opts dataplane.Options) (*dataplane.Server, error) {
	cfg := func(endpoint string) aws.Config {
		return aws.Config{
			Region:       Region,
			Credentials:  credentials.NewStaticCredentialsProvider(dataplane.AccessKey, "localaws", ""),
			BaseEndpoint: aws.String(endpoint),
		}
	}
	return dataplane.Start(dataplane.Config{
		Options: opts,
		Route53: route53.NewFromConfig(cfg(motoURL)),
		ELB:     elbv2.NewFromConfig(cfg(gatewayURL)),
	})
}
