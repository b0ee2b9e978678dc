package amp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// t0 is the evaluation time of the test queries.
var t0 = time.Date(2015, 8, 30, 12, 36, 0, 123_000_000, time.UTC)

// recorded is what a test server received.
type recorded struct {
	method      string
	path        string
	contentType string
	form        url.Values
}

// newTestServer starts a server on 127.0.0.1 that records each request and
// responds with status, headers and body.
func newTestServer(t *testing.T, status int, header map[string]string, body string) (*httptest.Server, *recorded) {
	t.Helper()
	rec := &recorded{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		*rec = recorded{method: r.Method, path: r.URL.Path, contentType: r.Header.Get("Content-Type"), form: r.PostForm}
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

// newTestClient returns a Client for address that makes one attempt per
// query.
func newTestClient(t *testing.T, address string) *Client {
	t.Helper()
	c, err := NewClient(Config{ServerAddress: address, Retry: RetryConfig{MaxAttempts: 1}})
	require.NoError(t, err)
	return c
}

func TestQueryDecodesResultTypes(t *testing.T) {
	tests := []struct {
		name string
		data string
		want model.Value
	}{
		{
			name: "decodes: vector result",
			data: `{"resultType":"vector","result":[{"metric":{"job":"api"},"value":[1440938160.123,"140"]}]}`,
			want: model.Vector{{Metric: model.Metric{"job": "api"}, Value: 140, Timestamp: 1440938160123}},
		},
		{
			name: "decodes: empty vector",
			data: `{"resultType":"vector","result":[]}`,
			want: model.Vector{},
		},
		{
			name: "decodes: scalar result",
			data: `{"resultType":"scalar","result":[1440938160.123,"2.5"]}`,
			want: &model.Scalar{Value: 2.5, Timestamp: 1440938160123},
		},
		{
			name: "decodes: matrix result",
			data: `{"resultType":"matrix","result":[{"metric":{"__name__":"up"},"values":[[1440938100,"1"],[1440938160,"0"]]}]}`,
			want: model.Matrix{{Metric: model.Metric{"__name__": "up"}, Values: []model.SamplePair{{Timestamp: 1440938100000, Value: 1}, {Timestamp: 1440938160000, Value: 0}}}},
		},
		{
			name: "decodes: string result",
			data: `{"resultType":"string","result":[1440938160.123,"hello"]}`,
			want: &model.String{Value: "hello", Timestamp: 1440938160123},
		},
		{
			name: "decodes: NaN sample",
			data: `{"resultType":"scalar","result":[1440938160,"NaN"]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newTestServer(t, http.StatusOK, nil, `{"status":"success","data":`+tt.data+`}`)

			got, err := newTestClient(t, srv.URL).Query(context.Background(), "q", t0)

			require.NoError(t, err)
			if tt.want == nil {
				assert.True(t, got.Value.(*model.Scalar).Value != got.Value.(*model.Scalar).Value, "want NaN, got %v", got.Value)
				return
			}
			assert.Equal(t, tt.want, got.Value)
			assert.Empty(t, got.Warnings)
			assert.Empty(t, got.Infos)
		})
	}
}

func TestQuerySendsPostForm(t *testing.T) {
	srv, rec := newTestServer(t, http.StatusOK, nil, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
	query := `sum(rate(http_requests_total{job="api"}[2m]))`

	_, err := newTestClient(t, srv.URL+"/workspaces/ws-1//").Query(context.Background(), query, t0)
	require.NoError(t, err)

	assert.Equal(t, http.MethodPost, rec.method)
	assert.Equal(t, "/workspaces/ws-1/api/v1/query", rec.path)
	assert.Equal(t, "application/x-www-form-urlencoded", rec.contentType)
	assert.Equal(t, url.Values{"query": {query}, "time": {"1440938160.123"}}, rec.form)
}

func TestQueryZeroTimeOmitsParameter(t *testing.T) {
	srv, rec := newTestServer(t, http.StatusOK, nil, `{"status":"success","data":{"resultType":"vector","result":[]}}`)

	_, err := newTestClient(t, srv.URL).Query(context.Background(), "up", time.Time{})
	require.NoError(t, err)

	assert.Equal(t, url.Values{"query": {"up"}}, rec.form)
}

func TestQueryReturnsWarningsAndInfos(t *testing.T) {
	srv, _ := newTestServer(t, http.StatusOK, nil, `{"status":"success",
		"data":{"resultType":"vector","result":[]},
		"warnings":["partial result: one store unavailable"],
		"infos":["metric might not be a counter"]}`)

	got, err := newTestClient(t, srv.URL).Query(context.Background(), "up", t0)
	require.NoError(t, err)

	assert.Equal(t, []string{"partial result: one store unavailable"}, got.Warnings)
	assert.Equal(t, []string{"metric might not be a counter"}, got.Infos)
}

func TestQueryErrorKinds(t *testing.T) {
	const signatureMessage = "The request signature we calculated does not match the signature you provided."
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		wantKind   ErrorKind
		wantType   string
		wantText   string
		wantString string
	}{
		{
			name: "fails: bad_data envelope", status: 400,
			body:     `{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error"}`,
			wantKind: KindBadData, wantType: "bad_data",
			wantString: `amp: query to {URL}/api/v1/query failed: 400 bad request (bad_data): invalid parameter "query": 1:5: parse error`,
		},
		{
			name: "fails: execution envelope", status: 422,
			body:     `{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory"}`,
			wantKind: KindExecution, wantType: "execution", wantText: "too many samples",
		},
		{
			name: "fails: timeout envelope", status: 503,
			body:     `{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}`,
			wantKind: KindTimeout, wantType: "timeout",
		},
		{
			name: "fails: canceled envelope", status: 499,
			body:     `{"status":"error","errorType":"canceled","error":"query was canceled"}`,
			wantKind: KindCanceled, wantType: "canceled",
		},
		{
			name: "fails: internal envelope", status: 500,
			body:     `{"status":"error","errorType":"internal","error":"unexpected error"}`,
			wantKind: KindInternal, wantType: "internal",
		},
		{
			name: "fails: not_found envelope", status: 404,
			body:     `{"status":"error","errorType":"not_found","error":"workspace not found"}`,
			wantKind: KindNotFound, wantType: "not_found",
		},
		{
			name: "fails: unavailable envelope", status: 503,
			body:     `{"status":"error","errorType":"unavailable","error":"server is shutting down"}`,
			wantKind: KindUnavailable, wantType: "unavailable",
		},
		{
			name: "fails: plain 404 page", status: 404, body: "404 page not found\n",
			wantKind: KindNotFound, wantString: `amp: query to {URL}/api/v1/query failed: 404 not found: "404 page not found"; the endpoint does not exist: set the server address to the workspace URL or the Prometheus base URL, without /api/v1`,
		},
		{
			name: "fails: HTML 502 from proxy", status: 502, header: map[string]string{"Content-Type": "text/html"},
			body:     "<html>\n<head><title>502 Bad Gateway</title></head>\n</html>",
			wantKind: KindUnavailable, wantText: "502 Bad Gateway",
		},
		{
			name: "fails: empty 503", status: 503,
			wantKind: KindUnavailable, wantString: "amp: query to {URL}/api/v1/query failed: 503 service unavailable",
		},
		{
			name: "fails: AMP throttling", status: 429,
			header:   map[string]string{"X-Amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.service/"},
			body:     `{"message":"Rate exceeded"}`,
			wantKind: KindThrottled, wantType: "ThrottlingException",
			wantString: "amp: query to {URL}/api/v1/query failed: 429 too many requests (ThrottlingException): Rate exceeded",
		},
		{
			name: "fails: AMP signature mismatch", status: 403,
			header:   map[string]string{"X-Amzn-ErrorType": "InvalidSignatureException"},
			body:     `{"Message":"` + signatureMessage + `"}`,
			wantKind: KindAuth, wantType: "InvalidSignatureException",
			wantString: "amp: query to {URL}/api/v1/query failed: 403 forbidden (InvalidSignatureException): " + signatureMessage,
		},
		{
			name: "fails: AMP unknown key", status: 403,
			body:     `{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}`,
			wantKind: KindAuth, wantType: "UnrecognizedClientException", wantText: "security token",
		},
		{
			name: "fails: unauthorized without body", status: 401,
			wantKind: KindAuth, wantString: "amp: query to {URL}/api/v1/query failed: 401 unauthorized",
		},
		{
			name: "fails: AMP validation error", status: 400,
			header:   map[string]string{"X-Amzn-ErrorType": "ValidationException"},
			body:     `{"message":"1 validation error detected"}`,
			wantKind: KindBadData, wantType: "ValidationException",
		},
		{
			name: "fails: error envelope with 200", status: 200,
			body:     `{"status":"error","errorType":"bad_data","error":"bad"}`,
			wantKind: KindBadData, wantType: "bad_data",
		},
		{
			name: "fails: unexpected 418", status: 418, body: "short and stout",
			wantKind: KindResponse, wantText: "short and stout",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newTestServer(t, tt.status, tt.header, tt.body)

			res, err := newTestClient(t, srv.URL).Query(context.Background(), "up", t0)

			assert.Nil(t, res)
			var qerr *Error
			require.ErrorAs(t, err, &qerr)
			assert.Equal(t, tt.wantKind, qerr.Kind, "Kind")
			assert.Equal(t, tt.status, qerr.StatusCode, "StatusCode")
			assert.Equal(t, tt.wantType, qerr.Type, "Type")
			assert.Contains(t, qerr.Message, tt.wantText, "Message")
			if tt.wantString != "" {
				assert.Equal(t, strings.ReplaceAll(tt.wantString, "{URL}", srv.URL), err.Error())
			}
		})
	}
}

func TestQueryMalformedBodies(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantCause string
		wantBody  string
	}{
		{name: "fails: HTML page", body: "<!DOCTYPE html><html><body>Sign in</body></html>",
			wantCause: "the body is not JSON (invalid character '<' looking for beginning of value)", wantBody: "<!DOCTYPE html><html><body>Sign in</body></html>"},
		{name: "fails: empty body", body: "", wantCause: "the response body is empty"},
		{name: "fails: missing status", body: `{"data":{"resultType":"vector","result":[]}}`, wantCause: "the body is not a Prometheus API response: its status is missing",
			wantBody: `{"data":{"resultType":"vector","result":[]}}`},
		{name: "fails: missing data", body: `{"status":"success"}`, wantCause: "the body is not a Prometheus API response: data or its result is missing"},
		{name: "fails: unknown resultType", body: `{"status":"success","data":{"resultType":"table","result":[]}}`, wantCause: `resultType "table" is not vector, matrix, scalar or string`},
		{name: "fails: unquoted sample value", body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}}`,
			wantCause: "series 1: sample value must be a quoted string"},
		{name: "fails: sample value not number", body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"abc"]}]}}`,
			wantCause: `series 1: sample value "abc" is not a number`, wantBody: `"value":[1,"abc"]`},
		{name: "fails: second sample not number", body: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"]]},{"metric":{},"values":[[1,"x"]]}]}}`,
			wantCause: `series 2: sample value "x" is not a number`},
		{name: "fails: timestamp not number", body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":["now","1"]}]}}`,
			wantCause: `series 1: timestamp "now" is not a number`},
		{name: "fails: status not string", body: `{"status":1,"data":{"resultType":"vector","result":[]}}`, wantCause: "status: found a JSON number where string belongs"},
		{name: "fails: JSON array", body: `[1,2,3]`, wantCause: "the body is a JSON array, not the object of a Prometheus API response", wantBody: "[1,2,3]"},
		{name: "fails: long body quoted briefly", body: strings.Repeat("x", 1000), wantCause: "the body is not JSON", wantBody: strings.Repeat("x", 120) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newTestServer(t, http.StatusOK, nil, tt.body)

			_, err := newTestClient(t, srv.URL).Query(context.Background(), "up", t0)

			var qerr *Error
			require.ErrorAs(t, err, &qerr)
			assert.Equal(t, KindResponse, qerr.Kind)
			assert.Equal(t, http.StatusOK, qerr.StatusCode)
			assert.False(t, IsRetryable(err), "a complete but wrong body is not retried")
			assert.Contains(t, err.Error(), "failed: 200 ok: "+tt.wantCause, "the message leads with the cause")
			if tt.body != "" {
				assert.Contains(t, qerr.Message, "; response body: ")
				assert.Contains(t, qerr.Message, tt.wantBody, "the body is quoted without escaping")
			}
			assert.NotContains(t, err.Error(), `\"`)
			assert.Less(t, len(err.Error()), 400, "message length")
		})
	}
}

func TestQueryTruncatedBodyIsRetryable(t *testing.T) {
	const oneSeries = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":"a"},"value":[1,"1"]}`
	tests := []struct {
		name        string
		body        string
		contentSize int // a Content-Length longer than body makes the server hang up mid-body
		wantMessage string
	}{
		{name: "retries: JSON ends after series", body: oneSeries, wantMessage: "the response ended early (unexpected EOF) after series 1; response body: " + oneSeries},
		{name: "retries: JSON ends in series", body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":`,
			wantMessage: "the response ended early (unexpected EOF) in series 1"},
		{name: "retries: JSON ends before data", body: `{"status":"succ`, wantMessage: "the response ended early (unexpected EOF); response body: {\"status\":\"succ"},
		{name: "retries: connection closed mid-body", body: oneSeries + `,{"metric":`, contentSize: 4096,
			wantMessage: "the response ended early (unexpected EOF) after series 1"},
		{name: "retries: large body cut mid-stream", body: strings.TrimSuffix(manySeriesBody(200), "]}}"), contentSize: 1 << 20,
			wantMessage: "the response ended early (unexpected EOF) after series 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.contentSize > 0 {
					w.Header().Set("Content-Length", strconv.Itoa(tt.contentSize))
				}
				fmt.Fprint(w, tt.body)
			}))
			t.Cleanup(srv.Close)

			_, err := newTestClient(t, srv.URL).Query(context.Background(), "up", t0)

			var qerr *Error
			require.ErrorAs(t, err, &qerr)
			assert.Equal(t, KindUnavailable, qerr.Kind)
			assert.Equal(t, http.StatusOK, qerr.StatusCode)
			assert.True(t, IsRetryable(err), "a cut-off body is transient")
			assert.True(t, strings.HasPrefix(qerr.Message, tt.wantMessage), "Message = %q, want prefix %q", qerr.Message, tt.wantMessage)
		})
	}
}

func TestQueryRetriesTruncatedBody(t *testing.T) {
	srv, requests := newScriptedServer(t, reply{status: 200, body: `{"status":"success","data":{"resultType":"vector","result":[`}, reply{status: 200, body: okVector})
	c, err := NewClient(Config{ServerAddress: srv.URL, Retry: RetryConfig{Sleep: (&sleepRecorder{}).sleep}})
	require.NoError(t, err)

	result, err := c.Query(context.Background(), "sum(up)", t0)

	require.NoError(t, err)
	assert.Equal(t, model.SampleValue(5), result.Value.(model.Vector)[0].Value)
	assert.Equal(t, 2, requests())
}

func TestQueryBodySizeLimit(t *testing.T) {
	valid := `{"status":"success","data":{"resultType":"vector","result":[]}}`
	tests := []struct {
		name    string
		size    int
		wantErr bool
	}{
		{name: "accepts: body at limit", size: DefaultMaxResponseSize},
		{name: "rejects: body over limit", size: DefaultMaxResponseSize + 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := valid + strings.Repeat(" ", tt.size-len(valid))
			srv, _ := newTestServer(t, http.StatusOK, nil, body)

			_, err := newTestClient(t, srv.URL).Query(context.Background(), "up", t0)

			if !tt.wantErr {
				assert.NoError(t, err)
				return
			}
			var qerr *Error
			require.ErrorAs(t, err, &qerr)
			assert.Equal(t, KindResponse, qerr.Kind)
			assert.Contains(t, err.Error(), "exceeds 8388608 bytes")
		})
	}
}

func TestQueryTransportFailures(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reading the body lets the server notice when the client hangs up.
		_ = r.ParseForm()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	shortDeadline, cancelDeadline := context.WithTimeout(context.Background(), 50*time.Millisecond)
	t.Cleanup(cancelDeadline)

	tests := []struct {
		name        string
		address     string
		timeout     time.Duration
		ctx         context.Context
		wantKind    ErrorKind
		wantIs      error
		wantMessage string
	}{
		{name: "fails: connection refused", address: closed.URL, ctx: context.Background(), wantKind: KindUnavailable,
			wantMessage: "dial tcp "},
		{name: "fails: attempt timeout", address: slow.URL, timeout: 50 * time.Millisecond, ctx: context.Background(), wantKind: KindTimeout, wantIs: context.DeadlineExceeded,
			wantMessage: "the attempt timed out after 50ms, the limit that Config.Timeout sets on each attempt; raise Config.Timeout if the server needs longer"},
		{name: "fails: caller deadline", address: slow.URL, timeout: time.Minute, ctx: shortDeadline, wantKind: KindTimeout, wantIs: context.DeadlineExceeded,
			wantMessage: "the caller's context deadline passed"},
		{name: "fails: caller canceled", address: slow.URL, ctx: canceled, wantKind: KindCanceled, wantIs: context.Canceled,
			wantMessage: "the caller's context was canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(Config{ServerAddress: tt.address, Timeout: tt.timeout, Retry: RetryConfig{MaxAttempts: 1}})
			require.NoError(t, err)

			_, err = c.Query(tt.ctx, "up", t0)

			var qerr *Error
			require.ErrorAs(t, err, &qerr)
			assert.Equal(t, tt.wantKind, qerr.Kind)
			assert.Zero(t, qerr.StatusCode)
			assert.NotNil(t, qerr.Unwrap())
			wantPrefix := "amp: query to " + tt.address + "/api/v1/query failed: " + string(tt.wantKind) + ": " + tt.wantMessage
			assert.True(t, strings.HasPrefix(err.Error(), wantPrefix), "Error() = %q, want prefix %q", err, wantPrefix)
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
		})
	}
}

func TestErrorNamesEndpointWithoutParameters(t *testing.T) {
	srv, _ := newTestServer(t, http.StatusServiceUnavailable, nil, "")
	c, err := NewClient(Config{ServerAddress: srv.URL + "/workspaces/ws-1", QueryParameters: url.Values{"api_key": {"s3cret"}}, Retry: RetryConfig{MaxAttempts: 1}})
	require.NoError(t, err)

	_, err = c.Query(context.Background(), "up", t0)

	assert.EqualError(t, err, "amp: query to "+srv.URL+"/workspaces/ws-1/api/v1/query failed: 503 service unavailable")
}

func TestErrorOmitsURLParameters(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	c, err := NewClient(Config{ServerAddress: closed.URL, Method: http.MethodGet, QueryParameters: url.Values{"api_key": {"s3cret"}}, Retry: RetryConfig{MaxAttempts: 1}})
	require.NoError(t, err)

	_, err = c.Query(context.Background(), "up", t0)

	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret")
	assert.NotContains(t, err.Error(), `Get "`, "the endpoint is named once")
	assert.Contains(t, err.Error(), "amp: query to "+closed.URL+"/api/v1/query failed: unavailable: dial tcp")
}

func TestMissingSignatureHint(t *testing.T) {
	const hint = "the server requires SigV4: set Config.SigV4 and Config.Region (or use an AMP workspace URL)"
	tests := []struct {
		name     string
		header   map[string]string
		body     string
		wantHint bool
	}{
		{name: "hints: error type header", header: map[string]string{"X-Amzn-ErrorType": "MissingAuthenticationTokenException"}, body: `{"message":"Missing Authentication Token"}`, wantHint: true},
		{name: "hints: message only", body: `{"message":"Missing Authentication Token"}`, wantHint: true},
		{name: "omits: other 403", header: map[string]string{"X-Amzn-ErrorType": "AccessDeniedException"}, body: `{"message":"User is not authorized"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newTestServer(t, http.StatusForbidden, tt.header, tt.body)

			_, err := newTestClient(t, srv.URL).Query(context.Background(), "up", t0)

			require.Error(t, err)
			if tt.wantHint {
				assert.True(t, strings.HasSuffix(err.Error(), "; "+hint), "Error() = %q", err)
				return
			}
			assert.NotContains(t, err.Error(), "SigV4")
		})
	}
}

func TestMissingSignatureHintWhenSigning(t *testing.T) {
	srv, _ := newTestServer(t, http.StatusForbidden, map[string]string{"X-Amzn-ErrorType": "MissingAuthenticationTokenException"}, `{"message":"Missing Authentication Token"}`)
	c, err := NewClient(Config{ServerAddress: srv.URL, SigV4: true, Region: "us-east-1", Credentials: staticCredentials(), Retry: RetryConfig{MaxAttempts: 1}})
	require.NoError(t, err)

	_, err = c.Query(context.Background(), "up", t0)

	require.Error(t, err)
	assert.NotContains(t, err.Error(), "the server requires SigV4", "a signing client gets no advice to sign")
}

func TestErrorUnwrap(t *testing.T) {
	cause := errors.New("connection reset by peer")
	err := error(&Error{Kind: KindUnavailable, Err: cause})

	assert.ErrorIs(t, err, cause)
	assert.Equal(t, "amp: query failed: unavailable: connection reset by peer", err.Error())
}
