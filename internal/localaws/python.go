package localaws

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Python is an interpreter that can import moto.
type Python struct {
	// Path is the interpreter itself (sys.executable), not a pyenv shim.
	Path string
	// MotoVersion is moto.__version__.
	MotoVersion string
}

// FindPython finds a Python that imports moto: $MOTO_PYTHON if set; else python3 on
// PATH; else pyenv's shims ($PYENV_ROOT, `pyenv root`, ~/.pyenv, /root/.pyenv), which a
// bare environment (env -i) does not have on PATH. It fails saying where it looked.
func FindPython(ctx context.Context) (Python, error) {
	var tried []string
	try := func(candidate string) (Python, bool) {
		tried = append(tried, candidate)
		return probePython(ctx, candidate)
	}
	if p := os.Getenv("MOTO_PYTHON"); p != "" {
		if py, ok := try(p); ok {
			return py, nil
		}
		return Python{}, fmt.Errorf("moto not found: MOTO_PYTHON=%s cannot import moto", p)
	}
	for _, c := range pythonCandidates(ctx) {
		if py, ok := try(c); ok {
			return py, nil
		}
	}
	return Python{}, fmt.Errorf("moto not found: no Python that can import moto among %s "+
		"(set MOTO_PYTHON to one that can)", strings.Join(tried, ", "))
}

// pythonCandidates lists the interpreters worth trying, in order, without duplicates.
func pythonCandidates(ctx context.Context) []string {
	var c []string
	if p, err := exec.LookPath("python3"); err == nil {
		c = append(c, p)
	}
	var roots []string
	if r := os.Getenv("PYENV_ROOT"); r != "" {
		roots = append(roots, r)
	}
	if out, err := exec.CommandContext(ctx, "pyenv", "root").Output(); err == nil {
		roots = append(roots, strings.TrimSpace(string(out)))
	}
	if home, err := os.UserHomeDir(); err == nil {
		roots = append(roots, filepath.Join(home, ".pyenv"))
	}
	roots = append(roots, "/root/.pyenv")
	for _, r := range roots {
		c = append(c, filepath.Join(r, "shims", "python3"))
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range c {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// probePython asks an interpreter for its real path and moto's version.
func probePython(ctx context.Context, candidate string) (Python, bool) {
	if _, err := os.Stat(candidate); err != nil && filepath.IsAbs(candidate) {
		return Python{}, false
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, candidate, "-c", "import sys, moto; print(sys.executable); print(moto.__version__)")
	out, err := cmd.Output()
	if err != nil {
		return Python{}, false
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		return Python{}, false
	}
	return Python{Path: lines[0], MotoVersion: lines[1]}, true
}
