package promql

import (
	"fmt"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"
)

// classifyAggregate applies the rule of each aggregation operator. Every operator of the parser
// is listed, so a new operator falls through to the unknown verdict and a test fails.
func (c classifier) classifyAggregate(n *parser.AggregateExpr) verdict {
	in := c.classify(n.Expr)

	switch n.Op {
	case parser.SUM, parser.AVG, parser.MIN, parser.MAX, parser.STDDEV, parser.STDVAR, parser.QUANTILE:
		return c.aggregateGroups(n, in, in.floats)
	case parser.COUNT, parser.GROUP:
		return c.aggregateGroups(n, in, true)
	case parser.COUNT_VALUES:
		return c.aggregateCountValues(n, in)
	case parser.TOPK, parser.BOTTOMK, parser.LIMITK:
		return c.aggregateTopK(n, in)
	case parser.LIMIT_RATIO:
		return c.aggregateSample(n, in)
	default:
		return c.unknownVerdict(n, "the aggregation "+n.Op.String())
	}
}

// groupLabels returns the label bound of the groups that the aggregation forms.
func groupLabels(n *parser.AggregateExpr, in labelSet) labelSet {
	if n.Without {
		return in.without(n.Grouping...).without(metadataLabels...)
	}
	return in.intersect(n.Grouping)
}

// groupFixed returns the fixed labels of the series that the aggregation returns, which carry
// only the labels of their group.
func groupFixed(n *parser.AggregateExpr, in fixedLabels) fixedLabels {
	if n.Without {
		return in.drop(n.Grouping...).drop(metadataLabels...)
	}
	return in.keep(n.Grouping...)
}

// singleGroup reports whether the aggregation puts all its input into one group: the series
// carry no grouping label, or the same value of each.
func singleGroup(n *parser.AggregateExpr, in verdict) bool {
	groups := groupLabels(n, in.labels)
	return groups.isEmpty() || in.fixed.covers(groups, false)
}

// aggregateGroups handles the operators that return one series per group. floats is true when
// the output contains only float samples.
func (c classifier) aggregateGroups(n *parser.AggregateExpr, in verdict, floats bool) verdict {
	groups := groupLabels(n, in.labels)
	single := singleGroup(n, in)
	v := verdict{
		typ:       parser.ValueTypeVector,
		atMostOne: in.atMostOne || single,
		// A group that mixes floats and native histograms is dropped, so only float input
		// guarantees an output series.
		present:   in.present && in.floats,
		floats:    floats,
		labels:    groups,
		fixed:     groupFixed(n, in.fixed),
		emptyWhen: in.emptyWhen,
	}
	name := describeAggregate(n)

	switch {
	case v.atMostOne && v.present:
		return v.decidedBy(n, "%s returns exactly one series because its input %s always has one float series", name, c.snippet(n.Expr))
	case groups.isEmpty():
		return v.decidedBy(n, "%s aggregates all its input into one series, or none when the input is empty", name)
	case single:
		return v.decidedBy(n, "%s aggregates all its input into one series, or none when the input is empty, because every input series has the same value of %s", name, joinWords(groups.names))
	case in.atMostOne:
		return v.decidedBy(n, "%s returns at most one series because its input contains at most one series", name)
	case n.Without:
		return v.decidedBy(n, "%s returns one series per distinct set of the remaining labels, and %s", name, in.reason())
	default:
		return v.decidedBy(n, "%s returns one series per distinct value of %s, and %s", name, joinWords(n.Grouping), in.reason())
	}
}

// aggregateCountValues counts the series per distinct sample value and stores the value in a
// new label. A single input series gives a single value.
func (c classifier) aggregateCountValues(n *parser.AggregateExpr, in verdict) verdict {
	labels := groupLabels(n, in.labels)
	var fixed fixedLabels
	if label, ok := n.Param.(*parser.StringLiteral); ok {
		labels = labels.with(label.Val)
		fixed = groupFixed(n, in.fixed).drop(label.Val)
	} else {
		labels = anyLabels()
	}
	v := verdict{
		typ:       parser.ValueTypeVector,
		atMostOne: in.atMostOne,
		present:   in.present && in.floats,
		floats:    true,
		labels:    labels,
		fixed:     fixed,
		emptyWhen: in.emptyWhen,
	}
	if in.atMostOne {
		return v.decidedBy(n, "count_values returns at most one series because its input contains at most one series")
	}
	return v.decidedBy(n, "count_values returns one series per distinct sample value, and %s", in.reason())
}

// aggregateTopK handles topk, bottomk and limitk, which keep up to k input series per group.
// The engine truncates k to an integer and returns nothing when k is below 1.
func (c classifier) aggregateTopK(n *parser.AggregateExpr, in verdict) verdict {
	name := n.Op.String()
	k, literal := numberValue(n.Param)
	single := singleGroup(n, in)
	v := verdict{
		typ:       parser.ValueTypeVector,
		atMostOne: in.atMostOne,
		floats:    in.floats,
		labels:    in.labels,
		fixed:     in.fixed,
		emptyWhen: in.emptyWhen,
	}

	switch {
	case literal && k < 1:
		v.atMostOne = true
		v.emptyWhen = fmt.Sprintf("k is %s, below 1", formatNumber(k))
		return v.decidedBy(n, "%s with k below 1 returns no series", name)
	case literal && k < 2 && single:
		v.atMostOne = true
		v.present = in.present && in.floats
		return v.decidedBy(n, "%s with k = 1 returns at most one series", name)
	case literal && k < 2:
		v.present = in.present && in.floats
		return v.decidedBy(n, "%s(1, ...) %s returns one series per group, and %s", name, describeGrouping(n), in.reason())
	case in.atMostOne:
		v.present = literal && in.present && in.floats
		return v.decidedBy(n, "%s returns at most one series because its input contains at most one series", name)
	case literal:
		return v.decidedBy(n, "%s with k = %s can return up to %s series", name, formatNumber(k), formatNumber(k))
	default:
		return v.decidedBy(n, "%s with the computed k %s can return many series", name, c.snippet(n.Param))
	}
}

// aggregateSample handles limit_ratio, which returns a subset of its input.
func (c classifier) aggregateSample(n *parser.AggregateExpr, in verdict) verdict {
	v := verdict{
		typ:       parser.ValueTypeVector,
		atMostOne: in.atMostOne,
		floats:    in.floats,
		labels:    in.labels,
		fixed:     in.fixed,
		emptyWhen: eitherCondition(in.emptyWhen, "limit_ratio samples none of its input"),
	}
	if in.atMostOne {
		return v.decidedBy(n, "limit_ratio returns a subset of its input, which contains at most one series")
	}
	return v.decidedBy(n, "limit_ratio returns a subset of its input, and %s", in.reason())
}

// numberValue returns the value of a number literal, looking through parentheses and signs.
func numberValue(e parser.Expr) (float64, bool) {
	switch n := e.(type) {
	case *parser.NumberLiteral:
		return n.Val, true
	case *parser.ParenExpr:
		return numberValue(n.Expr)
	case *parser.UnaryExpr:
		v, ok := numberValue(n.Expr)
		if n.Op == parser.SUB {
			v = -v
		}
		return v, ok
	default:
		return 0, false
	}
}

func formatNumber(f float64) string {
	return fmt.Sprintf("%g", f)
}

// describeAggregate names an aggregation with its grouping, for example "sum by (pod)".
func describeAggregate(n *parser.AggregateExpr) string {
	grouping := describeGrouping(n)
	if grouping == "" {
		return n.Op.String()
	}
	return n.Op.String() + " " + grouping
}

func describeGrouping(n *parser.AggregateExpr) string {
	switch {
	case n.Without:
		return "without (" + strings.Join(n.Grouping, ", ") + ")"
	case len(n.Grouping) > 0:
		return "by (" + strings.Join(n.Grouping, ", ") + ")"
	default:
		return ""
	}
}
