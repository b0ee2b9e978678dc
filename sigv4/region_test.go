package sigv4

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// isolateAWSEnv clears every AWS_* variable for the test, points the shared
// config and credentials files at empty files in a temporary folder and
// disables the EC2 instance metadata service. It returns the folder.
func isolateAWSEnv(t *testing.T) string {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "AWS_") {
			t.Setenv(name, "")
		}
	}
	for _, name := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS"} {
		t.Setenv(name, "")
	}

	dir := t.TempDir()
	configFile := filepath.Join(dir, "config")
	credentialsFile := filepath.Join(dir, "credentials")
	require.NoError(t, os.WriteFile(configFile, nil, 0o600))
	require.NoError(t, os.WriteFile(credentialsFile, nil, 0o600))
	t.Setenv("AWS_CONFIG_FILE", configFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credentialsFile)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return dir
}

func TestRegionFromHost(t *testing.T) {
	tests := []struct {
		name       string
		host       string
		wantRegion string
		wantOK     bool
	}{
		{name: "finds: commercial host", host: "aps-workspaces.ap-northeast-2.amazonaws.com", wantRegion: "ap-northeast-2", wantOK: true},
		{name: "finds: host with port", host: "aps-workspaces.us-east-1.amazonaws.com:443", wantRegion: "us-east-1", wantOK: true},
		{name: "finds: FIPS host", host: "aps-workspaces-fips.us-gov-west-1.amazonaws.com", wantRegion: "us-gov-west-1", wantOK: true},
		{name: "finds: China host", host: "aps-workspaces.cn-northwest-1.amazonaws.com.cn", wantRegion: "cn-northwest-1", wantOK: true},
		{name: "finds: dual-stack host", host: "aps-workspaces.eu-central-1.api.aws", wantRegion: "eu-central-1", wantOK: true},
		{name: "finds: dual-stack FIPS host", host: "aps-workspaces-fips.us-east-2.api.aws", wantRegion: "us-east-2", wantOK: true},
		{name: "finds: upper case and trailing dot", host: "APS-Workspaces.US-WEST-2.amazonaws.com.", wantRegion: "us-west-2", wantOK: true},
		{name: "finds: VPC endpoint", host: "vpce-0a1b2c3d4e5f-abcd1234.aps-workspaces.ap-northeast-2.vpce.amazonaws.com", wantRegion: "ap-northeast-2", wantOK: true},
		{name: "finds: zonal VPC endpoint", host: "vpce-0a1b2c3d4e5f-abcd1234-ap-northeast-2a.aps-workspaces.ap-northeast-2.vpce.amazonaws.com:443", wantRegion: "ap-northeast-2", wantOK: true},
		{name: "ignores: VPC endpoint of control plane", host: "vpce-0a1b2c3d4e5f-abcd1234.aps.us-east-1.vpce.amazonaws.com"},
		{name: "ignores: VPC endpoint without ID", host: "vpce-.aps-workspaces.us-east-1.vpce.amazonaws.com"},
		{name: "ignores: VPC endpoint bad region", host: "vpce-0a1b2c3d4e5f-abcd1234.aps-workspaces.useast1.vpce.amazonaws.com"},
		{name: "ignores: private DNS name", host: "prometheus.vpc.example.internal"},
		{name: "ignores: proxy", host: "amp-proxy.monitoring.svc:8005"},
		{name: "ignores: loopback", host: "127.0.0.1:9090"},
		{name: "ignores: other service", host: "sts.us-east-1.amazonaws.com"},
		{name: "ignores: missing region", host: "aps-workspaces.amazonaws.com"},
		{name: "ignores: malformed region", host: "aps-workspaces.useast.amazonaws.com"},
		{name: "ignores: lookalike domain", host: "aps-workspaces.us-east-1.amazonaws.com.example.org"},
		{name: "ignores: empty host", host: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			region, ok := RegionFromHost(tt.host)

			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.wantRegion, region)
		})
	}
}

func TestResolveRegion(t *testing.T) {
	const ampURL = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1"

	tests := []struct {
		name     string
		explicit string
		host     string
		env      map[string]string
		profile  string
		want     string
		wantErr  string
	}{
		{name: "prefers: explicit region", explicit: "ap-northeast-2", host: ampURL, env: map[string]string{"AWS_REGION": "us-east-1"}, want: "ap-northeast-2"},
		{name: "uses: region of the host", host: "aps-workspaces.eu-west-1.amazonaws.com", env: map[string]string{"AWS_REGION": "us-east-1"}, want: "eu-west-1"},
		{name: "uses: region of a URL", host: ampURL, want: "eu-west-1"},
		{name: "uses: region of a VPC endpoint", host: "https://vpce-0a1b2c3d4e5f-abcd1234.aps-workspaces.ap-northeast-2.vpce.amazonaws.com/workspaces/ws-1",
			env: map[string]string{"AWS_REGION": "us-east-1"}, want: "ap-northeast-2"},
		{name: "uses: AWS_REGION", host: "amp-proxy:8005", env: map[string]string{"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "us-east-1"}, want: "us-west-2"},
		{name: "uses: AWS_DEFAULT_REGION", host: "amp-proxy:8005", env: map[string]string{"AWS_DEFAULT_REGION": "sa-east-1"}, want: "sa-east-1"},
		{name: "uses: profile region", host: "amp-proxy:8005", env: map[string]string{"AWS_PROFILE": "monitoring"},
			profile: "[profile monitoring]\nregion = ca-central-1\n", want: "ca-central-1"},
		{name: "fails: no source", host: "amp-proxy:8005", wantErr: "sigv4: no region: set the region explicitly"},
		{name: "fails: malformed explicit region", explicit: "us east", wantErr: `sigv4: invalid region "us east"`},
		{name: "fails: host as explicit region", explicit: "aps-workspaces.eu-west-1.amazonaws.com", wantErr: `RegionFromHost reads region "eu-west-1" from it`},
		{name: "fails: malformed environment region", env: map[string]string{"AWS_REGION": "Mars"}, wantErr: `invalid region "Mars" from the AWS environment`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := isolateAWSEnv(t)
			for name, value := range tt.env {
				t.Setenv(name, value)
			}
			if tt.profile != "" {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), []byte(tt.profile), 0o600))
			}

			got, err := ResolveRegion(context.Background(), tt.explicit, tt.host)

			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCheckRegion(t *testing.T) {
	tests := []struct {
		name    string
		region  string
		wantErr string
	}{
		{name: "accepts: standard region", region: "ap-northeast-2"},
		{name: "accepts: GovCloud region", region: "us-gov-west-1"},
		{name: "rejects: empty region", region: "", wantErr: "sigv4: region is empty"},
		{name: "rejects: upper case", region: "US-EAST-1", wantErr: `sigv4: invalid region "US-EAST-1": a region is written in lower case; use "us-east-1"`},
		{name: "rejects: workspace host", region: "aps-workspaces.eu-west-1.amazonaws.com", wantErr: `RegionFromHost reads region "eu-west-1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRegion(tt.region)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckRegion(%q) = %v, want nil", tt.region, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("CheckRegion(%q) = %v, want an error containing %q", tt.region, err, tt.wantErr)
			}
		})
	}
}
