package promql

import (
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// Every fix is checked before it is offered. Each builder first tries a rewrite of the query
// text, then the same rewrite with a line break before the closing text, which a trailing
// "# comment" needs. Last it tries a rewrite of the parsed expression, which loses comments
// and layout. The first candidate that the classifier accepts is the fix.

// sumFix wraps a vector that can contain several series in sum(...).
func sumFix(query string, expr parser.Expr) string {
	q := strings.TrimSpace(query)
	return firstAccepted(isSingleVector,
		func() string { return "sum(" + q + ")" },
		func() string { return "sum(" + q + "\n)" },
		func() string { return "sum(" + expr.String() + ")" },
	)
}

// rangeFix turns a range vector into one value: sum(rate(...)) for a name that looks like a
// counter and sum(avg_over_time(...)) otherwise.
func rangeFix(query string, expr parser.Expr) string {
	function := "avg_over_time"
	if isCounterName(rangeMetricName(expr)) {
		function = "rate"
	}
	q := strings.TrimSpace(query)
	return firstAccepted(isSingleVector,
		func() string { return "sum(" + function + "(" + q + "))" },
		func() string { return "sum(" + function + "(" + q + "\n))" },
		func() string { return "sum(" + function + "(" + unwrapParens(expr).String() + "))" },
	)
}

// orVectorFix appends "or vector(0)" so that an empty result becomes 0. A left side with labels
// needs on() matching, or both sides would survive.
func orVectorFix(query string, expr parser.Expr, v verdict) string {
	suffix := "or vector(0)"
	if !v.labels.isEmpty() {
		suffix = "or on() vector(0)"
	}
	q := strings.TrimSpace(query)
	return firstAccepted(func(c Cardinality) bool { return c == CardinalityOne },
		func() string { return q + " " + suffix },
		func() string { return q + "\n" + suffix },
		func() string { return "(" + expr.String() + ") " + suffix },
	)
}

// vectorFix turns a scalar into an instant vector with one series.
func vectorFix(query string, expr parser.Expr) string {
	q := strings.TrimSpace(query)
	return firstAccepted(func(c Cardinality) bool { return c == CardinalityOne },
		func() string { return "vector(" + q + ")" },
		func() string { return "vector(" + q + "\n)" },
		func() string { return "vector(" + expr.String() + ")" },
	)
}

func isSingleVector(c Cardinality) bool {
	return c == CardinalityOne || c == CardinalityAtMostOne
}

// firstAccepted returns the first candidate that parses and whose cardinality is accepted,
// or "" when none is. Candidates are built only when the ones before them fail, because
// printing a parsed expression costs time quadratic in its depth.
func firstAccepted(accept func(Cardinality) bool, candidates ...func() string) string {
	for _, build := range candidates {
		candidate := build()
		expr, err := queryParser.ParseExpr(candidate)
		if err != nil {
			continue
		}
		if accept(classifier{query: candidate}.classify(expr).cardinality()) {
			return candidate
		}
	}
	return ""
}

func unwrapParens(e parser.Expr) parser.Expr {
	for {
		p, ok := e.(*parser.ParenExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

// rangeMetricName returns the metric name of a range selector or of a subquery of a selector.
func rangeMetricName(e parser.Expr) string {
	var selector parser.Expr
	switch n := unwrapParens(e).(type) {
	case *parser.MatrixSelector:
		selector = n.VectorSelector
	case *parser.SubqueryExpr:
		selector = unwrapParens(n.Expr)
	}
	vs, ok := selector.(*parser.VectorSelector)
	if !ok {
		return ""
	}
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}

// isCounterName reports whether a metric name follows the naming convention of counters and of
// the counter series of histograms and summaries.
func isCounterName(name string) bool {
	for _, suffix := range []string{"_total", "_count", "_sum", "_bucket"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}
