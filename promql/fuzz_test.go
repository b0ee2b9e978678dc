package promql

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheck checks that Check never panics and that problem positions stay inside the query and
// match their line and column. A syntax error must leave only syntax problems and an unknown
// cardinality, other problems must be sorted, and every fix must pass the check it fixes. The seeds are the cardinality cases and the
// expressions of the instant evaluations in the Prometheus engine's own test files, read from
// the module cache.
func FuzzCheck(f *testing.F) {
	for _, tc := range cardinalityCases {
		f.Add(tc.query)
	}
	f.Add("sum(x)\n   / on(")
	f.Add("x # comment")
	f.Add(`sum(x) by (pod) > on(pod) group_left(node) kube_pod_info`)
	f.Add(`label_join(x, "dst", ",", "a", "b")`)
	for _, query := range corpusExpressions() {
		f.Add(query)
	}

	f.Fuzz(func(t *testing.T, query string) {
		report := Check(query)

		_ = report.Render()
		if report.Reason == "" {
			t.Fatalf("query %q: the report gives no reason for cardinality %s", query, report.Cardinality)
		}
		checkSyntaxProblems(t, report)
		for i, p := range report.Problems {
			if p.Start < 0 || p.Start > p.End || p.End > len(query) {
				t.Fatalf("query %q: problem span [%d, %d) outside the query", query, p.Start, p.End)
			}
			if line, column := lineColumn(query, p.Start); p.Line != line || p.Column != column {
				t.Fatalf("query %q: problem at byte %d has line %d, column %d, want %d, %d", query, p.Start, p.Line, p.Column, line, column)
			}
			if p.Check == "" || p.Message == "" {
				t.Fatalf("query %q: problem %+v has no check name or no message", query, p)
			}
			if i > 0 && p.Check != CheckSyntax && p.Start < report.Problems[i-1].Start {
				t.Fatalf("query %q: problem at byte %d follows one at byte %d", query, p.Start, report.Problems[i-1].Start)
			}
			checkFixPasses(t, p)
		}
	})
}

// checkSyntaxProblems checks that a report with a syntax problem has only
// syntax problems and an unknown cardinality.
func checkSyntaxProblems(t *testing.T, report Report) {
	t.Helper()
	syntax := 0
	for _, p := range report.Problems {
		if p.Check == CheckSyntax {
			syntax++
		}
	}
	if syntax > 0 && (syntax != len(report.Problems) || report.Cardinality != CardinalityUnknown) {
		t.Fatalf("query %q: %d syntax problems among %d, cardinality %s", report.Query, syntax, len(report.Problems), report.Cardinality)
	}
}

// lineColumn returns the 1-based line and rune column of byte offset
// start in query.
func lineColumn(query string, start int) (line, column int) {
	before := query[:start]
	lineStart := strings.LastIndexByte(before, '\n') + 1
	return strings.Count(before, "\n") + 1, utf8.RuneCountInString(before[lineStart:]) + 1
}

func checkFixPasses(t *testing.T, p Problem) {
	if p.Fix == "" {
		return
	}
	fixed := Check(p.Fix)
	switch p.Check {
	case CheckOneValue:
		if !fixed.OK() {
			t.Fatalf("fix %q of a one-value problem does not pass:\n%s", p.Fix, fixed.Render())
		}
	case CheckMayBeEmpty, CheckScalarResult:
		if fixed.Cardinality != CardinalityOne {
			t.Fatalf("fix %q of a may-be-empty problem returns %s: %s", p.Fix, fixed.Cardinality, fixed.Reason)
		}
	}
}
