package scaler

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/promscaler/promscaler/hpa"
	"github.com/promscaler/promscaler/sigv4"
)

// validation collects the problems and warnings of one object.
type validation struct {
	object   string
	problems []Problem
	warnings []string
}

func (v *validation) fail(path, format string, args ...any) {
	v.problems = append(v.problems, Problem{Object: v.object, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *validation) warn(path, format string, args ...any) {
	v.warnings = append(v.warnings, Problem{Path: path, Message: fmt.Sprintf(format, args...)}.String())
}

// label names the object in messages.
func (so *ScaledObject) label() string {
	if so.Metadata.Name == "" {
		return KindScaledObject
	}
	return objectLabel(KindScaledObject, so.namespace(), so.Metadata.Name)
}

// namespace returns the object's namespace, "default" when it is empty.
func (so *ScaledObject) namespace() string {
	if so.Metadata.Namespace == "" {
		return defaultNamespace
	}
	return so.Metadata.Namespace
}

// check returns every problem and warning of the object and of the
// authentications loaded with it.
func (so *ScaledObject) check() ([]Problem, []string) {
	v := &validation{object: so.label()}

	so.checkHeader(v)
	so.checkReplicaCounts(v)
	so.checkFallback(v)
	so.checkAdvanced(v)
	so.checkTriggers(v)

	for _, ta := range so.authentications {
		v.problems = append(v.problems, ta.check()...)
	}
	return v.problems, v.warnings
}

func (so *ScaledObject) checkHeader(v *validation) {
	if so.APIVersion != KEDAAPIVersion {
		v.fail("apiVersion", "%q is not KEDA's API version; use %s", so.APIVersion, KEDAAPIVersion)
	}
	if so.Kind != KindScaledObject {
		v.fail("kind", "%q is not %s", so.Kind, KindScaledObject)
	}
	so.checkNames(v)
	_, problems := parsePause(so.Metadata.Annotations)
	for _, p := range problems {
		v.fail(p.Path, "%s", p.Message)
	}
	if so.Spec.ScaleTargetRef.Name == "" {
		v.fail("spec.scaleTargetRef.name", "missing; name the workload to scale")
	}
}

// checkNames checks the object's name and the name of the HPA that KEDA
// creates for it, which are label values of at most 63 characters. The HPA
// is named keda-hpa-<name> unless horizontalPodAutoscalerConfig names it.
func (so *ScaledObject) checkNames(v *validation) {
	const hpaNamePath = "spec.advanced.horizontalPodAutoscalerConfig.name"
	var hpaName string
	if advanced := so.Spec.Advanced; advanced != nil && advanced.HorizontalPodAutoscalerConfig != nil {
		hpaName = advanced.HorizontalPodAutoscalerConfig.Name
	}

	switch name := so.Metadata.Name; {
	case name == "":
		v.fail("metadata.name", "missing; name the ScaledObject")
	case len(name) > maxObjectNameLength:
		v.fail("metadata.name", "%q is %d characters long; KEDA allows at most %d, because it uses the name as a label value", name, len(name), maxObjectNameLength)
	case hpaName == "" && len(hpaNamePrefix+name) > maxObjectNameLength:
		v.fail("metadata.name", "%q gives the HPA name %q, which is %d characters long; KEDA allows at most %d, so shorten the name or set %s",
			name, hpaNamePrefix+name, len(hpaNamePrefix+name), maxObjectNameLength, hpaNamePath)
	}
	if len(hpaName) > maxObjectNameLength {
		v.fail(hpaNamePath, "%q is %d characters long; KEDA allows at most %d", hpaName, len(hpaName), maxObjectNameLength)
	}
}

// checkReplicaCounts checks the intervals and replica counts with the
// bounds of KEDA's CRD and admission webhook.
func (so *ScaledObject) checkReplicaCounts(v *validation) {
	spec := so.Spec
	atLeast := func(path string, value *int32, lowest int32) {
		if value != nil && *value < lowest {
			v.fail(path, "%d is below %d; use %d or more", *value, lowest, lowest)
		}
	}
	atLeast("spec.pollingInterval", spec.PollingInterval, 1)
	atLeast("spec.cooldownPeriod", spec.CooldownPeriod, 0)
	atLeast("spec.initialCooldownPeriod", spec.InitialCooldownPeriod, 0)
	atLeast("spec.idleReplicaCount", spec.IdleReplicaCount, 0)
	atLeast("spec.minReplicaCount", spec.MinReplicaCount, 0)
	atLeast("spec.maxReplicaCount", spec.MaxReplicaCount, 1)

	minimum := valueOr(spec.MinReplicaCount, 0)
	maximum := valueOr(spec.MaxReplicaCount, kedaMaxReplicaCount)
	if minimum > maximum {
		v.fail("spec.minReplicaCount", "%d is above maxReplicaCount %d; lower minReplicaCount or raise maxReplicaCount", minimum, maximum)
	}

	// The idle count applies while no trigger is active, and the minimum
	// while one is, so the idle count must be the lower one. KEDA compares
	// it with the HPA's minimum, which is at least 1, when minReplicaCount
	// is set, so it admits an idle count of 0 with a minimum of 0, which
	// changes nothing.
	switch idle := spec.IdleReplicaCount; {
	case ineffectiveIdle(spec):
		v.warn("spec.idleReplicaCount", "0 has no effect, because minReplicaCount is 0 and the workload scales to zero when inactive; remove idleReplicaCount")
	case idle != nil && *idle >= 0 && *idle >= minimum:
		v.fail("spec.idleReplicaCount", "%d is not below minReplicaCount %d; use a count below minReplicaCount, or remove idleReplicaCount", *idle, minimum)
	}

	// Without scaling to zero or an idle count the workload never becomes
	// inactive, so the cooldown period has no effect.
	if spec.CooldownPeriod != nil && minimum > 0 && spec.IdleReplicaCount == nil {
		v.warn("spec.cooldownPeriod", "has no effect, because minReplicaCount %d is above 0 and idleReplicaCount is not set", minimum)
	}
}

// ineffectiveIdle reports whether the spec sets both idleReplicaCount and
// minReplicaCount to 0.
func ineffectiveIdle(spec ScaledObjectSpec) bool {
	idle, minimum := spec.IdleReplicaCount, spec.MinReplicaCount
	return idle != nil && *idle == 0 && minimum != nil && *minimum == 0
}

var fallbackBehaviors = []FallbackBehavior{FallbackStatic, FallbackCurrentReplicas, FallbackCurrentReplicasIfHigher, FallbackCurrentReplicasIfLower}

func (so *ScaledObject) checkFallback(v *validation) {
	fallback := so.Spec.Fallback
	if fallback == nil {
		return
	}
	if fallback.FailureThreshold < 0 {
		v.fail("spec.fallback.failureThreshold", "%d is negative; use 0 or more", fallback.FailureThreshold)
	}
	if fallback.Replicas < 0 {
		v.fail("spec.fallback.replicas", "%d is negative; use 0 or more", fallback.Replicas)
	}
	switch behavior := FallbackBehavior(fallback.Behavior); {
	case behavior == "" || containsBehavior(behavior):
	case behavior == "scalingModifiers":
		v.fail("spec.fallback.behavior", "%q is not supported; use %s", behavior, listBehaviors())
	default:
		v.fail("spec.fallback.behavior", "%q is not a fallback behavior; use %s", behavior, listBehaviors())
	}
	for i, trigger := range so.Spec.Triggers {
		if trigger.MetricType == hpa.UtilizationMetricType {
			v.fail("spec.fallback", "cannot apply to spec.triggers[%d], whose metricType is Utilization; use AverageValue or Value for the trigger", i)
		}
	}
}

func containsBehavior(behavior FallbackBehavior) bool {
	for _, b := range fallbackBehaviors {
		if b == behavior {
			return true
		}
	}
	return false
}

func listBehaviors() string {
	names := make([]string, len(fallbackBehaviors))
	for i, b := range fallbackBehaviors {
		names[i] = string(b)
	}
	return strings.Join(names, ", ")
}

func (so *ScaledObject) checkAdvanced(v *validation) {
	advanced := so.Spec.Advanced
	if advanced == nil {
		return
	}
	if hpaConfig := advanced.HorizontalPodAutoscalerConfig; hpaConfig != nil && hpaConfig.Behavior != nil {
		// Only the behavior is checked here: the counts are checked above.
		err := hpa.Spec{MinReplicas: 1, MaxReplicas: 1, Behavior: hpaConfig.Behavior}.Validate()
		var fieldErr *hpa.FieldError
		switch {
		case errors.As(err, &fieldErr):
			message := strings.TrimPrefix(fieldErr.Error(), "hpa: "+fieldErr.Field+" ")
			v.fail("spec.advanced.horizontalPodAutoscalerConfig."+fieldErr.Field, "%s", message)
		case err != nil:
			v.fail("spec.advanced.horizontalPodAutoscalerConfig.behavior", "%s", strings.TrimPrefix(err.Error(), "hpa: "))
		}
	}
	if !advanced.ScalingModifiers.isZero() {
		so.checkScalingModifiers(v)
	}
}

// checkScalingModifiers checks the fields of a scalingModifiers block that
// has at least one field set.
func (so *ScaledObject) checkScalingModifiers(v *validation) {
	const path = "spec.advanced.scalingModifiers"
	modifiers := so.Spec.Advanced.ScalingModifiers

	if modifiers.Formula == "" {
		v.fail(path+".formula", "missing; set a formula over the trigger names, such as \"(trig_one + trig_two) / 2\", or remove scalingModifiers")
	} else {
		if modifiers.Target == "" {
			v.fail(path+".target", "missing; a formula needs the target of its composite metric, such as \"10\"")
		}
		names := make([]string, 0, len(so.Spec.Triggers))
		for i, trigger := range so.Spec.Triggers {
			if trigger.Name == "" {
				v.fail(fmt.Sprintf("spec.triggers[%d].name", i), "missing; a formula refers to triggers by name, so give every trigger a name")
				continue
			}
			names = append(names, trigger.Name)
		}
		// The formula is checked once every trigger has a name to check it against.
		if _, err := compileFormula(modifiers.Formula, names); err != nil && len(names) == len(so.Spec.Triggers) {
			v.fail(path+".formula", "%s", strings.TrimPrefix(err.Error(), "scaler: scalingModifiers.formula "))
		}
	}
	if modifiers.Target != "" {
		if f, err := strconv.ParseFloat(modifiers.Target, 64); err != nil || !(f > 0) || math.IsInf(f, 0) {
			v.fail(path+".target", "%q is not a positive number; use a quoted decimal such as \"10\"", modifiers.Target)
		}
	}
	if modifiers.ActivationTarget != "" {
		if f, err := strconv.ParseFloat(modifiers.ActivationTarget, 64); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			v.fail(path+".activationTarget", "%q is not a number; use a quoted decimal such as \"1\"", modifiers.ActivationTarget)
		}
	}
	checkMetricType(v, path+".metricType", modifiers.MetricType)
}

// checkMetricType accepts AverageValue, Value and empty (AverageValue).
func checkMetricType(v *validation, path string, metricType hpa.MetricType) {
	switch metricType {
	case "", hpa.AverageValueMetricType, hpa.ValueMetricType:
	case hpa.UtilizationMetricType:
		v.fail(path, "Utilization applies only to cpu and memory triggers, which KEDA reads from the pods; use AverageValue or Value")
	default:
		v.fail(path, "%q is not a metric type; use AverageValue or Value", metricType)
	}
}

func (so *ScaledObject) checkTriggers(v *validation) {
	if len(so.Spec.Triggers) == 0 {
		v.fail("spec.triggers", "missing; add at least one prometheus trigger")
		return
	}
	names := map[string]int{}
	for i, trigger := range so.Spec.Triggers {
		path := fmt.Sprintf("spec.triggers[%d]", i)
		if trigger.Name != "" {
			if first, ok := names[trigger.Name]; ok {
				v.fail(path+".name", "%q is also the name of spec.triggers[%d]; trigger names must be unique", trigger.Name, first)
			} else {
				names[trigger.Name] = i
			}
		}
		checkTrigger(v, path, trigger)
	}
}

func checkTrigger(v *validation, path string, trigger ScaleTrigger) {
	switch trigger.Type {
	case prometheusTriggerType:
		_, problems, warnings := parseMetadata(trigger.Metadata)
		for _, p := range problems {
			v.fail(joinPath(path+".metadata", p.Path), "%s", p.Message)
		}
		for _, p := range warnings {
			v.warn(joinPath(path+".metadata", p.Path), "%s", p.Message)
		}
	case "":
		v.fail(path+".type", "missing; set type: prometheus")
	default:
		v.fail(path+".type", "%q is not supported; only the prometheus trigger is supported", trigger.Type)
	}

	checkMetricType(v, path+".metricType", trigger.MetricType)
	if trigger.UseCachedMetrics {
		v.warn(path+".useCachedMetrics", "has no effect, because the scaler reads every trigger once per poll")
	}
	if ref := trigger.AuthenticationRef; ref != nil {
		if ref.Name == "" {
			v.fail(path+".authenticationRef.name", "missing; name the TriggerAuthentication")
		}
		if ref.Kind != "" && ref.Kind != KindTriggerAuthentication && ref.Kind != KindClusterTriggerAuthentication {
			v.fail(path+".authenticationRef.kind", "%q is not an authentication kind; use %s or %s", ref.Kind, KindTriggerAuthentication, KindClusterTriggerAuthentication)
		}
	}
}

// label names the authentication in messages.
func (ta *TriggerAuthentication) label() string {
	kind := ta.Kind
	if kind == "" {
		kind = KindTriggerAuthentication
	}
	if ta.Metadata.Name == "" {
		return kind
	}
	return objectLabel(kind, ta.Metadata.Namespace, ta.Metadata.Name)
}

// check returns every problem of the authentication.
func (ta *TriggerAuthentication) check() []Problem {
	v := &validation{object: ta.label()}
	if ta.APIVersion != KEDAAPIVersion {
		v.fail("apiVersion", "%q is not KEDA's API version; use %s", ta.APIVersion, KEDAAPIVersion)
	}
	if ta.Kind != KindTriggerAuthentication && ta.Kind != KindClusterTriggerAuthentication {
		v.fail("kind", "%q is not %s or %s", ta.Kind, KindTriggerAuthentication, KindClusterTriggerAuthentication)
	}
	if ta.Metadata.Name == "" {
		v.fail("metadata.name", "missing; name the %s so that triggers can refer to it", ta.Kind)
	}
	if ta.Spec.PodIdentity != nil {
		checkPodIdentity(v, *ta.Spec.PodIdentity)
	}

	parameters := map[string]int{}
	for i, ref := range ta.Spec.SecretTargetRef {
		path := fmt.Sprintf("spec.secretTargetRef[%d]", i)
		for _, field := range []struct{ name, value string }{{"parameter", ref.Parameter}, {"name", ref.Name}, {"key", ref.Key}} {
			if field.value == "" {
				v.fail(path+"."+field.name, "missing; a secretTargetRef needs parameter, name and key")
			}
		}
		if first, ok := parameters[ref.Parameter]; ok && ref.Parameter != "" {
			v.fail(path+".parameter", "%q is also set by spec.secretTargetRef[%d]; set each parameter once", ref.Parameter, first)
		}
		parameters[ref.Parameter] = i
	}
	return v.problems
}

func checkPodIdentity(v *validation, identity PodIdentity) {
	const path = "spec.podIdentity"
	switch identity.Provider {
	case podIdentityProviderAWS, podIdentityProviderNone:
	case "":
		v.fail(path+".provider", "missing; use aws or none")
	case "aws-eks":
		v.fail(path+".provider", "aws-eks is deprecated in KEDA and not supported; use provider aws, with roleArn for a role to assume")
	default:
		v.fail(path+".provider", "%q is not supported; only aws and none are supported", identity.Provider)
	}

	switch identity.IdentityOwner {
	case "", podIdentityOwnerKEDA:
	case podIdentityOwnerWorkload:
		v.fail(path+".identityOwner", "workload is not supported: KEDA then reads the role from the workload's service account, which an embedded library cannot see; set roleArn to that role and remove identityOwner")
	default:
		v.fail(path+".identityOwner", "%q is not an identity owner; use keda (the default) or remove it", identity.IdentityOwner)
	}

	if identity.RoleARN != "" {
		if err := (sigv4.CredentialsConfig{RoleARN: identity.RoleARN}).Validate(); err != nil {
			v.fail(path+".roleArn", "%s", strings.TrimPrefix(err.Error(), "sigv4: "))
		}
	}
}

// parsePause reads the pause annotations. Paths are relative to the
// object.
func parsePause(annotations map[string]string) (Pause, []Problem) {
	var pause Pause
	var problems []Problem
	path := func(name string) string { return joinPath("metadata.annotations", name) }

	readBool := func(name string, target *bool) {
		value, ok := annotations[name]
		if !ok {
			return
		}
		b, err := strconv.ParseBool(value)
		if err != nil {
			problems = append(problems, Problem{Path: path(name), Message: fmt.Sprintf("%q is not a boolean; use \"true\" or \"false\"", value)})
			return
		}
		*target = b
	}
	readBool(PausedAnnotation, &pause.Paused)
	readBool(PausedScaleInAnnotation, &pause.ScaleIn)
	readBool(PausedScaleOutAnnotation, &pause.ScaleOut)

	if value, ok := annotations[PausedReplicasAnnotation]; ok {
		n, err := strconv.ParseInt(value, 10, 32)
		if err != nil || n < 0 {
			problems = append(problems, Problem{Path: path(PausedReplicasAnnotation), Message: fmt.Sprintf("%q is not a replica count; use a whole number of 0 or more, such as \"0\"", value)})
		} else {
			replicas := int32(n)
			pause.Replicas = &replicas
		}
	}
	return pause, problems
}

func valueOr(p *int32, otherwise int32) int32 {
	if p == nil {
		return otherwise
	}
	return *p
}
