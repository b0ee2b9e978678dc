package scaler_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/amp/amptest"
	"github.com/promscaler/promscaler/scaler"
	"github.com/promscaler/promscaler/sigv4"
)

// Distinctive secret values, so that finding one in an output proves a
// leak rather than a coincidence.
const (
	secretAccessKey   = "SECRET-awskey-3e8b/Zq7K1xVw9TnRm4pLs2Yh5Ud0Fc6Ga"
	secretSession     = "SECRET-session-c51d-FwoGZXIvYXdzEJr"
	secretBearer      = "SECRET-bearer-6f1c"
	secretPassword    = "SECRET-password-9a2d"
	secretHeaderValue = "SECRET-header-41b7"
	secretQueryParam  = "SECRET-param-5e0a"
	secretAccessKeyID = "AKIDSECRETSTEST00001"
	basicUsername     = "promscaler-reader"
	secretsQuery      = "sum(rate(http_requests_total[2m]))"
)

// serverMode selects how a test server responds to the next queries.
type serverMode int

const (
	modeGood serverMode = iota
	modeAuthFailure
	modeServerError
	modeNetworkError
)

func (m serverMode) String() string {
	return [...]string{"good poll", "authentication failure", "server error 500", "network error"}[m]
}

// faultServer is a query endpoint whose mode a test switches between polls.
type faultServer interface {
	setMode(serverMode)
	// signatures returns the Signature= values of the SigV4 Authorization
	// headers received so far.
	signatures() []string
}

// authServer is a Prometheus-compatible endpoint on 127.0.0.1 that accepts a
// request only when authorized reports true, and fails requests as its mode
// selects.
type authServer struct {
	srv        *httptest.Server
	mode       atomic.Int32
	authorized func(*http.Request) bool
	// reject writes the response to a request without valid credentials,
	// and to every request in modeAuthFailure.
	reject func(http.ResponseWriter, *http.Request)

	mu      sync.Mutex
	headers []string
}

func newAuthServer(authorized func(*http.Request) bool, reject func(http.ResponseWriter, *http.Request)) *authServer {
	s := &authServer{authorized: authorized, reject: reject}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	return s
}

func (s *authServer) setMode(m serverMode) { s.mode.Store(int32(m)) }

func (s *authServer) signatures() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return signaturesOf(s.headers)
}

func (s *authServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.headers = append(s.headers, r.Header.Get("Authorization"))
	s.mu.Unlock()

	switch serverMode(s.mode.Load()) {
	case modeAuthFailure:
		s.reject(w, r)
	case modeServerError:
		http.Error(w, "upstream storage unavailable", http.StatusInternalServerError)
	case modeNetworkError:
		closeConnection(w)
	default:
		if !s.authorized(r) {
			s.reject(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[%d,"140"]}]}}`, time.Now().Unix())
	}
}

// closeConnection closes the connection without a response.
func closeConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(fmt.Sprintf("hijack connection: %v", err))
	}
	_ = conn.Close()
}

// signatureMismatch responds as AWS front ends do to a request signed with
// a wrong secret key: 403 InvalidSignatureException with a message that
// quotes the canonical request, whose header lines include the session
// token the request carried.
func signatureMismatch(w http.ResponseWriter, r *http.Request) {
	canonical := fmt.Sprintf("%s\n%s\n\nhost:%s\nx-amz-date:%s\nx-amz-security-token:%s\n\nhost;x-amz-date;x-amz-security-token\n%s",
		r.Method, r.URL.Path, r.Host, r.Header.Get("X-Amz-Date"), r.Header.Get("X-Amz-Security-Token"), r.Header.Get("X-Amz-Content-Sha256"))
	message := "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\n" +
		"The Canonical String for this request should have been\n'" + canonical + "'\n"
	body, err := json.Marshal(map[string]string{"message": message})
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", sigv4.CodeInvalidSignature)
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write(body)
}

func unauthorized(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "Unauthorized", http.StatusUnauthorized)
}

// ampFaults drives an amptest.Server through the modes with its faults.
type ampFaults struct{ srv *amptest.Server }

func (a ampFaults) setMode(m serverMode) {
	a.srv.ClearFaults()
	switch m {
	case modeAuthFailure:
		a.srv.FailWith(10, amptest.Response{
			Status: http.StatusForbidden,
			Header: http.Header{"X-Amzn-Errortype": {"AccessDeniedException"}},
			Body:   `{"message":"User is not authorized to perform: aps:QueryMetrics"}`,
		})
	case modeServerError:
		a.srv.Fail(10, http.StatusInternalServerError, "upstream storage unavailable")
	case modeNetworkError:
		a.srv.Reset(10)
	}
}

func (a ampFaults) signatures() []string {
	var headers []string
	for _, r := range a.srv.Requests() {
		headers = append(headers, r.Header.Get("Authorization"))
	}
	return signaturesOf(headers)
}

// signaturesOf returns the Signature= values of SigV4 Authorization headers.
func signaturesOf(headers []string) []string {
	var out []string
	for _, h := range headers {
		if _, sig, ok := strings.Cut(h, "Signature="); ok && sig != "" {
			out = append(out, sig)
		}
	}
	return out
}

// secretCase is one kind of authentication run through every server mode.
type secretCase struct {
	name string
	// manifest is the ScaledObject and its TriggerAuthentication.
	manifest    string
	secrets     map[string]map[string]string
	credentials aws.CredentialsProvider
	server      faultServer
	// values are the secrets that no output may contain.
	values []string
	// wantSignatures reports that requests are signed with SigV4.
	wantSignatures bool
	// authKind is the amp.ErrorKind of a rejected request.
	authKind amp.ErrorKind
}

// scaledObjectYAML returns a ScaledObject at address with extra trigger
// metadata and an authenticationRef to the TriggerAuthentication authSpec.
func scaledObjectYAML(address, metadata, authSpec string) string {
	return fmt.Sprintf(`apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: secret-app
  namespace: default
spec:
  scaleTargetRef:
    name: secret-app
  pollingInterval: 30
  maxReplicaCount: 10
  triggers:
  - type: prometheus
    metadata:
      serverAddress: %s
      query: %s
      threshold: "50"
%s    authenticationRef:
      name: secret-app-auth
---
apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata:
  name: secret-app-auth
  namespace: default
spec:
%s`, address, secretsQuery, metadata, authSpec)
}

func sigv4SessionCase(t *testing.T) secretCase {
	creds := aws.Credentials{AccessKeyID: secretAccessKeyID, SecretAccessKey: secretAccessKey, SessionToken: secretSession}
	verifier := &sigv4.Verifier{Region: "eu-west-1", Credentials: []aws.Credentials{creds}}
	srv := newAuthServer(func(r *http.Request) bool { return verifier.Verify(r) == nil }, signatureMismatch)
	srv.srv.Start()
	t.Cleanup(srv.srv.Close)

	auth := `  secretTargetRef:
  - {parameter: awsAccessKeyID, name: aws-keys, key: id}
  - {parameter: awsSecretAccessKey, name: aws-keys, key: secret}
  - {parameter: awsSessionToken, name: aws-keys, key: token}
`
	return secretCase{
		name:     "sigv4: static keys with session token",
		manifest: scaledObjectYAML(srv.srv.URL, "      awsRegion: eu-west-1\n      identityOwner: pod\n", auth),
		secrets: map[string]map[string]string{"aws-keys": {
			"id": secretAccessKeyID, "secret": secretAccessKey, "token": secretSession,
		}},
		server:         srv,
		values:         []string{secretAccessKey, secretSession},
		wantSignatures: true,
		authKind:       amp.KindAuth,
	}
}

func sigv4CredentialsCase(t *testing.T) secretCase {
	srv := amptest.NewServer(t, amptest.Config{})
	srv.SetResult(secretsQuery, 140)
	auth := "  podIdentity:\n    provider: aws\n"
	return secretCase{
		name:           "sigv4: BuildOptions.Credentials",
		manifest:       scaledObjectYAML(srv.URL(), "      awsRegion: "+srv.Region()+"\n", auth),
		credentials:    srv.Credentials(),
		server:         ampFaults{srv},
		values:         []string{amptest.SecretAccessKey},
		wantSignatures: true,
		authKind:       amp.KindAuth,
	}
}

func bearerCase(t *testing.T) secretCase {
	srv := newAuthServer(func(r *http.Request) bool {
		return r.Header.Get("Authorization") == "Bearer "+secretBearer
	}, unauthorized)
	srv.srv.Start()
	t.Cleanup(srv.srv.Close)
	return secretCase{
		name:     "bearer: token from secret",
		manifest: scaledObjectYAML(srv.srv.URL, "      authModes: bearer\n", "  secretTargetRef:\n  - {parameter: bearerToken, name: prom, key: token}\n"),
		secrets:  map[string]map[string]string{"prom": {"token": secretBearer}},
		server:   srv,
		values:   []string{secretBearer},
		authKind: amp.KindAuth,
	}
}

func basicCase(t *testing.T) secretCase {
	srv := newAuthServer(func(r *http.Request) bool {
		user, password, ok := r.BasicAuth()
		return ok && user == basicUsername && password == secretPassword
	}, unauthorized)
	srv.srv.Start()
	t.Cleanup(srv.srv.Close)
	auth := `  secretTargetRef:
  - {parameter: username, name: prom, key: user}
  - {parameter: password, name: prom, key: password}
`
	return secretCase{
		name:     "basic: username and password",
		manifest: scaledObjectYAML(srv.srv.URL, "      authModes: basic\n", auth),
		secrets:  map[string]map[string]string{"prom": {"user": basicUsername, "password": secretPassword}},
		server:   srv,
		values:   []string{secretPassword},
		authKind: amp.KindAuth,
	}
}

func customHeaderCase(t *testing.T) secretCase {
	srv := newAuthServer(func(r *http.Request) bool {
		return r.Header.Get("X-Api-Key") == secretHeaderValue && r.URL.Query().Get("api_key") == secretQueryParam &&
			r.Header.Get("Authorization") == "Bearer "+secretBearer
	}, unauthorized)
	srv.srv.Start()
	t.Cleanup(srv.srv.Close)
	metadata := "      authModes: bearer\n      customHeaders: X-Api-Key=" + secretHeaderValue + "\n      queryParameters: api_key=" + secretQueryParam + "\n"
	return secretCase{
		name:     "custom header: customHeaders, queryParameters and bearer",
		manifest: scaledObjectYAML(srv.srv.URL, metadata, "  secretTargetRef:\n  - {parameter: bearerToken, name: prom, key: token}\n"),
		secrets:  map[string]map[string]string{"prom": {"token": secretBearer}},
		server:   srv,
		values:   []string{secretHeaderValue, secretQueryParam, secretBearer},
		authKind: amp.KindAuth,
	}
}

func tlsCase(t *testing.T) secretCase {
	certPEM, keyPEM, clientCert := newClientCertificate(t)
	pool := x509.NewCertPool()
	pool.AddCert(clientCert)

	srv := newAuthServer(func(r *http.Request) bool {
		return r.TLS != nil && len(r.TLS.PeerCertificates) > 0 && r.TLS.PeerCertificates[0].Subject.CommonName == "promscaler-client"
	}, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "Forbidden", http.StatusForbidden)
	})
	srv.srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12}
	srv.srv.StartTLS()
	t.Cleanup(srv.srv.Close)
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.srv.Certificate().Raw}))

	auth := `  secretTargetRef:
  - {parameter: ca, name: prom-tls, key: ca.crt}
  - {parameter: cert, name: prom-tls, key: tls.crt}
  - {parameter: key, name: prom-tls, key: tls.key}
`
	values := append([]string{keyPEM}, pemBodyLines(keyPEM)...)
	return secretCase{
		name:     "tls: client certificate and key",
		manifest: scaledObjectYAML(srv.srv.URL, "      authModes: tls\n", auth),
		secrets:  map[string]map[string]string{"prom-tls": {"ca.crt": caPEM, "tls.crt": certPEM, "tls.key": keyPEM}},
		server:   srv,
		values:   values,
		authKind: amp.KindAuth,
	}
}

// newClientCertificate returns a self-signed client certificate and its
// private key in PEM.
func newClientCertificate(t *testing.T) (certPEM, keyPEM string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(7),
		Subject:               pkix.Name{CommonName: "promscaler-client"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err = x509.ParseCertificate(der)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)

	certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	return certPEM, keyPEM, cert
}

// pemBodyLines returns the base64 lines of a PEM block that are long enough
// to be found by chance nowhere else, so that a key printed in part is
// caught too.
func pemBodyLines(block string) []string {
	var lines []string
	for line := range strings.SplitSeq(block, "\n") {
		if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			lines = append(lines, line)
		}
	}
	return lines
}

// isolateAWS keeps the AWS SDK away from the host's configuration and from
// the instance metadata service.
func isolateAWS(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_ACCESS_KEY_ID", amptest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", amptest.SecretAccessKey)
	t.Setenv("AWS_REGION", "us-east-1")
}

// outputs collects every text a host could print, log or export about a
// scaler, each under a name for the failure message.
type outputs struct {
	names []string
	texts []string
}

func (o *outputs) add(name, text string) {
	o.names = append(o.names, name)
	o.texts = append(o.texts, text)
}

// addError adds err as Error() returns it and as fmt prints it.
func (o *outputs) addError(name string, err error) {
	if err == nil {
		return
	}
	o.add(name+" Error()", err.Error())
	o.add(name+" %+v", fmt.Sprintf("%+v", err))
	o.add(name+" %#v", fmt.Sprintf("%#v", err))
}

func TestSecretsNeverInOutputs(t *testing.T) {
	isolateAWS(t)
	cases := []func(*testing.T) secretCase{sigv4SessionCase, sigv4CredentialsCase, bearerCase, basicCase, customHeaderCase, tlsCase}
	for _, newCase := range cases {
		tc := newCase(t)
		t.Run(tc.name, func(t *testing.T) {
			runSecretCase(t, tc)
		})
	}
}

func runSecretCase(t *testing.T, tc secretCase) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := prometheus.NewRegistry()
	metrics, err := scaler.NewMetrics(reg)
	require.NoError(t, err)

	so, err := scaler.LoadScaledObject([]byte(tc.manifest))
	require.NoError(t, err)
	cfg, err := so.Config(scaler.BuildOptions{
		Target:      scaler.NewMemoryTarget(1, nil),
		Secrets:     tc.secrets,
		Credentials: tc.credentials,
		Logger:      logger,
		Metrics:     metrics,
	})
	require.NoError(t, err)
	s, err := scaler.New(cfg)
	require.NoError(t, err)

	var out outputs
	addConfig(&out, logger, cfg)
	now := time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC)
	for i, mode := range []serverMode{modeGood, modeAuthFailure, modeServerError, modeNetworkError} {
		tc.server.setMode(mode)
		d, err := s.Step(context.Background(), now.Add(time.Duration(i)*30*time.Second))
		checkMode(t, tc, mode, d, err)
		addPoll(&out, mode.String(), s, d, err)
		out.add(mode.String()+" metrics", gatherText(t, reg))
	}
	out.addError("Shutdown", s.Shutdown(context.Background()))
	out.add("logs", logs.String())

	signatures := tc.server.signatures()
	if tc.wantSignatures {
		require.NotEmpty(t, signatures, "signatures captured from the server")
	}
	secrets := append(append([]string(nil), tc.values...), signatures...)
	for i, text := range out.texts {
		for _, secret := range secrets {
			assert.NotContains(t, text, secret, "%s contains a secret", out.names[i])
		}
	}
	if os.Getenv("SECRETS_DUMP") != "" {
		for i, text := range out.texts {
			t.Logf("== %s\n%s", out.names[i], text)
		}
	}
	t.Logf("checked %d outputs, %d bytes of them logs, for %d secret values and %d signatures", len(out.texts), logs.Len(), len(tc.values), len(signatures))
}

// addConfig adds the Config as fmt prints it and as the logger writes it.
func addConfig(out *outputs, logger *slog.Logger, cfg scaler.Config) {
	out.add("Config %v", fmt.Sprintf("%v", cfg))
	out.add("Config %+v", fmt.Sprintf("%+v", cfg))
	out.add("Config %#v", fmt.Sprintf("%#v", cfg))
	for _, trigger := range cfg.Triggers {
		out.add("Source %+v", fmt.Sprintf("%+v", trigger.Source))
		out.add("Source %#v", fmt.Sprintf("%#v", trigger.Source))
		logger.Debug("trigger", "trigger", trigger, "source", trigger.Source)
	}
	logger.Debug("config", "config", cfg)
}

// addPoll adds what a host could print about one poll.
func addPoll(out *outputs, name string, s *scaler.Scaler, d scaler.Decision, err error) {
	out.addError(name+" Step error", err)
	for _, tv := range d.Triggers {
		out.addError(name+" trigger error", tv.Err)
	}
	out.add(name+" Explain", d.Explain())
	out.add(name+" Decision %+v", fmt.Sprintf("%+v", d))
	out.add(name+" Status.Summary", s.Status().Summary(true))
	out.add(name+" Status %+v", fmt.Sprintf("%+v", s.Status()))
	state, jsonErr := json.Marshal(s.State())
	if jsonErr != nil {
		state = []byte(jsonErr.Error())
	}
	out.add(name+" State JSON", string(state))
}

// checkMode checks that the poll saw the failure that mode causes, so
// that each mode reaches the code that reports it.
func checkMode(t *testing.T, tc secretCase, mode serverMode, d scaler.Decision, err error) {
	t.Helper()
	if mode == modeGood {
		require.NoError(t, err, "good poll")
		assert.Equal(t, int32(3), d.DesiredReplicas, "replicas after the good poll: ceil(140 / 50)")
		return
	}
	require.Error(t, err, mode.String())
	var ampErr *amp.Error
	require.ErrorAs(t, err, &ampErr, mode.String())
	want := map[serverMode]amp.ErrorKind{modeAuthFailure: tc.authKind, modeServerError: amp.KindUnavailable, modeNetworkError: amp.KindUnavailable}[mode]
	assert.Equal(t, want, ampErr.Kind, "%s: error kind of %v", mode, err)
}

// gatherText returns the registry's metrics in the text exposition format.
func gatherText(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	var b bytes.Buffer
	for _, mf := range families {
		_, err := expfmt.MetricFamilyToText(&b, mf)
		require.NoError(t, err)
	}
	return b.String()
}

// The scaler's Config prints its sources as pointers, so the client
// configuration that a ScaledObject builds is checked here as a host would
// print or log an amp.Config of its own with the same secrets.
func TestClientConfigPrintsRedacted(t *testing.T) {
	isolateAWS(t)
	certPEM, keyPEM, _ := newClientCertificate(t)
	cfg := amp.Config{
		ServerAddress: "https://prometheus.monitoring:9090",
		BearerToken:   secretBearer,
		BasicAuth:     &amp.BasicAuth{Username: basicUsername, Password: secretPassword},
		TLS:           amp.TLSConfig{Cert: certPEM, Key: keyPEM},
		Headers:       map[string]string{"X-Api-Key": secretHeaderValue},
	}
	credentials, err := sigv4.NewCredentials(context.Background(), sigv4.CredentialsConfig{
		AccessKeyID: secretAccessKeyID, SecretAccessKey: secretAccessKey, SessionToken: secretSession,
	})
	require.NoError(t, err)
	signed := amp.Config{ServerAddress: "http://127.0.0.1:9090", SigV4: true, Region: "eu-west-1", Credentials: credentials}

	var out outputs
	for _, c := range []amp.Config{cfg, signed} {
		out.add("String", c.String())
		out.add("GoString", c.GoString())
		out.add("%v", fmt.Sprintf("%v", c))
		out.add("%+v", fmt.Sprintf("%+v", c))
		out.add("%#v", fmt.Sprintf("%#v", c))
		out.add("%+v of a pointer", fmt.Sprintf("%+v", &c))
		var jsonLog, textLog bytes.Buffer
		slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("client", "config", c)
		slog.New(slog.NewTextHandler(&textLog, nil)).Info("client", "config", c)
		out.add("LogValue JSON", jsonLog.String())
		out.add("LogValue text", textLog.String())
	}

	require.Contains(t, out.texts[0], basicUsername, "String shows the user name")
	secrets := append([]string{secretBearer, secretPassword, secretHeaderValue, secretAccessKey, secretSession}, pemBodyLines(keyPEM)...)
	for i, text := range out.texts {
		for _, secret := range secrets {
			assert.NotContains(t, text, secret, "%s contains a secret", out.names[i])
		}
	}
}

func TestBuildErrorsNameNoSecret(t *testing.T) {
	isolateAWS(t)
	certPEM, keyPEM, _ := newClientCertificate(t)
	_, otherKeyPEM, _ := newClientCertificate(t)
	const garbageKey = "SECRET-notpem-key-77aa"
	tlsAuth := "  secretTargetRef:\n  - {parameter: cert, name: prom, key: cert}\n  - {parameter: key, name: prom, key: key}\n"
	awsAuth := "  secretTargetRef:\n  - {parameter: awsSecretAccessKey, name: aws, key: secret}\n  - {parameter: awsSessionToken, name: aws, key: token}\n"
	bearerAuth := "  secretTargetRef:\n  - {parameter: bearerToken, name: prom, key: token}\n"

	tests := []struct {
		name     string
		manifest string
		secrets  map[string]map[string]string
		values   []string
	}{
		{"build: bearer token with line break",
			scaledObjectYAML("http://127.0.0.1:9", "      authModes: bearer\n", bearerAuth),
			map[string]map[string]string{"prom": {"token": secretBearer + "\nX-Other: 1"}},
			[]string{secretBearer}},
		{"build: key that is not PEM",
			scaledObjectYAML("https://127.0.0.1:9", "      authModes: tls\n", tlsAuth),
			map[string]map[string]string{"prom": {"cert": certPEM, "key": garbageKey}},
			[]string{garbageKey}},
		{"build: key of another certificate",
			scaledObjectYAML("https://127.0.0.1:9", "      authModes: tls\n", tlsAuth),
			map[string]map[string]string{"prom": {"cert": certPEM, "key": otherKeyPEM}},
			pemBodyLines(otherKeyPEM)},
		{"build: key PEM cut short",
			scaledObjectYAML("https://127.0.0.1:9", "      authModes: tls\n", tlsAuth),
			map[string]map[string]string{"prom": {"cert": certPEM, "key": keyPEM[:len(keyPEM)/2]}},
			pemBodyLines(keyPEM[:len(keyPEM)/2])},
		{"build: secret key without key ID",
			scaledObjectYAML("http://127.0.0.1:9", "      awsRegion: eu-west-1\n", awsAuth),
			map[string]map[string]string{"aws": {"secret": secretAccessKey, "token": secretSession}},
			[]string{secretAccessKey, secretSession}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			so, err := scaler.LoadScaledObject([]byte(tt.manifest))
			require.NoError(t, err)
			_, err = so.Config(scaler.BuildOptions{Target: scaler.NewMemoryTarget(1, nil), Secrets: tt.secrets})

			require.Error(t, err)
			require.NotEmpty(t, tt.values, "secrets to look for")
			for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), strings.Join(so.Warnings(), "\n")} {
				for _, secret := range tt.values {
					assert.NotContains(t, text, secret, "error or warning contains a secret")
				}
			}
			t.Log(err)
		})
	}
}
