package awsenv

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// MaxAttempts is how often one call is tried before its error reaches the caller.
const MaxAttempts = 5

// transientCodes are error codes that say "try again later", beyond the SDK's throttling codes.
var transientCodes = map[string]struct{}{
	"PriorRequestNotComplete": {}, // Route 53: the previous change to this zone is still being applied
	"ServiceUnavailable":      {},
	"InternalFailure":         {},
	"InternalError":           {},
}

// NewRetryer returns the retryer for a client: adaptive mode, MaxAttempts, and PriorRequestNotComplete retried and
// rate-limited like throttling.
func NewRetryer() aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.Throttles = append(o.Throttles, retry.ThrottleErrorCode{Codes: map[string]struct{}{"PriorRequestNotComplete": {}}})
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = MaxAttempts
			so.Retryables = append(so.Retryables, retry.RetryableErrorCode{Codes: transientCodes})
		})
	})
}

// Transient reports whether err is throttling, a service-side failure (HTTP 5xx) or a Route 53 change still in
// progress: the caller should retry later rather than give up.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) && coded.ErrorCode() == "LimitExceededException" {
		return false // a quota (CloudFormation's stack limit, say), though the SDK rate-limits on it
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary {
		return true
	}
	if errors.As(err, &coded) {
		if _, ok := transientCodes[coded.ErrorCode()]; ok {
			return true
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return true
	}
	var mae *retry.MaxAttemptsError
	return errors.As(err, &mae) && Transient(mae.Err)
}
