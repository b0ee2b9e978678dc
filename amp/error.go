package amp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
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
	// "message" or "Message" field, or the start of an error body that is
	// not JSON. For a success body that does not decode, or a failure that
	// the client explains, such as a time limit, it is the client's
	// description of the cause. A session token that the message quotes is
	// replaced by "xxxxx", as AWS quotes it for a signature mismatch. So is
	// any secret of the Config, such as a bearer token that a proxy echoes.
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
	// endpoint is the query endpoint, scheme://host/path, that the message
	// names, whether or not a response arrived.
	endpoint string
	// query is the PromQL query of a Source, shortened for the message.
	query string
	// hint is advice on what to change, such as enabling SigV4.
	hint string
	// notRetried is the reason a retryable failure was not retried.
	notRetried string
}

// Error returns a message such as
// "amp: query to https://host/workspaces/ws-1/api/v1/query failed: 403 forbidden (InvalidSignatureException): The request signature ...".
// The endpoint has no query string, because Config.QueryParameters may
// carry secrets, and an error from a Source also names its query.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("amp: query")
	if e.query != "" {
		b.WriteString(" " + strconv.Quote(e.query))
	}
	if e.endpoint != "" {
		b.WriteString(" to " + e.endpoint)
	}
	b.WriteString(" failed")
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
		b.WriteString(": " + causeText(e.Err))
	}
	for _, note := range []string{e.hint, e.notRetried} {
		if note != "" {
			b.WriteString("; " + note)
		}
	}
	return b.String()
}

// causeText returns the text of a transport error without the method and
// URL that *url.Error adds, because the message names the endpoint itself
// and the URL may carry Config.QueryParameters.
func causeText(err error) string {
	if urlErr, ok := err.(*url.Error); ok {
		return urlErr.Err.Error()
	}
	return err.Error()
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
// lower bound on the number of series in the response, and Series contains
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
// `amp: query "rate(x[5m])" returned at least 2 series ({pod="a"}, {pod="b"}), ...`,
// with advice that depends on what promql.Check finds the query returns.
func (e *TooManySeriesError) Error() string {
	labelSets := make([]string, len(e.Series))
	for i, m := range e.Series {
		labelSets[i] = m.String()
	}
	return fmt.Sprintf("amp: query %q returned at least %d series (%s), but one value is needed; %s",
		shortQuery(e.Query), e.Seen, strings.Join(labelSets, ", "), tooManySeriesAdvice(e.Query))
}

// tooManySeriesAdvice returns what to check when query returned several
// series. A query that cannot return several, such as sum(...), points at
// the server instead of the query.
func tooManySeriesAdvice(query string) string {
	switch promql.Check(query).Cardinality {
	case promql.CardinalityOne, promql.CardinalityAtMostOne, promql.CardinalityScalar:
		return "the server returned more series than the query can produce, so check whether a proxy or a " +
			"federated endpoint between the client and Prometheus merges the answers of several servers"
	}
	return "aggregate the query, for example with sum(...)"
}

// maxQueryInMessage is how many bytes of a query an error message quotes.
const maxQueryInMessage = 80

// shortQuery returns query cut to maxQueryInMessage bytes, marked with
// "..." when it was cut.
func shortQuery(query string) string {
	if len(query) <= maxQueryInMessage {
		return query
	}
	return strings.ToValidUTF8(query[:maxQueryInMessage], "") + "..."
}

// Unwrap returns promql.ErrMultipleSeries.
func (e *TooManySeriesError) Unwrap() error {
	return promql.ErrMultipleSeries
}
