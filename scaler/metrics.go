package scaler

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds the scaler's Prometheus collectors. Create it with
// NewMetrics and pass it in Config.Metrics; one Metrics serves any number of
// scalers, and its methods are safe for concurrent use. A nil *Metrics
// records nothing.
//
// Every series has the label scaler, the Config.Name of its scaler, such as
// "default/sample-app". The series and their closest KEDA (v2) or
// Kubernetes counterparts:
//
//	promscaler_metric_value{scaler,trigger}             keda_scaler_metrics_value
//	promscaler_trigger_errors_total{scaler,trigger}     keda_scaler_detail_errors_total
//	promscaler_query_duration_seconds{scaler,trigger}   keda_scaler_metrics_latency_seconds, which is a gauge of the last latency
//	promscaler_active{scaler}                           keda_scaler_active, which KEDA sets per trigger
//	promscaler_paused{scaler}                           keda_scaled_object_paused
//	promscaler_replicas{scaler,kind="current"|"desired"} the HPA's status.currentReplicas and status.desiredReplicas
//	promscaler_fallback{scaler}                         the ScaledObject's Fallback status condition
//
// KEDA identifies a trigger by the labels namespace, scaledObject, scaler,
// triggerIndex and metric. Here the scaler label is "namespace/name" and the
// trigger label is Trigger.Name.
type Metrics struct {
	value    *prometheus.GaugeVec
	errors   *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	replicas *prometheus.GaugeVec
	active   *prometheus.GaugeVec
	fallback *prometheus.GaugeVec
	paused   *prometheus.GaugeVec
}

// queryDurationBuckets are the upper bounds, in seconds, of the query
// latency histogram. They run from 1 ms to 30 s, so they cover one attempt
// within amp.DefaultTimeout (3 s) and slower queries that retry or set a
// longer amp.Config.Timeout.
var queryDurationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// NewMetrics creates the scaler's collectors and registers them on reg. It
// fails when reg is nil or rejects a collector, for example because another
// Metrics is already registered on it. On failure it unregisters the
// collectors it had registered.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("scaler: metrics registerer is nil; pass a registry such as prometheus.NewRegistry() or prometheus.DefaultRegisterer")
	}

	m := newUnregisteredMetrics()
	collectors := []struct {
		name string
		c    prometheus.Collector
	}{
		{"promscaler_metric_value", m.value},
		{"promscaler_trigger_errors_total", m.errors},
		{"promscaler_query_duration_seconds", m.latency},
		{"promscaler_replicas", m.replicas},
		{"promscaler_active", m.active},
		{"promscaler_fallback", m.fallback},
		{"promscaler_paused", m.paused},
	}
	for i, c := range collectors {
		if err := reg.Register(c.c); err != nil {
			for _, done := range collectors[:i] {
				reg.Unregister(done.c)
			}
			return nil, registerError(c.name, err)
		}
	}
	return m, nil
}

func newUnregisteredMetrics() *Metrics {
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	return &Metrics{
		value: gauge("promscaler_metric_value",
			"Last value a trigger's query returned.", "scaler", "trigger"),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "promscaler_trigger_errors_total",
			Help: "Number of polls in which a trigger's query failed.",
		}, []string{"scaler", "trigger"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "promscaler_query_duration_seconds",
			Help:    "Time a trigger's query took, in seconds, whether it succeeded or failed.",
			Buckets: queryDurationBuckets,
		}, []string{"scaler", "trigger"}),
		replicas: gauge("promscaler_replicas",
			"Replica count of the workload: kind=\"current\" before the poll, kind=\"desired\" as the poll decided.", "scaler", "kind"),
		active: gauge("promscaler_active",
			"Whether the workload is active (1) or not (0), as decided by the activation thresholds.", "scaler"),
		fallback: gauge("promscaler_fallback",
			"Whether the fallback replica count is in use (1) or not (0).", "scaler"),
		paused: gauge("promscaler_paused",
			"Whether scaling is paused (1) or not (0).", "scaler"),
	}
}

// registerError names the collector that reg rejected. For a duplicate it
// adds how to share one Metrics.
func registerError(name string, err error) error {
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		return fmt.Errorf("scaler: register collector %s: %w; create one Metrics per registry and pass it to every scaler", name, err)
	}
	return fmt.Errorf("scaler: register collector %s: %w", name, err)
}

// observeValue sets the last value of a trigger.
func (m *Metrics) observeValue(scaler, trigger string, v float64) {
	if m == nil {
		return
	}
	m.value.WithLabelValues(scaler, trigger).Set(v)
}

// countError counts one failed query of a trigger.
func (m *Metrics) countError(scaler, trigger string) {
	if m == nil {
		return
	}
	m.errors.WithLabelValues(scaler, trigger).Inc()
}

// observeLatency records how long one query of a trigger took.
func (m *Metrics) observeLatency(scaler, trigger string, d time.Duration) {
	if m == nil {
		return
	}
	m.latency.WithLabelValues(scaler, trigger).Observe(d.Seconds())
}

// setReplicas sets the current and desired replica counts of a scaler.
func (m *Metrics) setReplicas(scaler string, current, desired int32) {
	if m == nil {
		return
	}
	m.replicas.WithLabelValues(scaler, "current").Set(float64(current))
	m.replicas.WithLabelValues(scaler, "desired").Set(float64(desired))
}

func (m *Metrics) setActive(scaler string, active bool) {
	if m == nil {
		return
	}
	m.active.WithLabelValues(scaler).Set(boolToFloat(active))
}

func (m *Metrics) setFallback(scaler string, on bool) {
	if m == nil {
		return
	}
	m.fallback.WithLabelValues(scaler).Set(boolToFloat(on))
}

func (m *Metrics) setPaused(scaler string, paused bool) {
	if m == nil {
		return
	}
	m.paused.WithLabelValues(scaler).Set(boolToFloat(paused))
}

// forget deletes every series of a scaler, so that a removed scaler stops
// being exported.
func (m *Metrics) forget(scaler string) {
	if m == nil {
		return
	}
	match := prometheus.Labels{"scaler": scaler}
	m.value.DeletePartialMatch(match)
	m.errors.DeletePartialMatch(match)
	m.latency.DeletePartialMatch(match)
	m.replicas.DeletePartialMatch(match)
	m.active.DeletePartialMatch(match)
	m.fallback.DeletePartialMatch(match)
	m.paused.DeletePartialMatch(match)
}

func boolToFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
