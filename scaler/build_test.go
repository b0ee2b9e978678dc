package scaler

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/amp/amptest"
	"github.com/promscaler/promscaler/hpa"
)

var buildT0 = time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC)

const realWorkspace = "https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-12345678-abcd-1234-abcd-123456789012"

// replicaTarget is a Target at a fixed count that records SetReplicas.
type replicaTarget struct {
	mu       sync.Mutex
	replicas int32
}

func (t *replicaTarget) Replicas(context.Context) (hpa.Replicas, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return hpa.Replicas{Current: t.replicas, Status: t.replicas, Ready: t.replicas}, nil
}

func (t *replicaTarget) SetReplicas(_ context.Context, replicas int32) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.replicas = replicas
	return nil
}

// sampleWithAddress returns the sample ScaledObject of testdata and its
// TriggerAuthentication as one YAML text, with the server address
// replaced.
func sampleWithAddress(t testing.TB, address string) []byte {
	t.Helper()
	object := strings.Replace(string(readTestdata(t, "sample-app.yaml")),
		"https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-<REDACTED_WORKSPACE_ID>", address, 1)
	return []byte(object + "---\n" + string(readTestdata(t, "sample-app-ta.yaml")))
}

// staticCredentials returns the example keys that amptest accepts.
func staticCredentials() *credentials.StaticCredentialsProvider {
	provider := credentials.NewStaticCredentialsProvider(amptest.AccessKeyID, amptest.SecretAccessKey, "")
	return &provider
}

func TestBuildSampleAgainstFakeWorkspace(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	srv := amptest.NewServer(t, amptest.Config{Region: "ap-northeast-2"})
	srv.SetResult(sampleQuery, 140)
	so, err := LoadScaledObject(sampleWithAddress(t, srv.URL()))
	require.NoError(t, err)
	target := &replicaTarget{replicas: 2}

	scaler, err := Build(so, BuildOptions{Target: target, Credentials: srv.Credentials()})
	require.NoError(t, err)
	decision, err := scaler.Step(context.Background(), buildT0)

	require.NoError(t, err)
	assert.Equal(t, int32(3), decision.DesiredReplicas, decision.Explain())
	assert.Equal(t, 140.0, decision.Triggers[0].Value)
	replicas, _ := target.Replicas(context.Background())
	assert.Equal(t, int32(3), replicas.Current)
	requests := srv.Requests()
	require.Len(t, requests, 1)
	assert.True(t, requests[0].Verified, "the request is signed for ap-northeast-2")
	assert.Equal(t, sampleQuery, requests[0].Query)
}

func TestBuildRetryLogNamesTrigger(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	srv := amptest.NewServer(t, amptest.Config{Region: "ap-northeast-2"})
	srv.SetResult(sampleQuery, 140)
	srv.Throttle(1, 0)
	so, err := LoadScaledObject(sampleWithAddress(t, srv.URL()))
	require.NoError(t, err)
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, nil))

	scaler, err := Build(so, BuildOptions{Target: &replicaTarget{replicas: 2}, Credentials: srv.Credentials(), Logger: logger})
	require.NoError(t, err)
	_, err = scaler.Step(context.Background(), buildT0)

	require.NoError(t, err)
	var retry string
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "amp: retrying query") {
			retry = line
		}
	}
	require.NotEmpty(t, retry, "no retry record in:\n%s", logs.String())
	assert.Contains(t, retry, "scaler=default/sample-app-prometheus-scaler")
	assert.Contains(t, retry, "trigger=s0-prometheus")
}

func TestBuildWithStaticKeysFromSecret(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	srv := amptest.NewServer(t, amptest.Config{})
	srv.SetResult("sum(up)", 7)
	tree := minimalObject()
	setPath(t, tree, "spec.triggers[0].metadata", map[string]any{
		"serverAddress": srv.URL(), "query": "sum(up)", "threshold": "5", "awsRegion": srv.Region(),
	})
	setPath(t, tree, "spec.triggers[0].authenticationRef", map[string]any{"name": "amp-keys"})
	so, err := loadTree(t, tree)
	require.NoError(t, err)
	ta := &TriggerAuthentication{
		APIVersion: KEDAAPIVersion, Kind: KindTriggerAuthentication, Metadata: ObjectMeta{Name: "amp-keys", Namespace: "shop"},
		Spec: TriggerAuthenticationSpec{SecretTargetRef: []SecretTargetRef{
			{Parameter: "awsAccessKeyID", Name: "amp", Key: "id"},
			{Parameter: "awsSecretAccessKey", Name: "amp", Key: "secret"},
		}},
	}

	cfg, err := so.Config(BuildOptions{
		Target:                 &replicaTarget{replicas: 1},
		TriggerAuthentications: []*TriggerAuthentication{ta},
		Secrets:                map[string]map[string]string{"amp": {"id": amptest.AccessKeyID, "secret": amptest.SecretAccessKey}},
	})
	require.NoError(t, err)
	value, err := cfg.Triggers[0].Source.Value(context.Background(), buildT0)

	require.NoError(t, err)
	assert.Equal(t, 7.0, value)
	assert.True(t, srv.Requests()[0].Verified)
}

func TestConfigSampleGolden(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	so, err := LoadScaledObject(sampleWithAddress(t, realWorkspace))
	require.NoError(t, err)
	target := &replicaTarget{replicas: 2}

	cfg, err := so.Config(BuildOptions{Target: target, Credentials: staticCredentials()})
	require.NoError(t, err)

	assert.Equal(t, "default/sample-app-prometheus-scaler", cfg.Name)
	assert.Equal(t, 60*time.Second, cfg.PollingInterval)
	require.NotNil(t, cfg.CooldownPeriod)
	assert.Equal(t, 300*time.Second, *cfg.CooldownPeriod)
	assert.Equal(t, time.Duration(0), cfg.InitialCooldownPeriod)
	assert.Equal(t, int32(1), cfg.MinReplicaCount)
	assert.Equal(t, int32(5), cfg.MaxReplicaCount)
	assert.Nil(t, cfg.IdleReplicaCount)
	require.NotNil(t, cfg.Behavior)
	assert.Equal(t, int32(600), *cfg.Behavior.ScaleDown.StabilizationWindowSeconds)
	assert.Nil(t, cfg.Behavior.ScaleUp)
	assert.Equal(t, &Fallback{FailureThreshold: 2, Replicas: 1}, cfg.Fallback)
	assert.Nil(t, cfg.ScalingModifiers)
	assert.Equal(t, Pause{}, cfg.Pause)
	assert.False(t, cfg.RestoreToOriginalReplicaCount)
	assert.Nil(t, cfg.Tolerance)
	assert.Nil(t, cfg.DownscaleStabilizationWindow)
	assert.Same(t, target, cfg.Target)

	require.Len(t, cfg.Triggers, 1)
	trigger := cfg.Triggers[0]
	assert.Equal(t, "s0-prometheus", trigger.Name)
	assert.Equal(t, hpa.MetricType(""), trigger.MetricType)
	assert.Equal(t, 50.0, trigger.Threshold)
	assert.Equal(t, 0.0, trigger.ActivationThreshold)
	source, ok := trigger.Source.(*amp.Source)
	require.True(t, ok, "the source is %T", trigger.Source)
	assert.Equal(t, sampleQuery, source.Query())
}

func TestConfigMapsFields(t *testing.T) {
	tree := minimalObject()
	setPath(t, tree, "metadata.namespace", nil)
	setPath(t, tree, "metadata.creationTimestamp", "2025-01-22T09:00:00Z")
	setPath(t, tree, "metadata.annotations", map[string]any{
		"autoscaling.keda.sh/paused-replicas": "0", "autoscaling.keda.sh/paused": "true",
		"autoscaling.keda.sh/paused-scale-in": "1", "autoscaling.keda.sh/paused-scale-out": "false",
	})
	setPath(t, tree, "spec.minReplicaCount", 2)
	setPath(t, tree, "spec.idleReplicaCount", 0)
	setPath(t, tree, "spec.initialCooldownPeriod", 90)
	setPath(t, tree, "spec.fallback", map[string]any{"failureThreshold": 3, "replicas": 4, "behavior": "currentReplicasIfLower"})
	setPath(t, tree, "spec.advanced", map[string]any{
		"restoreToOriginalReplicaCount": true,
		"scalingModifiers":              map[string]any{"formula": "rps / 2", "target": "25", "activationTarget": "1.5", "metricType": "Value"},
	})
	setPath(t, tree, "spec.triggers[0].name", "rps")
	setPath(t, tree, "spec.triggers[0].metricType", "Value")
	setPath(t, tree, "spec.triggers[0].metadata.activationThreshold", "2")
	so, err := loadTree(t, tree)
	require.NoError(t, err)

	cfg, err := so.Config(BuildOptions{Target: &replicaTarget{}})
	require.NoError(t, err)

	assert.Equal(t, "default/api", cfg.Name)
	assert.Equal(t, buildT0, cfg.CreatedAt.UTC())
	zero := int32(0)
	assert.Equal(t, Pause{Paused: true, Replicas: &zero, ScaleIn: true}, cfg.Pause)
	assert.Equal(t, time.Duration(0), cfg.PollingInterval, "an absent pollingInterval leaves the default to Config")
	assert.Nil(t, cfg.CooldownPeriod)
	assert.Equal(t, 90*time.Second, cfg.InitialCooldownPeriod)
	assert.Equal(t, int32(2), cfg.MinReplicaCount)
	assert.Equal(t, int32(0), cfg.MaxReplicaCount)
	assert.Equal(t, &zero, cfg.IdleReplicaCount)
	assert.Equal(t, &Fallback{FailureThreshold: 3, Replicas: 4, Behavior: FallbackCurrentReplicasIfLower}, cfg.Fallback)
	assert.True(t, cfg.RestoreToOriginalReplicaCount)
	assert.Equal(t, &ScalingModifiers{Formula: "rps / 2", Target: 25, ActivationTarget: 1.5, MetricType: hpa.ValueMetricType}, cfg.ScalingModifiers)
	assert.Equal(t, "rps", cfg.Triggers[0].Name)
	assert.Equal(t, hpa.ValueMetricType, cfg.Triggers[0].MetricType)
	assert.Equal(t, 2.0, cfg.Triggers[0].ActivationThreshold)
}

// promServer is a plain Prometheus API on 127.0.0.1 that records the
// requests it gets and returns one sample of value 7.
type promServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
}

func newPromServer(t *testing.T) *promServer {
	s := &promServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		s.mu.Lock()
		s.requests = append(s.requests, r)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1737536400,"7"]}]}}`))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *promServer) lastRequest(t *testing.T) *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NotEmpty(t, s.requests)
	return s.requests[len(s.requests)-1]
}

// plainObject returns an object whose trigger queries server with the
// given extra metadata and authenticationRef.
func plainObject(t *testing.T, server string, metadata map[string]any, ref map[string]any) *ScaledObject {
	t.Helper()
	tree := minimalObject()
	setPath(t, tree, "spec.triggers[0].metadata.serverAddress", server)
	for key, value := range metadata {
		setPath(t, tree, "spec.triggers[0].metadata."+key, value)
	}
	if ref != nil {
		setPath(t, tree, "spec.triggers[0].authenticationRef", ref)
	}
	so, err := loadTree(t, tree)
	require.NoError(t, err)
	return so
}

// secretAuth returns a TriggerAuthentication of kind whose parameters
// come from the secret "prom", under keys named as the parameters.
func secretAuth(kind string, parameters ...string) *TriggerAuthentication {
	ta := &TriggerAuthentication{APIVersion: KEDAAPIVersion, Kind: kind, Metadata: ObjectMeta{Name: "prom-auth"}}
	for _, p := range parameters {
		ta.Spec.SecretTargetRef = append(ta.Spec.SecretTargetRef, SecretTargetRef{Parameter: p, Name: "prom", Key: p})
	}
	return ta
}

func TestBuildPlainServerAuthentication(t *testing.T) {
	srv := newPromServer(t)
	tests := []struct {
		name     string
		metadata map[string]any
		auth     *TriggerAuthentication
		check    func(t *testing.T, r *http.Request)
	}{
		{"build: bearer token", map[string]any{"authModes": "bearer"}, secretAuth(KindTriggerAuthentication, "bearerToken"), func(t *testing.T, r *http.Request) {
			assert.Equal(t, "Bearer s3cret-bearerToken", r.Header.Get("Authorization"))
		}},
		{"build: bearer from token", map[string]any{"authModes": "bearer"}, secretAuth(KindClusterTriggerAuthentication, "token"), func(t *testing.T, r *http.Request) {
			assert.Equal(t, "Bearer s3cret-token", r.Header.Get("Authorization"))
		}},
		{"build: basic", map[string]any{"authModes": "basic"}, secretAuth(KindTriggerAuthentication, "username", "password"), func(t *testing.T, r *http.Request) {
			user, password, ok := r.BasicAuth()
			assert.True(t, ok)
			assert.Equal(t, "s3cret-username", user)
			assert.Equal(t, "s3cret-password", password)
		}},
		{"build: authModes from secret", nil, secretAuth(KindTriggerAuthentication, "authModes", "bearerToken"), func(t *testing.T, r *http.Request) {
			assert.Equal(t, "Bearer s3cret-bearerToken", r.Header.Get("Authorization"))
		}},
		{"build: unsafeSsl over http", map[string]any{"unsafeSsl": "true"}, nil, func(t *testing.T, r *http.Request) {
			assert.Empty(t, r.Header.Get("Authorization"))
		}},
		{"build: headers and parameters", map[string]any{"customHeaders": "X-Scope-OrgID=team-a", "queryParameters": "dedup=false", "namespace": "shop"}, nil, func(t *testing.T, r *http.Request) {
			assert.Equal(t, "team-a", r.Header.Get("X-Scope-OrgID"))
			assert.Equal(t, "false", r.Form.Get("dedup"))
			assert.Equal(t, "shop", r.Form.Get("namespace"))
			assert.Empty(t, r.Header.Get("Authorization"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ref map[string]any
			opts := BuildOptions{Target: &replicaTarget{}}
			if tt.auth != nil {
				ref = map[string]any{"name": tt.auth.Metadata.Name, "kind": tt.auth.Kind}
				opts.TriggerAuthentications = []*TriggerAuthentication{tt.auth}
				opts.Secrets = map[string]map[string]string{"prom": {}}
				for _, target := range tt.auth.Spec.SecretTargetRef {
					opts.Secrets["prom"][target.Key] = "s3cret-" + target.Key
				}
				opts.Secrets["prom"]["authModes"] = "bearer"
			}
			so := plainObject(t, srv.URL, tt.metadata, ref)

			cfg, err := so.Config(opts)
			require.NoError(t, err)
			value, err := cfg.Triggers[0].Source.Value(context.Background(), buildT0)

			require.NoError(t, err)
			assert.Equal(t, 7.0, value)
			tt.check(t, srv.lastRequest(t))
		})
	}
}

func TestConfigProblems(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	bearer := secretAuth(KindTriggerAuthentication, "bearerToken")
	secrets := map[string]map[string]string{"prom": {"bearerToken": "s3cret-value"}}
	awsIdentity := &TriggerAuthentication{APIVersion: KEDAAPIVersion, Kind: KindTriggerAuthentication, Metadata: ObjectMeta{Name: "aws"},
		Spec: TriggerAuthenticationSpec{PodIdentity: &PodIdentity{Provider: "aws", RoleARN: "arn:aws:iam::123456789012:role/amp"}}}
	awsIdentityWithKeys := &TriggerAuthentication{APIVersion: KEDAAPIVersion, Kind: KindTriggerAuthentication, Metadata: ObjectMeta{Name: "aws-keys"},
		Spec: TriggerAuthenticationSpec{PodIdentity: &PodIdentity{Provider: "aws"}, SecretTargetRef: []SecretTargetRef{
			{Parameter: "awsAccessKeyID", Name: "amp", Key: "id"}, {Parameter: "awsSecretAccessKey", Name: "amp", Key: "secret"}}}}
	otherNamespace := *bearer
	otherNamespace.Metadata.Namespace = "billing"
	tests := []struct {
		name     string
		metadata map[string]any
		ref      map[string]any
		opts     BuildOptions
		want     string
	}{
		{"build: authentication not found", nil, map[string]any{"name": "prom-auth"}, BuildOptions{},
			`spec.triggers[0].authenticationRef: TriggerAuthentication "prom-auth" not found in namespace "shop"; add it to the data after a --- line, or pass it in BuildOptions.TriggerAuthentications`},
		{"build: authentication in other namespace", nil, map[string]any{"name": "prom-auth"},
			BuildOptions{TriggerAuthentications: []*TriggerAuthentication{&otherNamespace}},
			`spec.triggers[0].authenticationRef: TriggerAuthentication "prom-auth" not found in namespace "shop"; add it to the data after a --- line, or pass it in BuildOptions.TriggerAuthentications`},
		{"build: cluster kind not matched", nil, map[string]any{"name": "prom-auth", "kind": "ClusterTriggerAuthentication"},
			BuildOptions{TriggerAuthentications: []*TriggerAuthentication{bearer}},
			`spec.triggers[0].authenticationRef: ClusterTriggerAuthentication "prom-auth" not found in namespace "shop"; add it to the data after a --- line, or pass it in BuildOptions.TriggerAuthentications`},
		{"build: secret not found", map[string]any{"authModes": "bearer"}, map[string]any{"name": "prom-auth"},
			BuildOptions{TriggerAuthentications: []*TriggerAuthentication{bearer}},
			`spec.triggers[0].authenticationRef: TriggerAuthentication prom-auth: secret "prom" for parameter bearerToken not found; pass its keys in BuildOptions.Secrets["prom"]`},
		{"build: secret key not found", map[string]any{"authModes": "bearer"}, map[string]any{"name": "prom-auth"},
			BuildOptions{TriggerAuthentications: []*TriggerAuthentication{bearer}, Secrets: map[string]map[string]string{"prom": {"token": "s3cret-value"}}},
			`spec.triggers[0].authenticationRef: TriggerAuthentication prom-auth: secret "prom" has no key "bearerToken" for parameter bearerToken; add the key to BuildOptions.Secrets["prom"]`},
		{"build: bearer without token", map[string]any{"authModes": "bearer"}, nil, BuildOptions{},
			"spec.triggers[0].authenticationRef: authModes bearer needs the parameter bearerToken; set it with a secretTargetRef of the TriggerAuthentication"},
		{"build: tls without key", map[string]any{"authModes": "tls", "serverAddress": "https://prometheus:9090"}, nil, BuildOptions{},
			"spec.triggers[0].authenticationRef: authModes tls needs the parameter cert; set it with a secretTargetRef of the TriggerAuthentication\n" +
				"spec.triggers[0].authenticationRef: authModes tls needs the parameter key; set it with a secretTargetRef of the TriggerAuthentication"},
		{"build: pod identity with authModes", map[string]any{"authModes": "bearer", "awsRegion": "us-east-1"}, map[string]any{"name": "aws"},
			BuildOptions{TriggerAuthentications: []*TriggerAuthentication{awsIdentity}},
			"spec.triggers[0].metadata.authModes: cannot be combined with the pod identity of TriggerAuthentication aws, as in KEDA; remove authModes, or the podIdentity"},
		{"build: identityOwner pod without role", map[string]any{"identityOwner": "pod", "awsRegion": "us-east-1"}, nil, BuildOptions{},
			"spec.triggers[0].metadata.identityOwner: pod signs with credentials given for the trigger, but there are none: " +
				"KEDA would use the workload's own role, which an embedded library cannot see; set awsRoleArn to a role to assume, " +
				"give awsAccessKeyID and awsSecretAccessKey through secretTargetRef, or use identityOwner operator to sign with the host's own identity"},
		{"build: operator with role", map[string]any{"identityOwner": "operator", "awsRegion": "us-east-1", "awsRoleArn": "arn:aws:iam::123456789012:role/amp"}, nil, BuildOptions{},
			"spec.triggers[0].metadata.identityOwner: operator signs with the host's own AWS identity, and KEDA then ignores the role ARN and static keys given for the trigger; " +
				"remove identityOwner to sign with them, or remove them"},
		{"build: pod identity with keys", map[string]any{"awsRegion": "us-east-1"}, map[string]any{"name": "aws-keys"},
			BuildOptions{TriggerAuthentications: []*TriggerAuthentication{awsIdentityWithKeys}, Secrets: map[string]map[string]string{"amp": {"id": "AKIDEXAMPLE", "secret": "s3cret-key"}}},
			"spec.triggers[0].authenticationRef: TriggerAuthentication aws-keys: podIdentity provider aws signs with the host's own AWS identity, and KEDA then ignores awsAccessKeyID and awsSecretAccessKey; " +
				"remove the podIdentity to sign with the keys, or remove the keys"},
		{"build: signed without region", map[string]any{"identityOwner": "operator"}, nil, BuildOptions{},
			"spec.triggers[0].metadata.awsRegion: missing; requests to http://prometheus:9090 are signed with SigV4, which needs the region because the host name does not contain one"},
		{"build: credentials with role", map[string]any{"awsRegion": "us-east-1"}, map[string]any{"name": "aws"},
			BuildOptions{TriggerAuthentications: []*TriggerAuthentication{awsIdentity}, Credentials: staticCredentials()},
			"spec.triggers[0]: BuildOptions.Credentials is set, and so is a role ARN or static keys for the trigger; pass credentials that already assume the role as BuildOptions.Credentials, or leave it nil"},
		{"build: shared client with unsafeSsl", map[string]any{"unsafeSsl": "true", "serverAddress": "https://prometheus:9090"}, nil,
			BuildOptions{HTTPClient: &http.Client{}},
			"spec.triggers[0]: unsafeSsl, a CA and TLS authentication need a transport of the trigger's own, but BuildOptions.HTTPClient is set; configure TLS on that client's transport, or leave BuildOptions.HTTPClient nil"},
		{"build: Authorization header with bearer", map[string]any{"authModes": "bearer", "customHeaders": "Authorization=Bearer other"}, map[string]any{"name": "prom-auth"},
			BuildOptions{TriggerAuthentications: []*TriggerAuthentication{bearer}, Secrets: secrets},
			"spec.triggers[0]: header Authorization conflicts with SigV4 signing and with authModes bearer and basic; remove it from customHeaders"},
		{"build: bearer on workspace", map[string]any{"authModes": "bearer", "serverAddress": realWorkspace}, map[string]any{"name": "prom-auth"},
			BuildOptions{TriggerAuthentications: []*TriggerAuthentication{bearer}, Secrets: secrets},
			"spec.triggers[0].metadata.authModes: bearer and basic authentication cannot be combined with SigV4, " +
				"which sets the Authorization header, and requests to this server are signed; remove authModes, or the AWS settings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			so := plainObject(t, "http://prometheus:9090", tt.metadata, tt.ref)
			tt.opts.Target = &replicaTarget{}

			_, err := so.Config(tt.opts)

			require.Error(t, err)
			assert.Equal(t, tt.want, strings.Join(problemLines(t, err), "\n"))
			assert.NotContains(t, err.Error(), "s3cret", "an error quotes a secret")
		})
	}
}

func TestConfigRejectsPlaceholder(t *testing.T) {
	so, err := LoadScaledObject(readTestdata(t, "sample-app.yaml"))
	require.NoError(t, err)

	_, err = so.Config(BuildOptions{Target: &replicaTarget{}})

	require.Error(t, err)
	assert.Equal(t, `scaler: ScaledObject default/sample-app-prometheus-scaler: spec.triggers[0].metadata.serverAddress: `+
		`"https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-<REDACTED_WORKSPACE_ID>" holds the placeholder <REDACTED_WORKSPACE_ID>; replace it with the real value`, err.Error())
}

func TestConfigValidatesObject(t *testing.T) {
	so, err := loadTree(t, minimalObject())
	require.NoError(t, err)
	so.Spec.Triggers[0].Metadata["threshold"] = "0"

	_, err = so.Config(BuildOptions{Target: &replicaTarget{}})

	require.Error(t, err)
	assert.Equal(t, []string{`spec.triggers[0].metadata.threshold: "0" is below 0.001; KEDA accepts it and the HPA then rejects the target, so use at least 0.001`}, problemLines(t, err))
}

func TestConfigNeedsTarget(t *testing.T) {
	so, err := loadTree(t, minimalObject())
	require.NoError(t, err)

	_, err = so.Config(BuildOptions{})

	require.EqualError(t, err, "scaler: BuildOptions.Target is nil; set the workload to scale, such as a MemoryTarget")
}

func TestConfigNilObject(t *testing.T) {
	var so *ScaledObject

	_, err := so.Config(BuildOptions{Target: &replicaTarget{}})

	require.EqualError(t, err, "scaler: the ScaledObject is nil; load one with LoadScaledObject")
}

func TestBuildResumesState(t *testing.T) {
	so, err := loadTree(t, minimalObject())
	require.NoError(t, err)
	lastActive := buildT0.Add(-10 * time.Minute)
	saved := State{
		Version:        StateVersion,
		CreatedAt:      buildT0.Add(-time.Hour),
		LastActiveTime: &lastActive,
		Failures:       map[string]int32{"s0-prometheus": 2},
	}

	s, err := Build(so, BuildOptions{Target: &replicaTarget{}, Clock: NewSimulatedClock(buildT0, 0), State: &saved})

	require.NoError(t, err)
	got := s.State()
	assert.Equal(t, saved.CreatedAt, got.CreatedAt, "createdAt")
	assert.Equal(t, &lastActive, got.LastActiveTime, "lastActiveTime")
	assert.Equal(t, saved.Failures, got.Failures, "failures")
}

func TestBuildRejectsInvalidState(t *testing.T) {
	so, err := loadTree(t, minimalObject())
	require.NoError(t, err)

	_, err = Build(so, BuildOptions{Target: &replicaTarget{}, Clock: NewSimulatedClock(buildT0, 0), State: &State{Version: 9}})

	require.EqualError(t, err, "scaler: state.version 9 is not supported; this package reads version 1")
}
