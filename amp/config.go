package amp

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout is the time limit of one query when Config.Timeout is zero.
// It is the default of KEDA's prometheus scaler.
const DefaultTimeout = 3 * time.Second

// MaxResponseSize is the largest response body, in bytes, that a query reads.
// A larger body fails with KindResponse.
const MaxResponseSize = 8 << 20

// Config configures a Client.
type Config struct {
	// ServerAddress is an AMP workspace URL
	// (https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>) or a
	// plain Prometheus base URL such as http://prometheus:9090. Trailing
	// slashes are allowed. Queries go to <ServerAddress>/api/v1/query.
	ServerAddress string
	// HTTPClient sends the queries. Nil means http.DefaultClient. For AMP its
	// Transport should be a *sigv4.RoundTripper.
	HTTPClient *http.Client
	// Timeout limits each query, including reading the response. Zero means
	// DefaultTimeout.
	Timeout time.Duration
}

// Validate reports the first missing or invalid field.
//
// ServerAddress must be an absolute http or https URL with a host and
// without user info, query or fragment. User info is rejected because
// errors and logs repeat the address. A host of the form
// aps-workspaces.<region>.amazonaws.com must also pass ParseWorkspaceURL.
func (c Config) Validate() error {
	if c.ServerAddress == "" {
		return errors.New("amp: server address is empty; set Config.ServerAddress to the workspace URL or the Prometheus base URL")
	}
	redacted := redactAddress(c.ServerAddress)
	if !strings.Contains(c.ServerAddress, "://") {
		return fmt.Errorf("amp: invalid server address %q: the scheme is missing; write the URL in full, for example %q", redacted, "https://"+redacted)
	}

	u, err := url.Parse(c.ServerAddress)
	if err != nil {
		return fmt.Errorf("amp: invalid server address %q: the URL does not parse; check its host and port", redacted)
	}
	if u.User != nil {
		return fmt.Errorf("amp: invalid server address %s: remove the user info and set credentials on HTTPClient's transport", redacted)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("amp: invalid server address %q: scheme must be http or https", redacted)
	}
	if u.Host == "" {
		return fmt.Errorf("amp: invalid server address %q: host is missing", redacted)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("amp: invalid server address %q: port %q is not a number from 1 to 65535", redacted, port)
		}
	}
	if api := apiPathSuffix(u.Path); api != "" {
		return fmt.Errorf("amp: invalid server address %q: remove %q, because the client appends /api/v1/query itself", redacted, api)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return fmt.Errorf("amp: invalid server address %q: remove the query and fragment", redacted)
	}

	if isWorkspaceHost(u.Hostname()) {
		if _, err := ParseWorkspaceURL(c.ServerAddress); err != nil {
			return err
		}
	}
	if c.Timeout < 0 {
		return fmt.Errorf("amp: invalid timeout %s: must be zero (for %s) or positive", c.Timeout, DefaultTimeout)
	}
	return nil
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

// isWorkspaceHost reports whether host looks like an AMP endpoint, so that
// Validate holds it to the workspace URL form.
func isWorkspaceHost(host string) bool {
	host = strings.ToLower(host)
	return strings.HasPrefix(host, "aps-workspaces") &&
		(strings.HasSuffix(host, ".amazonaws.com") || strings.HasSuffix(host, ".amazonaws.com.cn"))
}

// Client runs instant queries against the Prometheus HTTP API of an AMP
// workspace or a Prometheus-compatible server. It is safe for concurrent use.
type Client struct {
	queryURL string
	http     *http.Client
	timeout  time.Duration
}

// NewClient validates cfg and returns a Client that uses it.
func NewClient(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}

	c := &Client{
		queryURL: strings.TrimRight(cfg.ServerAddress, "/") + "/api/v1/query",
		http:     cfg.HTTPClient,
		timeout:  cfg.Timeout,
	}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	return c, nil
}
