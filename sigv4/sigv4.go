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
	// Region is the AWS region of the workspace, for example
	// "ap-northeast-2". It is required.
	Region string
	// Service is the signing name. Empty means DefaultService.
	Service string
	// Credentials provides the keys that sign each request. It is required.
	// A provider that is not an *aws.CredentialsCache is wrapped in one, so
	// credentials from STS are fetched once per expiry, not once per request.
	Credentials aws.CredentialsProvider
	// Transport sends the signed request. Nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Now is the signing clock. Nil means time.Now.
	Now func() time.Time
}

// Validate reports the first missing or invalid field.
func (c Config) Validate() error {
	if c.Region == "" {
		return errors.New("sigv4: region is empty; set Config.Region to the workspace's region, for example \"us-east-1\"")
	}
	if strings.ContainsAny(c.Region, "/ \t\n") {
		return fmt.Errorf("sigv4: invalid region %q: a region contains no slashes or spaces, for example \"us-east-1\"", c.Region)
	}
	if strings.ContainsAny(c.Service, "/ \t\n") {
		return fmt.Errorf("sigv4: invalid service %q: a signing name contains no slashes or spaces; leave it empty for %q", c.Service, DefaultService)
	}
	if c.Credentials == nil {
		return errors.New("sigv4: credentials are missing; set Config.Credentials, for example to the Credentials of aws.Config from config.LoadDefaultConfig")
	}
	return nil
}

// RoundTripper is an http.RoundTripper that signs each request with AWS
// Signature Version 4 and passes it to the next transport. Every attempt is
// signed anew, so retries carry a fresh X-Amz-Date.
//
// The payload hash is part of the signature but is not sent as an
// X-Amz-Content-Sha256 header: Amazon Managed Service for Prometheus does
// not require that header, and the server hashes the body itself.
//
// A RoundTripper is safe for concurrent use.
type RoundTripper struct {
	region      string
	service     string
	credentials aws.CredentialsProvider
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
		region:      cfg.Region,
		service:     cfg.Service,
		credentials: cfg.Credentials,
		next:        cfg.Transport,
		now:         cfg.Now,
		signer:      v4.NewSigner(),
	}
	if rt.service == "" {
		rt.service = DefaultService
	}
	if _, cached := rt.credentials.(*aws.CredentialsCache); !cached {
		rt.credentials = aws.NewCredentialsCache(rt.credentials)
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
// never modifies req, and it closes req's body, as http.RoundTripper requires.
func (rt *RoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := drainBody(req)
	if err != nil {
		return nil, fmt.Errorf("sigv4: read request body: %w", err)
	}

	signed := cloneWithBody(req, body)
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])

	creds, err := rt.credentials.Retrieve(req.Context())
	if err != nil {
		return nil, fmt.Errorf("sigv4: retrieve credentials: %w", err)
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return nil, fmt.Errorf("sigv4: credentials from %q have no access key ID or secret access key; configure a credentials source", creds.Source)
	}

	err = rt.signer.SignHTTP(req.Context(), creds, signed, payloadHash, rt.service, rt.region, rt.now())
	if err != nil {
		return nil, fmt.Errorf("sigv4: sign request: %w", err)
	}
	return rt.next.RoundTrip(signed)
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

// cloneWithBody copies req with a fresh, replayable body and without the
// headers of an earlier signature.
func cloneWithBody(req *http.Request, body []byte) *http.Request {
	clone := req.Clone(req.Context())
	if clone.Header == nil {
		clone.Header = http.Header{}
	}

	clone.ContentLength = int64(len(body))
	if len(body) == 0 {
		clone.Body = nil
		clone.GetBody = nil
		if req.Body != nil {
			clone.Body = http.NoBody
			clone.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		}
	} else {
		clone.Body = io.NopCloser(bytes.NewReader(body))
		clone.GetBody = func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(body)), nil
		}
	}

	clone.Header.Del(headerAuthorization)
	clone.Header.Del(headerAmzDate)
	clone.Header.Del(headerSecurityToken)
	return clone
}
