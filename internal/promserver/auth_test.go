package promserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/promscaler/promscaler/sigv4"
)

const (
	testRegion    = "ap-northeast-2"
	testService   = "aps"
	testAccessKey = "AKIDEXAMPLE"
	testSecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

// signingNow is the clock of both the signer and the verifier, so the
// signatures do not depend on the wall clock.
func signingNow() time.Time { return t0 }

// startSignedServer starts a server that accepts only requests signed with
// the test key for ap-northeast-2 and aps.
func startSignedServer(t *testing.T) *Server {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	verifier := &sigv4.Verifier{
		Region:  testRegion,
		Service: testService,
		Credentials: []aws.Credentials{
			{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey},
		},
		Now: signingNow,
	}
	s, err := Start(Config{
		Storage:     newPodStorage(t),
		WorkspaceID: "ws-signed",
		Verifier:    verifier,
		Now:         func() time.Time { return t0 },
	})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

// newSigningClient returns a client that signs with secret and passes the
// signed request through next, or a fresh transport when next is nil.
func newSigningClient(t *testing.T, secret string, next http.RoundTripper) *http.Client {
	t.Helper()
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	if next == nil {
		next = transport
	}
	if tamper, ok := next.(*tamperTransport); ok {
		tamper.next = transport
	}

	signer, err := sigv4.NewRoundTripper(sigv4.Config{
		Region:      testRegion,
		Service:     testService,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, secret, ""),
		Transport:   next,
		Now:         signingNow,
	})
	require.NoError(t, err)
	return &http.Client{Transport: signer, Timeout: 10 * time.Second}
}

// tamperTransport changes a request after it was signed, as a proxy that
// rewrites requests would.
type tamperTransport struct {
	edit func(*http.Request)
	next http.RoundTripper
}

func (tt *tamperTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	edited := r.Clone(r.Context())
	tt.edit(edited)
	return tt.next.RoundTrip(edited)
}

// authResult is a response of the signed server.
type authResult struct {
	status    int
	errorType string
	message   string
	body      []byte
}

func send(t *testing.T, client *http.Client, r *http.Request) authResult {
	t.Helper()
	resp, err := client.Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	result := authResult{status: resp.StatusCode, errorType: resp.Header.Get("x-amzn-ErrorType"), body: raw}
	if resp.StatusCode == http.StatusForbidden {
		var body map[string]string
		require.NoError(t, json.Unmarshal(raw, &body), "body: %s", raw)
		result.message = body["message"]
		assert.Len(t, body, 1, "AMP's error body holds only a message")
	}
	return result
}

func queryURL(s *Server) string {
	return s.URL() + "/api/v1/query?" + url.Values{"query": {seedQuery}}.Encode()
}

func TestAuthAcceptsSignedGet(t *testing.T) {
	s := startSignedServer(t)
	client := newSigningClient(t, testSecretKey, nil)
	r, err := http.NewRequest(http.MethodGet, queryURL(s), nil)
	require.NoError(t, err)

	got := send(t, client, r)

	require.Equal(t, http.StatusOK, got.status, "body: %s", got.body)
	var body apiResponse
	require.NoError(t, json.Unmarshal(got.body, &body))
	vector := decodeVector(t, body)
	require.Len(t, vector, 1)
	assert.Equal(t, 140.0, float64(vector[0].Value))
}

func TestAuthAcceptsSignedPostForm(t *testing.T) {
	s := startSignedServer(t)
	client := newSigningClient(t, testSecretKey, nil)
	form := url.Values{"query": {seedQuery}, "time": {fmt.Sprint(t0.Add(5 * time.Minute).Unix())}}
	r, err := http.NewRequest(http.MethodPost, s.URL()+"/api/v1/query", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")

	got := send(t, client, r)

	require.Equal(t, http.StatusOK, got.status, "body: %s", got.body)
	var body apiResponse
	require.NoError(t, json.Unmarshal(got.body, &body))
	vector := decodeVector(t, body)
	require.Len(t, vector, 1)
	assert.Equal(t, 200.0, float64(vector[0].Value), "the form in the body reaches the query after verification")
}

func TestAuthRejectsWrongSecret(t *testing.T) {
	s := startSignedServer(t)
	client := newSigningClient(t, "not-the-secret-key", nil)
	r, err := http.NewRequest(http.MethodGet, queryURL(s), nil)
	require.NoError(t, err)

	got := send(t, client, r)

	assert.Equal(t, http.StatusForbidden, got.status)
	assert.Equal(t, sigv4.CodeInvalidSignature, got.errorType)
	assert.Contains(t, got.message, "signature")
	assert.NotContains(t, string(got.body), testSecretKey)
}

func TestAuthRejectsMissingSignature(t *testing.T) {
	s := startSignedServer(t)
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}

	tests := []struct {
		name   string
		target string
	}{
		{"rejects: unsigned query", queryURL(s)},
		{"rejects: unsigned unknown path", s.URL() + "/api/v1/labels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodGet, tt.target, nil)
			require.NoError(t, err)

			got := send(t, client, r)

			assert.Equal(t, http.StatusForbidden, got.status, "authentication comes before routing")
			assert.Equal(t, sigv4.CodeMissingAuthenticationToken, got.errorType)
			assert.NotEmpty(t, got.message)
		})
	}
}

func TestAuthRejectsTamperedRequest(t *testing.T) {
	s := startSignedServer(t)

	tests := []struct {
		name   string
		method string
		body   string
		edit   func(*http.Request)
	}{
		{
			"accepts: nothing changed",
			http.MethodGet, "",
			func(*http.Request) {},
		},
		{
			"rejects: query changed in URL",
			http.MethodGet, "",
			func(r *http.Request) {
				r.URL.RawQuery = url.Values{"query": {podQuery}}.Encode()
			},
		},
		{
			"rejects: path changed",
			http.MethodGet, "",
			func(r *http.Request) {
				r.URL.Path = strings.Replace(r.URL.Path, "/query", "/query_range", 1)
			},
		},
		{
			"rejects: query changed in body",
			http.MethodPost, url.Values{"query": {seedQuery}}.Encode(),
			func(r *http.Request) {
				edited := []byte(url.Values{"query": {podQuery}}.Encode())
				r.Body = io.NopCloser(bytes.NewReader(edited))
				r.ContentLength = int64(len(edited))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := newSigningClient(t, testSecretKey, &tamperTransport{edit: tt.edit})
			target := queryURL(s)
			var body io.Reader
			if tt.body != "" {
				target = s.URL() + "/api/v1/query"
				body = strings.NewReader(tt.body)
			}
			r, err := http.NewRequest(tt.method, target, body)
			require.NoError(t, err)
			if tt.body != "" {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}

			got := send(t, client, r)

			if strings.HasPrefix(tt.name, "accepts") {
				assert.Equal(t, http.StatusOK, got.status, "body: %s", got.body)
				return
			}
			assert.Equal(t, http.StatusForbidden, got.status, "body: %s", got.body)
			assert.Equal(t, sigv4.CodeInvalidSignature, got.errorType)
		})
	}
}

func TestAuthRejectsOversizedBody(t *testing.T) {
	s := startSignedServer(t)
	client := newSigningClient(t, testSecretKey, nil)
	form := "query=" + strings.Repeat("x", maxBodyBytes)
	r, err := http.NewRequest(http.MethodPost, s.URL()+"/api/v1/query", strings.NewReader(form))
	require.NoError(t, err)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")

	got := send(t, client, r)

	assert.Equal(t, http.StatusRequestEntityTooLarge, got.status)
	var body apiResponse
	require.NoError(t, json.Unmarshal(got.body, &body))
	assert.Equal(t, "bad_data", body.ErrorType)
	assert.Contains(t, body.Error, "larger than 10485760 bytes")
}

func TestAuthVerifierWithoutRegion(t *testing.T) {
	s := newTestServer(t, Config{Verifier: &sigv4.Verifier{}})
	w := httptest.NewRecorder()

	s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/workspaces/ws-test/api/v1/query?query=up", nil))

	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Equal(t, sigv4.CodeInternalFailure, w.Header().Get("x-amzn-ErrorType"))
	assert.Contains(t, w.Body.String(), "region")
}
