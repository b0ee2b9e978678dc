package amp

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/promscaler/promscaler/sigv4"
)

// Client runs queries against the Prometheus HTTP API of an AMP workspace
// or a Prometheus-compatible server. It is safe for concurrent use.
type Client struct {
	baseURL     string
	method      string
	parameters  url.Values
	http        *http.Client
	timeout     time.Duration
	maxResponse int64
	retry       RetryConfig
	logger      *slog.Logger
	// signs is true when requests are signed with SigV4.
	signs bool
	// secrets are the configured values that error messages must not
	// show, such as the bearer token.
	secrets []string
}

// NewClient validates cfg and returns a Client that uses it.
//
// For a signed host it resolves the region and, when Config.Credentials is
// nil, the credentials provider through the AWS SDK. That reads the
// environment and the shared config files, but calls no AWS service:
// credentials are fetched on the first query.
func NewClient(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}

	httpClient, err := newHTTPClient(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{
		baseURL:     strings.TrimRight(cfg.ServerAddress, "/"),
		method:      cfg.Method,
		parameters:  cfg.QueryParameters,
		http:        httpClient,
		timeout:     cfg.Timeout,
		maxResponse: cfg.MaxResponseSize,
		retry:       cfg.Retry.withDefaults(),
		logger:      cfg.Logger,
		signs:       signsRequests(cfg),
		secrets:     configSecrets(cfg),
	}
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxResponse == 0 {
		c.maxResponse = DefaultMaxResponseSize
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// newHTTPClient builds the http.Client of a validated cfg: the transport
// chain is headers, then the SigV4 signer, then the base transport.
func newHTTPClient(ctx context.Context, cfg Config) (*http.Client, error) {
	client := &http.Client{}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		client = &copied
	}

	base, err := baseTransport(cfg)
	if err != nil {
		return nil, err
	}
	transport, err := signingTransport(ctx, cfg, base)
	if err != nil {
		return nil, err
	}
	if header := requestHeaders(cfg); len(header) > 0 {
		transport = &headerTransport{header: header, next: transport}
	}
	client.Transport = transport
	return client, nil
}

// baseTransport returns the transport that sends requests to the network.
func baseTransport(cfg Config) (http.RoundTripper, error) {
	if cfg.HTTPClient != nil {
		if cfg.HTTPClient.Transport != nil {
			return cfg.HTTPClient.Transport, nil
		}
		return http.DefaultTransport, nil
	}
	if cfg.TLS.isZero() {
		return http.DefaultTransport, nil
	}

	tlsConfig, err := cfg.TLS.build()
	if err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsConfig
	return transport, nil
}

// signingTransport puts a SigV4 signer above next when the host needs one.
func signingTransport(ctx context.Context, cfg Config, next http.RoundTripper) (http.RoundTripper, error) {
	host := hostOf(cfg.ServerAddress)
	if !cfg.SigV4 && !isWorkspaceHost(host) {
		return next, nil
	}
	if _, signs := next.(*sigv4.RoundTripper); signs {
		return next, nil
	}

	region, err := sigv4.ResolveRegion(ctx, cfg.Region, host)
	if err != nil {
		return nil, fromSigV4("resolve the signing region", err)
	}
	credentials, err := resolveCredentials(ctx, cfg, region)
	if err != nil {
		return nil, err
	}
	signer, err := sigv4.NewRoundTripper(sigv4.Config{Region: region, Credentials: credentials, Transport: next})
	if err != nil {
		return nil, fromSigV4("create the SigV4 signer", err)
	}
	return signer, nil
}

// signsRequests reports whether a Client of cfg signs its requests, with
// its own signer or with a *sigv4.RoundTripper in Config.HTTPClient.
func signsRequests(cfg Config) bool {
	if cfg.SigV4 || isWorkspaceHost(hostOf(cfg.ServerAddress)) {
		return true
	}
	if cfg.HTTPClient == nil {
		return false
	}
	_, ok := cfg.HTTPClient.Transport.(*sigv4.RoundTripper)
	return ok
}

// resolveCredentials returns Config.Credentials, or the SDK's default chain
// (assuming Config.RoleARN when it is set).
func resolveCredentials(ctx context.Context, cfg Config, region string) (aws.CredentialsProvider, error) {
	if cfg.Credentials != nil {
		return cfg.Credentials, nil
	}
	credentials, err := sigv4.NewCredentials(ctx, sigv4.CredentialsConfig{RoleARN: cfg.RoleARN, Region: region})
	if err != nil {
		return nil, fromSigV4("load AWS credentials", err)
	}
	return credentials, nil
}

// requestHeaders returns the headers the Client adds to every request.
func requestHeaders(cfg Config) http.Header {
	header := http.Header{}
	for name, value := range cfg.Headers {
		header.Set(name, value)
	}

	switch {
	case cfg.BearerToken != "":
		header.Set("Authorization", "Bearer "+cfg.BearerToken)
	case cfg.BasicAuth != nil:
		credentials := cfg.BasicAuth.Username + ":" + cfg.BasicAuth.Password
		header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(credentials)))
	}
	return header
}

// hostOf returns the host and port of a validated server address.
func hostOf(address string) string {
	u, err := url.Parse(address)
	if err != nil {
		return ""
	}
	return u.Host
}

// headerTransport adds fixed headers to each request.
type headerTransport struct {
	header http.Header
	next   http.RoundTripper
}

// RoundTrip sends a copy of req with the headers set, as
// http.RoundTripper forbids changing req itself.
func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	clone := req.Clone(req.Context())
	for name, values := range t.header {
		clone.Header[name] = values
	}
	return t.next.RoundTrip(clone)
}
