// Package promql checks, before the first poll, that a PromQL query returns exactly one value,
// and reduces the result of the query to one float64 at run time.
//
// An autoscaler that reads a metric from Prometheus or Amazon Managed Prometheus runs the query
// as an instant query and needs a single number. KEDA's prometheus scaler, for example, fails
// when the result contains more than one series and, with ignoreNullValues (its default), reads an
// empty result as 0. Many real queries break that contract only at run time: a selector such as
// http_requests_total matches one series per pod, rate(x[5m]) keeps one series per input
// series, and sum(x) returns nothing when x matches nothing.
//
// # Static check
//
// [Check] parses a query with the Prometheus parser and classifies it without running it:
//
//	report := promql.Check(`rate(http_requests_total[5m])`)
//	report.Cardinality // CardinalityMany
//	report.OK()        // false
//	report.Render()    // the problems, each with a caret line under the query and a fix
//
// The classification is sound: a verdict of [CardinalityOne] or [CardinalityAtMostOne] means that
// the Prometheus engine cannot return more than one series for any data. When a rule cannot prove
// that, the verdict is [CardinalityMany]. One exception is known: histogram_quantile and
// histogram_fraction over sum by (le) assume that native histogram series carry no le label.
// Each verdict carries a reason that names the node responsible for it.
//
// The rules follow the labels that every series must carry. A label that a selector fixes
// with an equality matcher has one value in every series, so sum by (app)
// (x{app="sample-app"}) returns at most one series, while sum by (pod) (x) can return one per
// pod.
//
// A [Report] lists [Problem] values with a check name, a severity, a byte span and a suggested
// rewrite of the whole query that itself passes the check:
//
//   - "syntax" (error): the query is not valid PromQL.
//   - "one-value" (error): the query can return several series, a range vector or a string.
//   - "may-be-empty" (warning): the query returns at most one series, and none when its input
//     matches nothing. The fix appends "or vector(0)", or "or on() vector(0)" when the series
//     may carry labels, which plain "or" would keep beside the vector(0) series.
//   - "experimental" (warning): the query uses a function, aggregation, modifier or unquoted
//     UTF-8 name that a Prometheus server accepts only behind a feature flag.
//   - "compatibility" (info): the query uses a range selector modifier that older Prometheus
//     servers reject.
//   - "scalar-result" (info): the query returns a scalar, which [Reduce] reads but KEDA's
//     prometheus scaler does not; the fix wraps it in vector(...).
//
// # Run-time reduction
//
// [Reduce] turns a query result ([model.Value] from github.com/prometheus/common/model) into one
// float64 with the rules of KEDA's ignoreNullValues option, and returns errors that callers can
// test with errors.Is: [ErrEmptyResult], [ErrMultipleSeries], [ErrRangeVector], [ErrNotANumber]
// and [ErrHistogram].
//
// All functions are safe for concurrent use.
package promql
