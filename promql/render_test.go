package promql

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata with the current output")

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		name  string
		query string
	}{
		{"avg_over_time_per_pod", `avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m])`},
		{"sum_may_be_empty", `sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))`},
		{"rate_empty_braces", `rate(http_requests_total{}[5m])`},
		{"range_vector", `http_requests_total[5m]`},
		{"string_literal", `"str"`},
		{"multi_line_span", "sum by (pod) (\n  rate(http_requests_total[5m])\n)"},
		{"multi_line_inner_span", "sum(x)\n  + on() group_right\n\trate(y[5m])"},
		{"syntax_error_line_2", "sum(x)\n   / on("},
		{"syntax_error_non_ascii", "sum(\n x{a=\"é\"} +)"},
		{"trailing_comment_fix", "x # one series per pod"},
		{"experimental_and_empty", `limitk(1, x) + fill(0) sum(y)`},
		{"no_problems", `sum(x) or vector(0)`},
		{"scalar_result", `scalar(sum(rate(x_total[5m])))`},
		{"unquoted_utf8_name", "sum(\n  rate(http.server.requests{service.name=\"api\"}[5m])\n)"},
		{"fixed_label_group", `sum by (app) (rate(http_requests_total{app="sample-app"}[5m]))`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Check(tc.query).Render()
			path := filepath.Join("testdata", tc.name+".golden")

			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run the test with -update to create the golden file")
			assert.Equal(t, string(want), got)
		})
	}
}

func TestRenderEmpty(t *testing.T) {
	assert.Empty(t, Check(`vector(1)`).Render())
}

func TestRenderSpanOutsideQuery(t *testing.T) {
	report := Report{
		Query:    "x",
		Problems: []Problem{{Check: CheckOneValue, Start: 5, End: 9, Line: 1, Column: 6, Message: "m"}},
	}

	assert.Equal(t, "error[one-value]: m\n  --> 1:6\n  | x\n  |  ^\n", report.Render())
}
