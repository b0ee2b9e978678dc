package promql

import (
	"testing"
)

// FuzzCheck checks that Check never panics, that problem positions stay inside the query and
// that every fix passes the check it fixes. The seeds are the cardinality cases and the
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
		for _, p := range report.Problems {
			if p.Start < 0 || p.Start > p.End || p.End > len(query) {
				t.Fatalf("query %q: problem span [%d, %d) outside the query", query, p.Start, p.End)
			}
			if p.Line < 1 || p.Column < 1 {
				t.Fatalf("query %q: problem at line %d, column %d", query, p.Line, p.Column)
			}
			checkFixPasses(t, p)
		}
	})
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
