package hpa

import (
	"fmt"
	"math"

	"k8s.io/apimachinery/pkg/api/resource"
)

// MetricType selects the rule that compares a metric with its target. Its
// values are the autoscaling/v2 target type names.
type MetricType string

const (
	// AverageValueMetricType compares the metric divided by the status
	// replica count with the target. It is KEDA's default for the prometheus
	// trigger.
	AverageValueMetricType MetricType = "AverageValue"
	// ValueMetricType compares the metric itself with the target and scales
	// the ready pod count.
	ValueMetricType MetricType = "Value"
	// UtilizationMetricType compares the pods' resource usage, as a whole
	// percentage of their requests, with a target percentage.
	UtilizationMetricType MetricType = "Utilization"
)

// DefaultTolerance is the Kubernetes controller's default tolerance
// (--horizontal-pod-autoscaler-tolerance): a usage ratio within 10 % of 1
// changes nothing.
const DefaultTolerance = 0.1

// Metric is one metric as the HPA receives it: the current value and the
// target it is compared with.
//
// A value reaches the calculator in one of two ways. KEDA hands the HPA a
// float64 query result converted with int64(v × 1000), so Value and Target
// are truncated to milli-units the same way. A metric read from a Kubernetes
// metrics API is already a resource.Quantity: set ValueMilli and TargetMilli
// instead (MilliFromQuantity converts a quantity string as
// Quantity.MilliValue does, rounding up), and Value and Target are ignored.
type Metric struct {
	// Name identifies the metric in explanations, e.g. "s0-prometheus".
	Name string
	// Type selects the AverageValue, Value or Utilization rule.
	Type MetricType
	// Value is the current metric value, e.g. a query result of 140. It is
	// unused for Utilization.
	Value float64
	// Target is the target value (Value), the target average value per
	// replica (AverageValue) or the target utilization in whole percent
	// (Utilization). Value and AverageValue targets must be at least 0.001,
	// the smallest positive milli-value.
	Target float64
	// TargetMilli, when not 0, selects exact milli-unit input: the target in
	// milli-units, with the current value in ValueMilli.
	TargetMilli int64
	// ValueMilli is the current value in milli-units when TargetMilli is set.
	// An external metric with several series is their sum (see SumMilli).
	ValueMilli int64
	// Pods holds the per-pod usage and requests of a Utilization metric.
	Pods []PodUsage
	// Err marks the metric as invalid, e.g. because its query failed. The
	// HPA's rules for invalid metrics then apply.
	Err error
}

// PodUsage is one pod's resource usage and request for a Utilization metric.
// Leave out pods that are being deleted or have failed, as the HPA ignores
// them.
type PodUsage struct {
	// UsageMilli is the pod's usage in milli-units, e.g. millicores.
	UsageMilli int64
	// RequestMilli is the sum of the pod's container requests in the same
	// unit, above 0.
	RequestMilli int64
	// Unready reports a pending pod, or a pod whose readiness the HPA does
	// not trust yet. Such a pod counts only to damp a scale-up.
	Unready bool
	// Missing reports that the metrics API returned no sample for the pod.
	Missing bool
}

// Replicas is the replica state of the scale target.
type Replicas struct {
	// Current is the replica count the workload is set to (the scale
	// subresource's spec.replicas).
	Current int32
	// Status is the number of pods that exist (status.replicas), which
	// AverageValue targets divide by.
	Status int32
	// Ready is the number of ready pods, which Value targets multiply by.
	Ready int32
	// ScaledToZero reports that this autoscaler itself scaled the target to
	// zero (the HPA's ScaledToZero condition with the HPAScaleToZero feature).
	// Only then are metrics computed at 0 replicas, and only when
	// MinReplicas is above 0 or a metric has a Value or AverageValue target.
	// Otherwise 0 replicas disables scaling.
	ScaledToZero bool
}

// Tolerances are the half-widths of the band around a usage ratio of 1 in
// which the current count is kept: 1 - ScaleDown <= ratio <= 1 + ScaleUp.
type Tolerances struct {
	ScaleDown float64
	ScaleUp   float64
}

// Within reports whether ratio lies inside the band, both ends included.
func (t Tolerances) Within(ratio float64) bool {
	return 1-t.ScaleDown <= ratio && ratio <= 1+t.ScaleUp
}

// Proposal is the replica count that one metric requests, with the numbers
// behind it.
type Proposal struct {
	Metric Metric
	// ValueMilli and TargetMilli are the value and target in milli-units.
	// For Utilization ValueMilli is the usage total of the counted pods.
	ValueMilli, TargetMilli int64
	// UsageMilli is the usage the HPA reports in the metric status: the
	// value for Value targets and the average per status replica (rounded
	// up, 0 without replicas) for AverageValue targets.
	UsageMilli int64
	// Utilization is the usage in whole percent of the requests
	// (Utilization only).
	Utilization int32
	// Ratio is the usage ratio: value / target for Value, value / (target ×
	// status replicas) for AverageValue, utilization / target for
	// Utilization.
	Ratio float64
	// WithinTolerance reports that Ratio lies in the tolerance band, so the
	// proposal is the current replica count.
	WithinTolerance bool
	// FromZero reports a Value proposal at 0 replicas: ceil(ratio) without a
	// tolerance band.
	FromZero bool
	// Replicas is the proposed replica count.
	Replicas int32
	// Base is the replica count the rule scaled: ready pods for Value,
	// status replicas for AverageValue, counted pods for Utilization.
	Base int32
	// Tolerances are the tolerances that were applied.
	Tolerances Tolerances
	// Err is set when the metric is invalid. The other fields are then
	// incomplete and Replicas is 0.
	Err error
}

// Propose computes the replica count that metric m requests, given the
// target's replicas and the tolerances, as the controller's replica
// calculator does. An invalid metric gives a *MetricError, which matches
// ErrInvalidMetric.
func Propose(m Metric, r Replicas, t Tolerances) (Proposal, error) {
	p := Proposal{Metric: m, Tolerances: t}
	if err := validateMetric(m); err != nil {
		return p, err
	}
	if m.Type == UtilizationMetricType {
		return p, proposeUtilization(&p, r)
	}

	p.ValueMilli, p.TargetMilli = m.ValueMilli, m.TargetMilli
	if m.TargetMilli == 0 {
		p.ValueMilli, p.TargetMilli = milliFromFloat(m.Value), milliFromFloat(m.Target)
	}
	if p.TargetMilli <= 0 {
		return p, invalidMetric(m.Name, "target %v is below 0.001, the smallest milli-value; raise it", m.Target)
	}
	if m.Type == AverageValueMetricType {
		proposeAverageValue(&p, r)
		return p, nil
	}
	return p, proposeValue(&p, r)
}

// proposeAverageValue follows the per-pod rule for external and object
// metrics: the ratio is taken against status replicas, the band keeps the
// status count, and outside it the proposal is ceil(value / target).
func proposeAverageValue(p *Proposal, r Replicas) {
	p.Base = r.Status
	p.Replicas = r.Status
	p.Ratio = float64(p.ValueMilli) / (float64(p.TargetMilli) * float64(r.Status))
	p.WithinTolerance = p.Tolerances.Within(p.Ratio)
	if !p.WithinTolerance {
		p.Replicas = ceilReplicas(float64(p.ValueMilli) / float64(p.TargetMilli))
	}
	if r.Status > 0 {
		p.UsageMilli = ceilInt64(float64(p.ValueMilli) / float64(r.Status))
	}
}

// proposeValue follows the rule for external and object metrics with a
// Value target. At 0 replicas the proposal is ceil(ratio), and otherwise a
// ratio outside the band scales the ready pod count.
func proposeValue(p *Proposal, r Replicas) error {
	p.UsageMilli = p.ValueMilli
	p.Ratio = float64(p.ValueMilli) / float64(p.TargetMilli)
	if r.Current == 0 {
		p.FromZero = true
		p.Replicas = ceilReplicas(p.Ratio)
		return nil
	}

	p.Base = r.Ready
	p.Replicas = r.Current
	p.WithinTolerance = p.Tolerances.Within(p.Ratio)
	if p.WithinTolerance {
		return nil
	}
	if r.Status == 0 {
		return invalidMetric(p.Metric.Name, "no pods exist to count ready pods from; report status replicas")
	}
	p.Replicas = ceilReplicas(p.Ratio * float64(r.Ready))
	return nil
}

func validateMetric(m Metric) error {
	if m.Err != nil {
		return &MetricError{Name: m.Name, Err: m.Err}
	}
	switch m.Type {
	case AverageValueMetricType, ValueMetricType:
	case UtilizationMetricType:
		return validateUtilization(m)
	case "":
		return invalidMetric(m.Name, "type is missing; set %q, %q or %q", AverageValueMetricType, ValueMetricType, UtilizationMetricType)
	default:
		return invalidMetric(m.Name, "type %q is not supported; use %q, %q or %q", m.Type, AverageValueMetricType, ValueMetricType, UtilizationMetricType)
	}
	if m.TargetMilli != 0 {
		if m.TargetMilli < 0 {
			return invalidMetric(m.Name, "target %dm is negative; use a target above 0", m.TargetMilli)
		}
		return nil
	}
	if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
		return invalidMetric(m.Name, "value %v is not a finite number", m.Value)
	}
	if math.IsNaN(m.Target) || math.IsInf(m.Target, 0) || m.Target <= 0 {
		return invalidMetric(m.Name, "target %v must be a finite number above 0", m.Target)
	}
	return nil
}

// MilliFromQuantity parses a Kubernetes quantity such as "50", "500m" or
// "1.5k" and returns it in milli-units as resource.Quantity.MilliValue does:
// a fraction below one milli-unit rounds up, away from zero.
func MilliFromQuantity(s string) (int64, error) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return 0, fmt.Errorf("hpa: quantity %q: %w; write a number with an optional suffix such as m or k", s, err)
	}
	return q.MilliValue(), nil
}

// SumMilli adds milli-values as the HPA sums the series of an external
// metric, saturating at the int64 limits instead of overflowing.
func SumMilli(values ...int64) int64 {
	var sum int64
	for _, v := range values {
		sum = addSaturated(sum, v)
	}
	return sum
}

func addSaturated(a, b int64) int64 {
	s := a + b
	switch {
	case a > 0 && b > 0 && s < 0:
		return math.MaxInt64
	case a < 0 && b < 0 && s >= 0:
		return math.MinInt64
	}
	return s
}

// milliFromFloat converts a value to milli-units the way KEDA builds the
// metric quantity (int64(v × 1000), truncating toward zero), saturating
// instead of overflowing. Callers reject NaN and ±Inf before.
func milliFromFloat(v float64) int64 {
	milli := v * 1000
	switch {
	case milli >= math.MaxInt64:
		return math.MaxInt64
	case milli <= math.MinInt64:
		return math.MinInt64
	}
	return int64(milli)
}

// milliSaturates reports whether milliFromFloat caps v at an int64 limit.
func milliSaturates(v float64) bool {
	milli := v * 1000
	return milli >= math.MaxInt64 || milli <= math.MinInt64
}

// ceilReplicas rounds a replica count up, saturating at MaxInt32 and never
// going below 0. NaN gives 0.
func ceilReplicas(v float64) int32 {
	c := math.Ceil(v)
	switch {
	case math.IsNaN(c) || c <= 0:
		return 0
	case c >= math.MaxInt32:
		return math.MaxInt32
	}
	return int32(c)
}

// ceilInt64 rounds up, saturating at the int64 limits. NaN gives 0.
func ceilInt64(v float64) int64 {
	c := math.Ceil(v)
	switch {
	case math.IsNaN(c):
		return 0
	case c >= math.MaxInt64:
		return math.MaxInt64
	case c <= math.MinInt64:
		return math.MinInt64
	}
	return int64(c)
}
