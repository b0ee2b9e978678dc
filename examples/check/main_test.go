package main

import (
	"bytes"
	"context"
	"flag"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/prometheus/prometheus/model/labels"
	"go.uber.org/goleak"

	"github.com/promscaler/promscaler/internal/promserver"
	"github.com/promscaler/promscaler/sigv4"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata with the current output")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const sampleApp = "../../scaler/testdata/sample-app.yaml"

// evaluation is the time of every query in these tests.
var evaluation = time.Date(2025, 1, 22, 9, 1, 0, 0, time.UTC)

// result is the outcome of one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

func runCheck(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// compareGolden compares output with testdata/<name>.golden, or rewrites
// the file with -update.
func compareGolden(t *testing.T, name, output string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(output), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run go test ./examples/check -update to create it", err)
	}
	if output != string(want) {
		t.Errorf("output differs from %s (rerun with -update after checking it):\ngot:\n%s\nwant:\n%s", path, output, want)
	}
}

func TestCheckManifests(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		wantCode int
		golden   string
		want     []string
	}{
		{
			name:     "sample app: warnings only",
			file:     sampleApp,
			wantCode: exitOK,
			golden:   "sample-app",
			want:     []string{"warning[may-be-empty]", "= fix: sum(", `TriggerAuthentication "sample-app-ta"`, "Result: no problems, 4 warnings."},
		},
		{
			name:     "per-pod query: carets and fix",
			file:     "testdata/per-pod.yaml",
			wantCode: exitProblems,
			golden:   "per-pod",
			want:     []string{"spec.triggers[0].metadata.query", "error[one-value]", "| ^^^^", "= fix: sum(avg_over_time("},
		},
		{
			name:     "misspelled fields: paths",
			file:     "testdata/misspelled.yaml",
			wantCode: exitProblems,
			golden:   "misspelled",
			want:     []string{"spec.cooldownPeriods: unknown field; did you mean cooldownPeriod?", "spec.triggers[0].metadata.treshold"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCheck(t, "-f", tt.file)

			if got.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", got.code, tt.wantCode, got.stdout, got.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(got.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, got.stdout)
				}
			}
			compareGolden(t, tt.golden, got.stdout)
		})
	}
}

func TestCheckTwoObjects(t *testing.T) {
	data, err := os.ReadFile(sampleApp)
	if err != nil {
		t.Fatal(err)
	}
	second := bytes.ReplaceAll(data, []byte("name: sample-app-prometheus-scaler"), []byte("name: chat-prometheus-scaler"))
	second = bytes.Replace(second, []byte("[1m]))"), []byte("[1m])) or vector(0)"), 1)
	manifest := filepath.Join(t.TempDir(), "two.yaml")
	if err := os.WriteFile(manifest, slices.Concat(data, []byte("---\n"), second), 0o600); err != nil {
		t.Fatal(err)
	}

	got := runCheck(t, "-f", manifest)

	if got.code != exitOK {
		t.Errorf("exit code = %d, want %d\nstdout:\n%s", got.code, exitOK, got.stdout)
	}
	for _, want := range []string{
		": 2 ScaledObjects",
		"ScaledObject default/sample-app-prometheus-scaler",
		"ScaledObject default/chat-prometheus-scaler",
		"[1m])) or vector(0)\n    static check: returns one series",
	} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, got.stdout)
		}
	}
	if n := strings.Count(got.stdout, "warning[may-be-empty]"); n != 1 {
		t.Errorf("output has %d may-be-empty warnings, want 1, for the first object only:\n%s", n, got.stdout)
	}
}

func TestCannotRun(t *testing.T) {
	noRegion := writeManifest(t, "no-region.yaml", "      awsRegion: ap-northeast-2\n", "")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"-f", "testdata/absent.yaml"}, "failed to read the manifest"},
		{"no -f", nil, "-f is missing"},
		{"extra argument", []string{"-f", sampleApp, "other.yaml"}, `unexpected argument "other.yaml"`},
		{"negative replicas", []string{"-f", sampleApp, "-replicas", "-1"}, "-replicas -1 is out of range"},
		{"invalid time", []string{"-f", sampleApp, "-server", "http://127.0.0.1:1", "-time", "yesterday"}, `-time "yesterday" is not an RFC 3339 time`},
		{"sigv4 without server", []string{"-f", sampleApp, "-sigv4"}, "-sigv4 and -region apply only to the queries to -server"},
		{"region without sigv4", []string{"-f", sampleApp, "-server", "http://127.0.0.1:1", "-region", "us-east-1"}, "without -sigv4"},
		{"sigv4 without any region", []string{"-f", noRegion, "-server", "http://127.0.0.1:1", "-sigv4"}, "s0-prometheus of ScaledObject default/sample-app-prometheus-scaler has no awsRegion"},
		{"time without server", []string{"-f", sampleApp, "-time", "2025-01-22T09:01:00Z"}, "-time applies only to the queries to -server"},
		{"replicas without server", []string{"-f", sampleApp, "-replicas", "2"}, "-replicas applies only to the queries to -server"},
		{"server not a URL", []string{"-f", sampleApp, "-server", "127.0.0.1:9090"}, "not an http or https URL"},
		{"unknown flag", []string{"-f", sampleApp, "-verbose"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCheck(t, tt.args...)

			if got.code != exitCannot {
				t.Errorf("exit code = %d, want %d", got.code, exitCannot)
			}
			if !strings.Contains(got.stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, got.stderr)
			}
		})
	}
}

func TestSigV4WithoutCredentials(t *testing.T) {
	setStaticCredentials(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")

	got := runCheck(t, "-f", sampleApp, "-server", "http://127.0.0.1:1", "-sigv4")

	if got.code != exitCannot {
		t.Errorf("exit code = %d, want %d\nstdout:\n%s", got.code, exitCannot, got.stdout)
	}
	for _, want := range []string{"check: no AWS credentials to sign the queries to -server", "AWS_ACCESS_KEY_ID", "aws configure"} {
		if !strings.Contains(got.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, got.stderr)
		}
	}
	if got.stdout != "" {
		t.Errorf("stdout = %q, want nothing before the credentials exist", got.stdout)
	}
}

func TestMissingAuthentication(t *testing.T) {
	const taFile = "../../scaler/testdata/sample-app-ta.yaml"
	server := startServer(t, nil)
	at := evaluation.Format(time.RFC3339)
	tests := []struct {
		name    string
		args    []string
		want    []string
		notWant string
	}{
		{
			name: "one file: warning names it",
			args: []string{"-f", sampleApp},
			want: []string{`spec.triggers[0].authenticationRef: TriggerAuthentication "sample-app-ta" of namespace "default" is in none of the files`,
				"pass the file that defines it with another -f\n"},
		},
		{
			name:    "second file: no warning",
			args:    []string{"-f", sampleApp, "-f", taFile},
			want:    []string{sampleApp + ", " + taFile + ": 1 ScaledObject", "Result: no problems, 3 warnings."},
			notWant: "authenticationRef",
		},
		{
			name: "server unsigned: suggests sigv4",
			args: []string{"-f", sampleApp, "-server", server.URL(), "-time", at},
			want: []string{"sent unsigned, so add -sigv4 -region R if the server needs SigV4"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCheck(t, tt.args...)

			if got.code != exitOK {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", got.code, exitOK, got.stdout, got.stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(got.stdout, want) {
					t.Errorf("output lacks %q:\n%s", want, got.stdout)
				}
			}
			if tt.notWant != "" && strings.Contains(got.stdout, tt.notWant) {
				t.Errorf("output has %q:\n%s", tt.notWant, got.stdout)
			}
		})
	}
}

func TestUserText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plural: eleven replicas kept", "hold: the workload stays at 11 replicas", "hold: the workload stays at 11 replicas"},
		{"timeout: names the metadata key", "the attempt timed out after 3s, the limit that Config.Timeout sets on each attempt; raise Config.Timeout if the server needs longer",
			"the attempt timed out after 3s, the limit on each attempt that the trigger's timeout sets, in milliseconds; raise timeout if the server needs longer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := userText(tt.in); got != tt.want {
				t.Errorf("userText(%q) =\n%q, want\n%q", tt.in, got, tt.want)
			}
		})
	}
}

// writeManifest writes the sample app with old replaced by new to a
// temporary file and returns its path.
func writeManifest(t *testing.T, name, old, new string) string {
	t.Helper()
	data, err := os.ReadFile(sampleApp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s lacks %q", sampleApp, old)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHelpExitsZero(t *testing.T) {
	got := runCheck(t, "-help")

	if got.code != exitOK {
		t.Errorf("exit code = %d, want %d", got.code, exitOK)
	}
	for _, want := range []string{"Exit codes:", "server\n     that sent no response", "-replicas"} {
		if !strings.Contains(got.stderr, want) {
			t.Errorf("help lacks %q:\n%s", want, got.stderr)
		}
	}
}

// startServer serves two pods of the sample app at 70 connections each,
// sampled every 15 s in the minute before evaluation.
func startServer(t *testing.T, verifier *sigv4.Verifier) *promserver.Server {
	t.Helper()
	storage := promserver.NewStorage()
	for _, pod := range []string{"sample-app-7d9f-abcde", "sample-app-7d9f-fghij"} {
		series := labels.FromStrings("__name__", "websocket_active_connection_count",
			"app_kubernetes_io_name", "sample-app", "pod", pod)
		for at := evaluation.Add(-time.Minute); !at.After(evaluation); at = at.Add(15 * time.Second) {
			if err := storage.Append(series, at, 70); err != nil {
				t.Fatal(err)
			}
		}
	}
	server, err := promserver.Start(promserver.Config{Storage: storage, WorkspaceID: "ws-check", Verifier: verifier})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return server
}

func TestQueryServer(t *testing.T) {
	server := startServer(t, nil)

	got := runCheck(t, "-f", sampleApp, "-server", server.URL(), "-time", evaluation.Format(time.RFC3339), "-replicas", "2")

	if got.code != exitOK {
		t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", got.code, exitOK, got.stdout, got.stderr)
	}
	for _, want := range []string{
		"query at 2025-01-22T09:01:00Z against " + server.URL() + ", in place of each trigger's serverAddress (without authentication), from 2 replicas:",
		"s0-prometheus: value 140, threshold 50, activationThreshold 0: active; ceil(140 / 50) = 3",
		"replicas: 2 → 3 (HPA)",
	} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, got.stdout)
		}
	}
}

func TestQueryDefaultReplicas(t *testing.T) {
	server := startServer(t, nil)

	got := runCheck(t, "-f", sampleApp, "-server", server.URL(), "-time", evaluation.Format(time.RFC3339))

	if !strings.Contains(got.stdout, "from 1 replica:") {
		t.Errorf("output does not start at minReplicaCount 1:\n%s", got.stdout)
	}
	if !strings.Contains(got.stdout, "replicas: 1 → 3 (HPA)") {
		t.Errorf("output lacks the scale-up from 1 to 3:\n%s", got.stdout)
	}
}

func TestQuerySignedServer(t *testing.T) {
	setStaticCredentials(t)
	key := aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey}
	server := startServer(t, &sigv4.Verifier{Region: "ap-northeast-2", Service: sigv4.DefaultService, Credentials: []aws.Credentials{key}})

	args := []string{"-f", sampleApp, "-server", server.URL(), "-time", evaluation.Format(time.RFC3339), "-replicas", "2"}
	unsigned := runCheck(t, args...)
	signed := runCheck(t, append(args, "-sigv4", "-region", "ap-northeast-2")...)

	if unsigned.code != exitProblems {
		t.Errorf("unsigned: exit code = %d, want %d\nstdout:\n%s", unsigned.code, exitProblems, unsigned.stdout)
	}
	if !strings.Contains(unsigned.stdout, "the server requires SigV4: add -sigv4 -region R") {
		t.Errorf("unsigned: output lacks the advice to add -sigv4 -region R:\n%s", unsigned.stdout)
	}
	if signed.code != exitOK {
		t.Errorf("signed: exit code = %d, want %d\nstdout:\n%s", signed.code, exitOK, signed.stdout)
	}
	if !strings.Contains(signed.stdout, "ceil(140 / 50) = 3") {
		t.Errorf("signed: output lacks ceil(140 / 50) = 3:\n%s", signed.stdout)
	}
}

func TestQuerySignedForTriggerRegion(t *testing.T) {
	setStaticCredentials(t)
	key := aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey}
	server := startServer(t, &sigv4.Verifier{Region: "ap-northeast-2", Service: sigv4.DefaultService, Credentials: []aws.Credentials{key}})

	got := runCheck(t, "-f", sampleApp, "-server", server.URL(), "-time", evaluation.Format(time.RFC3339), "-replicas", "2", "-sigv4")

	if got.code != exitOK {
		t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", got.code, exitOK, got.stdout, got.stderr)
	}
	for _, want := range []string{"signed with SigV4 for each trigger's awsRegion", "ceil(140 / 50) = 3"} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, got.stdout)
		}
	}
}

func TestQueryRejectedByServer(t *testing.T) {
	server := startServer(t, nil)
	manifest := filepath.Join(t.TempDir(), "experimental.yaml")
	data, err := os.ReadFile(sampleApp)
	if err != nil {
		t.Fatal(err)
	}
	// The embedded server runs without experimental functions, as
	// Prometheus does by default, so it rejects mad_over_time.
	data = bytes.Replace(data, []byte("sum(avg_over_time("), []byte("sum(mad_over_time("), 1)
	if err := os.WriteFile(manifest, data, 0o600); err != nil {
		t.Fatal(err)
	}

	got := runCheck(t, "-f", manifest, "-server", server.URL(), "-time", evaluation.Format(time.RFC3339))

	if got.code != exitProblems {
		t.Errorf("exit code = %d, want %d\nstdout:\n%s", got.code, exitProblems, got.stdout)
	}
	for _, want := range []string{"warning[experimental]", "s0-prometheus: failed 1 time in a row", "stays at 1 replica\n", "replicas: 1 → 1 (Hold)"} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, got.stdout)
		}
	}
}

func TestQueryEmptyResultWithoutIgnore(t *testing.T) {
	server := startServer(t, nil)
	data, err := os.ReadFile(sampleApp)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte(`app_kubernetes_io_name="sample-app"`), []byte(`app_kubernetes_io_name="other-app"`), 1)
	data = bytes.Replace(data, []byte(`      threshold: "50"`), []byte("      threshold: \"50\"\n      ignoreNullValues: \"false\""), 1)
	manifest := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(manifest, data, 0o600); err != nil {
		t.Fatal(err)
	}

	got := runCheck(t, "-f", manifest, "-server", server.URL(), "-time", evaluation.Format(time.RFC3339))

	if got.code != exitProblems {
		t.Errorf("exit code = %d, want %d\nstdout:\n%s", got.code, exitProblems, got.stdout)
	}
	for _, want := range []string{"query returned no series", `set ignoreNullValues: "true" in the trigger's metadata to read it as 0`} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, got.stdout)
		}
	}
}

func TestQueryUnreachableServer(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := "http://" + listener.Addr().String()
	listener.Close()

	got := runCheck(t, "-f", sampleApp, "-server", address, "-time", evaluation.Format(time.RFC3339))

	if got.code != exitCannot {
		t.Errorf("exit code = %d, want %d\nstdout:\n%s", got.code, exitCannot, got.stdout)
	}
	if !strings.Contains(got.stdout, "Result: could not finish the check") {
		t.Errorf("output lacks the unfinished result:\n%s", got.stdout)
	}
}

// Static example credentials from the AWS documentation.
const (
	accessKeyID     = "AKIDEXAMPLE"
	secretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

// setStaticCredentials gives the AWS SDK's default chain static keys from
// the environment and nothing else to read, so it never calls the instance
// metadata service.
func setStaticCredentials(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_ACCESS_KEY_ID", accessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secretAccessKey)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
}
