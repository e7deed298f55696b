package localaws_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/bluegreen-aws/bluegreen/internal/localaws"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/gateway"
	"github.com/bluegreen-aws/bluegreen/internal/localaws/localawstest"
)

// local is the local AWS the tests of this package share; each test resets it.
var local *localaws.AWS

// bootstrapDir holds the test bootstrap, testdata/functions/echo, built for the host.
var bootstrapDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "localaws-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bootstrapDir = filepath.Join(dir, "bootstraps")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := localaws.BuildBootstraps(ctx, "testdata", bootstrapDir, []string{"echo"}); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	return localawstest.Main(m, testOptions(), &local)
}

// testOptions serves "greet" in-process and "echo" (the test bootstrap) under aws-lambda-rie.
func testOptions() localaws.Options {
	return localaws.Options{
		Handlers:     map[string]gateway.Handler{"greet": lambda.NewHandler(greet)},
		BootstrapDir: bootstrapDir,
		FunctionEnv:  []string{"LOCALAWS_TEST_EXTRA=extra"},
	}
}

// BoomError is the named error greet returns when asked to fail.
type BoomError struct{ Reason string }

func (e *BoomError) Error() string { return "boom: " + e.Reason }

type greetInput struct {
	Fail  string `json:"fail,omitempty"`
	Value string `json:"value,omitempty"`
}

type greetOutput struct {
	Echo string `json:"echo"`
}

// greet is the in-process twin of testdata/functions/echo.
func greet(ctx context.Context, in greetInput) (greetOutput, error) {
	if in.Fail != "" {
		return greetOutput{}, &BoomError{Reason: in.Fail}
	}
	return greetOutput{Echo: in.Value}, nil
}
