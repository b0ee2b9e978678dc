package amp

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/promscaler/promscaler/sigv4"
)

// DefaultTimeout is the time limit of one query attempt when Config.Timeout
// is zero. It matches KEDA's default HTTP timeout for its scalers, prometheus
// included (KEDA_HTTP_DEFAULT_TIMEOUT, 3000 ms).
const DefaultTimeout = 3 * time.Second

// DefaultMaxResponseSize is the largest response body, in bytes, that a
// query reads when Config.MaxResponseSize is zero.
const DefaultMaxResponseSize = 8 << 20

// tenantHeader is the multi-tenancy header of Cortex, Mimir and Thanos.
const tenantHeader = "X-Scope-OrgID"

// Config configures a Client. Only ServerAddress is required.
//
// # Authentication
//
// An AMP workspace URL (a host of the form aps-workspaces.<region>.amazonaws.com)
// and the DNS name of an AMP interface VPC endpoint
// (vpce-<id>[-<zone>].aps-workspaces.<region>.vpce.amazonaws.com) are always
// signed with SigV4, for the region in the host name. Any other host is
// signed only when SigV4 is true, for example a custom private DNS name of a
// VPC endpoint or a proxy, and then needs Region. Bearer and basic authentication are
// for plain Prometheus servers and cannot be combined with SigV4. The Client
// sends them over plain http too, so use https for any host that is not on
// the loopback interface.
//
// # Transports
//
// Without HTTPClient the Client builds its own transport from
// http.DefaultTransport and the TLS settings. With HTTPClient, the Client
// uses a shallow copy of it whose transport is, from the caller down to the
// network:
//
//	headers (Headers, BearerToken, BasicAuth) → SigV4 signer → HTTPClient.Transport
//
// so every header is added before the request is signed, and the signer is
// the last step before the caller's transport. When HTTPClient.Transport is
// already a *sigv4.RoundTripper, it signs and the Client adds no second
// signer. The TLS settings cannot be combined with HTTPClient: set them on
// its transport instead.
type Config struct {
	// ServerAddress is an AMP workspace URL
	// (https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>) or a
	// plain Prometheus base URL such as http://prometheus:9090. Trailing
	// slashes are allowed. Queries go to <ServerAddress>/api/v1/query and
	// <ServerAddress>/api/v1/query_range.
	ServerAddress string

	// SigV4 signs requests to a host whose name is not an AMP endpoint's,
	// such as a custom private DNS name of a VPC endpoint. It requires
	// Region.
	SigV4 bool
	// Region is the AWS region to sign for. Empty means the region in an AMP
	// host name, else the region of the AWS environment (AWS_REGION or the
	// profile).
	Region string
	// Credentials signs the requests. Nil means sigv4.NewCredentials: the
	// AWS SDK's default chain (IRSA, EKS Pod Identity, environment, profile),
	// used to assume RoleARN when it is set.
	Credentials aws.CredentialsProvider
	// RoleARN is an IAM role to assume with the default chain's credentials,
	// as KEDA's awsRoleArn. It cannot be combined with Credentials.
	RoleARN string

	// BearerToken is sent as "Authorization: Bearer <token>".
	BearerToken string
	// BasicAuth is sent as "Authorization: Basic ...".
	BasicAuth *BasicAuth
	// TLS configures the client certificate, the CA and certificate checks
	// of https connections.
	TLS TLSConfig
	// Headers are added to every request, like KEDA's customHeaders.
	// Validate rejects the tenant header X-Scope-OrgID on a signed host,
	// because AMP computes the signature without it and fails a request
	// that carries it with 403 and a signature mismatch.
	Headers map[string]string
	// QueryParameters are added to the URL of every request, like KEDA's
	// queryParameters. They cannot set query, time, start, end or step.
	QueryParameters url.Values
	// Method is http.MethodPost (the default when empty), which sends the
	// parameters as a form, or http.MethodGet, which sends them in the URL.
	Method string

	// HTTPClient sends the requests. Nil means a client of the Client's own.
	HTTPClient *http.Client
	// Timeout limits each attempt, including reading the response. Zero
	// means DefaultTimeout. The caller's context bounds all attempts.
	Timeout time.Duration
	// MaxResponseSize is the largest response body in bytes. Zero means
	// DefaultMaxResponseSize.
	MaxResponseSize int64
	// Retry sets how failed attempts are retried.
	Retry RetryConfig
	// Logger receives a record for each retry. Nil discards them.
	Logger *slog.Logger
}

// BasicAuth is a user name and password for HTTP basic authentication.
type BasicAuth struct {
	Username string
	Password string
}

// Validate reports the first missing, invalid or conflicting field.
//
// ServerAddress must be an absolute http or https URL with a host and
// without user info, query or fragment. User info is rejected because
// errors and logs repeat the address. A host of the form
// aps-workspaces.<region>.amazonaws.com must also pass ParseWorkspaceURL.
// Validate reads no files and calls no AWS service.
func (c Config) Validate() error {
	u, err := validateAddress(c.ServerAddress)
	if err != nil {
		return err
	}
	signed := c.SigV4 || isWorkspaceHost(u.Host)

	if err := c.validateSigning(u, signed); err != nil {
		return err
	}
	if err := c.validateAuth(signed); err != nil {
		return err
	}
	if err := c.TLS.validate(u, c.HTTPClient != nil); err != nil {
		return err
	}
	if err := c.validateHeaders(signed); err != nil {
		return err
	}
	if err := c.validateParameters(); err != nil {
		return err
	}
	return c.validateLimits()
}

// validateAddress parses the server address and reports the first problem.
func validateAddress(address string) (*url.URL, error) {
	switch {
	case address == "":
		return nil, errors.New("amp: server address is empty; set Config.ServerAddress to the workspace URL or the Prometheus base URL")
	case strings.TrimSpace(address) == "":
		return nil, errors.New("amp: server address is blank: it contains only white space; set Config.ServerAddress to the workspace URL or the Prometheus base URL")
	}
	redacted := redactAddress(address)
	if strings.TrimSpace(address) != address {
		return nil, fmt.Errorf("amp: invalid server address %q: remove the white space around it", redacted)
	}
	if !strings.Contains(address, "://") {
		return nil, fmt.Errorf("amp: invalid server address %q: the scheme is missing; write the URL in full, for example %q", redacted, suggestScheme(redacted)+redacted)
	}

	u, err := url.Parse(address)
	if err != nil {
		return nil, fmt.Errorf("amp: invalid server address %q: the URL does not parse; check its host and port", redacted)
	}
	if u.User != nil {
		return nil, fmt.Errorf("amp: invalid server address %q: remove the user info and set Config.BasicAuth instead", redacted)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("amp: invalid server address %q: scheme must be http or https", redacted)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("amp: invalid server address %q: host is missing", redacted)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("amp: invalid server address %q: port %q is not a number from 1 to 65535", redacted, port)
		}
	}
	if api := apiPathSuffix(u.Path); api != "" {
		return nil, fmt.Errorf("amp: invalid server address %q: remove %q, because the client appends /api/v1/query itself", redacted, api)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("amp: invalid server address %q: remove the query and fragment, and set Config.QueryParameters for extra parameters", redacted)
	}

	if looksLikeWorkspaceHost(u.Hostname()) {
		if _, err := ParseWorkspaceURL(address); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// suggestScheme returns the scheme to suggest for an address written
// without one. It is "http://" for a loopback host, a host name without a
// dot and a Kubernetes service name ending in .svc or .svc.cluster.local,
// because those are usually served without TLS. Any other host gets
// "https://".
func suggestScheme(address string) string {
	authority := address
	if i := strings.IndexAny(authority, "/?#"); i >= 0 {
		authority = authority[:i]
	}
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		authority = authority[at+1:]
	}
	host := authority
	if h, _, err := net.SplitHostPort(authority); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))

	ip := net.ParseIP(host)
	switch {
	case host == "localhost", ip != nil && ip.IsLoopback():
		return "http://"
	case ip == nil && !strings.Contains(host, "."):
		return "http://"
	case strings.HasSuffix(host, ".svc"), strings.HasSuffix(host, ".svc.cluster.local"):
		return "http://"
	}
	return "https://"
}

// validateSigning checks the SigV4 fields against the host.
func (c Config) validateSigning(u *url.URL, signed bool) error {
	hostRegion, isAMP := sigv4.RegionFromHost(u.Host)
	switch {
	case !signed && (c.Region != "" || c.Credentials != nil || c.RoleARN != ""):
		return fmt.Errorf("amp: Region, Credentials and RoleARN apply only to SigV4, but host %q is not an AMP workspace host; set Config.SigV4 to sign requests to it, or remove them", u.Host)
	case c.SigV4 && !isAMP && c.Region == "":
		return fmt.Errorf("amp: SigV4 for host %q needs a region, because the host name does not contain one; set Config.Region", u.Host)
	case isAMP && c.Region != "" && c.Region != hostRegion:
		return fmt.Errorf("amp: region %q differs from region %q of the workspace host, and AMP rejects a signature for another region; remove Config.Region or fix it", c.Region, hostRegion)
	case c.Credentials != nil && c.RoleARN != "":
		return fmt.Errorf("amp: Credentials and RoleARN %q are both set; set one of them, or pass a provider that assumes the role as Credentials", c.RoleARN)
	}
	if c.Region != "" {
		if err := sigv4.CheckRegion(c.Region); err != nil {
			return fromSigV4("", err)
		}
	}
	if c.RoleARN != "" {
		if err := (sigv4.CredentialsConfig{RoleARN: c.RoleARN, Region: c.Region}).Validate(); err != nil {
			return fromSigV4("", err)
		}
	}
	return nil
}

// validateAuth checks that at most one way of authenticating is chosen.
func (c Config) validateAuth(signed bool) error {
	hasBasic := c.BasicAuth != nil
	switch {
	case c.BearerToken != "" && hasBasic:
		return errors.New("amp: BearerToken and BasicAuth are both set, but a request carries one Authorization header; set one of them")
	case signed && (c.BearerToken != "" || hasBasic):
		return errors.New("amp: BearerToken and BasicAuth conflict with SigV4, which sets the Authorization header; remove them for an AMP workspace or set Config.SigV4 to false")
	case hasBasic && c.BasicAuth.Username == "":
		return errors.New("amp: BasicAuth has an empty username; set it or remove BasicAuth")
	case strings.ContainsAny(c.BearerToken, "\r\n"):
		return errors.New("amp: BearerToken contains a line break; remove it, for example with strings.TrimSpace on a token read from a file")
	}
	return nil
}

// validateHeaders checks Config.Headers.
func (c Config) validateHeaders(signed bool) error {
	for name, value := range c.Headers {
		canonical := http.CanonicalHeaderKey(name)
		switch {
		case !isToken(name):
			return fmt.Errorf("amp: invalid header name %q: use letters, digits and '-'", name)
		case strings.ContainsAny(value, "\r\n"):
			return fmt.Errorf("amp: header %s contains a line break; remove it", canonical)
		case signed && strings.EqualFold(name, tenantHeader):
			return fmt.Errorf("amp: header %s must not be sent to an AMP workspace: AMP computes the signature without that header, "+
				"so a request that carries it fails with 403 and a signature mismatch; remove it, because the workspace in the URL selects the tenant", tenantHeader)
		case canonical == "Authorization" && (signed || c.BearerToken != "" || c.BasicAuth != nil):
			return errors.New("amp: header Authorization conflicts with SigV4, BearerToken or BasicAuth; remove it from Config.Headers")
		case canonical == "Host" || canonical == "Content-Type" || canonical == "Content-Length":
			return fmt.Errorf("amp: header %s is set by the client; remove it from Config.Headers", canonical)
		}
	}
	return nil
}

// reservedParameters are the parameters the client sets itself.
var reservedParameters = []string{"query", "time", "start", "end", "step"}

// validateParameters checks Config.QueryParameters and Config.Method.
func (c Config) validateParameters() error {
	for _, name := range reservedParameters {
		if _, ok := c.QueryParameters[name]; ok {
			return fmt.Errorf("amp: query parameter %q is set by the client on each query; remove it from Config.QueryParameters", name)
		}
	}
	if c.Method != "" && c.Method != http.MethodPost && c.Method != http.MethodGet {
		return fmt.Errorf("amp: invalid method %q: use POST or GET", c.Method)
	}
	return nil
}

// validateLimits checks the timeout, size and retry settings.
func (c Config) validateLimits() error {
	if c.Timeout < 0 {
		return fmt.Errorf("amp: invalid Config.Timeout %s: must be zero (for %s) or positive", c.Timeout, DefaultTimeout)
	}
	if c.MaxResponseSize < 0 {
		return fmt.Errorf("amp: invalid Config.MaxResponseSize %d: must be zero (for %d bytes) or positive", c.MaxResponseSize, DefaultMaxResponseSize)
	}
	return c.Retry.validate()
}

// isToken reports whether s is a valid HTTP header name (an RFC 9110 token).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r) {
			continue
		}
		return false
	}
	return true
}

// fromSigV4 returns err from the sigv4 package with its "sigv4: " prefix
// replaced by "amp: " and context, so that a message has one prefix. The
// result wraps err.
func fromSigV4(context string, err error) error {
	text := strings.TrimPrefix(err.Error(), "sigv4: ")
	if context != "" {
		text = context + ": " + text
	}
	return &describedError{text: "amp: " + text, err: err}
}

// redactAddress returns raw with the password of any user info replaced by
// "xxxxx", even when raw does not parse as a URL, so errors can quote it.
func redactAddress(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return u.Redacted()
	}

	rest := raw
	prefix := ""
	if i := strings.Index(raw, "://"); i >= 0 {
		prefix, rest = raw[:i+3], raw[i+3:]
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return raw
	}
	user := authority[:at]
	if i := strings.Index(user, ":"); i >= 0 {
		user = user[:i] + ":xxxxx"
	}
	return prefix + user + rest[at:]
}

// apiPathSuffix returns the trailing API path of an address that already
// points into the query API, such as "/api/v1/query", or "".
func apiPathSuffix(path string) string {
	path = strings.TrimRight(path, "/")
	for _, suffix := range []string{"/api/v1/query", "/api/v1/query_range", "/api/v1"} {
		if strings.HasSuffix(path, suffix) {
			return suffix
		}
	}
	return ""
}

// looksLikeWorkspaceHost reports whether host looks like an AMP endpoint,
// so that Validate requires the workspace URL form.
func looksLikeWorkspaceHost(host string) bool {
	host = strings.ToLower(host)
	return strings.HasPrefix(host, "aps-workspaces") &&
		(strings.HasSuffix(host, ".amazonaws.com") || strings.HasSuffix(host, ".amazonaws.com.cn") || strings.HasSuffix(host, ".api.aws"))
}

// isWorkspaceHost reports whether host (with an optional port) is an AMP
// workspace endpoint or an AMP VPC endpoint name, which the Client always
// signs.
func isWorkspaceHost(host string) bool {
	_, ok := sigv4.RegionFromHost(host)
	return ok
}
