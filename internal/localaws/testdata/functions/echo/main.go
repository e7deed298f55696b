// Command echo is a test Lambda function for the local AWS: it answers its input and a
// few environment variables, or fails with a named error when asked to.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

// BoomError is the named error the function returns when its input says "fail".
type BoomError struct{ Reason string }

func (e *BoomError) Error() string { return "boom: " + e.Reason }

type input struct {
	Fail  string `json:"fail,omitempty"`
	Value string `json:"value,omitempty"`
}

type output struct {
	Echo     string `json:"echo"`
	Function string `json:"function"`
	Endpoint string `json:"endpoint"`
	Extra    string `json:"extra"`
}

func handle(ctx context.Context, in input) (output, error) {
	if in.Fail != "" {
		return output{}, &BoomError{Reason: in.Fail}
	}
	fmt.Fprintln(os.Stderr, "echo handled", in.Value)
	return output{
		Echo:     in.Value,
		Function: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
		Endpoint: os.Getenv("AWS_ENDPOINT_URL"),
		Extra:    os.Getenv("LOCALAWS_TEST_EXTRA"),
	}, nil
}

func main() { lambda.Start(handle) }
