package scaler

import (
	"fmt"
	"math"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/promscaler/promscaler/hpa"
)

// replicas returns the fallback count F for a workload at current replicas.
func (f Fallback) replicas(current int32) int32 {
	switch f.behavior() {
	case FallbackCurrentReplicas:
		return current
	case FallbackCurrentReplicasIfHigher:
		return max(current, f.Replicas)
	case FallbackCurrentReplicasIfLower:
		return min(current, f.Replicas)
	}
	return f.Replicas
}

// explainReplicas shows how the behavior turns the current count into the
// fallback count F.
func (f Fallback) explainReplicas(current, replicas int32) string {
	switch b := f.behavior(); b {
	case FallbackCurrentReplicas:
		return fmt.Sprintf("behavior %s: the current count %d", b, current)
	case FallbackCurrentReplicasIfHigher:
		return fmt.Sprintf("behavior %s: max(current %d, fallback.replicas %d) = %d", b, current, f.Replicas, replicas)
	case FallbackCurrentReplicasIfLower:
		return fmt.Sprintf("behavior %s: min(current %d, fallback.replicas %d) = %d", b, current, f.Replicas, replicas)
	default:
		return fmt.Sprintf("behavior %s: fallback.replicas %d", b, f.Replicas)
	}
}

// fallbackMetric is the metric that replaces a trigger in fallback. Like
// KEDA's, its value is F × target. It is always an AverageValue metric in
// exact milli-units, so its proposal is ceil(F × target / target) = F, for
// Value triggers too and without KEDA's division by the ready pods.
func fallbackMetric(name string, target float64, replicas int32) hpa.Metric {
	targetMilli := int64(1000)
	if milli := target * 1000; milli >= 1 && milli < float64(math.MaxInt64)/float64(max(replicas, 1)) {
		targetMilli = int64(milli)
	}
	return hpa.Metric{Name: name, Type: hpa.AverageValueMetricType, TargetMilli: targetMilli, ValueMilli: int64(replicas) * targetMilli}
}

// recommend runs the HPA. A fallback count F inside the tolerance band
// around the current count is not proposed: with KEDA, current 10 and F 11
// keep 10 replicas. In that case recommend runs a copy of the calculator
// with a tolerance of 0 on the same history, so the proposal is F and the
// windows and policies still apply.
func (s *Scaler) recommend(now time.Time, metrics []hpa.Metric, d *Decision) (hpa.Decision, error) {
	defer func() { s.calcSeeded = true }()
	if !d.InFallback || !s.toleranceHidesFallback(metrics, d) {
		return s.calc.Recommend(now, metrics, d.Replicas)
	}

	// NOTE: In such a poll the other triggers' metrics are read without
	// the tolerance band too.
	exact, err := hpa.NewCalculator(zeroTolerance(s.calc.Spec()))
	if err != nil {
		return hpa.Decision{Time: now, Replicas: d.Replicas, DesiredReplicas: d.Replicas.Current}, err
	}
	if s.calcSeeded {
		if err := exact.Restore(now, s.calc.History()); err != nil {
			return hpa.Decision{Time: now, Replicas: d.Replicas, DesiredReplicas: d.Replicas.Current}, err
		}
	}
	hd, recommendErr := exact.Recommend(now, metrics, d.Replicas)
	if err := s.calc.Restore(now, exact.History()); err != nil {
		return hpa.Decision{Time: now, Replicas: d.Replicas, DesiredReplicas: d.Replicas.Current}, err
	}
	d.note("fallback: the HPA ran with a tolerance of 0, so the fallback count %d is proposed exactly", d.FallbackReplicas)
	return hd, recommendErr
}

// toleranceHidesFallback reports whether the calculator's tolerance band
// would turn the fallback proposal into a count other than F.
func (s *Scaler) toleranceHidesFallback(metrics []hpa.Metric, d *Decision) bool {
	tolerances := specTolerances(s.calc.Spec())
	for _, m := range metrics {
		if m.TargetMilli == 0 {
			continue
		}
		p, err := hpa.Propose(m, d.Replicas, tolerances)
		if err == nil && p.Replicas != d.FallbackReplicas {
			return true
		}
	}
	return false
}

// specTolerances returns the tolerance band a Calculator built from spec
// applies: the controller flag, replaced per direction by the behavior's
// tolerance when set.
func specTolerances(spec hpa.Spec) hpa.Tolerances {
	t := hpa.DefaultTolerance
	if spec.Tolerance != nil {
		t = *spec.Tolerance
	}
	tolerances := hpa.Tolerances{ScaleDown: t, ScaleUp: t}
	if b := spec.Behavior; b != nil {
		if b.ScaleUp != nil && b.ScaleUp.Tolerance != nil {
			tolerances.ScaleUp = b.ScaleUp.Tolerance.AsApproximateFloat64()
		}
		if b.ScaleDown != nil && b.ScaleDown.Tolerance != nil {
			tolerances.ScaleDown = b.ScaleDown.Tolerance.AsApproximateFloat64()
		}
	}
	return tolerances
}

// zeroTolerance returns spec with a tolerance of 0 in both directions. It
// copies the behavior it changes.
func zeroTolerance(spec hpa.Spec) hpa.Spec {
	zero := 0.0
	spec.Tolerance = &zero
	if spec.Behavior == nil {
		return spec
	}
	b := *spec.Behavior
	b.ScaleUp = withoutTolerance(b.ScaleUp)
	b.ScaleDown = withoutTolerance(b.ScaleDown)
	spec.Behavior = &b
	return spec
}

// withoutTolerance returns a copy of rules whose tolerance, if set, is 0.
// Rules without a tolerance take the spec's.
func withoutTolerance(rules *hpa.ScalingRules) *hpa.ScalingRules {
	if rules == nil || rules.Tolerance == nil {
		return rules
	}
	r := *rules
	r.Tolerance = resource.NewQuantity(0, resource.DecimalSI)
	return &r
}

// logFallbackChange logs the start and the end of a fallback.
func (s *Scaler) logFallbackChange(d *Decision) {
	if d.InFallback == s.inFallback {
		return
	}
	s.inFallback = d.InFallback
	if d.InFallback {
		s.logger.Info("fallback started", "scaler", s.cfg.Name, "fallbackReplicas", d.FallbackReplicas, "desiredReplicas", d.DesiredReplicas,
			"behavior", s.cfg.Fallback.behavior(), "failureThreshold", s.cfg.Fallback.FailureThreshold)
		return
	}
	s.logger.Info("fallback ended", "scaler", s.cfg.Name)
}
