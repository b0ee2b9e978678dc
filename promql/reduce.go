package promql

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/prometheus/common/model"
)

// Errors that [Reduce] wraps, for callers that branch with errors.Is.
var (
	ErrEmptyResult    = errors.New("promql: query returned no series")
	ErrMultipleSeries = errors.New("promql: query returned more than one series")
	ErrRangeVector    = errors.New("promql: query returned a range vector")
	ErrNotANumber     = errors.New("promql: query returned a value that is not a finite number")
	ErrHistogram      = errors.New("promql: query returned a native histogram sample")
)

// How many label sets an ErrMultipleSeries message shows.
const shownSeries = 3

// ReduceOptions sets how [Reduce] treats a result without a usable value.
// The zero value treats an empty result, NaN and ±Inf as errors.
type ReduceOptions struct {
	// IgnoreNullValues mirrors KEDA's ignoreNullValues (KEDA's default is true): when true an
	// empty vector, NaN or ±Inf reduce to 0; when false they are errors.
	IgnoreNullValues bool
}

// Reduce returns the one number in an instant query result: the value of a scalar or
// of the only sample of a vector. Unlike KEDA, which reads a range vector as 0, it rejects a
// range vector. Errors wrap ErrEmptyResult, ErrMultipleSeries, ErrRangeVector, ErrNotANumber or
// ErrHistogram where those apply.
func Reduce(v model.Value, opts ReduceOptions) (float64, error) {
	switch value := v.(type) {
	case *model.Scalar:
		if value == nil {
			return 0, errors.New("promql: the query result is a nil scalar")
		}
		return finite(float64(value.Value), opts)
	case model.Vector:
		return reduceVector(value, opts)
	case model.Matrix:
		return 0, fmt.Errorf("%w with %d series, but one value is needed; run it as an instant query of an instant vector, for example sum(avg_over_time(x[5m])) instead of x[5m]", ErrRangeVector, len(value))
	case *model.String:
		if value == nil {
			return 0, errors.New("promql: the query result is a nil string")
		}
		return 0, fmt.Errorf("promql: query returned the string %q, not a number; change the query to return a number", value.Value)
	case nil:
		return 0, errors.New("promql: the query result is missing (nil value)")
	default:
		return 0, fmt.Errorf("promql: query returned an unsupported value of type %T; a scalar or an instant vector is needed", v)
	}
}

func reduceVector(vector model.Vector, opts ReduceOptions) (float64, error) {
	switch {
	case len(vector) == 0 && opts.IgnoreNullValues:
		return 0, nil
	case len(vector) == 0:
		return 0, fmt.Errorf("%w; append \"or vector(0)\" to the query or set IgnoreNullValues to read it as 0", ErrEmptyResult)
	case len(vector) > 1:
		return 0, fmt.Errorf("%w: %d series, %s; aggregate the query, for example with sum(...)", ErrMultipleSeries, len(vector), describeSeries(vector))
	}

	sample := vector[0]
	switch {
	case sample == nil:
		return 0, errors.New("promql: the query result contains a nil sample")
	case sample.Histogram != nil:
		return 0, fmt.Errorf("%w for %s; wrap the query in histogram_sum, histogram_count or histogram_quantile", ErrHistogram, sample.Metric)
	}
	return finite(float64(sample.Value), opts)
}

// finite returns f, or applies IgnoreNullValues to NaN and ±Inf.
func finite(f float64, opts ReduceOptions) (float64, error) {
	if !math.IsNaN(f) && !math.IsInf(f, 0) {
		return f, nil
	}
	if opts.IgnoreNullValues {
		return 0, nil
	}
	return 0, fmt.Errorf("%w: the value is %v; set IgnoreNullValues to read it as 0", ErrNotANumber, f)
}

// describeSeries lists the label sets of the first series of a vector.
func describeSeries(vector model.Vector) string {
	labelSets := make([]string, 0, shownSeries)
	for _, sample := range vector[:min(len(vector), shownSeries)] {
		if sample == nil {
			labelSets = append(labelSets, "<nil>")
			continue
		}
		labelSets = append(labelSets, sample.Metric.String())
	}
	prefix := "first "
	if len(vector) <= shownSeries {
		prefix = ""
	}
	return prefix + strings.Join(labelSets, ", ")
}
