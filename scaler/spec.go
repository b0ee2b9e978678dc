package scaler

import (
	"time"

	"github.com/promscaler/promscaler/hpa"
)

// KEDA's API group version and the kinds that LoadScaledObject reads.
const (
	KEDAAPIVersion                   = "keda.sh/v1alpha1"
	KindScaledObject                 = "ScaledObject"
	KindTriggerAuthentication        = "TriggerAuthentication"
	KindClusterTriggerAuthentication = "ClusterTriggerAuthentication"
)

const (
	defaultNamespace      = "default"
	prometheusTriggerType = "prometheus"
	// maxObjectNameLength is the limit of a label value, which KEDA puts
	// the ScaledObject's name in.
	maxObjectNameLength = 63
	// hpaNamePrefix starts the name of the HPA that KEDA creates for a
	// ScaledObject whose horizontalPodAutoscalerConfig names none.
	hpaNamePrefix = "keda-hpa-"
	// kedaMaxReplicaCount is KEDA's default maxReplicaCount.
	kedaMaxReplicaCount = 100

	podIdentityProviderAWS   = "aws"
	podIdentityProviderNone  = "none"
	podIdentityOwnerKEDA     = "keda"
	podIdentityOwnerWorkload = "workload"

	// The identityOwner values of trigger metadata.
	identityOwnerOperator = "operator"
	identityOwnerPod      = "pod"
)

// ObjectMeta is the part of a Kubernetes object's metadata that the scaler
// reads. Other metadata fields, such as uid, resourceVersion and
// managedFields, which `kubectl get -o yaml` prints, are accepted and
// dropped.
type ObjectMeta struct {
	Name        string            `json:"name,omitempty"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Finalizers  []string          `json:"finalizers,omitempty"`
	Generation  int64             `json:"generation,omitempty"`
	// CreationTimestamp is the time the object was created, in RFC 3339
	// form in YAML. It sets Config.CreatedAt.
	CreationTimestamp time.Time `json:"creationTimestamp,omitzero" hint:"an RFC 3339 time such as \"2025-01-22T09:00:00Z\""`
}

// ScaledObject is a KEDA keda.sh/v1alpha1 ScaledObject. Field names and
// JSON tags are KEDA's, so a manifest decodes into it unchanged; its status
// is ignored. Read one with LoadScaledObject and turn it into a Config with
// its Config method.
type ScaledObject struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Metadata   ObjectMeta       `json:"metadata"`
	Spec       ScaledObjectSpec `json:"spec"`

	// authentications are the TriggerAuthentication and
	// ClusterTriggerAuthentication documents loaded with the object.
	authentications []*TriggerAuthentication
	// warnings are the problems found at load that do not stop it.
	warnings []string
}

// ScaledObjectSpec is the spec of a ScaledObject. A nil pointer takes KEDA's
// default: pollingInterval 30 s, cooldownPeriod 300 s,
// initialCooldownPeriod 0, no idleReplicaCount, minReplicaCount 0 and
// maxReplicaCount 100. Times are whole seconds.
type ScaledObjectSpec struct {
	ScaleTargetRef        ScaleTarget     `json:"scaleTargetRef"`
	PollingInterval       *int32          `json:"pollingInterval,omitempty" hint:"whole seconds such as 60"`
	CooldownPeriod        *int32          `json:"cooldownPeriod,omitempty" hint:"whole seconds such as 300"`
	InitialCooldownPeriod *int32          `json:"initialCooldownPeriod,omitempty" hint:"whole seconds such as 0"`
	IdleReplicaCount      *int32          `json:"idleReplicaCount,omitempty" hint:"a replica count such as 0"`
	MinReplicaCount       *int32          `json:"minReplicaCount,omitempty" hint:"a replica count such as 1"`
	MaxReplicaCount       *int32          `json:"maxReplicaCount,omitempty" hint:"a replica count such as 10"`
	Advanced              *AdvancedConfig `json:"advanced,omitempty"`
	Triggers              []ScaleTrigger  `json:"triggers"`
	Fallback              *FallbackSpec   `json:"fallback,omitempty"`
}

// ScaleTarget names the workload to scale. The scaler sets replicas through
// BuildOptions.Target, so the reference is only checked and reported.
type ScaleTarget struct {
	APIVersion             string `json:"apiVersion,omitempty"`
	Kind                   string `json:"kind,omitempty"`
	Name                   string `json:"name"`
	EnvSourceContainerName string `json:"envSourceContainerName,omitempty"`
}

// AdvancedConfig is spec.advanced of a ScaledObject.
type AdvancedConfig struct {
	HorizontalPodAutoscalerConfig *HorizontalPodAutoscalerConfig `json:"horizontalPodAutoscalerConfig,omitempty"`
	RestoreToOriginalReplicaCount bool                           `json:"restoreToOriginalReplicaCount,omitempty"`
	// ScalingModifiers is used only when one of its fields is set, so an
	// empty `scalingModifiers: {}` means no modifiers.
	ScalingModifiers ScalingModifiersSpec `json:"scalingModifiers,omitzero"`
}

// HorizontalPodAutoscalerConfig is spec.advanced.horizontalPodAutoscalerConfig.
// Name is the HPA's name in KEDA and is not used here.
type HorizontalPodAutoscalerConfig struct {
	Name     string        `json:"name,omitempty"`
	Behavior *hpa.Behavior `json:"behavior,omitempty"`
}

// ScalingModifiersSpec is spec.advanced.scalingModifiers. Target and
// ActivationTarget are decimal strings, as in KEDA.
type ScalingModifiersSpec struct {
	Formula          string         `json:"formula,omitempty"`
	Target           string         `json:"target,omitempty" hint:"a quoted decimal such as \"10\""`
	ActivationTarget string         `json:"activationTarget,omitempty" hint:"a quoted decimal such as \"1\""`
	MetricType       hpa.MetricType `json:"metricType,omitempty"`
}

// isZero reports whether no field is set, which KEDA reads as no modifiers.
func (m ScalingModifiersSpec) isZero() bool {
	return m == ScalingModifiersSpec{}
}

// FallbackSpec is spec.fallback of a ScaledObject. KEDA's CRD requires
// failureThreshold and replicas, so loading a fallback without one of them
// is an error, although 0 is a valid value of both.
type FallbackSpec struct {
	FailureThreshold int32  `json:"failureThreshold" hint:"a count such as 3" required:"true"`
	Replicas         int32  `json:"replicas" hint:"a replica count such as 1" required:"true"`
	Behavior         string `json:"behavior,omitempty"`
}

// ScaleTrigger is one entry of spec.triggers. Only the prometheus type is
// supported; Metadata holds its settings as strings, which
// ParsePrometheusMetadata reads.
type ScaleTrigger struct {
	Type              string             `json:"type"`
	Name              string             `json:"name,omitempty"`
	UseCachedMetrics  bool               `json:"useCachedMetrics,omitempty"`
	MetricType        hpa.MetricType     `json:"metricType,omitempty"`
	Metadata          map[string]string  `json:"metadata"`
	AuthenticationRef *AuthenticationRef `json:"authenticationRef,omitempty"`
}

// AuthenticationRef names the TriggerAuthentication (the default Kind) or
// ClusterTriggerAuthentication of a trigger.
type AuthenticationRef struct {
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
}

// TriggerAuthentication is a KEDA TriggerAuthentication or
// ClusterTriggerAuthentication, as Kind names it. Of its spec, only
// podIdentity and secretTargetRef are supported: the values of
// secretTargetRef come from BuildOptions.Secrets, because an embedded
// library reads no Kubernetes secrets.
type TriggerAuthentication struct {
	APIVersion string                    `json:"apiVersion"`
	Kind       string                    `json:"kind"`
	Metadata   ObjectMeta                `json:"metadata"`
	Spec       TriggerAuthenticationSpec `json:"spec"`
}

// TriggerAuthenticationSpec is the supported part of a TriggerAuthentication's spec.
type TriggerAuthenticationSpec struct {
	PodIdentity     *PodIdentity      `json:"podIdentity,omitempty"`
	SecretTargetRef []SecretTargetRef `json:"secretTargetRef,omitempty"`
}

// PodIdentity is spec.podIdentity. Provider "aws" signs requests with
// SigV4 using the host's AWS identity (KEDA's identityOwner "keda", the
// default), and assumes RoleARN when it is set. Provider "none" turns
// signing off.
type PodIdentity struct {
	Provider      string `json:"provider"`
	RoleARN       string `json:"roleArn,omitempty"`
	IdentityOwner string `json:"identityOwner,omitempty"`
}

// SecretTargetRef sets the trigger parameter Parameter, such as
// bearerToken, to the value under Key in the secret Name.
type SecretTargetRef struct {
	Parameter string `json:"parameter"`
	Name      string `json:"name"`
	Key       string `json:"key"`
}
