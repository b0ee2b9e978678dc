package scaler

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/promscaler/promscaler/hpa"
)

// KEDA's defaults for a ScaledObject.
const (
	DefaultPollingInterval = 30 * time.Second
	DefaultCooldownPeriod  = 300 * time.Second
	DefaultMaxReplicaCount = 100
)

// Source returns the current value of one trigger's metric at now.
type Source interface {
	Value(ctx context.Context, now time.Time) (float64, error)
}

// Target is the workload whose replica count the scaler sets.
type Target interface {
	// Replicas returns the workload's current, existing and ready replicas.
	Replicas(ctx context.Context) (hpa.Replicas, error)
	// SetReplicas sets the workload's replica count.
	SetReplicas(ctx context.Context, replicas int32) error
}

// Clock is the time source of the loop. SystemClock is the wall clock;
// tests and simulations pass their own.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the Clock of the time package.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

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

// Validate reports the first setting that cannot work, naming the field and
// its value.
func (c Config) Validate() error {
	if len(c.Triggers) == 0 {
		return errors.New("scaler: no triggers; add at least one trigger with a source and a threshold")
	}
	for i, t := range c.Triggers {
		if err := t.validate(i); err != nil {
			return err
		}
	}
	if c.Target == nil {
		return errors.New("scaler: target is nil; set the workload to scale")
	}
	if c.PollingInterval < 0 {
		return fmt.Errorf("scaler: pollingInterval %v is negative; use a positive interval such as %v", c.PollingInterval, DefaultPollingInterval)
	}
	if c.CooldownPeriod != nil && *c.CooldownPeriod < 0 {
		return fmt.Errorf("scaler: cooldownPeriod %v is negative; use 0 or more", *c.CooldownPeriod)
	}
	if c.MinReplicaCount < 0 {
		return fmt.Errorf("scaler: minReplicaCount %d is negative; use 0 or more", c.MinReplicaCount)
	}
	if c.maxReplicaCount() < 1 || c.maxReplicaCount() < c.MinReplicaCount {
		return fmt.Errorf("scaler: maxReplicaCount %d must be at least 1 and at least minReplicaCount %d", c.MaxReplicaCount, c.MinReplicaCount)
	}
	return c.hpaSpec().Validate()
}

func (t Trigger) validate(i int) error {
	name := t.name(i)
	if t.Source == nil {
		return fmt.Errorf("scaler: trigger %q: source is nil; set the query source", name)
	}
	switch t.metricType() {
	case hpa.AverageValueMetricType, hpa.ValueMetricType:
	default:
		return fmt.Errorf("scaler: trigger %q: metricType %q is not supported; use %q or %q", name, t.MetricType, hpa.AverageValueMetricType, hpa.ValueMetricType)
	}
	if math.IsNaN(t.Threshold) || math.IsInf(t.Threshold, 0) || t.Threshold < 0.001 {
		return fmt.Errorf("scaler: trigger %q: threshold %v must be a number of at least 0.001, the smallest target the HPA accepts", name, t.Threshold)
	}
	if math.IsNaN(t.ActivationThreshold) || math.IsInf(t.ActivationThreshold, 0) {
		return fmt.Errorf("scaler: trigger %q: activationThreshold %v must be a finite number", name, t.ActivationThreshold)
	}
	return nil
}

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

// hpaSpec is the HPA that KEDA creates for the ScaledObject: its minimum is
// at least 1 because KEDA itself handles zero replicas.
func (c Config) hpaSpec() hpa.Spec {
	return hpa.Spec{
		MinReplicas:                  max(c.MinReplicaCount, 1),
		MaxReplicas:                  c.maxReplicaCount(),
		Tolerance:                    c.Tolerance,
		DownscaleStabilizationWindow: c.DownscaleStabilizationWindow,
	}
}
