package amp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Warnings  []string        `json:"warnings"`
	Infos     []string        `json:"infos"`

	// AWS error bodies. encoding/json prefers the field whose tag matches
	// the key exactly, so "message" and "Message" land in their own fields.
	AWSMessage      string `json:"message"`
	AWSMessageUpper string `json:"Message"`
	AWSType         string `json:"__type"`
}

// queryData is the data member of a query response.
type queryData struct {
	ResultType string          `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

// snippetSize is how much of an undecodable body an Error quotes.
const snippetSize = 200

// Query runs an instant query evaluated at ts as a POST form to
// <ServerAddress>/api/v1/query and decodes the response.
//
// The form's time parameter is ts in unix seconds with millisecond
// precision. A zero ts sends no time, so the server evaluates the query at
// its own clock. The query, including reading the response, is limited to
// the configured timeout. Every error Query returns is an *Error.
func (c *Client) Query(ctx context.Context, query string, ts time.Time) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	req, err := c.newQueryRequest(ctx, query, ts)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, transportError(err)
	}
	defer resp.Body.Close()

	body, err := readLimited(resp.Body)
	if err != nil {
		qerr := transportError(err)
		qerr.StatusCode = resp.StatusCode
		return nil, qerr
	}
	if len(body) > MaxResponseSize {
		return nil, &Error{
			Kind:       KindResponse,
			StatusCode: resp.StatusCode,
			Message:    fmt.Sprintf("response body exceeds %d bytes (8 MiB); narrow the query so that it returns fewer series", MaxResponseSize),
		}
	}
	result, err := decodeResponse(resp, body)
	var qerr *Error
	if errors.As(err, &qerr) {
		qerr.URL = c.queryURL
	}
	return result, err
}

func (c *Client) newQueryRequest(ctx context.Context, query string, ts time.Time) (*http.Request, error) {
	form := url.Values{"query": {query}}
	if !ts.IsZero() {
		form.Set("time", formatTime(ts))
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.queryURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &Error{Kind: KindBadData, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// formatTime formats ts as unix seconds with three decimals, for example
// "1440938160.123".
func formatTime(ts time.Time) string {
	return strconv.FormatFloat(float64(ts.UnixMilli())/1e3, 'f', 3, 64)
}

// readLimited reads up to one byte past MaxResponseSize, so the caller can
// tell a body that is exactly at the limit from one that exceeds it.
func readLimited(body io.Reader) ([]byte, error) {
	return io.ReadAll(io.LimitReader(body, MaxResponseSize+1))
}

// decodeResponse turns a status and body into a Result or an *Error.
func decodeResponse(resp *http.Response, body []byte) (*Result, error) {
	var env envelope
	jsonErr := json.Unmarshal(body, &env)

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, responseError(resp, env, body)
	}

	if jsonErr != nil {
		return nil, notPrometheus(resp.StatusCode, body, jsonErr)
	}
	if env.Status == "error" {
		// Some proxies return 200 with an error envelope.
		return nil, responseError(resp, env, body)
	}
	if env.Status != "success" {
		return nil, notPrometheus(resp.StatusCode, body, fmt.Errorf("status is %q, want \"success\" or \"error\"", env.Status))
	}

	value, err := decodeValue(env.Data)
	if err != nil {
		return nil, notPrometheus(resp.StatusCode, body, err)
	}
	return &Result{Value: value, Warnings: env.Warnings, Infos: env.Infos}, nil
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

// decodeValue decodes the data member into the model type its resultType
// names.
func decodeValue(raw json.RawMessage) (model.Value, error) {
	if len(raw) == 0 {
		return nil, errors.New("data is missing")
	}
	var data queryData
	if err := json.Unmarshal(raw, &data); err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}

	var value model.Value
	switch data.ResultType {
	case "vector":
		var v model.Vector
		if err := json.Unmarshal(data.Result, &v); err != nil {
			return nil, fmt.Errorf("vector result: %w", err)
		}
		value = v
	case "matrix":
		var m model.Matrix
		if err := json.Unmarshal(data.Result, &m); err != nil {
			return nil, fmt.Errorf("matrix result: %w", err)
		}
		value = m
	case "scalar":
		s := &model.Scalar{}
		if err := json.Unmarshal(data.Result, s); err != nil {
			return nil, fmt.Errorf("scalar result: %w", err)
		}
		value = s
	case "string":
		s := &model.String{}
		if err := json.Unmarshal(data.Result, s); err != nil {
			return nil, fmt.Errorf("string result: %w", err)
		}
		value = s
	default:
		return nil, fmt.Errorf("resultType %q is not vector, matrix, scalar or string", data.ResultType)
	}
	return value, nil
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
