package realprom

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Environment variables that Binary reads.
const (
	// BinaryEnv names the prometheus binary to run. Empty means prometheus
	// on PATH.
	BinaryEnv = "PROMETHEUS_BIN"
	// RequireEnv, when not empty, turns a missing binary from a skipped
	// test into a failed one. CI sets it.
	RequireEnv = "PROMSCALER_REQUIRE_PROMETHEUS"
)

// ErrNoBinary is wrapped by the error of LookupBinary when no prometheus
// binary can be run.
var ErrNoBinary = errors.New("realprom: no prometheus binary")

// Binary returns the path of the prometheus binary that LookupBinary finds.
// Without one it skips the test, or fails it when RequireEnv is set.
func Binary(tb testing.TB) string {
	tb.Helper()
	path, err := LookupBinary()
	if err == nil {
		return path
	}

	if os.Getenv(RequireEnv) != "" {
		tb.Fatalf("%v\n%s=%q requires the integration tests to run, so a missing binary fails the test", err, RequireEnv, os.Getenv(RequireEnv))
	}
	tb.Skipf("%v", err)
	return ""
}

// LookupBinary returns the path of the prometheus binary: the value of
// BinaryEnv when set, else prometheus on PATH. The error wraps ErrNoBinary
// and names what to install or set.
func LookupBinary() (string, error) {
	if path := os.Getenv(BinaryEnv); path != "" {
		return checkExecutable(path)
	}

	path, err := exec.LookPath("prometheus")
	if err != nil {
		return "", fmt.Errorf("%w on PATH: install it (apt-get install prometheus) or set %s to its path", ErrNoBinary, BinaryEnv)
	}
	return path, nil
}

// checkExecutable returns the path of the executable that path names. A
// path without a slash is searched for on PATH.
func checkExecutable(path string) (string, error) {
	found, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Errorf("%w at %s=%q: %v; set %s to the path of a prometheus binary, or unset it to use prometheus on PATH (apt-get install prometheus)",
			ErrNoBinary, BinaryEnv, path, err, BinaryEnv)
	}
	return found, nil
}
