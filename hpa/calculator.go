package hpa

import (
	"errors"
	"time"
)

// Production values of the scale-up limit without behavior:
// max(2 × current, 4) replicas per decision.
const (
	scaleUpLimitFactor  = 2
	scaleUpLimitMinimum = 4
)

// Calculator computes desired replicas and keeps the recommendation and
// scale-event history that stabilization and policies need. Create one with
// NewCalculator: on a zero value or a nil pointer, Recommend and Restore
// return an error. A Calculator is not safe for concurrent use.
type Calculator struct {
	// initialized is set by NewCalculator.
	initialized bool

	spec       Spec
	tolerances Tolerances
	up, down   rules

	// scaleUpLimitFactor and scaleUpLimitMinimum set the scale-up limit
	// without behavior. The Kubernetes controller's own tests
	// (horizontal_test.go) set the factor to 8.
	scaleUpLimitFactor, scaleUpLimitMinimum float64

	// seeded reports that the history holds the first decision's current
	// count, or was restored.
	seeded               bool
	recommendations      []Recommendation
	upEvents, downEvents []scaleEvent
}

// NewCalculator validates spec and returns a Calculator with an empty
// history.
func NewCalculator(spec Spec) (*Calculator, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	c := &Calculator{initialized: true, spec: spec, scaleUpLimitFactor: scaleUpLimitFactor, scaleUpLimitMinimum: scaleUpLimitMinimum}
	t := spec.tolerance()
	c.tolerances = Tolerances{ScaleDown: t, ScaleUp: t}
	if b := spec.Behavior; b != nil {
		c.up = resolveRules(b.ScaleUp, 0, defaultScaleUpPolicies, t)
		c.down = resolveRules(b.ScaleDown, spec.downscaleWindow(), defaultScaleDownPolicies, t)
		c.tolerances = Tolerances{ScaleDown: c.down.tolerance, ScaleUp: c.up.tolerance}
	}
	return c, nil
}

// errNotInitialized is returned by the methods of a Calculator that
// NewCalculator did not create.
var errNotInitialized = errors.New("hpa: the Calculator is not initialized; build it with NewCalculator")

// Spec returns the spec the calculator was created with, or a zero Spec for
// a nil Calculator.
func (c *Calculator) Spec() Spec {
	if c == nil {
		return Spec{}
	}
	return c.spec
}

// History returns a copy of the history, each list oldest first. A nil
// Calculator has an empty history.
func (c *Calculator) History() History {
	if c == nil {
		return History{}
	}
	recs := append([]Recommendation(nil), c.recommendations...)
	sortRecommendations(recs)
	return History{Recommendations: recs, ScaleUpEvents: exportEvents(c.upEvents), ScaleDownEvents: exportEvents(c.downEvents)}
}

// Restore replaces the history with h after checking it against now. The
// restored history counts as seeded: the next decision does not add the
// current count to it.
func (c *Calculator) Restore(now time.Time, h History) error {
	if c == nil || !c.initialized {
		return errNotInitialized
	}
	if err := h.Validate(now); err != nil {
		return &opError{op: "restore history", err: err}
	}
	c.recommendations = append([]Recommendation(nil), h.Recommendations...)
	c.upEvents, c.downEvents = importEvents(h.ScaleUpEvents), importEvents(h.ScaleDownEvents)
	c.seeded = true
	return nil
}

// Recommend computes the desired replica count at now from metrics and the
// target's replicas, as one sync of the HPA controller does, and records the
// recommendation and, when the count changes under a Behavior, the scale
// event.
//
// As in the controller:
//   - the first call seeds the history with the current count;
//   - a current count of 0 disables scaling unless r.ScaledToZero is set
//     and either MinReplicas is above 0 or a metric has a Value or
//     AverageValue target (the HPA's object and external metrics);
//   - a count computed from 0 replicas that ends below MinReplicas after
//     the limits is raised to MinReplicas;
//   - a current count above MaxReplicas or below MinReplicas is brought into
//     range without reading the metrics;
//   - an invalid metric never blocks a scale-up, but when all metrics are
//     invalid, or the valid ones would scale down, the count stays and the
//     error is an *InvalidMetricsError.
//
// On a Calculator that NewCalculator did not create, Recommend returns an
// error and the current count as DesiredReplicas.
//
// NOTE: Recommend records a scale event as soon as it decides a change, as
// the controller does after it updates the scale. A host that fails to apply
// the decision still has the event counted against its policies.
func (c *Calculator) Recommend(now time.Time, metrics []Metric, r Replicas) (Decision, error) {
	if c == nil || !c.initialized {
		return Decision{Time: now, Replicas: r, DesiredReplicas: r.Current}, errNotInitialized
	}
	c.seed(now, r.Current)
	d := Decision{Time: now, Replicas: r, Active: ReasonValidMetricFound}
	switch {
	case r.Current == 0 && !c.scalesFromZero(r, metrics):
		d.Active = ReasonScalingDisabled
		return d, nil
	case r.Current > c.spec.MaxReplicas:
		return c.bringIntoRange(d, c.spec.MaxReplicas, ReasonTooManyReplicas), nil
	case r.Current != 0 && r.Current < c.spec.MinReplicas:
		return c.bringIntoRange(d, c.spec.MinReplicas, ReasonTooFewReplicas), nil
	}

	if len(metrics) == 0 {
		d.DesiredReplicas, d.Active = r.Current, ReasonInvalidMetrics
		return d, ErrNoMetrics
	}
	if err := c.propose(&d, metrics); err != nil {
		d.DesiredReplicas, d.Active = r.Current, ReasonInvalidMetrics
		return d, err
	}

	if c.spec.Behavior == nil {
		c.normalizeLegacy(&d)
	} else {
		c.normalizeWithBehavior(&d)
	}
	c.raiseFromZero(&d)
	d.ScaledToZero = d.DesiredReplicas == 0 && hasObjectOrExternal(metrics)
	c.recordScaleEvent(now, r.Current, d.DesiredReplicas)
	return d, nil
}

// scalesFromZero reports whether metrics are read at 0 replicas. They are
// read only after this autoscaler scaled the target to zero, and then only
// when minReplicas was raised since or a metric can measure load without
// pods.
func (c *Calculator) scalesFromZero(r Replicas, metrics []Metric) bool {
	return r.ScaledToZero && (c.spec.MinReplicas > 0 || hasObjectOrExternal(metrics))
}

// hasObjectOrExternal reports whether a metric has a Value or AverageValue
// target, as the HPA's object and external metrics do, valid or not.
func hasObjectOrExternal(metrics []Metric) bool {
	for _, m := range metrics {
		if m.Type == ValueMetricType || m.Type == AverageValueMetricType {
			return true
		}
	}
	return false
}

// raiseFromZero brings a count computed at 0 replicas up to minReplicas
// after the limits, for a minReplicas raised while the target was at zero.
// The ScalingLimited reason stays the one the limits chose.
func (c *Calculator) raiseFromZero(d *Decision) {
	lowest := c.spec.MinReplicas
	if d.Replicas.Current != 0 || d.DesiredReplicas >= lowest {
		return
	}
	d.addStep(Step{Reason: ReasonTooFewReplicas, From: d.DesiredReplicas, To: lowest, Bound: lowest, Behavior: c.spec.Behavior != nil})
	d.DesiredReplicas, d.raisedToMin = lowest, true
}

func (c *Calculator) seed(now time.Time, current int32) {
	if c.seeded {
		return
	}
	c.recommendations = append(c.recommendations, Recommendation{Time: now, Replicas: current})
	c.seeded = true
}

func (c *Calculator) bringIntoRange(d Decision, to int32, reason Reason) Decision {
	current := d.Replicas.Current
	d.Proposed, d.Stabilized, d.DesiredReplicas, d.Limited = current, current, to, reason
	d.addStep(Step{Reason: reason, From: current, To: to, Current: current, Bound: to, OutOfRange: true})
	c.recordScaleEvent(d.Time, current, to)
	return d
}

// propose computes every metric's proposal and sets d.Proposed to the
// largest valid one, applying the rules for invalid metrics.
func (c *Calculator) propose(d *Decision, metrics []Metric) error {
	var first error
	for _, m := range metrics {
		p, err := Propose(m, d.Replicas, c.tolerances)
		if err != nil {
			p.Err, p.Replicas = err, 0
			d.InvalidMetrics++
			first = cmpOr(first, err)
		} else {
			d.Proposed = max(d.Proposed, p.Replicas)
		}
		d.addProposal(p)
	}

	if d.InvalidMetrics == len(metrics) || (d.InvalidMetrics > 0 && d.Proposed < d.Replicas.Current) {
		return &InvalidMetricsError{Invalid: d.InvalidMetrics, Total: len(metrics), First: first}
	}
	return nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// normalizeLegacy applies the downscale window and the legacy limits.
func (c *Calculator) normalizeLegacy(d *Decision) {
	window := c.spec.downscaleWindow()
	d.Stabilized, c.recommendations = stabilizeLegacy(c.recommendations, d.Time, window, d.Proposed)
	d.AbleToScale = ReasonReadyForNewScale
	if d.Stabilized != d.Proposed {
		d.AbleToScale = ReasonScaleDownStabilized
		d.addStep(Step{Reason: ReasonScaleDownStabilized, From: d.Proposed, To: d.Stabilized, Current: d.Replicas.Current,
			Window: window, Recommendation: d.Stabilized})
	}

	var step Step
	d.DesiredReplicas, d.Limited, step = c.limitLegacy(d.Replicas.Current, d.Stabilized)
	if d.Limited != ReasonDesiredWithinRange {
		d.addStep(step)
	}
}

// normalizeWithBehavior applies both stabilization windows and then the
// policies, minReplicas and maxReplicas.
func (c *Calculator) normalizeWithBehavior(d *Decision) {
	current := d.Replicas.Current
	var lowest, highest int32
	d.Stabilized, lowest, highest, c.recommendations = stabilizeWithBehavior(c.recommendations, d.Time, c.up.window, c.down.window, current, d.Proposed)
	d.AbleToScale = ReasonReadyForNewScale
	if d.Stabilized != d.Proposed {
		step := Step{Reason: ReasonScaleUpStabilized, From: d.Proposed, To: d.Stabilized, Current: current, Window: c.up.window, Recommendation: lowest, Behavior: true}
		if d.Proposed < current {
			step.Reason, step.Window, step.Recommendation = ReasonScaleDownStabilized, c.down.window, highest
		}
		d.AbleToScale = step.Reason
		d.addStep(step)
	}

	var step Step
	d.DesiredReplicas, d.Limited, step = c.limitWithBehavior(d.Time, current, d.Stabilized)
	if d.Limited != ReasonDesiredWithinRange {
		step.Behavior = true
		d.addStep(step)
	}
}

// recordScaleEvent stores a change of the count under a Behavior, as the
// controller does after a successful update of the scale.
func (c *Calculator) recordScaleEvent(now time.Time, from, to int32) {
	if c.spec.Behavior == nil || from == to {
		return
	}
	if to > from {
		c.upEvents = storeEvent(c.upEvents, now, c.up.longestPeriod(), to-from)
		return
	}
	c.downEvents = storeEvent(c.downEvents, now, c.down.longestPeriod(), from-to)
}
