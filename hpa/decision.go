package hpa

import (
	"slices"
	"time"
)

// Reason is a Kubernetes condition reason that explains a decision.
type Reason string

// Reasons of the HPA's AbleToScale, ScalingActive and ScalingLimited
// conditions.
const (
	ReasonDesiredWithinRange  Reason = "DesiredWithinRange"
	ReasonTooFewReplicas      Reason = "TooFewReplicas"
	ReasonTooManyReplicas     Reason = "TooManyReplicas"
	ReasonScaleUpLimit        Reason = "ScaleUpLimit"
	ReasonScaleDownLimit      Reason = "ScaleDownLimit"
	ReasonScaleUpStabilized   Reason = "ScaleUpStabilized"
	ReasonScaleDownStabilized Reason = "ScaleDownStabilized"
	ReasonReadyForNewScale    Reason = "ReadyForNewScale"
	ReasonValidMetricFound    Reason = "ValidMetricFound"
	ReasonScalingDisabled     Reason = "ScalingDisabled"
	// ReasonInvalidMetrics covers the failed-metric reasons of
	// ScalingActive (FailedGetExternalMetric and others).
	ReasonInvalidMetrics Reason = "InvalidMetrics"
)

// inlineProposals and inlineSteps size the storage a Decision carries
// inline, so that Recommend does not allocate for up to that many metrics.
const (
	inlineProposals = 4
	inlineSteps     = 3
)

// Decision is the outcome of one Recommend call: the numbers of every phase
// and the steps that changed the count. Explain renders it as text.
type Decision struct {
	Time     time.Time
	Replicas Replicas
	// Proposed is the largest valid metric proposal.
	Proposed int32
	// Stabilized is Proposed after the stabilization windows.
	Stabilized int32
	// DesiredReplicas is the final count, after the limits. It is the
	// current count when Recommend returns an error.
	DesiredReplicas int32
	// Active is the ScalingActive reason: ValidMetricFound, ScalingDisabled
	// at 0 replicas, or InvalidMetrics.
	Active Reason
	// AbleToScale is ScaleUpStabilized or ScaleDownStabilized when a window
	// changed the proposal, ReadyForNewScale otherwise, and empty when the
	// metrics were not evaluated.
	AbleToScale Reason
	// Limited is the ScalingLimited reason: DesiredWithinRange, or the
	// limit that changed the count. Raising a count computed at 0 replicas
	// to MinReplicas after the limits leaves it unchanged, as in the
	// controller, and Reason then reports TooFewReplicas.
	Limited Reason
	// InvalidMetrics counts the metrics whose proposal has an Err.
	InvalidMetrics int
	// ScaledToZero reports a decision computed from metrics that sets 0
	// replicas with a Value or AverageValue metric among the metrics (the
	// HPA's ScaledToZero condition).
	ScaledToZero bool

	// raisedToMin reports that a count computed at 0 replicas was raised
	// to MinReplicas after the limits.
	raisedToMin bool

	proposals  [inlineProposals]Proposal
	nProposals int
	extra      []Proposal
	steps      [inlineSteps]Step
	nSteps     int
}

// Reason returns the reason that shaped the outcome most. In order of
// precedence, that is:
//   - ScalingDisabled at 0 replicas;
//   - InvalidMetrics when the metrics kept the current count;
//   - TooFewReplicas when a count computed at 0 replicas was raised to
//     MinReplicas;
//   - the limit that applied, or the stabilization that held the count;
//   - DesiredWithinRange otherwise.
func (d Decision) Reason() Reason {
	switch {
	case d.Active == ReasonScalingDisabled:
		return ReasonScalingDisabled
	case d.Active == ReasonInvalidMetrics:
		return ReasonInvalidMetrics
	case d.raisedToMin:
		return ReasonTooFewReplicas
	case d.Limited != "" && d.Limited != ReasonDesiredWithinRange:
		return d.Limited
	case d.AbleToScale == ReasonScaleDownStabilized || d.AbleToScale == ReasonScaleUpStabilized:
		return d.AbleToScale
	}
	return ReasonDesiredWithinRange
}

// Proposals returns each metric's proposal in the order of the metrics.
func (d Decision) Proposals() []Proposal {
	return slices.Concat(d.proposals[:d.nProposals], d.extra)
}

// Steps returns, in order, every rule that changed the count.
func (d Decision) Steps() []Step {
	return slices.Clone(d.steps[:d.nSteps])
}

func (d *Decision) addProposal(p Proposal) {
	if d.nProposals < inlineProposals {
		d.proposals[d.nProposals] = p
		d.nProposals++
		return
	}
	d.extra = append(d.extra, p)
}

func (d *Decision) addStep(s Step) {
	if d.nSteps < inlineSteps {
		d.steps[d.nSteps] = s
		d.nSteps++
	}
}

// Step is one rule that changed the replica count, with the counts before
// and after it and the numbers that explain it. Detail renders it.
type Step struct {
	Reason   Reason
	From, To int32
	// Current is the current replica count of the decision.
	Current int32
	// OutOfRange reports a current count outside [minReplicas,
	// maxReplicas], brought into range without reading the metrics.
	OutOfRange bool
	// Behavior reports a rule of Spec.Behavior rather than the legacy path.
	Behavior bool

	// Window is the stabilization window of a stabilization step, and
	// Recommendation the lowest (scale-up) or highest (scale-down)
	// recommendation within it.
	Window         time.Duration
	Recommendation int32

	// Bound is the count a limit step clamped to.
	Bound int32
	// LimitFactor and LimitMinimum define the legacy scale-up limit
	// max(LimitFactor × current, LimitMinimum).
	LimitFactor, LimitMinimum float64
	// Select, Policy, PeriodStart and PolicyLimit describe a behavior
	// limit: the policy that set it, the count at the start of its period
	// and the count that policy allows. The limit itself never crosses the
	// current count, so it can differ from PolicyLimit.
	Select      SelectPolicy
	Policy      ScalingPolicy
	PeriodStart int32
	PolicyLimit int32
}

func sortRecommendations(recs []Recommendation) {
	slices.SortStableFunc(recs, func(a, b Recommendation) int { return a.Time.Compare(b.Time) })
}
