package hpa

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestPropose(t *testing.T) {
	tests := []struct {
		name      string
		metric    Metric
		replicas  Replicas
		tolerance Tolerances
		want      int32
		within    bool
	}{
		{
			name:     "average value: 140 at target 50 scales up",
			metric:   Metric{Type: AverageValueMetricType, Value: 140, Target: 50},
			replicas: Replicas{Current: 2, Status: 2, Ready: 2}, tolerance: defaultTolerances,
			want: 3,
		},
		{
			name:     "average value: ratio inside band keeps replicas",
			metric:   Metric{Type: AverageValueMetricType, Value: 140, Target: 50},
			replicas: Replicas{Current: 3, Status: 3, Ready: 3}, tolerance: defaultTolerances,
			want: 3, within: true,
		},
		{
			name:     "average value: band is inclusive at its upper end",
			metric:   Metric{Type: AverageValueMetricType, Value: 110, Target: 50},
			replicas: Replicas{Current: 2, Status: 2, Ready: 2}, tolerance: defaultTolerances,
			want: 2, within: true,
		},
		{
			name:     "average value: ratio 1.05 stays at tolerance 0.1",
			metric:   Metric{Type: AverageValueMetricType, Value: 40, Target: 2},
			replicas: Replicas{Current: 19, Status: 19, Ready: 19}, tolerance: Tolerances{ScaleDown: 0.1, ScaleUp: 0.1},
			want: 19, within: true,
		},
		{
			name:     "average value: ratio 1.05 grows at tolerance 0",
			metric:   Metric{Type: AverageValueMetricType, Value: 40, Target: 2},
			replicas: Replicas{Current: 19, Status: 19, Ready: 19}, tolerance: Tolerances{},
			want: 20,
		},
		{
			name:     "average value: scale down from 5 replicas",
			metric:   Metric{Type: AverageValueMetricType, Value: 8.6, Target: 2.867},
			replicas: Replicas{Current: 5, Status: 5, Ready: 5}, tolerance: defaultTolerances,
			want: 3,
		},
		{
			name:     "average value: zero status replicas gives value over target",
			metric:   Metric{Type: AverageValueMetricType, Value: 20, Target: 5},
			replicas: Replicas{Current: 1, Status: 0, Ready: 0}, tolerance: defaultTolerances,
			want: 4,
		},
		{
			name:     "average value: threshold 0.5 with value 1.2 gives 3",
			metric:   Metric{Type: AverageValueMetricType, Value: 1.2, Target: 0.5},
			replicas: Replicas{Current: 1, Status: 1, Ready: 1}, tolerance: defaultTolerances,
			want: 3,
		},
		{
			name:     "average value: negative value proposes zero",
			metric:   Metric{Type: AverageValueMetricType, Value: -10, Target: 5},
			replicas: Replicas{Current: 2, Status: 2, Ready: 2}, tolerance: defaultTolerances,
			want: 0,
		},
		{
			name:     "value: ready pods scale the ratio",
			metric:   Metric{Type: ValueMetricType, Value: 8.6, Target: 4.4},
			replicas: Replicas{Current: 3, Status: 3, Ready: 1}, tolerance: defaultTolerances,
			want: 2,
		},
		{
			name:     "value: scale down with all pods ready",
			metric:   Metric{Type: ValueMetricType, Value: 8.6, Target: 14.334},
			replicas: Replicas{Current: 5, Status: 5, Ready: 5}, tolerance: defaultTolerances,
			want: 3,
		},
		{
			name:     "value: from zero replicas uses the ratio alone",
			metric:   Metric{Type: ValueMetricType, Value: 9, Target: 4},
			replicas: Replicas{}, tolerance: defaultTolerances,
			want: 3,
		},
		{
			name:     "average value: in band keeps status replicas",
			metric:   Metric{Type: AverageValueMetricType, Value: 100, Target: 50},
			replicas: Replicas{Current: 3, Status: 2, Ready: 2}, tolerance: defaultTolerances,
			want: 2, within: true,
		},
		{
			name:     "value: tolerance 0.01 up scales at 1.0114",
			metric:   Metric{Type: ValueMetricType, ValueMilli: 8900, TargetMilli: 8800},
			replicas: Replicas{Current: 3, Status: 3, Ready: 3}, tolerance: Tolerances{ScaleDown: 0.1, ScaleUp: 0.01},
			want: 4,
		},
		{
			name:     "value: down tolerance 0.5 keeps 0.55",
			metric:   Metric{Type: ValueMetricType, Value: 55, Target: 100},
			replicas: Replicas{Current: 4, Status: 4, Ready: 4}, tolerance: Tolerances{ScaleDown: 0.5, ScaleUp: 0},
			want: 4, within: true,
		},
		{
			name:     "value: band edge 0.9 is inclusive",
			metric:   Metric{Type: ValueMetricType, Value: 90, Target: 100},
			replicas: Replicas{Current: 4, Status: 4, Ready: 4}, tolerance: defaultTolerances,
			want: 4, within: true,
		},
		{
			name:     "value: huge milli values saturate",
			metric:   Metric{Type: ValueMetricType, ValueMilli: SumMilli(math.MaxInt64, math.MaxInt64), TargetMilli: 1},
			replicas: Replicas{Current: 3, Status: 3, Ready: 3}, tolerance: defaultTolerances,
			want: math.MaxInt32,
		},
		{
			name:     "value: huge ratio saturates at MaxInt32",
			metric:   Metric{Type: ValueMetricType, Value: 1e15, Target: 0.001},
			replicas: Replicas{Current: 3, Status: 3, Ready: 3}, tolerance: defaultTolerances,
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
		{"unknown type", Metric{Name: "m", Type: "Pods", Value: 1, Target: 50}},
		{"query error", Metric{Name: "m", Type: AverageValueMetricType, Err: errors.New("connection refused")}},
		{"negative milli target", Metric{Name: "m", Type: ValueMetricType, ValueMilli: 1, TargetMilli: -5}},
		{"utilization without pods", Metric{Name: "m", Type: UtilizationMetricType, Target: 50}},
		{"utilization without request", Metric{Name: "m", Type: UtilizationMetricType, Target: 50, Pods: []PodUsage{{UsageMilli: 5}}}},
		{"utilization fractional target", Metric{Name: "m", Type: UtilizationMetricType, Target: 50.5, Pods: []PodUsage{{UsageMilli: 5, RequestMilli: 10}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Propose(tt.metric, Replicas{Current: 2, Status: 2, Ready: 2}, defaultTolerances)
			if !errors.Is(err, ErrInvalidMetric) {
				t.Fatalf("Propose() error = %v, want ErrInvalidMetric", err)
			}
		})
	}
}

func TestProposalFormulas(t *testing.T) {
	p, err := Propose(Metric{Name: "s0-prometheus", Type: AverageValueMetricType, Value: 140, Target: 50}, Replicas{Current: 2, Status: 2, Ready: 2}, defaultTolerances)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]string{
		"Formula":           {p.Formula(), "ceil(140 / 50) = 3"},
		"PerReplicaFormula": {p.PerReplicaFormula(), "ceil(2 × (70 / 50)) = 3"},
		"RatioFormula":      {p.RatioFormula(), "ratio = 140 / (50 × 2) = 1.4"},
		"String":            {p.String(), "s0-prometheus: ratio = 140 / (50 × 2) = 1.4 → desired = ceil(1.4 × 2) = 3"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s() = %q, want %q", name, c[0], c[1])
		}
	}
}

var defaultTolerances = Tolerances{ScaleDown: DefaultTolerance, ScaleUp: DefaultTolerance}

func TestMilliFromQuantity(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"50", 50000},
		{"500m", 500},
		{"1.5k", 1500000},
		{"0.0001", 1},
		{"-0.0001", -1},
	}
	for _, tt := range tests {
		got, err := MilliFromQuantity(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("MilliFromQuantity(%q) = %d, %v, want %d", tt.in, got, err, tt.want)
		}
	}
	if _, err := MilliFromQuantity("fifty"); err == nil || !strings.Contains(err.Error(), `"fifty"`) {
		t.Errorf("MilliFromQuantity(fifty) error = %v, want one naming the value", err)
	}
}

func TestSumMilliSaturates(t *testing.T) {
	if got := SumMilli(math.MaxInt64, 1); got != math.MaxInt64 {
		t.Errorf("SumMilli(max, 1) = %d, want MaxInt64", got)
	}
	if got := SumMilli(math.MinInt64, -1); got != math.MinInt64 {
		t.Errorf("SumMilli(min, -1) = %d, want MinInt64", got)
	}
	if got := SumMilli(4, -1, 7); got != 10 {
		t.Errorf("SumMilli(4, -1, 7) = %d, want 10", got)
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

func TestErrorMessagesHaveOnePrefix(t *testing.T) {
	c, err := NewCalculator(Spec{MinReplicas: 1, MaxReplicas: 5})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC)
	nan := Metric{Name: "s0", Type: AverageValueMetricType, Value: math.NaN(), Target: 50}

	_, err = c.Recommend(now, []Metric{nan}, Replicas{Current: 2, Status: 2, Ready: 2})
	want := `hpa: 1 of 1 metrics are invalid, so replicas stay at the current count; first error: metric "s0": value NaN is not a finite number`
	if err == nil || err.Error() != want {
		t.Errorf("Recommend() error = %v, want %q", err, want)
	}
	if !errors.Is(err, ErrInvalidMetric) {
		t.Errorf("Recommend() error = %v, want it to match ErrInvalidMetric", err)
	}
	d, _ := c.Recommend(now, []Metric{nan}, Replicas{Current: 2, Status: 2, Ready: 2})
	want = "s0: invalid: value NaN is not a finite number\n1 of 1 metrics invalid: replicas stay at 2"
	if got := d.Explain(); got != want {
		t.Errorf("Explain() = %q, want %q", got, want)
	}

	err = c.Restore(now, History{Recommendations: []Recommendation{{Replicas: 2}}})
	want = "hpa: restore history: recommendations[0].time is missing; give the time of the entry"
	if err == nil || err.Error() != want {
		t.Errorf("Restore() error = %v, want %q", err, want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Errorf("Restore() error = %v, want a *FieldError inside", err)
	}
}

func TestMetricErrorMessages(t *testing.T) {
	tests := []struct {
		name   string
		metric Metric
		want   string
	}{
		{"NaN value", Metric{Name: "s0", Type: AverageValueMetricType, Value: math.NaN(), Target: 50},
			`hpa: metric "s0": value NaN is not a finite number`},
		{"query error", Metric{Name: "s0", Type: AverageValueMetricType, Err: errors.New("connection refused")},
			`hpa: metric "s0": connection refused`},
		{"unknown type", Metric{Name: "s0", Type: "Pods", Value: 1, Target: 50},
			`hpa: metric "s0": type "Pods" is not supported; use "AverageValue", "Value" or "Utilization"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Propose(tt.metric, Replicas{Current: 2, Status: 2, Ready: 2}, defaultTolerances)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Propose() error = %v, want %q", err, tt.want)
			}
			if !errors.Is(err, ErrInvalidMetric) {
				t.Errorf("Propose() error = %v, want it to match ErrInvalidMetric", err)
			}
			var me *MetricError
			if !errors.As(err, &me) || me.Name != "s0" {
				t.Errorf("Propose() error = %v, want a *MetricError for s0", err)
			}
		})
	}
}

func TestExplainNotesCappedValue(t *testing.T) {
	p, err := Propose(Metric{Name: "s0", Type: AverageValueMetricType, Value: 1e300, Target: 50}, Replicas{Current: 2, Status: 2, Ready: 2}, defaultTolerances)
	if err != nil {
		t.Fatal(err)
	}
	want := "s0: value 1e+300 exceeds the int64 range in milli-units and is capped at 9223372036854776; ratio = 9223372036854776 / (50 × 2)"
	if got := p.String(); !strings.HasPrefix(got, want) {
		t.Errorf("String() = %q, want it to start with %q", got, want)
	}

	p, err = Propose(Metric{Name: "s0", Type: AverageValueMetricType, Value: 140, Target: 50}, Replicas{Current: 2, Status: 2, Ready: 2}, defaultTolerances)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.String(); strings.Contains(got, "capped") {
		t.Errorf("String() = %q, want no note for a value in range", got)
	}
}

func TestSaturatedPercentOf(t *testing.T) {
	tests := []struct {
		name             string
		request, percent int64
		want             int64
	}{
		{name: "computes: small values", request: 250, percent: 120, want: 300},
		{name: "computes: product above int64", request: math.MaxInt64 / 50, percent: 100, want: math.MaxInt64 / 50},
		{name: "caps: result above int64", request: math.MaxInt64, percent: 200, want: math.MaxInt64},
		{name: "returns zero: zero percent", request: 500, percent: 0, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := saturatedPercentOf(tt.request, tt.percent); got != tt.want {
				t.Errorf("saturatedPercentOf(%d, %d) = %d, want %d", tt.request, tt.percent, got, tt.want)
			}
		})
	}
}
