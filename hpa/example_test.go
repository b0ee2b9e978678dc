package hpa_test

import (
	"fmt"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/promscaler/promscaler/hpa"
)

// A Deployment runs 2 pods, the query returns 140 and the threshold is 50
// per pod: the HPA computes ceil(140 / 50) = 3 replicas.
func Example() {
	calc, err := hpa.NewCalculator(hpa.Spec{MinReplicas: 1, MaxReplicas: 5})
	if err != nil {
		panic(err)
	}
	metric := hpa.Metric{Name: "s0-prometheus", Type: hpa.AverageValueMetricType, Value: 140, Target: 50}
	replicas := hpa.Replicas{Current: 2, Status: 2, Ready: 2}

	d, err := calc.Recommend(time.Now(), []hpa.Metric{metric}, replicas)
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Proposals()[0].Formula())
	fmt.Println(d.Explain())
	// Output:
	// ceil(140 / 50) = 3
	// s0-prometheus: ratio = 140 / (50 × 2) = 1.4 → desired = ceil(1.4 × 2) = 3
	// desired replicas: 3 (current 2, DesiredWithinRange)
}

// A burst requests 30 replicas, but a behavior allows only 4 more pods per
// minute. The explanation names the policy that held the count back.
func ExampleCalculator_Recommend_behavior() {
	behavior := `
scaleUp:
  policies:
  - type: Pods
    value: 4
    periodSeconds: 60
scaleDown:
  stabilizationWindowSeconds: 600
`
	var b hpa.Behavior
	if err := yaml.UnmarshalStrict([]byte(behavior), &b); err != nil {
		panic(err)
	}
	calc, err := hpa.NewCalculator(hpa.Spec{MinReplicas: 1, MaxReplicas: 50, Behavior: &b})
	if err != nil {
		panic(err)
	}
	metric := hpa.Metric{Name: "s0-prometheus", Type: hpa.AverageValueMetricType, Value: 1500, Target: 50}
	t0 := time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC)

	d, err := calc.Recommend(t0, []hpa.Metric{metric}, hpa.Replicas{Current: 2, Status: 2, Ready: 2})
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Explain())

	d, err = calc.Recommend(t0.Add(30*time.Second), []hpa.Metric{metric}, hpa.Replicas{Current: 6, Status: 6, Ready: 6})
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Explain())
	// Output:
	// s0-prometheus: ratio = 1500 / (50 × 2) = 15 → desired = ceil(15 × 2) = 30
	// ScaleUpLimit: 30 → 6, behavior.scaleUp policy Pods 4 per 60s (selectPolicy Max) from 2 replicas at the period start allows 2 + 4 = 6
	// desired replicas: 6 (current 2, ScaleUpLimit)
	// s0-prometheus: ratio = 1500 / (50 × 6) = 5 → desired = ceil(5 × 6) = 30
	// ScaleUpLimit: 30 → 6, behavior.scaleUp policy Pods 4 per 60s (selectPolicy Max) from 2 replicas at the period start allows 2 + 4 = 6
	// desired replicas: 6 (current 6, ScaleUpLimit)
}

// A proposal above maxReplicas is clamped, and the explanation names the
// limit that applied.
func ExampleDecision_Explain() {
	calc, err := hpa.NewCalculator(hpa.Spec{MinReplicas: 1, MaxReplicas: 5})
	if err != nil {
		panic(err)
	}
	metric := hpa.Metric{Name: "s0-prometheus", Type: hpa.AverageValueMetricType, Value: 320, Target: 50}

	d, err := calc.Recommend(time.Now(), []hpa.Metric{metric}, hpa.Replicas{Current: 3, Status: 3, Ready: 3})
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Explain())
	// Output:
	// s0-prometheus: ratio = 320 / (50 × 3) = 2.1333 → desired = ceil(2.1333 × 3) = 7
	// TooManyReplicas: 7 → 5, maxReplicas is 5
	// desired replicas: 5 (current 3, TooManyReplicas)
}
