package promql

import (
	"slices"

	"github.com/prometheus/common/model"
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
var metadataLabels = []string{model.MetricNameLabel, "__type__", "__unit__"}

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
