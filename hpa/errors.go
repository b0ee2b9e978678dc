package hpa

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// errorPrefix starts every error message of the package. An error that
// includes another hpa error drops the inner prefix.
const errorPrefix = "hpa: "

// ErrNoMetrics is returned by Recommend when it is given no metric.
var ErrNoMetrics = errors.New("hpa: no metrics to compute replicas from")

// ErrInvalidMetric matches, with errors.Is, every error that Propose
// returns for a metric the HPA cannot use.
var ErrInvalidMetric = errors.New("hpa: invalid metric")

// MetricError reports a metric the HPA cannot use. It matches
// ErrInvalidMetric with errors.Is and unwraps to the Metric.Err that marked
// the metric invalid, if any.
type MetricError struct {
	// Name is the metric's Name.
	Name string
	// Detail states what is wrong with the metric and how to fix it, e.g.
	// "value NaN is not a finite number". It is empty when Err alone
	// describes the problem.
	Detail string
	// Err is the metric's Err, or nil.
	Err error
}

func (e *MetricError) Error() string {
	return fmt.Sprintf("%smetric %q: %s", errorPrefix, e.Name, e.problem())
}

// problem returns the message without the prefix and the metric name.
func (e *MetricError) problem() string {
	switch {
	case e.Err == nil:
		return e.Detail
	case e.Detail == "":
		return e.Err.Error()
	}
	return e.Detail + ": " + e.Err.Error()
}

// Is reports whether target is ErrInvalidMetric.
func (e *MetricError) Is(target error) bool { return target == ErrInvalidMetric }

func (e *MetricError) Unwrap() error { return e.Err }

// invalidMetric returns a *MetricError for the metric named name, with the
// detail formatted from format and args.
func invalidMetric(name, format string, args ...any) error {
	return &MetricError{Name: name, Detail: fmt.Sprintf(format, args...)}
}

// InvalidMetricsError is returned by Recommend when invalid metrics prevent
// a decision: all metrics are invalid, or some are and the valid ones would
// scale down. It wraps the first metric's error.
type InvalidMetricsError struct {
	Invalid, Total int
	First          error
}

func (e *InvalidMetricsError) Error() string {
	return fmt.Sprintf("%s%d of %d metrics are invalid, so replicas stay at the current count; first error: %s",
		errorPrefix, e.Invalid, e.Total, withoutPrefix(e.First))
}

func (e *InvalidMetricsError) Unwrap() error { return e.First }

// FieldError reports a field of a Spec or a History that the HPA would
// reject. Field is the autoscaling/v2 path, e.g.
// behavior.scaleUp.policies[1].periodSeconds. The message reads
// "hpa: <Field> <Value> <Detail>": a string Value is quoted, and a nil or
// empty Value is left out.
type FieldError struct {
	Field string
	Value any
	// Detail completes the sentence about the value, e.g. "is negative; use
	// 1 or more".
	Detail string
}

func (e *FieldError) Error() string {
	value := reflect.ValueOf(e.Value)
	switch {
	case !value.IsValid() || (value.Kind() == reflect.String && value.Len() == 0):
		return fmt.Sprintf("%s%s %s", errorPrefix, e.Field, e.Detail)
	case value.Kind() == reflect.String:
		return fmt.Sprintf("%s%s %s %s", errorPrefix, e.Field, strconv.Quote(value.String()), e.Detail)
	}
	return fmt.Sprintf("%s%s %v %s", errorPrefix, e.Field, e.Value, e.Detail)
}

// opError names the operation that failed on an hpa error, keeping one
// prefix in the message.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string {
	return errorPrefix + e.op + ": " + withoutPrefix(e.err)
}

func (e *opError) Unwrap() error { return e.err }

// metricProblem returns the message of a Propose error without the prefix
// and the metric name, for explanations that name the metric already.
func metricProblem(err error) string {
	var metricErr *MetricError
	if errors.As(err, &metricErr) {
		return metricErr.problem()
	}
	return withoutPrefix(err)
}

// withoutPrefix returns the message of err without the package prefix.
func withoutPrefix(err error) string {
	return strings.TrimPrefix(err.Error(), errorPrefix)
}
