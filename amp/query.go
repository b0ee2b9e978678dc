package amp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
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

// snippetSize is how much of an undecodable body an Error quotes.
const snippetSize = 200

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
func queryParams(query string, ts time.Time) url.Values {
	params := url.Values{"query": {query}}
	if !ts.IsZero() {
		params.Set("time", formatTime(ts))
	}
	return params
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

	params := url.Values{
		"query": {query},
		"start": {formatTime(start)},
		"end":   {formatTime(end)},
		"step":  {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)},
	}
	return c.run(ctx, queryRangePath, params, 0)
}

// run makes attempts until one succeeds, a failure is not retryable, the
// attempts are used up, or the next wait would pass ctx's deadline.
func (c *Client) run(ctx context.Context, path string, params url.Values, maxSeries int) (*Result, error) {
	for attempt := 1; ; attempt++ {
		result, err := c.attempt(ctx, path, params, maxSeries)
		if err == nil {
			return result, nil
		}
		if !IsRetryable(err) || attempt >= c.retry.MaxAttempts || ctx.Err() != nil {
			return nil, withAttempts(err, attempt)
		}

		wait := c.wait(attempt, err)
		if !fitsDeadline(ctx, wait, time.Now()) {
			return nil, withAttempts(err, attempt)
		}
		c.logger.LogAttrs(ctx, slog.LevelWarn, "amp: retrying query",
			slog.String("url", c.baseURL+path), slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.String("error", err.Error()))
		if c.retry.Sleep(ctx, wait) != nil {
			return nil, withAttempts(err, attempt)
		}
	}
}

// wait returns the time to wait after the failed attempt number attempt.
func (c *Client) wait(attempt int, err error) time.Duration {
	wait := c.retry.backoff(attempt)
	var qerr *Error
	if errors.As(err, &qerr) {
		wait = max(wait, qerr.retryAfter)
	}
	return wait
}

// withAttempts records the attempt count on an *Error.
func withAttempts(err error, attempts int) error {
	var qerr *Error
	if errors.As(err, &qerr) {
		qerr.Attempts = attempts
	}
	return err
}

// attempt sends one request and decodes its response.
func (c *Client) attempt(ctx context.Context, path string, params url.Values, maxSeries int) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	req, err := c.newRequest(ctx, path, params)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, transportError(err)
	}
	defer resp.Body.Close()

	body := &limitedBody{r: resp.Body, limit: c.maxResponse}
	result, err := c.decode(resp, body, params.Get("query"), maxSeries)
	var qerr *Error
	if errors.As(err, &qerr) {
		qerr.URL = c.baseURL + path
		if ctxErr := ctx.Err(); ctxErr != nil && body.readErr != nil {
			// The transport reports a body cut off by the context as a
			// closed connection, so the context names the cause.
			qerr.Kind = transportError(ctxErr).Kind
			qerr.Err = fmt.Errorf("%w: %w", ctxErr, body.readErr)
			qerr.Message = ""
		}
	}
	return result, err
}

// newRequest builds a POST form or a GET request with the parameters and
// Config.QueryParameters.
func (c *Client) newRequest(ctx context.Context, path string, params url.Values) (*http.Request, error) {
	endpoint := c.baseURL + path
	query := url.Values{}
	for name, values := range c.parameters {
		query[name] = values
	}

	var body io.Reader
	if c.method == http.MethodGet {
		for name, values := range params {
			query[name] = values
		}
	} else {
		body = strings.NewReader(params.Encode())
	}
	if len(query) > 0 {
		endpoint += "?" + query.Encode()
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

// decode turns a response into a Result or an error. A success status is
// decoded as a stream; an error status is read in full, because error
// bodies are small and may not be JSON.
func (c *Client) decode(resp *http.Response, body *limitedBody, query string, maxSeries int) (*Result, error) {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.decodeError(resp, body)
	}

	dec := &seriesDecoder{dec: json.NewDecoder(body), query: query, maxSeries: maxSeries}
	out, err := dec.decode()
	var tooMany *TooManySeriesError
	switch {
	case errors.As(err, &tooMany):
		return nil, err
	case err != nil:
		return nil, c.bodyError(resp.StatusCode, body, err)
	case out.Status == "error":
		// Some proxies return 200 with an error envelope.
		return nil, responseError(resp, out.envelope, body.head)
	case out.Status != "success":
		return nil, notPrometheus(resp.StatusCode, body.head, fmt.Errorf("status is %q, want \"success\" or \"error\"", out.Status))
	case !out.hasData || out.value == nil:
		return nil, notPrometheus(resp.StatusCode, body.head, errors.New("data or its result is missing"))
	}
	return &Result{Value: out.value, Warnings: out.Warnings, Infos: out.Infos}, nil
}

// decodeError reads an error response in full and classifies it.
func (c *Client) decodeError(resp *http.Response, body *limitedBody) error {
	raw, err := io.ReadAll(body)
	if err != nil {
		return c.bodyError(resp.StatusCode, body, err)
	}
	var env envelope
	_ = json.Unmarshal(raw, &env)

	qerr := responseError(resp, env, raw)
	qerr.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), resp.Header.Get("Date"), time.Now())
	return qerr
}

// bodyError classifies a failure to read or decode the body: the size
// limit, a network error, or a body that is not a Prometheus response.
func (c *Client) bodyError(status int, body *limitedBody, err error) *Error {
	switch {
	case errors.Is(err, errBodyTooLarge):
		return &Error{
			Kind:       KindResponse,
			StatusCode: status,
			Message:    fmt.Sprintf("response body exceeds %d bytes; narrow the query so that it returns fewer series, or raise Config.MaxResponseSize", c.maxResponse),
		}
	case body.readErr != nil:
		qerr := transportError(body.readErr)
		qerr.StatusCode = status
		return qerr
	}
	return notPrometheus(status, body.head, err)
}

// responseError builds the *Error for an error status or an error envelope.
func responseError(resp *http.Response, env envelope, body []byte) *Error {
	qerr := &Error{
		Kind:       statusKind(resp.StatusCode, env.ErrorType),
		StatusCode: resp.StatusCode,
		Type:       env.ErrorType,
		Message:    env.Error,
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		qerr.Kind = statusKind(0, env.ErrorType)
	}

	if qerr.Type == "" {
		qerr.Type = awsErrorType(resp.Header.Get("X-Amzn-ErrorType"), env.AWSType)
	}
	if qerr.Message == "" {
		qerr.Message = firstNonEmpty(env.AWSMessage, env.AWSMessageUpper)
	}
	if qerr.Message == "" && len(strings.TrimSpace(string(body))) > 0 {
		qerr.Message = snippet(body)
	}
	return qerr
}

// awsErrorType returns the bare AWS error type from the x-amzn-ErrorType
// header ("ThrottlingException:http://...") or the __type field
// ("com.amazonaws.service#ThrottlingException").
func awsErrorType(header, jsonType string) string {
	if header != "" {
		name, _, _ := strings.Cut(header, ":")
		return name
	}
	if i := strings.LastIndexByte(jsonType, '#'); i >= 0 {
		return jsonType[i+1:]
	}
	return jsonType
}

// notPrometheus is the *Error for a body that is not a Prometheus API
// response, quoting its start.
func notPrometheus(status int, body []byte, cause error) *Error {
	return &Error{
		Kind:       KindResponse,
		StatusCode: status,
		Message:    "body is not a Prometheus API response: " + snippet(body),
		Err:        cause,
	}
}

// snippet returns the first snippetSize bytes of body as one line of valid
// UTF-8.
func snippet(body []byte) string {
	text := string(body)
	if len(text) > snippetSize {
		text = strings.ToValidUTF8(text[:snippetSize], "") + "..."
	}
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return "(empty body)"
	}
	return strconv.Quote(text)
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
