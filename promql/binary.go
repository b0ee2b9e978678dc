package promql

import (
	"fmt"
	"slices"

	"github.com/prometheus/prometheus/promql/parser"
)

// classifyBinary applies the rules of binary operators, which depend on the operand types
// and, between two vectors, on the vector matching.
func (c classifier) classifyBinary(n *parser.BinaryExpr) verdict {
	lhs, rhs := c.classify(n.LHS), c.classify(n.RHS)

	switch {
	case lhs.typ == parser.ValueTypeScalar && rhs.typ == parser.ValueTypeScalar:
		return scalarVerdict(n, "the %q operation between two scalars is a scalar", n.Op.String())
	case lhs.typ == parser.ValueTypeScalar:
		return c.binaryWithScalar(n, rhs)
	case rhs.typ == parser.ValueTypeScalar:
		return c.binaryWithScalar(n, lhs)
	case n.VectorMatching == nil:
		return c.unknownVerdict(n, fmt.Sprintf("the %q operation without vector matching", n.Op.String()))
	case n.Op == parser.LAND:
		return c.binaryAnd(n, lhs, rhs)
	case n.Op == parser.LOR:
		return c.binaryOr(n, lhs, rhs)
	case n.Op == parser.LUNLESS:
		return c.binaryUnless(n, lhs, rhs)
	case isArithmetic(n.Op) || isTrim(n.Op) || n.Op.IsComparisonOperator():
		return c.binaryMatch(n, lhs, rhs)
	default:
		return c.unknownVerdict(n, fmt.Sprintf("the %q operation", n.Op.String()))
	}
}

func isArithmetic(op parser.ItemType) bool {
	switch op {
	case parser.ADD, parser.SUB, parser.MUL, parser.DIV, parser.MOD, parser.POW, parser.ATAN2:
		return true
	default:
		return false
	}
}

// isTrim reports whether op is a histogram trim operator, which drops every float sample of its
// left side.
func isTrim(op parser.ItemType) bool {
	return op == parser.TRIM_UPPER || op == parser.TRIM_LOWER
}

// filters reports whether the operation drops the series for which a comparison is false.
func filters(n *parser.BinaryExpr) bool {
	return n.Op.IsComparisonOperator() && !n.ReturnBool
}

// binaryWithScalar handles a vector combined with a scalar: each series gives at most one
// output series, and a comparison without bool drops the series for which it is false.
func (c classifier) binaryWithScalar(n *parser.BinaryExpr, vec verdict) verdict {
	op := n.Op.String()
	vec.fixed = vec.fixed.drop(schemaLabels...).dropName()
	if filters(n) {
		vec.present = false
		vec.emptyWhen = eitherCondition(vec.emptyWhen, fmt.Sprintf("the comparison %s is false", c.snippet(n)))
		if vec.atMostOne {
			return vec.decidedBy(n, "the comparison %q keeps at most the one series of its vector side", op)
		}
		return vec.keptBy(n, fmt.Sprintf("the comparison %q with a scalar", op))
	}

	// Arithmetic between a float and a native histogram can drop the sample, and a trim
	// operator drops every float sample.
	vec.present = vec.present && vec.floats && !isTrim(n.Op)
	if isTrim(n.Op) {
		vec.floats = false
		vec.emptyWhen = eitherCondition(vec.emptyWhen, fmt.Sprintf("the left side of %s contains no native histogram", c.snippet(n)))
	}
	if n.ReturnBool {
		vec.floats = true
	}
	return vec.keptBy(n, fmt.Sprintf("the %q operation with a scalar", op))
}

// sameSignature reports whether every series of lhs matches every series of rhs under the
// vector matching. That is true when each label that the matching compares is missing or has
// one known value, the same on both sides.
func sameSignature(m *parser.VectorMatching, lhs, rhs verdict) bool {
	compared := m.MatchingLabels
	if !m.On {
		if !lhs.labels.known || !rhs.labels.known {
			return false
		}
		ignored := append(slices.Clone(metadataLabels), m.MatchingLabels...)
		compared = lhs.labels.union(rhs.labels).without(ignored...).names
	}

	for _, name := range compared {
		left, leftKnown := lhs.fixed.value(lhs.labels, name)
		right, rightKnown := rhs.fixed.value(rhs.labels, name)
		if !leftKnown || !rightKnown || left != right {
			return false
		}
	}
	return true
}

// binaryMatch handles arithmetic and comparison between two vectors. One-to-one matching
// returns at most one series per pair, so the result is no larger than the smaller side.
// With group_left or group_right, each series of the "many" side gives at most one series.
// Fill modifiers add a series for each unmatched series.
func (c classifier) binaryMatch(n *parser.BinaryExpr, lhs, rhs verdict) verdict {
	m := n.VectorMatching
	op := n.Op.String()
	same := sameSignature(m, lhs, rhs)
	fill := m.FillValues.LHS != nil || m.FillValues.RHS != nil

	v := verdict{
		typ:       parser.ValueTypeVector,
		present:   lhs.present && rhs.present && lhs.floats && rhs.floats && same && !filters(n) && !isTrim(n.Op),
		floats:    ((lhs.floats && rhs.floats) || n.ReturnBool) && !isTrim(n.Op),
		labels:    matchedLabels(m, lhs.labels, rhs.labels),
		fixed:     matchedFixed(m, lhs.fixed, rhs.fixed),
		emptyWhen: eitherCondition(eitherCondition(lhs.emptyWhen, rhs.emptyWhen), "no series of both sides match"),
	}
	if filters(n) {
		v.emptyWhen = eitherCondition(v.emptyWhen, fmt.Sprintf("the comparison %s is false", c.snippet(n)))
	}

	switch {
	case fill:
		v.atMostOne = lhs.atMostOne && rhs.atMostOne && same
		if v.atMostOne {
			return v.decidedBy(n, "the %q operation with fill modifiers matches two sides of at most one series each, and they match", op)
		}
		return v.decidedBy(n, "the %q operation with fill modifiers returns a series for every unmatched series of either side", op)
	case m.Card == parser.CardManyToOne:
		v.atMostOne = lhs.atMostOne
		return c.manySideReason(v, n, "group_left", lhs)
	case m.Card == parser.CardOneToMany:
		v.atMostOne = rhs.atMostOne
		return c.manySideReason(v, n, "group_right", rhs)
	default:
		v.atMostOne = lhs.atMostOne || rhs.atMostOne
		if v.atMostOne {
			return v.decidedBy(n, "the %q operation matches series one to one, and one side contains at most one series", op)
		}
		return v.decidedBy(n, "the %q operation matches series one to one, and both sides can contain many series: %s", op, lhs.reason())
	}
}

func (c classifier) manySideReason(v verdict, n *parser.BinaryExpr, modifier string, many verdict) verdict {
	if v.atMostOne {
		return v.decidedBy(n, "the %q operation with %s returns at most one series because its many side contains at most one", n.Op.String(), modifier)
	}
	return v.decidedBy(n, "the %q operation with %s returns one series per series of %s, and %s", n.Op.String(), modifier, c.snippet(many.node), many.reason())
}

// matchedLabels bounds the labels of the result of an arithmetic or comparison operation.
func matchedLabels(m *parser.VectorMatching, lhs, rhs labelSet) labelSet {
	if m.FillValues.LHS != nil || m.FillValues.RHS != nil {
		// A filled series takes the matching labels of the other side.
		return lhs.union(rhs).with(m.Include...)
	}
	switch m.Card {
	case parser.CardManyToOne:
		return lhs.with(m.Include...)
	case parser.CardOneToMany:
		return rhs.with(m.Include...)
	}
	if m.On {
		return lhs.intersect(m.MatchingLabels)
	}
	return lhs.without(m.MatchingLabels...)
}

// matchedFixed returns the fixed labels of the result of an arithmetic or comparison
// operation. A result series takes the labels of its series on the many side, or of the left
// side for one-to-one matching, without the metric name and with the included labels of the
// matching series of the other side.
func matchedFixed(m *parser.VectorMatching, lhs, rhs fixedLabels) fixedLabels {
	if m.FillValues.LHS != nil || m.FillValues.RHS != nil {
		return nil
	}
	base := lhs
	if m.Card == parser.CardOneToMany {
		base = rhs
	}
	base = base.drop(schemaLabels...).dropName().drop(m.Include...)

	switch {
	case m.Card != parser.CardOneToOne:
		return base
	case m.On:
		return base.keep(m.MatchingLabels...)
	default:
		return base.drop(m.MatchingLabels...)
	}
}

// binaryAnd keeps the series of the left side that have a match on the right side.
func (c classifier) binaryAnd(n *parser.BinaryExpr, lhs, rhs verdict) verdict {
	v := lhs
	v.present = lhs.present && rhs.present && sameSignature(n.VectorMatching, lhs, rhs)
	v.emptyWhen = eitherCondition(eitherCondition(lhs.emptyWhen, rhs.emptyWhen), "no series of both sides match")
	if lhs.atMostOne {
		return v.decidedBy(n, "\"and\" keeps a subset of its left side, which contains at most one series")
	}
	return v.keptBy(n, "\"and\"")
}

// binaryUnless keeps the series of the left side that have no match on the right side.
func (c classifier) binaryUnless(n *parser.BinaryExpr, lhs, rhs verdict) verdict {
	v := lhs
	v.present = false
	v.emptyWhen = eitherCondition(lhs.emptyWhen, fmt.Sprintf("%s matches the left side", c.snippet(n.RHS)))
	if lhs.atMostOne {
		return v.decidedBy(n, "\"unless\" keeps a subset of its left side, which contains at most one series")
	}
	return v.keptBy(n, "\"unless\"")
}

// binaryOr returns every series of the left side plus the series of the right side whose
// matching labels differ from all left series. The result contains at most one series only when
// each side does and the two sides always match, as in sum(x) or vector(0).
func (c classifier) binaryOr(n *parser.BinaryExpr, lhs, rhs verdict) verdict {
	same := sameSignature(n.VectorMatching, lhs, rhs)
	v := verdict{
		typ:       parser.ValueTypeVector,
		atMostOne: lhs.atMostOne && rhs.atMostOne && same,
		present:   lhs.present || rhs.present,
		floats:    lhs.floats && rhs.floats,
		labels:    lhs.labels.union(rhs.labels),
		fixed:     lhs.fixed.common(rhs.fixed),
		emptyWhen: fmt.Sprintf("both %s and %s are empty", c.snippet(n.LHS), c.snippet(n.RHS)),
	}
	left, right := c.snippet(n.LHS), c.snippet(n.RHS)

	switch {
	case v.atMostOne && v.present:
		return v.decidedBy(n, "\"or\" returns %s when it has a series and %s otherwise, and both sides contain at most one series with the same matching labels", left, right)
	case v.atMostOne:
		return v.decidedBy(n, "\"or\" combines two sides of at most one series each with the same matching labels")
	case !lhs.atMostOne:
		return v.decidedBy(n, "\"or\" keeps every series of its left side, and %s", lhs.reason())
	case !rhs.atMostOne:
		return v.decidedBy(n, "\"or\" adds every series of %s whose labels differ from the left side, and %s", right, rhs.reason())
	default:
		return v.decidedBy(n, "\"or\" keeps both %s and %s when their matching labels differ, so it can return two series", left, right)
	}
}
