package localaws

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// BuildBootstraps builds ./functions/<name> of the module in moduleDir, for each name,
// into outDir/<name>/bootstrap, for the host's architecture: these machines run the
// host build under aws-lambda-rie, while AWS gets the linux/arm64 build.
func BuildBootstraps(ctx context.Context, moduleDir, outDir string, names []string) error {
	goTool, err := findGo()
	if err != nil {
		return err
	}
	for _, name := range names {
		out, err := filepath.Abs(filepath.Join(outDir, name, "bootstrap"))
		if err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, goTool, "build", "-tags", "lambda.norpc", "-trimpath",
			"-buildvcs=false", "-o", out, "./functions/"+name)
		cmd.Dir = moduleDir
		cmd.Env = append(withoutVars(os.Environ(), "CGO_ENABLED", "GOOS", "GOARCH"),
			"CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build function %s in %s: %w\n%s", name, moduleDir, err, strings.TrimSpace(stderr.String()))
		}
	}
	return nil
}

// findGo finds the go command: on PATH, else in $GOROOT/bin or /usr/local/go/bin
// (a bare environment has no Go on PATH).
func findGo() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	candidates := []string{"/usr/local/go/bin/go"}
	if r := os.Getenv("GOROOT"); r != "" {
		candidates = append([]string{filepath.Join(r, "bin", "go")}, candidates...)
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("go command not found on PATH nor in %s", strings.Join(candidates, ", "))
}
