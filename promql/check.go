package promql

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/prometheus/prometheus/promql/parser"
)

// queryParser accepts experimental functions, fill modifiers and unquoted UTF-8 names, so that a
// query using them is reported as experimental rather than as a syntax error. Parsers are safe
// for concurrent use.
var queryParser = parser.NewParser(parser.Options{
	EnableExperimentalFunctions: true,
	EnableBinopFillModifiers:    true,
	EnableUnquotedUTF8Names:     true,
})

// legacyNameParser differs from queryParser only in rejecting unquoted UTF-8 names, which
// Prometheus accepts only with --enable-feature=promql-unquoted-utf8-names.
var legacyNameParser = parser.NewParser(parser.Options{
	EnableExperimentalFunctions: true,
	EnableBinopFillModifiers:    true,
})

// Check parses query and reports whether an instant query of it returns exactly one value.
// It does not panic on any input, which FuzzCheck tests. A query that does not parse gives
// CardinalityUnknown and one "syntax" problem, located at the parser's first error.
func Check(query string) Report {
	expr, err := queryParser.ParseExpr(query)
	if err != nil {
		return syntaxReport(query, err)
	}

	c := classifier{query: query}
	v := c.classify(expr)
	report := Report{
		Query:       query,
		Cardinality: v.cardinality(),
		Reason:      c.reportReason(v),
		Node:        v.node,
	}

	if p, ok := c.cardinalityProblem(expr, v); ok {
		report.Problems = append(report.Problems, p)
	}
	report.Problems = append(report.Problems, featureProblems(query, expr)...)
	if p, ok := utf8NameProblem(query); ok {
		report.Problems = append(report.Problems, p)
	}
	slices.SortStableFunc(report.Problems, func(a, b Problem) int { return a.Start - b.Start })
	return report
}

func syntaxReport(query string, err error) Report {
	var parseErrs parser.ParseErrors
	if !errors.As(err, &parseErrs) || len(parseErrs) == 0 {
		parseErrs = parser.ParseErrors{{Err: err}}
	}

	if strings.TrimSpace(query) == "" {
		const message = "the query is empty; set it to the PromQL expression whose value scales the workload, such as sum(rate(http_requests_total[2m]))"
		return Report{Query: query, Reason: message, Problems: []Problem{
			newProblem(query, CheckSyntax, SeverityError, 0, len(query), message, ""),
		}}
	}

	report := Report{
		Query:  query,
		Reason: "the query is not valid PromQL: " + parseErrs[0].Err.Error(),
	}
	// Only the first parse error is reported: the parser's later errors
	// follow from it, such as "no arguments for aggregate expression" after
	// an unclosed parenthesis, and would point at correct text.
	first := parseErrs[0]
	report.Problems = append(report.Problems, newProblem(query, CheckSyntax, SeverityError,
		int(first.PositionRange.Start), int(first.PositionRange.End),
		"the query is not valid PromQL: "+first.Err.Error(), ""))
	return report
}

func (c classifier) reportReason(v verdict) string {
	if v.typ == parser.ValueTypeMatrix {
		return fmt.Sprintf("%s is a range vector", c.snippet(v.node))
	}
	return v.reason()
}

// cardinalityProblem returns the one-value or may-be-empty problem for the verdict, if any.
func (c classifier) cardinalityProblem(expr parser.Expr, v verdict) (Problem, bool) {
	query := c.query
	span := v.node.PositionRange()
	start, end := int(span.Start), int(span.End)

	switch v.cardinality() {
	case CardinalityMany:
		message := v.reason() + ". The query can therefore return several series (for example one per pod), but a scaler needs exactly one value"
		return newProblem(query, CheckOneValue, SeverityError, start, end, message, sumFix(query, expr)), true
	case CardinalityRange:
		message := fmt.Sprintf("%s is a range vector, so an instant query returns a matrix of samples instead of one value; wrap it in a function such as rate or avg_over_time and aggregate the result", c.snippet(v.node))
		return newProblem(query, CheckOneValue, SeverityError, start, end, message, rangeFix(query, expr)), true
	case CardinalityString:
		message := fmt.Sprintf("the query returns the string %s, not a number", c.snippet(v.node))
		return newProblem(query, CheckOneValue, SeverityError, start, end, message, ""), true
	case CardinalityScalar:
		message := fmt.Sprintf("%s, which this package reads as the value, but KEDA's prometheus scaler fails to decode a scalar result; vector(...) returns the same value as a series", v.reason())
		return newProblem(query, CheckScalarResult, SeverityInfo, start, end, message, vectorFix(query, expr)), true
	case CardinalityAtMostOne:
		message := fmt.Sprintf("%s. The query returns no series when %s, and KEDA reads an empty result as 0 when ignoreNullValues is true (its default) and as an error otherwise.", v.reason(), v.emptyWhen)
		return newProblem(query, CheckMayBeEmpty, SeverityWarning, start, end, message, orVectorFix(query, expr, v)), true
	default:
		return Problem{}, false
	}
}

// featureProblems reports functions, aggregations and modifiers that not every
// Prometheus-compatible server accepts.
func featureProblems(query string, expr parser.Expr) []Problem {
	var problems []Problem
	add := func(n parser.Node, check string, severity Severity, message string) {
		span := n.PositionRange()
		problems = append(problems, newProblem(query, check, severity, int(span.Start), int(span.End), message, ""))
	}

	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		switch n := node.(type) {
		case *parser.Call:
			if n.Func.Experimental {
				add(n, CheckExperimental, SeverityWarning, fmt.Sprintf("the function %s is experimental: Prometheus accepts it only with --enable-feature=promql-experimental-functions, and other Prometheus-compatible services can reject it", n.Func.Name))
			}
		case *parser.AggregateExpr:
			if n.Op.IsExperimentalAggregator() {
				add(n, CheckExperimental, SeverityWarning, fmt.Sprintf("the aggregation %s is experimental: Prometheus accepts it only with --enable-feature=promql-experimental-functions, and other Prometheus-compatible services can reject it", n.Op))
			}
		case *parser.BinaryExpr:
			if m := n.VectorMatching; m != nil && (m.FillValues.LHS != nil || m.FillValues.RHS != nil) {
				add(n, CheckExperimental, SeverityWarning, "fill modifiers are experimental: Prometheus accepts them only with --enable-feature=promql-binop-fill-modifiers, and other Prometheus-compatible services can reject them")
			}
		case *parser.VectorSelector:
			if modifier := rangeModifier(n); modifier != "" {
				add(n, CheckCompatibility, SeverityInfo, fmt.Sprintf("the %s modifier needed --enable-feature=promql-extended-range-selectors before Prometheus enabled it by default, so an older server or another Prometheus-compatible service can reject it", modifier))
			}
		}
		return nil
	})
	return problems
}

// utf8NameProblem reports the first unquoted name with a dot or a non-ASCII letter in a query
// that queryParser accepts.
func utf8NameProblem(query string) (Problem, bool) {
	// Only a dot or a non-ASCII byte can start such a name, so most queries skip the second parse.
	if !strings.ContainsRune(query, '.') && !hasNonASCII(query) {
		return Problem{}, false
	}
	_, err := legacyNameParser.ParseExpr(query)
	var parseErrs parser.ParseErrors
	if err == nil || !errors.As(err, &parseErrs) || len(parseErrs) == 0 {
		return Problem{}, false
	}

	start, end := nameAround(query, int(parseErrs[0].PositionRange.Start))
	message := fmt.Sprintf("the unquoted name %s needs --enable-feature=promql-unquoted-utf8-names, which other Prometheus-compatible services can lack; quote the name instead, as in {\"http.server.requests\", \"service.name\"=\"api\"}", query[start:end])
	return newProblem(query, CheckExperimental, SeverityWarning, start, end, message, ""), true
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// nameAround returns the span of the name that contains the byte offset, which can be any
// character of the name.
func nameAround(query string, offset int) (start, end int) {
	offset = min(max(offset, 0), len(query))
	isNameRune := func(r rune) bool {
		return r == '_' || r == '.' || r == ':' || unicode.IsLetter(r) || unicode.IsDigit(r)
	}
	start = offset
	for start > 0 {
		r, size := utf8.DecodeLastRuneInString(query[:start])
		if !isNameRune(r) {
			break
		}
		start -= size
	}
	end = offset
	for end < len(query) {
		r, size := utf8.DecodeRuneInString(query[end:])
		if !isNameRune(r) {
			break
		}
		end += size
	}
	return start, end
}

func rangeModifier(n *parser.VectorSelector) string {
	switch {
	case n.Anchored:
		return "anchored"
	case n.Smoothed:
		return "smoothed"
	default:
		return ""
	}
}

// newProblem builds a problem, clamping the span to the query and locating its start.
func newProblem(query, check string, severity Severity, start, end int, message, fix string) Problem {
	start = min(max(start, 0), len(query))
	end = min(max(end, start), len(query))
	line, column := position(query, start)
	return Problem{
		Check:    check,
		Severity: severity,
		Start:    start,
		End:      end,
		Line:     line,
		Column:   column,
		Message:  message,
		Fix:      fix,
	}
}

// position returns the 1-based line and rune column of a byte offset.
func position(query string, offset int) (line, column int) {
	before := query[:offset]
	lineStart := strings.LastIndexByte(before, '\n') + 1
	return strings.Count(before, "\n") + 1, utf8.RuneCountInString(before[lineStart:]) + 1
}
