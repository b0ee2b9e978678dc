package promql

import (
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// argumentFor returns a valid argument of the given type.
func argumentFor(t parser.ValueType) string {
	switch t {
	case parser.ValueTypeScalar:
		return "1"
	case parser.ValueTypeVector:
		return "x"
	case parser.ValueTypeMatrix:
		return "x[5m]"
	case parser.ValueTypeString:
		return `"a"`
	default:
		return ""
	}
}

// callQuery builds a call with one argument per declared argument type.
func callQuery(f *parser.Function) string {
	args := make([]string, 0, len(f.ArgTypes))
	for _, t := range f.ArgTypes {
		args = append(args, argumentFor(t))
	}
	if f.Name == "info" {
		args[1] = `{k8s_cluster_name="a"}`
	}
	return f.Name + "(" + strings.Join(args, ", ") + ")"
}

func TestEveryFunctionHasRule(t *testing.T) {
	names := make([]string, 0, len(parser.Functions))
	for name := range parser.Functions {
		names = append(names, name)
	}
	sort.Strings(names)

	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			f := parser.Functions[name]
			require.NotNil(t, callRuleFor(name), "function %s has no cardinality rule", name)

			report := Check(callQuery(f))
			require.NotEqual(t, CardinalityUnknown, report.Cardinality, "query %q: %s", callQuery(f), report.Render())
			assert.NotContains(t, report.Reason, "no cardinality rule")
			assertReturnTypeMatches(t, f, report.Cardinality)
		})
	}
}

// assertReturnTypeMatches checks the verdict against the return type the parser declares.
func assertReturnTypeMatches(t *testing.T, f *parser.Function, got Cardinality) {
	t.Helper()
	switch f.ReturnType {
	case parser.ValueTypeScalar:
		assert.Equal(t, CardinalityScalar, got)
	case parser.ValueTypeVector:
		assert.Contains(t, []Cardinality{CardinalityOne, CardinalityAtMostOne, CardinalityMany}, got)
	default:
		assert.Fail(t, "unexpected return type", "function %s returns %s", f.Name, f.ReturnType)
	}
}

func TestFunctionsOverSelectorAreMany(t *testing.T) {
	// A function of a selector keeps or drops its series but never aggregates them, except
	// for the functions below.
	single := map[string]bool{"absent": true, "absent_over_time": true, "vector": true}
	for name, f := range parser.Functions {
		if f.ReturnType != parser.ValueTypeVector || single[name] {
			continue
		}
		t.Run(name, func(t *testing.T) {
			query := callQuery(f)
			assert.Equal(t, CardinalityMany, Check(query).Cardinality, "query %q", query)
		})
	}
}

func TestEveryAggregationHasRule(t *testing.T) {
	params := map[parser.ItemType]string{
		parser.COUNT_VALUES: `"v", `,
		parser.QUANTILE:     `0.5, `,
		parser.TOPK:         `2, `,
		parser.BOTTOMK:      `2, `,
		parser.LIMITK:       `2, `,
		parser.LIMIT_RATIO:  `0.5, `,
	}
	found := 0
	for op := parser.ItemType(0); op < 1<<17; op++ {
		if !op.IsAggregator() {
			continue
		}
		found++
		t.Run(op.String(), func(t *testing.T) {
			param := params[op]
			if op.IsAggregatorWithParam() {
				require.NotEmpty(t, param, "aggregation %s takes a parameter that this test does not know", op)
			}
			query := op.String() + "(" + param + "x)"

			report := Check(query)
			require.NotEqual(t, CardinalityUnknown, report.Cardinality, "query %q: %s", query, report.Render())
			assert.NotContains(t, report.Reason, "no cardinality rule", "query %q", query)
		})
	}
	assert.Equal(t, 14, found, "number of aggregation operators")
}

func TestEveryBinaryOperatorHasRule(t *testing.T) {
	found := 0
	for op := parser.ItemType(0); op < 1<<17; op++ {
		if !op.IsOperator() {
			continue
		}
		query := "x " + op.String() + " y"
		if _, err := queryParser.ParseExpr(query); err != nil {
			// Label matching operators such as =~ are operators of the lexer only.
			continue
		}
		found++
		t.Run(op.String(), func(t *testing.T) {
			report := Check(query)
			assert.NotEqual(t, CardinalityUnknown, report.Cardinality, "query %q", query)
			assert.NotContains(t, report.Reason, "no cardinality rule", "query %q", query)
		})
	}
	assert.Equal(t, 18, found, "number of binary operators")
}
