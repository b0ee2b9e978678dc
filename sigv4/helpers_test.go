package sigv4

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"go.uber.org/goleak"
)

const (
	testAccessKey = "AKIDEXAMPLE"
	testSecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testRegion    = "us-east-1"
)

// t0 is the signing time of the AWS SigV4 test suite.
var t0 = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

var testCreds = aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}

func TestMain(m *testing.M) {
	// The SDK must never ask the EC2 instance metadata service for anything.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	goleak.VerifyTestMain(m)
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// capture is a transport that records the last request it was given and
// returns 200 OK without touching the network.
type capture struct {
	req  *http.Request
	body []byte
}

func (c *capture) RoundTrip(req *http.Request) (*http.Response, error) {
	c.req = req
	c.body = nil
	if req.Body != nil {
		c.body, _ = io.ReadAll(req.Body)
	}
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: req}, nil
}

// newTestRoundTripper returns a RoundTripper with a fixed clock that sends
// to next.
func newTestRoundTripper(t *testing.T, creds aws.Credentials, at time.Time, next http.RoundTripper) *RoundTripper {
	t.Helper()
	rt, err := NewRoundTripper(Config{
		Region:      testRegion,
		Credentials: credentials.StaticCredentialsProvider{Value: creds},
		Transport:   next,
		Now:         func() time.Time { return at },
	})
	if err != nil {
		t.Fatalf("NewRoundTripper: %v", err)
	}
	return rt
}

// toServerRequest writes a client request to the wire format and reads it
// back as an http.Server would see it: Host in r.Host, no host in r.URL.
func toServerRequest(t *testing.T, req *http.Request, body []byte) *http.Request {
	t.Helper()
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))

	var wire bytes.Buffer
	if err := out.Write(&wire); err != nil {
		t.Fatalf("write request: %v", err)
	}
	server, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatalf("read request back: %v\n%s", err, wire.String())
	}
	return server
}

// signForServer signs a request built by newReq with creds at the given time
// and returns it as the server receives it.
func signForServer(t *testing.T, creds aws.Credentials, at time.Time, method, target, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Custom", "signed value")

	sent := &capture{}
	resp, err := newTestRoundTripper(t, creds, at, sent).RoundTrip(req)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	resp.Body.Close()
	return toServerRequest(t, sent.req, sent.body)
}
