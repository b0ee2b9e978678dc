package hpa

import (
	"testing"
	"time"
)

// BenchmarkRecommend measures one decision with a behavior and a history of
// 100 recommendations and 20 scale events per direction, polled every 15 s.
func BenchmarkRecommend(b *testing.B) {
	spec := Spec{MinReplicas: 1, MaxReplicas: 100, Behavior: &Behavior{
		ScaleUp: &ScalingRules{StabilizationWindowSeconds: int32Ptr(60), Policies: []ScalingPolicy{
			{Type: PodsScalingPolicy, Value: 4, PeriodSeconds: 60},
			{Type: PercentScalingPolicy, Value: 100, PeriodSeconds: 60},
		}},
		ScaleDown: &ScalingRules{StabilizationWindowSeconds: int32Ptr(600)},
	}}
	c, err := NewCalculator(spec)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC)
	var h History
	for i := range 100 {
		h.Recommendations = append(h.Recommendations, Recommendation{Time: t0.Add(time.Duration(i-100) * 15 * time.Second), Replicas: int32(10 + i%7)})
	}
	for i := range 20 {
		at := t0.Add(time.Duration(i-20) * 15 * time.Second)
		h.ScaleUpEvents = append(h.ScaleUpEvents, ScaleEvent{Time: at, ReplicaChange: 1})
		h.ScaleDownEvents = append(h.ScaleDownEvents, ScaleEvent{Time: at, ReplicaChange: 1})
	}
	if err := c.Restore(t0, h); err != nil {
		b.Fatal(err)
	}
	metrics := []Metric{{Name: "s0-prometheus", Type: AverageValueMetricType, Value: 640, Target: 50}}
	r := Replicas{Current: 12, Status: 12, Ready: 12}

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		d, err := c.Recommend(t0.Add(time.Duration(i)*15*time.Second), metrics, r)
		if err != nil || d.DesiredReplicas == 0 {
			b.Fatalf("Recommend() = %d, %v", d.DesiredReplicas, err)
		}
	}
	if n := len(c.recommendations); n != 100 {
		b.Errorf("history holds %d recommendations, want 100", n)
	}
}
