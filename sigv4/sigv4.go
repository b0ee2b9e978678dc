package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// DefaultService is the SigV4 signing name of Amazon Managed Service for
// Prometheus.
const DefaultService = "aps"

// Config configures a RoundTripper.
type Config struct {
	// Region is the AWS region of the workspace, in lower case, for example
	// "ap-northeast-2". It is required. ResolveRegion finds it from a
	// workspace URL or the environment.
	Region string
	// Service is the signing name. Empty means DefaultService.
	Service string
	// Credentials provides the keys that sign each request. It is required,
	// and NewCredentials builds one. A provider that is not an
	// *aws.CredentialsCache is wrapped in one, so credentials from STS are
	// fetched once per expiry, not once per request.
	Credentials aws.CredentialsProvider
	// Transport sends the signed request. Nil means http.DefaultTransport.
	// It must not change the request, as the package documentation explains.
	Transport http.RoundTripper
	// Now is the signing clock. Nil means time.Now.
	Now func() time.Time
}

// Validate reports the first missing or invalid field.
func (c Config) Validate() error {
	if c.Region == "" {
		return errors.New("sigv4: region is empty; set Config.Region to the workspace's region, for example \"us-east-1\"")
	}
	if problem := regionProblem(c.Region); problem != "" {
		return fmt.Errorf("sigv4: invalid region %q: %s", c.Region, problem)
	}
	if strings.ContainsAny(c.Service, "/ \t\n") {
		return fmt.Errorf("sigv4: invalid service %q: a signing name contains no slashes or spaces; leave it empty for %q", c.Service, DefaultService)
	}
	if c.Credentials == nil {
		return errors.New("sigv4: credentials are missing; set Config.Credentials, for example to the provider from NewCredentials")
	}
	return nil
}

// RoundTripper is an http.RoundTripper that signs each request with AWS
// Signature Version 4 and passes it to the next transport.
//
// Each call signs a fresh copy of the request with the current time, so
// retries and redirects of an http.Client carry a fresh X-Amz-Date. When
// the server responds that the security token has expired (IsExpiredToken),
// RoundTrip invalidates the cached credentials and sends the request once
// more with fresh credentials and a fresh signature. A second rejection is
// returned to the caller.
//
// The payload hash is part of the signature but is not sent as an
// X-Amz-Content-Sha256 header: Amazon Managed Service for Prometheus does
// not require that header, and the server hashes the body itself.
//
// A RoundTripper is safe for concurrent use.
type RoundTripper struct {
	region      string
	service     string
	credentials *aws.CredentialsCache
	next        http.RoundTripper
	now         func() time.Time
	signer      *v4.Signer
}

// NewRoundTripper validates cfg and returns a RoundTripper that uses it.
func NewRoundTripper(cfg Config) (*RoundTripper, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}

	rt := &RoundTripper{
		region:  cfg.Region,
		service: cfg.Service,
		next:    cfg.Transport,
		now:     cfg.Now,
		signer:  v4.NewSigner(),
	}
	if rt.service == "" {
		rt.service = DefaultService
	}
	if cache, ok := cfg.Credentials.(*aws.CredentialsCache); ok {
		rt.credentials = cache
	} else {
		rt.credentials = aws.NewCredentialsCache(cfg.Credentials)
	}
	if rt.next == nil {
		rt.next = http.DefaultTransport
	}
	if rt.now == nil {
		rt.now = time.Now
	}
	return rt, nil
}

// RoundTrip signs a copy of req and sends it with the next transport. It
// never modifies req, and it closes req's body on every path, as
// http.RoundTripper requires.
//
// A query string that url.ParseQuery rejects, such as one with an invalid
// percent-escape or a ";" separator, is an error: the signature could not
// cover it as the server reads it.
func (rt *RoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := drainBody(req)
	if err != nil {
		return nil, fmt.Errorf("sigv4: read request body: %w", err)
	}
	if req.URL == nil {
		return nil, errors.New("sigv4: request has no URL")
	}
	query, err := encodeQuery(req.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	a := attempt{req: req, body: body, query: query, payloadHash: hashPayload(body)}

	resp, err := rt.send(a)
	if err != nil || !IsExpiredToken(resp) {
		return resp, err
	}

	// The server rejected a token the cache still held: fetch new
	// credentials and sign again, once.
	discardBody(resp)
	rt.credentials.Invalidate()
	return rt.send(a)
}

// attempt contains what every signing of one request shares.
type attempt struct {
	req         *http.Request
	body        []byte
	query       string
	payloadHash string
}

// send signs a new copy of the request with the cached credentials and
// passes it to the next transport.
func (rt *RoundTripper) send(a attempt) (*http.Response, error) {
	ctx := a.req.Context()
	creds, err := rt.credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("sigv4: retrieve credentials: %w", err)
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return nil, fmt.Errorf("sigv4: credentials from %q have no access key ID or secret access key; configure a credentials source", creds.Source)
	}

	out := cloneWithBody(a.req, a.body)
	unsigned := prepareHeaders(out.Header, a.payloadHash)
	out.URL.RawQuery = a.query

	err = rt.signer.SignHTTP(ctx, creds, out, a.payloadHash, rt.service, rt.region, rt.now())
	if err != nil {
		return nil, fmt.Errorf("sigv4: sign request: %w", err)
	}

	// The signer rewrites the query sorted by key and value. Sending it in
	// the caller's order carries the same canonical form.
	out.URL.RawQuery = a.query
	for name, values := range unsigned {
		out.Header[name] = values
	}
	return rt.next.RoundTrip(out)
}

// drainBody reads and closes req's body. A nil body and http.NoBody are
// empty.
func drainBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	return io.ReadAll(req.Body)
}

func hashPayload(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// cloneWithBody copies req with a fresh, replayable body.
func cloneWithBody(req *http.Request, body []byte) *http.Request {
	clone := req.Clone(req.Context())
	if clone.Header == nil {
		clone.Header = http.Header{}
	}

	// The whole body is known, so it is sent with a Content-Length, which
	// is signed, and never chunked.
	clone.ContentLength = int64(len(body))
	clone.TransferEncoding = nil
	switch {
	case len(body) > 0:
		clone.Body = io.NopCloser(bytes.NewReader(body))
		clone.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	case req.Body != nil:
		clone.Body = http.NoBody
		clone.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
	default:
		clone.Body = nil
		clone.GetBody = nil
	}
	return clone
}
