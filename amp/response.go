package amp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// decode turns a response into a Result or an error. A success body is
// decoded as decodeBody describes. An error body is read in full, up to the
// size limit, because error bodies are small and may not be JSON.
func (c *Client) decode(resp *http.Response, body *limitedBody, query string, maxSeries int) (*Result, error) {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.decodeError(resp, body)
	}

	head, err := io.ReadAll(io.LimitReader(body, onePassSize+1))
	if err != nil {
		return nil, c.bodyError(resp.StatusCode, body, head, err)
	}
	out, err := decodeBody(head, body, query, maxSeries)
	_, tooMany := errors.AsType[*TooManySeriesError](err)
	switch {
	case tooMany:
		return nil, err
	case err != nil:
		return nil, c.bodyError(resp.StatusCode, body, head, err)
	case out.Status == "error":
		// Some proxies return 200 with an error envelope.
		return nil, responseError(resp, out.envelope, head)
	case out.Status == "":
		return nil, invalidBody(resp.StatusCode, head, errors.New("the body is not a Prometheus API response: its status is missing"))
	case out.Status != "success":
		return nil, invalidBody(resp.StatusCode, head, fmt.Errorf("the body is not a Prometheus API response: status is %q, want \"success\" or \"error\"", out.Status))
	case !out.hasData || out.value == nil:
		return nil, invalidBody(resp.StatusCode, head, errors.New("the body is not a Prometheus API response: data or its result is missing"))
	}
	return &Result{Value: out.value, Warnings: out.Warnings, Infos: out.Infos}, nil
}

// decodeError reads an error response in full and classifies it.
func (c *Client) decodeError(resp *http.Response, body *limitedBody) error {
	raw, err := io.ReadAll(body)
	if err != nil {
		return c.bodyError(resp.StatusCode, body, raw, err)
	}
	var env envelope
	_ = json.Unmarshal(raw, &env)

	qerr := responseError(resp, env, raw)
	qerr.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), resp.Header.Get("Date"), time.Now())
	return qerr
}

// bodyError classifies a failure to read or decode a success body: the
// size limit, a body cut off early, or a complete body that is not a
// Prometheus response. head is the start of the body.
//
// A cut-off body is KindUnavailable, so it is retried: the connection
// closed or failed mid-body, or the JSON ends early, as it does when a
// body without a length is cut off in transit.
func (c *Client) bodyError(status int, body *limitedBody, head []byte, err error) *Error {
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
		qerr.Message = endedEarlyMessage(causeText(body.readErr), head, err)
		return qerr
	case endedEarly(err):
		return &Error{
			Kind:       KindUnavailable,
			StatusCode: status,
			Message:    endedEarlyMessage(io.ErrUnexpectedEOF.Error(), head, err),
			Err:        err,
		}
	}
	return invalidBody(status, head, err)
}

// endedEarlyMessage describes a body that ended before its JSON did, for
// example "the response ended early (unexpected EOF) after series 1".
func endedEarlyMessage(cause string, head []byte, err error) string {
	return "the response ended early (" + cause + ")" + cutPosition(head, err) + "; response body: " + bodySnippet(head)
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
	qerr.Message = redactMessage(qerr.Message)
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

// invalidBody is the *Error for a complete success body that is not a
// valid Prometheus API response. The message leads with the cause and
// quotes the start of the body.
func invalidBody(status int, head []byte, cause error) *Error {
	message := cause.Error()
	if !errors.Is(cause, errEmptyBody) {
		message += "; response body: " + bodySnippet(head)
	}
	return &Error{Kind: KindResponse, StatusCode: status, Message: message, Err: cause}
}

// snippetSize is how much of an error status's body that is not JSON an
// Error quotes.
const snippetSize = 200

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
