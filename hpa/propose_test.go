package hpa

import (
	"errors"
	"math"
	"testing"
)

func TestPropose(t *testing.T) {
	tests := []struct {
		name      string
		metric    Metric
		replicas  Replicas
		tolerance float64
		want      int32
		within    bool
	}{
		{
			name:     "average value: 140 over 2 replicas with target 50 scales up",
			metric:   Metric{Type: AverageValueMetricType, Value: 140, Target: 50},
			replicas: Replicas{Current: 2, Status: 2, Ready: 2}, tolerance: DefaultTolerance,
			want: 3,
		},
		{
			name:     "average value: ratio inside band keeps replicas",
			metric:   Metric{Type: AverageValueMetricType, Value: 140, Target: 50},
			replicas: Replicas{Current: 3, Status: 3, Ready: 3}, tolerance: DefaultTolerance,
			want: 3, within: true,
		},
		{
			name:     "average value: band is inclusive at its upper end",
			metric:   Metric{Type: AverageValueMetricType, Value: 110, Target: 50},
			replicas: Replicas{Current: 2, Status: 2, Ready: 2}, tolerance: DefaultTolerance,
			want: 2, within: true,
		},
		{
			name:     "average value: target 2, metric 40, 19 replicas stays with tolerance 0.1",
			metric:   Metric{Type: AverageValueMetricType, Value: 40, Target: 2},
			replicas: Replicas{Current: 19, Status: 19, Ready: 19}, tolerance: 0.1,
			want: 19, within: true,
		},
		{
			name:     "average value: target 2, metric 40, 19 replicas grows with tolerance 0",
			metric:   Metric{Type: AverageValueMetricType, Value: 40, Target: 2},
			replicas: Replicas{Current: 19, Status: 19, Ready: 19}, tolerance: 0,
			want: 20,
		},
		{
			name:     "average value: scale down from 5 replicas",
			metric:   Metric{Type: AverageValueMetricType, Value: 8.6, Target: 2.867},
			replicas: Replicas{Current: 5, Status: 5, Ready: 5}, tolerance: DefaultTolerance,
			want: 3,
		},
		{
			name:     "average value: zero status replicas uses value over target",
			metric:   Metric{Type: AverageValueMetricType, Value: 20, Target: 5},
			replicas: Replicas{Current: 1, Status: 0, Ready: 0}, tolerance: DefaultTolerance,
			want: 4,
		},
		{
			name:     "average value: threshold 0.5 with value 1.2 gives 3",
			metric:   Metric{Type: AverageValueMetricType, Value: 1.2, Target: 0.5},
			replicas: Replicas{Current: 1, Status: 1, Ready: 1}, tolerance: DefaultTolerance,
			want: 3,
		},
		{
			name:     "average value: negative value proposes zero",
			metric:   Metric{Type: AverageValueMetricType, Value: -10, Target: 5},
			replicas: Replicas{Current: 2, Status: 2, Ready: 2}, tolerance: DefaultTolerance,
			want: 0,
		},
		{
			name:     "value: ready pods scale the ratio",
			metric:   Metric{Type: ValueMetricType, Value: 8.6, Target: 4.4},
			replicas: Replicas{Current: 3, Status: 3, Ready: 1}, tolerance: DefaultTolerance,
			want: 2,
		},
		{
			name:     "value: scale down with all pods ready",
			metric:   Metric{Type: ValueMetricType, Value: 8.6, Target: 14.334},
			replicas: Replicas{Current: 5, Status: 5, Ready: 5}, tolerance: DefaultTolerance,
			want: 3,
		},
		{
			name:     "value: from zero replicas uses the ratio alone",
			metric:   Metric{Type: ValueMetricType, Value: 9, Target: 4},
			replicas: Replicas{}, tolerance: DefaultTolerance,
			want: 3,
		},
		{
			name:     "value: huge ratio saturates at MaxInt32",
			metric:   Metric{Type: ValueMetricType, Value: 1e15, Target: 0.001},
			replicas: Replicas{Current: 3, Status: 3, Ready: 3}, tolerance: DefaultTolerance,
			want: math.MaxInt32,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Propose(tt.metric, tt.replicas, tt.tolerance)
			if err != nil {
				t.Fatalf("Propose() error = %v", err)
			}
			if got.Replicas != tt.want {
				t.Errorf("Propose().Replicas = %d, want %d (ratio %v)", got.Replicas, tt.want, got.Ratio)
			}
			if got.WithinTolerance != tt.within {
				t.Errorf("Propose().WithinTolerance = %v, want %v (ratio %v)", got.WithinTolerance, tt.within, got.Ratio)
			}
		})
	}
}

func TestProposeRejectsInvalidMetrics(t *testing.T) {
	tests := []struct {
		name   string
		metric Metric
	}{
		{"NaN value", Metric{Name: "m", Type: AverageValueMetricType, Value: math.NaN(), Target: 50}},
		{"infinite value", Metric{Name: "m", Type: AverageValueMetricType, Value: math.Inf(1), Target: 50}},
		{"zero target", Metric{Name: "m", Type: AverageValueMetricType, Value: 1, Target: 0}},
		{"negative target", Metric{Name: "m", Type: ValueMetricType, Value: 1, Target: -5}},
		{"target below one milli", Metric{Name: "m", Type: ValueMetricType, Value: 1, Target: 0.0005}},
		{"unknown type", Metric{Name: "m", Type: "Utilization", Value: 1, Target: 50}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Propose(tt.metric, Replicas{Current: 2, Status: 2, Ready: 2}, DefaultTolerance)
			if !errors.Is(err, ErrInvalidMetric) {
				t.Fatalf("Propose() error = %v, want ErrInvalidMetric", err)
			}
		})
	}
}

func TestProposalFormulas(t *testing.T) {
	p, err := Propose(Metric{Name: "s0-prometheus", Type: AverageValueMetricType, Value: 140, Target: 50}, Replicas{Current: 2, Status: 2, Ready: 2}, DefaultTolerance)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]string{
		"Formula":           {p.Formula(), "ceil(140 / 50) = 3"},
		"PerReplicaFormula": {p.PerReplicaFormula(), "ceil(2 * (70 / 50)) = 3"},
		"RatioFormula":      {p.RatioFormula(), "ratio = 140 / (50 * 2) = 1.4"},
		"String":            {p.String(), "s0-prometheus: ratio = 140 / (50 * 2) = 1.4 -> ceil(140 / 50) = 3 = ceil(2 * (70 / 50))"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s() = %q, want %q", name, c[0], c[1])
		}
	}
}

func TestMilliFromFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want int64
	}{
		{50, 50000},
		{0.0005, 0},
		{1.2345, 1234},
		{-1.5, -1500},
		{1e300, math.MaxInt64},
		{-1e300, math.MinInt64},
	}
	for _, tt := range tests {
		if got := milliFromFloat(tt.in); got != tt.want {
			t.Errorf("milliFromFloat(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
