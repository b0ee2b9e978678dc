package amp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/promscaler/promscaler/sigv4"
)

// Result is the decoded data of a successful query.
type Result struct {
	// Value is a model.Vector, model.Matrix, *model.Scalar or *model.String,
	// as the response's resultType names.
	Value model.Value
	// Warnings are the server's warnings, such as a partial result.
	Warnings []string
	// Infos are the server's informational notes.
	Infos []string
}

// envelope is the JSON body of every Prometheus API response, plus the
// fields of AWS error bodies.
type envelope struct {
	Status    string   `json:"status"`
	ErrorType string   `json:"errorType"`
	Error     string   `json:"error"`
	Warnings  []string `json:"warnings"`
	Infos     []string `json:"infos"`

	// AWS error bodies. encoding/json prefers the field whose tag matches
	// the key exactly, so "message" and "Message" land in their own fields.
	AWSMessage      string `json:"message"`
	AWSMessageUpper string `json:"Message"`
	AWSType         string `json:"__type"`
}

// API paths below the server address.
const (
	queryPath      = "/api/v1/query"
	queryRangePath = "/api/v1/query_range"
)

// Query runs an instant query evaluated at ts and decodes the response.
//
// The time parameter is ts in unix seconds with millisecond precision. A
// zero ts sends no time, so the server evaluates the query at its own
// clock. Each attempt is limited to the configured timeout, and retryable
// failures are retried as Config.Retry sets. Every error Query returns is
// an *Error.
func (c *Client) Query(ctx context.Context, query string, ts time.Time) (*Result, error) {
	return c.run(ctx, queryPath, queryParams(query, ts), 0)
}

// queryParams returns the parameters of an instant query.
func queryParams(query string, ts time.Time) form {
	if ts.IsZero() {
		return form{{"query", query}}
	}
	return form{{"query", query}, {"time", formatTime(ts)}}
}

// param is one parameter of an API call.
type param struct {
	name, value string
}

// form is the parameters of an API call, in the order they are sent.
type form []param

// get returns the value of the parameter name, or "" when f has none.
func (f form) get(name string) string {
	for _, p := range f {
		if p.name == name {
			return p.value
		}
	}
	return ""
}

// encode returns f in the application/x-www-form-urlencoded format.
func (f form) encode() string {
	var b strings.Builder
	size := 0 // before escaping
	for _, p := range f {
		size += len(p.name) + len(p.value) + 2
	}
	b.Grow(size)
	for i, p := range f {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.value))
	}
	return b.String()
}

// QueryRange runs a range query from start to end, both included, with a
// resolution of step, and decodes the response, usually a model.Matrix.
// Errors are as for Query.
func (c *Client) QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) (*Result, error) {
	switch {
	case start.IsZero() || end.IsZero():
		return nil, &Error{Kind: KindBadData, Message: "range query needs a start and an end time"}
	case end.Before(start):
		return nil, &Error{Kind: KindBadData, Message: fmt.Sprintf("range query end %s is before its start %s; swap them", end.Format(time.RFC3339), start.Format(time.RFC3339))}
	case step <= 0:
		return nil, &Error{Kind: KindBadData, Message: fmt.Sprintf("range query step %s must be positive", step)}
	}

	params := form{
		{"query", query},
		{"start", formatTime(start)},
		{"end", formatTime(end)},
		{"step", strconv.FormatFloat(step.Seconds(), 'f', -1, 64)},
	}
	return c.run(ctx, queryRangePath, params, 0)
}

// run makes attempts until one succeeds, a failure is not retryable, the
// attempts are used up, or the next wait would pass ctx's deadline.
func (c *Client) run(ctx context.Context, path string, params form, maxSeries int) (*Result, error) {
	for attempt := 1; ; attempt++ {
		result, err := c.attempt(ctx, path, params, maxSeries)
		if err == nil {
			return result, nil
		}
		if !IsRetryable(err) || attempt >= c.retry.MaxAttempts || ctx.Err() != nil {
			return nil, withAttempts(err, attempt, "")
		}

		wait, fromHeader := c.wait(attempt, err)
		if !fitsDeadline(ctx, wait, time.Now()) {
			return nil, withAttempts(err, attempt, "not retried: "+describeWait(wait, fromHeader)+" is past the context deadline")
		}
		c.logger.LogAttrs(ctx, slog.LevelWarn, "amp: retrying query",
			slog.String("url", c.baseURL+path), slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.String("error", err.Error()))
		if sleepErr := c.retry.Sleep(ctx, wait); sleepErr != nil {
			return nil, withAttempts(err, attempt, fmt.Sprintf("not retried: the context ended during the wait of %s (%v)", wait, sleepErr))
		}
	}
}

// wait returns the time to wait after the failed attempt number attempt,
// and whether a Retry-After header set it.
func (c *Client) wait(attempt int, err error) (time.Duration, bool) {
	wait := c.retry.backoff(attempt)
	if qerr, ok := errors.AsType[*Error](err); ok && qerr.retryAfter > wait {
		return qerr.retryAfter, true
	}
	return wait, false
}

// describeWait names a wait for a message, such as "Retry-After 10s".
func describeWait(wait time.Duration, fromHeader bool) string {
	if fromHeader {
		return "Retry-After " + wait.String()
	}
	return "the backoff of " + wait.String()
}

// withAttempts records the attempt count, and why the query was not
// retried when notRetried is set, on an *Error.
func withAttempts(err error, attempts int, notRetried string) error {
	if qerr, ok := errors.AsType[*Error](err); ok {
		qerr.Attempts = attempts
		qerr.notRetried = notRetried
	}
	return err
}

// attempt sends one request and decodes its response.
func (c *Client) attempt(ctx context.Context, path string, params form, maxSeries int) (*Result, error) {
	attemptCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	req, err := c.newRequest(attemptCtx, path, params)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		qerr := transportError(err)
		c.explainLimit(ctx, attemptCtx, qerr)
		return nil, c.complete(qerr, path)
	}
	defer resp.Body.Close()

	body := &limitedBody{r: resp.Body, limit: c.maxResponse}
	result, err := c.decode(resp, body, params.get("query"), maxSeries)
	if qerr, ok := errors.AsType[*Error](err); ok {
		qerr.URL = c.baseURL + path
		if body.readErr != nil {
			// The transport reports a body cut off by a context as a
			// closed connection, so the context names the cause.
			if ctxErr := c.explainLimit(ctx, attemptCtx, qerr); ctxErr != nil {
				qerr.Err = fmt.Errorf("%w: %w", ctxErr, body.readErr)
			}
		}
		c.complete(qerr, path)
	}
	return result, err
}

// explainLimit reports which limit ended an attempt, if one did: the
// caller's context or the attempt's Config.Timeout. It sets the kind and
// message of qerr and returns the error of the context that ended.
func (c *Client) explainLimit(ctx, attemptCtx context.Context, qerr *Error) error {
	stage := ""
	if qerr.StatusCode != 0 {
		stage = " while reading the response body"
	}

	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		qerr.Kind = KindCanceled
		qerr.Message = "the caller's context was canceled" + stage
		return ctx.Err()
	case ctx.Err() != nil:
		qerr.Kind = KindTimeout
		qerr.Message = "the caller's context deadline passed" + stage
		return ctx.Err()
	case attemptCtx.Err() != nil:
		qerr.Kind = KindTimeout
		qerr.Message = fmt.Sprintf("the attempt timed out after %s%s, the limit that Config.Timeout sets on each attempt; raise Config.Timeout if the server needs longer", c.timeout, stage)
		return attemptCtx.Err()
	}
	return nil
}

// complete adds the endpoint and a hint to qerr, and removes the
// configured secrets that the server's message quotes.
func (c *Client) complete(qerr *Error, path string) *Error {
	qerr.endpoint = c.baseURL + path
	qerr.Message = redactSecrets(qerr.Message, c.secrets)
	switch {
	case qerr.Kind == KindNotFound:
		qerr.hint = "the endpoint does not exist: set the server address to the workspace URL or the Prometheus base URL, without /api/v1"
	case qerr.StatusCode == http.StatusForbidden && !c.signs && missingSignature(qerr):
		qerr.hint = "the server requires SigV4: set Config.SigV4 and Config.Region (or use an AMP workspace URL)"
	}
	return qerr
}

// missingSignature reports whether an AWS service rejected a request
// because it carried no signature.
func missingSignature(qerr *Error) bool {
	return qerr.Type == sigv4.CodeMissingAuthenticationToken || strings.Contains(qerr.Message, "Missing Authentication Token")
}

// newRequest builds a POST form or a GET request with the parameters and
// Config.QueryParameters.
func (c *Client) newRequest(ctx context.Context, path string, params form) (*http.Request, error) {
	endpoint := c.baseURL + path
	var body io.Reader
	if c.method == http.MethodGet {
		query := url.Values{}
		maps.Copy(query, c.parameters)
		for _, p := range params {
			query.Set(p.name, p.value)
		}
		endpoint += "?" + query.Encode()
	} else {
		body = strings.NewReader(params.encode())
		if len(c.parameters) > 0 {
			endpoint += "?" + c.parameters.Encode()
		}
	}

	req, err := http.NewRequestWithContext(ctx, c.method, endpoint, body)
	if err != nil {
		return nil, &Error{Kind: KindBadData, Err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// formatTime formats ts as unix seconds with three decimals, for example
// "1440938160.123".
func formatTime(ts time.Time) string {
	return strconv.FormatFloat(float64(ts.UnixMilli())/1e3, 'f', 3, 64)
}
