package scaler

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
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
	// PollingInterval is the time between polls; 0 means 30 s. Each
	// trigger's read is limited to the longer of PollingInterval and 30 s
	// of wall-clock time, so a query that hangs or would wait out a long
	// Retry-After fails instead of stalling the loop.
	PollingInterval time.Duration
	// CooldownPeriod is how long all triggers must stay inactive, since one
	// was last active, before the workload goes to 0 or to
	// IdleReplicaCount. Nil means 300 s.
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
	// the first poll when the scaler shuts down. Run shuts the scaler down
	// each time it returns, so the count is restored at every stop of the
	// host, where KEDA restores it only when the ScaledObject is deleted.
	RestoreToOriginalReplicaCount bool
	// CreatedAt is the ScaledObject's creation time, from which
	// InitialCooldownPeriod counts. Zero means State.CreatedAt when State
	// is set, and the time New is called otherwise.
	CreatedAt time.Time
	// State, when set, resumes a scaler from the State another Scaler
	// exported: the HPA's history, the last active time, the failure
	// counts, the original replica count and the conditions.
	State *State
	// Clock defaults to SystemClock.
	Clock Clock
	// Logger receives one record per poll at debug level and every failure
	// at error level. Changes of replicas, fallback and pause go to info
	// level. Nil discards the records.
	Logger *slog.Logger
	// Metrics, when set, receives each poll's values, errors, latencies and
	// replica counts; nil records nothing.
	Metrics *Metrics
	// OnDecision, if set, is called after every poll with its decision, on
	// the goroutine that called Step. It must not call Step or Shutdown.
	OnDecision func(Decision)
}

// KEDA's defaults for a ScaledObject.
const (
	DefaultPollingInterval = 30 * time.Second
	DefaultCooldownPeriod  = 300 * time.Second
	DefaultMaxReplicaCount = 100
)

// CompositeMetricName is the name of the one metric that ScalingModifiers
// give the HPA, as in KEDA.
const CompositeMetricName = "composite-metric"

// minTarget is the smallest target the HPA accepts: one milli-unit.
const minTarget = 0.001

// Validate reports the first setting that cannot work, naming the field and
// its value. It does not check State, which New checks against the time it
// resumes at.
func (c Config) Validate() error {
	if err := c.validateTriggers(); err != nil {
		return err
	}
	if c.Target == nil {
		return errors.New("scaler: target is nil; set the workload to scale")
	}
	if err := c.validateTimes(); err != nil {
		return err
	}
	if err := c.validateReplicaCounts(); err != nil {
		return err
	}
	if err := c.Fallback.validate(); err != nil {
		return err
	}
	if err := c.validateModifiers(); err != nil {
		return err
	}
	if err := c.hpaSpec(Pause{}).Validate(); err != nil {
		return fmt.Errorf("scaler: %w", err)
	}
	return nil
}

func (c Config) validateTriggers() error {
	if len(c.Triggers) == 0 {
		return errors.New("scaler: no triggers; add at least one trigger with a source and a threshold")
	}
	seen := make(map[string]int, len(c.Triggers))
	for i, t := range c.Triggers {
		if err := t.validate(i); err != nil {
			return err
		}
		name := t.name(i)
		if j, ok := seen[name]; ok {
			return fmt.Errorf("scaler: triggers[%d] and triggers[%d] are both named %q; give each trigger a unique name", j, i, name)
		}
		seen[name] = i
	}
	return nil
}

func (t Trigger) validate(i int) error {
	name := t.name(i)
	if t.Source == nil {
		return fmt.Errorf("scaler: trigger %q: source is nil; set the query source", name)
	}
	if err := validateMetricType("trigger "+strconv.Quote(name)+": metricType", t.MetricType); err != nil {
		return err
	}
	if !isFinite(t.Threshold) || t.Threshold < minTarget {
		return fmt.Errorf("scaler: trigger %q: threshold %v must be a number of at least 0.001, the smallest target the HPA accepts", name, t.Threshold)
	}
	if !isFinite(t.ActivationThreshold) {
		return fmt.Errorf("scaler: trigger %q: activationThreshold %v must be a finite number", name, t.ActivationThreshold)
	}
	return nil
}

func validateMetricType(field string, t hpa.MetricType) error {
	switch t {
	case "", hpa.AverageValueMetricType, hpa.ValueMetricType:
		return nil
	}
	return fmt.Errorf("scaler: %s %q is not supported; use %q or %q", field, t, hpa.AverageValueMetricType, hpa.ValueMetricType)
}

func (c Config) validateTimes() error {
	switch {
	case c.PollingInterval < 0:
		return fmt.Errorf("scaler: pollingInterval %v is negative; use a positive interval such as %v", c.PollingInterval, DefaultPollingInterval)
	case c.CooldownPeriod != nil && *c.CooldownPeriod < 0:
		return fmt.Errorf("scaler: cooldownPeriod %v is negative; use 0 or more", *c.CooldownPeriod)
	case c.InitialCooldownPeriod < 0:
		return fmt.Errorf("scaler: initialCooldownPeriod %v is negative; use 0 or more", c.InitialCooldownPeriod)
	}
	return nil
}

func (c Config) validateReplicaCounts() error {
	if c.MinReplicaCount < 0 {
		return fmt.Errorf("scaler: minReplicaCount %d is negative; use 0 or more", c.MinReplicaCount)
	}
	if c.maxReplicaCount() < 1 || c.maxReplicaCount() < c.MinReplicaCount {
		return fmt.Errorf("scaler: maxReplicaCount %d must be at least 1 and at least minReplicaCount %d", c.MaxReplicaCount, c.MinReplicaCount)
	}
	if idle := c.IdleReplicaCount; idle != nil && (*idle < 0 || *idle >= c.MinReplicaCount) {
		return fmt.Errorf("scaler: idleReplicaCount %d must be 0 or more and below minReplicaCount %d; raise minReplicaCount or remove idleReplicaCount", *idle, c.MinReplicaCount)
	}
	if p := c.Pause.Replicas; p != nil && *p < 0 {
		return fmt.Errorf("scaler: paused replicas %d is negative; use 0 or more", *p)
	}
	return nil
}

func (f *Fallback) validate() error {
	if f == nil {
		return nil
	}
	switch {
	case f.FailureThreshold < 0:
		return fmt.Errorf("scaler: fallback.failureThreshold %d is negative; use 0 or more", f.FailureThreshold)
	case f.Replicas < 0:
		return fmt.Errorf("scaler: fallback.replicas %d is negative; use 0 or more", f.Replicas)
	}
	switch f.Behavior {
	case "", FallbackStatic, FallbackCurrentReplicas, FallbackCurrentReplicasIfHigher, FallbackCurrentReplicasIfLower:
		return nil
	}
	return fmt.Errorf("scaler: fallback.behavior %q is not supported; use %q, %q, %q or %q",
		f.Behavior, FallbackStatic, FallbackCurrentReplicas, FallbackCurrentReplicasIfHigher, FallbackCurrentReplicasIfLower)
}

func (c Config) validateModifiers() error {
	m := c.ScalingModifiers
	if m == nil {
		return nil
	}
	if !isFinite(m.Target) || m.Target < minTarget {
		return fmt.Errorf("scaler: scalingModifiers.target %v must be a number of at least 0.001, the smallest target the HPA accepts", m.Target)
	}
	if !isFinite(m.ActivationTarget) {
		return fmt.Errorf("scaler: scalingModifiers.activationTarget %v must be a finite number", m.ActivationTarget)
	}
	if err := validateMetricType("scalingModifiers.metricType", m.MetricType); err != nil {
		return err
	}
	if slices.Contains(c.triggerNames(), CompositeMetricName) {
		return fmt.Errorf("scaler: trigger %q: the name is the composite metric's when scalingModifiers are set; rename the trigger", CompositeMetricName)
	}
	_, err := compileFormula(m.Formula, c.triggerNames())
	return err
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func (t Trigger) name(i int) string {
	if t.Name == "" {
		return fmt.Sprintf("s%d-prometheus", i)
	}
	return t.Name
}

func (t Trigger) metricType() hpa.MetricType {
	if t.MetricType == "" {
		return hpa.AverageValueMetricType
	}
	return t.MetricType
}

func (m ScalingModifiers) metricType() hpa.MetricType {
	if m.MetricType == "" {
		return hpa.AverageValueMetricType
	}
	return m.MetricType
}

func (f Fallback) behavior() FallbackBehavior {
	if f.Behavior == "" {
		return FallbackStatic
	}
	return f.Behavior
}

func (c Config) triggerNames() []string {
	names := make([]string, len(c.Triggers))
	for i, t := range c.Triggers {
		names[i] = t.name(i)
	}
	return names
}

func (c Config) pollingInterval() time.Duration {
	if c.PollingInterval == 0 {
		return DefaultPollingInterval
	}
	return c.PollingInterval
}

func (c Config) cooldownPeriod() time.Duration {
	if c.CooldownPeriod == nil {
		return DefaultCooldownPeriod
	}
	return *c.CooldownPeriod
}

func (c Config) maxReplicaCount() int32 {
	if c.MaxReplicaCount == 0 {
		return DefaultMaxReplicaCount
	}
	return c.MaxReplicaCount
}

// hpaSpec is the HPA that KEDA creates for the ScaledObject. Its minimum is
// at least 1 because KEDA itself handles zero replicas, and the
// paused-scale-in and paused-scale-out annotations set the selectPolicy of
// their direction to Disabled.
func (c Config) hpaSpec(p Pause) hpa.Spec {
	return hpa.Spec{
		MinReplicas:                  max(c.MinReplicaCount, 1),
		MaxReplicas:                  c.maxReplicaCount(),
		Tolerance:                    c.Tolerance,
		DownscaleStabilizationWindow: c.DownscaleStabilizationWindow,
		Behavior:                     pausedBehavior(c.Behavior, p),
	}
}
