package amp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
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
			wantString: `amp: query failed: 400 bad request (bad_data): invalid parameter "query": 1:5: parse error`,
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
			wantKind: KindNotFound, wantString: `amp: query failed: 404 not found: "404 page not found"; {URL}/api/v1/query does not exist: set the server address to the workspace URL or the Prometheus base URL, without /api/v1`,
		},
		{
			name: "fails: HTML 502 from proxy", status: 502, header: map[string]string{"Content-Type": "text/html"},
			body:     "<html>\n<head><title>502 Bad Gateway</title></head>\n</html>",
			wantKind: KindUnavailable, wantText: "502 Bad Gateway",
		},
		{
			name: "fails: empty 503", status: 503,
			wantKind: KindUnavailable, wantString: "amp: query failed: 503 service unavailable",
		},
		{
			name: "fails: AMP throttling", status: 429,
			header:   map[string]string{"X-Amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.service/"},
			body:     `{"message":"Rate exceeded"}`,
			wantKind: KindThrottled, wantType: "ThrottlingException",
			wantString: "amp: query failed: 429 too many requests (ThrottlingException): Rate exceeded",
		},
		{
			name: "fails: AMP signature mismatch", status: 403,
			header:   map[string]string{"X-Amzn-ErrorType": "InvalidSignatureException"},
			body:     `{"Message":"` + signatureMessage + `"}`,
			wantKind: KindAuth, wantType: "InvalidSignatureException",
			wantString: "amp: query failed: 403 forbidden (InvalidSignatureException): " + signatureMessage,
		},
		{
			name: "fails: AMP unknown key", status: 403,
			body:     `{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}`,
			wantKind: KindAuth, wantType: "UnrecognizedClientException", wantText: "security token",
		},
		{
			name: "fails: unauthorized without body", status: 401,
			wantKind: KindAuth, wantString: "amp: query failed: 401 unauthorized",
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
		name     string
		body     string
		wantText string
	}{
		{name: "fails: HTML page", body: "<!DOCTYPE html><html><body>Sign in</body></html>", wantText: `"<!DOCTYPE html><html><body>Sign in</body></html>"`},
		{name: "fails: empty body", body: "", wantText: "(empty body)"},
		{name: "fails: truncated JSON", body: `{"status":"success","data":{"resultType":"vec`, wantText: `{\"status\":\"success\"`},
		{name: "fails: missing status", body: `{"data":{"resultType":"vector","result":[]}}`, wantText: "not a Prometheus API response"},
		{name: "fails: missing data", body: `{"status":"success"}`, wantText: "not a Prometheus API response"},
		{name: "fails: unknown resultType", body: `{"status":"success","data":{"resultType":"table","result":[]}}`, wantText: "table"},
		{name: "fails: bad sample value", body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}}`, wantText: "not a Prometheus API response"},
		{name: "fails: JSON array", body: `[1,2,3]`, wantText: "[1,2,3]"},
		{name: "fails: long body quoted briefly", body: strings.Repeat("x", 1000), wantText: strings.Repeat("x", 200) + `..."`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newTestServer(t, http.StatusOK, nil, tt.body)

			_, err := newTestClient(t, srv.URL).Query(context.Background(), "up", t0)

			var qerr *Error
			require.ErrorAs(t, err, &qerr)
			assert.Equal(t, KindResponse, qerr.Kind)
			assert.Equal(t, http.StatusOK, qerr.StatusCode)
			assert.Contains(t, err.Error(), "amp: query failed: 200 ok: ")
			assert.Contains(t, qerr.Message, tt.wantText)
			assert.Less(t, len(err.Error()), 300, "message length")
		})
	}
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

	tests := []struct {
		name     string
		address  string
		timeout  time.Duration
		ctx      context.Context
		wantKind ErrorKind
		wantIs   error
	}{
		{name: "fails: connection refused", address: closed.URL, ctx: context.Background(), wantKind: KindUnavailable},
		{name: "fails: query timeout", address: slow.URL, timeout: 50 * time.Millisecond, ctx: context.Background(), wantKind: KindTimeout, wantIs: context.DeadlineExceeded},
		{name: "fails: caller canceled", address: slow.URL, ctx: canceled, wantKind: KindCanceled, wantIs: context.Canceled},
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
			assert.True(t, strings.HasPrefix(err.Error(), "amp: query failed: "+string(tt.wantKind)+": "), "Error() = %q", err)
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
		})
	}
}

func TestErrorUnwrap(t *testing.T) {
	cause := errors.New("connection reset by peer")
	err := error(&Error{Kind: KindUnavailable, Err: cause})

	assert.ErrorIs(t, err, cause)
	assert.Equal(t, "amp: query failed: unavailable: connection reset by peer", err.Error())
}
