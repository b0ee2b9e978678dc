package scaler

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func newTestMetrics(t *testing.T) (*Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatalf("NewMetrics() error = %v", err)
	}
	return m, reg
}

func TestMetricsRecord(t *testing.T) {
	m, reg := newTestMetrics(t)

	m.observeValue("default/app", "s0-prometheus", 140)
	m.countError("default/app", "s0-prometheus")
	m.countError("default/app", "s0-prometheus")
	m.setReplicas("default/app", 2, 3)
	m.setActive("default/app", true)
	m.setFallback("default/app", false)
	m.setPaused("default/app", true)

	want := `
# HELP promscaler_active Whether the workload is active (1) or not (0), as decided by the activation thresholds.
# TYPE promscaler_active gauge
promscaler_active{scaler="default/app"} 1
# HELP promscaler_fallback Whether the fallback replica count is in use (1) or not (0).
# TYPE promscaler_fallback gauge
promscaler_fallback{scaler="default/app"} 0
# HELP promscaler_metric_value Last value a trigger's query returned.
# TYPE promscaler_metric_value gauge
promscaler_metric_value{scaler="default/app",trigger="s0-prometheus"} 140
# HELP promscaler_paused Whether scaling is paused (1) or not (0).
# TYPE promscaler_paused gauge
promscaler_paused{scaler="default/app"} 1
# HELP promscaler_replicas Replica count of the workload: kind="current" before the poll, kind="desired" as the poll decided.
# TYPE promscaler_replicas gauge
promscaler_replicas{kind="current",scaler="default/app"} 2
promscaler_replicas{kind="desired",scaler="default/app"} 3
# HELP promscaler_trigger_errors_total Number of polls in which a trigger's query failed.
# TYPE promscaler_trigger_errors_total counter
promscaler_trigger_errors_total{scaler="default/app",trigger="s0-prometheus"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"promscaler_active", "promscaler_fallback", "promscaler_metric_value",
		"promscaler_paused", "promscaler_replicas", "promscaler_trigger_errors_total"); err != nil {
		t.Error(err)
	}
}

func TestMetricsQueryDuration(t *testing.T) {
	m, reg := newTestMetrics(t)

	m.observeLatency("default/app", "s0-prometheus", 3*time.Millisecond)
	m.observeLatency("default/app", "s0-prometheus", 2*time.Second)

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) != 1 || families[0].GetName() != "promscaler_query_duration_seconds" {
		t.Fatalf("gathered %d families, want only promscaler_query_duration_seconds", len(families))
	}
	h := families[0].GetMetric()[0].GetHistogram()
	if got := h.GetSampleCount(); got != 2 {
		t.Errorf("sample count = %d, want 2", got)
	}
	if got := h.GetSampleSum(); got != 2.003 {
		t.Errorf("sample sum = %v, want 2.003 seconds", got)
	}
	buckets := h.GetBucket()
	if first, last := buckets[0].GetUpperBound(), buckets[len(buckets)-1].GetUpperBound(); first != 0.001 || last != 30 {
		t.Errorf("bucket bounds from %v to %v, want 0.001 to 30 seconds", first, last)
	}
}

func TestMetricsForget(t *testing.T) {
	m, reg := newTestMetrics(t)
	for _, name := range []string{"default/app", "default/other"} {
		m.observeValue(name, "s0-prometheus", 1)
		m.countError(name, "s0-prometheus")
		m.observeLatency(name, "s0-prometheus", time.Millisecond)
		m.setReplicas(name, 1, 2)
		m.setActive(name, true)
		m.setFallback(name, true)
		m.setPaused(name, false)
	}

	m.forget("default/app")

	got, err := testutil.GatherAndCount(reg)
	if err != nil {
		t.Fatal(err)
	}
	if want := 8; got != want {
		t.Errorf("series after forget = %d, want %d of default/other only", got, want)
	}
	if v := testutil.ToFloat64(m.replicas.WithLabelValues("default/other", "desired")); v != 2 {
		t.Errorf("desired replicas of default/other = %v, want 2", v)
	}
}

func TestMetricsNilReceiver(t *testing.T) {
	var m *Metrics

	m.observeValue("default/app", "t", 1)
	m.countError("default/app", "t")
	m.observeLatency("default/app", "t", time.Second)
	m.setReplicas("default/app", 1, 2)
	m.setActive("default/app", true)
	m.setFallback("default/app", true)
	m.setPaused("default/app", true)
	m.forget("default/app")
}

func TestNewMetricsErrors(t *testing.T) {
	if _, err := NewMetrics(nil); err == nil || !strings.Contains(err.Error(), "registerer is nil") {
		t.Errorf("NewMetrics(nil) error = %v, want a nil registerer error", err)
	}

	reg := prometheus.NewRegistry()
	if _, err := NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	_, err := NewMetrics(reg)
	var already prometheus.AlreadyRegisteredError
	if !errors.As(err, &already) {
		t.Errorf("second NewMetrics() error = %v, want an AlreadyRegisteredError", err)
	}

	reg = prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "promscaler_paused", Help: "Another collector."}))
	_, err = NewMetrics(reg)
	if err == nil || !strings.Contains(err.Error(), "register collector promscaler_paused:") {
		t.Fatalf("NewMetrics() error = %v, want it to name promscaler_paused", err)
	}
	if err := reg.Register(newUnregisteredMetrics().value); err != nil {
		t.Errorf("register promscaler_metric_value after a failed NewMetrics: %v, want the earlier collectors unregistered", err)
	}
}

func TestMetricsPassLint(t *testing.T) {
	m, reg := newTestMetrics(t)
	m.observeValue("default/app", "t", 1)
	m.countError("default/app", "t")
	m.observeLatency("default/app", "t", time.Second)
	m.setReplicas("default/app", 1, 2)
	m.setActive("default/app", true)
	m.setFallback("default/app", true)
	m.setPaused("default/app", true)

	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

func TestMetricsConcurrentUse(t *testing.T) {
	m, reg := newTestMetrics(t)

	var wg sync.WaitGroup
	for i := range 8 {
		name := fmt.Sprintf("default/app-%d", i%2)
		wg.Go(func() {
			for j := range 50 {
				m.observeValue(name, "t", float64(j))
				m.countError(name, "t")
				m.observeLatency(name, "t", time.Millisecond)
				m.setReplicas(name, int32(j), int32(j+1))
				m.setActive(name, j%2 == 0)
				m.setFallback(name, false)
				m.setPaused(name, false)
				if j%10 == 0 {
					m.forget(name)
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if _, err := reg.Gather(); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
}

func ExampleNewMetrics() {
	reg := prometheus.NewRegistry()
	metrics, err := NewMetrics(reg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("registered:", metrics != nil)

	// One Metrics serves every scaler, so a second one on the same registry
	// is rejected.
	_, err = NewMetrics(reg)
	fmt.Println(err)
	// Output:
	// registered: true
	// scaler: register collector promscaler_metric_value: duplicate metrics collector registration attempted; create one Metrics per registry and pass it to every scaler
}
