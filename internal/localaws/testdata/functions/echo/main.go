// Command echo is a test Lambda function for the local AWS: it answers its input and a
// few environment variables, or fails with a named error when asked to; it can take its
// time and say which process ran it (to tell the instances of a function apart).
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// BoomError is the named error the function returns when its input says "fail".
type BoomError struct{ Reason string }

func (e *BoomError) Error() string { return "boom: " + e.Reason }

type input struct {
	Fail        string `json:"fail,omitempty"`
	Value       string `json:"value,omitempty"`
	SleepMillis int    `json:"sleepMillis,omitempty"`
	PID         bool   `json:"pid,omitempty"`
}

type output struct {
	Echo     string `json:"echo"`
	Function string `json:"function"`
	Endpoint string `json:"endpoint"`
	Extra    string `json:"extra"`
	PID      int    `json:"pid,omitempty"`
}

func handle(ctx context.Context, in input) (output, error) {
	if in.Fail != "" {
		return output{}, &BoomError{Reason: in.Fail}
	}
	time.Sleep(time.Duration(in.SleepMillis) * time.Millisecond)
	fmt.Fprintln(os.Stderr, "echo handled", in.Value)
	out := output{
		Echo:     in.Value,
		Function: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
		Endpoint: os.Getenv("AWS_ENDPOINT_URL"),
		Extra:    os.Getenv("LOCALAWS_TEST_EXTRA"),
	}
	if in.PID {
		out.PID = os.Getpid()
	}
	return out, nil
}

func main() { lambda.Start(handle) }
