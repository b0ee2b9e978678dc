package scaler_test

import (
	"context"
	"fmt"
	"time"

	"github.com/promscaler/promscaler/scaler"
)

// constantSource is a Source that always reads the same value.
type constantSource float64

func (c constantSource) Value(context.Context, time.Time) (float64, error) { return float64(c), nil }

// A Deployment runs 2 pods, the query returns 140 and the threshold is 50
// per pod: one poll sets ceil(140 / 50) = 3 replicas.
func Example() {
	clock := scaler.NewSimulatedClock(time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC), 0)
	target := scaler.NewMemoryTarget(2, clock)
	s, err := scaler.New(scaler.Config{
		Name:            "default/sample-app-prometheus-scaler",
		Triggers:        []scaler.Trigger{{Source: constantSource(140), Threshold: 50}},
		Target:          target,
		MinReplicaCount: 1,
		MaxReplicaCount: 5,
		Clock:           clock,
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	d, err := s.Step(context.Background(), clock.Now())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Action, d.Replicas.Current, "→", d.DesiredReplicas)
	fmt.Println(d.Explain())
	// Output:
	// HPA 2 → 3
	// s0-prometheus: value 140, threshold 50, activationThreshold 0: active; ceil(140 / 50) = 3
	// s0-prometheus: ratio = 140 / (50 × 2) = 1.4 → desired = ceil(1.4 × 2) = 3
	// desired replicas: 3 (current 2, DesiredWithinRange)
}

// After a poll, the status prints as kubectl get scaledobject prints a
// ScaledObject: no fallback is configured, so Fallback is Unknown.
func ExampleStatus_Summary() {
	clock := scaler.NewSimulatedClock(time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC), 0)
	s, err := scaler.New(scaler.Config{
		Name:            "default/sample-app-prometheus-scaler",
		Triggers:        []scaler.Trigger{{Source: constantSource(140), Threshold: 50}},
		Target:          scaler.NewMemoryTarget(2, clock),
		MinReplicaCount: 1,
		MaxReplicaCount: 5,
		Clock:           clock,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := s.Step(context.Background(), clock.Now()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Status().Summary(true))
	// Output:
	// NAME                                   MIN   MAX   READY   ACTIVE   FALLBACK   PAUSED   TRIGGERS
	// default/sample-app-prometheus-scaler   1     5     True    True     Unknown    False    prometheus
}
