package promql

import (
	"github.com/prometheus/prometheus/promql/parser"
)

// Cardinality is the type and number of series of an expression evaluated as an instant query.
type Cardinality int

const (
	CardinalityUnknown   Cardinality = iota // could not be determined, for example after a syntax error
	CardinalityScalar                       // a scalar: always exactly one value
	CardinalityOne                          // an instant vector with exactly one series
	CardinalityAtMostOne                    // an instant vector with zero or one series
	CardinalityMany                         // an instant vector that may contain several series
	CardinalityRange                        // a range vector (matrix)
	CardinalityString                       // a string
)

// String returns the cardinality in words, for example "at most one series".
func (c Cardinality) String() string {
	switch c {
	case CardinalityScalar:
		return "scalar"
	case CardinalityOne:
		return "one series"
	case CardinalityAtMostOne:
		return "at most one series"
	case CardinalityMany:
		return "possibly many series"
	case CardinalityRange:
		return "range vector"
	case CardinalityString:
		return "string"
	default:
		return "unknown"
	}
}

// Severity is the seriousness of a [Problem]. Only SeverityError makes [Report.OK] false.
type Severity int

const (
	SeverityError   Severity = iota // the query cannot be used as it is
	SeverityWarning                 // the query works but can behave unexpectedly
	SeverityInfo                    // a remark that needs no change
)

// String returns "error", "warning" or "info".
func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	case SeverityInfo:
		return "info"
	default:
		return "unknown"
	}
}

// Check names used in [Problem.Check].
const (
	CheckSyntax       = "syntax"       // error: the query is not valid PromQL
	CheckOneValue     = "one-value"    // error: the query can return several series, a range vector or a string
	CheckMayBeEmpty   = "may-be-empty" // warning: the query returns at most one series, and none on empty input
	CheckExperimental = "experimental" // warning: Prometheus accepts the syntax only behind a feature flag

	// CheckCompatibility (info) marks syntax that older Prometheus servers reject.
	CheckCompatibility = "compatibility"

	// CheckScalarResult (info) marks a query whose result is a scalar. Reduce reads a scalar,
	// but KEDA's prometheus scaler (pkg/scalers/prometheus_scaler.go in kedacore/keda) decodes
	// the result as a list of series and fails on a scalar.
	CheckScalarResult = "scalar-result"
)

// Problem is one finding about a query.
type Problem struct {
	Check    string // short check name: one of the Check* constants
	Severity Severity

	// Start and End are byte offsets [Start, End) into the query. End equals Start when the
	// problem sits between two characters, for example a missing parenthesis at the end.
	Start, End int

	// Line and Column locate Start, both 1-based. Column counts runes (Unicode code points),
	// not bytes, so it matches what an editor shows for non-ASCII queries.
	Line, Column int

	Message string // what is wrong and why, naming the node
	Fix     string // a rewrite of the whole query that passes this check, or "" when none is known
}

// Report is the result of [Check] for one query.
type Report struct {
	Query       string
	Cardinality Cardinality
	Reason      string      // the explanation of the cardinality, naming the responsible node
	Node        parser.Node // the node responsible for the verdict; nil after a syntax error
	Problems    []Problem   // sorted by Start, except syntax problems, which keep the parser's order
}

// OK reports whether no problem has SeverityError, that is whether the query can be used
// to read one value. Warnings, such as may-be-empty, leave OK true.
func (r Report) OK() bool {
	for _, p := range r.Problems {
		if p.Severity == SeverityError {
			return false
		}
	}
	return true
}
