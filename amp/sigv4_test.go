package amp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/promscaler/promscaler/sigv4"
)

const (
	testAccessKey = "AKIDEXAMPLE"
	testSecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testRegion    = "ap-northeast-2"
)

func TestMain(m *testing.M) {
	// The SDK must never ask the EC2 instance metadata service for anything.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	goleak.VerifyTestMain(m)
}

// newSigningWorkspace starts a server on 127.0.0.1 that verifies SigV4 like
// AMP and responds to a verified query with one sample whose job label is the
// query text.
func newSigningWorkspace(t *testing.T) *httptest.Server {
	t.Helper()
	verifier := &sigv4.Verifier{
		Region:      testRegion,
		Credentials: []aws.Credentials{{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var verr *sigv4.VerifyError
		if err := verifier.Verify(r); errors.As(err, &verr) {
			verr.WriteResponse(w)
			return
		}
		if r.URL.Path != "/workspaces/ws-1/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		query := r.PostFormValue("query")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":%q},"value":[%s,"140"]}]}}`,
			query, r.PostFormValue("time"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// newSigningClient returns a Client whose transport signs with secret and
// passes the signed request through next.
func newSigningClient(t *testing.T, address, secret string, next http.RoundTripper) *Client {
	t.Helper()
	rt, err := sigv4.NewRoundTripper(sigv4.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, secret, ""),
		Transport:   next,
	})
	require.NoError(t, err)
	c, err := NewClient(Config{ServerAddress: address + "/workspaces/ws-1/", HTTPClient: &http.Client{Transport: rt}})
	require.NoError(t, err)
	return c
}

func TestQuerySignedEndToEnd(t *testing.T) {
	srv := newSigningWorkspace(t)
	c := newSigningClient(t, srv.URL, testSecretKey, nil)

	got, err := c.Query(context.Background(), `sum(rate(http_requests_total[2m]))`, t0)

	require.NoError(t, err)
	want := model.Vector{{Metric: model.Metric{"job": `sum(rate(http_requests_total[2m]))`}, Value: 140, Timestamp: 1440938160123}}
	assert.Equal(t, want, got.Value)
}

func TestQueryWrongSecretIsAuthError(t *testing.T) {
	srv := newSigningWorkspace(t)
	c := newSigningClient(t, srv.URL, "not-the-secret", nil)

	_, err := c.Query(context.Background(), "up", t0)

	var qerr *Error
	require.ErrorAs(t, err, &qerr)
	assert.Equal(t, KindAuth, qerr.Kind)
	assert.Equal(t, http.StatusForbidden, qerr.StatusCode)
	assert.Equal(t, sigv4.CodeInvalidSignature, qerr.Type)
	assert.Contains(t, err.Error(), "/workspaces/ws-1/api/v1/query failed: 403 forbidden (InvalidSignatureException): The request signature we calculated does not match")
	assert.NotContains(t, err.Error(), "not-the-secret")
}

// tamper is a transport below the signer that rewrites the signed request.
type tamper func(*http.Request)

func (f tamper) RoundTrip(req *http.Request) (*http.Response, error) {
	f(req)
	return http.DefaultTransport.RoundTrip(req)
}

func TestQueryChangedAfterSigningIsRejected(t *testing.T) {
	tests := []struct {
		name  string
		apply tamper
	}{
		{name: "rejects: query in body replaced", apply: func(req *http.Request) {
			body, _ := io.ReadAll(req.Body)
			changed := strings.Replace(string(body), "query=up", "query=vp", 1)
			req.Body = io.NopCloser(strings.NewReader(changed))
		}},
		{name: "rejects: URL query added", apply: func(req *http.Request) { req.URL.RawQuery = "query=down" }},
		{name: "rejects: path changed", apply: func(req *http.Request) { req.URL.Path = "/workspaces/ws-2/api/v1/query" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newSigningWorkspace(t)
			c := newSigningClient(t, srv.URL, testSecretKey, tt.apply)

			_, err := c.Query(context.Background(), "up", t0)

			var qerr *Error
			require.ErrorAs(t, err, &qerr)
			assert.Equal(t, KindAuth, qerr.Kind)
			assert.Equal(t, sigv4.CodeInvalidSignature, qerr.Type)
		})
	}
}
