package amp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/promscaler/promscaler/promql"
)

// ErrorKind classifies a failed query. The first seven kinds are the
// errorType values of the Prometheus HTTP API; the rest describe failures
// outside it.
type ErrorKind string

// Kinds of Error.
const (
	KindBadData     ErrorKind = "bad_data"    // the query or a parameter is invalid (400)
	KindExecution   ErrorKind = "execution"   // the query failed while running (422)
	KindTimeout     ErrorKind = "timeout"     // the server or the client timed out
	KindCanceled    ErrorKind = "canceled"    // the query was canceled
	KindInternal    ErrorKind = "internal"    // the server reported an internal error
	KindNotFound    ErrorKind = "not_found"   // the endpoint or workspace does not exist (404)
	KindUnavailable ErrorKind = "unavailable" // a 5xx status or a network error
	KindThrottled   ErrorKind = "throttled"   // 429 Too Many Requests
	KindAuth        ErrorKind = "auth"        // 401 or 403: credentials or signature rejected
	KindResponse    ErrorKind = "response"    // the body is not a valid Prometheus API response
)

// Error is a failed query: the server returned an error or an unexpected
// status, the response could not be decoded, or no response arrived.
type Error struct {
	// Kind classifies the failure.
	Kind ErrorKind
	// StatusCode is the HTTP status, or 0 when no response arrived.
	StatusCode int
	// Type is the Prometheus errorType, or the AWS error type from the
	// x-amzn-ErrorType header or the JSON __type field, if any.
	Type string
	// Message is the server's message: the Prometheus "error" field, the AMP
	// "message" or "Message" field, or the start of a body that is not JSON.
	Message string
	// Err is the underlying cause, if any.
	Err error
	// URL is the query endpoint that returned the response, or "" when no
	// response arrived (the cause in Err then names the URL).
	URL string
	// Attempts is how many attempts the query made, the last of which
	// failed with this error. It is 1 when the query was not retried.
	Attempts int

	// retryAfter is the wait that the response's Retry-After header requests.
	retryAfter time.Duration
}

// Error returns a message such as
// "amp: query failed: 403 forbidden (InvalidSignatureException): The request signature ...".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("amp: query failed")
	if e.Attempts > 1 {
		b.WriteString(" after " + strconv.Itoa(e.Attempts) + " attempts")
	}
	b.WriteString(": ")
	if e.StatusCode != 0 {
		b.WriteString(strconv.Itoa(e.StatusCode))
		b.WriteString(" ")
		b.WriteString(strings.ToLower(http.StatusText(e.StatusCode)))
	} else {
		b.WriteString(string(e.Kind))
	}
	if e.Type != "" {
		b.WriteString(" (" + e.Type + ")")
	}
	switch {
	case e.Message != "":
		b.WriteString(": " + e.Message)
	case e.Err != nil:
		b.WriteString(": " + e.Err.Error())
	}
	if e.Kind == KindNotFound && e.URL != "" {
		b.WriteString("; " + e.URL + " does not exist: set the server address to the workspace URL or the Prometheus base URL, without /api/v1")
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error {
	return e.Err
}

// transportError classifies an error from http.Client.Do or from reading
// the body.
func transportError(err error) *Error {
	kind := KindUnavailable
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		kind = KindCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		kind = KindTimeout
	}
	return &Error{Kind: kind, Err: err}
}

// statusKind classifies an HTTP error status. Auth and throttling statuses
// win over the Prometheus errorType, because they name what the caller must
// change.
func statusKind(status int, prometheusType string) ErrorKind {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return KindAuth
	case status == http.StatusTooManyRequests:
		return KindThrottled
	}

	switch kind := ErrorKind(prometheusType); kind {
	case KindBadData, KindExecution, KindTimeout, KindCanceled, KindInternal, KindNotFound, KindUnavailable:
		return kind
	}

	switch {
	case status == http.StatusBadRequest:
		return KindBadData
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusUnprocessableEntity:
		return KindExecution
	case status >= 500:
		return KindUnavailable
	}
	return KindResponse
}

// TooManySeriesError is the result of a query that must return one series
// but returned more. Decoding stops at the second series, so Seen is a
// lower bound on the number of series in the response, and Series holds
// the label sets of the first ones. It wraps promql.ErrMultipleSeries.
type TooManySeriesError struct {
	// Query is the PromQL query.
	Query string
	// Seen is how many series were decoded before decoding stopped.
	Seen int
	// Series are the label sets of the decoded series.
	Series []model.Metric
}

// Error returns a message such as
// `amp: query "rate(x[5m])" returned at least 2 series ({pod="a"}, {pod="b"}), ...`.
func (e *TooManySeriesError) Error() string {
	labelSets := make([]string, len(e.Series))
	for i, m := range e.Series {
		labelSets[i] = m.String()
	}
	return fmt.Sprintf("amp: query %q returned at least %d series (%s), but one value is needed; aggregate the query, for example with sum(...)",
		e.Query, e.Seen, strings.Join(labelSets, ", "))
}

// Unwrap returns promql.ErrMultipleSeries.
func (e *TooManySeriesError) Unwrap() error {
	return promql.ErrMultipleSeries
}
