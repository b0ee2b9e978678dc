package hpa

import (
	"math"
	"time"
)

// limitLegacy clamps desired to [minReplicas, the scale-up limit or
// maxReplicas] as the controller does without behavior, and returns the
// ScalingLimited reason with the step that explains a change.
func (c *Calculator) limitLegacy(current, desired int32) (int32, Reason, Step) {
	step := Step{From: desired, Current: current}
	upper, upperReason := c.spec.MaxReplicas, ReasonTooManyReplicas
	limit := legacyScaleUpLimit(current, c.scaleUpLimitFactor, c.scaleUpLimitMinimum)
	if limit < upper {
		upper, upperReason = limit, ReasonScaleUpLimit
		step.LimitFactor, step.LimitMinimum = c.scaleUpLimitFactor, c.scaleUpLimitMinimum
	}

	switch {
	case desired < c.spec.MinReplicas:
		step.Reason, step.To, step.Bound = ReasonTooFewReplicas, c.spec.MinReplicas, c.spec.MinReplicas
		step.LimitFactor, step.LimitMinimum = 0, 0
	case desired > upper:
		step.Reason, step.To, step.Bound = upperReason, upper, upper
	default:
		return desired, ReasonDesiredWithinRange, Step{}
	}
	return step.To, step.Reason, step
}

// legacyScaleUpLimit is max(factor × current, minimum), saturating.
func legacyScaleUpLimit(current int32, factor, minimum float64) int32 {
	limit := max(factor*float64(current), minimum)
	return int32(min(limit, math.MaxInt32))
}

// limitWithBehavior applies the policies of the direction of the change and
// then minReplicas and maxReplicas.
func (c *Calculator) limitWithBehavior(now time.Time, current, desired int32) (int32, Reason, Step) {
	step := Step{From: desired, Current: current}
	switch {
	case desired > current:
		limit := c.scaleUpLimit(now, current, &step)
		step.Reason, step.Bound = ReasonScaleUpLimit, limit
		if c.spec.MaxReplicas <= limit {
			step.Reason, step.Bound = ReasonTooManyReplicas, c.spec.MaxReplicas
			step.Policy, step.PeriodStart, step.PolicyLimit = ScalingPolicy{}, 0, 0
		}
		if desired > step.Bound {
			step.To = step.Bound
			return step.To, step.Reason, step
		}
	case desired < current:
		limit := c.scaleDownLimit(now, current, &step)
		step.Reason, step.Bound = ReasonScaleDownLimit, limit
		if c.spec.MinReplicas >= limit {
			step.Reason, step.Bound = ReasonTooFewReplicas, c.spec.MinReplicas
			step.Policy, step.PeriodStart, step.PolicyLimit = ScalingPolicy{}, 0, 0
		}
		if desired < step.Bound {
			step.To = step.Bound
			return step.To, step.Reason, step
		}
	}
	return desired, ReasonDesiredWithinRange, Step{}
}

// scaleUpLimit returns the highest count the scale-up policies allow now.
// Each policy measures from the count at the start of its period: current
// minus the pods added plus the pods removed within the period. Max takes
// the most permissive policy and Min the least. A limit below current is
// raised to current, because earlier scale-ups have used up the allowance.
func (c *Calculator) scaleUpLimit(now time.Time, current int32, step *Step) int32 {
	step.Select = c.up.selectPolicy
	if c.up.selectPolicy == DisabledPolicySelect {
		return current
	}
	result := int64(math.MinInt64)
	if c.up.selectPolicy == MinChangePolicySelect {
		result = math.MaxInt64
	}
	for _, p := range c.up.policies {
		period := time.Duration(p.PeriodSeconds) * time.Second
		start := int64(current) - changeWithin(c.upEvents, now, period) + changeWithin(c.downEvents, now, period)
		proposed := start + int64(p.Value)
		if p.Type == PercentScalingPolicy {
			proposed = int64(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
		}
		if better(c.up.selectPolicy == MinChangePolicySelect, proposed, result) {
			result, step.Policy, step.PeriodStart = proposed, p, clampInt32(start)
		}
	}
	step.PolicyLimit = clampInt32(result)
	return max(step.PolicyLimit, current)
}

// scaleDownLimit returns the lowest count the scale-down policies allow now.
// Max takes the policy that removes the most pods and Min the one that
// removes the fewest. A limit above current is lowered to current.
func (c *Calculator) scaleDownLimit(now time.Time, current int32, step *Step) int32 {
	step.Select = c.down.selectPolicy
	if c.down.selectPolicy == DisabledPolicySelect {
		return current
	}
	result := int64(math.MaxInt64)
	if c.down.selectPolicy == MinChangePolicySelect {
		result = math.MinInt64
	}
	for _, p := range c.down.policies {
		period := time.Duration(p.PeriodSeconds) * time.Second
		start := int64(current) - changeWithin(c.upEvents, now, period) + changeWithin(c.downEvents, now, period)
		proposed := start - int64(p.Value)
		if p.Type == PercentScalingPolicy {
			proposed = int64(float64(start) * (1 - float64(p.Value)/100))
		}
		if better(c.down.selectPolicy != MinChangePolicySelect, proposed, result) {
			result, step.Policy, step.PeriodStart = proposed, p, clampInt32(start)
		}
	}
	step.PolicyLimit = clampInt32(result)
	return min(step.PolicyLimit, current)
}

// better reports whether proposed replaces result: the lower count when
// lower is set, else the higher one.
func better(lower bool, proposed, result int64) bool {
	if lower {
		return proposed < result
	}
	return proposed > result
}
