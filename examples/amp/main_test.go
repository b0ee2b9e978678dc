package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/promscaler/promscaler/amp/amptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// isolateAWS makes the AWS SDK see only the given static keys: no profile,
// no web identity, no container credentials and no instance metadata, so
// that it never contacts a host. Empty keys leave the chain with nothing.
func isolateAWS(t *testing.T, accessKeyID, secretAccessKey string) {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"AWS_EC2_METADATA_DISABLED":              "true",
		"AWS_CONFIG_FILE":                        empty,
		"AWS_SHARED_CREDENTIALS_FILE":            empty,
		"AWS_ACCESS_KEY_ID":                      accessKeyID,
		"AWS_SECRET_ACCESS_KEY":                  secretAccessKey,
		"AWS_SESSION_TOKEN":                      "",
		"AWS_PROFILE":                            "",
		"AWS_REGION":                             "",
		"AWS_DEFAULT_REGION":                     "",
		"AWS_ROLE_ARN":                           "",
		"AWS_WEB_IDENTITY_TOKEN_FILE":            "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI":     "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "",
	}
	for name, value := range vars {
		t.Setenv(name, value)
	}
}

// newWorkspace starts a fake workspace whose default query returns 140.
func newWorkspace(t *testing.T) *amptest.Server {
	t.Helper()
	srv := amptest.NewServer(t, amptest.Config{})
	srv.SetResult(defaultQuery, 140)
	return srv
}

// noEnv is an environment without flag fallbacks.
func noEnv(string) string { return "" }

// result is the outcome of one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

func runCommand(t *testing.T, env func(string) string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, env, &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func TestRunOnce(t *testing.T) {
	srv := newWorkspace(t)
	isolateAWS(t, amptest.AccessKeyID, amptest.SecretAccessKey)

	got := runCommand(t, noEnv, "-url", srv.URL(), "-region", srv.Region(), "-once")

	if got.code != exitOK {
		t.Fatalf("exit code = %d, want %d\nstderr: %s", got.code, exitOK, got.stderr)
	}
	for _, want := range []string{"ceil(140 / 50) = 3", "desired replicas: 3 (current 2, DesiredWithinRange)"} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, got.stdout)
		}
	}
}

func TestRunFailures(t *testing.T) {
	tests := []struct {
		name       string
		key        string // AWS_ACCESS_KEY_ID
		secret     string // AWS_SECRET_ACCESS_KEY
		args       func(srv *amptest.Server) []string
		wantCode   int
		wantStderr []string
		wantSent   int // requests the workspace received
	}{
		{
			name: "403: wrong secret key", key: amptest.AccessKeyID, secret: "wrong-secret",
			args: func(srv *amptest.Server) []string {
				return []string{"-url", srv.URL(), "-region", srv.Region(), "-once"}
			},
			wantCode: exitFailed, wantSent: 1,
			wantStderr: []string{"status 403", "InvalidSignatureException", "aps:QueryMetrics", "us-east-1 is the workspace's region", "clock"},
		},
		{
			name: "cannot run: no credentials in chain",
			args: func(srv *amptest.Server) []string {
				return []string{"-url", srv.URL(), "-region", srv.Region(), "-once"}
			},
			wantCode: exitCannotRun,
			wantStderr: []string{"no AWS credentials", "AWS_ACCESS_KEY_ID", "AWS_WEB_IDENTITY_TOKEN_FILE",
				"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_PROFILE", "EC2 instance metadata"},
		},
		{
			name: "cannot run: no region for 127.0.0.1", key: amptest.AccessKeyID, secret: amptest.SecretAccessKey,
			args:       func(srv *amptest.Server) []string { return []string{"-url", srv.URL(), "-once"} },
			wantCode:   exitCannotRun,
			wantStderr: []string{"no region to sign for", "host 127.0.0.1:", "set -region"},
		},
		{
			name: "cannot run: multi-series query", key: amptest.AccessKeyID, secret: amptest.SecretAccessKey,
			args: func(srv *amptest.Server) []string {
				return []string{"-url", srv.URL(), "-region", srv.Region(), "-once", "-query", "rate(http_requests_total[5m])"}
			},
			wantCode:   exitCannotRun,
			wantStderr: []string{"one-value", "^", "cannot drive a trigger", "sum(rate(http_requests_total[5m]))"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newWorkspace(t)
			isolateAWS(t, tt.key, tt.secret)

			got := runCommand(t, noEnv, tt.args(srv)...)

			if got.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", got.code, tt.wantCode, got.stdout, got.stderr)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(got.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, got.stderr)
				}
			}
			if n := srv.Received(); n != tt.wantSent {
				t.Errorf("workspace received %d requests, want %d", n, tt.wantSent)
			}
		})
	}
}

// lineWriter collects output and reports each complete line.
type lineWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	onLine func(text string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if bytes.HasSuffix(p, []byte("\n")) {
		w.onLine(w.buf.String())
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestRunPollsUntilCanceled(t *testing.T) {
	srv := newWorkspace(t)
	isolateAWS(t, amptest.AccessKeyID, amptest.SecretAccessKey)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := &lineWriter{onLine: func(text string) {
		if strings.Count(text, "replicas 3 → 3") >= 1 {
			cancel()
		}
	}}
	var stderr bytes.Buffer

	code := run(ctx, []string{"-url", srv.URL(), "-region", srv.Region(), "-interval", "20ms"}, noEnv, stdout, &stderr)

	if code != exitOK {
		t.Fatalf("exit code = %d, want %d\nstderr: %s", code, exitOK, stderr.String())
	}
	text := stdout.String()
	for _, want := range []string{
		"s0-prometheus=140  replicas 2 → 3  DesiredWithinRange: ceil(140 / 50) = 3",
		"s0-prometheus=140  replicas 3 → 3  DesiredWithinRange",
		"no cluster changes",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("stdout lacks %q:\n%s", want, text)
		}
	}
}

func TestRunScaledObjectFile(t *testing.T) {
	tests := []struct {
		name       string
		files      []string // documents, one file each
		urlEnv     bool     // set AMP_WORKSPACE_URL to the workspace
		regionEnv  bool     // set AWS_REGION to the workspace's region
		wantCode   int
		wantStdout string
		wantStderr string
		wantSent   int
	}{
		{"object: one file with its authentication", []string{sampleObject + "---\n" + sampleAuth}, true, true,
			exitOK, "ceil(140 / 50) = 3", "", 1},
		{"object: authentication in a second file", []string{sampleObject, sampleAuth}, true, true,
			exitOK, "ceil(140 / 50) = 3", "", 1},
		{"object: unsigned trigger gets 403", []string{unsignedObject()}, true, true,
			exitFailed, "", "rejected an unsigned query with status 403", 1},
		{"object: authentication in no file", []string{sampleObject}, true, true,
			exitCannotRun, "", `"sample-app-ta" not found in namespace "default"; add it to the file after a --- line, or pass the file that defines it with another -f`, 0},
		{"object: placeholder workspace without -url", []string{sampleObject + "---\n" + sampleAuth}, false, true,
			exitCannotRun, "", "placeholder", 0},
		{"object: awsRegion signs a custom host", []string{regionObject(), sampleAuth}, true, false,
			exitOK, "ceil(140 / 50) = 3", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newWorkspace(t)
			isolateAWS(t, amptest.AccessKeyID, amptest.SecretAccessKey)
			args := []string{"-once"}
			for i, doc := range tt.files {
				file := filepath.Join(t.TempDir(), fmt.Sprintf("doc%d.yaml", i))
				if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "-f", file)
			}
			vars := map[string]string{}
			if tt.regionEnv {
				vars["AWS_REGION"] = srv.Region()
			}
			if tt.urlEnv {
				vars["AMP_WORKSPACE_URL"] = srv.URL()
			}

			got := runCommand(t, func(name string) string { return vars[name] }, args...)

			if got.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", got.code, tt.wantCode, got.stdout, got.stderr)
			}
			if !strings.Contains(got.stdout, tt.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantStdout, got.stdout)
			}
			if !strings.Contains(got.stderr, tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, got.stderr)
			}
			if n := srv.Received(); n != tt.wantSent {
				t.Errorf("workspace received %d requests, want %d", n, tt.wantSent)
			}
		})
	}
}

// sampleObject is the sample-app ScaledObject, and sampleAuth its
// TriggerAuthentication. The workspace ID is a placeholder that -url or
// AMP_WORKSPACE_URL replaces.
const sampleObject = `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: sample-app-prometheus-scaler
  namespace: default
spec:
  scaleTargetRef:
    name: sample-app
  minReplicaCount: 1
  maxReplicaCount: 5
  pollingInterval: 60
  triggers:
  - type: prometheus
    authenticationRef:
      name: sample-app-ta
    metadata:
      serverAddress: https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-<WORKSPACE_ID>
      query: sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))
      threshold: "50"
      activationThreshold: "0"
      identityOwner: operator
`

// unsignedObject returns sampleObject without the settings that sign its
// queries.
func unsignedObject() string {
	return strings.NewReplacer("    authenticationRef:\n      name: sample-app-ta\n", "", "      identityOwner: operator\n", "").Replace(sampleObject)
}

// regionObject returns sampleObject with the awsRegion of the fake
// workspace.
func regionObject() string {
	return strings.Replace(sampleObject, "      identityOwner: operator\n",
		"      identityOwner: operator\n      awsRegion: "+amptest.DefaultRegion+"\n", 1)
}

const sampleAuth = `apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata:
  name: sample-app-ta
  namespace: default
spec:
  podIdentity:
    provider: aws
`

func TestUserText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plural: eleven replicas kept", "the workload stays at 11 replicas", "the workload stays at 11 replicas"},
		{"sigv4: names the manifest settings", "the server requires SigV4: set Config.SigV4 and Config.Region (or use an AMP workspace URL)",
			"the server requires SigV4: set identityOwner operator, podIdentity provider aws, or awsRoleArn on the trigger of the ScaledObject"},
		{"null values: names the metadata key", "query returned no series; append \"or vector(0)\" to the query or set IgnoreNullValues to read it as 0",
			"query returned no series; append \"or vector(0)\" to the query or set ignoreNullValues: \"true\" in the trigger's metadata to read it as 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := userText(tt.in); got != tt.want {
				t.Errorf("userText(%q) =\n%q, want\n%q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRunUsageErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"help: exits 0 and names the simulation", []string{"-help"}, exitOK, "nothing in any cluster changes"},
		{"usage: unknown flag", []string{"-nope"}, exitCannotRun, "flag provided but not defined: -nope"},
		{"usage: no workspace URL", []string{"-once"}, exitCannotRun, "no workspace URL; set -url or AMP_WORKSPACE_URL"},
		{"usage: -query beside -f", []string{"-f", "x.yaml", "-query", "sum(x)"}, exitCannotRun, "-query cannot be combined with -f"},
		{"usage: negative replicas", []string{"-url", "http://127.0.0.1:1", "-replicas", "-1"}, exitCannotRun, "-replicas -1 is negative"},
		{"usage: positional argument", []string{"-once", "extra"}, exitCannotRun, `unexpected argument "extra"`},
		{"region: -region differs from host", []string{"-url", "https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-1", "-region", "us-east-1"},
			exitCannotRun, `-region "us-east-1" differs from region "ap-northeast-2"`},
		{"url: query path after workspace ID", []string{"-url", "https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-1/api/v1/query", "-once"},
			exitCannotRun, "/api/v1/query"},
		{"url: not an absolute URL", []string{"-url", "aps-workspaces.ap-northeast-2.amazonaws.com", "-once"},
			exitCannotRun, "is not an absolute http or https URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateAWS(t, amptest.AccessKeyID, amptest.SecretAccessKey)

			got := runCommand(t, noEnv, tt.args...)

			if got.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstderr: %s", got.code, tt.wantCode, got.stderr)
			}
			if !strings.Contains(got.stderr, tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, got.stderr)
			}
		})
	}
}

func TestResolveRegion(t *testing.T) {
	tests := []struct {
		name    string
		flag    string
		host    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"flag: wins over environment", "eu-west-1", "127.0.0.1:9090", map[string]string{"AWS_REGION": "us-east-1"}, "eu-west-1", ""},
		{"host: wins over environment", "", "aps-workspaces.ap-northeast-2.amazonaws.com", map[string]string{"AWS_REGION": "us-east-1"}, "ap-northeast-2", ""},
		{"host: VPC endpoint name", "", "vpce-0abc.aps-workspaces.eu-central-1.vpce.amazonaws.com", nil, "eu-central-1", ""},
		{"environment: AWS_REGION", "", "prometheus.internal", map[string]string{"AWS_REGION": "us-west-2"}, "us-west-2", ""},
		{"environment: AWS_DEFAULT_REGION", "", "prometheus.internal", map[string]string{"AWS_DEFAULT_REGION": "us-west-1"}, "us-west-1", ""},
		{"error: malformed AWS_REGION", "", "prometheus.internal", map[string]string{"AWS_REGION": "US-EAST-1"}, "", "AWS_REGION"},
		{"error: flag differs from host", "us-east-1", "aps-workspaces.ap-northeast-2.amazonaws.com", nil, "", "differs from region"},
		{"error: nothing names a region", "", "127.0.0.1:9090", nil, "", "no region to sign for"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateAWS(t, "", "")
			env := func(name string) string { return tt.env[name] }

			got, err := resolveRegion(context.Background(), tt.flag, tt.host, env)

			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("resolveRegion() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("resolveRegion() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
