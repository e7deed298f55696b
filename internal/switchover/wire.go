package switchover

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"

	"github.com/bluegreen-aws/bluegreen/internal/invoke"
	"github.com/bluegreen-aws/bluegreen/internal/zone"
)

// FromConfig builds the function with SDK clients from cfg.
func FromConfig(cfg aws.Config, _ invoke.Env, log *slog.Logger) *invoke.Function {
	return New(zone.NewOpener(route53.NewFromConfig(cfg), zone.Options{})).Function(log)
}
