package promql

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/timestamp"
	promqlengine "github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/prometheus/prometheus/storage"
)

// soundnessData are the data sets on which the real engine must never return more series than
// Check allows, nor fewer for CardinalityOne. Every sample runs from 0m to 30m.
var soundnessData = map[string]string{
	"no matching series": `
load 1m
  unrelated 1+1x30
`,
	"one pod": `
load 1m
  x{pod="a", job="a", instance="b"} 0+1x30
  y{pod="a"} 1+1x30
  x_bucket{pod="a", le="1"} 0+1x30
  x_bucket{pod="a", le="+Inf"} 0+2x30
  http_requests_total{pod="a", job="api"} 0+10x30
  websocket_active_connection_count{app_kubernetes_io_name="sample-app", pod="a"} 70x30
  x_total{pod="a"} 0+5x30
  memory_bytes{pod="a"} 100x30
  jobs_count{pod="a"} 0+1x30
`,
	"two pods": `
load 1m
  x{pod="a", job="a", instance="b"} 0+1x30
  x{pod="b", job="a", instance="c"} 0+2x30
  y{pod="a"} 1+1x30
  y{pod="b"} 2+1x30
  x_bucket{pod="a", le="1"} 0+1x30
  x_bucket{pod="a", le="+Inf"} 0+2x30
  x_bucket{pod="b", le="1"} 0+1x30
  x_bucket{pod="b", le="+Inf"} 0+3x30
  http_requests_total{pod="a", job="api"} 0+10x30
  http_requests_total{pod="b", job="api"} 0+20x30
  websocket_active_connection_count{app_kubernetes_io_name="sample-app", pod="a"} 70x30
  websocket_active_connection_count{app_kubernetes_io_name="sample-app", pod="b"} 70x30
  x_total{pod="a"} 0+5x30
  x_total{pod="b"} 0+6x30
  memory_bytes{pod="a"} 100x30
  memory_bytes{pod="b"} 200x30
  jobs_count{pod="a"} 0+1x30
  jobs_count{pod="b"} 0+1x30
`,
	"series without labels": `
load 1m
  x 0+1x30
  y 5x30
  x_bucket{le="1"} 0+1x30
  x_bucket{le="+Inf"} 0+2x30
`,
	"native histograms": `
load 1m
  x{pod="f"} 0+1x30
  x{pod="h"} {{schema:0 sum:5 count:4 buckets:[1 2 1]}}+{{schema:0 sum:5 count:4 buckets:[1 2 1]}}x30
  y{pod="h"} {{schema:0 sum:2 count:2 buckets:[1 1]}}x30
  x_bucket{pod="n"} {{schema:0 sum:5 count:4 buckets:[1 2 1]}}+{{schema:0 sum:5 count:4 buckets:[1 2 1]}}x30
`,
}

// soundnessQueries returns the queries to evaluate: the cardinality cases, a call of every
// function and every aggregation over inputs of each cardinality, and binary operations
// between such inputs.
func soundnessQueries() []string {
	var queries []string
	for _, tc := range cardinalityCases {
		queries = append(queries, tc.query)
	}
	inputs := []struct{ vector, matrix string }{
		{"x", "x[5m]"},
		{"sum(x)", "sum(x)[5m:1m]"},
		{"vector(1)", "vector(1)[5m:1m]"},
		{"x_bucket", "x_bucket[5m]"},
		{"sum by (le) (x_bucket)", "sum by (le) (x_bucket)[5m:1m]"},
		{`x{job="a"}`, `x{job="a"}[5m]`},
		{`sum by (job) (x{job="a"})`, `sum by (job) (x{job="a"})[5m:1m]`},
	}
	for _, in := range inputs {
		queries = append(queries, functionQueries(in.vector, in.matrix)...)
		queries = append(queries, aggregationQueries(in.vector)...)
	}
	return append(queries, binaryQueries()...)
}

func functionQueries(vector, matrix string) []string {
	var queries []string
	for name, f := range parser.Functions {
		args := make([]string, 0, len(f.ArgTypes))
		for _, t := range f.ArgTypes {
			switch t {
			case parser.ValueTypeScalar:
				args = append(args, "0.5")
			case parser.ValueTypeVector:
				args = append(args, vector)
			case parser.ValueTypeMatrix:
				args = append(args, matrix)
			case parser.ValueTypeString:
				args = append(args, `"a"`)
			}
		}
		if name == "info" {
			args[1] = `{k8s_cluster_name="a"}`
		}
		queries = append(queries, name+"("+strings.Join(args, ", ")+")")
		if f.Variadic != 0 {
			queries = append(queries, name+"("+strings.Join(args[:len(args)-1], ", ")+")")
		}
	}
	return queries
}

func aggregationQueries(vector string) []string {
	var queries []string
	for _, op := range []string{"sum", "avg", "min", "max", "count", "group", "stddev", "stdvar"} {
		for _, grouping := range []string{"", " by ()", " by (pod)", " by (le)", " without (pod)", " without (pod, le, job, instance)"} {
			queries = append(queries, op+grouping+" ("+vector+")")
		}
	}
	for _, param := range []string{"0", "1", "1.5", "2"} {
		for _, op := range []string{"topk", "bottomk", "limitk"} {
			queries = append(queries, op+"("+param+", "+vector+")", op+" by (pod) ("+param+", "+vector+")")
		}
	}
	return append(queries,
		"quantile(0.5, "+vector+")",
		`count_values("v", `+vector+")",
		`count_values by (pod) ("v", `+vector+")",
		"limit_ratio(0.5, "+vector+")",
		"limit_ratio(1, "+vector+")",
	)
}

func binaryQueries() []string {
	sides := []string{"x", "sum(x)", "vector(1)", "topk(1, x)", "absent(nope)", "sum by (pod) (x)", "y", `sum by (job) (x{job="a"})`}
	ops := []string{"+", ">", "> bool", "and", "or", "unless", "</", ">/"}
	modifiers := []string{"", "on() ", "on(pod) ", "ignoring(pod) ", "on() group_left ", "on() group_right ", "fill(0) ", "on() fill_left(1) "}
	var queries []string
	for _, lhs := range sides {
		for _, rhs := range sides {
			for _, op := range ops {
				for _, modifier := range modifiers {
					queries = append(queries, lhs+" "+op+" "+modifier+rhs)
				}
			}
		}
	}
	return queries
}

func TestCheckSoundAgainstEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates thousands of queries with the Prometheus engine")
	}
	engines := map[string]*promqlengine.Engine{
		"delayed name removal": promqltest.NewTestEngine(t, false, 5*time.Minute, 1_000_000),
		"immediate name removal": promqltest.NewTestEngineWithOpts(t, promqlengine.EngineOpts{
			MaxSamples:    1_000_000,
			Timeout:       time.Minute,
			LookbackDelta: 5 * time.Minute,
			Parser:        parser.NewParser(promqltest.TestParserOpts),
		}),
	}
	queries := classifyQueries(soundnessQueries())

	for dataName, data := range soundnessData {
		t.Run(dataName, func(t *testing.T) {
			t.Parallel()
			store := promqltest.LoadedStorage(t, data)
			t.Cleanup(func() { _ = store.Close() })

			for engineName, engine := range engines {
				checked := 0
				for _, q := range queries {
					if assertResultFits(t, engine, store, engineName, q.query, q.cardinality) {
						checked++
					}
				}
				t.Logf("%s: %d of %d queries and fixes evaluated", engineName, checked, len(queries))
			}
		})
	}
}

// classifiedQuery is a query with the cardinality that Check gives it.
type classifiedQuery struct {
	query       string
	cardinality Cardinality
}

// classifyQueries checks each query once and adds the fixes of its problems, skipping queries
// that do not parse.
func classifyQueries(queries []string) []classifiedQuery {
	var classified []classifiedQuery
	for _, query := range queries {
		report := Check(query)
		if report.Cardinality == CardinalityUnknown {
			continue
		}
		classified = append(classified, classifiedQuery{query, report.Cardinality})
		for _, p := range report.Problems {
			if p.Fix != "" {
				classified = append(classified, classifiedQuery{p.Fix, Check(p.Fix).Cardinality})
			}
		}
	}
	return classified
}

// assertResultFits evaluates query as an instant query at 20m and checks the result against
// the cardinality. A query that the engine rejects, for example for many-to-many matching,
// returns no result and proves nothing.
func assertResultFits(t *testing.T, engine *promqlengine.Engine, store storage.Queryable, engineName, query string, want Cardinality) bool {
	t.Helper()
	at := timestamp.Time(0).Add(20 * time.Minute)
	q, err := engine.NewInstantQuery(context.Background(), store, nil, query, at)
	if err != nil {
		return false
	}
	defer q.Close()
	result := q.Exec(context.Background())
	if result.Err != nil {
		return false
	}

	if !resultFits(want, result.Value) {
		t.Errorf("%s: query %q is classified as %s, but the engine returned %s", engineName, query, want, describeResult(result.Value))
	}
	return true
}

// resultFits reports whether an engine result is possible for the cardinality. Any result fits
// CardinalityUnknown.
func resultFits(want Cardinality, value parser.Value) bool {
	switch want {
	case CardinalityScalar:
		_, ok := value.(promqlengine.Scalar)
		return ok
	case CardinalityString:
		_, ok := value.(promqlengine.String)
		return ok
	case CardinalityRange:
		_, ok := value.(promqlengine.Matrix)
		return ok
	case CardinalityOne, CardinalityAtMostOne, CardinalityMany:
		vector, ok := value.(promqlengine.Vector)
		switch {
		case !ok:
			return false
		case want == CardinalityOne:
			return len(vector) == 1
		case want == CardinalityAtMostOne:
			return len(vector) <= 1
		default:
			return true
		}
	default:
		return true
	}
}

func describeResult(v parser.Value) string {
	switch r := v.(type) {
	case promqlengine.Vector:
		return fmt.Sprintf("a vector of %d series: %v", len(r), r)
	case promqlengine.Matrix:
		return fmt.Sprintf("a matrix of %d series", len(r))
	default:
		return fmt.Sprintf("%T %v", v, v)
	}
}

// TestCheckBuiltInExpressions runs Check on every expression of the Prometheus engine's own
// test files: each one that parses must get a rule and a reason.
func TestCheckBuiltInExpressions(t *testing.T) {
	exprs, err := promqltest.GetBuiltInExprs()
	if err != nil {
		t.Fatalf("reading the built-in expressions: %v", err)
	}
	if len(exprs) < 1000 {
		t.Fatalf("found %d built-in expressions, expected more than 1000", len(exprs))
	}

	for _, query := range exprs {
		report := Check(query)
		if report.Cardinality == CardinalityUnknown {
			continue
		}
		if report.Reason == "" || strings.Contains(report.Reason, "no cardinality rule") {
			t.Errorf("query %q: reason %q", query, report.Reason)
		}
		for _, p := range report.Problems {
			checkFixPasses(t, p)
		}
	}
}
