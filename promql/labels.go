package promql

import (
	"slices"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// labelSet is an upper bound on the label names that the series of a vector carry.
// When known is false a series may carry any label; otherwise it carries no label outside
// names. The empty known set means every series has the empty label set, so a vector cannot
// contain two different series and all its series match each other in a binary operation.
type labelSet struct {
	known bool
	names []string // sorted and unique
}

// Label names that vector matching ignores unless they are listed in on(...).
var metadataLabels = append([]string{model.MetricNameLabel}, schemaLabels...)

// Labels of the type and unit of a metric, which operations that change values remove.
var schemaLabels = []string{"__type__", "__unit__"}

func anyLabels() labelSet { return labelSet{} }

func labelsOf(names ...string) labelSet {
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	return labelSet{known: true, names: slices.Compact(sorted)}
}

func (s labelSet) isEmpty() bool { return s.known && len(s.names) == 0 }

// has reports whether a series may carry the label name.
func (s labelSet) has(name string) bool {
	return !s.known || slices.Contains(s.names, name)
}

// with adds names to the set. An unknown set stays unknown.
func (s labelSet) with(names ...string) labelSet {
	if !s.known {
		return s
	}
	return labelsOf(append(slices.Clone(s.names), names...)...)
}

// union returns the bound for a vector that contains series of both sets.
func (s labelSet) union(o labelSet) labelSet {
	if !s.known || !o.known {
		return anyLabels()
	}
	return s.with(o.names...)
}

// without removes names from the set. An unknown set stays unknown.
func (s labelSet) without(names ...string) labelSet {
	if !s.known {
		return s
	}
	remaining := slices.DeleteFunc(slices.Clone(s.names), func(n string) bool {
		return slices.Contains(names, n)
	})
	return labelSet{known: true, names: remaining}
}

// intersect keeps only the given names, which is what on(...) matching does to the result.
func (s labelSet) intersect(names []string) labelSet {
	if !s.known {
		return labelsOf(names...)
	}
	remaining := slices.DeleteFunc(slices.Clone(s.names), func(n string) bool {
		return !slices.Contains(names, n)
	})
	return labelSet{known: true, names: remaining}
}

// within reports whether no series can carry a label outside names.
func (s labelSet) within(names []string) bool {
	if !s.known {
		return false
	}
	for _, n := range s.names {
		if !slices.Contains(names, n) {
			return false
		}
	}
	return true
}

// labelValue is the value that a label has in every series of a vector. When known is false
// every series has the same value, but the query does not state which.
type labelValue struct {
	value string
	known bool
}

// fixedLabels maps label names to the value that every series of a vector has, where a
// missing label counts as the empty value. A map is never changed after it is built, so
// verdicts can share it.
type fixedLabels map[string]labelValue

// selectorLabels returns the labels that the equality matchers of a selector fix.
func selectorLabels(matchers []*labels.Matcher) fixedLabels {
	fixed := fixedLabels{}
	for _, m := range matchers {
		if m.Type == labels.MatchEqual {
			fixed[m.Name] = labelValue{value: m.Value, known: true}
		}
	}
	return fixed
}

// value returns the value of name in every series of a vector whose labels are bounded by
// set, and false when the series can differ in it.
func (f fixedLabels) value(set labelSet, name string) (string, bool) {
	if !set.has(name) {
		return "", true
	}
	v, ok := f[name]
	return v.value, ok && v.known
}

// keep returns the fixed labels among names.
func (f fixedLabels) keep(names ...string) fixedLabels {
	kept := fixedLabels{}
	for _, name := range names {
		if v, ok := f[name]; ok {
			kept[name] = v
		}
	}
	return kept
}

// drop returns the fixed labels without names, whose values an operation can change.
func (f fixedLabels) drop(names ...string) fixedLabels {
	kept := fixedLabels{}
	for name, v := range f {
		if !slices.Contains(names, name) {
			kept[name] = v
		}
	}
	return kept
}

// dropName returns the fixed labels after an operation that removes the metric name from
// every series. The engine removes it either at once or at the end of the evaluation, so a
// fixed name stays the same in every series but its value is no longer known.
func (f fixedLabels) dropName() fixedLabels {
	if _, ok := f[model.MetricNameLabel]; !ok {
		return f
	}
	kept := f.drop(model.MetricNameLabel)
	kept[model.MetricNameLabel] = labelValue{}
	return kept
}

// common returns the labels that both maps fix to the same known value, which the series of
// a union of the two vectors share.
func (f fixedLabels) common(o fixedLabels) fixedLabels {
	kept := fixedLabels{}
	for name, v := range f {
		if w, ok := o[name]; ok && v.known && w.known && v.value == w.value {
			kept[name] = v
		}
	}
	return kept
}

// covers reports whether the fixed labels include every name of set, which must be known, so
// that every series has the same value for each label that it can carry. With knownOnly, only
// labels with a known value count.
func (f fixedLabels) covers(set labelSet, knownOnly bool) bool {
	if !set.known {
		return false
	}
	for _, name := range set.names {
		v, ok := f[name]
		if !ok || (knownOnly && !v.known) {
			return false
		}
	}
	return true
}
