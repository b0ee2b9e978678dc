package hpa

import (
	"errors"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

func TestRecommendFromZero(t *testing.T) {
	value := func(v, target float64) []Metric {
		return []Metric{{Name: "queue", Type: ValueMetricType, Value: v, Target: target}}
	}
	cpu := []Metric{{Name: "cpu", Type: UtilizationMetricType, Target: 50}}
	onePodPerMinute := &Behavior{ScaleUp: &ScalingRules{Policies: []ScalingPolicy{{Type: PodsScalingPolicy, Value: 1, PeriodSeconds: 60}}}}
	idle := []Metric{{Name: "cpu", Type: UtilizationMetricType, Target: 50, Pods: []PodUsage{{RequestMilli: 100}, {RequestMilli: 100}}}}
	tests := []struct {
		name         string
		spec         Spec
		metrics      []Metric
		replicas     Replicas
		want         int32
		wantActive   Reason
		wantLimited  Reason
		wantReason   Reason
		wantToZero   bool
		wantErrorSet bool
	}{
		{
			name:     "scale up: raised to minReplicas with behavior",
			spec:     Spec{MinReplicas: 2, MaxReplicas: 6, Behavior: &Behavior{}},
			metrics:  value(10, 15),
			replicas: Replicas{ScaledToZero: true},
			want:     2, wantActive: ReasonValidMetricFound, wantLimited: ReasonDesiredWithinRange, wantReason: ReasonTooFewReplicas,
		},
		{
			name:     "scale up: zero proposal raised to minReplicas",
			spec:     Spec{MinReplicas: 2, MaxReplicas: 6, Behavior: &Behavior{}},
			metrics:  value(0, 15),
			replicas: Replicas{ScaledToZero: true},
			want:     2, wantActive: ReasonValidMetricFound, wantLimited: ReasonDesiredWithinRange, wantReason: ReasonTooFewReplicas,
		},
		{
			name:     "scale up: policy limit then minReplicas",
			spec:     Spec{MinReplicas: 3, MaxReplicas: 10, Behavior: onePodPerMinute},
			metrics:  value(50, 10),
			replicas: Replicas{ScaledToZero: true},
			want:     3, wantActive: ReasonValidMetricFound, wantLimited: ReasonScaleUpLimit, wantReason: ReasonTooFewReplicas,
		},
		{
			name:     "scale up: legacy path clamps to minReplicas",
			spec:     Spec{MinReplicas: 2, MaxReplicas: 6},
			metrics:  value(10, 15),
			replicas: Replicas{ScaledToZero: true},
			want:     2, wantActive: ReasonValidMetricFound, wantLimited: ReasonTooFewReplicas, wantReason: ReasonTooFewReplicas,
		},
		{
			name:     "scale up: utilization alone stays disabled",
			spec:     Spec{MinReplicas: 0, MaxReplicas: 6},
			metrics:  cpu,
			replicas: Replicas{ScaledToZero: true},
			want:     0, wantActive: ReasonScalingDisabled, wantReason: ReasonScalingDisabled,
		},
		{
			name:     "scale up: utilization with minReplicas is computed",
			spec:     Spec{MinReplicas: 1, MaxReplicas: 6},
			metrics:  cpu,
			replicas: Replicas{ScaledToZero: true},
			want:     0, wantActive: ReasonInvalidMetrics, wantReason: ReasonInvalidMetrics, wantErrorSet: true,
		},
		{
			name:     "scale up: value metric from zero",
			spec:     Spec{MinReplicas: 0, MaxReplicas: 6, Behavior: &Behavior{}},
			metrics:  value(20, 15),
			replicas: Replicas{ScaledToZero: true},
			want:     2, wantActive: ReasonValidMetricFound, wantLimited: ReasonDesiredWithinRange, wantReason: ReasonDesiredWithinRange,
		},
		{
			name:     "scale down: to zero on value metric",
			spec:     Spec{MinReplicas: 0, MaxReplicas: 6, DownscaleStabilizationWindow: durationPtr(0)},
			metrics:  value(0, 15),
			replicas: Replicas{Current: 2, Status: 2, Ready: 2},
			want:     0, wantActive: ReasonValidMetricFound, wantLimited: ReasonDesiredWithinRange, wantReason: ReasonDesiredWithinRange, wantToZero: true,
		},
		{
			name:     "scale down: to zero on utilization",
			spec:     Spec{MinReplicas: 0, MaxReplicas: 6, DownscaleStabilizationWindow: durationPtr(0)},
			metrics:  idle,
			replicas: Replicas{Current: 2, Status: 2, Ready: 2},
			want:     0, wantActive: ReasonValidMetricFound, wantLimited: ReasonDesiredWithinRange, wantReason: ReasonDesiredWithinRange,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCalculator(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			d, err := c.Recommend(time.Unix(0, 0), tt.metrics, tt.replicas)
			if (err != nil) != tt.wantErrorSet {
				t.Fatalf("Recommend() error = %v, want an error: %v", err, tt.wantErrorSet)
			}
			if d.DesiredReplicas != tt.want || d.Active != tt.wantActive || d.Limited != tt.wantLimited || d.Reason() != tt.wantReason {
				t.Errorf("got %d (Active %s, Limited %s, Reason %s), want %d (Active %s, Limited %s, Reason %s)\n%s",
					d.DesiredReplicas, d.Active, d.Limited, d.Reason(), tt.want, tt.wantActive, tt.wantLimited, tt.wantReason, d.Explain())
			}
			if d.ScaledToZero != tt.wantToZero {
				t.Errorf("ScaledToZero = %v, want %v", d.ScaledToZero, tt.wantToZero)
			}
		})
	}
}

func TestExplainRaiseFromZero(t *testing.T) {
	c, err := NewCalculator(Spec{MinReplicas: 2, MaxReplicas: 6, Behavior: &Behavior{}})
	if err != nil {
		t.Fatal(err)
	}
	m := Metric{Name: "queue", Type: ValueMetricType, Value: 10, Target: 15}
	d, err := c.Recommend(time.Unix(0, 0), []Metric{m}, Replicas{ScaledToZero: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "TooFewReplicas: 1 → 2, minReplicas is 2\ndesired replicas: 2 (current 0, TooFewReplicas)"
	if got := d.Explain(); !strings.HasSuffix(got, want) {
		t.Errorf("Explain() = %q, want it to end with %q", got, want)
	}
}

func TestValidateEmptyPolicies(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"up: empty list", "scaleUp:\n  policies: []\n", "behavior.scaleUp.policies"},
		{"down: empty list", "scaleDown:\n  stabilizationWindowSeconds: 60\n  policies: []\n", "behavior.scaleDown.policies"},
		{"down: omitted list takes defaults", "scaleDown:\n  stabilizationWindowSeconds: 60\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Behavior
			if err := yaml.UnmarshalStrict([]byte(tt.yaml), &b); err != nil {
				t.Fatal(err)
			}
			err := Spec{MinReplicas: 1, MaxReplicas: 5, Behavior: &b}.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.want {
				t.Fatalf("Validate() = %v, want a *FieldError for %s", err, tt.want)
			}
			if msg := "hpa: " + tt.want + " is empty; "; !strings.HasPrefix(err.Error(), msg) {
				t.Errorf("Error() = %q, want it to start with %q", err, msg)
			}
		})
	}
}

func TestHistorySlotBoundaries(t *testing.T) {
	rec := func(age time.Duration, replicas int32) Recommendation {
		return Recommendation{Time: vectorNow.Add(-age), Replicas: replicas}
	}
	tests := []struct {
		name     string
		up, down time.Duration
		recs     []Recommendation
		want     []int32
	}{
		{"history: record one window old stays", 0, 300 * time.Second,
			[]Recommendation{rec(600*time.Second, 3), rec(300*time.Second, 5)}, []int32{4, 5}},
		{"history: record older than both replaced", 60 * time.Second, 300 * time.Second,
			[]Recommendation{rec(301*time.Second, 3), rec(30*time.Second, 5)}, []int32{4, 5}},
		{"history: same instant replaced without windows", 0, 0,
			[]Recommendation{rec(0, 7)}, []int32{4}},
		{"history: record inside down window kept", 0, 300 * time.Second,
			[]Recommendation{rec(299*time.Second, 6)}, []int32{6, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, after := stabilizeWithBehavior(tt.recs, vectorNow, tt.up, tt.down, 4, 4)
			got := make([]int32, len(after))
			for i, r := range after {
				got[i] = r.Replicas
			}
			if !equalInt32s(got, tt.want) {
				t.Errorf("history after = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestScaleEventSlotBoundaries(t *testing.T) {
	event := func(age time.Duration, change int32) scaleEvent {
		return scaleEvent{ScaleEvent: ScaleEvent{Time: vectorNow.Add(-age), ReplicaChange: change}}
	}
	tests := []struct {
		name   string
		events []scaleEvent
		want   []int32
	}{
		{"scale up: event one period old stays", []scaleEvent{event(60*time.Second, 7)}, []int32{7, 5}},
		{"scale up: older event slot reused", []scaleEvent{event(61*time.Second, 7)}, []int32{5}},
		{"scale up: last outdated slot reused", []scaleEvent{event(90*time.Second, 7), event(70*time.Second, 8), event(10*time.Second, 9)}, []int32{7, 5, 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := &ScalingRules{Policies: []ScalingPolicy{{Type: PodsScalingPolicy, Value: 10, PeriodSeconds: 60}}}
			c, err := NewCalculator(Spec{MinReplicas: 1, MaxReplicas: 100, Behavior: &Behavior{ScaleUp: rules}})
			if err != nil {
				t.Fatal(err)
			}
			c.upEvents = tt.events
			c.recordScaleEvent(vectorNow, 10, 15)
			got := make([]int32, len(c.upEvents))
			for i, e := range c.upEvents {
				got[i] = e.ReplicaChange
			}
			if !equalInt32s(got, tt.want) {
				t.Errorf("events after = %v, want %v", got, tt.want)
			}
		})
	}
}
