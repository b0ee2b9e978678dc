package realprom

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Names of the gauge that an Exporter serves and of its labels, as the
// pods of a websocket service export it.
const (
	MetricName = "websocket_active_connection_count"
	AppLabel   = "app_kubernetes_io_name"
	PodLabel   = "pod"
)

// Exporter serves the gauge MetricName on 127.0.0.1 in the Prometheus text
// format, for a Server to scrape. It is safe for concurrent use.
type Exporter struct {
	gauge *prometheus.GaugeVec
	http  *httptest.Server
}

// NewExporter starts an Exporter with no series. The caller must Close it.
func NewExporter() (*Exporter, error) {
	registry := prometheus.NewRegistry()
	gauge := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: MetricName,
		Help: "Open websocket connections of one pod.",
	}, []string{AppLabel, PodLabel})
	if err := registry.Register(gauge); err != nil {
		return nil, fmt.Errorf("realprom: register %s: %w", MetricName, err)
	}

	handler := promhttp.HandlerFor(registry, promhttp.HandlerOpts{})
	return &Exporter{gauge: gauge, http: httptest.NewServer(handler)}, nil
}

// StartExporter starts an Exporter for a test and closes it when the test
// ends.
func StartExporter(tb testing.TB) *Exporter {
	tb.Helper()
	e, err := NewExporter()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	return e
}

// Target returns the exporter's host:port address, to use in
// Config.ScrapeTargets.
func (e *Exporter) Target() string {
	return strings.TrimPrefix(e.http.URL, "http://")
}

// URL returns the address of the metrics page, such as
// http://127.0.0.1:41234/metrics.
func (e *Exporter) URL() string {
	return e.http.URL + "/metrics"
}

// Set sets the gauge of one pod of app to value, creating the series when
// it does not exist.
func (e *Exporter) Set(app, pod string, value float64) {
	e.gauge.WithLabelValues(app, pod).Set(value)
}

// Delete removes the series of one pod of app. Prometheus marks the series
// stale at its next scrape, so queries stop returning it. Delete reports
// whether the series existed.
func (e *Exporter) Delete(app, pod string) bool {
	return e.gauge.DeleteLabelValues(app, pod)
}

// Close stops serving and waits for open requests to finish.
func (e *Exporter) Close() {
	e.http.Close()
}
