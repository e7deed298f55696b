package localdeploy

import (
	"time"

	"github.com/bluegreen-aws/bluegreen/internal/localaws/r53model"
)

// Route53Limits returns the local AWS's Route 53 model as the deployer meets Route 53 on AWS: the documented
// request-rate buckets and the assumed change-throughput bucket (r53model.Documented), metering only the five
// functions' calls (FunctionsAccessKey: the harness's set-up, its status reads and the bench's other records draw
// nothing), each accepted change PENDING for propagation, and its hosted zone refusing the next change batch with
// PriorRequestNotComplete for priorRequest (0: never). Put it in force from the start with localaws.Options.Route53
// (StartInProcess takes the options), or for a while with AWS.Gateway.SetRoute53; AWS.Reset restores the start's.
func Route53Limits(propagation, priorRequest time.Duration) *r53model.Config {
	cfg := r53model.Documented()
	cfg.Callers = []string{FunctionsAccessKey}
	cfg.Propagation, cfg.PriorRequest = propagation, priorRequest
	return &cfg
}
