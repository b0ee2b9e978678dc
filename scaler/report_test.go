package scaler

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// sampleValue returns the value of the series name{labels} in reg, and
// whether it exists.
func sampleValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if matchLabels(m, labels) {
				return metricValue(m), true
			}
		}
	}
	return 0, false
}

func matchLabels(m *dto.Metric, labels map[string]string) bool {
	if len(m.GetLabel()) != len(labels) {
		return false
	}
	for _, l := range m.GetLabel() {
		if labels[l.GetName()] != l.GetValue() {
			return false
		}
	}
	return true
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetHistogram() != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return 0
}

func TestStepRecordsMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	metrics, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := guideConfig()
	cfg.Metrics = metrics
	cfg.Fallback = &Fallback{FailureThreshold: 0, Replicas: 4}
	tl := newTimeline(t, cfg, 2)
	tl.poll(step{at: 0, value: 140, want: 3, action: ActionHPA})
	tl.poll(step{at: time.Minute, err: errRefused, want: 4, action: ActionFallback})

	scaler := map[string]string{"scaler": cfg.Name}
	trigger := map[string]string{"scaler": cfg.Name, "trigger": "s0-prometheus"}
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"promscaler_metric_value", trigger, 140},
		{"promscaler_trigger_errors_total", trigger, 1},
		{"promscaler_query_duration_seconds", trigger, 2},
		{"promscaler_replicas", map[string]string{"scaler": cfg.Name, "kind": "current"}, 3},
		{"promscaler_replicas", map[string]string{"scaler": cfg.Name, "kind": "desired"}, 4},
		{"promscaler_active", scaler, 1},
		{"promscaler_fallback", scaler, 1},
		{"promscaler_paused", scaler, 0},
	}
	for _, tt := range tests {
		got, ok := sampleValue(t, reg, tt.name, tt.labels)
		if !ok || got != tt.want {
			t.Errorf("%s%v = %v (present %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}

	if err := tl.s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := sampleValue(t, reg, "promscaler_active", scaler); ok {
		t.Error("promscaler_active is still exported after Shutdown")
	}
}
