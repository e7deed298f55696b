package localaws_test

import (
	"strings"
	"testing"

	"github.com/bluegreen-aws/bluegreen/internal/localaws"
)

func TestFindPython(t *testing.T) {
	py, err := localaws.FindPython(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if py.MotoVersion == "" || !strings.HasPrefix(py.Path, "/") {
		t.Errorf("FindPython = %+v, want an absolute path and moto's version", py)
	}
}

// A Python without moto is refused, saying so: tests fail rather than skip.
func TestFindPythonWithoutMoto(t *testing.T) {
	t.Setenv("MOTO_PYTHON", "/usr/bin/python3") // Debian's Python has no moto
	_, err := localaws.FindPython(t.Context())
	if err == nil || !strings.Contains(err.Error(), "moto not found") || !strings.Contains(err.Error(), "/usr/bin/python3") {
		t.Errorf("FindPython with MOTO_PYTHON=/usr/bin/python3: %v, want a 'moto not found' error naming it", err)
	}
	if _, err := localaws.Start(t.Context(), localaws.Options{}); err == nil || !strings.Contains(err.Error(), "moto not found") {
		t.Errorf("Start without moto: %v, want a 'moto not found' error", err)
	}
}

func TestBuildBootstrapsReportsFailure(t *testing.T) {
	err := localaws.BuildBootstraps(t.Context(), "testdata", t.TempDir(), []string{"missing"})
	if err == nil || !strings.Contains(err.Error(), "build function missing") {
		t.Errorf("BuildBootstraps of a missing function: %v, want an error naming it", err)
	}
}
