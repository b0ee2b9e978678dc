package hpa

import (
	"errors"
	"testing"
	"time"
)

// step is one point of a timeline. At t0+at the metric reads value and the
// target has current replicas, and the calculator must return want and reason.
type step struct {
	at      time.Duration
	value   float64
	current int32
	want    int32
	reason  Reason
}

// runTimeline runs steps against a calculator built from spec, with an
// AverageValue target of 50 per pod.
func runTimeline(t *testing.T, spec Spec, steps []step) {
	t.Helper()
	runTimelineWithTarget(t, spec, 50, steps)
}

func runTimelineWithTarget(t *testing.T, spec Spec, target float64, steps []step) {
	t.Helper()
	c, err := NewCalculator(spec)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC)
	for _, s := range steps {
		r := Replicas{Current: s.current, Status: s.current, Ready: s.current}
		m := Metric{Name: "s0-prometheus", Type: AverageValueMetricType, Value: s.value, Target: target}
		d, err := c.Recommend(t0.Add(s.at), []Metric{m}, r)
		if err != nil {
			t.Fatalf("t0+%v: Recommend() error = %v", s.at, err)
		}
		if d.DesiredReplicas != s.want || d.Reason() != s.reason {
			t.Errorf("t0+%v: value %v, current %d: got %d (%s), want %d (%s)\n%s",
				s.at, s.value, s.current, d.DesiredReplicas, d.Reason(), s.want, s.reason, d.Explain())
		}
	}
}

func TestRecommendTimelines(t *testing.T) {
	t.Run("scale up: 140 over 2 replicas", func(t *testing.T) {
		runTimeline(t, Spec{MinReplicas: 1, MaxReplicas: 5}, []step{
			{at: 0, value: 140, current: 2, want: 3, reason: ReasonDesiredWithinRange},
		})
	})
	t.Run("scale up: clamped to maxReplicas", func(t *testing.T) {
		runTimeline(t, Spec{MinReplicas: 1, MaxReplicas: 5}, []step{
			{at: 0, value: 320, current: 3, want: 5, reason: ReasonTooManyReplicas},
		})
	})
	t.Run("scale up: limited to twice the current count", func(t *testing.T) {
		runTimeline(t, Spec{MinReplicas: 1, MaxReplicas: 100}, []step{
			{at: 0, value: 1000, current: 5, want: 10, reason: ReasonScaleUpLimit},
			{at: time.Minute, value: 1000, current: 10, want: 20, reason: ReasonDesiredWithinRange},
		})
	})
	t.Run("scale up: limit is at least 4 replicas", func(t *testing.T) {
		runTimeline(t, Spec{MinReplicas: 1, MaxReplicas: 100}, []step{
			{at: 0, value: 1000, current: 1, want: 4, reason: ReasonScaleUpLimit},
		})
	})
	t.Run("scale down: clamped to minReplicas", func(t *testing.T) {
		runTimeline(t, Spec{MinReplicas: 2, MaxReplicas: 5, DownscaleStabilizationWindow: durationPtr(0)}, []step{
			{at: 0, value: 10, current: 3, want: 2, reason: ReasonTooFewReplicas},
		})
	})
	t.Run("scale down: held by 600 s window", func(t *testing.T) {
		runTimeline(t, Spec{MinReplicas: 1, MaxReplicas: 5, DownscaleStabilizationWindow: durationPtr(600 * time.Second)}, []step{
			{at: 0, value: 320, current: 5, want: 5, reason: ReasonTooManyReplicas},
			{at: 1 * time.Minute, value: 120, current: 5, want: 5, reason: ReasonTooManyReplicas},
			{at: 9 * time.Minute, value: 120, current: 5, want: 5, reason: ReasonTooManyReplicas},
			// The recommendation of 7 is exactly 600 s old here and still counts.
			{at: 10 * time.Minute, value: 120, current: 5, want: 5, reason: ReasonTooManyReplicas},
			{at: 11 * time.Minute, value: 120, current: 5, want: 3, reason: ReasonDesiredWithinRange},
		})
	})
	t.Run("scale down: no window follows metric", func(t *testing.T) {
		runTimeline(t, Spec{MinReplicas: 1, MaxReplicas: 5, DownscaleStabilizationWindow: durationPtr(0)}, []step{
			{at: 0, value: 240, current: 5, want: 5, reason: ReasonDesiredWithinRange},
			{at: time.Minute, value: 60, current: 5, want: 2, reason: ReasonDesiredWithinRange},
		})
	})
	t.Run("scale down: stabilized below maxReplicas", func(t *testing.T) {
		runTimeline(t, Spec{MinReplicas: 1, MaxReplicas: 10}, []step{
			{at: 0, value: 200, current: 4, want: 4, reason: ReasonDesiredWithinRange},
			{at: time.Minute, value: 60, current: 4, want: 4, reason: ReasonScaleDownStabilized},
		})
	})
	t.Run("out of range: above max", func(t *testing.T) {
		runTimeline(t, Spec{MinReplicas: 1, MaxReplicas: 5}, []step{
			{at: 0, value: 1000, current: 8, want: 5, reason: ReasonTooManyReplicas},
		})
	})
	t.Run("out of range: below min", func(t *testing.T) {
		runTimeline(t, Spec{MinReplicas: 3, MaxReplicas: 5}, []step{
			{at: 0, value: 0, current: 1, want: 3, reason: ReasonTooFewReplicas},
		})
	})
}

func TestRecommendZeroReplicasDisablesScaling(t *testing.T) {
	c, err := NewCalculator(Spec{MinReplicas: 1, MaxReplicas: 5})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Recommend(time.Unix(0, 0), []Metric{{Type: AverageValueMetricType, Value: 500, Target: 50}}, Replicas{})
	if err != nil {
		t.Fatal(err)
	}
	if d.DesiredReplicas != 0 {
		t.Errorf("DesiredReplicas = %d, want 0", d.DesiredReplicas)
	}
	if n := len(c.History().Recommendations); n != 1 {
		t.Errorf("history has %d entries, want the seed only", n)
	}
}

func TestRecommendErrorsLeaveHistoryUnchanged(t *testing.T) {
	c, err := NewCalculator(Spec{MinReplicas: 1, MaxReplicas: 5})
	if err != nil {
		t.Fatal(err)
	}
	r := Replicas{Current: 2, Status: 2, Ready: 2}
	if _, err := c.Recommend(time.Unix(0, 0), nil, r); !errors.Is(err, ErrNoMetrics) {
		t.Errorf("Recommend(no metrics) error = %v, want ErrNoMetrics", err)
	}
	bad := Metric{Name: "b", Type: AverageValueMetricType, Value: 100, Target: 0}
	if _, err := c.Recommend(time.Unix(0, 0), []Metric{bad}, r); !errors.Is(err, ErrInvalidMetric) {
		t.Errorf("Recommend(invalid metric) error = %v, want ErrInvalidMetric", err)
	}
	if n := len(c.History().Recommendations); n != 1 {
		t.Errorf("history has %d entries after errors, want the seed only", n)
	}
}

func TestRecommendTakesLargestProposal(t *testing.T) {
	c, err := NewCalculator(Spec{MinReplicas: 1, MaxReplicas: 10})
	if err != nil {
		t.Fatal(err)
	}
	metrics := []Metric{
		{Name: "low", Type: AverageValueMetricType, Value: 60, Target: 50},
		{Name: "high", Type: ValueMetricType, Value: 300, Target: 150},
	}
	d, err := c.Recommend(time.Unix(0, 0), metrics, Replicas{Current: 3, Status: 3, Ready: 3})
	if err != nil {
		t.Fatal(err)
	}
	if d.Proposed != 6 || d.DesiredReplicas != 6 {
		t.Errorf("Proposed, DesiredReplicas = %d, %d, want 6, 6\n%s", d.Proposed, d.DesiredReplicas, d.Explain())
	}
}

func TestStabilizationHistoryStaysBounded(t *testing.T) {
	c, err := NewCalculator(Spec{MinReplicas: 1, MaxReplicas: 5, DownscaleStabilizationWindow: durationPtr(5 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(0, 0)
	m := []Metric{{Type: AverageValueMetricType, Value: 100, Target: 50}}
	for i := range 1000 {
		if _, err := c.Recommend(t0.Add(time.Duration(i)*15*time.Second), m, Replicas{Current: 2, Status: 2, Ready: 2}); err != nil {
			t.Fatal(err)
		}
	}
	// 5 minutes of 15 s polls is 21 records inside the window plus one reused.
	if n := len(c.History().Recommendations); n > 22 {
		t.Errorf("history has %d entries, want at most 22", n)
	}
}

func TestZeroCalculatorReturnsError(t *testing.T) {
	now := time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC)
	metrics := []Metric{{Name: "s0", Type: AverageValueMetricType, Value: 140, Target: 50}}
	r := Replicas{Current: 2, Status: 2, Ready: 2}
	calculators := map[string]*Calculator{"zero value": {}, "nil pointer": nil}
	for name, c := range calculators {
		t.Run(name, func(t *testing.T) {
			d, err := c.Recommend(now, metrics, r)
			if !errors.Is(err, errNotInitialized) {
				t.Errorf("Recommend() error = %v, want %v", err, errNotInitialized)
			}
			if d.DesiredReplicas != r.Current {
				t.Errorf("Recommend().DesiredReplicas = %d, want the current %d", d.DesiredReplicas, r.Current)
			}
			if err := c.Restore(now, History{}); !errors.Is(err, errNotInitialized) {
				t.Errorf("Restore() error = %v, want %v", err, errNotInitialized)
			}
			if h := c.History(); len(h.Recommendations) != 0 {
				t.Errorf("History() = %+v, want it empty", h)
			}
		})
	}
	if got, want := errNotInitialized.Error(), "hpa: the Calculator is not initialized; build it with NewCalculator"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestRecommendWithoutMetrics(t *testing.T) {
	c, err := NewCalculator(Spec{MinReplicas: 1, MaxReplicas: 5})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Recommend(time.Now(), nil, Replicas{Current: 3, Status: 3, Ready: 3})
	if !errors.Is(err, ErrNoMetrics) {
		t.Fatalf("Recommend() error = %v, want ErrNoMetrics", err)
	}
	if d.DesiredReplicas != 3 {
		t.Errorf("DesiredReplicas = %d, want the current 3", d.DesiredReplicas)
	}
	if d.Reason() != ReasonInvalidMetrics {
		t.Errorf("Reason() = %s, want %s", d.Reason(), ReasonInvalidMetrics)
	}
	if want := "no metrics to compute from: replicas stay at 3"; d.Explain() != want {
		t.Errorf("Explain() = %q, want %q", d.Explain(), want)
	}
}
