package sigv4

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// websocketQuery is a PromQL query with braces, quotes and spaces. The tests
// add a "+" to it.
const websocketQuery = `sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))`

// countingBody counts Close calls and can fail on Read.
type countingBody struct {
	io.Reader
	readErr error
	closes  atomic.Int32
}

func (b *countingBody) Read(p []byte) (int, error) {
	if b.readErr != nil {
		return 0, b.readErr
	}
	return b.Reader.Read(p)
}

func (b *countingBody) Close() error {
	b.closes.Add(1)
	return nil
}

func TestRoundTripClosesBodyOnce(t *testing.T) {
	ok := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			r.Body.Close()
		}
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: r}, nil
	})
	failing := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("connection refused") })
	good := credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, "")
	broken := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no web identity token")
	})

	tests := []struct {
		name    string
		target  string
		readErr error
		creds   aws.CredentialsProvider
		next    http.RoundTripper
		wantErr string
	}{
		{name: "closes: after a sent request", target: testTarget, creds: good, next: ok},
		{name: "closes: on a transport error", target: testTarget, creds: good, next: failing, wantErr: "connection refused"},
		{name: "closes: on a credential failure", target: testTarget, creds: broken, next: ok, wantErr: "sigv4: retrieve credentials"},
		{name: "closes: on an unreadable body", target: testTarget, readErr: errors.New("disk gone"), creds: good, next: ok, wantErr: "sigv4: read request body: disk gone"},
		{name: "closes: on a bad query string", target: testTarget + "?q=%zz", creds: good, next: ok, wantErr: "not valid percent-encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := NewRoundTripper(Config{Region: testRegion, Credentials: tt.creds, Transport: tt.next})
			require.NoError(t, err)
			body := &countingBody{Reader: strings.NewReader(testForm), readErr: tt.readErr}
			req, err := http.NewRequest(http.MethodPost, tt.target, body)
			require.NoError(t, err)

			resp, err := rt.RoundTrip(req)

			if tt.wantErr == "" {
				require.NoError(t, err)
				resp.Body.Close()
			} else {
				assert.ErrorContains(t, err, tt.wantErr)
			}
			assert.Equal(t, int32(1), body.closes.Load(), "Close calls on the caller's body")
		})
	}
}

// signedHeaderList returns the SignedHeaders value of an Authorization header.
func signedHeaderList(t *testing.T, authorization string) string {
	t.Helper()
	_, rest, ok := strings.Cut(authorization, "SignedHeaders=")
	require.True(t, ok, "Authorization %q has no SignedHeaders", authorization)
	list, _, _ := strings.Cut(rest, ",")
	return list
}

func TestRoundTripSignsEndToEndHeadersOnly(t *testing.T) {
	req, err := http.NewRequest(http.MethodPost, testTarget, strings.NewReader(testForm))
	require.NoError(t, err)
	h := req.Header
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("X-Custom", "signed value")
	h.Set("Connection", "keep-alive, X-Hop")
	h.Set("X-Hop", "per connection")
	h.Set("Keep-Alive", "timeout=5")
	h.Set("Te", "trailers")
	h.Set("Upgrade", "h2c")
	h.Set("Proxy-Authorization", "Basic cHJveHk6cHJveHk=")
	h.Set("Proxy-Connection", "keep-alive")
	h.Set("X-Empty", "")
	h["X-Nil"] = nil
	h.Set("Authorization", "Bearer stale")
	h.Set("X-Amz-Date", "20000101T000000Z")
	h.Set("X-Amz-Signature", "stale")
	h.Set("X-Amz-Security-Token", "stale-token")
	before := h.Clone()

	sent := &capture{}
	_, err = newTestRoundTripper(t, withToken(testCreds, "fresh-token"), t0, sent).RoundTrip(req)
	require.NoError(t, err)

	got := sent.req.Header
	assert.Equal(t, "content-length;content-type;host;x-amz-date;x-amz-security-token;x-custom",
		signedHeaderList(t, got.Get("Authorization")))
	assert.Equal(t, "fresh-token", got.Get("X-Amz-Security-Token"), "the signer sets the token")
	assert.Empty(t, got.Values("X-Amz-Signature"), "stale signature header")
	for _, name := range []string{"Connection", "X-Hop", "Keep-Alive", "Te", "Upgrade", "Proxy-Authorization", "Proxy-Connection", "X-Empty"} {
		assert.Equal(t, before.Values(name), got.Values(name), "unsigned header %s is still sent", name)
	}
	assert.Equal(t, before, req.Header, "caller's headers")
}

func TestRoundTripSignedHeadersVerify(t *testing.T) {
	req, err := http.NewRequest(http.MethodPost, testTarget, strings.NewReader(testForm))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Custom", "  spaced   value ")
	req.Header.Add("X-Multi", "a")
	req.Header.Add("X-Multi", "b")
	req.Header.Set("Connection", "X-Hop")
	req.Header.Set("X-Hop", "dropped by a proxy")
	req.Header.Set("X-Empty", "")
	req.Header["x-amz-date"] = []string{"20000101T000000Z"}
	req.TransferEncoding = []string{"chunked"}

	sent := &capture{}
	_, err = newTestRoundTripper(t, testCreds, t0, sent).RoundTrip(req)
	require.NoError(t, err)
	server := toServerRequest(t, sent.req, sent.body)
	// A proxy removes the headers named in Connection and may drop empty ones.
	server.Header.Del("X-Hop")
	server.Header.Del("X-Empty")

	assert.NoError(t, newTestVerifier(t0).Verify(server))
}

func TestRoundTripReplacesContentSHA256(t *testing.T) {
	req, err := http.NewRequest(http.MethodPost, testTarget, strings.NewReader(testForm))
	require.NoError(t, err)
	req.Header.Set("X-Amz-Content-Sha256", "stale")

	sent := &capture{}
	_, err = newTestRoundTripper(t, testCreds, t0, sent).RoundTrip(req)
	require.NoError(t, err)

	assert.Equal(t, hashPayload([]byte(testForm)), sent.req.Header.Get("X-Amz-Content-Sha256"))
	assert.NoError(t, newTestVerifier(t0).Verify(toServerRequest(t, sent.req, sent.body)))
}

// newEchoServer starts a server on 127.0.0.1 that verifies each request
// with v and responds 200 with the decoded form and query as JSON-like text,
// or the rejection as AMP does.
func newEchoServer(t *testing.T, v *Verifier) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var verr *VerifyError
		if err := v.Verify(r); errors.As(err, &verr) {
			verr.WriteResponse(w)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%q", r.Form)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// newSigningClient returns an http.Client whose RoundTripper signs with
// the example key for us-east-1 at the real time.
func newSigningClient(t *testing.T, next http.RoundTripper) *http.Client {
	t.Helper()
	rt, err := NewRoundTripper(Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
		Transport:   next,
	})
	require.NoError(t, err)
	return &http.Client{Transport: rt, Timeout: 5 * time.Second}
}

func TestRoundTripPromQLQuery(t *testing.T) {
	srv := newEchoServer(t, &Verifier{Region: testRegion, Credentials: []aws.Credentials{testCreds}})
	client := newSigningClient(t, nil)
	params := url.Values{
		"query":   {websocketQuery + ` + on() vector(1) * 2 == "x y"`},
		"time":    {"2026-12-04T20:00:00Z"},
		"match[]": {`{job="b"}`, `{job="a"}`, `up{path=~"/v1/.+"}`},
		"unicode": {"μs ✓ 한국어"},
	}

	tests := []struct {
		name string
		do   func() (*http.Response, error)
	}{
		{name: "verifies: GET with the query in the URL", do: func() (*http.Response, error) {
			return client.Get(srv.URL + "/workspaces/ws-1/api/v1/query?" + params.Encode())
		}},
		{name: "verifies: POST form", do: func() (*http.Response, error) {
			return client.PostForm(srv.URL+"/workspaces/ws-1/api/v1/query", params)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.do()
			require.NoError(t, err)
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)

			require.Equal(t, http.StatusOK, resp.StatusCode, "body %s", got)
			assert.Equal(t, fmt.Sprintf("%q", params), string(got), "decoded parameters, in order")
		})
	}
}

func TestRoundTripPlusInRawQuery(t *testing.T) {
	srv := newEchoServer(t, &Verifier{Region: testRegion, Credentials: []aws.Credentials{testCreds}})
	client := newSigningClient(t, nil)

	tests := []struct {
		name     string
		rawQuery string
		want     string
	}{
		{name: "decodes: raw plus as space", rawQuery: "query=up+1", want: "up 1"},
		{name: "keeps: escaped plus", rawQuery: "query=up%2B1", want: "up+1"},
		{name: "keeps: plus from QueryEscape", rawQuery: "query=" + url.QueryEscape("up+1"), want: "up+1"},
		{name: "keeps: plus from Values.Encode", rawQuery: url.Values{"query": {"up+1"}}.Encode(), want: "up+1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client.Get(srv.URL + "/workspaces/ws-1/api/v1/query?" + tt.rawQuery)
			require.NoError(t, err)
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)

			require.Equal(t, http.StatusOK, resp.StatusCode, "body %s", got)
			assert.Equal(t, fmt.Sprintf("%q", url.Values{"query": {tt.want}}), string(got))
		})
	}
}

func TestRoundTripRejectsUnsignableQuery(t *testing.T) {
	tests := []struct {
		name     string
		rawQuery string
		wantErr  string
	}{
		{name: "rejects: semicolon separator", rawQuery: "query=up;time=1", wantErr: `query pair "query=up;time=1" contains ";"`},
		{name: "rejects: invalid escape in value", rawQuery: "query=up%zz", wantErr: `query value of "query" is not valid percent-encoding`},
		{name: "rejects: truncated escape", rawQuery: "query=up%2", wantErr: "is not valid percent-encoding"},
		{name: "rejects: invalid escape in key", rawQuery: "q%g1=up", wantErr: `query key "q%g1" is not valid percent-encoding`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			next := roundTripFunc(func(*http.Request) (*http.Response, error) {
				called = true
				return nil, errors.New("unreachable")
			})
			req, err := http.NewRequest(http.MethodGet, testTarget, nil)
			require.NoError(t, err)
			req.URL.RawQuery = tt.rawQuery

			_, err = newTestRoundTripper(t, testCreds, t0, next).RoundTrip(req)

			assert.ErrorContains(t, err, tt.wantErr)
			assert.False(t, called, "nothing may be sent")
			_, parseErr := url.ParseQuery(tt.rawQuery)
			assert.Error(t, parseErr, "url.ParseQuery rejects it as well")
		})
	}
}

func TestEncodeQuery(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{name: "encodes: plus as a space", raw: "q=a+b", want: "q=a%20b"},
		{name: "keeps: escaped space", raw: "q=a%20b", want: "q=a%20b"},
		{name: "keeps: escaped plus", raw: "q=a%2Bb", want: "q=a%2Bb"},
		{name: "encodes: braces and quotes", raw: `q=up{job="x"}`, want: "q=up%7Bjob%3D%22x%22%7D"},
		{name: "encodes: equals sign in value", raw: "q=a=b", want: "q=a%3Db"},
		{name: "unescapes: unreserved characters", raw: "q=%7e%2d%5f%2e", want: "q=~-_."},
		{name: "uppercases: hex digits", raw: "q=%c3%a9", want: "q=%C3%A9"},
		{name: "encodes: raw UTF-8", raw: "q=한", want: "q=%ED%95%9C"},
		{name: "keeps: order of repeated keys", raw: "match[]=b&match[]=a&a=1", want: "match%5B%5D=b&match%5B%5D=a&a=1"},
		{name: "keeps: key without a value", raw: "flag&q=1", want: "flag=&q=1"},
		{name: "drops: empty pairs", raw: "&q=1&&", want: "q=1"},
		{name: "keeps: empty query", raw: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encodeQuery(tt.raw)

			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			before, err := url.ParseQuery(tt.raw)
			require.NoError(t, err)
			after, err := url.ParseQuery(got)
			require.NoError(t, err)
			assert.Equal(t, before, after, "decoded values")
		})
	}
}

// headerSetter is a RoundTripper that sets one header and passes the
// request on.
type headerSetter struct {
	name, value string
	next        http.RoundTripper
}

func (h headerSetter) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set(h.name, h.value)
	return h.next.RoundTrip(req)
}

func TestSignerPositionInChain(t *testing.T) {
	srv := newEchoServer(t, &Verifier{Region: testRegion, Credentials: []aws.Credentials{testCreds}})

	tests := []struct {
		name       string
		client     func() *http.Client
		wantStatus int
		wantCode   string
	}{
		{
			name: "verifies: header added above the signer is signed",
			client: func() *http.Client {
				signing := newSigningClient(t, nil)
				signing.Transport = headerSetter{name: "X-Tenant", value: "team-a", next: signing.Transport}
				return signing
			},
			wantStatus: http.StatusOK,
		},
		{
			name: "fails: signed header changed below the signer",
			client: func() *http.Client {
				return newSigningClient(t, headerSetter{name: "X-Tenant", value: "team-b", next: http.DefaultTransport})
			},
			wantStatus: http.StatusForbidden,
			wantCode:   CodeInvalidSignature,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/query?query=up", nil)
			require.NoError(t, err)
			req.Header.Set("X-Tenant", "team-0")

			resp, err := tt.client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)

			assert.Equal(t, tt.wantStatus, resp.StatusCode, "body %s", body)
			assert.Equal(t, tt.wantCode, resp.Header.Get("X-Amzn-ErrorType"))
		})
	}
}

// keySequence returns its keys in order, then the last one forever, and
// counts Retrieve calls. Every key claims to be valid for an hour.
type keySequence struct {
	mu    sync.Mutex
	keys  []aws.Credentials
	calls int
}

func (s *keySequence) Retrieve(context.Context) (aws.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := s.keys[min(s.calls, len(s.keys)-1)]
	s.calls++
	key.CanExpire = true
	key.Expires = time.Now().Add(time.Hour)
	return key, nil
}

func TestRoundTripRetriesExpiredToken(t *testing.T) {
	expired := aws.Credentials{AccessKeyID: "ASIAEXPIRED", SecretAccessKey: "old-secret", SessionToken: "old-token",
		CanExpire: true, Expires: time.Now().Add(-time.Minute)}
	fresh := aws.Credentials{AccessKeyID: "ASIAFRESH", SecretAccessKey: "new-secret", SessionToken: "new-token"}
	wrong := aws.Credentials{AccessKeyID: "ASIAFRESH", SecretAccessKey: "wrong-secret", SessionToken: "new-token"}

	tests := []struct {
		name         string
		keys         []aws.Credentials
		wantStatus   int
		wantAttempts int32
		wantRetrieve int
	}{
		{name: "retries: expired then fresh key", keys: []aws.Credentials{expired, fresh}, wantStatus: http.StatusOK, wantAttempts: 2, wantRetrieve: 2},
		{name: "returns: second expired answer", keys: []aws.Credentials{expired}, wantStatus: http.StatusForbidden, wantAttempts: 2, wantRetrieve: 2},
		{name: "returns: other rejection without retry", keys: []aws.Credentials{wrong}, wantStatus: http.StatusForbidden, wantAttempts: 1, wantRetrieve: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var attempts atomic.Int32
			echo := newEchoServer(t, &Verifier{Region: testRegion, Credentials: []aws.Credentials{expired, fresh}})
			counting := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				attempts.Add(1)
				return http.DefaultTransport.RoundTrip(r)
			})
			keys := &keySequence{keys: tt.keys}
			rt, err := NewRoundTripper(Config{Region: testRegion, Credentials: keys, Transport: counting})
			require.NoError(t, err)

			resp, err := (&http.Client{Transport: rt}).PostForm(echo.URL+"/api/v1/query", url.Values{"query": {websocketQuery}})
			require.NoError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)

			assert.Equal(t, tt.wantStatus, resp.StatusCode, "body %s", body)
			assert.Equal(t, tt.wantAttempts, attempts.Load(), "attempts")
			assert.Equal(t, tt.wantRetrieve, keys.calls, "Retrieve calls")
			if tt.wantStatus == http.StatusOK {
				assert.Contains(t, string(body), "websocket_active_connection_count", "the body is replayed")
			} else {
				assert.Contains(t, string(body), `"message"`, "the rejection body is readable")
			}
		})
	}
}

func TestIsExpiredToken(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		errorType string
		body      string
		want      bool
	}{
		{name: "detects: AMP error type header", status: 403, errorType: "ExpiredTokenException", body: `{"message":"x"}`, want: true},
		{name: "detects: error type with suffix", status: 403, errorType: "ExpiredTokenException:http://internal.example/", want: true},
		{name: "detects: query protocol code", status: 403, errorType: "ExpiredToken", want: true},
		{name: "detects: AMP message without header", status: 403, body: `{"message":"The security token included in the request is expired"}`, want: true},
		{name: "detects: status 400 message", status: 400, body: `<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>`, want: true},
		{name: "ignores: invalid signature", status: 403, errorType: CodeInvalidSignature, body: `{"message":"the security token included in the request is expired"}`},
		{name: "ignores: invalid token message", status: 403, body: `{"message":"The security token included in the request is invalid."}`},
		{name: "ignores: success status", status: 200, body: `The security token included in the request is expired`},
		{name: "ignores: empty 403", status: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tt.body))}
			if tt.errorType != "" {
				resp.Header.Set("x-amzn-ErrorType", tt.errorType)
			}

			got := IsExpiredToken(resp)

			assert.Equal(t, tt.want, got)
			rest, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tt.body, string(rest), "the body is still readable")
		})
	}
}

func TestIsExpiredTokenNilResponse(t *testing.T) {
	assert.False(t, IsExpiredToken(nil))
}

func TestRoundTripSignsEachAttemptAtItsTime(t *testing.T) {
	var calls atomic.Int32
	clock := func() time.Time { return t0.Add(time.Duration(calls.Add(1)) * time.Second) }
	sent := &capture{}
	rt, err := NewRoundTripper(Config{Region: testRegion, Credentials: credentials.StaticCredentialsProvider{Value: testCreds}, Transport: sent, Now: clock})
	require.NoError(t, err)

	var dates []string
	for range 2 {
		req, err := http.NewRequest(http.MethodGet, testTarget, nil)
		require.NoError(t, err)
		_, err = rt.RoundTrip(req)
		require.NoError(t, err)
		dates = append(dates, sent.req.Header.Get("X-Amz-Date"))
	}

	assert.Equal(t, []string{"20150830T123601Z", "20150830T123602Z"}, dates)
}
