package realprom_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/promscaler/promscaler/internal/realprom"
)

// errConnection is wrapped by get when no response arrived.
var errConnection = fmt.Errorf("no response")

// get sends GET url and returns an error unless the status is 200.
func get(url string) error {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		return fmt.Errorf("%w: %v", errConnection, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s returned %s", url, resp.Status)
	}
	return nil
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     realprom.Config
		wantErr string
	}{
		{name: "accepts: zero value", cfg: realprom.Config{}},
		{name: "accepts: targets and intervals", cfg: realprom.Config{ScrapeTargets: []string{"127.0.0.1:9100", "[::1]:9100"}, ScrapeInterval: 500 * time.Millisecond}},
		{name: "rejects: target with scheme", cfg: realprom.Config{ScrapeTargets: []string{"127.0.0.1:9100", "http://127.0.0.1:9100"}}, wantErr: `realprom: ScrapeTargets[1] "http://127.0.0.1:9100" is not a host:port address such as 127.0.0.1:9100`},
		{name: "rejects: target without port", cfg: realprom.Config{ScrapeTargets: []string{"127.0.0.1"}}, wantErr: `realprom: ScrapeTargets[0] "127.0.0.1" is not a host:port address`},
		{name: "rejects: negative scrape interval", cfg: realprom.Config{ScrapeInterval: -time.Second}, wantErr: "realprom: ScrapeInterval -1s is negative"},
		{name: "rejects: sub-millisecond interval", cfg: realprom.Config{ScrapeInterval: 1500 * time.Microsecond}, wantErr: "realprom: ScrapeInterval 1.5ms is not whole milliseconds"},
		{name: "rejects: negative ready timeout", cfg: realprom.Config{ReadyTimeout: -time.Second}, wantErr: "realprom: ReadyTimeout -1s is negative"},
		{name: "rejects: negative stop timeout", cfg: realprom.Config{StopTimeout: -time.Second}, wantErr: "realprom: StopTimeout -1s is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()

			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			if assert.Error(t, err) {
				assert.Contains(t, err.Error(), tt.wantErr)
			}
		})
	}
}

func TestPrometheusConfigWithoutTargets(t *testing.T) {
	got := realprom.Config{ScrapeInterval: 250 * time.Millisecond}.PrometheusConfig()

	assert.Equal(t, "global:\n  scrape_interval: 250ms\n  evaluation_interval: 250ms\nscrape_configs: []\n", got)
}

func TestExporterServesSetValues(t *testing.T) {
	exporter := realprom.StartExporter(t)
	exporter.Set("sample-app", "a", 70)
	exporter.Set("sample-app", "b", 3.5)
	assert.True(t, exporter.Delete("sample-app", "b"))
	assert.False(t, exporter.Delete("sample-app", "c"))

	lines := scrape(t, exporter)

	assert.Equal(t, []string{`websocket_active_connection_count{app_kubernetes_io_name="sample-app",pod="a"} 70`}, lines)
}

// scrape returns the sample lines of the exporter's metrics page.
func scrape(t *testing.T, exporter *realprom.Exporter) []string {
	t.Helper()
	resp, err := http.Get(exporter.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}

	var samples []string
	for line := range strings.Lines(string(body)) {
		if !strings.HasPrefix(line, "#") {
			samples = append(samples, strings.TrimSpace(line))
		}
	}
	return samples
}
