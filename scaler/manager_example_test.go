package scaler_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/promscaler/promscaler/scaler"
)

// fixedValue is a Source that always returns the same value.
type fixedValue float64

func (v fixedValue) Value(context.Context, time.Time) (float64, error) { return float64(v), nil }

func ExampleManager() {
	clock := scaler.NewSimulatedClock(time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC), 0)
	manager, err := scaler.NewManager(scaler.ManagerConfig{Clock: clock})
	if err != nil {
		fmt.Println(err)
		return
	}

	// Stop once each workload has been polled twice.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	polls := map[string]int{}
	countPoll := func(name string) {
		mu.Lock()
		defer mu.Unlock()
		polls[name]++
		if polls["default/api"] >= 2 && polls["default/worker"] >= 2 {
			cancel()
		}
	}

	workloads := []struct {
		name  string
		value float64
	}{{"default/api", 140}, {"default/worker", 230}}
	targets := map[string]*scaler.MemoryTarget{}
	for _, w := range workloads {
		targets[w.name] = scaler.NewMemoryTarget(2, clock)
		s, err := scaler.New(scaler.Config{
			Name:            w.name,
			Triggers:        []scaler.Trigger{{Source: fixedValue(w.value), Threshold: 50}},
			Target:          targets[w.name],
			PollingInterval: 15 * time.Second,
			Clock:           clock,
			OnDecision:      func(scaler.Decision) { countPoll(w.name) },
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := manager.Add(s); err != nil {
			fmt.Println(err)
			return
		}
	}

	err = manager.Run(ctx)
	fmt.Println("Run:", err)
	for _, w := range workloads {
		replicas, _ := targets[w.name].Replicas(context.Background())
		fmt.Printf("%s: value %v, threshold 50 → %d replicas\n", w.name, w.value, replicas.Current)
	}
	fmt.Println("failed polls:", manager.Stats().FailedPolls)
	// Output:
	// Run: <nil>
	// default/api: value 140, threshold 50 → 3 replicas
	// default/worker: value 230, threshold 50 → 5 replicas
	// failed polls: 0
}
