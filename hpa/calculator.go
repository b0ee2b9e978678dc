package hpa

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// DefaultDownscaleStabilizationWindow is the controller's default
// --horizontal-pod-autoscaler-downscale-stabilization window.
const DefaultDownscaleStabilizationWindow = 5 * time.Minute

// Scale-up limit without behavior: at most max(2 × current, 4) replicas.
const (
	scaleUpLimitFactor  = 2
	scaleUpLimitMinimum = 4
)

// Spec is the part of a HorizontalPodAutoscaler that decides replica counts.
type Spec struct {
	// MinReplicas is the lowest count the calculator returns; at least 1.
	MinReplicas int32
	// MaxReplicas is the highest count the calculator returns; at least
	// MinReplicas.
	MaxReplicas int32
	// Tolerance is the half-width of the band around a usage ratio of 1 in
	// which nothing changes. Nil means DefaultTolerance.
	Tolerance *float64
	// DownscaleStabilizationWindow is how far back scale-down recommendations
	// are remembered. Nil means DefaultDownscaleStabilizationWindow; zero
	// turns stabilization off.
	DownscaleStabilizationWindow *time.Duration
}

// Validate reports the first field of s that the HPA would reject.
func (s Spec) Validate() error {
	if s.MinReplicas < 1 {
		return fmt.Errorf("hpa: minReplicas %d is below 1; KEDA handles scaling to zero, so set at least 1", s.MinReplicas)
	}
	if s.MaxReplicas < s.MinReplicas {
		return fmt.Errorf("hpa: maxReplicas %d is below minReplicas %d; raise maxReplicas or lower minReplicas", s.MaxReplicas, s.MinReplicas)
	}
	if t := s.Tolerance; t != nil && (*t < 0 || math.IsNaN(*t) || math.IsInf(*t, 0)) {
		return fmt.Errorf("hpa: tolerance %v is invalid; use a finite value of 0 or more, such as %v", *t, DefaultTolerance)
	}
	if w := s.DownscaleStabilizationWindow; w != nil && *w < 0 {
		return fmt.Errorf("hpa: downscale stabilization window %v is negative; use 0 to turn it off", *w)
	}
	return nil
}

func (s Spec) tolerance() float64 {
	if s.Tolerance == nil {
		return DefaultTolerance
	}
	return *s.Tolerance
}

func (s Spec) downscaleWindow() time.Duration {
	if s.DownscaleStabilizationWindow == nil {
		return DefaultDownscaleStabilizationWindow
	}
	return *s.DownscaleStabilizationWindow
}

// Reason is the Kubernetes condition reason that explains a decision.
type Reason string

// Reasons of the AbleToScale and ScalingLimited conditions.
const (
	ReasonDesiredWithinRange  Reason = "DesiredWithinRange"
	ReasonTooFewReplicas      Reason = "TooFewReplicas"
	ReasonTooManyReplicas     Reason = "TooManyReplicas"
	ReasonScaleUpLimit        Reason = "ScaleUpLimit"
	ReasonScaleDownStabilized Reason = "ScaleDownStabilized"
	ReasonReadyForNewScale    Reason = "ReadyForNewScale"
)

// Recommendation is one past metric proposal, kept for stabilization.
type Recommendation struct {
	Time     time.Time `json:"time"`
	Replicas int32     `json:"replicas"`
}

// Decision is the outcome of one Recommend call.
type Decision struct {
	Time     time.Time
	Replicas Replicas
	// Proposals holds each metric's proposal; Proposed is the largest.
	Proposals []Proposal
	Proposed  int32
	// Stabilized is Proposed after the downscale stabilization window.
	Stabilized int32
	// DesiredReplicas is the final count, after the limits.
	DesiredReplicas int32
	// AbleToScale is ScaleDownStabilized when the window raised the
	// proposal, ReadyForNewScale otherwise.
	AbleToScale Reason
	// Limited is the ScalingLimited reason: DesiredWithinRange, or the
	// limit that changed the count.
	Limited Reason
	// Steps lists, in order, every rule that changed the count.
	Steps []Step
}

// Reason returns the reason that shaped the outcome most: a limit when one
// applied, else ScaleDownStabilized when stabilization held replicas,
// else DesiredWithinRange.
func (d Decision) Reason() Reason {
	if d.Limited != ReasonDesiredWithinRange {
		return d.Limited
	}
	if d.AbleToScale == ReasonScaleDownStabilized {
		return d.AbleToScale
	}
	return ReasonDesiredWithinRange
}

// Step is one rule that changed the replica count, with the counts before
// and after it and a sentence saying why.
type Step struct {
	Reason Reason
	From   int32
	To     int32
	Detail string
}

// Calculator computes desired replicas and keeps the recommendation history
// that downscale stabilization needs. The zero value is not usable; create one
// with NewCalculator. A Calculator is not safe for concurrent use.
type Calculator struct {
	spec            Spec
	recommendations []Recommendation
}

// NewCalculator validates spec and returns a Calculator with an empty history.
func NewCalculator(spec Spec) (*Calculator, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	return &Calculator{spec: spec}, nil
}

// Spec returns the spec the calculator was created with.
func (c *Calculator) Spec() Spec { return c.spec }

// Recommendations returns a copy of the recommendation history, oldest first.
func (c *Calculator) Recommendations() []Recommendation {
	return append([]Recommendation(nil), c.recommendations...)
}

// ErrNoMetrics is returned by Recommend when it is given no metric.
var ErrNoMetrics = errors.New("hpa: no metrics to compute replicas from")

// Recommend computes the desired replica count at now from metrics and the
// target's replicas, and records the proposal in the history.
//
// As in the controller, a current count above MaxReplicas or below
// MinReplicas is first brought into range without reading the metrics, and a
// current count of 0 disables scaling (KEDA activates the workload first).
func (c *Calculator) Recommend(now time.Time, metrics []Metric, r Replicas) (Decision, error) {
	d := Decision{Time: now, Replicas: r, AbleToScale: ReasonReadyForNewScale, Limited: ReasonDesiredWithinRange}
	switch {
	case r.Current == 0:
		d.Proposed, d.Stabilized, d.DesiredReplicas = 0, 0, 0
		return d, nil
	case r.Current > c.spec.MaxReplicas:
		return c.outOfRange(d, c.spec.MaxReplicas, ReasonTooManyReplicas, "current replicas are above maxReplicas"), nil
	case r.Current < c.spec.MinReplicas:
		return c.outOfRange(d, c.spec.MinReplicas, ReasonTooFewReplicas, "current replicas are below minReplicas"), nil
	}

	if len(metrics) == 0 {
		return d, ErrNoMetrics
	}
	for _, m := range metrics {
		p, err := Propose(m, r, c.spec.tolerance())
		if err != nil {
			return d, err
		}
		d.Proposals = append(d.Proposals, p)
		d.Proposed = max(d.Proposed, p.Replicas)
	}

	d.Stabilized = c.stabilize(now, d.Proposed)
	if d.Stabilized != d.Proposed {
		d.AbleToScale = ReasonScaleDownStabilized
		d.Steps = append(d.Steps, Step{
			Reason: ReasonScaleDownStabilized, From: d.Proposed, To: d.Stabilized,
			Detail: fmt.Sprintf("the highest proposal of the last %s was %d", formatSeconds(c.spec.downscaleWindow()), d.Stabilized),
		})
	}

	d.DesiredReplicas, d.Limited = c.limit(r.Current, d.Stabilized)
	if d.Limited != ReasonDesiredWithinRange {
		d.Steps = append(d.Steps, Step{Reason: d.Limited, From: d.Stabilized, To: d.DesiredReplicas, Detail: c.limitDetail(r.Current, d.Limited)})
	}
	return d, nil
}

func (c *Calculator) outOfRange(d Decision, to int32, reason Reason, detail string) Decision {
	d.Proposed, d.Stabilized, d.DesiredReplicas = d.Replicas.Current, d.Replicas.Current, to
	d.Limited = reason
	d.Steps = append(d.Steps, Step{Reason: reason, From: d.Replicas.Current, To: to, Detail: detail})
	return d
}

// stabilize returns the highest proposal within the downscale window,
// counting the new one, and records the new proposal. A record exactly one
// window old still counts. The new proposal overwrites a record from
// outside the window when there is one, so the history never grows past
// what the window holds plus one record.
func (c *Calculator) stabilize(now time.Time, proposed int32) int32 {
	highest := proposed
	cutoff := now.Add(-c.spec.downscaleWindow())
	reuse := -1
	for i, rec := range c.recommendations {
		if rec.Time.Before(cutoff) {
			reuse = i
			continue
		}
		highest = max(highest, rec.Replicas)
	}

	rec := Recommendation{Time: now, Replicas: proposed}
	if reuse >= 0 {
		c.recommendations[reuse] = rec
	} else {
		c.recommendations = append(c.recommendations, rec)
	}
	return highest
}

// limit clamps desired to [MinReplicas, the scale-up limit or MaxReplicas]
// and returns the ScalingLimited reason.
func (c *Calculator) limit(current, desired int32) (int32, Reason) {
	upper, upperReason := c.spec.MaxReplicas, ReasonTooManyReplicas
	if scaleUpLimit := scaleUpLimit(current); scaleUpLimit < upper {
		upper, upperReason = scaleUpLimit, ReasonScaleUpLimit
	}

	switch {
	case desired < c.spec.MinReplicas:
		return c.spec.MinReplicas, ReasonTooFewReplicas
	case desired > upper:
		return upper, upperReason
	}
	return desired, ReasonDesiredWithinRange
}

func (c *Calculator) limitDetail(current int32, reason Reason) string {
	switch reason {
	case ReasonTooFewReplicas:
		return fmt.Sprintf("minReplicas is %d", c.spec.MinReplicas)
	case ReasonTooManyReplicas:
		return fmt.Sprintf("maxReplicas is %d", c.spec.MaxReplicas)
	case ReasonScaleUpLimit:
		return fmt.Sprintf("one decision may scale up to at most max(%d * %d, %d) = %d", scaleUpLimitFactor, current, scaleUpLimitMinimum, scaleUpLimit(current))
	}
	return ""
}

// formatSeconds prints a window as the API field does, in seconds.
func formatSeconds(d time.Duration) string {
	return formatNumber(d.Seconds()) + "s"
}

func scaleUpLimit(current int32) int32 {
	limit := max(float64(scaleUpLimitFactor)*float64(current), scaleUpLimitMinimum)
	return int32(min(limit, math.MaxInt32))
}
