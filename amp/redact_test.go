package amp

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secretConfig returns a Config with every secret field set to a value that
// contains "hunter2".
func secretConfig() Config {
	return Config{
		ServerAddress:   "http://admin:hunter2-address@prometheus:9090",
		BearerToken:     "hunter2-token",
		BasicAuth:       &BasicAuth{Username: "alice", Password: "hunter2-password"},
		TLS:             TLSConfig{CA: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", Key: "-----BEGIN EC PRIVATE KEY-----\nhunter2-key\n-----END EC PRIVATE KEY-----\n"},
		Headers:         map[string]string{"X-Api-Key": "hunter2-header"},
		QueryParameters: url.Values{"api_key": {"hunter2-parameter"}},
		Credentials:     staticCredentials(),
		HTTPClient:      &http.Client{},
		Timeout:         5 * time.Second,
		Retry:           RetryConfig{MaxAttempts: 2},
	}
}

func TestConfigFormatRedactsSecrets(t *testing.T) {
	cfg := secretConfig()
	tests := []struct {
		name   string
		format func() string
		want   []string
	}{
		{name: "redacts: %v", format: func() string { return fmt.Sprintf("%v", cfg) },
			want: []string{"ServerAddress:http://admin:xxxxx@prometheus:9090", "BearerToken:xxxxx", "BasicAuth:{Username:alice Password:xxxxx}", "Key:xxxxx", "X-Api-Key:xxxxx", "api_key:xxxxx", "Timeout:5s"}},
		{name: "redacts: %+v", format: func() string { return fmt.Sprintf("%+v", cfg) }, want: []string{"BearerToken:xxxxx", "Password:xxxxx"}},
		{name: "redacts: %s", format: func() string { return fmt.Sprintf("%s", cfg) }, want: []string{"BearerToken:xxxxx"}},
		{name: "redacts: %#v", format: func() string { return fmt.Sprintf("%#v", cfg) },
			want: []string{`amp.Config{ServerAddress:"http://admin:xxxxx@prometheus:9090"`, `BearerToken:"xxxxx"`, `BasicAuth:&amp.BasicAuth{Username:"alice", Password:"xxxxx"}`}},
		{name: "redacts: pointer %+v", format: func() string { return fmt.Sprintf("%+v", &cfg) }, want: []string{"BearerToken:xxxxx"}},
		{name: "redacts: nested struct", format: func() string { return fmt.Sprintf("%+v", struct{ Client Config }{cfg}) }, want: []string{"Client:{ServerAddress:"}},
		{name: "redacts: BasicAuth pointer", format: func() string { return fmt.Sprintf("%+v", cfg.BasicAuth) }, want: []string{"{Username:alice Password:xxxxx}"}},
		{name: "redacts: TLSConfig %#v", format: func() string { return fmt.Sprintf("%#v", cfg.TLS) }, want: []string{`amp.TLSConfig{CA:(59 bytes of PEM), Key:"xxxxx"}`}},
		{name: "redacts: slog JSON", format: func() string {
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("client", "config", cfg)
			return buf.String()
		}, want: []string{`"config":{"ServerAddress":"http://admin:xxxxx@prometheus:9090"`, `"BearerToken":"xxxxx"`, `"BasicAuth":{"Username":"alice","Password":"xxxxx"}`, `"Key":"xxxxx"`}},
		{name: "redacts: slog text", format: func() string {
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("client", "config", cfg)
			return buf.String()
		}, want: []string{"config.BearerToken=xxxxx", "config.BasicAuth.Password=xxxxx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.format()

			assert.NotContains(t, got, "hunter2")
			assert.NotContains(t, got, "wJalrXUtnFEMI", "the credentials provider's secret key")
			for _, want := range tt.want {
				assert.Contains(t, got, want)
			}
		})
	}
}

func TestConfigStringShowsSetFieldsOnly(t *testing.T) {
	cfg := Config{ServerAddress: "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1", Region: "us-east-1", Credentials: staticCredentials()}

	assert.Equal(t, "{ServerAddress:https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1 Region:us-east-1 Credentials:credentials.StaticCredentialsProvider}", cfg.String())
	assert.Equal(t, "{}", Config{}.String())
	require.Equal(t, `amp.Config{Region:"us-east-1"}`, Config{Region: "us-east-1"}.GoString())
}

func TestRedactMessageSessionTokens(t *testing.T) {
	tests := []struct {
		name    string
		message string
		want    string
	}{
		{
			name:    "canonical request: header line",
			message: "The canonical request is:\nhost:aps.example\nx-amz-security-token:FQoGZXIvYXdzEXAMPLE+/=\n\nhost;x-amz-security-token",
			want:    "The canonical request is:\nhost:aps.example\nx-amz-security-token:xxxxx\n\nhost;x-amz-security-token",
		},
		{
			name:    "query string: parameter",
			message: "X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLE&X-Amz-Date=20261204T000000Z",
			want:    "X-Amz-Security-Token=xxxxx&X-Amz-Date=20261204T000000Z",
		},
		{
			name:    "quoted: stops at the quote",
			message: `header "x-amz-security-token: FQoGZXIvYXdzEXAMPLE" rejected`,
			want:    `header "x-amz-security-token: xxxxx" rejected`,
		},
		{
			name:    "no token: unchanged",
			message: "The security token included in the request is expired",
			want:    "The security token included in the request is expired",
		},
		{
			name:    "empty token line: unchanged",
			message: "x-amz-security-token:\nhost:aps.example",
			want:    "x-amz-security-token:\nhost:aps.example",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, redactMessage(tt.message))
		})
	}
}

func TestQueryErrorHidesEchoedSecrets(t *testing.T) {
	const (
		bearer   = "SECRET-bearer-6f1c"
		password = "SECRET-password-77ab"
		header   = "SECRET-header-91d0"
		param    = "SECRET-param-3e2a"
	)
	tests := []struct {
		name string
		body string
	}{
		{name: "JSON error: echoes every secret", body: `{"status":"error","errorType":"bad_data","error":"rejected Bearer ` + bearer + ` with ` + password + `, ` + header + ` and ` + param + `"}`},
		{name: "plain text: echoes every secret", body: "rejected Bearer " + bearer + " with " + password + ", " + header + " and " + param},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			c, err := NewClient(Config{
				ServerAddress:   srv.URL,
				BearerToken:     bearer,
				Headers:         map[string]string{"X-Api-Key": header},
				QueryParameters: url.Values{"key": {param}},
				HTTPClient:      srv.Client(),
			})
			require.NoError(t, err)
			basic, err := NewClient(Config{
				ServerAddress: srv.URL,
				BasicAuth:     &BasicAuth{Username: "user", Password: password},
				HTTPClient:    srv.Client(),
			})
			require.NoError(t, err)

			_, bearerErr := c.Query(context.Background(), "up", t0)
			_, basicErr := basic.Query(context.Background(), "up", t0)

			require.Error(t, bearerErr)
			require.Error(t, basicErr)
			for _, secret := range []string{bearer, header, param} {
				assert.NotContains(t, bearerErr.Error(), secret)
			}
			assert.NotContains(t, basicErr.Error(), password)
			assert.Contains(t, bearerErr.Error(), "rejected Bearer xxxxx")
			assert.Contains(t, basicErr.Error(), bearer, "only the client's own secrets are known to it")
		})
	}
}

func TestConfigSecretsSkipsShortValues(t *testing.T) {
	secrets := configSecrets(Config{
		ServerAddress: "http://admin:SECRET-address@prometheus:9090",
		BearerToken:   "abc",
		Headers:       map[string]string{"X-Org": "1", "X-Key": "SECRET-key-and-more"},
	})

	assert.Equal(t, []string{"SECRET-key-and-more", "SECRET-address"}, secrets)
	assert.Equal(t, "x 1 xxxxx", redactSecrets("x 1 SECRET-address", secrets))
}
