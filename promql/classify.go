package promql

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/prometheus/prometheus/promql/parser"
)

// Limits on the text of explanations, which keep the work for deeply nested queries linear.
const (
	maxSnippetRunes = 100
	maxReasonRunes  = 400
	maxKeepers      = 6
)

// classifier classifies the expressions of one query, whose text it quotes in explanations.
type classifier struct {
	query string
}

// verdict is the set of facts that the classifier proves about one expression for every data set.
// Each rule must stay sound: a flag may only be true, and labels only known, when the
// Prometheus engine cannot return a result that breaks it for any input.
type verdict struct {
	typ parser.ValueType

	atMostOne bool        // a vector or matrix contains at most one series
	present   bool        // a vector contains at least one series
	floats    bool        // no series of a vector contains a native histogram sample
	labels    labelSet    // the label names that the series can carry
	fixed     fixedLabels // the labels that have the same value in every series

	node      parser.Node // the node whose rule decided the bounds
	origin    string      // the explanation of the bounds at node
	keepers   []string    // enclosing functions that return one series per input series, outermost first
	emptyWhen string      // the condition under which a vector that is not present has no series
}

// cardinality maps the proven bounds to the public classification.
func (v verdict) cardinality() Cardinality {
	switch v.typ {
	case parser.ValueTypeScalar:
		return CardinalityScalar
	case parser.ValueTypeString:
		return CardinalityString
	case parser.ValueTypeMatrix:
		return CardinalityRange
	case parser.ValueTypeVector:
		switch {
		case v.atMostOne && v.present:
			return CardinalityOne
		case v.atMostOne:
			return CardinalityAtMostOne
		default:
			return CardinalityMany
		}
	default:
		return CardinalityUnknown
	}
}

// reason explains the verdict in one sentence fragment that starts with the responsible node.
func (v verdict) reason() string {
	if len(v.keepers) == 0 {
		return clip(v.origin, maxReasonRunes)
	}
	names := slices.Compact(slices.Clone(v.keepers))
	verb := "returns"
	if len(names) > 1 {
		verb = "return"
	}
	return clip(fmt.Sprintf("%s %s one series per input series, and %s", joinWords(names), verb, v.origin), maxReasonRunes)
}

// keptBy records that function n returns one series for each series of v.
func (v verdict) keptBy(n parser.Node, name string) verdict {
	v.node = n
	if len(v.keepers) >= maxKeepers {
		// Name the outermost functions only and summarize the others.
		v.keepers = append(v.keepers[:maxKeepers-2:maxKeepers-2], "other functions")
	}
	v.keepers = append([]string{name}, v.keepers...)
	return v
}

// decidedBy starts a new explanation at node n.
func (v verdict) decidedBy(n parser.Node, format string, args ...any) verdict {
	v.node = n
	v.origin = fmt.Sprintf(format, args...)
	v.keepers = nil
	return v
}

// classify returns the verdict for an expression of a successfully parsed query.
func (c classifier) classify(e parser.Expr) verdict {
	switch n := e.(type) {
	case *parser.NumberLiteral:
		return scalarVerdict(n, "the number %s is a scalar", c.snippet(n))
	case *parser.DurationExpr:
		return scalarVerdict(n, "the duration %s is a scalar", c.snippet(n))
	case *parser.StringLiteral:
		return verdict{typ: parser.ValueTypeString, node: n, origin: fmt.Sprintf("%s is a string literal", c.snippet(n))}
	case *parser.ParenExpr:
		return c.classify(n.Expr)
	case *parser.StepInvariantExpr:
		return c.classify(n.Expr)
	case *parser.UnaryExpr:
		// A minus sign negates values and removes the metric name, and a plus sign
		// changes nothing. Neither adds series.
		v := c.classify(n.Expr)
		v.fixed = v.fixed.dropName()
		return v
	case *parser.VectorSelector:
		return c.classifySelector(n)
	case *parser.MatrixSelector:
		return c.classifyMatrixSelector(n)
	case *parser.SubqueryExpr:
		return c.classifySubquery(n)
	case *parser.Call:
		return c.classifyCall(n)
	case *parser.AggregateExpr:
		return c.classifyAggregate(n)
	case *parser.BinaryExpr:
		return c.classifyBinary(n)
	default:
		return c.unknownVerdict(e, fmt.Sprintf("%T", e))
	}
}

// unknownVerdict returns the sound verdict for a construct without a rule: possibly many series.
func (c classifier) unknownVerdict(e parser.Expr, construct string) verdict {
	return verdict{
		typ:       e.Type(),
		labels:    anyLabels(),
		node:      e,
		origin:    fmt.Sprintf("%s has no cardinality rule, so it is assumed to return many series", construct),
		emptyWhen: fmt.Sprintf("%s returns nothing", c.snippet(e)),
	}
}

func scalarVerdict(n parser.Node, format string, args ...any) verdict {
	return verdict{
		typ:       parser.ValueTypeScalar,
		atMostOne: true,
		present:   true,
		floats:    true,
		labels:    labelsOf(),
		node:      n,
		origin:    fmt.Sprintf(format, args...),
	}
}

func (c classifier) classifySelector(n *parser.VectorSelector) verdict {
	// Fixing every label in the selector does not help: the series set is decided by the data.
	return verdict{
		typ:       parser.ValueTypeVector,
		labels:    anyLabels(),
		fixed:     selectorLabels(n.LabelMatchers),
		node:      n,
		origin:    fmt.Sprintf("the selector %s can match any number of series", c.snippet(n)),
		emptyWhen: fmt.Sprintf("%s matches nothing", c.snippet(n)),
	}
}

func (c classifier) classifyMatrixSelector(n *parser.MatrixSelector) verdict {
	var fixed fixedLabels
	if vs, ok := n.VectorSelector.(*parser.VectorSelector); ok {
		fixed = selectorLabels(vs.LabelMatchers)
	}
	return verdict{
		typ:       parser.ValueTypeMatrix,
		labels:    anyLabels(),
		fixed:     fixed,
		node:      n,
		origin:    fmt.Sprintf("the range selector %s can match any number of series", c.snippet(n)),
		emptyWhen: fmt.Sprintf("%s has no samples in its range", c.snippet(n)),
	}
}

// classifySubquery bounds the series of a subquery, which collects the inner result of every
// step in the range. Different steps can return different series, so the subquery contains at most
// one series only when every step returns at most one series with the same label set: one
// whose labels the query fixes to known values, or the empty one.
func (c classifier) classifySubquery(n *parser.SubqueryExpr) verdict {
	inner := c.classify(n.Expr)
	v := verdict{
		typ:       parser.ValueTypeMatrix,
		labels:    inner.labels,
		fixed:     inner.fixed,
		emptyWhen: fmt.Sprintf("%s returns nothing during the subquery range", c.snippet(n.Expr)),
	}
	switch {
	case inner.atMostOne && inner.labels.isEmpty():
		v.atMostOne = true
		return v.decidedBy(n, "the subquery %s contains at most one series because each step returns at most one series without labels", c.snippet(n))
	case inner.atMostOne && inner.fixed.covers(inner.labels, true):
		v.atMostOne = true
		return v.decidedBy(n, "the subquery %s contains at most one series because each step returns at most one series, whose labels the query fixes", c.snippet(n))
	}
	return v.decidedBy(n, "the subquery %s can contain a different series for each step, and %s", c.snippet(n), inner.reason())
}

// snippet returns the query text of a node for messages, with each run of white space
// replaced by one blank and cut after maxSnippetRunes. It reads only the text it returns, so
// explaining a deeply nested query stays linear in its size.
func (c classifier) snippet(n parser.Node) string {
	span := n.PositionRange()
	start, end := int(span.Start), int(span.End)
	if start < 0 || start > end || end > len(c.query) {
		return clip(n.String(), maxSnippetRunes)
	}

	var b strings.Builder
	runes, blank := 0, false
	for _, r := range c.query[start:end] {
		if unicode.IsSpace(r) {
			blank = true
			continue
		}
		if blank {
			b.WriteByte(' ')
			runes++
			blank = false
		}
		if runes >= maxSnippetRunes-3 {
			b.WriteString("...")
			break
		}
		b.WriteRune(r)
		runes++
	}
	return b.String()
}

// clip cuts s after max runes, marking the cut with "...".
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max-3]) + "..."
}

// joinWords joins words as "a", "a and b" or "a, b and c".
func joinWords(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// maxConditionBytes bounds the text of a condition under which a vector is empty. Without
// it a chain of n binary operations would build n conditions of up to n parts each, which
// costs time and memory quadratic in the length of the query.
const maxConditionBytes = 400

// otherConditions ends a condition that reached maxConditionBytes.
const otherConditions = " or under other conditions"

// eitherCondition joins two conditions under which a vector is empty, skipping empty ones.
func eitherCondition(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "" || a == b || strings.HasSuffix(a, otherConditions):
		return a
	case len(a)+len(b) > maxConditionBytes:
		return a + otherConditions
	default:
		return a + " or " + b
	}
}
