package scaler

import (
	"log/slog"
	"time"

	"github.com/promscaler/promscaler/hpa"
)

// Trigger is one metric that drives the workload, like an entry of a
// ScaledObject's spec.triggers.
type Trigger struct {
	// Name identifies the trigger in decisions, logs and scaling modifier
	// formulas. Empty means "s<index>-prometheus", the metric name KEDA
	// gives the HPA.
	Name   string
	Source Source
	// MetricType is AverageValue (KEDA's default, used when empty) or Value.
	MetricType hpa.MetricType
	// Threshold is the HPA target: the value per replica for AverageValue,
	// the total value for Value. It must be at least 0.001.
	Threshold float64
	// ActivationThreshold is the value the metric must exceed for the
	// trigger to be active. Zero means any positive value activates. A
	// negative threshold also counts a metric of 0 as active, as in KEDA.
	ActivationThreshold float64
}

// FallbackBehavior selects the replica count of a fallback.
type FallbackBehavior string

// The fallback behaviors of KEDA's ScaledObject.
const (
	// FallbackStatic sets Fallback.Replicas. It is the default.
	FallbackStatic FallbackBehavior = "static"
	// FallbackCurrentReplicas keeps the current count.
	FallbackCurrentReplicas FallbackBehavior = "currentReplicas"
	// FallbackCurrentReplicasIfHigher keeps the current count when it is
	// above Fallback.Replicas, and sets Fallback.Replicas otherwise.
	FallbackCurrentReplicasIfHigher FallbackBehavior = "currentReplicasIfHigher"
	// FallbackCurrentReplicasIfLower keeps the current count when it is
	// below Fallback.Replicas, and sets Fallback.Replicas otherwise.
	FallbackCurrentReplicasIfLower FallbackBehavior = "currentReplicasIfLower"
)

// Fallback is the replica count to use while a trigger keeps failing, like
// a ScaledObject's spec.fallback.
type Fallback struct {
	// FailureThreshold is the number of consecutive failures of a trigger
	// that are tolerated; the fallback applies from the next one.
	FailureThreshold int32
	// Replicas is the count of the static behavior and the bound of the
	// currentReplicasIf* behaviors.
	Replicas int32
	// Behavior is FallbackStatic when empty.
	Behavior FallbackBehavior
}

// ScalingModifiers combine the triggers into one composite metric, like a
// ScaledObject's spec.advanced.scalingModifiers.
type ScalingModifiers struct {
	// Formula is an expression of github.com/expr-lang/expr over the
	// trigger names, such as "(trig_one + trig_two) / 2".
	Formula string
	// Target is the HPA target of the composite metric.
	Target float64
	// ActivationTarget is the value the composite metric must exceed for
	// the workload to be active.
	ActivationTarget float64
	// MetricType is AverageValue (used when empty) or Value.
	MetricType hpa.MetricType
}

// Pause holds the pause annotations of a ScaledObject.
type Pause struct {
	// Paused stops scaling at the current count
	// (autoscaling.keda.sh/paused: "true").
	Paused bool
	// Replicas sets the count and then stops scaling
	// (autoscaling.keda.sh/paused-replicas). It wins over Paused.
	Replicas *int32
	// ScaleIn stops every decrease (autoscaling.keda.sh/paused-scale-in).
	ScaleIn bool
	// ScaleOut stops every increase (autoscaling.keda.sh/paused-scale-out).
	ScaleOut bool
}

// Config describes one scaled workload. Fields follow the KEDA ScaledObject
// spec, and zero values take KEDA's defaults where the field documents one.
type Config struct {
	// Name identifies the scaler in logs, metrics and status, such as
	// "default/sample-app".
	Name     string
	Triggers []Trigger
	Target   Target
	// PollingInterval is the time between polls; 0 means 30 s.
	PollingInterval time.Duration
	// CooldownPeriod is how long all triggers must stay inactive, since one
	// was last active, before the workload goes to 0 (or to
	// IdleReplicaCount); nil means 300 s.
	CooldownPeriod *time.Duration
	// InitialCooldownPeriod is how long a workload that was never active
	// keeps its replicas after CreatedAt; 0 is KEDA's default.
	InitialCooldownPeriod time.Duration
	// MinReplicaCount is the lowest count while active; 0 allows scaling
	// to zero.
	MinReplicaCount int32
	// MaxReplicaCount is the highest count; 0 means 100.
	MaxReplicaCount int32
	// IdleReplicaCount, when set, is the count while inactive. It must be
	// below MinReplicaCount.
	IdleReplicaCount *int32
	// Fallback, when set, is the count to use while a trigger fails.
	Fallback *Fallback
	// Behavior is the HPA's scaling behavior
	// (spec.advanced.horizontalPodAutoscalerConfig.behavior).
	Behavior *hpa.Behavior
	// Tolerance and DownscaleStabilizationWindow are the HPA controller's
	// flags; nil takes the Kubernetes defaults (0.1 and 300 s).
	Tolerance                    *float64
	DownscaleStabilizationWindow *time.Duration
	// ScalingModifiers, when set, replace the triggers' metrics with one
	// composite metric.
	ScalingModifiers *ScalingModifiers
	// Pause is the pause state at start; SetPause changes it.
	Pause Pause
	// RestoreToOriginalReplicaCount sets the count the workload had before
	// the first poll when the scaler shuts down.
	RestoreToOriginalReplicaCount bool
	// CreatedAt is the ScaledObject's creation time, from which
	// InitialCooldownPeriod counts. Zero means the time New is called.
	CreatedAt time.Time
	// Clock defaults to SystemClock.
	Clock Clock
	// Logger receives one record per poll at debug level and every error at
	// error level; nil discards.
	Logger *slog.Logger
	// OnDecision, if set, is called after every poll with its decision.
	OnDecision func(Decision)
}
