package amp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/promscaler/promscaler/amp/amptest"
	"github.com/promscaler/promscaler/sigv4"
)

// seen is what a test server received.
type seen struct {
	method string
	header http.Header
	query  url.Values
	body   string
}

// newEchoServer records each request and responds with an empty vector.
func newEchoServer(t *testing.T) (*httptest.Server, func() seen) {
	t.Helper()
	var mu sync.Mutex
	var last seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		last = seen{method: r.Method, header: r.Header.Clone(), query: r.URL.Query(), body: string(body)}
		mu.Unlock()
		io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() seen {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

func TestQuerySendsAuthAndExtras(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		wantAuth  string
		wantQuery url.Values
		wantBody  string
	}{
		{name: "sends: bearer token", cfg: Config{BearerToken: "t0ken"}, wantAuth: "Bearer t0ken", wantQuery: url.Values{}, wantBody: "query=up&time=1440938160.123"},
		{name: "sends: basic auth", cfg: Config{BasicAuth: &BasicAuth{Username: "alice", Password: "s3cret"}}, wantAuth: "Basic YWxpY2U6czNjcmV0", wantQuery: url.Values{}, wantBody: "query=up&time=1440938160.123"},
		{name: "sends: extra parameters in URL", cfg: Config{QueryParameters: url.Values{"dedup": {"true"}}}, wantQuery: url.Values{"dedup": {"true"}}, wantBody: "query=up&time=1440938160.123"},
		{name: "sends: GET parameters in URL", cfg: Config{Method: http.MethodGet, QueryParameters: url.Values{"dedup": {"true"}}},
			wantQuery: url.Values{"dedup": {"true"}, "query": {"up"}, "time": {"1440938160.123"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, last := newEchoServer(t)
			cfg := tt.cfg
			cfg.ServerAddress = srv.URL
			cfg.Headers = map[string]string{"X-Scope-OrgID": "team-a"}
			c, err := NewClient(cfg)
			require.NoError(t, err)

			_, err = c.Query(context.Background(), "up", t0)

			require.NoError(t, err)
			got := last()
			assert.Equal(t, tt.wantAuth, got.header.Get("Authorization"))
			assert.Equal(t, "team-a", got.header.Get("X-Scope-OrgID"))
			assert.Equal(t, tt.wantQuery, got.query)
			assert.Equal(t, tt.wantBody, got.body)
		})
	}
}

func TestQueryRangeSendsParameters(t *testing.T) {
	srv, last := newEchoServer(t)
	c := newTestClient(t, srv.URL)

	_, err := c.QueryRange(context.Background(), "sum(up)", t0, t0.Add(10*time.Minute), 90*time.Second)

	require.NoError(t, err)
	form, err := url.ParseQuery(last().body)
	require.NoError(t, err)
	assert.Equal(t, url.Values{"query": {"sum(up)"}, "start": {"1440938160.123"}, "end": {"1440938760.123"}, "step": {"90"}}, form)
}

func TestQueryRangeRejectsBadRange(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:9")
	tests := []struct {
		name       string
		start, end time.Time
		step       time.Duration
		wantErr    string
	}{
		{name: "rejects: zero step", start: t0, end: t0.Add(time.Minute), wantErr: "range query step 0s must be positive"},
		{name: "rejects: end before start", start: t0, end: t0.Add(-time.Minute), step: time.Second, wantErr: "is before its start"},
		{name: "rejects: zero start", end: t0, step: time.Second, wantErr: "needs a start and an end time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.QueryRange(context.Background(), "up", tt.start, tt.end, tt.step)

			var qerr *Error
			require.ErrorAs(t, err, &qerr)
			assert.Equal(t, KindBadData, qerr.Kind)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

// recordingTransport records the requests that reach it and sends them
// with http.DefaultTransport.
type recordingTransport struct {
	mu      sync.Mutex
	headers []http.Header
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.headers = append(r.headers, req.Header.Clone())
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func TestHTTPClientTransportsCompose(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	below := &recordingTransport{}
	c, err := NewClient(Config{
		ServerAddress: srv.URL(), SigV4: true, Region: srv.Region(), Credentials: srv.Credentials(),
		Headers:    map[string]string{"X-Team": "payments"},
		HTTPClient: &http.Client{Transport: below},
	})
	require.NoError(t, err)

	_, err = c.Query(context.Background(), "sum(up)", t0)

	require.NoError(t, err)
	require.Len(t, below.headers, 1)
	header := below.headers[0]
	assert.Equal(t, "payments", header.Get("X-Team"), "headers are added above the caller's transport")
	assert.Contains(t, header.Get("Authorization"), "SignedHeaders=")
	assert.Contains(t, header.Get("Authorization"), "x-team", "the signer runs after the headers are added")
	assert.True(t, srv.Requests()[0].Verified)
}

func TestHTTPClientSignerIsNotDoubled(t *testing.T) {
	signer, err := sigv4.NewRoundTripper(sigv4.Config{Region: "us-east-1", Credentials: staticCredentials()})
	require.NoError(t, err)
	user := &http.Client{Transport: signer, Timeout: time.Minute}

	c, err := NewClient(Config{ServerAddress: "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1", HTTPClient: user})
	require.NoError(t, err)

	assert.Same(t, signer, c.http.Transport)
	assert.Equal(t, time.Minute, c.http.Timeout, "the caller's client settings are kept")
	assert.Same(t, signer, user.Transport, "the caller's client is not modified")
}

// redirectTransport sends every request to target but keeps the original
// Host header, so a local server can stand in for an AMP host.
type redirectTransport struct {
	target *url.URL
}

func (r redirectTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Host = req.URL.Host
	out.URL.Scheme = r.target.Scheme
	out.URL.Host = r.target.Host
	return http.DefaultTransport.RoundTrip(out)
}

func TestWorkspaceHostIsSignedAutomatically(t *testing.T) {
	tests := []struct {
		name    string
		address string
		cfg     Config
		env     map[string]string
		want    bool
		wantK   ErrorKind
	}{
		{name: "signs: explicit credentials", cfg: Config{Credentials: staticCredentials()}, want: true},
		{name: "signs: VPC endpoint name", address: "https://vpce-0123abcd.aps-workspaces.ap-northeast-2.vpce.amazonaws.com/workspaces/ws-1",
			cfg: Config{Credentials: staticCredentials()}, want: true},
		{name: "signs: zonal VPC endpoint name", address: "https://vpce-0123abcd-ap-northeast-2a.aps-workspaces.ap-northeast-2.vpce.amazonaws.com/workspaces/ws-1",
			cfg: Config{Credentials: staticCredentials()}, want: true},
		{name: "signs: default chain from environment", env: map[string]string{
			"AWS_ACCESS_KEY_ID": amptest.AccessKeyID, "AWS_SECRET_ACCESS_KEY": amptest.SecretAccessKey,
		}, want: true},
		{name: "fails: default chain with wrong key", env: map[string]string{
			"AWS_ACCESS_KEY_ID": amptest.AccessKeyID, "AWS_SECRET_ACCESS_KEY": "wrong",
		}, wantK: KindAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateAWSEnvironment(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			srv := amptest.NewServer(t, amptest.Config{Region: "ap-northeast-2", WorkspaceID: "ws-1"})
			target, err := url.Parse(srv.URL())
			require.NoError(t, err)
			cfg := tt.cfg
			cfg.ServerAddress = "https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-1"
			if tt.address != "" {
				cfg.ServerAddress = tt.address
			}
			cfg.HTTPClient = &http.Client{Transport: redirectTransport{target: target}}
			cfg.Retry = RetryConfig{MaxAttempts: 1}
			c, err := NewClient(cfg)
			require.NoError(t, err)

			_, err = c.Query(context.Background(), "sum(up)", t0)

			if tt.want {
				require.NoError(t, err)
				assert.Contains(t, srv.Requests()[0].Header.Get("Authorization"), "/ap-northeast-2/aps/aws4_request", "region from the host name")
				return
			}
			var qerr *Error
			require.ErrorAs(t, err, &qerr)
			assert.Equal(t, tt.wantK, qerr.Kind)
		})
	}
}

// isolateAWSEnvironment hides the machine's AWS configuration from the SDK.
func isolateAWSEnvironment(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION",
		"AWS_DEFAULT_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(name, "")
	}
	t.Setenv("AWS_CONFIG_FILE", dir+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/credentials")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestTLSSettings(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
	}))
	t.Cleanup(srv.Close)
	serverCA := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	tests := []struct {
		name     string
		tls      TLSConfig
		wantKind ErrorKind
	}{
		{name: "accepts: server CA", tls: TLSConfig{CA: serverCA}},
		{name: "accepts: skipped verification", tls: TLSConfig{InsecureSkipVerify: true}},
		{name: "rejects: unknown CA", tls: TLSConfig{}, wantKind: KindUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(Config{ServerAddress: srv.URL, TLS: tt.tls, Retry: RetryConfig{MaxAttempts: 1}})
			require.NoError(t, err)

			_, err = c.Query(context.Background(), "up", t0)

			if tt.wantKind == "" {
				assert.NoError(t, err)
				return
			}
			var qerr *Error
			require.ErrorAs(t, err, &qerr)
			assert.Equal(t, tt.wantKind, qerr.Kind)
			assert.Contains(t, err.Error(), "certificate")
		})
	}
}

func TestTLSClientCertificate(t *testing.T) {
	caCert, caKey := newTestCA(t)
	certPEM, keyPEM := newClientCertificate(t, caCert, caKey)
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
	}))
	srv.TLS = &tls.Config{ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	serverCA := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	withCert, err := NewClient(Config{ServerAddress: srv.URL, TLS: TLSConfig{CA: serverCA, Cert: certPEM, Key: keyPEM}})
	require.NoError(t, err)
	withoutCert, err := NewClient(Config{ServerAddress: srv.URL, TLS: TLSConfig{CA: serverCA}, Retry: RetryConfig{MaxAttempts: 1}})
	require.NoError(t, err)

	_, errWith := withCert.Query(context.Background(), "up", t0)
	_, errWithout := withoutCert.Query(context.Background(), "up", t0)

	assert.NoError(t, errWith)
	assert.Error(t, errWithout)
}

func newTestCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert, key
}

func newClientCertificate(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	template := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "promscaler test client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	return certPEM, keyPEM
}

func TestQueryBodyCutByTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	// The headers must arrive within the timeout even on a loaded machine,
	// so that the timeout falls in the body.
	c, err := NewClient(Config{ServerAddress: srv.URL, Timeout: time.Second, Retry: RetryConfig{MaxAttempts: 1}})
	require.NoError(t, err)

	_, err = c.Query(context.Background(), "up", t0)

	var qerr *Error
	require.ErrorAs(t, err, &qerr)
	assert.Equal(t, KindTimeout, qerr.Kind)
	assert.Equal(t, http.StatusOK, qerr.StatusCode)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, IsRetryable(err))
}
