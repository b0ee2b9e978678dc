package realprom

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

// recordingTB records how a helper ends a test instead of ending it. The
// other methods, such as TempDir and Cleanup, act on the real test.
type recordingTB struct {
	testing.TB
	skipped bool
	failed  bool
	message string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped = true
	r.message = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recordingTB) Fatal(args ...any) {
	r.Fatalf("%s", fmt.Sprint(args...))
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.failed = true
	r.message = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// record runs fn with a recordingTB in a goroutine of its own, which Skipf
// and Fatalf end.
func record(t *testing.T, fn func(tb testing.TB)) *recordingTB {
	t.Helper()
	tb := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(tb)
	}()
	<-done
	return tb
}

// writeScript writes a shell script named name that exits at once into dir,
// with the mode mode, and returns its path.
func writeScript(t *testing.T, dir, name string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexit 0\n"), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeScriptText writes an executable script named name with the text
// text into dir and returns its path.
func writeScriptText(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBinaryLookupAndSkipRule(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the test binaries are shell scripts, which Windows cannot run")
	}
	dir := t.TempDir()
	executable := writeScript(t, dir, "prometheus-2.42", 0o755)
	notExecutable := writeScript(t, dir, "prometheus.yml", 0o644)
	pathDir := t.TempDir()
	onPath := writeScript(t, pathDir, "prometheus", 0o755)
	emptyDir := t.TempDir()

	tests := []struct {
		name        string
		binary      string
		path        string
		require     string
		wantPath    string
		wantSkipped bool
		wantFailed  bool
		wantMessage []string
	}{
		{name: "finds: PROMETHEUS_BIN", binary: executable, path: emptyDir, wantPath: executable},
		{name: "finds: prometheus on PATH", path: pathDir, wantPath: onPath},
		{name: "finds: PROMETHEUS_BIN before PATH", binary: executable, path: pathDir, wantPath: executable},
		{
			name: "skips: PROMETHEUS_BIN missing", binary: "/nonexistent", path: pathDir, wantSkipped: true,
			wantMessage: []string{`PROMETHEUS_BIN="/nonexistent"`, "no such file", "apt-get install prometheus"},
		},
		{
			name: "skips: PROMETHEUS_BIN not executable", binary: notExecutable, path: pathDir, wantSkipped: true,
			wantMessage: []string{"permission denied", "set PROMETHEUS_BIN to the path of a prometheus binary"},
		},
		{
			name: "skips: nothing on PATH", path: emptyDir, wantSkipped: true,
			wantMessage: []string{"no prometheus binary on PATH", "apt-get install prometheus", "set PROMETHEUS_BIN"},
		},
		{
			name: "fails: missing and required", binary: "/nonexistent", path: pathDir, require: "1", wantFailed: true,
			wantMessage: []string{`PROMETHEUS_BIN="/nonexistent"`, `PROMSCALER_REQUIRE_PROMETHEUS="1"`, "fails the test"},
		},
		{
			name: "fails: nothing on PATH and required", path: emptyDir, require: "true", wantFailed: true,
			wantMessage: []string{"apt-get install prometheus", "PROMSCALER_REQUIRE_PROMETHEUS"},
		},
		{name: "finds: required and present", path: pathDir, require: "1", wantPath: onPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(BinaryEnv, tt.binary)
			t.Setenv("PATH", tt.path)
			t.Setenv(RequireEnv, tt.require)

			var path string
			tb := record(t, func(tb testing.TB) { path = Binary(tb) })

			assert.Equal(t, tt.wantPath, path)
			assert.Equal(t, tt.wantSkipped, tb.skipped, "skipped; message %q", tb.message)
			assert.Equal(t, tt.wantFailed, tb.failed, "failed; message %q", tb.message)
			for _, want := range tt.wantMessage {
				assert.Contains(t, tb.message, want)
			}
		})
	}
}
