package hpa

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

func int32Ptr(v int32) *int32                    { return &v }
func selectPtr(p SelectPolicy) *SelectPolicy     { return &p }
func quantityPtr(s string) *resource.Quantity    { q := resource.MustParse(s); return &q }
func floatPtr(v float64) *float64                { return &v }
func durationPtr(d time.Duration) *time.Duration { return &d }

func TestSpecValidate(t *testing.T) {
	up := func(r ScalingRules) Spec {
		return Spec{MinReplicas: 1, MaxReplicas: 5, Behavior: &Behavior{ScaleUp: &r}}
	}
	down := func(r ScalingRules) Spec {
		return Spec{MinReplicas: 1, MaxReplicas: 5, Behavior: &Behavior{ScaleDown: &r}}
	}
	pods := func(value, period int32) ScalingPolicy {
		return ScalingPolicy{Type: PodsScalingPolicy, Value: value, PeriodSeconds: period}
	}
	tests := []struct {
		name      string
		spec      Spec
		wantField string
		wantValue string
	}{
		{"valid: min 1 max 5", Spec{MinReplicas: 1, MaxReplicas: 5}, "", ""},
		{"valid: min 0 for scale to zero", Spec{MinReplicas: 0, MaxReplicas: 5}, "", ""},
		{"valid: full behavior", up(ScalingRules{StabilizationWindowSeconds: int32Ptr(3600), SelectPolicy: selectPtr(DisabledPolicySelect),
			Policies: []ScalingPolicy{pods(1, 1800)}, Tolerance: quantityPtr("0.05")}), "", ""},
		{"invalid: negative min", Spec{MinReplicas: -1, MaxReplicas: 5}, "minReplicas", "-1"},
		{"invalid: max 0", Spec{MinReplicas: 0, MaxReplicas: 0}, "maxReplicas", "0"},
		{"invalid: max below min", Spec{MinReplicas: 3, MaxReplicas: 2}, "maxReplicas", "2"},
		{"invalid: negative tolerance", Spec{MinReplicas: 1, MaxReplicas: 2, Tolerance: floatPtr(-0.5)}, "tolerance", "-0.5"},
		{"invalid: negative window", Spec{MinReplicas: 1, MaxReplicas: 2, DownscaleStabilizationWindow: durationPtr(-time.Second)}, "downscaleStabilizationWindow", "-1s"},
		{"invalid: window over 3600", down(ScalingRules{StabilizationWindowSeconds: int32Ptr(3601)}), "behavior.scaleDown.stabilizationWindowSeconds", "3601"},
		{"invalid: negative up window", up(ScalingRules{StabilizationWindowSeconds: int32Ptr(-1)}), "behavior.scaleUp.stabilizationWindowSeconds", "-1"},
		{"invalid: unknown selectPolicy", up(ScalingRules{SelectPolicy: selectPtr("Largest")}), "behavior.scaleUp.selectPolicy", `"Largest"`},
		{"invalid: unknown policy type", down(ScalingRules{Policies: []ScalingPolicy{{Type: "Replicas", Value: 1, PeriodSeconds: 15}}}), "behavior.scaleDown.policies[0].type", `"Replicas"`},
		{"invalid: negative policy value", up(ScalingRules{Policies: []ScalingPolicy{pods(1, 15), pods(-4, 15)}}), "behavior.scaleUp.policies[1].value", "-4"},
		{"invalid: zero policy value", up(ScalingRules{Policies: []ScalingPolicy{pods(0, 15)}}), "behavior.scaleUp.policies[0].value", "0"},
		{"invalid: period 0", up(ScalingRules{Policies: []ScalingPolicy{pods(4, 15), pods(4, 0)}}), "behavior.scaleUp.policies[1].periodSeconds", "0"},
		{"invalid: period over 1800", down(ScalingRules{Policies: []ScalingPolicy{pods(4, 1801)}}), "behavior.scaleDown.policies[0].periodSeconds", "1801"},
		{"invalid: negative behavior tolerance", down(ScalingRules{Tolerance: quantityPtr("-0.1")}), "behavior.scaleDown.tolerance", `"-0.1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want a *FieldError", err)
			}
			if fe.Field != tt.wantField {
				t.Errorf("Field = %q, want %q", fe.Field, tt.wantField)
			}
			if !strings.HasPrefix(err.Error(), "hpa: "+tt.wantField+" "+tt.wantValue+" ") {
				t.Errorf("Error() = %q, want it to name %s %s", err, tt.wantField, tt.wantValue)
			}
			if _, err := NewCalculator(tt.spec); err == nil {
				t.Errorf("NewCalculator() accepted the spec")
			}
		})
	}
}

// sampleAppBehavior is the behavior block of the sample-app ScaledObject, under
// advanced.horizontalPodAutoscalerConfig.
const sampleAppBehavior = `
behavior:
  scaleDown:
    stabilizationWindowSeconds: 600
`

func TestBehaviorDecodesFromYAML(t *testing.T) {
	var spec Spec
	if err := yaml.UnmarshalStrict([]byte(sampleAppBehavior), &spec); err != nil {
		t.Fatalf("yaml.UnmarshalStrict() error = %v", err)
	}
	if spec.Behavior == nil || spec.Behavior.ScaleDown == nil || *spec.Behavior.ScaleDown.StabilizationWindowSeconds != 600 {
		t.Fatalf("decoded behavior = %+v, want scaleDown window 600", spec.Behavior)
	}
	if spec.Behavior.ScaleUp != nil {
		t.Errorf("scaleUp = %+v, want nil", spec.Behavior.ScaleUp)
	}

	full := `
scaleUp:
  stabilizationWindowSeconds: 0
  selectPolicy: Max
  tolerance: "0.05"
  policies:
  - type: Pods
    value: 4
    periodSeconds: 15
  - type: Percent
    value: 100
    periodSeconds: 15
scaleDown:
  selectPolicy: Disabled
  tolerance: 0.2
`
	var b Behavior
	if err := yaml.UnmarshalStrict([]byte(full), &b); err != nil {
		t.Fatalf("yaml.UnmarshalStrict() error = %v", err)
	}
	if got := b.ScaleUp.Tolerance.AsApproximateFloat64(); got != 0.05 {
		t.Errorf("scaleUp.tolerance = %v, want 0.05", got)
	}
	if got := b.ScaleDown.Tolerance.AsApproximateFloat64(); got != 0.2 {
		t.Errorf("scaleDown.tolerance = %v, want 0.2", got)
	}
	if len(b.ScaleUp.Policies) != 2 || b.ScaleUp.Policies[1] != (ScalingPolicy{Type: PercentScalingPolicy, Value: 100, PeriodSeconds: 15}) {
		t.Errorf("scaleUp.policies = %+v", b.ScaleUp.Policies)
	}
	if *b.ScaleDown.SelectPolicy != DisabledPolicySelect {
		t.Errorf("scaleDown.selectPolicy = %v, want Disabled", *b.ScaleDown.SelectPolicy)
	}
}

func TestBehaviorYAMLRejectsTypo(t *testing.T) {
	typo := `
scaleUp:
  stabilisationWindowSeconds: 60
`
	var strict Behavior
	err := yaml.UnmarshalStrict([]byte(typo), &strict)
	if err == nil || !strings.Contains(err.Error(), `unknown field "stabilisationWindowSeconds"`) {
		t.Errorf("yaml.UnmarshalStrict() error = %v, want one naming the unknown field", err)
	}

	// yaml.Unmarshal drops the unknown field, so the window keeps its default.
	var loose Behavior
	if err := yaml.Unmarshal([]byte(typo), &loose); err != nil || loose.ScaleUp.StabilizationWindowSeconds != nil {
		t.Errorf("yaml.Unmarshal() = %+v, %v, want no window and no error", loose.ScaleUp, err)
	}
}

func TestBehaviorYAMLIgnoresCase(t *testing.T) {
	var b Behavior
	if err := yaml.UnmarshalStrict([]byte("scaleup:\n  stabilizationwindowseconds: 60\n"), &b); err != nil {
		t.Fatalf("yaml.UnmarshalStrict() error = %v", err)
	}
	if b.ScaleUp == nil || b.ScaleUp.StabilizationWindowSeconds == nil || *b.ScaleUp.StabilizationWindowSeconds != 60 {
		t.Errorf("scaleup = %+v, want it decoded as scaleUp with window 60", b.ScaleUp)
	}
}

func TestFieldErrorMessages(t *testing.T) {
	rules := func(r ScalingRules) Spec {
		return Spec{MinReplicas: 1, MaxReplicas: 5, Behavior: &Behavior{ScaleUp: &r}}
	}
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"missing: policy type", rules(ScalingRules{Policies: []ScalingPolicy{{Value: 4, PeriodSeconds: 15}}}),
			`hpa: behavior.scaleUp.policies[0].type is missing; set "Pods" or "Percent"`},
		{"missing: selectPolicy", rules(ScalingRules{SelectPolicy: selectPtr("")}),
			`hpa: behavior.scaleUp.selectPolicy is missing; set "Max", "Min" or "Disabled"`},
		{"unsupported: policy type", rules(ScalingRules{Policies: []ScalingPolicy{{Type: "pods", Value: 4, PeriodSeconds: 15}}}),
			`hpa: behavior.scaleUp.policies[0].type "pods" is not supported; use "Pods" or "Percent"`},
		{"negative: behavior tolerance", rules(ScalingRules{Tolerance: quantityPtr("-0.05")}),
			`hpa: behavior.scaleUp.tolerance "-0.05" must be 0 or more, such as "0.05"`},
		{"negative: minReplicas", Spec{MinReplicas: -1, MaxReplicas: 5},
			"hpa: minReplicas -1 is negative; use 1 or more, or 0 to allow scaling to zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			if err == nil || err.Error() != tt.want {
				t.Errorf("Validate() error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestResolveRulesDefaults(t *testing.T) {
	c, err := NewCalculator(Spec{MinReplicas: 1, MaxReplicas: 10, Behavior: &Behavior{}})
	if err != nil {
		t.Fatal(err)
	}
	if c.up.window != 0 || c.up.selectPolicy != MaxChangePolicySelect || len(c.up.policies) != 2 {
		t.Errorf("scaleUp defaults = %+v, want window 0, Max, 4 pods and 100 %% per 15 s", c.up)
	}
	if c.down.window != DefaultDownscaleStabilizationWindow || len(c.down.policies) != 1 || c.down.policies[0].Type != PercentScalingPolicy {
		t.Errorf("scaleDown defaults = %+v, want window 300 s and 100 %% per 15 s", c.down)
	}

	given := []ScalingPolicy{{Type: PodsScalingPolicy, Value: 1, PeriodSeconds: 60}}
	c, err = NewCalculator(Spec{MinReplicas: 1, MaxReplicas: 10, DownscaleStabilizationWindow: durationPtr(time.Minute),
		Behavior: &Behavior{ScaleDown: &ScalingRules{Policies: given}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.down.policies) != 1 || c.down.policies[0] != given[0] || c.down.window != time.Minute {
		t.Errorf("scaleDown = %+v, want the given list and the controller's window", c.down)
	}
}

// runBehaviorTimeline runs steps with an AverageValue target of 10 per pod.
func runBehaviorTimeline(t *testing.T, spec Spec, steps []step) {
	t.Helper()
	runTimelineWithTarget(t, spec, 10, steps)
}

func TestRecommendWithBehavior(t *testing.T) {
	t.Run("scale up: default policies allow doubling", func(t *testing.T) {
		runBehaviorTimeline(t, Spec{MinReplicas: 1, MaxReplicas: 100, Behavior: &Behavior{}}, []step{
			{at: 0, value: 500, current: 10, want: 20, reason: ReasonScaleUpLimit},
			// 15 s later the first change has left the 15 s period.
			{at: 15 * time.Second, value: 500, current: 20, want: 40, reason: ReasonScaleUpLimit},
			{at: 30 * time.Second, value: 500, current: 40, want: 50, reason: ReasonDesiredWithinRange},
		})
	})
	t.Run("scale up: pods policy counts past events", func(t *testing.T) {
		rules := &ScalingRules{Policies: []ScalingPolicy{{Type: PodsScalingPolicy, Value: 2, PeriodSeconds: 60}}}
		runBehaviorTimeline(t, Spec{MinReplicas: 1, MaxReplicas: 100, Behavior: &Behavior{ScaleUp: rules}}, []step{
			{at: 0, value: 100, current: 2, want: 4, reason: ReasonScaleUpLimit},
			{at: 30 * time.Second, value: 100, current: 4, want: 4, reason: ReasonScaleUpLimit},
			{at: 60 * time.Second, value: 100, current: 4, want: 6, reason: ReasonScaleUpLimit},
		})
	})
	t.Run("scale up: disabled keeps count", func(t *testing.T) {
		rules := &ScalingRules{SelectPolicy: selectPtr(DisabledPolicySelect)}
		runBehaviorTimeline(t, Spec{MinReplicas: 1, MaxReplicas: 100, Behavior: &Behavior{ScaleUp: rules}}, []step{
			{at: 0, value: 100, current: 2, want: 2, reason: ReasonScaleUpLimit},
		})
	})
	t.Run("scale up: stabilized by up window", func(t *testing.T) {
		rules := &ScalingRules{StabilizationWindowSeconds: int32Ptr(120)}
		runBehaviorTimeline(t, Spec{MinReplicas: 1, MaxReplicas: 100, Behavior: &Behavior{ScaleUp: rules}}, []step{
			{at: 0, value: 20, current: 2, want: 2, reason: ReasonDesiredWithinRange},
			{at: 60 * time.Second, value: 50, current: 2, want: 2, reason: ReasonScaleUpStabilized},
			{at: 120 * time.Second, value: 50, current: 2, want: 5, reason: ReasonDesiredWithinRange},
		})
	})
	t.Run("scale down: guide window 600 s", func(t *testing.T) {
		rules := &ScalingRules{StabilizationWindowSeconds: int32Ptr(600)}
		runBehaviorTimeline(t, Spec{MinReplicas: 1, MaxReplicas: 10, Behavior: &Behavior{ScaleDown: rules}}, []step{
			{at: 0, value: 50, current: 5, want: 5, reason: ReasonDesiredWithinRange},
			{at: 5 * time.Minute, value: 20, current: 5, want: 5, reason: ReasonScaleDownStabilized},
			{at: 10 * time.Minute, value: 20, current: 5, want: 2, reason: ReasonDesiredWithinRange},
		})
	})
	t.Run("scale down: percent policy limits", func(t *testing.T) {
		rules := &ScalingRules{StabilizationWindowSeconds: int32Ptr(0), Policies: []ScalingPolicy{{Type: PercentScalingPolicy, Value: 50, PeriodSeconds: 60}}}
		runBehaviorTimeline(t, Spec{MinReplicas: 1, MaxReplicas: 100, Behavior: &Behavior{ScaleDown: rules}}, []step{
			{at: 0, value: 10, current: 40, want: 20, reason: ReasonScaleDownLimit},
			{at: 30 * time.Second, value: 10, current: 20, want: 20, reason: ReasonScaleDownLimit},
			{at: 60 * time.Second, value: 10, current: 20, want: 10, reason: ReasonScaleDownLimit},
		})
	})
}

func TestRecommendToleranceDirections(t *testing.T) {
	tests := []struct {
		name     string
		behavior *Behavior
		value    float64
		want     int32
	}{
		{"up: default keeps ratio 1.05", nil, 105, 10},
		{"up: zero tolerance scales at 1.05", &Behavior{ScaleUp: &ScalingRules{Tolerance: quantityPtr("0")}}, 105, 11},
		{"up: down tolerance leaves up alone", &Behavior{ScaleDown: &ScalingRules{Tolerance: quantityPtr("0")}}, 105, 10},
		{"down: default keeps ratio 0.95", nil, 95, 10},
		{"down: zero tolerance scales at 0.95", &Behavior{ScaleDown: &ScalingRules{Tolerance: quantityPtr("0"), StabilizationWindowSeconds: int32Ptr(0)}}, 95, 10},
		{"down: 0.5 keeps ratio 0.55", &Behavior{ScaleDown: &ScalingRules{Tolerance: quantityPtr("0.5"), StabilizationWindowSeconds: int32Ptr(0)}}, 55, 10},
		{"down: 0.4 scales at 0.55", &Behavior{ScaleDown: &ScalingRules{Tolerance: quantityPtr("0.4"), StabilizationWindowSeconds: int32Ptr(0)}}, 55, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCalculator(Spec{MinReplicas: 1, MaxReplicas: 100, DownscaleStabilizationWindow: durationPtr(0), Behavior: tt.behavior})
			if err != nil {
				t.Fatal(err)
			}
			m := Metric{Name: "m", Type: AverageValueMetricType, Value: tt.value, Target: 10}
			d, err := c.Recommend(time.Unix(0, 0), []Metric{m}, Replicas{Current: 10, Status: 10, Ready: 10})
			if err != nil {
				t.Fatal(err)
			}
			if d.DesiredReplicas != tt.want {
				t.Errorf("DesiredReplicas = %d, want %d\n%s", d.DesiredReplicas, tt.want, d.Explain())
			}
		})
	}
}

func TestRecommendInvalidMetricRules(t *testing.T) {
	up := Metric{Name: "up", Type: AverageValueMetricType, Value: 80, Target: 10}
	down := Metric{Name: "down", Type: AverageValueMetricType, Value: 20, Target: 10}
	same := Metric{Name: "same", Type: AverageValueMetricType, Value: 40, Target: 10}
	broken := Metric{Name: "broken", Type: AverageValueMetricType, Err: errors.New("query timed out")}
	tests := []struct {
		name        string
		metrics     []Metric
		want        int32
		wantErr     bool
		wantInvalid int
	}{
		{"invalid: does not block scale-up", []Metric{broken, up}, 8, false, 1},
		{"invalid: blocks scale-down", []Metric{down, broken}, 4, true, 1},
		{"invalid: allows staying", []Metric{broken, same}, 4, false, 1},
		{"invalid: all invalid keeps count", []Metric{broken, broken}, 4, true, 2},
		{"valid: scale-down proceeds", []Metric{down}, 2, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCalculator(Spec{MinReplicas: 1, MaxReplicas: 10, DownscaleStabilizationWindow: durationPtr(0)})
			if err != nil {
				t.Fatal(err)
			}
			d, err := c.Recommend(time.Unix(0, 0), tt.metrics, Replicas{Current: 4, Status: 4, Ready: 4})
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("Recommend() error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				var ime *InvalidMetricsError
				if !errors.As(err, &ime) || !errors.Is(err, ErrInvalidMetric) {
					t.Errorf("error = %v, want an *InvalidMetricsError wrapping ErrInvalidMetric", err)
				}
			}
			if d.DesiredReplicas != tt.want {
				t.Errorf("DesiredReplicas = %d, want %d\n%s", d.DesiredReplicas, tt.want, d.Explain())
			}
			if d.InvalidMetrics != tt.wantInvalid {
				t.Errorf("InvalidMetrics = %d, want %d", d.InvalidMetrics, tt.wantInvalid)
			}
		})
	}
}

func TestRecommendNonFiniteValuesStayBounded(t *testing.T) {
	c, err := NewCalculator(Spec{MinReplicas: 1, MaxReplicas: 10})
	if err != nil {
		t.Fatal(err)
	}
	metrics := []Metric{
		{Name: "nan", Type: ValueMetricType, Value: nan(), Target: 1},
		{Name: "huge", Type: ValueMetricType, Value: 1e300, Target: 0.001},
	}
	d, err := c.Recommend(time.Unix(0, 0), metrics, Replicas{Current: 2, Status: 2, Ready: 2})
	if err != nil {
		t.Fatal(err)
	}
	if d.DesiredReplicas != 4 || d.Proposed < 0 {
		t.Errorf("DesiredReplicas = %d, Proposed = %d, want 4 (scale-up limit) and a positive proposal\n%s", d.DesiredReplicas, d.Proposed, d.Explain())
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}

func TestHistoryRoundTrip(t *testing.T) {
	spec := Spec{MinReplicas: 1, MaxReplicas: 100, Behavior: &Behavior{ScaleDown: &ScalingRules{StabilizationWindowSeconds: int32Ptr(600)}}}
	c, err := NewCalculator(spec)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC)
	m := func(v float64) []Metric {
		return []Metric{{Name: "m", Type: AverageValueMetricType, Value: v, Target: 10}}
	}
	steps := []struct {
		at      time.Duration
		value   float64
		current int32
	}{{0, 100, 4}, {15 * time.Second, 100, 8}, {time.Minute, 20, 10}}
	for _, s := range steps {
		if _, err := c.Recommend(t0.Add(s.at), m(s.value), Replicas{Current: s.current, Status: s.current, Ready: s.current}); err != nil {
			t.Fatal(err)
		}
	}

	data, err := json.Marshal(c.History())
	if err != nil {
		t.Fatal(err)
	}
	var h History
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatal(err)
	}
	restored, err := NewCalculator(spec)
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(2 * time.Minute)
	if err := restored.Restore(now, h); err != nil {
		t.Fatalf("Restore() error = %v\n%s", err, data)
	}
	if got, want := restored.History(), c.History(); !equalHistory(got, want) {
		t.Errorf("restored history = %+v, want %+v", got, want)
	}

	// Both calculators hold the scale-down for the 600 s window.
	r := Replicas{Current: 10, Status: 10, Ready: 10}
	a, _ := c.Recommend(now, m(20), r)
	b, _ := restored.Recommend(now, m(20), r)
	if a.DesiredReplicas != 10 || b.DesiredReplicas != a.DesiredReplicas || b.Reason() != ReasonScaleDownStabilized {
		t.Errorf("after restore: %d (%s), original %d (%s), want 10 (ScaleDownStabilized) for both", b.DesiredReplicas, b.Reason(), a.DesiredReplicas, a.Reason())
	}
}

func equalHistory(a, b History) bool {
	if len(a.Recommendations) != len(b.Recommendations) || len(a.ScaleUpEvents) != len(b.ScaleUpEvents) || len(a.ScaleDownEvents) != len(b.ScaleDownEvents) {
		return false
	}
	for i := range a.Recommendations {
		if !a.Recommendations[i].Time.Equal(b.Recommendations[i].Time) || a.Recommendations[i].Replicas != b.Recommendations[i].Replicas {
			return false
		}
	}
	for _, pair := range [][2][]ScaleEvent{{a.ScaleUpEvents, b.ScaleUpEvents}, {a.ScaleDownEvents, b.ScaleDownEvents}} {
		for i := range pair[0] {
			if !pair[0][i].Time.Equal(pair[1][i].Time) || pair[0][i].ReplicaChange != pair[1][i].ReplicaChange {
				return false
			}
		}
	}
	return true
}

func TestRestoreRejectsBadHistory(t *testing.T) {
	now := time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC)
	at := func(seconds int) time.Time { return now.Add(time.Duration(seconds) * time.Second) }
	tests := []struct {
		name      string
		history   History
		wantField string
	}{
		{"bad: negative replicas", History{Recommendations: []Recommendation{{Time: at(-60), Replicas: -1}}}, "recommendations[0].replicas"},
		{"bad: unsorted recommendations", History{Recommendations: []Recommendation{{Time: at(-30), Replicas: 2}, {Time: at(-60), Replicas: 3}}}, "recommendations[1].time"},
		{"bad: future recommendation", History{Recommendations: []Recommendation{{Time: at(60), Replicas: 2}}}, "recommendations[0].time"},
		{"bad: missing time", History{Recommendations: []Recommendation{{Replicas: 2}}}, "recommendations[0].time"},
		{"bad: zero event change", History{ScaleUpEvents: []ScaleEvent{{Time: at(-10), ReplicaChange: 0}}}, "scaleUpEvents[0].replicaChange"},
		{"bad: unsorted events", History{ScaleDownEvents: []ScaleEvent{{Time: at(-10), ReplicaChange: 1}, {Time: at(-20), ReplicaChange: 1}}}, "scaleDownEvents[1].time"},
		{"bad: future event", History{ScaleDownEvents: []ScaleEvent{{Time: at(1), ReplicaChange: 1}}}, "scaleDownEvents[0].time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCalculator(Spec{MinReplicas: 1, MaxReplicas: 5})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Restore(now, tt.history)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.wantField {
				t.Fatalf("Restore() error = %v, want a *FieldError for %s", err, tt.wantField)
			}
			if c.seeded {
				t.Errorf("a rejected history marked the calculator as seeded")
			}
		})
	}
}

func TestProposeUtilizationPods(t *testing.T) {
	pod := func(usage int64, flags ...string) PodUsage {
		p := PodUsage{UsageMilli: usage, RequestMilli: 1000}
		for _, f := range flags {
			p.Unready = p.Unready || f == "unready"
			p.Missing = p.Missing || f == "missing"
		}
		return p
	}
	tests := []struct {
		name    string
		pods    []PodUsage
		current int32
		want    int32
	}{
		{"all ready: 40% over 30% on 3 pods", []PodUsage{pod(400), pod(400), pod(400)}, 3, 4},
		{"unready: damping reverses scale-up", []PodUsage{pod(400), pod(400), pod(0, "unready")}, 3, 3},
		{"unready: scale-up with unready pod", []PodUsage{pod(900), pod(900), pod(0, "unready")}, 3, 6},
		{"unready: ignored on scale-down", []PodUsage{pod(100), pod(100), pod(0, "unready")}, 3, 1},
		{"missing: counts as 100% on scale-down", []PodUsage{pod(100), pod(100), pod(0, "missing")}, 3, 3},
		{"missing: counts as 0% on scale-up", []PodUsage{pod(600), pod(600), pod(0, "missing")}, 3, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Metric{Name: "cpu", Type: UtilizationMetricType, Target: 30, Pods: tt.pods}
			p, err := Propose(m, Replicas{Current: tt.current, Status: tt.current, Ready: tt.current}, defaultTolerances)
			if err != nil {
				t.Fatal(err)
			}
			if p.Replicas != tt.want {
				t.Errorf("Replicas = %d, want %d (%s)", p.Replicas, tt.want, p)
			}
		})
	}
}
