package realprom_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/promscaler/promscaler/internal/realprom"
)

// PrometheusConfig shows the configuration that Start gives the server: a
// 1 s scrape and evaluation interval and one job for the scrape targets.
func ExampleConfig_PrometheusConfig() {
	cfg := realprom.Config{ScrapeTargets: []string{"127.0.0.1:9100"}}

	fmt.Print(cfg.PrometheusConfig())
	// Output:
	// global:
	//   scrape_interval: 1s
	//   evaluation_interval: 1s
	// scrape_configs:
	//   - job_name: realprom
	//     static_configs:
	//       - targets:
	//           - "127.0.0.1:9100"
}

// An Exporter serves the values a test sets, in the text format that the
// server scrapes.
func ExampleExporter() {
	exporter, err := realprom.NewExporter()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer exporter.Close()
	exporter.Set("sample-app", "sample-app-1", 70)
	exporter.Set("sample-app", "sample-app-2", 70)

	resp, err := http.Get(exporter.URL())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		fmt.Println(err)
		return
	}
	for line := range strings.Lines(string(body)) {
		if strings.HasPrefix(line, realprom.MetricName) {
			fmt.Print(line)
		}
	}
	// Output:
	// websocket_active_connection_count{app_kubernetes_io_name="sample-app",pod="sample-app-1"} 70
	// websocket_active_connection_count{app_kubernetes_io_name="sample-app",pod="sample-app-2"} 70
}
