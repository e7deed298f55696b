package awsenv_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/bluegreen-aws/bluegreen/internal/awsenv"
)

func getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

func TestConfig(t *testing.T) {
	full := map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "session"}
	cfg, err := awsenv.Config(getenv(full))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "us-east-1" || cfg.BaseEndpoint != nil || cfg.Retryer == nil {
		t.Errorf("Config = region %q, endpoint %v, retryer set %v; want us-east-1, none, set", cfg.Region, cfg.BaseEndpoint, cfg.Retryer != nil)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKIDEXAMPLE" || creds.SecretAccessKey != "secret" || creds.SessionToken != "session" {
		t.Errorf("credentials = %+v, %v; want the environment's", creds, err)
	}
	if got := cfg.Retryer().MaxAttempts(); got != awsenv.MaxAttempts {
		t.Errorf("retryer MaxAttempts = %d, want %d", got, awsenv.MaxAttempts)
	}

	local := map[string]string{"AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}
	cfg, err = awsenv.Config(getenv(local))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" || aws.ToString(cfg.BaseEndpoint) != "http://127.0.0.1:4566" {
		t.Errorf("Config = region %q, endpoint %q; want eu-west-1 from AWS_DEFAULT_REGION and the local endpoint", cfg.Region, aws.ToString(cfg.BaseEndpoint))
	}

	for _, missing := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		env := map[string]string{}
		for k, v := range full {
			if k != missing {
				env[k] = v
			}
		}
		if _, err := awsenv.Config(getenv(env)); err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("Config without %s = %v, want an error naming it", missing, err)
		}
	}
}

func apiErr(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: code + " message"}
}

func responseErr(status int) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      errors.New("service said no"),
	}}
}

func TestTransient(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"throttling", apiErr("Throttling"), true},
		{"throttling exception, wrapped", fmt.Errorf("change records: %w", apiErr("ThrottlingException")), true},
		{"prior request not complete", apiErr("PriorRequestNotComplete"), true},
		{"service unavailable", apiErr("ServiceUnavailable"), true},
		{"internal failure", apiErr("InternalFailure"), true},
		{"HTTP 503", responseErr(503), true},
		{"HTTP 500, wrapped", fmt.Errorf("list stacks: %w", responseErr(500)), true},
		{"max attempts of throttling", &retry.MaxAttemptsError{Attempt: 5, Err: apiErr("Throttling")}, true},
		{"max attempts of a 502", fmt.Errorf("x: %w", &retry.MaxAttemptsError{Attempt: 5, Err: responseErr(502)}), true},
		{"max attempts of access denied", &retry.MaxAttemptsError{Attempt: 5, Err: apiErr("AccessDenied")}, false},
		{"access denied", apiErr("AccessDenied"), false},
		{"HTTP 403", responseErr(403), false},
		{"invalid change batch", &r53types.InvalidChangeBatch{Message: aws.String("Tried to create resource record set but it already exists")}, false},
		{"no such hosted zone", &r53types.NoSuchHostedZone{Message: aws.String("No hosted zone found")}, false},
		{"plain", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := awsenv.Transient(tt.err); got != tt.want {
				t.Errorf("Transient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestRetryerRetriesPriorRequestNotComplete(t *testing.T) {
	r := awsenv.NewRetryer()
	for _, code := range []string{"PriorRequestNotComplete", "Throttling", "ServiceUnavailable"} {
		if !r.IsErrorRetryable(apiErr(code)) {
			t.Errorf("the retryer does not retry %s", code)
		}
	}
	if r.IsErrorRetryable(apiErr("InvalidChangeBatch")) {
		t.Errorf("the retryer retries InvalidChangeBatch")
	}
}
