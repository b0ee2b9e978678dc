package promql

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkCheck measures Check on typical scaler queries. The time includes parsing and
// classifying the fix of each problem, which Check does before it offers the fix.
func BenchmarkCheck(b *testing.B) {
	queries := []struct {
		name  string
		query string
	}{
		{"sum_over_pods", `sum(websocket_active_connection_count{app_kubernetes_io_name="sample-app"})`},
		{"sum_avg_over_time", `sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))`},
		{"histogram_quantile", `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{app="sample-app"}[5m])))`},
		{"rate_per_series", `rate(http_requests_total{}[5m])`},
	}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Check(q.query)
			}
		})
	}
}

// BenchmarkCheckCorpus measures Check on every instant evaluation of the Prometheus engine's
// test files. One operation checks all of them.
func BenchmarkCheckCorpus(b *testing.B) {
	exprs := corpusExpressions()
	if len(exprs) == 0 {
		b.Skip("the Prometheus engine's test files are not in the module cache")
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, expr := range exprs {
			Check(expr)
		}
	}
	b.ReportMetric(float64(len(exprs)), "queries/op")
}

// BenchmarkCheckLongChain measures Check on sums of 1 000 and 8 000 terms (5 KB and 40 KB), to
// show how the time grows with the length of the query.
func BenchmarkCheckLongChain(b *testing.B) {
	for _, terms := range []int{1000, 8000} {
		query := "sum(up" + strings.Repeat(" + up", terms) + ")"
		b.Run(fmt.Sprintf("terms=%d", terms), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Check(query)
			}
		})
	}
}
