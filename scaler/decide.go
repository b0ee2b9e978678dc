package scaler

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/promscaler/promscaler/hpa"
)

// decide turns the readings into a decision, as KEDA's executor and the HPA
// would, and updates the state that later polls depend on: failure counts,
// the last active time, fallback and the conditions.
func (s *Scaler) decide(now time.Time, d *Decision, readings []reading, pause Pause) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if f := s.cfg.Fallback; f != nil {
		copied := *f
		d.fallback = &copied
	}
	s.recordReadings(d, readings)
	if s.formula != nil {
		s.evaluateComposite(d)
	}
	metrics := s.hpaMetrics(d)
	failed := d.failedWithoutFallback()

	cooling := s.execute(now, d, metrics, failed, pause)
	s.updateConditions(now, d, failed, cooling)
	s.logFallbackChange(d)
}

// recordReadings fills d.Triggers and counts consecutive failures.
func (s *Scaler) recordReadings(d *Decision, readings []reading) {
	d.Triggers = make([]TriggerValue, len(readings))
	for i, r := range readings {
		t := s.cfg.Triggers[i]
		v := TriggerValue{
			Name: s.names[i], Value: r.value, Threshold: t.Threshold, ActivationThreshold: t.ActivationThreshold,
			MetricType: t.metricType(), Err: r.err, Latency: r.latency,
		}
		if r.err != nil {
			s.failures[i] = addFailure(s.failures[i])
			d.Err = errors.Join(d.Err, fmt.Errorf("scaler: trigger %q of %q: %w", v.Name, s.cfg.Name, r.err))
		} else {
			s.failures[i] = 0
			v.Active = r.value > t.ActivationThreshold
		}
		v.Failures = s.failures[i]
		// With scaling modifiers only the composite metric falls back.
		v.InFallback = r.err != nil && s.formula == nil && s.pastFailureThreshold(v.Failures)
		d.Triggers[i] = v
	}
}

// evaluateComposite computes the scaling modifiers' formula over the
// trigger values. A failed trigger fails the composite metric.
func (s *Scaler) evaluateComposite(d *Decision) {
	m := s.cfg.ScalingModifiers
	c := &CompositeValue{Formula: s.formula.String(), Target: m.Target, ActivationTarget: m.ActivationTarget, MetricType: m.metricType()}
	var failedNames []string
	values := make(map[string]float64, len(d.Triggers))
	for _, t := range d.Triggers {
		if t.Err != nil {
			failedNames = append(failedNames, fmt.Sprintf("%q", t.Name))
		}
		values[t.Name] = t.Value
	}

	if len(failedNames) > 0 {
		c.Err = fmt.Errorf("trigger %s failed", strings.Join(failedNames, ", "))
	} else if c.Value, c.Err = s.formula.eval(values); c.Err != nil {
		d.Err = errors.Join(d.Err, c.Err)
	}
	if c.Err != nil {
		s.compositeFailures = addFailure(s.compositeFailures)
		c.Value = 0
	} else {
		s.compositeFailures = 0
		c.Active = c.Value > m.ActivationTarget
	}
	c.Failures = s.compositeFailures
	c.InFallback = c.Err != nil && s.pastFailureThreshold(c.Failures)
	d.Composite = c
}

// hpaMetrics builds the metrics the HPA reads: one per trigger, or the
// composite metric alone. It sets d.Active, d.InFallback and
// d.FallbackReplicas.
func (s *Scaler) hpaMetrics(d *Decision) []hpa.Metric {
	if c := d.Composite; c != nil {
		m := s.metricFor(d, CompositeMetricName, c.MetricType, c.Target, c.Value, c.Err, c.InFallback)
		d.Active = c.Active || c.InFallback
		return []hpa.Metric{m}
	}

	metrics := make([]hpa.Metric, len(d.Triggers))
	for i, t := range d.Triggers {
		metrics[i] = s.metricFor(d, t.Name, t.MetricType, t.Threshold, t.Value, t.Err, t.InFallback)
		// A trigger in fallback counts as active, as in KEDA, so the
		// fallback count also applies at 0 replicas.
		d.Active = d.Active || t.Active || t.InFallback
	}
	return metrics
}

func (s *Scaler) metricFor(d *Decision, name string, typ hpa.MetricType, target, value float64, err error, inFallback bool) hpa.Metric {
	switch {
	case inFallback:
		d.InFallback = true
		d.FallbackReplicas = s.cfg.Fallback.replicas(d.Replicas.Current)
		return fallbackMetric(name, target, d.FallbackReplicas)
	case err != nil:
		// Below the fallback threshold a failed read is an invalid metric:
		// the HPA keeps the count unless a valid metric scales up.
		return hpa.Metric{Name: name, Type: typ, Target: target, Err: err}
	}
	return hpa.Metric{Name: name, Type: typ, Value: value, Target: target}
}

// failedWithoutFallback reports a failed trigger or composite metric that
// is not in fallback: KEDA's scaler error.
func (d *Decision) failedWithoutFallback() bool {
	if c := d.Composite; c != nil {
		return c.Err != nil && !c.InFallback
	}
	for _, t := range d.Triggers {
		if t.Err != nil && !t.InFallback {
			return true
		}
	}
	return false
}

// execute applies KEDA's executor rules and runs the HPA where KEDA leaves
// the count to it. It reports whether the workload is cooling down.
func (s *Scaler) execute(now time.Time, d *Decision, metrics []hpa.Metric, failed bool, pause Pause) bool {
	current, minimum, idle := d.Replicas.Current, s.cfg.MinReplicaCount, s.cfg.IdleReplicaCount
	if d.Active {
		s.lastActive = now
		if s.belowActiveRange(current) {
			s.activate(d, pause)
			return false
		}
		s.runHPA(now, d, metrics)
		return false
	}

	switch {
	case failed:
		// A failing trigger never scales the workload to zero or idle; with
		// a fallback configured it may reach the fallback later instead.
		s.holdOrRunHPA(now, d, metrics)
	case (idle != nil && current > *idle) || (current > 0 && minimum == 0):
		return s.scaleToZeroOrIdle(now, d, metrics, pause)
	case idle == nil && current < minimum:
		d.Action, d.DesiredReplicas = ActionSetMin, minimum
		d.note("set minimum: no trigger is active and %s are below minReplicaCount %d: %d → %d", replicaCount(current), minimum, current, minimum)
	default:
		s.holdOrRunHPA(now, d, metrics)
	}
	return false
}

// belowActiveRange reports a workload at 0 replicas, or below
// MinReplicaCount with an idle count, which activity brings up to
// max(MinReplicaCount, 1) without the HPA.
func (s *Scaler) belowActiveRange(current int32) bool {
	return current == 0 || (s.cfg.IdleReplicaCount != nil && current < s.cfg.MinReplicaCount)
}

// activate brings an active workload up from 0 or idle replicas, unless
// the paused-scale-out annotation is set.
func (s *Scaler) activate(d *Decision, pause Pause) {
	current, to := d.Replicas.Current, max(s.cfg.MinReplicaCount, 1)
	if pause.ScaleOut {
		d.Action = ActionIdle
		d.note("idle: the workload is active, but paused-scale-out keeps it at %s", replicaCount(current))
		return
	}
	d.Action, d.DesiredReplicas = ActionActivate, to
	d.note("activate: the workload is active at %s: %d → max(minReplicaCount %d, 1) = %d", replicaCount(current), current, s.cfg.MinReplicaCount, to)
}

// holdOrRunHPA leaves a workload at 0 or idle replicas alone, where the
// HPA is not consulted, and runs the HPA otherwise.
func (s *Scaler) holdOrRunHPA(now time.Time, d *Decision, metrics []hpa.Metric) {
	current, idle := d.Replicas.Current, s.cfg.IdleReplicaCount
	if current != 0 && (idle == nil || current != *idle) {
		s.runHPA(now, d, metrics)
		return
	}
	if d.failedWithoutFallback() {
		d.note("hold: a trigger failed, so the workload stays at %s", replicaCount(current))
		return
	}
	d.Action = ActionIdle
	d.note("idle: no trigger is active, so the workload stays at %s", replicaCount(current))
}

// scaleToZeroOrIdle sets an inactive workload to 0 or idle replicas once
// it has cooled down, and lets the HPA decide before. It reports whether
// the workload is cooling down.
func (s *Scaler) scaleToZeroOrIdle(now time.Time, d *Decision, metrics []hpa.Metric, pause Pause) bool {
	to, action, field := int32(0), ActionScaleToZero, "0"
	if idle := s.cfg.IdleReplicaCount; idle != nil {
		to, action, field = *idle, ActionScaleToIdle, fmt.Sprintf("idleReplicaCount %d", *idle)
	}
	if pause.ScaleIn {
		s.runHPA(now, d, metrics)
		d.note("no trigger is active, but paused-scale-in keeps the workload from going to %s", field)
		return false
	}

	since, period, basis := s.cooldownBasis()
	end := since.Add(period)
	if end.Before(now) {
		d.Action, d.DesiredReplicas = action, to
		d.note("scale to %s: no trigger is active, and the %s ended at %s: %d → %d",
			field, basis, end.Format(time.RFC3339), d.Replicas.Current, to)
		return false
	}

	s.runHPA(now, d, metrics)
	if d.Action == ActionHPA {
		d.Action = ActionCooldown
	}
	d.note("cooldown: no trigger is active, so the workload goes to %s after %s, when the %s has passed",
		field, end.Format(time.RFC3339), basis)
	return true
}

// cooldownBasis returns the time the cooldown counts from, its length and
// its description: cooldownPeriod since the last activity, or
// initialCooldownPeriod since creation for a workload never active.
func (s *Scaler) cooldownBasis() (time.Time, time.Duration, string) {
	if s.lastActive.IsZero() {
		return s.createdAt, s.cfg.InitialCooldownPeriod,
			fmt.Sprintf("initialCooldownPeriod of %v since the creation at %s", s.cfg.InitialCooldownPeriod, s.createdAt.Format(time.RFC3339))
	}
	return s.lastActive, s.cfg.cooldownPeriod(),
		fmt.Sprintf("cooldownPeriod of %v since the last activity at %s", s.cfg.cooldownPeriod(), s.lastActive.Format(time.RFC3339))
}

// runHPA computes the count with the HPA and sets the action from its
// outcome.
func (s *Scaler) runHPA(now time.Time, d *Decision, metrics []hpa.Metric) {
	hd, err := s.recommend(now, metrics, d)
	d.HPA, d.DesiredReplicas = &hd, hd.DesiredReplicas
	if s.cfg.MinReplicaCount == 0 && raisedToOne(hd) {
		d.note("minimum: minReplicaCount is 0, but the HPA's minReplicas is max(minReplicaCount, 1) = 1, " +
			"because the scaler, not the HPA, sets 0 replicas once no trigger is active and the cooldown has passed")
	}

	var invalid *hpa.InvalidMetricsError
	switch {
	case errors.As(err, &invalid) && invalid.Invalid == invalid.Total:
		d.Action = ActionHold
		d.note("hold: every metric of the HPA failed, so the workload stays at %s", replicaCount(hd.DesiredReplicas))
	case errors.As(err, &invalid):
		d.Action = ActionHold
		d.note("hold: a failed trigger keeps the HPA from scaling down, so the workload stays at %s", replicaCount(hd.DesiredReplicas))
	case err != nil:
		d.Action, d.DesiredReplicas = ActionHold, d.Replicas.Current
		d.Err = errors.Join(d.Err, fmt.Errorf("scaler: %w", err))
	case d.InFallback:
		d.Action = ActionFallback
	default:
		d.Action = ActionHPA
	}
}

// raisedToOne reports whether the HPA's minReplicas of 1 raised the count.
func raisedToOne(hd hpa.Decision) bool {
	if hd.Reason() == hpa.ReasonTooFewReplicas {
		return true
	}
	for _, step := range hd.Steps() {
		if step.Reason == hpa.ReasonTooFewReplicas && step.Bound == 1 {
			return true
		}
	}
	return false
}

// pastFailureThreshold reports whether n consecutive failures put a trigger
// in fallback.
func (s *Scaler) pastFailureThreshold(n int32) bool {
	return s.cfg.Fallback != nil && n > s.cfg.Fallback.FailureThreshold
}

// addFailure counts one more failure, saturating at the int32 limit.
func addFailure(n int32) int32 {
	if n == math.MaxInt32 {
		return n
	}
	return n + 1
}
