package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"go.uber.org/goleak"

	"github.com/promscaler/promscaler/internal/promserver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// t0 is the first poll of the small replays.
var t0 = time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC)

// startLoadServer serves one pod of sample-app whose
// websocket_active_connection_count is totals[i] at t0 + i minutes. A
// negative total leaves that minute without a sample.
func startLoadServer(t *testing.T, totals []float64) string {
	t.Helper()
	storage := promserver.NewStorage()
	lset := labels.FromStrings("__name__", "websocket_active_connection_count", "app_kubernetes_io_name", "sample-app", "pod", "sample-app-0")
	for i, total := range totals {
		if total < 0 {
			continue
		}
		if err := storage.Append(lset, t0.Add(time.Duration(i)*time.Minute), total); err != nil {
			t.Fatal(err)
		}
	}
	server, err := promserver.Start(promserver.Config{Storage: storage, WorkspaceID: "ws-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return server.URL()
}

// runReplay runs the command with args and fails the test unless it exits
// with want. It returns stdout and stderr.
func runReplay(t *testing.T, want int, args ...string) (string, string) {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	var stdout, stderr bytes.Buffer
	if got := run(context.Background(), args, &stdout, &stderr, t0.Add(24*time.Hour)); got != want {
		t.Fatalf("run(%q) exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", args, got, want, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

// readCSV returns the rows of a CSV file, header first.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestRunRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	local := "http://127.0.0.1:1/workspaces/ws-none"
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"-bogus"}, "flag provided but not defined: -bogus"},
		{"extra argument", []string{"-server", local, "now"}, `unexpected argument "now"`},
		{"negative step", []string{"-step", "-5s"}, "-step -5s is negative"},
		{"negative replicas", []string{"-replicas", "-3"}, "-replicas -3 is negative"},
		{"start not a time", []string{"-server", local, "-start", "yesterday"}, `-start "yesterday" is neither an RFC 3339 time`},
		{"end before start", []string{"-server", local, "-start", "2025-01-22T10:00:00Z", "-end", "2025-01-22T09:00:00Z"},
			"-end 2025-01-22T09:00:00Z is not after -start 2025-01-22T10:00:00Z"},
		{"end equals start", []string{"-server", local, "-start", "2025-01-22T10:00:00Z", "-end", "2025-01-22T10:00:00Z"},
			"the end is excluded, so give an end after the start"},
		{"range too long", []string{"-server", local, "-start", "-800d", "-step", "60s"}, "shorten the range or raise -step"},
		{"placeholder server", []string{"-start", "-1h"}, "contains a placeholder; pass the server with -server URL"},
		{"threshold not a number", []string{"-server", local, "-threshold", "fifty"}, `replay: flag -threshold: "fifty" is not a number`},
		{"query from flag", []string{"-server", local, "-query", "foo"}, "replay: flag -query: may return more than one value"},
		{"server from url flag", []string{"-url", "ftp://x"}, `replay: flag -url: invalid server address "ftp://x"`},
		{"missing file", []string{"-f", filepath.Join(dir, "none.yaml")}, "-f: open"},
		{"second file", []string{"-f", "a.yaml", "-f", "b.yaml"}, `-f "b.yaml" follows -f "a.yaml", but replay reads one ScaledObject file`},
		{"chart not SVG", []string{"-chart", "out.png"}, `-chart "out.png": only SVG charts are written`},
		{"demo with server", []string{"-demo", "-server", local}, "-server cannot be combined with -demo, because the demo queries its own server"},
		{"demo with start", []string{"-demo", "-start", "-7d"}, "-start cannot be combined with -demo, because the demo replays a fixed day, 2025-01-22"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr := runReplay(t, exitCannotRun, c.args...)
			if !strings.HasPrefix(stderr, "replay: ") && !strings.HasPrefix(stderr, "flag provided") && !strings.HasPrefix(stderr, "invalid value") {
				t.Errorf("stderr = %q, want a message that starts with \"replay: \"", stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, c.want)
			}
		})
	}
}

func TestRunReportsUnreachableServer(t *testing.T) {
	_, stderr := runReplay(t, exitCannotRun, "-server", "http://127.0.0.1:1/workspaces/ws-none",
		"-start", "2025-01-22T09:00:00Z", "-end", "2025-01-22T09:05:00Z", "-timeout", "1s", "-csv", "", "-chart", "")
	if !strings.Contains(stderr, "replay: amp: query to http://127.0.0.1:1/workspaces/ws-none/api/v1/query_range failed") {
		t.Errorf("stderr = %q, want the failed range query", stderr)
	}
}

func TestRunReportsThresholdInFile(t *testing.T) {
	object := strings.Replace(string(defaultObject), `threshold: "50"`, `threshold: "fifty"`, 1)
	path := filepath.Join(t.TempDir(), "so.yaml")
	writeTestFile(t, path, object)

	_, stderr := runReplay(t, exitCannotRun, "-f", path, "-server", "http://127.0.0.1:1")
	if want := `spec.triggers[0].metadata.threshold: "fifty" is not a number`; !strings.Contains(stderr, want) {
		t.Errorf("stderr = %q, want it to contain %q", stderr, want)
	}
}

func TestRunReportsServerErrorResponse(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"query processing would load too many samples"}`)
	}))
	t.Cleanup(server.Close)

	_, stderr := runReplay(t, exitFailure, "-server", server.URL,
		"-start", minute(0), "-end", minute(1), "-csv", "", "-chart", "")
	if want := "query processing would load too many samples"; !strings.Contains(stderr, want) {
		t.Errorf("stderr = %q, want it to contain %q", stderr, want)
	}
}

func TestRunHelpListsExitCodes(t *testing.T) {
	_, stderr := runReplay(t, 0, "-h")
	for _, want := range []string{
		"Usage: replay",
		"Only the first trigger is replayed.",
		"to -end, excluded",
		"proposed_replicas (the HPA's proposal before the stabilization window",
		"  2  the replay could not run",
		"  -threshold value",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("help lacks %q:\n%s", want, stderr)
		}
	}
}
