package hpa

import (
	"fmt"
	"math"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Behavior is the autoscaling/v2 spec.behavior of a HorizontalPodAutoscaler:
// how fast and after what delay the count may move in each direction. Its
// JSON tags are the API's, so a manifest's behavior block (or KEDA's
// advanced.horizontalPodAutoscalerConfig.behavior) decodes into it with
// sigs.k8s.io/yaml's UnmarshalStrict, or encoding/json with
// DisallowUnknownFields. Both reject a misspelled field, which
// yaml.Unmarshal and json.Unmarshal drop without an error.
type Behavior struct {
	// ScaleUp governs increases. Nil means the API defaults, which are no
	// window and at most 4 pods or 100 % per 15 s, whichever is more.
	ScaleUp *ScalingRules `json:"scaleUp,omitempty"`
	// ScaleDown governs decreases. Nil means the API defaults, which are
	// the downscale stabilization window (300 s) and up to 100 % per 15 s.
	ScaleDown *ScalingRules `json:"scaleDown,omitempty"`
}

// ScalingRules are the rules for one direction. Omitted fields take the API
// defaults of that direction. A given Policies list replaces the default
// list and must not be empty.
type ScalingRules struct {
	// StabilizationWindowSeconds is how far back recommendations are
	// considered, 0 to 3600 seconds.
	StabilizationWindowSeconds *int32 `json:"stabilizationWindowSeconds,omitempty"`
	// SelectPolicy picks among the policies. Nil means Max.
	SelectPolicy *SelectPolicy `json:"selectPolicy,omitempty"`
	// Policies limit the change per period.
	Policies []ScalingPolicy `json:"policies,omitempty"`
	// Tolerance replaces the calculator's tolerance for this direction, e.g.
	// "0.05". JSON and YAML accept a quantity string or a number.
	Tolerance *resource.Quantity `json:"tolerance,omitempty"`
}

// SelectPolicy chooses which policy limits a change.
type SelectPolicy string

const (
	// MaxChangePolicySelect allows the largest change any policy allows.
	MaxChangePolicySelect SelectPolicy = "Max"
	// MinChangePolicySelect allows the smallest change any policy allows.
	MinChangePolicySelect SelectPolicy = "Min"
	// DisabledPolicySelect forbids changes in this direction.
	DisabledPolicySelect SelectPolicy = "Disabled"
)

// PolicyType is the unit of a ScalingPolicy's value.
type PolicyType string

const (
	// PodsScalingPolicy allows Value pods per period.
	PodsScalingPolicy PolicyType = "Pods"
	// PercentScalingPolicy allows Value percent of the count at the start
	// of the period.
	PercentScalingPolicy PolicyType = "Percent"
)

// ScalingPolicy limits the change in one direction within a period.
type ScalingPolicy struct {
	Type PolicyType `json:"type"`
	// Value is the number of pods or the percentage, above 0.
	Value int32 `json:"value"`
	// PeriodSeconds is how long a past change counts against the limit,
	// 1 to 1800 seconds.
	PeriodSeconds int32 `json:"periodSeconds"`
}

// API limits and defaults of autoscaling/v2.
const (
	maxPeriodSeconds    = 1800
	maxWindowSeconds    = 3600
	defaultScaleUpPods  = 4
	defaultScalePercent = 100
	defaultPolicyPeriod = 15
)

// rules are one direction's ScalingRules with the defaults applied.
type rules struct {
	window       time.Duration
	selectPolicy SelectPolicy
	policies     []ScalingPolicy
	tolerance    float64
}

var (
	defaultScaleUpPolicies = []ScalingPolicy{
		{Type: PodsScalingPolicy, Value: defaultScaleUpPods, PeriodSeconds: defaultPolicyPeriod},
		{Type: PercentScalingPolicy, Value: defaultScalePercent, PeriodSeconds: defaultPolicyPeriod},
	}
	defaultScaleDownPolicies = []ScalingPolicy{
		{Type: PercentScalingPolicy, Value: defaultScalePercent, PeriodSeconds: defaultPolicyPeriod},
	}
)

// resolveRules applies the API defaults of one direction to specified (which may
// be nil): defaultWindow, Max and defaultPolicies.
func resolveRules(specified *ScalingRules, defaultWindow time.Duration, defaultPolicies []ScalingPolicy, tolerance float64) rules {
	r := rules{window: defaultWindow, selectPolicy: MaxChangePolicySelect, policies: defaultPolicies, tolerance: tolerance}
	if specified == nil {
		return r
	}
	if specified.StabilizationWindowSeconds != nil {
		r.window = time.Duration(*specified.StabilizationWindowSeconds) * time.Second
	}
	if specified.SelectPolicy != nil {
		r.selectPolicy = *specified.SelectPolicy
	}
	if len(specified.Policies) > 0 {
		r.policies = specified.Policies
	}
	if specified.Tolerance != nil {
		r.tolerance = specified.Tolerance.AsApproximateFloat64()
	}
	return r
}

// longestPeriod is the longest policy period: scale events older than it
// no longer count and their slots may be reused.
func (r rules) longestPeriod() time.Duration {
	var longest int32
	for _, p := range r.policies {
		longest = max(longest, p.PeriodSeconds)
	}
	return time.Duration(longest) * time.Second
}

// validate checks the behavior as the API server does and names each bad
// field by its autoscaling/v2 path.
func (b *Behavior) validate() error {
	if err := b.ScaleUp.validate("behavior.scaleUp"); err != nil {
		return err
	}
	return b.ScaleDown.validate("behavior.scaleDown")
}

func (s *ScalingRules) validate(path string) error {
	if s == nil {
		return nil
	}
	if w := s.StabilizationWindowSeconds; w != nil && (*w < 0 || *w > maxWindowSeconds) {
		return &FieldError{Field: path + ".stabilizationWindowSeconds", Value: *w,
			Detail: fmt.Sprintf("must be between 0 and %d seconds", maxWindowSeconds)}
	}
	if p := s.SelectPolicy; p != nil {
		switch *p {
		case MaxChangePolicySelect, MinChangePolicySelect, DisabledPolicySelect:
		case "":
			return &FieldError{Field: path + ".selectPolicy",
				Detail: fmt.Sprintf("is missing; set %q, %q or %q", MaxChangePolicySelect, MinChangePolicySelect, DisabledPolicySelect)}
		default:
			return &FieldError{Field: path + ".selectPolicy", Value: *p,
				Detail: fmt.Sprintf("is not supported; use %q, %q or %q", MaxChangePolicySelect, MinChangePolicySelect, DisabledPolicySelect)}
		}
	}
	// A given list replaces the defaults, so an empty one leaves no policy.
	if s.Policies != nil && len(s.Policies) == 0 {
		return &FieldError{Field: path + ".policies", Detail: "is empty; list at least one policy, or leave the field out for the defaults"}
	}
	for i, p := range s.Policies {
		if err := p.validate(fmt.Sprintf("%s.policies[%d]", path, i)); err != nil {
			return err
		}
	}
	return validateTolerance(path, s.Tolerance)
}

func validateTolerance(path string, q *resource.Quantity) error {
	if q == nil {
		return nil
	}
	v := q.AsApproximateFloat64()
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return &FieldError{Field: path + ".tolerance", Value: formatDecimal(q), Detail: `must be 0 or more, such as "0.05"`}
	}
	return nil
}

// formatDecimal writes q as a plain decimal, such as -0.05 where
// Quantity.String gives the canonical -50m. It leaves q unchanged.
func formatDecimal(q *resource.Quantity) string {
	decimal := q.DeepCopy()
	text := decimal.AsDec().String()
	if strings.Contains(text, ".") {
		text = strings.TrimRight(strings.TrimRight(text, "0"), ".")
	}
	return text
}

func (p ScalingPolicy) validate(path string) error {
	switch p.Type {
	case PodsScalingPolicy, PercentScalingPolicy:
	case "":
		return &FieldError{Field: path + ".type", Detail: fmt.Sprintf("is missing; set %q or %q", PodsScalingPolicy, PercentScalingPolicy)}
	default:
		return &FieldError{Field: path + ".type", Value: p.Type,
			Detail: fmt.Sprintf("is not supported; use %q or %q", PodsScalingPolicy, PercentScalingPolicy)}
	}
	if p.Value <= 0 {
		return &FieldError{Field: path + ".value", Value: p.Value, Detail: "must be above 0"}
	}
	if p.PeriodSeconds <= 0 || p.PeriodSeconds > maxPeriodSeconds {
		return &FieldError{Field: path + ".periodSeconds", Value: p.PeriodSeconds,
			Detail: fmt.Sprintf("must be between 1 and %d seconds", maxPeriodSeconds)}
	}
	return nil
}
