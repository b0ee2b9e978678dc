package promql_test

import (
	"errors"
	"fmt"

	"github.com/prometheus/common/model"

	"github.com/promscaler/promscaler/promql"
)

// The query of a KEDA prometheus trigger that sums the connections of all pods returns one
// value, or none when no pod reports the metric, which KEDA reads as 0 with ignoreNullValues.
func ExampleCheck_goodSumOverPods() {
	report := promql.Check(`sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))`)

	fmt.Println(report.OK(), report.Cardinality)
	fmt.Print(report.Render())
	// Output:
	// true at most one series
	// warning[may-be-empty]: sum aggregates all its input into one series, or none when the input is empty. The query returns no series when websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m] has no samples in its range, and KEDA reads an empty result as 0 when ignoreNullValues is true (its default) and as an error otherwise.
	//   --> 1:1
	//   | sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))
	//   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
	//   = fix: sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m])) or vector(0)
}

// Without the sum, the query returns one series per pod, which a scaler cannot use.
func ExampleCheck_badOneSeriesPerPod() {
	report := promql.Check(`avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m])`)

	fmt.Println(report.OK(), report.Cardinality)
	fmt.Print(report.Render())
	// Output:
	// false possibly many series
	// error[one-value]: avg_over_time returns one series per input series, and the range selector websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m] can match any number of series. The query can therefore return several series (for example one per pod), but a scaler needs exactly one value
	//   --> 1:1
	//   | avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m])
	//   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
	//   = fix: sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))
}

// A rate without an aggregation returns one series per counter series.
func ExampleCheck_badRateWithoutSum() {
	report := promql.Check(`rate(http_requests_total{}[5m])`)

	fmt.Println(report.OK(), report.Cardinality)
	fmt.Print(report.Render())
	// Output:
	// false possibly many series
	// error[one-value]: rate returns one series per input series, and the range selector http_requests_total{}[5m] can match any number of series. The query can therefore return several series (for example one per pod), but a scaler needs exactly one value
	//   --> 1:1
	//   | rate(http_requests_total{}[5m])
	//   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
	//   = fix: sum(rate(http_requests_total{}[5m]))
}

// Render shows each problem with carets under the responsible node and the fix. A problem can
// span several lines of the query.
func ExampleReport_Render() {
	fmt.Print(promql.Check("sum(\n  rate(http_requests_total[5m])\n)").Render())
	// Output:
	// warning[may-be-empty]: sum aggregates all its input into one series, or none when the input is empty. The query returns no series when http_requests_total[5m] has no samples in its range, and KEDA reads an empty result as 0 when ignoreNullValues is true (its default) and as an error otherwise.
	//   --> 1:1
	//   | sum(
	//   | ^^^^
	//   |   rate(http_requests_total[5m])
	//   |   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
	//   | )
	//   | ^
	//   = fix: sum(
	//            rate(http_requests_total[5m])
	//          ) or vector(0)
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
