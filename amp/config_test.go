package amp

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "accepts: AMP workspace URL", cfg: Config{ServerAddress: "https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-1234abcd/"}},
		{name: "accepts: plain Prometheus", cfg: Config{ServerAddress: "http://prometheus.monitoring:9090"}},
		{name: "accepts: Prometheus under prefix", cfg: Config{ServerAddress: "http://127.0.0.1:9090/prometheus//", Timeout: time.Second}},
		{name: "rejects: empty address", cfg: Config{}, wantErr: "amp: server address is empty"},
		{name: "rejects: missing scheme", cfg: Config{ServerAddress: "prometheus:9090"}, wantErr: `invalid server address "prometheus:9090": the scheme is missing; write the URL in full, for example "http://prometheus:9090"`},
		{name: "suggests: http for localhost", cfg: Config{ServerAddress: "localhost:9090"}, wantErr: `for example "http://localhost:9090"`},
		{name: "suggests: http for loopback IPv4", cfg: Config{ServerAddress: "127.0.0.1:9090/prometheus"}, wantErr: `for example "http://127.0.0.1:9090/prometheus"`},
		{name: "suggests: http for loopback IPv6", cfg: Config{ServerAddress: "[::1]:9090"}, wantErr: `for example "http://[::1]:9090"`},
		{name: "suggests: http for service name", cfg: Config{ServerAddress: "prometheus.monitoring.svc:9090"}, wantErr: `for example "http://prometheus.monitoring.svc:9090"`},
		{name: "suggests: http for cluster domain", cfg: Config{ServerAddress: "prometheus.monitoring.svc.cluster.local:9090"}, wantErr: `for example "http://prometheus.monitoring.svc.cluster.local:9090"`},
		{name: "suggests: https for public host", cfg: Config{ServerAddress: "prometheus.example.com"}, wantErr: `for example "https://prometheus.example.com"`},
		{name: "rejects: blank address", cfg: Config{ServerAddress: "   "}, wantErr: "amp: server address is blank: it contains only white space"},
		{name: "rejects: spaces around address", cfg: Config{ServerAddress: " http://prometheus:9090\n"}, wantErr: `invalid server address " http://prometheus:9090\n": remove the white space around it`},
		{name: "rejects: missing scheme on AMP URL", cfg: Config{ServerAddress: "aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-1"}, wantErr: `for example "https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-1"`},
		{name: "rejects: port out of range", cfg: Config{ServerAddress: "http://127.0.0.1:99999"}, wantErr: `port "99999" is not a number from 1 to 65535`},
		{name: "rejects: port zero", cfg: Config{ServerAddress: "http://127.0.0.1:0/"}, wantErr: `port "0" is not a number from 1 to 65535`},
		{name: "rejects: Prometheus query endpoint", cfg: Config{ServerAddress: "http://127.0.0.1:9090/api/v1/query"}, wantErr: `remove "/api/v1/query", because the client appends /api/v1/query itself`},
		{name: "rejects: Prometheus API prefix", cfg: Config{ServerAddress: "http://127.0.0.1:9090/api/v1/"}, wantErr: `remove "/api/v1"`},
		{name: "rejects: range query endpoint", cfg: Config{ServerAddress: "http://127.0.0.1:9090/api/v1/query_range"}, wantErr: `remove "/api/v1/query_range"`},
		{name: "rejects: ftp scheme", cfg: Config{ServerAddress: "ftp://prometheus"}, wantErr: "scheme must be http or https"},
		{name: "rejects: missing host", cfg: Config{ServerAddress: "http:///api"}, wantErr: `invalid server address "http:///api": host is missing`},
		{name: "rejects: unparsable URL", cfg: Config{ServerAddress: "http://[::1"}, wantErr: `invalid server address "http://[::1": the URL does not parse`},
		{name: "rejects: query string", cfg: Config{ServerAddress: "http://prometheus:9090?x=1"}, wantErr: "remove the query and fragment"},
		{name: "rejects: empty query", cfg: Config{ServerAddress: "http://prometheus:9090/?"}, wantErr: "remove the query and fragment"},
		{name: "rejects: fragment", cfg: Config{ServerAddress: "http://prometheus:9090/#top"}, wantErr: "remove the query and fragment"},
		{name: "rejects: user info without echoing it", cfg: Config{ServerAddress: "http://admin:hunter2@prometheus:9090"}, wantErr: `invalid server address "http://admin:xxxxx@prometheus:9090": remove the user info`},
		{name: "rejects: user info with bad port", cfg: Config{ServerAddress: "http://admin:hunter2@prometheus:99999"}, wantErr: "http://admin:xxxxx@prometheus:99999"},
		{name: "rejects: user info without scheme", cfg: Config{ServerAddress: "admin:hunter2@prometheus:9090"}, wantErr: `"admin:xxxxx@prometheus:9090": the scheme is missing`},
		{name: "rejects: user info in unparsable URL", cfg: Config{ServerAddress: "http://admin:hunter2@[::1"}, wantErr: `"http://admin:xxxxx@[::1": the URL does not parse`},
		{name: "rejects: AMP URL without workspace", cfg: Config{ServerAddress: "https://aps-workspaces.us-east-1.amazonaws.com/"}, wantErr: "does not start with /workspaces/<workspace ID>"},
		{name: "rejects: AMP query endpoint", cfg: Config{ServerAddress: "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/query"}, wantErr: `remove "/api/v1/query"`},
		{name: "rejects: negative timeout", cfg: Config{ServerAddress: "http://prometheus:9090", Timeout: -time.Second}, wantErr: "amp: invalid Config.Timeout -1s: must be zero (for 3s) or positive"},
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
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}

func TestNewClientDefaults(t *testing.T) {
	c, err := NewClient(Config{ServerAddress: "http://127.0.0.1:9090/"})
	require.NoError(t, err)

	assert.Equal(t, "http://127.0.0.1:9090", c.baseURL)
	assert.Equal(t, DefaultTimeout, c.timeout)
	assert.NotNil(t, c.http)
}

func TestNewClientRejectsInvalidConfig(t *testing.T) {
	c, err := NewClient(Config{ServerAddress: "127.0.0.1:9090"})

	assert.Nil(t, c)
	assert.ErrorContains(t, err, "amp: invalid server address")
}

func TestParseWorkspaceURL(t *testing.T) {
	const id = "ws-12345678-abcd-1234-abcd-123456789012"
	tests := []struct {
		name    string
		raw     string
		want    Workspace
		wantErr string
	}{
		{name: "parses: standard URL", raw: "https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/" + id, want: Workspace{Region: "ap-northeast-2", ID: id}},
		{name: "parses: trailing slash", raw: "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/" + id + "/", want: Workspace{Region: "us-east-1", ID: id}},
		{name: "parses: FIPS host", raw: "https://aps-workspaces-fips.us-gov-west-1.amazonaws.com/workspaces/" + id, want: Workspace{Region: "us-gov-west-1", ID: id}},
		{name: "parses: China partition", raw: "https://aps-workspaces.cn-north-1.amazonaws.com.cn/workspaces/" + id, want: Workspace{Region: "cn-north-1", ID: id}},
		{name: "parses: upper-case host", raw: "https://APS-WORKSPACES.EU-WEST-1.AMAZONAWS.COM/workspaces/" + id, want: Workspace{Region: "eu-west-1", ID: id}},
		{name: "rejects: http scheme", raw: "http://aps-workspaces.us-east-1.amazonaws.com/workspaces/" + id, wantErr: "scheme must be https"},
		{name: "rejects: wrong host", raw: "https://prometheus.example.com/workspaces/" + id, wantErr: `host "prometheus.example.com" is not an AMP workspace host`},
		{name: "rejects: other AWS service", raw: "https://aps.us-east-1.amazonaws.com/workspaces/" + id, wantErr: "is not an AMP workspace host"},
		{name: "rejects: missing region", raw: "https://aps-workspaces.amazonaws.com/workspaces/" + id, wantErr: "is not an AMP workspace host"},
		{name: "rejects: dotted region", raw: "https://aps-workspaces.evil.example.amazonaws.com/workspaces/" + id, wantErr: "is not an AMP workspace host"},
		{name: "rejects: missing id", raw: "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/", wantErr: "has no workspace ID"},
		{name: "rejects: missing path", raw: "https://aps-workspaces.us-east-1.amazonaws.com", wantErr: "does not start with /workspaces/"},
		{name: "rejects: query endpoint", raw: "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/" + id + "/api/v1/query", wantErr: `remove "/api/v1/query"`},
		{name: "rejects: odd id characters", raw: "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws_1%20x", wantErr: "contains characters other than"},
		{name: "rejects: query string", raw: "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/" + id + "?a=b", wantErr: "remove the query"},
		{name: "rejects: not a URL", raw: "https://[bad", wantErr: "amp: invalid workspace URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseWorkspaceURL(tt.raw)

			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Contains(t, err.Error(), "amp: invalid workspace URL")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestWorkspaceURLRoundTrip(t *testing.T) {
	w := Workspace{Region: "ap-northeast-2", ID: "ws-1234abcd"}

	got, err := ParseWorkspaceURL(w.URL())

	require.NoError(t, err)
	assert.Equal(t, w, got)
}

func TestConfigValidateAuthAndOptions(t *testing.T) {
	const workspace = "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1"
	const plain = "http://prometheus:9090"
	const vpce = "https://vpce-0123.aps-workspaces.us-east-1.vpce.amazonaws.com/workspaces/ws-1"
	const private = "https://prometheus.internal.example/workspaces/ws-1"
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "accepts: AMP with region from host", cfg: Config{ServerAddress: workspace}},
		{name: "accepts: AMP with matching region", cfg: Config{ServerAddress: workspace, Region: "us-east-1"}},
		{name: "accepts: VPC endpoint with SigV4", cfg: Config{ServerAddress: vpce, SigV4: true, Region: "us-east-1"}},
		{name: "accepts: VPC endpoint name alone", cfg: Config{ServerAddress: vpce}},
		{name: "accepts: private name with SigV4", cfg: Config{ServerAddress: private, SigV4: true, Region: "us-east-1"}},
		{name: "rejects: VPC endpoint other region", cfg: Config{ServerAddress: vpce, Region: "eu-west-1"}, wantErr: `region "eu-west-1" differs from region "us-east-1"`},
		{name: "accepts: bearer over plain http", cfg: Config{ServerAddress: plain, BearerToken: "t0ken"}},
		{name: "accepts: basic auth", cfg: Config{ServerAddress: plain, BasicAuth: &BasicAuth{Username: "u", Password: "p"}}},
		{name: "accepts: tenant header on plain host", cfg: Config{ServerAddress: plain, Headers: map[string]string{"X-Scope-OrgID": "team-a"}}},
		{name: "accepts: GET and extra parameters", cfg: Config{ServerAddress: plain, Method: "GET", QueryParameters: url.Values{"dedup": {"true"}}}},
		{name: "rejects: tenant header on AMP", cfg: Config{ServerAddress: workspace, Headers: map[string]string{"x-scope-orgid": "team-a"}},
			wantErr: "amp: header X-Scope-OrgID must not be sent to an AMP workspace: AMP computes the signature without that header, so a request that carries it fails with 403 and a signature mismatch"},
		{name: "rejects: tenant header with SigV4", cfg: Config{ServerAddress: vpce, SigV4: true, Region: "us-east-1", Headers: map[string]string{"X-Scope-OrgID": "a"}},
			wantErr: "header X-Scope-OrgID must not be sent"},
		{name: "rejects: bearer to AMP", cfg: Config{ServerAddress: workspace, BearerToken: "t0ken"}, wantErr: "BearerToken and BasicAuth conflict with SigV4"},
		{name: "rejects: basic auth with SigV4", cfg: Config{ServerAddress: vpce, SigV4: true, Region: "us-east-1", BasicAuth: &BasicAuth{Username: "u"}}, wantErr: "conflict with SigV4"},
		{name: "rejects: bearer and basic", cfg: Config{ServerAddress: plain, BearerToken: "t", BasicAuth: &BasicAuth{Username: "u"}}, wantErr: "BearerToken and BasicAuth are both set"},
		{name: "rejects: basic without username", cfg: Config{ServerAddress: plain, BasicAuth: &BasicAuth{Password: "p"}}, wantErr: "BasicAuth has an empty username"},
		{name: "rejects: token with newline", cfg: Config{ServerAddress: plain, BearerToken: "t0ken\n"}, wantErr: "BearerToken contains a line break"},
		{name: "rejects: SigV4 without region", cfg: Config{ServerAddress: private, SigV4: true}, wantErr: `amp: SigV4 for host "prometheus.internal.example" needs a region`},
		{name: "rejects: upper-case region", cfg: Config{ServerAddress: private, SigV4: true, Region: "AP-NORTHEAST-2"}, wantErr: `amp: invalid region "AP-NORTHEAST-2": a region is written in lower case; use "ap-northeast-2"`},
		{name: "rejects: region with spaces", cfg: Config{ServerAddress: private, SigV4: true, Region: "ap northeast"}, wantErr: `amp: invalid region "ap northeast"`},
		{name: "rejects: region on plain host", cfg: Config{ServerAddress: plain, Region: "us-east-1"}, wantErr: "apply only to SigV4"},
		{name: "rejects: region differs from host", cfg: Config{ServerAddress: workspace, Region: "eu-west-1"}, wantErr: `region "eu-west-1" differs from region "us-east-1" of the workspace host`},
		{name: "rejects: malformed role", cfg: Config{ServerAddress: workspace, RoleARN: "arn:aws:iam::1:role/x"}, wantErr: `amp: invalid role ARN "arn:aws:iam::1:role/x"`},
		{name: "rejects: credentials and role", cfg: Config{ServerAddress: workspace, RoleARN: "arn:aws:iam::123456789012:role/x", Credentials: aws.AnonymousCredentials{}}, wantErr: "Credentials and RoleARN"},
		{name: "rejects: authorization header with bearer", cfg: Config{ServerAddress: plain, BearerToken: "t", Headers: map[string]string{"authorization": "x"}}, wantErr: "header Authorization conflicts"},
		{name: "rejects: host header", cfg: Config{ServerAddress: plain, Headers: map[string]string{"Host": "x"}}, wantErr: "header Host is set by the client"},
		{name: "rejects: header name with space", cfg: Config{ServerAddress: plain, Headers: map[string]string{"X Team": "a"}}, wantErr: `invalid header name "X Team"`},
		{name: "rejects: header value with newline", cfg: Config{ServerAddress: plain, Headers: map[string]string{"X-Team": "a\r\nX-Evil: 1"}}, wantErr: "header X-Team contains a line break"},
		{name: "rejects: reserved parameter", cfg: Config{ServerAddress: plain, QueryParameters: url.Values{"time": {"1"}}}, wantErr: `query parameter "time" is set by the client`},
		{name: "rejects: PUT method", cfg: Config{ServerAddress: plain, Method: "PUT"}, wantErr: `invalid method "PUT": use POST or GET`},
		{name: "rejects: negative size", cfg: Config{ServerAddress: plain, MaxResponseSize: -1}, wantErr: "invalid Config.MaxResponseSize -1"},
		{name: "rejects: negative attempts", cfg: Config{ServerAddress: plain, Retry: RetryConfig{MaxAttempts: -1}}, wantErr: "invalid Retry.MaxAttempts -1"},
		{name: "rejects: negative backoff", cfg: Config{ServerAddress: plain, Retry: RetryConfig{InitialBackoff: -time.Second}}, wantErr: "invalid Retry.InitialBackoff -1s"},
		{name: "rejects: negative max backoff", cfg: Config{ServerAddress: plain, Retry: RetryConfig{MaxBackoff: -time.Second}}, wantErr: "invalid Retry.MaxBackoff -1s"},
		{name: "rejects: backoff over its cap", cfg: Config{ServerAddress: plain, Retry: RetryConfig{InitialBackoff: 5 * time.Second, MaxBackoff: time.Second}},
			wantErr: "amp: Retry.InitialBackoff 5s is longer than Retry.MaxBackoff 1s"},
		{name: "accepts: backoff over default cap", cfg: Config{ServerAddress: plain, Retry: RetryConfig{InitialBackoff: 5 * time.Second}}},
		{name: "rejects: TLS on http", cfg: Config{ServerAddress: plain, TLS: TLSConfig{InsecureSkipVerify: true}}, wantErr: "TLS settings need an https server address"},
		{name: "rejects: TLS with HTTP client", cfg: Config{ServerAddress: "https://p:9090", HTTPClient: &http.Client{}, TLS: TLSConfig{InsecureSkipVerify: true}}, wantErr: "Config.HTTPClient is set"},
		{name: "rejects: CA without PEM", cfg: Config{ServerAddress: "https://p:9090", TLS: TLSConfig{CA: "not a pem"}}, wantErr: "invalid TLS CA: no PEM certificate found"},
		{name: "rejects: cert without key", cfg: Config{ServerAddress: "https://p:9090", TLS: TLSConfig{Cert: "x"}}, wantErr: "must be set together"},
		{name: "rejects: unparsable key pair", cfg: Config{ServerAddress: "https://p:9090", TLS: TLSConfig{Cert: "x", Key: "secret-key-text"}}, wantErr: "invalid TLS client certificate or key"},
		{name: "rejects: CA file path", cfg: Config{ServerAddress: "https://p:9090", TLS: TLSConfig{CA: "/etc/prometheus/ca.crt"}},
			wantErr: `amp: invalid TLS CA: TLSConfig.CA "/etc/prometheus/ca.crt" looks like a file path, but the field takes PEM text; read the file with os.ReadFile`},
		{name: "rejects: relative cert path", cfg: Config{ServerAddress: "https://p:9090", TLS: TLSConfig{Cert: "./client.pem", Key: "./client.key"}},
			wantErr: `TLSConfig.Cert "./client.pem" looks like a file path`},
		{name: "rejects: key file name", cfg: Config{ServerAddress: "https://p:9090", TLS: TLSConfig{Cert: "-----BEGIN CERTIFICATE-----", Key: "secret-key-text.key"}},
			wantErr: "amp: invalid TLS Key: TLSConfig.Key looks like a file path"},
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
			assert.NotContains(t, err.Error(), "secret-key-text")
			assert.NotContains(t, err.Error(), "t0ken")
		})
	}
}
