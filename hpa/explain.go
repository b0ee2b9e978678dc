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
	if p.WithinTolerance {
		return fmt.Sprintf("ratio %s is within [%s, %s], so replicas stay at %d",
			formatNumber(p.Ratio), formatNumber(1-p.Tolerance), formatNumber(1+p.Tolerance), p.Replicas)
	}
	switch p.Metric.Type {
	case AverageValueMetricType:
		return fmt.Sprintf("ceil(%s / %s) = %d", formatMilli(p.ValueMilli), formatMilli(p.TargetMilli), p.Replicas)
	case ValueMetricType:
		if p.Base == 0 {
			return fmt.Sprintf("ceil(%s) = %d", formatNumber(p.Ratio), p.Replicas)
		}
		return fmt.Sprintf("ceil(%d * (%s / %s)) = %d", p.Base, formatMilli(p.ValueMilli), formatMilli(p.TargetMilli), p.Replicas)
	}
	return ""
}

// PerReplicaFormula returns the AverageValue arithmetic written with the
// average per replica, e.g. "ceil(2 * (70 / 50)) = 3": the Kubernetes
// documentation's desired = ceil(current × currentMetric / desiredMetric).
// It returns "" for Value metrics, inside the tolerance band, and when no
// replica exists to average over.
func (p Proposal) PerReplicaFormula() string {
	if p.Metric.Type != AverageValueMetricType || p.WithinTolerance || p.Base <= 0 {
		return ""
	}
	average := float64(p.ValueMilli) / 1000 / float64(p.Base)
	return fmt.Sprintf("ceil(%d * (%s / %s)) = %d", p.Base, formatNumber(average), formatMilli(p.TargetMilli), p.Replicas)
}

// RatioFormula returns how the usage ratio was computed, e.g.
// "ratio = 140 / (50 * 2) = 1.4".
func (p Proposal) RatioFormula() string {
	if p.Metric.Type == AverageValueMetricType {
		return fmt.Sprintf("ratio = %s / (%s * %d) = %s", formatMilli(p.ValueMilli), formatMilli(p.TargetMilli), p.Base, formatNumber(p.Ratio))
	}
	return fmt.Sprintf("ratio = %s / %s = %s", formatMilli(p.ValueMilli), formatMilli(p.TargetMilli), formatNumber(p.Ratio))
}

// String returns the whole arithmetic of the proposal, e.g.
// "ratio = 140 / (50 * 2) = 1.4 -> ceil(140 / 50) = 3 = ceil(2 * (70 / 50))".
func (p Proposal) String() string {
	var b strings.Builder
	if p.Metric.Name != "" {
		b.WriteString(p.Metric.Name + ": ")
	}
	b.WriteString(p.RatioFormula() + " -> " + p.Formula())
	if per := p.PerReplicaFormula(); per != "" {
		b.WriteString(" = " + strings.TrimSuffix(per, fmt.Sprintf(" = %d", p.Replicas)))
	}
	return b.String()
}

// Explain returns the decision as text: one line per metric proposal, then
// one line per rule that changed the count, then the outcome.
func (d Decision) Explain() string {
	var b strings.Builder
	for _, p := range d.Proposals {
		b.WriteString(p.String() + "\n")
	}
	for _, s := range d.Steps {
		fmt.Fprintf(&b, "%s: %d -> %d, %s\n", s.Reason, s.From, s.To, s.Detail)
	}
	fmt.Fprintf(&b, "desired replicas: %d (current %d, %s)", d.DesiredReplicas, d.Replicas.Current, d.Reason())
	return b.String()
}

func formatMilli(milli int64) string {
	return formatNumber(float64(milli) / 1000)
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
