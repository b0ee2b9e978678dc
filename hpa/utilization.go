package hpa

import (
	"math"
	"math/bits"
)

func validateUtilization(m Metric) error {
	if math.IsNaN(m.Target) || m.Target < 1 || m.Target > math.MaxInt32 || m.Target != math.Trunc(m.Target) {
		return invalidMetric(m.Name, "target utilization %v must be a whole percentage of at least 1", m.Target)
	}
	if len(m.Pods) == 0 {
		return invalidMetric(m.Name, "no pods to compute utilization from; list the target's pods")
	}
	for i, pod := range m.Pods {
		if pod.RequestMilli <= 0 {
			return invalidMetric(m.Name, "pod %d has request %dm; utilization needs a request above 0 on every pod", i, pod.RequestMilli)
		}
		if pod.UsageMilli < 0 {
			return invalidMetric(m.Name, "pod %d has negative usage %dm", i, pod.UsageMilli)
		}
	}
	return nil
}

// podFill is the choice of which pods without a trusted sample count in a
// second pass.
type podFill struct {
	missing, unready bool
}

// utilizationTotals sums usage and requests over the counted pods. Ready pods
// with a sample always count. Missing and unready pods count when fill
// selects them, with the usage it assigns.
func utilizationTotals(pods []PodUsage, fill podFill, target int64) (usage, requests int64, counted int32) {
	for _, pod := range pods {
		value := pod.UsageMilli
		switch {
		case pod.Unready:
			if !fill.unready {
				continue
			}
			value = 0
		case pod.Missing:
			if !fill.missing {
				continue
			}
			value = 0
			if target > 0 {
				value = saturatedPercentOf(pod.RequestMilli, target)
			}
		}
		usage = addSaturated(usage, value)
		requests = addSaturated(requests, pod.RequestMilli)
		counted++
	}
	return usage, requests, counted
}

// saturatedPercentOf returns request × percent / 100 for non-negative
// operands, computed in 128 bits and capped at MaxInt64.
func saturatedPercentOf(request, percent int64) int64 {
	if request <= 0 || percent <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(request), uint64(percent))
	if hi >= 100 {
		return math.MaxInt64
	}
	quotient, _ := bits.Div64(hi, lo, 100)
	return int64(min(quotient, math.MaxInt64))
}

// utilizationRatio returns the usage in whole percent of the requests, as
// the HPA truncates it, and that percentage over the target.
func utilizationRatio(usage, requests int64, target int32) (int32, float64) {
	percent := float64(usage) * 100 / float64(requests)
	if usage <= math.MaxInt64/100 {
		percent = float64(usage * 100 / requests)
	}
	utilization := int32(min(math.Trunc(percent), math.MaxInt32))
	return utilization, float64(utilization) / float64(target)
}

// proposeUtilization follows the resource metric rule. Ready pods with a
// sample give the first ratio. A second pass runs when pods are missing a
// sample, or some are unready on a scale-up. It counts unready pods at 0 and
// missing pods at 0 on a scale-up, or at the fallback usage (the larger of
// 100 % and the target) on a scale-down. The current count is kept when that pass
// lands in the band or reverses the direction of the first.
func proposeUtilization(p *Proposal, r Replicas) error {
	target := int32(p.Metric.Target)
	usage, requests, counted := utilizationTotals(p.Metric.Pods, podFill{}, 0)
	if counted == 0 {
		return invalidMetric(p.Metric.Name, "no ready pod has a sample (pods might be unready)")
	}
	p.Utilization, p.Ratio = utilizationRatio(usage, requests, target)
	p.ValueMilli, p.TargetMilli, p.UsageMilli = usage, int64(target)*1000, usage/int64(counted)
	p.Base, p.Replicas = counted, r.Current

	missing, unready := countFlags(p.Metric.Pods)
	scaleUpWithUnready := unready > 0 && p.Ratio > 1
	if !scaleUpWithUnready && missing == 0 {
		p.WithinTolerance = p.Tolerances.Within(p.Ratio)
		if !p.WithinTolerance {
			p.Replicas = ceilReplicas(p.Ratio * float64(counted))
		}
		return nil
	}

	fill := podFill{missing: missing > 0 && p.Ratio != 1, unready: scaleUpWithUnready}
	fallback := int64(0)
	if p.Ratio < 1 {
		fallback = max(100, int64(target))
	}
	usage, requests, counted = utilizationTotals(p.Metric.Pods, fill, fallback)
	_, ratio := utilizationRatio(usage, requests, target)
	if p.Tolerances.Within(ratio) || (p.Ratio < 1 && ratio > 1) || (p.Ratio > 1 && ratio < 1) {
		p.WithinTolerance = p.Tolerances.Within(ratio)
		return nil
	}
	proposed := ceilReplicas(ratio * float64(counted))
	if (ratio < 1 && proposed > r.Current) || (ratio > 1 && proposed < r.Current) {
		return nil
	}
	p.Ratio, p.Base, p.Replicas = ratio, counted, proposed
	return nil
}

func countFlags(pods []PodUsage) (missing, unready int) {
	for _, pod := range pods {
		switch {
		case pod.Unready:
			unready++
		case pod.Missing:
			missing++
		}
	}
	return missing, unready
}
