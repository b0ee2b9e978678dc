package promql

import (
	"fmt"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// callRule classifies a call of one function.
type callRule func(c classifier, n *parser.Call) verdict

// callRuleFor returns the rule of a function of parser.Functions, or nil when the function has
// none. A test walks parser.Functions, so a function added to the parser fails it until it
// gets a rule here.
func callRuleFor(name string) callRule {
	switch name {
	case "pi", "time", "scalar", "start", "end", "range", "step", "min_of", "max_of":
		return classifier.scalarCall
	case "vector":
		return classifier.vectorCall
	case "day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year":
		return classifier.dateCall
	case "abs", "ceil", "floor", "exp", "sqrt", "ln", "log2", "log10", "sgn", "round",
		"deg", "rad", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
		"asinh", "acosh", "atanh", "clamp_min", "clamp_max", "timestamp":
		return classifier.floatCall
	case "sort", "sort_desc", "sort_by_label", "sort_by_label_desc", "label_replace", "label_join":
		return classifier.relabelCall
	case "clamp", "histogram_avg", "histogram_count", "histogram_sum", "histogram_stddev",
		"histogram_stdvar", "start_timestamp", "info":
		return classifier.filterCall
	case "histogram_quantile", "histogram_fraction":
		return classifier.bucketCall
	case "histogram_quantiles":
		return classifier.quantilesCall
	case "absent", "absent_over_time":
		return classifier.absentCall
	case "avg_over_time", "count_over_time", "changes", "delta", "deriv", "double_exponential_smoothing",
		"first_over_time", "idelta", "increase", "integral", "irate", "last_over_time", "mad_over_time",
		"max_over_time", "min_over_time", "predict_linear", "present_over_time", "quantile_over_time",
		"rate", "resets", "stddev_over_time", "stdvar_over_time", "sum_over_time",
		"ts_of_first_over_time", "ts_of_last_over_time", "ts_of_max_over_time", "ts_of_min_over_time":
		return classifier.rangeCall
	default:
		return nil
	}
}

func (c classifier) classifyCall(n *parser.Call) verdict {
	rule := callRuleFor(n.Func.Name)
	if rule == nil {
		return c.unknownVerdict(n, "the function "+n.Func.Name)
	}
	return rule(c, n)
}

// seriesArg returns the first argument that is an instant or range vector, or nil.
func seriesArg(n *parser.Call) parser.Expr {
	for _, arg := range n.Args {
		if t := arg.Type(); t == parser.ValueTypeVector || t == parser.ValueTypeMatrix {
			return arg
		}
	}
	return nil
}

// classifyInput returns the verdict for the series argument of a call.
func (c classifier) classifyInput(n *parser.Call) verdict {
	arg := seriesArg(n)
	if arg == nil {
		return c.unknownVerdict(n, "the input of "+n.Func.Name)
	}
	return c.classify(arg)
}

// stringArg returns the string literal at position i, if there is one.
func stringArg(n *parser.Call, i int) (string, bool) {
	if i >= len(n.Args) {
		return "", false
	}
	s, ok := n.Args[i].(*parser.StringLiteral)
	if !ok {
		return "", false
	}
	return s.Val, true
}

func (c classifier) scalarCall(n *parser.Call) verdict {
	return scalarVerdict(n, "%s returns a scalar", n.Func.Name)
}

// vectorCall handles vector(s), which always returns one series without labels.
func (c classifier) vectorCall(n *parser.Call) verdict {
	v := scalarVerdict(n, "vector returns exactly one series without labels")
	v.typ = parser.ValueTypeVector
	return v
}

// dateCall handles the date functions, which read vector(time()) when called without an argument.
func (c classifier) dateCall(n *parser.Call) verdict {
	if len(n.Args) == 0 {
		v := scalarVerdict(n, "%s() without an argument returns exactly one series without labels", n.Func.Name)
		v.typ = parser.ValueTypeVector
		return v
	}
	return c.floatCall(n)
}

// floatCall handles functions that return one float series per float input series and skip
// native histogram samples.
func (c classifier) floatCall(n *parser.Call) verdict {
	in := c.classifyInput(n)
	in.present = in.present && in.floats
	in.floats = true
	in.fixed = in.fixed.dropName()
	return in.keptBy(n, n.Func.Name)
}

// relabelCall handles functions that keep every series and change only the order or labels.
func (c classifier) relabelCall(n *parser.Call) verdict {
	in := c.classifyInput(n)
	if n.Func.Name == "label_replace" || n.Func.Name == "label_join" {
		// The destination label is the second argument. The engine rejects the result when two
		// series end up with the same labels, so the number of series never grows.
		if dst, ok := stringArg(n, 1); ok {
			in.labels = in.labels.with(dst)
			in.fixed = in.fixed.drop(dst)
		} else {
			in.labels = anyLabels()
			in.fixed = nil
		}
	}
	return in.keptBy(n, n.Func.Name)
}

// filterCall handles functions that return at most one series per input series and can drop
// any of them.
func (c classifier) filterCall(n *parser.Call) verdict {
	in := c.classifyInput(n)
	v := in
	v.present = false
	v.floats = true
	v.fixed = in.fixed.dropName()
	v.emptyWhen = eitherCondition(in.emptyWhen, dropCondition(n))
	if n.Func.Name == "info" {
		// info adds the data labels of the matching info series, which the query does not name.
		v.labels = anyLabels()
		v.fixed = nil
		v.floats = in.floats
	}
	if in.atMostOne {
		return v.decidedBy(n, "%s returns at most one series per input series, and its input contains at most one series", n.Func.Name)
	}
	return v.keptBy(n, n.Func.Name)
}

// dropCondition returns the condition under which a filtering function drops an input series.
func dropCondition(n *parser.Call) string {
	switch n.Func.Name {
	case "clamp":
		return "the minimum of clamp is above its maximum"
	case "start_timestamp":
		return "no start timestamps are stored"
	case "info":
		return "no info series matches the data labels"
	default:
		return fmt.Sprintf("the input of %s contains no native histogram", n.Func.Name)
	}
}

// bucketCall handles histogram_quantile and histogram_fraction. They return one series per
// native histogram and one per group of classic buckets, where a group is a label set
// without the le label. So sum by (le) (...) gives a single group.
//
// NOTE: the bound for a single group assumes that native histogram series carry no le label.
// A native histogram with an le label would add a second series.
func (c classifier) bucketCall(n *parser.Call) verdict {
	arg := seriesArg(n)
	if arg == nil {
		return c.unknownVerdict(n, "the input of "+n.Func.Name)
	}
	in := c.classify(arg)
	groups := in.labels.without(model.BucketLabel)
	fixed := in.fixed.drop(model.BucketLabel).dropName()
	single := groups.isEmpty() || fixed.covers(groups, false)
	v := verdict{
		typ:       parser.ValueTypeVector,
		atMostOne: in.atMostOne || single,
		floats:    true,
		labels:    groups,
		fixed:     fixed,
		emptyWhen: eitherCondition(in.emptyWhen, fmt.Sprintf("%s contains no histogram", c.snippet(arg))),
	}
	name := n.Func.Name

	switch {
	case in.atMostOne:
		return v.decidedBy(n, "%s returns at most one series because its input contains at most one series", name)
	case groups.isEmpty():
		return v.decidedBy(n, "%s returns at most one series because its input carries no label except le, so all its buckets form one histogram", name)
	case single:
		return v.decidedBy(n, "%s returns at most one series because every input series has the same value of %s, so all its buckets form one histogram", name, joinWords(groups.names))
	default:
		return v.decidedBy(n, "%s returns one series per histogram, and %s", name, in.reason())
	}
}

// quantilesCall handles histogram_quantiles, which returns one series per histogram and
// quantile, with the quantile in a new label.
func (c classifier) quantilesCall(n *parser.Call) verdict {
	v := c.bucketCall(n)
	if label, ok := stringArg(n, 1); ok {
		v.labels = v.labels.with(label)
		v.fixed = v.fixed.drop(label)
	} else {
		v.labels = anyLabels()
		v.fixed = nil
	}
	if quantiles := len(n.Args) - 2; quantiles > 1 {
		v.atMostOne = false
		return v.decidedBy(n, "histogram_quantiles returns one series per histogram for each of its %d quantiles", quantiles)
	}
	return v
}

// absentCall handles absent and absent_over_time, which return one series when the input is
// empty and none otherwise. The series takes the labels of the equality matchers of a selector
// argument.
func (c classifier) absentCall(n *parser.Call) verdict {
	arg := seriesArg(n)
	if arg == nil {
		return c.unknownVerdict(n, "the input of "+n.Func.Name)
	}
	v := verdict{
		typ:       parser.ValueTypeVector,
		atMostOne: true,
		floats:    true,
		labels:    absentLabels(arg),
		emptyWhen: fmt.Sprintf("%s has series", c.snippet(arg)),
	}
	return v.decidedBy(n, "%s returns one series only when its input is empty", n.Func.Name)
}

func absentLabels(arg parser.Expr) labelSet {
	var matchers []*labels.Matcher
	switch a := arg.(type) {
	case *parser.VectorSelector:
		matchers = a.LabelMatchers
	case *parser.MatrixSelector:
		if vs, ok := a.VectorSelector.(*parser.VectorSelector); ok {
			matchers = vs.LabelMatchers
		}
	}
	var names []string
	for _, m := range matchers {
		if m.Type == labels.MatchEqual {
			names = append(names, m.Name)
		}
	}
	return labelsOf(names...).without(metadataLabels...)
}

// rangeCall handles functions of a range vector, which return at most one series per series
// of the range vector and none for a series without enough samples in the range.
func (c classifier) rangeCall(n *parser.Call) verdict {
	in := c.classifyInput(n)
	v := in
	v.typ = parser.ValueTypeVector
	v.present = false
	v.floats = false
	v.fixed = in.fixed.dropName()
	return v.keptBy(n, n.Func.Name)
}
