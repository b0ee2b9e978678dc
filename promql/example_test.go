package promql_test

import (
	"errors"
	"fmt"

	"github.com/prometheus/common/model"

	"github.com/promscaler/promscaler/promql"
)

// A sum over the pods returns one value, or none when no pod reports the metric, which KEDA
// reads as 0 with ignoreNullValues.
func ExampleCheck_sumOverPods() {
	report := promql.Check(`sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))`)

	fmt.Println(report.OK())
	fmt.Println(report.Cardinality)
	for _, p := range report.Problems {
		fmt.Printf("%s[%s] fix: %s\n", p.Severity, p.Check, p.Fix)
	}
	// Output:
	// true
	// at most one series
	// warning[may-be-empty] fix: sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m])) or vector(0)
}

// Without the sum, the query returns one series per pod.
func ExampleCheck_onePerPod() {
	report := promql.Check(`avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m])`)

	fmt.Println(report.OK())
	fmt.Println(report.Cardinality)
	p := report.Problems[0]
	fmt.Printf("%s[%s] at %d:%d\n", p.Severity, p.Check, p.Line, p.Column)
	fmt.Println(p.Fix)
	// Output:
	// false
	// possibly many series
	// error[one-value] at 1:1
	// sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))
}

// Render shows each problem with carets under the responsible node and the fix.
func ExampleReport_Render() {
	fmt.Print(promql.Check(`rate(http_requests_total{}[5m])`).Render())
	// Output:
	// error[one-value]: rate returns one series per input series, and the range selector http_requests_total{}[5m] can match any number of series. The query can therefore return several series (for example one per pod), but a scaler needs exactly one value
	//   --> 1:1
	//   | rate(http_requests_total{}[5m])
	//   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
	//   = fix: sum(rate(http_requests_total{}[5m]))
}

// Reduce reads the only sample of a vector and applies ignoreNullValues to an empty result.
func ExampleReduce() {
	result := model.Vector{{Metric: model.Metric{}, Value: 140}}
	value, err := promql.Reduce(result, promql.ReduceOptions{IgnoreNullValues: true})
	fmt.Println(value, err)

	value, err = promql.Reduce(model.Vector{}, promql.ReduceOptions{IgnoreNullValues: true})
	fmt.Println(value, err)

	_, err = promql.Reduce(model.Vector{}, promql.ReduceOptions{IgnoreNullValues: false})
	fmt.Println(errors.Is(err, promql.ErrEmptyResult))
	// Output:
	// 140 <nil>
	// 0 <nil>
	// true
}
