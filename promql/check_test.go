package promql

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cardinalityCases are real and constructed queries with the cardinality that the engine can
// return for them. The fuzz target starts from these queries too.
var cardinalityCases = []struct {
	name  string
	query string
	want  Cardinality
}{
	{"scalar: number literal", `1`, CardinalityScalar},
	{"scalar: negative number", `-1.5`, CardinalityScalar},
	{"scalar: time", `time()`, CardinalityScalar},
	{"scalar: pi", `pi()`, CardinalityScalar},
	{"scalar: scalar of a sum", `scalar(sum(x))`, CardinalityScalar},
	{"scalar: arithmetic of numbers", `1 + 2`, CardinalityScalar},
	{"scalar: bool comparison of numbers", `2 > bool 1`, CardinalityScalar},
	{"scalar: scalar times number", `scalar(x) * 2`, CardinalityScalar},
	{"string: string literal", `"str"`, CardinalityString},
	{"range: range selector", `x[5m]`, CardinalityRange},
	{"range: subquery", `x[5m:1m]`, CardinalityRange},
	{"range: subquery of rate", `rate(x[5m])[10m:1m]`, CardinalityRange},
	{"range: parenthesized range selector", `(x[5m])`, CardinalityRange},
	{"range: range selector with offset", `x[5m] offset 1m`, CardinalityRange},
	{"many: selector", `x`, CardinalityMany},
	{"many: selector with empty braces", `http_requests_total{}`, CardinalityMany},
	{"many: selector with all labels fixed", `x{job="a", instance="b"}`, CardinalityMany},
	{"many: selector by name label", `{__name__="x"}`, CardinalityMany},
	{"many: selector with offset", `x offset 5m`, CardinalityMany},
	{"many: selector with at modifier", `x @ 1700000000`, CardinalityMany},
	{"many: negated selector", `-x`, CardinalityMany},
	{"many: rate", `rate(http_requests_total{}[5m])`, CardinalityMany},
	{"many: avg_over_time per pod", `avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m])`, CardinalityMany},
	{"many: quantile_over_time", `quantile_over_time(0.9, x[5m])`, CardinalityMany},
	{"many: abs of rate", `abs(rate(x[5m]))`, CardinalityMany},
	{"many: hour of selector", `hour(x)`, CardinalityMany},
	{"many: sort", `sort(x)`, CardinalityMany},
	{"at most one: sum", `sum(x)`, CardinalityAtMostOne},
	{"at most one: sum by empty list", `sum(x) by ()`, CardinalityAtMostOne},
	{"many: sum by pod", `sum by (pod) (x)`, CardinalityMany},
	{"many: sum without pod", `sum without (pod) (x)`, CardinalityMany},
	{"at most one: count", `count(x)`, CardinalityAtMostOne},
	{"at most one: avg", `avg(x)`, CardinalityAtMostOne},
	{"at most one: min", `min(x)`, CardinalityAtMostOne},
	{"at most one: max", `max(x)`, CardinalityAtMostOne},
	{"at most one: group", `group(x)`, CardinalityAtMostOne},
	{"at most one: stddev", `stddev(x)`, CardinalityAtMostOne},
	{"at most one: stdvar", `stdvar(x)`, CardinalityAtMostOne},
	{"at most one: quantile", `quantile(0.9, x)`, CardinalityAtMostOne},
	{"at most one: sum of avg_over_time", `sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))`, CardinalityAtMostOne},
	{"at most one: topk 1", `topk(1, x)`, CardinalityAtMostOne},
	{"at most one: topk 1.5 truncates", `topk(1.5, x)`, CardinalityAtMostOne},
	{"at most one: topk 0", `topk(0, x)`, CardinalityAtMostOne},
	{"at most one: bottomk 1", `bottomk(1, x)`, CardinalityAtMostOne},
	{"at most one: limitk 1", `limitk(1, x)`, CardinalityAtMostOne},
	{"many: topk 3", `topk(3,x)`, CardinalityMany},
	{"many: topk 1 by pod", `topk(1, x) by (pod)`, CardinalityMany},
	{"many: topk computed k", `topk(scalar(y), x)`, CardinalityMany},
	{"many: limit_ratio of selector", `limit_ratio(0.5, x)`, CardinalityMany},
	{"at most one: limit_ratio of sum", `limit_ratio(0.5, sum(x))`, CardinalityAtMostOne},
	{"many: count_values", `count_values("v", x)`, CardinalityMany},
	{"at most one: count_values of sum", `count_values("v", sum(x))`, CardinalityAtMostOne},
	{"one: sum of vector", `sum(vector(1))`, CardinalityOne},
	{"one: topk 1 of vector", `topk(1, vector(1))`, CardinalityOne},
	{"one: sum by pod of vector", `sum by (pod) (vector(1))`, CardinalityOne},
	{"at most one: sum by pod of sum", `sum by (pod) (sum(x))`, CardinalityAtMostOne},
	{"at most one: sum of sum by pod", `sum(sum by (pod) (x))`, CardinalityAtMostOne},
	{"at most one: sum without pod of sum", `sum without (pod) (sum(x))`, CardinalityAtMostOne},
	{"one: vector", `vector(1)`, CardinalityOne},
	{"one: vector of time", `vector(time())`, CardinalityOne},
	{"one: hour without argument", `hour()`, CardinalityOne},
	{"one: clamp_min of vector", `clamp_min(vector(1), 0)`, CardinalityOne},
	{"one: timestamp of vector", `timestamp(vector(1))`, CardinalityOne},
	{"at most one: clamp of vector", `clamp(vector(1), 0, 2)`, CardinalityAtMostOne},
	{"at most one: absent", `absent(x)`, CardinalityAtMostOne},
	{"at most one: absent_over_time", `absent_over_time(x[5m])`, CardinalityAtMostOne},
	{"at most one: histogram_quantile by le", `histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))`, CardinalityAtMostOne},
	{"many: histogram_quantile by le and pod", `histogram_quantile(0.9, sum by (le, pod) (rate(x_bucket[5m])))`, CardinalityMany},
	{"many: histogram_quantile of rate", `histogram_quantile(0.9, rate(x_bucket[5m]))`, CardinalityMany},
	{"many: histogram_quantiles of two quantiles", `histogram_quantiles(sum by (le) (x), "q", 0.5, 0.9)`, CardinalityMany},
	{"at most one: histogram_count of vector", `histogram_count(vector(1))`, CardinalityAtMostOne},
	{"at most one: label_replace of sum", `label_replace(sum(x), "a", "b", "", "")`, CardinalityAtMostOne},
	{"at most one: round of sum", `round(sum(x))`, CardinalityAtMostOne},
	{"at most one: info of sum", `info(sum(x))`, CardinalityAtMostOne},
	{"at most one: avg_over_time of sum subquery", `avg_over_time(sum(x)[5m:1m])`, CardinalityAtMostOne},
	{"many: avg_over_time of topk subquery", `avg_over_time(topk(1, x)[5m:1m])`, CardinalityMany},
	{"at most one: sum divided by sum", `sum(x) / sum(y)`, CardinalityAtMostOne},
	{"at most one: sum divided by number", `sum(x) / 2`, CardinalityAtMostOne},
	{"at most one: number times sum", `2 * sum(x)`, CardinalityAtMostOne},
	{"at most one: selector divided by sum", `x / sum(y)`, CardinalityAtMostOne},
	{"at most one: sum plus on pod", `sum(x) + on(pod) sum(y)`, CardinalityAtMostOne},
	{"at most one: sum atan2 sum", `sum(x) atan2 sum(y)`, CardinalityAtMostOne},
	{"many: selector divided by selector", `x / y`, CardinalityMany},
	{"many: group_left keeps the many side", `x / on() group_left sum(y)`, CardinalityMany},
	{"many: group_right keeps the many side", `sum(x) / on() group_right y`, CardinalityMany},
	{"one: vector plus vector", `vector(1) + vector(2)`, CardinalityOne},
	{"at most one: comparison filters", `sum(x) > 5`, CardinalityAtMostOne},
	{"at most one: bool comparison", `sum(x) > bool 5`, CardinalityAtMostOne},
	{"one: bool comparison of vector", `vector(1) > bool 5`, CardinalityOne},
	{"at most one: comparison of vector", `vector(1) > 5`, CardinalityAtMostOne},
	{"one: sum or vector", `sum(x) or vector(0)`, CardinalityOne},
	{"one: sum of rate or vector", `sum(rate(x[5m])) or vector(0)`, CardinalityOne},
	{"many: selector or vector", `x or vector(0)`, CardinalityMany},
	{"many: topk or vector", `topk(1, x) or vector(0)`, CardinalityMany},
	{"one: topk or on vector", `topk(1, x) or on() vector(0)`, CardinalityOne},
	{"many: sum by pod or vector", `sum by (pod) (x) or vector(0)`, CardinalityMany},
	{"many: absent with label or vector", `absent(x{job="a"}) or vector(0)`, CardinalityMany},
	{"at most one: sum of selector or vector", `sum(x or vector(0))`, CardinalityAtMostOne},
	{"one: sum of vector or vector", `sum(vector(1) or vector(2))`, CardinalityOne},
	{"at most one: sum and sum", `sum(x) and sum(y)`, CardinalityAtMostOne},
	{"one: vector and vector", `vector(1) and vector(2)`, CardinalityOne},
	{"at most one: sum unless sum", `sum(x) unless sum(y)`, CardinalityAtMostOne},
	{"many: selector and selector", `x and y`, CardinalityMany},
	{"at most one: negated sum", `-sum(x)`, CardinalityAtMostOne},
	{"at most one: parenthesized sum", `(sum(x))`, CardinalityAtMostOne},
	{"at most one: sum of offset selector", `sum(x offset 5m)`, CardinalityAtMostOne},
	{"one: fill between vectors", `vector(1) + fill(0) vector(2)`, CardinalityOne},
	{"at most one: fill between sums", `sum(x) + fill(0) sum(y)`, CardinalityAtMostOne},
	{"many: fill between selectors", `x + fill(0) y`, CardinalityMany},
	{"at most one: multi-line query", "sum by () (\n  rate(http_requests_total{job=\"api\"}[5m])\n)", CardinalityAtMostOne},
	{"at most one: sum by label fixed by selector", `sum by (job) (x{job="a"})`, CardinalityAtMostOne},
	{"at most one: sum by label fixed empty", `sum by (job) (x{job=""})`, CardinalityAtMostOne},
	{"many: sum by label matched by regex", `sum by (job) (x{job=~"a"})`, CardinalityMany},
	{"many: sum by fixed and free label", `sum by (job, pod) (x{job="a"})`, CardinalityMany},
	{"at most one: sum by metric name", `sum by (__name__) (x)`, CardinalityAtMostOne},
	{"at most one: sum by dropped metric name", `sum by (__name__) (rate(x[5m]))`, CardinalityAtMostOne},
	{"many: sum by name of regex selector", `sum by (__name__) ({__name__=~"x|y"})`, CardinalityMany},
	{"many: sum by relabeled fixed label", `sum by (job) (label_replace(x{job="a"}, "job", "$1", "pod", "(.*)"))`, CardinalityMany},
	{"many: sum by label included by group_left", `sum by (node) (x{node="a"} * on(pod) group_left(node) y)`, CardinalityMany},
	{"at most one: topk 1 by fixed label", `topk by (job) (1, x{job="a"})`, CardinalityAtMostOne},
	{"at most one: histogram_quantile by le and fixed label", `histogram_quantile(0.9, sum by (le, app) (rate(x_bucket{app="a"}[5m])))`, CardinalityAtMostOne},
	{"many: histogram_quantile by le and free label", `histogram_quantile(0.9, sum by (le, app) (rate(x_bucket{app=~"a|b"}[5m])))`, CardinalityMany},
	{"at most one: avg_over_time of fixed-label subquery", `avg_over_time(sum by (job) (x{job="a"})[5m:1m])`, CardinalityAtMostOne},
	{"many: avg_over_time of metric name subquery", `avg_over_time(sum by (__name__) (rate(x[5m]))[5m:1m])`, CardinalityMany},
	{"at most one: or on fixed label", `sum by (job) (x{job="a"}) or on(job) sum by (job) (y{job="a"})`, CardinalityAtMostOne},
	{"at most one: or of same fixed label", `sum by (job) (x{job="a"}) or sum by (job) (y{job="a"})`, CardinalityAtMostOne},
	{"many: or of different fixed values", `sum by (job) (x{job="a"}) or sum by (job) (y{job="b"})`, CardinalityMany},
	{"many: fixed label or vector", `sum by (job) (x{job="a"}) or vector(0)`, CardinalityMany},
	{"one: fixed label or on vector", `sum by (job) (x{job="a"}) or on() vector(0)`, CardinalityOne},
	{"at most one: unquoted UTF-8 names", `sum(http.server.requests{service.name="api"})`, CardinalityAtMostOne},
	{"unknown: offset on an aggregation", `sum(x) offset 5m`, CardinalityUnknown},
	{"unknown: empty query", ``, CardinalityUnknown},
}

func TestCheckCardinality(t *testing.T) {
	for _, tc := range cardinalityCases {
		t.Run(tc.name, func(t *testing.T) {
			report := Check(tc.query)

			assert.Equal(t, tc.want, report.Cardinality, "query %q: %s", tc.query, report.Reason)
			assert.NotEmpty(t, report.Reason, "query %q", tc.query)
			assert.NotContains(t, report.Reason, "no cardinality rule", "query %q", tc.query)
		})
	}
}

func TestCheckProblemPerCardinality(t *testing.T) {
	for _, tc := range cardinalityCases {
		t.Run(tc.name, func(t *testing.T) {
			report := Check(tc.query)
			checks := problemChecks(report)

			switch tc.want {
			case CardinalityMany, CardinalityRange, CardinalityString:
				assert.Contains(t, checks, CheckOneValue)
				assert.False(t, report.OK())
			case CardinalityAtMostOne:
				assert.Contains(t, checks, CheckMayBeEmpty)
				assert.True(t, report.OK())
			case CardinalityScalar:
				assert.Contains(t, checks, CheckScalarResult)
				assert.NotContains(t, checks, CheckOneValue)
				assert.True(t, report.OK())
			case CardinalityOne:
				assert.NotContains(t, checks, CheckOneValue)
				assert.NotContains(t, checks, CheckMayBeEmpty)
				assert.True(t, report.OK())
			case CardinalityUnknown:
				assert.Equal(t, []string{CheckSyntax}, checks)
				assert.False(t, report.OK())
			}
		})
	}
}

func TestCheckFixesPass(t *testing.T) {
	for _, tc := range cardinalityCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range Check(tc.query).Problems {
				assertFixPasses(t, p)
			}
		})
	}
}

// assertFixPasses checks that the fix of a problem resolves it.
func assertFixPasses(t *testing.T, p Problem) {
	t.Helper()
	switch p.Check {
	case CheckOneValue:
		if p.Fix == "" {
			return
		}
		fixed := Check(p.Fix)
		assert.True(t, fixed.OK(), "fix %q: %s", p.Fix, fixed.Render())
		assert.Contains(t, []Cardinality{CardinalityOne, CardinalityAtMostOne}, fixed.Cardinality, "fix %q", p.Fix)
	case CheckMayBeEmpty, CheckScalarResult:
		require.NotEmpty(t, p.Fix, "%s problem without a fix", p.Check)
		fixed := Check(p.Fix)
		assert.Equal(t, CardinalityOne, fixed.Cardinality, "fix %q: %s", p.Fix, fixed.Reason)
	}
}

func problemChecks(r Report) []string {
	var checks []string
	for _, p := range r.Problems {
		checks = append(checks, p.Check)
	}
	return checks
}

func TestCheckFix(t *testing.T) {
	tests := []struct {
		name  string
		query string
		check string
		want  string
	}{
		{"sum: avg_over_time per pod", `avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m])`, CheckOneValue,
			`sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))`},
		{"sum: rate with empty braces", `rate(http_requests_total{}[5m])`, CheckOneValue, `sum(rate(http_requests_total{}[5m]))`},
		{"sum: surrounding blanks trimmed", "  x  ", CheckOneValue, `sum(x)`},
		{"sum: trailing comment", "x # pods", CheckOneValue, "sum(x # pods\n)"},
		{"rate: counter range selector", `http_requests_total[5m]`, CheckOneValue, `sum(rate(http_requests_total[5m]))`},
		{"rate: bucket range selector", `x_bucket[5m]`, CheckOneValue, `sum(rate(x_bucket[5m]))`},
		{"rate: name label counter", `{__name__="jobs_count"}[5m]`, CheckOneValue, `sum(rate({__name__="jobs_count"}[5m]))`},
		{"rate: subquery of counter", `x_total[5m:1m]`, CheckOneValue, `sum(rate(x_total[5m:1m]))`},
		{"avg_over_time: gauge range selector", `memory_bytes[5m]`, CheckOneValue, `sum(avg_over_time(memory_bytes[5m]))`},
		{"avg_over_time: gauge subquery", `x[5m:1m]`, CheckOneValue, `sum(avg_over_time(x[5m:1m]))`},
		{"none: string literal", `"str"`, CheckOneValue, ``},
		{"or vector: sum", `sum(x)`, CheckMayBeEmpty, `sum(x) or vector(0)`},
		{"or vector: comparison", `sum(x) > 5`, CheckMayBeEmpty, `sum(x) > 5 or vector(0)`},
		{"or vector: or chain", `sum(x) or sum(y)`, CheckMayBeEmpty, `sum(x) or sum(y) or vector(0)`},
		{"or on: topk keeps labels", `topk(1, x)`, CheckMayBeEmpty, `topk(1, x) or on() vector(0)`},
		{"or on: absent with labels", `absent(x{job="a"})`, CheckMayBeEmpty, `absent(x{job="a"}) or on() vector(0)`},
		{"or vector: trailing comment", "sum(x) # total", CheckMayBeEmpty, "sum(x) # total\nor vector(0)"},
		{"vector: scalar of a sum", `scalar(sum(x))`, CheckScalarResult, `vector(scalar(sum(x)))`},
		{"vector: number", ` 1 `, CheckScalarResult, `vector(1)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			report := Check(tc.query)
			p := findProblem(t, report, tc.check)

			assert.Equal(t, tc.want, p.Fix)
			assertFixPasses(t, p)
		})
	}
}

func findProblem(t *testing.T, r Report, check string) Problem {
	t.Helper()
	for _, p := range r.Problems {
		if p.Check == check {
			return p
		}
	}
	require.FailNow(t, "problem not found", "query %q has no %s problem: %v", r.Query, check, problemChecks(r))
	return Problem{}
}

func TestCheckReasonNamesNode(t *testing.T) {
	tests := []struct {
		name     string
		query    string
		wantNode string
		wantText string
	}{
		{"avg_over_time: per input series", `avg_over_time(x[1m])`, `avg_over_time(x[1m])`, "avg_over_time returns one series per input series"},
		{"selector: any number of series", `x{job="a"}`, `x{job="a"}`, `the selector x{job="a"} can match any number of series`},
		{"sum by: per label value", `sum by (pod) (x)`, `sum by (pod) (x)`, "sum by (pod) returns one series per distinct value of pod"},
		{"or: left side kept", `x or vector(0)`, `x or vector(0)`, `"or" keeps every series of its left side`},
		{"group_left: many side", `x / on() group_left sum(y)`, `x / on () group_left () sum(y)`, "group_left returns one series per series of x"},
		{"topk: k above one", `topk(3, x)`, `topk(3, x)`, "topk with k = 3 can return up to 3 series"},
		{"count_values: per value", `count_values("v", x)`, `count_values("v", x)`, "count_values returns one series per distinct sample value"},
		{"range: matrix", `x[5m]`, `x[5m]`, "x[5m] is a range vector"},
		{"inner: sum inside arithmetic", `sum(x) / 2`, `sum(x) / 2`, "sum aggregates all its input into one series"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			report := Check(tc.query)

			require.NotNil(t, report.Node)
			assert.Equal(t, tc.wantNode, report.Node.String())
			assert.Contains(t, report.Reason, tc.wantText)
		})
	}
}

func TestCheckSyntaxPosition(t *testing.T) {
	tests := []struct {
		name       string
		query      string
		wantLine   int
		wantColumn int
		wantStart  int
		wantText   string
	}{
		{"line 2: unclosed parenthesis", "sum(x)\n   / on(", 2, 9, 15, "unclosed left parenthesis"},
		{"line 3: unexpected parenthesis", "sum(x)\n  by (pod) +\n  )", 3, 4, 23, "unexpected right parenthesis"},
		{"line 2: unknown function", "sum(\n  foo(x)\n)", 2, 3, 7, `unknown function with name "foo"`},
		{"line 1: offset on aggregation", `sum(x) offset 5m`, 1, 1, 0, "offset modifier must be preceded"},
		{"line 1: empty query", ``, 1, 1, 0, "the query is empty; set it to the PromQL expression"},
		{"line 1: blank query", "  \n ", 1, 1, 0, "the query is empty"},
		{"line 2: rune column after non-ASCII label", "sum(\n x{a=\"é\"} +)", 2, 12, 17, "unexpected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			report := Check(tc.query)
			p := findProblem(t, report, CheckSyntax)

			assert.Equal(t, CardinalityUnknown, report.Cardinality)
			assert.Nil(t, report.Node)
			assert.Equal(t, SeverityError, p.Severity)
			assert.Equal(t, tc.wantLine, p.Line, "line")
			assert.Equal(t, tc.wantColumn, p.Column, "column")
			assert.Equal(t, tc.wantStart, p.Start, "start")
			assert.Contains(t, p.Message, tc.wantText)
			assert.Empty(t, p.Fix)
		})
	}
}

func TestCheckFeatureProblems(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		wantCheck string
		wantLevel Severity
		wantText  string
	}{
		{"experimental: function", `sum(mad_over_time(x[5m]))`, CheckExperimental, SeverityWarning, "the function mad_over_time is experimental"},
		{"experimental: aggregation", `limitk(1, x)`, CheckExperimental, SeverityWarning, "the aggregation limitk is experimental"},
		{"experimental: fill modifier", `sum(x) + fill(0) sum(y)`, CheckExperimental, SeverityWarning, "promql-binop-fill-modifiers"},
		{"compatibility: anchored range", `sum(increase(x_total[5m] anchored))`, CheckCompatibility, SeverityInfo, "the anchored modifier"},
		{"compatibility: smoothed range", `sum(rate(x_total[5m] smoothed))`, CheckCompatibility, SeverityInfo, "the smoothed modifier"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			report := Check(tc.query)
			p := findProblem(t, report, tc.wantCheck)

			assert.Equal(t, tc.wantLevel, p.Severity)
			assert.Contains(t, p.Message, tc.wantText)
			assert.True(t, report.OK(), "warnings and infos leave the report OK")
		})
	}
}

func TestCheckProblemSpan(t *testing.T) {
	query := "sum(x)\n  + on() group_right\n  rate(y[5m])"
	report := Check(query)
	p := findProblem(t, report, CheckOneValue)

	assert.Equal(t, 0, p.Start)
	assert.Equal(t, len(query), p.End)
	assert.Equal(t, 1, p.Line)
	assert.Equal(t, 1, p.Column)
	assert.Contains(t, p.Message, `the "+" operation with group_right returns one series per series of rate(y[5m])`)
}

func TestReportOK(t *testing.T) {
	tests := []struct {
		name     string
		problems []Problem
		want     bool
	}{
		{"ok: no problems", nil, true},
		{"ok: only a warning", []Problem{{Severity: SeverityWarning}}, true},
		{"ok: only an info", []Problem{{Severity: SeverityInfo}}, true},
		{"not ok: one error", []Problem{{Severity: SeverityWarning}, {Severity: SeverityError}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Report{Problems: tc.problems}.OK())
		})
	}
}

func TestEnumStrings(t *testing.T) {
	cardinalities := map[Cardinality]string{
		CardinalityUnknown:   "unknown",
		CardinalityScalar:    "scalar",
		CardinalityOne:       "one series",
		CardinalityAtMostOne: "at most one series",
		CardinalityMany:      "possibly many series",
		CardinalityRange:     "range vector",
		CardinalityString:    "string",
		Cardinality(99):      "unknown",
	}
	for c, want := range cardinalities {
		assert.Equal(t, want, c.String())
	}

	severities := map[Severity]string{
		SeverityError:   "error",
		SeverityWarning: "warning",
		SeverityInfo:    "info",
		Severity(99):    "unknown",
	}
	for s, want := range severities {
		assert.Equal(t, want, s.String())
	}
}

func TestCheckLongQueryBoundsText(t *testing.T) {
	query := "x" + strings.Repeat(" or x", 2000)
	report := Check(query)

	assert.Equal(t, CardinalityMany, report.Cardinality)
	assert.LessOrEqual(t, utf8.RuneCountInString(report.Reason), maxReasonRunes)
	p := findProblem(t, report, CheckOneValue)
	assert.Less(t, len(p.Message), 1000, "message of %d bytes", len(p.Message))
}

func TestCheckLongChainBoundsCondition(t *testing.T) {
	query := "sum(up" + strings.Repeat(" + up", 4000) + ")"
	report := Check(query)

	assert.Equal(t, CardinalityAtMostOne, report.Cardinality)
	p := findProblem(t, report, CheckMayBeEmpty)
	assert.Less(t, len(p.Message), 1500, "message of %d bytes", len(p.Message))
	assert.Contains(t, p.Message, otherConditions)
}
