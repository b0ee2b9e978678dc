package sigv4

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	static := credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, "")

	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "accepts: region and credentials", cfg: Config{Region: "ap-northeast-2", Credentials: static}},
		{name: "accepts: custom service", cfg: Config{Region: "us-east-1", Service: "execute-api", Credentials: static}},
		{name: "rejects: empty region", cfg: Config{Credentials: static}, wantErr: "sigv4: region is empty"},
		{name: "accepts: GovCloud region", cfg: Config{Region: "us-gov-west-1", Credentials: static}},
		{name: "accepts: China region", cfg: Config{Region: "cn-north-1", Credentials: static}},
		{name: "accepts: sovereign cloud region", cfg: Config{Region: "eusc-de-east-1", Credentials: static}},
		{name: "rejects: region with slash", cfg: Config{Region: "us-east-1/aps", Credentials: static}, wantErr: `invalid region "us-east-1/aps"`},
		{name: "rejects: upper-case region", cfg: Config{Region: "AP-NORTHEAST-2", Credentials: static},
			wantErr: `sigv4: invalid region "AP-NORTHEAST-2": a region is written in lower case; use "ap-northeast-2"`},
		{name: "rejects: region with underscores", cfg: Config{Region: "ap_northeast_2", Credentials: static},
			wantErr: `sigv4: invalid region "ap_northeast_2": a region joins its words with hyphens; use "ap-northeast-2"`},
		{name: "rejects: workspace host as region", cfg: Config{Region: "aps-workspaces.ap-northeast-2.amazonaws.com", Credentials: static},
			wantErr: `is a host name, not a region, and RegionFromHost reads region "ap-northeast-2" from it; set that region, or let ResolveRegion`},
		{name: "rejects: other host as region", cfg: Config{Region: "amp-proxy.monitoring.svc", Credentials: static},
			wantErr: "is a host name, not a region, and RegionFromHost finds no region in it"},
		{name: "rejects: region without number", cfg: Config{Region: "us-east", Credentials: static},
			wantErr: `invalid region "us-east": a region is lower-case words and a number joined by hyphens, for example "us-east-1"`},
		{name: "rejects: service with space", cfg: Config{Region: "us-east-1", Service: "a ps", Credentials: static}, wantErr: `invalid service "a ps"`},
		{name: "rejects: missing credentials", cfg: Config{Region: "us-east-1"}, wantErr: "sigv4: credentials are missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()

			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestNewRoundTripperRejectsEmptyRegion(t *testing.T) {
	called := false
	next := roundTripFunc(func(*http.Request) (*http.Response, error) {
		called = true
		return nil, errors.New("unreachable")
	})

	rt, err := NewRoundTripper(Config{Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""), Transport: next})

	assert.Nil(t, rt)
	assert.ErrorContains(t, err, "region is empty")
	assert.False(t, called, "no request may be sent")
}

// closeRecorder records whether Close was called.
type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error {
	c.closed = true
	return nil
}

func TestRoundTripLeavesCallerRequestAlone(t *testing.T) {
	body := &closeRecorder{Reader: strings.NewReader(testForm)}
	req, err := http.NewRequest(http.MethodPost, testTarget+"?a=1", body)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer stale")
	req.Header.Set("X-Amz-Date", "20000101T000000Z")
	req.Header.Set("X-Amz-Security-Token", "stale-token")
	before := req.Header.Clone()

	sent := &capture{}
	resp, err := newTestRoundTripper(t, testCreds, t0, sent).RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()

	assert.Equal(t, before, req.Header, "caller's headers")
	assert.Equal(t, testTarget+"?a=1", req.URL.String(), "caller's URL")
	assert.True(t, body.closed, "caller's body must be closed")
	assert.NotSame(t, req, sent.req)

	assert.True(t, strings.HasPrefix(sent.req.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/aps/aws4_request, "),
		"Authorization = %q", sent.req.Header.Get("Authorization"))
	assert.Equal(t, "20150830T123600Z", sent.req.Header.Get("X-Amz-Date"))
	assert.Empty(t, sent.req.Header.Values("X-Amz-Security-Token"), "stale token must be dropped")
	assert.Empty(t, sent.req.Header.Get("X-Amz-Content-Sha256"))
}

func TestRoundTripReplayableBody(t *testing.T) {
	req, err := http.NewRequest(http.MethodPost, testTarget, strings.NewReader(testForm))
	require.NoError(t, err)

	sent := &capture{}
	_, err = newTestRoundTripper(t, testCreds, t0, sent).RoundTrip(req)
	require.NoError(t, err)

	assert.Equal(t, testForm, string(sent.body))
	assert.Equal(t, int64(len(testForm)), sent.req.ContentLength)
	require.NotNil(t, sent.req.GetBody)
	again, err := sent.req.GetBody()
	require.NoError(t, err)
	replay, _ := io.ReadAll(again)
	assert.Equal(t, testForm, string(replay))
}

func TestRoundTripEmptyBodies(t *testing.T) {
	tests := []struct {
		name     string
		body     io.Reader
		wantBody bool
	}{
		{name: "sends: nil body as none", body: nil},
		{name: "sends: NoBody as NoBody", body: http.NoBody, wantBody: true},
		{name: "sends: empty reader as NoBody", body: strings.NewReader(""), wantBody: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, testTarget, tt.body)
			require.NoError(t, err)

			sent := &capture{}
			_, err = newTestRoundTripper(t, testCreds, t0, sent).RoundTrip(req)
			require.NoError(t, err)

			assert.Zero(t, sent.req.ContentLength)
			assert.Equal(t, tt.wantBody, sent.req.Body != nil, "body present")
			assert.NotEmpty(t, sent.req.Header.Get("Authorization"))
		})
	}
}

func TestRoundTripSessionToken(t *testing.T) {
	req, err := http.NewRequest(http.MethodGet, testTarget, nil)
	require.NoError(t, err)

	sent := &capture{}
	_, err = newTestRoundTripper(t, withToken(testCreds, "session-token"), t0, sent).RoundTrip(req)
	require.NoError(t, err)

	assert.Equal(t, "session-token", sent.req.Header.Get("X-Amz-Security-Token"))
	assert.Contains(t, sent.req.Header.Get("Authorization"), "SignedHeaders=host;x-amz-date;x-amz-security-token,")
}

func TestRoundTripCustomService(t *testing.T) {
	rt, err := NewRoundTripper(Config{
		Region:      "eu-west-1",
		Service:     "execute-api",
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
		Transport:   &capture{},
		Now:         func() time.Time { return t0 },
	})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodGet, testTarget, nil)
	require.NoError(t, err)

	_, err = rt.RoundTrip(req)
	require.NoError(t, err)

	assert.Contains(t, rt.next.(*capture).req.Header.Get("Authorization"), "/20150830/eu-west-1/execute-api/aws4_request")
}

// countingProvider counts Retrieve calls and checks the request context
// reaches it.
type countingProvider struct {
	calls atomic.Int32
	err   error
	creds aws.Credentials
}

type ctxKey struct{}

func (p *countingProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	p.calls.Add(1)
	if ctx.Value(ctxKey{}) != "from-request" {
		return aws.Credentials{}, errors.New("request context did not reach the provider")
	}
	return p.creds, p.err
}

func TestRoundTripCredentialErrors(t *testing.T) {
	cause := errors.New("web identity token file not found")
	tests := []struct {
		name     string
		provider *countingProvider
		wantErr  string
	}{
		{name: "fails: provider error wrapped", provider: &countingProvider{err: cause}, wantErr: "sigv4: retrieve credentials: "},
		{name: "fails: empty secret key", provider: &countingProvider{creds: aws.Credentials{AccessKeyID: testAccessKey, Source: "test"}},
			wantErr: `sigv4: credentials from "test" have no access key ID or secret access key`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			next := roundTripFunc(func(*http.Request) (*http.Response, error) {
				called = true
				return nil, errors.New("unreachable")
			})
			rt, err := NewRoundTripper(Config{Region: testRegion, Credentials: tt.provider, Transport: next})
			require.NoError(t, err)
			ctx := context.WithValue(context.Background(), ctxKey{}, "from-request")
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, testTarget, nil)
			require.NoError(t, err)

			_, err = rt.RoundTrip(req)

			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			if tt.provider.err != nil {
				assert.ErrorIs(t, err, cause)
			}
			assert.False(t, called, "nothing may be sent without credentials")
		})
	}
}

func TestRoundTripCachesCredentials(t *testing.T) {
	provider := &countingProvider{creds: testCreds}
	rt, err := NewRoundTripper(Config{Region: testRegion, Credentials: provider, Transport: &capture{}})
	require.NoError(t, err)
	ctx := context.WithValue(context.Background(), ctxKey{}, "from-request")

	for range 3 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, testTarget, nil)
		require.NoError(t, err)
		_, err = rt.RoundTrip(req)
		require.NoError(t, err)
	}

	assert.Equal(t, int32(1), provider.calls.Load(), "Retrieve calls for non-expiring credentials")
}

func TestRoundTripPassesTransportError(t *testing.T) {
	cause := errors.New("connection refused")
	next := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, cause })
	req, err := http.NewRequest(http.MethodGet, testTarget, nil)
	require.NoError(t, err)

	_, err = newTestRoundTripper(t, testCreds, t0, next).RoundTrip(req)

	assert.Same(t, cause, err)
}

// newVerifyingServer starts a server on 127.0.0.1 that responds 200 with the
// request body when the signature verifies and 403 with the AWS error type
// otherwise.
func newVerifyingServer(t *testing.T, v *Verifier) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := v.Verify(r); err != nil {
			var verr *VerifyError
			errors.As(err, &verr)
			w.Header().Set("X-Amzn-ErrorType", verr.Code)
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"message":%q}`, verr.Message)
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRoundTripAgainstVerifyingServer(t *testing.T) {
	srv := newVerifyingServer(t, &Verifier{Region: testRegion, Credentials: []aws.Credentials{withToken(testCreds, "tok")}})
	rt, err := NewRoundTripper(Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, "tok"),
	})
	require.NoError(t, err)
	client := &http.Client{Transport: rt}

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := fmt.Sprintf("query=up%%7Bjob%%3D%%22n%d%%22%%7D&time=%d", i, 1440938160+i)
			resp, err := client.Post(srv.URL+"/workspaces/ws-1/api/v1/query?x=%2F&a=b+c", "application/x-www-form-urlencoded", strings.NewReader(form))
			if !assert.NoError(t, err) {
				return
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			assert.Equal(t, http.StatusOK, resp.StatusCode, "body %s", got)
			assert.Equal(t, form, string(got))
		}()
	}
	wg.Wait()
}

func TestRoundTripWrongSecretRejected(t *testing.T) {
	srv := newVerifyingServer(t, &Verifier{Region: testRegion, Credentials: []aws.Credentials{testCreds}})
	rt, err := NewRoundTripper(Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, "wrong-secret", ""),
	})
	require.NoError(t, err)

	resp, err := (&http.Client{Transport: rt}).Get(srv.URL + "/api/v1/query?query=up")
	require.NoError(t, err)
	defer resp.Body.Close()

	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, CodeInvalidSignature, resp.Header.Get("X-Amzn-ErrorType"))
}
