package amp

import (
	"testing"
	"time"

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
		{name: "rejects: missing scheme", cfg: Config{ServerAddress: "prometheus:9090"}, wantErr: `invalid server address "prometheus:9090": the scheme is missing; write the URL in full, for example "https://prometheus:9090"`},
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
		{name: "rejects: user info without echoing it", cfg: Config{ServerAddress: "http://admin:hunter2@prometheus:9090"}, wantErr: "http://admin:xxxxx@prometheus:9090: remove the user info"},
		{name: "rejects: user info with bad port", cfg: Config{ServerAddress: "http://admin:hunter2@prometheus:99999"}, wantErr: "http://admin:xxxxx@prometheus:99999"},
		{name: "rejects: user info without scheme", cfg: Config{ServerAddress: "admin:hunter2@prometheus:9090"}, wantErr: `"admin:xxxxx@prometheus:9090": the scheme is missing`},
		{name: "rejects: user info in unparsable URL", cfg: Config{ServerAddress: "http://admin:hunter2@[::1"}, wantErr: `"http://admin:xxxxx@[::1": the URL does not parse`},
		{name: "rejects: AMP URL without workspace", cfg: Config{ServerAddress: "https://aps-workspaces.us-east-1.amazonaws.com/"}, wantErr: "does not start with /workspaces/<workspace ID>"},
		{name: "rejects: AMP query endpoint", cfg: Config{ServerAddress: "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1/api/v1/query"}, wantErr: `remove "/api/v1/query"`},
		{name: "rejects: negative timeout", cfg: Config{ServerAddress: "http://prometheus:9090", Timeout: -time.Second}, wantErr: "amp: invalid timeout -1s"},
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

	assert.Equal(t, "http://127.0.0.1:9090/api/v1/query", c.queryURL)
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
