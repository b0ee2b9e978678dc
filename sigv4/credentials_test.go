package sigv4

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testRoleARN = "arn:aws:iam::123456789012:role/keda-operator"

func TestCredentialsConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     CredentialsConfig
		wantErr string
	}{
		{name: "accepts: zero value", cfg: CredentialsConfig{}},
		{name: "accepts: static keys with token", cfg: CredentialsConfig{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey, SessionToken: "tok"}},
		{name: "accepts: role with session and external ID", cfg: CredentialsConfig{RoleARN: testRoleARN, RoleSessionName: "keda@prod", ExternalID: "tenant-42", Region: "us-east-1"}},
		{name: "accepts: China partition role path", cfg: CredentialsConfig{RoleARN: "arn:aws-cn:iam::123456789012:role/ops/keda"}},
		{name: "accepts: GovCloud role", cfg: CredentialsConfig{RoleARN: "arn:aws-us-gov:iam::123456789012:role/keda"}},
		{name: "rejects: access key alone", cfg: CredentialsConfig{AccessKeyID: testAccessKey}, wantErr: "need both an access key ID and a secret access key"},
		{name: "rejects: secret key alone", cfg: CredentialsConfig{SecretAccessKey: testSecretKey}, wantErr: "need both an access key ID and a secret access key"},
		{name: "rejects: token without keys", cfg: CredentialsConfig{SessionToken: "tok"}, wantErr: "a session token needs the static access key ID"},
		{name: "rejects: static keys and profile", cfg: CredentialsConfig{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey, Profile: "ops"}, wantErr: `static keys and profile "ops" are both set`},
		{name: "rejects: malformed region", cfg: CredentialsConfig{Region: "us_east_1"}, wantErr: `invalid STS region "us_east_1"`},
		{name: "rejects: session name without role", cfg: CredentialsConfig{RoleSessionName: "keda"}, wantErr: "without a role"},
		{name: "rejects: user ARN", cfg: CredentialsConfig{RoleARN: "arn:aws:iam::123456789012:user/keda"}, wantErr: `invalid role ARN "arn:aws:iam::123456789012:user/keda"`},
		{name: "rejects: short account ID", cfg: CredentialsConfig{RoleARN: "arn:aws:iam::12345:role/keda"}, wantErr: "invalid role ARN"},
		{name: "rejects: unknown partition", cfg: CredentialsConfig{RoleARN: "arn:azure:iam::123456789012:role/keda"}, wantErr: "invalid role ARN"},
		{name: "rejects: role without name", cfg: CredentialsConfig{RoleARN: "arn:aws:iam::123456789012:role/"}, wantErr: "invalid role ARN"},
		{name: "rejects: session name with space", cfg: CredentialsConfig{RoleARN: testRoleARN, RoleSessionName: "keda operator"}, wantErr: `invalid role session name "keda operator"`},
		{name: "rejects: one-character external ID", cfg: CredentialsConfig{RoleARN: testRoleARN, ExternalID: "x"}, wantErr: "invalid external ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()

			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
			assert.ErrorContains(t, err, "sigv4: ")
		})
	}
}

func TestValidateHidesSecrets(t *testing.T) {
	err := CredentialsConfig{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey, Profile: "ops"}.Validate()

	require.Error(t, err)
	assert.NotContains(t, err.Error(), testSecretKey)
	assert.NotContains(t, err.Error(), testAccessKey)
}

// retrieveTwice builds the provider for cfg, checks it is a credentials
// cache and returns the credentials of two Retrieve calls.
func retrieveTwice(t *testing.T, cfg CredentialsConfig) (first, second aws.Credentials) {
	t.Helper()
	provider, err := NewCredentials(context.Background(), cfg)
	require.NoError(t, err)
	require.IsType(t, &aws.CredentialsCache{}, provider)

	first, err = provider.Retrieve(context.Background())
	require.NoError(t, err)
	second, err = provider.Retrieve(context.Background())
	require.NoError(t, err)
	return first, second
}

func TestNewCredentialsStaticKeys(t *testing.T) {
	isolateAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")

	got, _ := retrieveTwice(t, CredentialsConfig{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey, SessionToken: "tok"})

	assert.Equal(t, testAccessKey, got.AccessKeyID, "static keys win over the environment")
	assert.Equal(t, testSecretKey, got.SecretAccessKey)
	assert.Equal(t, "tok", got.SessionToken)
}

func TestNewCredentialsEnvironment(t *testing.T) {
	isolateAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", testAccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "env-token")

	got, _ := retrieveTwice(t, CredentialsConfig{})

	assert.Equal(t, testAccessKey, got.AccessKeyID)
	assert.Equal(t, "env-token", got.SessionToken)
}

func TestNewCredentialsProfile(t *testing.T) {
	dir := isolateAWSEnv(t)
	shared := "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-secret\n\n" +
		"[monitoring]\naws_access_key_id = " + testAccessKey + "\naws_secret_access_key = " + testSecretKey + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "credentials"), []byte(shared), 0o600))

	got, _ := retrieveTwice(t, CredentialsConfig{Profile: "monitoring"})

	assert.Equal(t, testAccessKey, got.AccessKeyID)
}

func TestNewCredentialsMissingProfile(t *testing.T) {
	isolateAWSEnv(t)

	_, err := NewCredentials(context.Background(), CredentialsConfig{Profile: "absent"})

	assert.ErrorContains(t, err, "sigv4: load AWS configuration")
}

// fakeSTS serves AssumeRole and AssumeRoleWithWebIdentity on 127.0.0.1
// and records the form of each call.
type fakeSTS struct {
	*httptest.Server
	mu       sync.Mutex
	calls    []map[string]string
	verifier *Verifier
	lifetime time.Duration
}

func newFakeSTS(t *testing.T, lifetime time.Duration, verifier *Verifier) *fakeSTS {
	t.Helper()
	f := &fakeSTS{verifier: verifier, lifetime: lifetime}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSTS) serve(w http.ResponseWriter, r *http.Request) {
	if f.verifier != nil {
		if err := f.verifier.Verify(r); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	call := map[string]string{}
	for key := range r.PostForm {
		call[key] = r.PostForm.Get(key)
	}

	f.mu.Lock()
	f.calls = append(f.calls, call)
	n := len(f.calls)
	f.mu.Unlock()

	action := call["Action"]
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%[1]sResponse><%[1]sResult><Credentials>`+
		`<AccessKeyId>ASIASTS%[2]d</AccessKeyId><SecretAccessKey>sts-secret</SecretAccessKey>`+
		`<SessionToken>sts-token-%[2]d</SessionToken><Expiration>%[3]s</Expiration>`+
		`</Credentials></%[1]sResult><ResponseMetadata><RequestId>req-%[2]d</RequestId></ResponseMetadata></%[1]sResponse>`,
		action, n, time.Now().Add(f.lifetime).UTC().Format(time.RFC3339))
}

func (f *fakeSTS) recorded() []map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]string(nil), f.calls...)
}

func TestNewCredentialsWebIdentity(t *testing.T) {
	dir := isolateAWSEnv(t)
	sts := newFakeSTS(t, time.Hour, nil)
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("projected-service-account-token"), 0o600))
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	t.Setenv("AWS_ROLE_ARN", testRoleARN)
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile)

	first, second := retrieveTwice(t, CredentialsConfig{})

	assert.Equal(t, "ASIASTS1", first.AccessKeyID)
	assert.Equal(t, "sts-token-1", first.SessionToken)
	assert.Equal(t, first, second, "cached until expiry")
	calls := sts.recorded()
	require.Len(t, calls, 1)
	assert.Equal(t, "AssumeRoleWithWebIdentity", calls[0]["Action"])
	assert.Equal(t, testRoleARN, calls[0]["RoleArn"])
	assert.Equal(t, "projected-service-account-token", calls[0]["WebIdentityToken"])
}

func TestNewCredentialsRefreshesBeforeExpiry(t *testing.T) {
	dir := isolateAWSEnv(t)
	sts := newFakeSTS(t, 30*time.Second, nil)
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("projected-service-account-token"), 0o600))
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	t.Setenv("AWS_ROLE_ARN", testRoleARN)
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile)

	first, second := retrieveTwice(t, CredentialsConfig{})

	assert.Equal(t, "ASIASTS1", first.AccessKeyID)
	assert.Equal(t, "ASIASTS2", second.AccessKeyID, "keys within a minute of expiry are refreshed")
}

func TestNewCredentialsPodIdentity(t *testing.T) {
	dir := isolateAWSEnv(t)
	var requests int
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		if r.Header.Get("Authorization") != "pod-identity-token" {
			http.Error(w, `{"code":"AccessDenied"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{
			"AccessKeyId":     "ASIAPOD",
			"SecretAccessKey": "pod-secret",
			"Token":           "pod-token",
			"Expiration":      time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		})
	}))
	t.Cleanup(agent.Close)
	tokenFile := filepath.Join(dir, "eks-pod-identity-token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("pod-identity-token"), 0o600))
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.URL+"/v1/credentials")
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokenFile)

	first, second := retrieveTwice(t, CredentialsConfig{})

	assert.Equal(t, "ASIAPOD", first.AccessKeyID)
	assert.Equal(t, "pod-token", first.SessionToken)
	assert.Equal(t, first, second)
	assert.Equal(t, 1, requests, "requests to the credentials endpoint")
}

func TestNewCredentialsAssumeRole(t *testing.T) {
	isolateAWSEnv(t)
	base := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
	sts := newFakeSTS(t, time.Hour, &Verifier{Region: "eu-west-1", Service: "sts", Credentials: []aws.Credentials{base}})
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)

	first, second := retrieveTwice(t, CredentialsConfig{
		AccessKeyID:     testAccessKey,
		SecretAccessKey: testSecretKey,
		RoleARN:         testRoleARN,
		ExternalID:      "tenant-42",
		Region:          "eu-west-1",
	})

	assert.Equal(t, "ASIASTS1", first.AccessKeyID)
	assert.Equal(t, first, second)
	calls := sts.recorded()
	require.Len(t, calls, 1, "STS calls; a rejected signature is not recorded")
	assert.Equal(t, "AssumeRole", calls[0]["Action"])
	assert.Equal(t, testRoleARN, calls[0]["RoleArn"])
	assert.Equal(t, "tenant-42", calls[0]["ExternalId"])
	assert.Equal(t, DefaultRoleSessionName, calls[0]["RoleSessionName"])
}

func TestNewCredentialsAssumeRoleNeedsRegion(t *testing.T) {
	isolateAWSEnv(t)

	_, err := NewCredentials(context.Background(), CredentialsConfig{RoleARN: testRoleARN})

	assert.ErrorContains(t, err, `sigv4: role "`+testRoleARN+`" needs an STS region`)
}
