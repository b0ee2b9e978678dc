package hpa

import (
	"errors"
	"fmt"
	"math"
)

// MetricType selects the rule that compares a metric with its target; the
// values are the autoscaling/v2 names.
type MetricType string

const (
	// AverageValueMetricType compares the metric divided by the replica count
	// with the target. It is KEDA's default for the prometheus trigger.
	AverageValueMetricType MetricType = "AverageValue"
	// ValueMetricType compares the metric itself with the target.
	ValueMetricType MetricType = "Value"
)

// DefaultTolerance is the Kubernetes controller's default tolerance: a usage
// ratio within 10 % of 1 changes nothing.
const DefaultTolerance = 0.1

// Metric is one external metric as the HPA receives it: the current value of a
// query and the target it is compared with (KEDA's threshold).
type Metric struct {
	// Name identifies the metric in explanations, e.g. "s0-prometheus".
	Name string
	// Type selects the AverageValue or Value rule.
	Type MetricType
	// Value is the current metric value, e.g. a query result of 140.
	Value float64
	// Target is the target value (Value) or target average value per
	// replica (AverageValue); it must be at least 0.001, the smallest
	// positive milli-value.
	Target float64
}

// Replicas is the replica state of the scale target.
type Replicas struct {
	// Current is the replica count the workload is set to (the scale
	// subresource's spec.replicas).
	Current int32
	// Status is the number of pods that exist (status.replicas);
	// AverageValue targets divide by it.
	Status int32
	// Ready is the number of ready pods; Value targets multiply by it.
	Ready int32
}

// Proposal is the replica count that one metric requests, with the numbers behind it.
type Proposal struct {
	Metric Metric
	// ValueMilli and TargetMilli are Value and Target in milli-units, as
	// KEDA hands them to the HPA: truncated toward zero.
	ValueMilli, TargetMilli int64
	// Ratio is the usage ratio: value / (target × status replicas) for
	// AverageValue, value / target for Value.
	Ratio float64
	// WithinTolerance reports that Ratio lies in the tolerance band, so the
	// proposal is the current replica count.
	WithinTolerance bool
	// Replicas is the proposed replica count.
	Replicas int32
	// Base is the replica count the rule scaled: status replicas for
	// AverageValue, ready replicas for Value.
	Base int32
	// Tolerance is the tolerance that was applied.
	Tolerance float64
}

// ErrInvalidMetric is wrapped by Propose errors for metrics the HPA cannot use.
var ErrInvalidMetric = errors.New("invalid metric")

// Propose computes the replica count that metric m requests, given the
// target's replicas and the tolerance, as the controller's replica calculator
// does for external metrics.
func Propose(m Metric, r Replicas, tolerance float64) (Proposal, error) {
	p := Proposal{Metric: m, Tolerance: tolerance}
	if err := validateMetric(m); err != nil {
		return p, err
	}
	if tolerance < 0 || math.IsNaN(tolerance) {
		return p, fmt.Errorf("hpa: tolerance %v is negative; use a value of 0 or more, such as %v", tolerance, DefaultTolerance)
	}
	p.ValueMilli = milliFromFloat(m.Value)
	p.TargetMilli = milliFromFloat(m.Target)
	if p.TargetMilli <= 0 {
		return p, fmt.Errorf("hpa: metric %q: target %v is below 0.001, the smallest milli-value: %w", m.Name, m.Target, ErrInvalidMetric)
	}

	switch m.Type {
	case AverageValueMetricType:
		proposeAverageValue(&p, r)
	case ValueMetricType:
		proposeValue(&p, r)
	}
	return p, nil
}

// proposeAverageValue follows the per-pod external metric rule: the ratio is
// taken against status replicas, and outside the band the proposal is
// ceil(value / target), whatever the current count.
func proposeAverageValue(p *Proposal, r Replicas) {
	p.Base = r.Status
	p.Replicas = r.Current
	p.Ratio = float64(p.ValueMilli) / (float64(p.TargetMilli) * float64(r.Status))
	p.WithinTolerance = withinTolerance(p.Ratio, p.Tolerance)
	if p.WithinTolerance {
		return
	}
	p.Replicas = ceilReplicas(float64(p.ValueMilli) / float64(p.TargetMilli))
}

// proposeValue follows the external metric rule: from zero replicas the
// proposal is ceil(ratio); otherwise a ratio outside the band scales the
// ready pod count.
func proposeValue(p *Proposal, r Replicas) {
	p.Base = r.Ready
	p.Ratio = float64(p.ValueMilli) / float64(p.TargetMilli)
	if r.Current == 0 {
		p.Base = 0
		p.Replicas = ceilReplicas(p.Ratio)
		return
	}

	p.Replicas = r.Current
	p.WithinTolerance = withinTolerance(p.Ratio, p.Tolerance)
	if p.WithinTolerance {
		return
	}
	p.Replicas = ceilReplicas(p.Ratio * float64(r.Ready))
}

func validateMetric(m Metric) error {
	switch m.Type {
	case AverageValueMetricType, ValueMetricType:
	default:
		return fmt.Errorf("hpa: metric %q: type %q is not supported; use %q or %q: %w",
			m.Name, m.Type, AverageValueMetricType, ValueMetricType, ErrInvalidMetric)
	}
	if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
		return fmt.Errorf("hpa: metric %q: value %v is not a finite number: %w", m.Name, m.Value, ErrInvalidMetric)
	}
	if math.IsNaN(m.Target) || math.IsInf(m.Target, 0) || m.Target <= 0 {
		return fmt.Errorf("hpa: metric %q: target %v must be a finite number above 0: %w", m.Name, m.Target, ErrInvalidMetric)
	}
	return nil
}

// withinTolerance is the controller's in-band test, inclusive at both ends.
func withinTolerance(ratio, tolerance float64) bool {
	return 1-tolerance <= ratio && ratio <= 1+tolerance
}

// milliFromFloat converts a value to milli-units the way KEDA builds the
// metric quantity (int64(v * 1000), truncating toward zero), saturating
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

// ceilReplicas rounds a replica count up, saturating at MaxInt32 and never
// going below 0.
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
