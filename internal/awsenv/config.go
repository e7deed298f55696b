// Package awsenv is the AWS client environment the deployer's Lambdas share: an SDK configuration built from the
// variables Lambda sets (region, the execution role's credentials, and AWS_ENDPOINT_URL for the local AWS), and the
// retry policy — the SDK's adaptive retryer, which also retries Route 53's PriorRequestNotComplete — with the test
// that tells a transient failure (worth retrying later, by the state machine) from a terminal one.
//
// The configuration is built by hand rather than by config.LoadDefaultConfig, which links the SSO, SSO-OIDC, STS and
// sign-in clients into every binary (1.8 MB each) for credential sources a Lambda never uses: Lambda passes the
// role's credentials in environment variables, which LoadDefaultConfig would also read as static credentials.
package awsenv

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Config returns the SDK configuration of a Lambda from its environment (read through getenv, os.Getenv in the
// binaries): AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and, when set, AWS_ENDPOINT_URL.
func Config(getenv func(string) string) (aws.Config, error) {
	region, key, secret := getenv("AWS_REGION"), getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" || key == "" || secret == "" {
		return aws.Config{}, fmt.Errorf("AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them)")
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, getenv("AWS_SESSION_TOKEN")),
		Retryer:     NewRetryer,
	}
	if ep := getenv("AWS_ENDPOINT_URL"); ep != "" {
		cfg.BaseEndpoint = aws.String(ep)
	}
	return cfg, nil
}
