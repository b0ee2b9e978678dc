package hpa

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Formula returns the arithmetic of the proposal in one line, e.g.
// "ceil(140 / 50) = 3" for an AverageValue metric of 140 with target 50.
// Inside the tolerance band it states that the current count is kept.
func (p Proposal) Formula() string {
	switch {
	case p.Err != nil:
		return "invalid: " + metricProblem(p.Err)
	case p.WithinTolerance:
		return fmt.Sprintf("ratio %s is within [%s, %s], so replicas stay at %d",
			formatNumber(p.Ratio), formatNumber(1-p.Tolerances.ScaleDown), formatNumber(1+p.Tolerances.ScaleUp), p.Replicas)
	}
	switch p.Metric.Type {
	case AverageValueMetricType:
		return fmt.Sprintf("ceil(%s / %s) = %d", formatMilli(p.ValueMilli), formatMilli(p.TargetMilli), p.Replicas)
	case ValueMetricType:
		if p.FromZero {
			return fmt.Sprintf("ceil(%s / %s) = %d", formatMilli(p.ValueMilli), formatMilli(p.TargetMilli), p.Replicas)
		}
		return fmt.Sprintf("ceil(%d × (%s / %s)) = %d", p.Base, formatMilli(p.ValueMilli), formatMilli(p.TargetMilli), p.Replicas)
	case UtilizationMetricType:
		return fmt.Sprintf("ceil(%d × %s) = %d", p.Base, formatNumber(p.Ratio), p.Replicas)
	}
	return ""
}

// PerReplicaFormula returns the AverageValue arithmetic written with the
// average per replica, e.g. "ceil(2 × (70 / 50)) = 3": the Kubernetes
// documentation's desired = ceil(current × currentMetric / desiredMetric).
// It returns "" for other types, inside the tolerance band, and when no
// replica exists to average over.
func (p Proposal) PerReplicaFormula() string {
	if p.Metric.Type != AverageValueMetricType || p.Err != nil || p.WithinTolerance || p.Base <= 0 {
		return ""
	}
	average := float64(p.ValueMilli) / 1000 / float64(p.Base)
	return fmt.Sprintf("ceil(%d × (%s / %s)) = %d", p.Base, formatNumber(average), formatMilli(p.TargetMilli), p.Replicas)
}

// RatioFormula returns how the usage ratio was computed, e.g.
// "ratio = 140 / (50 × 2) = 1.4".
func (p Proposal) RatioFormula() string {
	switch p.Metric.Type {
	case AverageValueMetricType:
		return fmt.Sprintf("ratio = %s / (%s × %d) = %s", formatMilli(p.ValueMilli), formatMilli(p.TargetMilli), p.Base, formatNumber(p.Ratio))
	case UtilizationMetricType:
		return fmt.Sprintf("ratio = %d%% / %s%% = %s", p.Utilization, formatMilli(p.TargetMilli), formatNumber(p.Ratio))
	}
	return fmt.Sprintf("ratio = %s / %s = %s", formatMilli(p.ValueMilli), formatMilli(p.TargetMilli), formatNumber(p.Ratio))
}

// String returns the whole arithmetic of the proposal, e.g.
// "s0-prometheus: ratio = 140 / (50 × 2) = 1.4 → desired = ceil(1.4 × 2) = 3".
func (p Proposal) String() string {
	var b strings.Builder
	if p.Metric.Name != "" {
		b.WriteString(p.Metric.Name + ": ")
	}
	if p.Err != nil {
		b.WriteString(p.Formula())
		return b.String()
	}

	p.writeCapNotes(&b)
	switch {
	case p.WithinTolerance:
		b.WriteString(p.RatioFormula() + " → " + strings.TrimPrefix(p.Formula(), "ratio "+formatNumber(p.Ratio)+" is "))
	default:
		b.WriteString(p.RatioFormula() + " → desired = " + p.desiredFormula())
	}
	return b.String()
}

// writeCapNotes states each float value or target that Propose capped at the
// int64 range in milli-units, so the capped number in the arithmetic is not
// mistaken for the metric's value.
func (p Proposal) writeCapNotes(b *strings.Builder) {
	if p.Metric.TargetMilli != 0 || p.Metric.Type == UtilizationMetricType {
		return
	}
	if milliSaturates(p.Metric.Value) {
		fmt.Fprintf(b, "value %v exceeds the int64 range in milli-units and is capped at %s; ", p.Metric.Value, formatMilli(p.ValueMilli))
	}
	if milliSaturates(p.Metric.Target) {
		fmt.Fprintf(b, "target %v exceeds the int64 range in milli-units and is capped at %s; ", p.Metric.Target, formatMilli(p.TargetMilli))
	}
}

// desiredFormula writes the proposal as ceil(ratio × base) when the rounded
// ratio gives the same count, and as the exact quotient otherwise.
func (p Proposal) desiredFormula() string {
	switch {
	case p.FromZero:
		return p.Formula()
	case p.Base > 0:
		rounded, _ := strconv.ParseFloat(formatNumber(p.Ratio), 64)
		if ceilReplicas(rounded*float64(p.Base)) == p.Replicas {
			return fmt.Sprintf("ceil(%s × %d) = %d", formatNumber(p.Ratio), p.Base, p.Replicas)
		}
	}
	if p.Metric.Type == AverageValueMetricType {
		return p.Formula()
	}
	return fmt.Sprintf("ceil(%s × %d) = %d", formatNumber(p.Ratio), p.Base, p.Replicas)
}

// Detail returns why the step changed the count, in a short clause.
func (s Step) Detail() string {
	switch s.Reason {
	case ReasonScaleUpStabilized:
		return fmt.Sprintf("the lowest recommendation of the last %s (behavior.scaleUp.stabilizationWindowSeconds) was %d, and replicas do not go below the current %d",
			formatSeconds(s.Window.Seconds()), s.Recommendation, s.Current)
	case ReasonScaleDownStabilized:
		if !s.Behavior {
			return fmt.Sprintf("the highest recommendation of the last %s was %d", formatSeconds(s.Window.Seconds()), s.Recommendation)
		}
		return fmt.Sprintf("the highest recommendation of the last %s (behavior.scaleDown.stabilizationWindowSeconds) was %d, and replicas do not go above the current %d",
			formatSeconds(s.Window.Seconds()), s.Recommendation, s.Current)
	case ReasonTooFewReplicas:
		if s.OutOfRange {
			return fmt.Sprintf("current replicas are below minReplicas %d", s.Bound)
		}
		return fmt.Sprintf("minReplicas is %d", s.Bound)
	case ReasonTooManyReplicas:
		if s.OutOfRange {
			return fmt.Sprintf("current replicas are above maxReplicas %d", s.Bound)
		}
		return fmt.Sprintf("maxReplicas is %d", s.Bound)
	case ReasonScaleUpLimit, ReasonScaleDownLimit:
		if !s.Behavior {
			return fmt.Sprintf("a scale-up without behavior reaches at most max(%s × %d, %s) = %d",
				formatNumber(s.LimitFactor), s.Current, formatNumber(s.LimitMinimum), s.Bound)
		}
		return s.policyDetail()
	}
	return ""
}

// policyDetail explains a limit set by behavior policies.
func (s Step) policyDetail() string {
	direction := "scaleUp"
	if s.Reason == ReasonScaleDownLimit {
		direction = "scaleDown"
	}
	if s.Select == DisabledPolicySelect {
		return fmt.Sprintf("behavior.%s.selectPolicy is Disabled", direction)
	}

	noun := "replicas"
	if s.PeriodStart == 1 {
		noun = "replica"
	}
	text := fmt.Sprintf("behavior.%s policy %s %d per %ds (selectPolicy %s) from %d %s at the period start allows %s",
		direction, s.Policy.Type, s.Policy.Value, s.Policy.PeriodSeconds, s.Select, s.PeriodStart, noun, s.policyArithmetic())
	if s.PolicyLimit != s.Bound {
		text += fmt.Sprintf(", so replicas stay at the current %d until earlier changes leave the period", s.Current)
	}
	return text
}

func (s Step) policyArithmetic() string {
	value := float64(s.Policy.Value) / 100
	switch {
	case s.Reason == ReasonScaleUpLimit && s.Policy.Type == PodsScalingPolicy:
		return fmt.Sprintf("%d + %d = %d", s.PeriodStart, s.Policy.Value, s.PolicyLimit)
	case s.Reason == ReasonScaleUpLimit:
		return fmt.Sprintf("ceil(%d × %s) = %d", s.PeriodStart, formatNumber(1+value), s.PolicyLimit)
	case s.Policy.Type == PodsScalingPolicy:
		return fmt.Sprintf("%d - %d = %d", s.PeriodStart, s.Policy.Value, s.PolicyLimit)
	}
	return fmt.Sprintf("trunc(%d × %s) = %d", s.PeriodStart, formatNumber(1-value), s.PolicyLimit)
}

// Explain returns the decision as text: one line per metric proposal, then
// one line per rule that changed the count, then the outcome.
func (d Decision) Explain() string {
	var b strings.Builder
	if d.Active == ReasonScalingDisabled {
		return "scaling is disabled because the target has 0 replicas: desired replicas: 0 (ScalingDisabled)"
	}
	for _, p := range d.Proposals() {
		b.WriteString(p.String() + "\n")
	}
	for _, s := range d.steps[:d.nSteps] {
		fmt.Fprintf(&b, "%s: %d → %d, %s\n", s.Reason, s.From, s.To, s.Detail())
	}
	if d.Active == ReasonInvalidMetrics {
		total := d.nProposals + len(d.extra)
		if total == 0 {
			fmt.Fprintf(&b, "no metrics to compute from: replicas stay at %d", d.DesiredReplicas)
			return b.String()
		}
		fmt.Fprintf(&b, "%d of %d metrics invalid: replicas stay at %d", d.InvalidMetrics, total, d.DesiredReplicas)
		return b.String()
	}
	fmt.Fprintf(&b, "desired replicas: %d (current %d, %s)", d.DesiredReplicas, d.Replicas.Current, d.Reason())
	return b.String()
}

func formatMilli(milli int64) string {
	return formatNumber(float64(milli) / 1000)
}

// formatSeconds prints a window as the API field does, in seconds.
func formatSeconds(seconds float64) string {
	return formatNumber(seconds) + "s"
}

// formatNumber prints whole numbers without a fraction and others with up to
// four decimals, so explanations read like hand arithmetic.
func formatNumber(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'f', -1, 64)
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64)
}
