package hpa_test

import (
	"fmt"
	"time"

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
	fmt.Println(d.Proposals[0].Formula())
	fmt.Println(d.Proposals[0].PerReplicaFormula())
	fmt.Println(d.Explain())
	// Output:
	// ceil(140 / 50) = 3
	// ceil(2 * (70 / 50)) = 3
	// s0-prometheus: ratio = 140 / (50 * 2) = 1.4 -> ceil(140 / 50) = 3 = ceil(2 * (70 / 50))
	// desired replicas: 3 (current 2, DesiredWithinRange)
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
	// s0-prometheus: ratio = 320 / (50 * 3) = 2.1333 -> ceil(320 / 50) = 7 = ceil(3 * (106.6667 / 50))
	// TooManyReplicas: 7 -> 5, maxReplicas is 5
	// desired replicas: 5 (current 3, TooManyReplicas)
}
