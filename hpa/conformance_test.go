package hpa

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The vectors are the Kubernetes controller's own unit-test cases written as
// data: inputs and the value the upstream test asserts.

type vectorCase struct {
	ID       string          `json:"id"`
	Source   string          `json:"source"`
	Kind     string          `json:"kind"`
	Inputs   json.RawMessage `json:"inputs"`
	Expected json.RawMessage `json:"expected"`
}

type vectorTolerance struct {
	ScaleUp   float64 `json:"scaleUp"`
	ScaleDown float64 `json:"scaleDown"`
}

func (t vectorTolerance) tolerances() Tolerances {
	return Tolerances{ScaleUp: t.ScaleUp, ScaleDown: t.ScaleDown}
}

type vectorRecommendation struct {
	Replicas   int32 `json:"replicas"`
	AgeSeconds int64 `json:"ageSeconds"`
}

type vectorEvent struct {
	ReplicaChange int32 `json:"replicaChange"`
	AgeSeconds    int64 `json:"ageSeconds"`
	Outdated      bool  `json:"outdated"`
}

// vectorNow is "now" of every case, and ages count back from it.
var vectorNow = time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC)

func ago(seconds int64) time.Time { return vectorNow.Add(-time.Duration(seconds) * time.Second) }

func vectorRecommendations(in []vectorRecommendation) []Recommendation {
	out := make([]Recommendation, len(in))
	for i, r := range in {
		out[i] = Recommendation{Time: ago(r.AgeSeconds), Replicas: r.Replicas}
	}
	return out
}

func vectorEvents(in []vectorEvent) []scaleEvent {
	out := make([]scaleEvent, len(in))
	for i, e := range in {
		out[i] = scaleEvent{ScaleEvent: ScaleEvent{Time: ago(e.AgeSeconds), ReplicaChange: e.ReplicaChange}}
	}
	return out
}

// loadVectors reads the vectors file. It skips the test when the file is
// absent, unless CI is set.
func loadVectors(t *testing.T) []vectorCase {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "conformance", "hpa", "vectors.json")
	if custom := os.Getenv("HPA_VECTORS"); custom != "" {
		path = custom
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("HPA vectors not found at %s: %v", path, err)
		}
		t.Skipf("HPA vectors not found at %s; set HPA_VECTORS to the file, or CI to make this a failure", path)
	}
	var cases []vectorCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return cases
}

func decodeCase(t *testing.T, c vectorCase, in, want any) {
	t.Helper()
	if err := json.Unmarshal(c.Inputs, in); err != nil {
		t.Fatalf("decode inputs: %v", err)
	}
	if err := json.Unmarshal(c.Expected, want); err != nil {
		t.Fatalf("decode expected: %v", err)
	}
}

func TestConformanceVectors(t *testing.T) {
	cases := loadVectors(t)
	checks := map[string]func(*testing.T, vectorCase){
		"external_value":             checkMetricVector,
		"external_average_value":     checkMetricVector,
		"object_value":               checkMetricVector,
		"object_average_value":       checkMetricVector,
		"tolerance_band":             checkToleranceVector,
		"stabilize_without_behavior": checkLegacyStabilizeVector,
		"clamp_without_behavior":     checkLegacyClampVector,
		"stabilize_with_behavior":    checkBehaviorStabilizeVector,
		"behavior_rate_limit":        checkRateLimitVector,
		"policy_limit":               checkPolicyLimitVector,
		"scale_event_store":          checkEventStoreVector,
		"controller":                 checkControllerVector,
	}
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			check, ok := checks[c.Kind]
			if !ok {
				t.Fatalf("kind %q has no check", c.Kind)
			}
			check(t, c)
		})
	}
	if len(cases) != 99 {
		t.Errorf("loaded %d cases, want 99", len(cases))
	}
}

func checkMetricVector(t *testing.T, c vectorCase) {
	var in struct {
		CurrentReplicas   int32           `json:"currentReplicas"`
		StatusReplicas    *int32          `json:"statusReplicas"`
		ReadyPods         int32           `json:"readyPods"`
		MetricMilliValues []int64         `json:"metricMilliValues"`
		MetricMilliValue  *int64          `json:"metricMilliValue"`
		TargetMilli       int64           `json:"targetMilliValue"`
		TargetAverage     int64           `json:"targetAverageMilliValue"`
		Tolerance         vectorTolerance `json:"tolerance"`
	}
	var want struct {
		Replicas   int32 `json:"replicas"`
		UsageMilli int64 `json:"usageMilli"`
	}
	decodeCase(t, c, &in, &want)

	m := Metric{Name: c.ID, Type: ValueMetricType, ValueMilli: SumMilli(in.MetricMilliValues...), TargetMilli: in.TargetMilli}
	if in.MetricMilliValue != nil {
		m.ValueMilli = *in.MetricMilliValue
	}
	r := Replicas{Current: in.CurrentReplicas, Status: in.CurrentReplicas, Ready: in.ReadyPods}
	if strings.HasSuffix(c.Kind, "_average_value") {
		m.Type, m.TargetMilli = AverageValueMetricType, in.TargetAverage
		r = Replicas{Current: *in.StatusReplicas, Status: *in.StatusReplicas, Ready: *in.StatusReplicas}
	}

	p, err := Propose(m, r, in.Tolerance.tolerances())
	if err != nil {
		t.Fatalf("Propose() error = %v", err)
	}
	if p.Replicas != want.Replicas {
		t.Errorf("Replicas = %d, want %d (%s)", p.Replicas, want.Replicas, p)
	}
	if p.UsageMilli != want.UsageMilli {
		t.Errorf("UsageMilli = %d, want %d", p.UsageMilli, want.UsageMilli)
	}
}

// checkToleranceVector builds a Utilization metric with the case's usage
// ratio (target 100 %, every pod at the same usage) and runs the whole
// resource path.
func checkToleranceVector(t *testing.T, c vectorCase) {
	var in struct {
		UsageRatio      float64         `json:"usageRatio"`
		CurrentReplicas int32           `json:"currentReplicas"`
		ReadyPods       int32           `json:"readyPods"`
		Tolerance       vectorTolerance `json:"tolerance"`
	}
	var want struct {
		Replicas int32 `json:"replicas"`
	}
	decodeCase(t, c, &in, &want)

	percent := int64(in.UsageRatio*100 + 0.5)
	pods := make([]PodUsage, in.ReadyPods)
	for i := range pods {
		pods[i] = PodUsage{UsageMilli: percent * 10, RequestMilli: 1000}
	}
	m := Metric{Name: c.ID, Type: UtilizationMetricType, Target: 100, Pods: pods}
	r := Replicas{Current: in.CurrentReplicas, Status: in.CurrentReplicas, Ready: in.ReadyPods}

	p, err := Propose(m, r, in.Tolerance.tolerances())
	if err != nil {
		t.Fatalf("Propose() error = %v", err)
	}
	if p.Ratio != in.UsageRatio {
		t.Fatalf("Ratio = %v, want %v", p.Ratio, in.UsageRatio)
	}
	if p.Replicas != want.Replicas {
		t.Errorf("Replicas = %d, want %d (%s)", p.Replicas, want.Replicas, p)
	}
}

func checkLegacyStabilizeVector(t *testing.T, c vectorCase) {
	var in struct {
		Desired         int32                  `json:"desiredReplicas"`
		WindowSeconds   int64                  `json:"downscaleStabilizationWindowSeconds"`
		Recommendations []vectorRecommendation `json:"recommendations"`
	}
	var want struct {
		Stabilized  int32 `json:"stabilizedReplicas"`
		LengthAfter int   `json:"recommendationsLengthAfter"`
	}
	decodeCase(t, c, &in, &want)

	got, after := stabilizeLegacy(vectorRecommendations(in.Recommendations), vectorNow, time.Duration(in.WindowSeconds)*time.Second, in.Desired)
	if got != want.Stabilized {
		t.Errorf("stabilized = %d, want %d", got, want.Stabilized)
	}
	if len(after) != want.LengthAfter {
		t.Errorf("history length = %d, want %d", len(after), want.LengthAfter)
	}
}

func checkLegacyClampVector(t *testing.T, c vectorCase) {
	var in struct {
		Current, Desired, Min, Max int32
		Factor                     float64 `json:"scaleUpLimitFactor"`
		Minimum                    float64 `json:"scaleUpLimitMinimum"`
	}
	var raw struct {
		Current int32 `json:"currentReplicas"`
		Desired int32 `json:"desiredReplicas"`
		Min     int32 `json:"minReplicas"`
		Max     int32 `json:"maxReplicas"`
	}
	var want struct {
		Desired int32  `json:"desiredReplicas"`
		Reason  Reason `json:"reason"`
	}
	decodeCase(t, c, &in, &want)
	decodeCase(t, c, &raw, &want)

	calc := newVectorCalculator(t, Spec{MinReplicas: raw.Min, MaxReplicas: raw.Max})
	calc.scaleUpLimitFactor, calc.scaleUpLimitMinimum = in.Factor, in.Minimum
	got, reason, _ := calc.limitLegacy(raw.Current, raw.Desired)
	if got != want.Desired || reason != want.Reason {
		t.Errorf("limitLegacy() = %d, %s, want %d, %s", got, reason, want.Desired, want.Reason)
	}
}

func newVectorCalculator(t *testing.T, spec Spec) *Calculator {
	t.Helper()
	calc, err := NewCalculator(spec)
	if err != nil {
		t.Fatalf("NewCalculator() error = %v", err)
	}
	return calc
}

func checkBehaviorStabilizeVector(t *testing.T, c vectorCase) {
	var in struct {
		Current         int32                  `json:"currentReplicas"`
		Desired         int32                  `json:"desiredReplicas"`
		UpWindow        int64                  `json:"scaleUpStabilizationWindowSeconds"`
		DownWindow      int64                  `json:"scaleDownStabilizationWindowSeconds"`
		Recommendations []vectorRecommendation `json:"recommendations"`
	}
	var want struct {
		Stabilized int32   `json:"stabilizedReplicas"`
		After      []int32 `json:"recommendationsAfter"`
	}
	decodeCase(t, c, &in, &want)

	got, _, _, after := stabilizeWithBehavior(vectorRecommendations(in.Recommendations), vectorNow,
		time.Duration(in.UpWindow)*time.Second, time.Duration(in.DownWindow)*time.Second, in.Current, in.Desired)
	if got != want.Stabilized {
		t.Errorf("stabilized = %d, want %d", got, want.Stabilized)
	}
	if want.After == nil {
		return
	}
	values := make([]int32, len(after))
	for i, r := range after {
		values[i] = r.Replicas
	}
	if !equalInt32s(values, want.After) {
		t.Errorf("history after = %v, want %v", values, want.After)
	}
}

func equalInt32s(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func checkRateLimitVector(t *testing.T, c vectorCase) {
	var in struct {
		Current         int32         `json:"currentReplicas"`
		Desired         int32         `json:"desiredReplicas"`
		Min             int32         `json:"minReplicas"`
		Max             int32         `json:"maxReplicas"`
		ScaleUp         *ScalingRules `json:"scaleUpRules"`
		ScaleDown       *ScalingRules `json:"scaleDownRules"`
		ScaleUpEvents   []vectorEvent `json:"scaleUpEvents"`
		ScaleDownEvents []vectorEvent `json:"scaleDownEvents"`
	}
	var want struct {
		Desired int32  `json:"desiredReplicas"`
		Reason  Reason `json:"reason"`
	}
	decodeCase(t, c, &in, &want)

	calc := newVectorCalculator(t, Spec{MinReplicas: in.Min, MaxReplicas: in.Max, Behavior: &Behavior{ScaleUp: in.ScaleUp, ScaleDown: in.ScaleDown}})
	calc.upEvents, calc.downEvents = vectorEvents(in.ScaleUpEvents), vectorEvents(in.ScaleDownEvents)
	got, reason, step := calc.limitWithBehavior(vectorNow, in.Current, in.Desired)
	if got != want.Desired || reason != want.Reason {
		t.Errorf("limitWithBehavior() = %d, %s, want %d, %s (%s)", got, reason, want.Desired, want.Reason, step.Detail())
	}
}

func checkPolicyLimitVector(t *testing.T, c vectorCase) {
	var in struct {
		Direction       string        `json:"direction"`
		Current         int32         `json:"currentReplicas"`
		ScaleUpEvents   []vectorEvent `json:"scaleUpEvents"`
		ScaleDownEvents []vectorEvent `json:"scaleDownEvents"`
		Rules           *ScalingRules `json:"rules"`
	}
	var want struct {
		Limit int32 `json:"limit"`
	}
	decodeCase(t, c, &in, &want)

	calc := newVectorCalculator(t, Spec{MinReplicas: 1, MaxReplicas: 1000, Behavior: &Behavior{ScaleUp: in.Rules, ScaleDown: in.Rules}})
	calc.upEvents, calc.downEvents = vectorEvents(in.ScaleUpEvents), vectorEvents(in.ScaleDownEvents)
	var step Step
	if in.Direction == "down" {
		calc.scaleDownLimit(vectorNow, in.Current, &step)
	} else {
		calc.scaleUpLimit(vectorNow, in.Current, &step)
	}
	if step.PolicyLimit != want.Limit {
		t.Errorf("policy limit = %d, want %d", step.PolicyLimit, want.Limit)
	}
}

func checkEventStoreVector(t *testing.T, c vectorCase) {
	var in struct {
		PrevEvents    []vectorEvent `json:"prevEvents"`
		ReplicaChange int32         `json:"replicaChange"`
		Rules         *ScalingRules `json:"behaviorRules"`
	}
	var want struct {
		ChangeWithin60s int64         `json:"replicasChangeWithin60s"`
		EventsAfter     []vectorEvent `json:"eventsAfter"`
	}
	decodeCase(t, c, &in, &want)

	spec := Spec{MinReplicas: 1, MaxReplicas: 1000}
	if in.Rules != nil {
		spec.Behavior = &Behavior{ScaleUp: in.Rules, ScaleDown: in.Rules}
	}
	for _, direction := range []string{"up", "down"} {
		calc := newVectorCalculator(t, spec)
		events := &calc.upEvents
		from, to := int32(10), 10+in.ReplicaChange
		if direction == "down" {
			events, to = &calc.downEvents, 10-in.ReplicaChange
		}
		*events = vectorEvents(in.PrevEvents)

		if got := changeWithin(*events, vectorNow, time.Minute); got != want.ChangeWithin60s {
			t.Errorf("%s: change within 60s = %d, want %d", direction, got, want.ChangeWithin60s)
		}
		calc.recordScaleEvent(vectorNow, from, to)
		if len(*events) != len(want.EventsAfter) {
			t.Fatalf("%s: %d events after, want %d", direction, len(*events), len(want.EventsAfter))
		}
		for i, e := range *events {
			w := want.EventsAfter[i]
			if e.ReplicaChange != w.ReplicaChange || e.outdated != w.Outdated {
				t.Errorf("%s: event %d = change %d outdated %v, want change %d outdated %v", direction, i, e.ReplicaChange, e.outdated, w.ReplicaChange, w.Outdated)
			}
		}
	}
}

type vectorMetric struct {
	Type                string   `json:"type"`
	TargetType          string   `json:"targetType"`
	TargetMilli         int64    `json:"targetMilli"`
	MetricMilliValues   []int64  `json:"metricMilliValues"`
	MetricMilliValue    *int64   `json:"metricMilliValue"`
	PrecomputedProposal *float64 `json:"precomputedProposal"`
	Invalid             bool     `json:"invalid"`
	FetchError          bool     `json:"fetchError"`
}

type vectorController struct {
	Tolerance         float64                 `json:"tolerance"`
	WindowSeconds     int64                   `json:"downscaleStabilizationWindowSeconds"`
	LimitFactor       float64                 `json:"scaleUpLimitFactor"`
	LimitMinimum      float64                 `json:"scaleUpLimitMinimum"`
	Min               int32                   `json:"minReplicas"`
	Max               int32                   `json:"maxReplicas"`
	Spec              int32                   `json:"specReplicas"`
	Status            int32                   `json:"statusReplicas"`
	Ready             int32                   `json:"readyPods"`
	Metrics           []vectorMetric          `json:"metrics"`
	Behavior          *Behavior               `json:"behavior"`
	Recommendations   *[]vectorRecommendation `json:"recommendations"`
	FeatureGates      map[string]bool         `json:"featureGates"`
	InitialConditions []struct {
		Type   string `json:"type"`
		Status string `json:"status"`
	} `json:"initialConditions"`
}

// resourceUsage gives the CPU target and utilization in percent behind the
// precomputed proposals of the controller cases, from their notes.
var resourceUsage = map[string][2]int64{
	"ctl-32": {30, 40},
	"ctl-34": {50, 28},
	"ctl-37": {50, 28},
	"ctl-38": {100, 50},
	"ctl-40": {100, 2000},
}

// vectorResourceMetric builds a Utilization metric over the case's pods:
// ready pods at the utilization of the case, the others unready.
func vectorResourceMetric(id string, in vectorController) Metric {
	usage, ok := resourceUsage[id]
	if !ok {
		usage = [2]int64{50, 50}
	}
	pods := make([]PodUsage, max(in.Status, 1))
	for i := range pods {
		pods[i] = PodUsage{UsageMilli: usage[1] * 10, RequestMilli: 1000, Unready: int32(i) >= in.Ready && in.Ready > 0}
	}
	return Metric{Name: "cpu", Type: UtilizationMetricType, Target: float64(usage[0]), Pods: pods}
}

func vectorControllerMetrics(id string, in vectorController) []Metric {
	var metrics []Metric
	for _, vm := range in.Metrics {
		m := Metric{Name: vm.Type, Type: MetricType(vm.TargetType), ValueMilli: SumMilli(vm.MetricMilliValues...), TargetMilli: vm.TargetMilli}
		if vm.MetricMilliValue != nil {
			m.ValueMilli = *vm.MetricMilliValue
		}
		switch {
		case vm.FetchError:
			m.Err = errors.New("unable to fetch metrics from external metrics API")
		case vm.Invalid:
			m.Type = MetricType(vm.Type)
		case vm.Type == "Resource":
			m = vectorResourceMetric(id, in)
		}
		metrics = append(metrics, m)
	}
	return metrics
}

func checkControllerVector(t *testing.T, c vectorCase) {
	var in vectorController
	var want struct {
		Desired      int32             `json:"desiredReplicas"`
		ScaleUpdated bool              `json:"scaleUpdated"`
		Conditions   map[string]string `json:"conditions"`
		ReturnsError bool              `json:"reconcileReturnsError"`
	}
	decodeCase(t, c, &in, &want)

	window := time.Duration(in.WindowSeconds) * time.Second
	calc := newVectorCalculator(t, Spec{MinReplicas: in.Min, MaxReplicas: in.Max, Tolerance: &in.Tolerance, DownscaleStabilizationWindow: &window, Behavior: in.Behavior})
	calc.scaleUpLimitFactor, calc.scaleUpLimitMinimum = in.LimitFactor, in.LimitMinimum
	if in.Recommendations != nil {
		if err := calc.Restore(vectorNow, History{Recommendations: vectorRecommendations(*in.Recommendations)}); err != nil {
			t.Fatalf("Restore() error = %v", err)
		}
	}
	r := Replicas{Current: in.Spec, Status: in.Status, Ready: in.Ready}
	for _, cond := range in.InitialConditions {
		r.ScaledToZero = in.FeatureGates["HPAScaleToZero"] && cond.Type == "ScaledToZero" && cond.Status == "True"
	}

	d, err := calc.Recommend(vectorNow, vectorControllerMetrics(c.ID, in), r)
	if err != nil && !errors.As(err, new(*InvalidMetricsError)) {
		t.Fatalf("Recommend() error = %v", err)
	}
	explain := d.Explain()
	if d.DesiredReplicas != want.Desired {
		t.Errorf("DesiredReplicas = %d, want %d\n%s", d.DesiredReplicas, want.Desired, explain)
	}
	if updated := d.DesiredReplicas != r.Current; updated != want.ScaleUpdated {
		t.Errorf("scale updated = %v, want %v", updated, want.ScaleUpdated)
	}
	if returnsError := err != nil || d.InvalidMetrics > 0; returnsError != want.ReturnsError {
		t.Errorf("error or invalid metrics = %v, want %v (error %v)", returnsError, want.ReturnsError, err)
	}
	checkConditions(t, d, err, want.Conditions, in.FeatureGates["HPAScaleToZero"])
}

func checkConditions(t *testing.T, d Decision, err error, conditions map[string]string, scaleToZero bool) {
	t.Helper()
	for kind, value := range conditions {
		reason := Reason(value[strings.Index(value, "/")+1:])
		var ok bool
		switch kind {
		case "AbleToScale":
			switch reason {
			case "SucceededRescale":
				ok = d.DesiredReplicas != d.Replicas.Current
			case "SucceededGetScale":
				ok = d.AbleToScale == ""
			default:
				ok = d.AbleToScale == reason
			}
		case "ScalingActive":
			switch reason {
			case ReasonValidMetricFound, ReasonScalingDisabled:
				ok = d.Active == reason
			default:
				ok = d.Active == ReasonInvalidMetrics && err != nil
			}
		case "ScalingLimited":
			ok = d.Limited == reason
		case "ScaledToZero":
			ok = !scaleToZero || d.ScaledToZero == (reason == "ScaledToZero")
		default:
			t.Errorf("condition %s has no check", kind)
			continue
		}
		if !ok {
			t.Errorf("condition %s = %s does not match the decision: Active %s, AbleToScale %s, Limited %s, ScaledToZero %v",
				kind, value, d.Active, d.AbleToScale, d.Limited, d.ScaledToZero)
		}
	}
}
