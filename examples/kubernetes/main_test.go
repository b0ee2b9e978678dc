package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/promscaler/promscaler/amp/amptest"
	"github.com/promscaler/promscaler/scaler"
)

// sampleQuery is the query of scaler/testdata/sample-app.yaml.
const sampleQuery = `sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))`

// isolateAWS keeps the AWS SDK away from the machine's configuration and
// from the instance metadata service.
func isolateAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_ACCESS_KEY_ID", amptest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", amptest.SecretAccessKey)
}

// writeSample copies the sample ScaledObject and its TriggerAuthentication
// into a temporary directory, with serverAddress set to address. It returns
// the two paths.
func writeSample(t *testing.T, address string) []string {
	t.Helper()
	so, err := os.ReadFile("../../scaler/testdata/sample-app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ta, err := os.ReadFile("../../scaler/testdata/sample-app-ta.yaml")
	if err != nil {
		t.Fatal(err)
	}
	serverAddress := regexp.MustCompile(`(?m)^(\s*serverAddress:).*$`)
	if !serverAddress.Match(so) {
		t.Fatal("sample-app.yaml has no serverAddress line")
	}
	so = serverAddress.ReplaceAll(so, []byte("${1} "+address))

	dir := t.TempDir()
	paths := []string{filepath.Join(dir, "sample-app.yaml"), filepath.Join(dir, "sample-app-ta.yaml")}
	for i, data := range [][]byte{so, ta} {
		if err := os.WriteFile(paths[i], data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// newSampleServer returns a fake AMP workspace in the sample's region that
// returns value for the sample's query.
func newSampleServer(t *testing.T, value float64) *amptest.Server {
	t.Helper()
	srv := amptest.NewServer(t, amptest.Config{Region: "ap-northeast-2"})
	srv.SetResult(sampleQuery, value)
	return srv
}

func testEnvironment(client *fake.Clientset, srv *amptest.Server) environment {
	env := environment{client: client, clock: scaler.SystemClock{}, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if srv != nil {
		env.credentials = srv.Credentials()
	}
	return env
}

func TestRunScalesSampleApp(t *testing.T) {
	isolateAWS(t)
	srv := newSampleServer(t, 140)
	client := newFakeClient(newDeployment("default", "sample-app", 2, 2))
	var out bytes.Buffer

	opts := options{files: writeSample(t, srv.URL()), once: true, clusterAuthNamespace: "keda"}
	if err := run(context.Background(), &out, opts, testEnvironment(client, srv)); err != nil {
		t.Fatalf("run() error = %v\noutput:\n%s", err, out.String())
	}

	if got := specReplicas(t, client, "deployments", "default", "sample-app"); got != 3 {
		t.Errorf("spec.replicas = %d, want 3\noutput:\n%s", got, out.String())
	}
	if got := scaleUpdates(client, "deployments"); len(got) != 1 || got[0] != 3 {
		t.Errorf("scale updates = %v, want [3]", got)
	}
	if !strings.Contains(out.String(), "ceil(140 / 50) = 3") {
		t.Errorf("output lacks the HPA's arithmetic:\n%s", out.String())
	}
	requests := srv.Requests()
	if len(requests) != 1 || !requests[0].Verified {
		t.Errorf("workspace requests = %+v, want one signed query", requests)
	}
}

func TestRunDryRunWritesNothing(t *testing.T) {
	isolateAWS(t)
	srv := newSampleServer(t, 140)
	client := newFakeClient(newDeployment("default", "sample-app", 2, 2))
	var out bytes.Buffer

	opts := options{files: writeSample(t, srv.URL()), once: true, dryRun: true, clusterAuthNamespace: "keda"}
	if err := run(context.Background(), &out, opts, testEnvironment(client, srv)); err != nil {
		t.Fatalf("run() error = %v\noutput:\n%s", err, out.String())
	}
	t.Logf("output:\n%s", out.String())

	if got := specReplicas(t, client, "deployments", "default", "sample-app"); got != 2 {
		t.Errorf("spec.replicas = %d, want 2 unchanged", got)
	}
	if got := scaleUpdates(client, "deployments"); len(got) != 0 {
		t.Errorf("scale updates = %v, want none", got)
	}
	want := "dry run: Deployment default/sample-app would be set to 3 replicas; nothing was written"
	if !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
}

func TestRunNamespaceOverride(t *testing.T) {
	isolateAWS(t)
	srv := newSampleServer(t, 140)
	client := newFakeClient(newDeployment("prod", "sample-app", 2, 2))
	var out bytes.Buffer

	opts := options{files: writeSample(t, srv.URL()), namespace: "prod", once: true, clusterAuthNamespace: "keda"}
	if err := run(context.Background(), &out, opts, testEnvironment(client, srv)); err != nil {
		t.Fatalf("run() error = %v\noutput:\n%s", err, out.String())
	}

	if got := specReplicas(t, client, "deployments", "prod", "sample-app"); got != 3 {
		t.Errorf("spec.replicas in prod = %d, want 3", got)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	isolateAWS(t)
	srv := newSampleServer(t, 140)
	client := newFakeClient(newDeployment("default", "sample-app", 2, 2))
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	env := testEnvironment(client, srv)

	opts := options{files: writeSample(t, srv.URL()), clusterAuthNamespace: "keda"}
	s, _, err := buildScaler(ctx, &out, opts, env)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	// The first poll runs at once; the next is 60 s later.
	for specReplicas(t, client, "deployments", "default", "sample-app") != 3 {
		select {
		case err := <-done:
			t.Fatalf("Run() returned %v before the first scale", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()

	if err := <-done; err != nil {
		t.Errorf("Run() error = %v after cancel, want nil", err)
	}
}

// bearerServer is a Prometheus query API on 127.0.0.1 that returns value
// to requests with the bearer token and 401 to others.
func bearerServer(t *testing.T, token string, value float64) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, `{"status":"error","errorType":"unauthorized","error":"missing token"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"%g"]}]}}`, value)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// bearerObject is a ScaledObject whose TriggerAuthentication reads a bearer
// token from the secret prom-token, or from a ClusterTriggerAuthentication
// when kind is ClusterTriggerAuthentication.
func bearerObject(address, kind string) string {
	return fmt.Sprintf(`apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: web
  namespace: shop
spec:
  scaleTargetRef:
    kind: StatefulSet
    name: web
  minReplicaCount: 1
  triggers:
  - type: prometheus
    metadata:
      serverAddress: %s
      query: sum(rate(http_requests_total[2m]))
      threshold: "10"
      authModes: bearer
    authenticationRef:
      name: prom-auth
      kind: %s
---
apiVersion: keda.sh/v1alpha1
kind: %s
metadata:
  name: prom-auth
spec:
  secretTargetRef:
  - parameter: bearerToken
    name: prom-token
    key: token
`, address, kind, kind)
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scaledobject.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func tokenSecret(namespace string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "prom-token", Namespace: namespace},
		Data:       map[string][]byte{"token": []byte("s3cr3t-token")},
	}
}

func TestRunReadsSecrets(t *testing.T) {
	tests := []struct {
		name            string
		kind            string
		secretNamespace string
	}{
		{"secret: TriggerAuthentication in object namespace", "TriggerAuthentication", "shop"},
		{"secret: ClusterTriggerAuthentication in keda", "ClusterTriggerAuthentication", "keda"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := bearerServer(t, "s3cr3t-token", 35)
			client := newFakeClient(newStatefulSet("shop", "web", 2, 2), tokenSecret(tt.secretNamespace))
			var out bytes.Buffer

			opts := options{files: []string{writeFile(t, bearerObject(srv.URL, tt.kind))}, once: true, clusterAuthNamespace: "keda"}
			if err := run(context.Background(), &out, opts, testEnvironment(client, nil)); err != nil {
				t.Fatalf("run() error = %v\noutput:\n%s", err, out.String())
			}

			// ceil(35 / 10) = 4
			if got := specReplicas(t, client, "statefulsets", "shop", "web"); got != 4 {
				t.Errorf("spec.replicas = %d, want 4\noutput:\n%s", got, out.String())
			}
		})
	}
}

func TestRunMissingSecret(t *testing.T) {
	srv := bearerServer(t, "s3cr3t-token", 35)
	// The secret is in the wrong namespace.
	client := newFakeClient(newStatefulSet("shop", "web", 2, 2), tokenSecret("default"))

	opts := options{files: []string{writeFile(t, bearerObject(srv.URL, "TriggerAuthentication"))}, once: true, clusterAuthNamespace: "keda"}
	err := run(context.Background(), io.Discard, opts, testEnvironment(client, nil))
	want := "secret shop/prom-token, which TriggerAuthentication shop/prom-auth reads, not found; create it or fix secretTargetRef"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("run() error = %v, want it to contain %q", err, want)
	}
}

func TestRunUnsupportedKind(t *testing.T) {
	srv := bearerServer(t, "s3cr3t-token", 35)
	text := strings.Replace(bearerObject(srv.URL, "TriggerAuthentication"), "kind: StatefulSet", "apiVersion: argoproj.io/v1alpha1\n    kind: Rollout", 1)
	client := newFakeClient(tokenSecret("shop"))

	opts := options{files: []string{writeFile(t, text)}, once: true, clusterAuthNamespace: "keda"}
	err := run(context.Background(), io.Discard, opts, testEnvironment(client, nil))
	want := "scaleTargetRef argoproj.io/v1alpha1 Rollout is not supported; use an apps/v1 Deployment or StatefulSet"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("run() error = %v, want it to contain %q", err, want)
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    options
		wantErr string
	}{
		{"accept: two files and dry run",
			[]string{"-f", "a.yaml", "-f", "b.yaml", "-dry-run", "-once", "-namespace", "prod"},
			options{files: []string{"a.yaml", "b.yaml"}, namespace: "prod", clusterAuthNamespace: "keda", once: true, dryRun: true}, ""},
		{"reject: missing -f", []string{"-once"}, options{}, "-f is missing"},
		{"reject: bare argument", []string{"-f", "a.yaml", "b.yaml"}, options{}, `unexpected argument "b.yaml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(io.Discard, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("parseFlags() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseFlags() error = %v", err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("parseFlags() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// clusterAuthentication is a TriggerAuthentication as the API server
// returns it, with fields that a file would not have.
func clusterAuthentication() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "keda.sh/v1alpha1",
		"kind":       "TriggerAuthentication",
		"metadata": map[string]any{
			"name":            "prom-auth",
			"namespace":       "shop",
			"uid":             "0b4c3a52-5d2e-4d0c-9a57-1f8a3c2f4e10",
			"resourceVersion": "4711",
			"managedFields":   []any{map[string]any{"manager": "kubectl", "operation": "Apply"}},
		},
		"spec": map[string]any{
			"secretTargetRef": []any{map[string]any{"parameter": "bearerToken", "name": "prom-token", "key": "token"}},
		},
		"status": map[string]any{"scaledobjects": "web"},
	}}
}

// withoutAuthentication returns the ScaledObject document of text alone.
func withoutAuthentication(text string) string {
	return text[:strings.Index(text, "\n---\n")]
}

func TestRunFetchesAuthentication(t *testing.T) {
	srv := bearerServer(t, "s3cr3t-token", 35)
	client := newFakeClient(newStatefulSet("shop", "web", 2, 2), tokenSecret("shop"))
	env := testEnvironment(client, nil)
	env.dynamicClient = dynamicfake.NewSimpleDynamicClient(runtime.NewScheme(), clusterAuthentication())
	var out bytes.Buffer

	text := withoutAuthentication(bearerObject(srv.URL, "TriggerAuthentication"))
	opts := options{files: []string{writeFile(t, text)}, once: true, clusterAuthNamespace: "keda"}
	if err := run(context.Background(), &out, opts, env); err != nil {
		t.Fatalf("run() error = %v\noutput:\n%s", err, out.String())
	}

	if got := specReplicas(t, client, "statefulsets", "shop", "web"); got != 4 {
		t.Errorf("spec.replicas = %d, want 4\noutput:\n%s", got, out.String())
	}
}

func TestRunMissingAuthentication(t *testing.T) {
	srv := bearerServer(t, "s3cr3t-token", 35)
	client := newFakeClient(newStatefulSet("shop", "web", 2, 2), tokenSecret("shop"))
	env := testEnvironment(client, nil)
	env.dynamicClient = dynamicfake.NewSimpleDynamicClient(runtime.NewScheme())

	text := withoutAuthentication(bearerObject(srv.URL, "TriggerAuthentication"))
	opts := options{files: []string{writeFile(t, text)}, once: true, clusterAuthNamespace: "keda"}
	err := run(context.Background(), io.Discard, opts, env)
	want := "TriggerAuthentication shop/prom-auth not found in the -f files or in the cluster; add it to a file with -f"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("run() error = %v, want it to contain %q", err, want)
	}
}

func TestRunMainExitCodes(t *testing.T) {
	// No in-cluster service account and no kubeconfig.
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
	emptyConfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(emptyConfig, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"exit 0: help", []string{"-h"}, exitOK, "Exit codes:"},
		{"exit 2: unknown flag", []string{"-f", "a.yaml", "-bogus"}, exitCannotRun, "flag provided but not defined: -bogus"},
		{"exit 2: missing -f", []string{"-once"}, exitCannotRun, "-f is missing"},
		{"exit 2: no cluster configuration", []string{"-f", "a.yaml"}, exitCannotRun,
			"kubernetes: no cluster configuration found: the process is not in a cluster (no in-cluster service account), " +
				"and neither $KUBECONFIG nor ~/.kube/config names a cluster; give a kubeconfig file with -kubeconfig PATH or set $KUBECONFIG\n"},
		{"exit 2: missing kubeconfig file", []string{"-f", "a.yaml", "-kubeconfig", "/nonexistent/kubeconfig"}, exitCannotRun,
			"read kubeconfig /nonexistent/kubeconfig"},
		{"exit 2: empty kubeconfig file", []string{"-f", "a.yaml", "-kubeconfig", emptyConfig}, exitCannotRun,
			"kubeconfig " + emptyConfig + " names no cluster; give -kubeconfig a file with a cluster and a current context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			logger := slog.New(slog.NewTextHandler(io.Discard, nil))

			code := runMain(context.Background(), tt.args, &stdout, &stderr, logger)
			if code != tt.wantCode {
				t.Errorf("runMain(%q) = %d, want %d\nstderr:\n%s", tt.args, code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr.String())
			}
			if strings.Contains(stderr.String(), "KUBERNETES_MASTER") {
				t.Errorf("stderr names KUBERNETES_MASTER:\n%s", stderr.String())
			}
		})
	}
}

func TestRunErrorExitCodes(t *testing.T) {
	unsupported := func(address string) string {
		return strings.Replace(bearerObject(address, "TriggerAuthentication"), "kind: StatefulSet", "apiVersion: argoproj.io/v1alpha1\n    kind: Rollout", 1)
	}
	tests := []struct {
		name     string
		text     func(address string) string
		secret   bool
		files    []string
		wantCode int
	}{
		{"exit 0: poll scales", func(a string) string { return bearerObject(a, "TriggerAuthentication") }, true, nil, exitOK},
		{"exit 1: query rejected", func(a string) string { return bearerObject(a, "TriggerAuthentication") }, false, nil, exitFailed},
		{"exit 2: unsupported kind", unsupported, true, nil, exitCannotRun},
		{"exit 2: unreadable file", nil, true, []string{"/nonexistent/scaledobject.yaml"}, exitCannotRun},
		{"exit 2: load error", func(string) string { return "kind: ScaledObject\nspec: {triggers: 3}\n" }, true, nil, exitCannotRun},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := bearerServer(t, "s3cr3t-token", 35)
			secret := tokenSecret("shop")
			if !tt.secret {
				// The server rejects a wrong token with 401.
				secret.Data["token"] = []byte("wrong-token")
			}
			client := newFakeClient(newStatefulSet("shop", "web", 2, 2), secret)
			files := tt.files
			if tt.text != nil {
				files = []string{writeFile(t, tt.text(srv.URL))}
			}

			opts := options{files: files, once: true, clusterAuthNamespace: "keda"}
			err := run(context.Background(), io.Discard, opts, testEnvironment(client, nil))
			if got := exitCode(err); got != tt.wantCode {
				t.Errorf("exitCode(%v) = %d, want %d", err, got, tt.wantCode)
			}
		})
	}
}

// restoringObject is bearerObject on a Deployment with
// restoreToOriginalReplicaCount set.
func restoringObject(address string) string {
	text := bearerObject(address, "TriggerAuthentication")
	text = strings.Replace(text, "    kind: StatefulSet\n", "    kind: Deployment\n", 1)
	return strings.Replace(text, "  minReplicaCount: 1\n", "  minReplicaCount: 1\n  advanced:\n    restoreToOriginalReplicaCount: true\n", 1)
}

func TestRunRestoreRetriesConflict(t *testing.T) {
	srv := bearerServer(t, "s3cr3t-token", 35)
	client := newFakeClient(newDeployment("shop", "web", 2, 2), tokenSecret("shop"))
	// Another writer changes the workload just before the restore's
	// first update, the second scale update, so that update conflicts.
	updates := 0
	client.PrependReactor("update", "deployments", func(action k8stesting.Action) (bool, runtime.Object, error) {
		if action.GetSubresource() != "scale" {
			return false, nil, nil
		}
		updates++
		if updates == 2 {
			obj, err := client.Tracker().Get(action.GetResource(), "shop", "web")
			if err != nil {
				return true, nil, err
			}
			if err := bumpResourceVersion(obj); err != nil {
				return true, nil, err
			}
			if err := client.Tracker().Update(action.GetResource(), obj, "shop"); err != nil {
				return true, nil, err
			}
		}
		return false, nil, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	opts := options{files: []string{writeFile(t, restoringObject(srv.URL))}, clusterAuthNamespace: "keda"}
	s, _, err := buildScaler(ctx, io.Discard, opts, testEnvironment(client, nil))
	if err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { done <- runUntilDone(ctx, s) }()
	// ceil(35 / 10) = 4 at the first poll; the next is 60 s later.
	for specReplicas(t, client, "deployments", "shop", "web") != 4 {
		select {
		case err := <-done:
			t.Fatalf("runUntilDone() returned %v before the first scale", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()

	if err := <-done; err != nil {
		t.Errorf("runUntilDone() error = %v, want nil after the retried restore", err)
	}
	if got := specReplicas(t, client, "deployments", "shop", "web"); got != 2 {
		t.Errorf("spec.replicas = %d, want the original 2", got)
	}
	if got := scaleUpdates(client, "deployments"); len(got) != 3 {
		t.Errorf("scale updates = %v, want [4 2 2]: the poll, the conflict, the retry", got)
	}
}

func TestRunOnceChangedWorkloadFails(t *testing.T) {
	srv := bearerServer(t, "s3cr3t-token", 35)
	client := newFakeClient(newStatefulSet("shop", "web", 2, 2), tokenSecret("shop"))
	// Another writer scales the workload to 6 after the poll read it.
	changed := false
	client.PrependReactor("update", "statefulsets", func(action k8stesting.Action) (bool, runtime.Object, error) {
		if action.GetSubresource() != "scale" || changed {
			return false, nil, nil
		}
		changed = true
		obj, err := client.Tracker().Get(action.GetResource(), "shop", "web")
		if err != nil {
			return true, nil, err
		}
		if err := setSpecReplicas(obj, 6); err != nil {
			return true, nil, err
		}
		if err := bumpResourceVersion(obj); err != nil {
			return true, nil, err
		}
		return false, nil, client.Tracker().Update(action.GetResource(), obj, "shop")
	})
	var out bytes.Buffer

	opts := options{files: []string{writeFile(t, bearerObject(srv.URL, "TriggerAuthentication"))}, once: true, clusterAuthNamespace: "keda"}
	err := run(context.Background(), &out, opts, testEnvironment(client, nil))
	t.Logf("output:\n%s", out.String())

	if got := exitCode(err); got != exitFailed {
		t.Errorf("exitCode(%v) = %d, want %d", err, got, exitFailed)
	}
	want := "StatefulSet shop/web changed since it was read at 2 replicas, so it was not set to 4"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("run() error = %v, want it to contain %q", err, want)
	}
	if got := specReplicas(t, client, "statefulsets", "shop", "web"); got != 6 {
		t.Errorf("spec.replicas = %d, want 6 from the other writer", got)
	}
}
