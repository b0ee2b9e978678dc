package promserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

const (
	workspace = "ws-test"
	// seedQuery sums the per-pod 1m averages of the connection gauge.
	seedQuery = `sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))`
	podQuery  = `avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m])`
)

// newPodStorage returns two sample-app pods whose gauge is 70 from t0-10m to
// t0 and 100 after t0 until t0+10m, scraped every 15s, plus a pod of another
// app.
func newPodStorage(t *testing.T) *Storage {
	t.Helper()
	s := NewStorage()
	for _, pod := range []string{"sample-app-7d9f-abcde", "sample-app-7d9f-fghij"} {
		lset := labels.FromStrings(
			"__name__", "websocket_active_connection_count",
			"app_kubernetes_io_name", "sample-app",
			"pod", pod,
		)
		for at := t0.Add(-10 * time.Minute); !at.After(t0.Add(10 * time.Minute)); at = at.Add(15 * time.Second) {
			value := 70.0
			if at.After(t0) {
				value = 100
			}
			require.NoError(t, s.Append(lset, at, value))
		}
	}
	other := labels.FromStrings("__name__", "websocket_active_connection_count", "app_kubernetes_io_name", "other-app", "pod", "other-1")
	require.NoError(t, s.Append(other, t0, 1000))
	return s
}

func newTestServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Storage == nil {
		cfg.Storage = newPodStorage(t)
	}
	if cfg.WorkspaceID == "" {
		cfg.WorkspaceID = workspace
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return t0 }
	}
	s, err := NewServer(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

// apiResponse mirrors the Prometheus HTTP API envelope.
type apiResponse struct {
	Status    string   `json:"status"`
	ErrorType string   `json:"errorType"`
	Error     string   `json:"error"`
	Warnings  []string `json:"warnings"`
	Infos     []string `json:"infos"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// get sends a GET through the handler and decodes the envelope.
func get(t *testing.T, s *Server, path string, params url.Values) (int, apiResponse) {
	t.Helper()
	target := s.BasePath() + path
	if params != nil {
		target += "?" + params.Encode()
	}
	return serve(t, s, httptest.NewRequest(http.MethodGet, target, nil))
}

func serve(t *testing.T, s *Server, r *http.Request) (int, apiResponse) {
	t.Helper()
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)

	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	var body apiResponse
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), "body: %s", w.Body.String())
	return w.Code, body
}

func decodeVector(t *testing.T, body apiResponse) model.Vector {
	t.Helper()
	require.Equal(t, "success", body.Status, "error: %s", body.Error)
	require.Equal(t, "vector", body.Data.ResultType)
	var vector model.Vector
	require.NoError(t, json.Unmarshal(body.Data.Result, &vector))
	return vector
}

func TestQuerySumOfPods(t *testing.T) {
	s := newTestServer(t, Config{})

	status, body := get(t, s, "/api/v1/query", url.Values{"query": {seedQuery}})

	require.Equal(t, http.StatusOK, status)
	vector := decodeVector(t, body)
	require.Len(t, vector, 1)
	assert.Equal(t, model.SampleValue(140), vector[0].Value)
	assert.Equal(t, model.TimeFromUnixNano(t0.UnixNano()), vector[0].Timestamp, "time defaults to Config.Now")
	assert.Empty(t, vector[0].Metric)
}

func TestQueryPerPod(t *testing.T) {
	s := newTestServer(t, Config{})

	status, body := get(t, s, "/api/v1/query", url.Values{"query": {podQuery}})

	require.Equal(t, http.StatusOK, status)
	vector := decodeVector(t, body)
	require.Len(t, vector, 2)
	pods := []string{string(vector[0].Metric["pod"]), string(vector[1].Metric["pod"])}
	assert.ElementsMatch(t, []string{"sample-app-7d9f-abcde", "sample-app-7d9f-fghij"}, pods)
	for _, sample := range vector {
		assert.Equal(t, model.SampleValue(70), sample.Value)
		assert.NotContains(t, sample.Metric, model.MetricNameLabel, "avg_over_time drops the metric name")
	}
}

func TestQueryTimeParameter(t *testing.T) {
	s := newTestServer(t, Config{})

	tests := []struct {
		name string
		time string
		want model.SampleValue
	}{
		{"evaluates: unix seconds before change", fmt.Sprint(t0.Unix()), 140},
		{"evaluates: unix seconds after change", fmt.Sprint(t0.Add(5 * time.Minute).Unix()), 200},
		{"evaluates: fractional unix seconds", fmt.Sprintf("%d.5", t0.Add(5*time.Minute).Unix()), 200},
		{"evaluates: RFC3339 after change", t0.Add(5 * time.Minute).Format(time.RFC3339), 200},
		{"evaluates: RFC3339 with offset", t0.In(time.FixedZone("KST", 9*3600)).Format(time.RFC3339), 140},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, s, "/api/v1/query", url.Values{"query": {seedQuery}, "time": {tt.time}})

			require.Equal(t, http.StatusOK, status)
			vector := decodeVector(t, body)
			require.Len(t, vector, 1)
			assert.Equal(t, tt.want, vector[0].Value)
		})
	}
}

func TestQueryTimestampOfResult(t *testing.T) {
	s := newTestServer(t, Config{})
	at := t0.Add(90*time.Second + 250*time.Millisecond)

	_, body := get(t, s, "/api/v1/query", url.Values{"query": {seedQuery}, "time": {"1714564890.25"}})

	vector := decodeVector(t, body)
	require.Len(t, vector, 1)
	assert.Equal(t, model.TimeFromUnixNano(at.UnixNano()), vector[0].Timestamp)
}

func TestQueryPostForm(t *testing.T) {
	s := newTestServer(t, Config{})
	form := url.Values{"query": {seedQuery}, "time": {fmt.Sprint(t0.Add(5 * time.Minute).Unix())}}
	r := httptest.NewRequest(http.MethodPost, s.BasePath()+"/api/v1/query", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")

	status, body := serve(t, s, r)

	require.Equal(t, http.StatusOK, status)
	vector := decodeVector(t, body)
	require.Len(t, vector, 1)
	assert.Equal(t, model.SampleValue(200), vector[0].Value)
}

func TestQueryResultTypes(t *testing.T) {
	s := newTestServer(t, Config{})

	tests := []struct {
		name     string
		query    string
		wantType string
		want     string
	}{
		{"returns scalar: arithmetic", "1 + 1", "scalar", fmt.Sprintf(`[%d,"2"]`, t0.Unix())},
		{"returns string: literal", `"hello"`, "string", fmt.Sprintf(`[%d,"hello"]`, t0.Unix())},
		{"returns vector: empty selection", `nothing_here`, "vector", `[]`},
		{"returns matrix: range selector", `websocket_active_connection_count{pod="other-1"}[1m]`, "matrix",
			fmt.Sprintf(`[{"metric":{"__name__":"websocket_active_connection_count","app_kubernetes_io_name":"other-app","pod":"other-1"},"values":[[%d,"1000"]]}]`, t0.Unix())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, s, "/api/v1/query", url.Values{"query": {tt.query}})

			require.Equal(t, http.StatusOK, status, "error: %s", body.Error)
			assert.Equal(t, tt.wantType, body.Data.ResultType)
			assert.JSONEq(t, tt.want, string(body.Data.Result))
		})
	}
}

func TestQueryEngineOptions(t *testing.T) {
	s := newTestServer(t, Config{})
	before := fmt.Sprint(t0.Add(-5 * time.Minute).Unix())

	tests := []struct {
		name  string
		query string
		time  string
		want  model.SampleValue
	}{
		{"evaluates: at modifier", strings.Replace(seedQuery, "[1m]", fmt.Sprintf("[1m] @ %d", t0.Add(5*time.Minute).Unix()), 1), before, 200},
		{"evaluates: negative offset", strings.Replace(seedQuery, "[1m]", "[1m] offset -10m", 1), before, 200},
		{"evaluates: subquery without step", `sum(max_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[5m:]))`, before, 140},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, s, "/api/v1/query", url.Values{"query": {tt.query}, "time": {tt.time}})

			require.Equal(t, http.StatusOK, status, "error: %s", body.Error)
			vector := decodeVector(t, body)
			require.Len(t, vector, 1)
			assert.Equal(t, tt.want, vector[0].Value)
		})
	}
}

func TestQueryLookbackDelta(t *testing.T) {
	// The other-app pod has one sample at t0.
	query := `websocket_active_connection_count{pod="other-1"}`
	at := fmt.Sprint(t0.Add(2 * time.Minute).Unix())

	short := newTestServer(t, Config{LookbackDelta: time.Minute})
	_, body := get(t, short, "/api/v1/query", url.Values{"query": {query}, "time": {at}})
	assert.Empty(t, decodeVector(t, body), "a 1m lookback misses a sample 2m old")

	standard := newTestServer(t, Config{})
	_, body = get(t, standard, "/api/v1/query", url.Values{"query": {query}, "time": {at}})
	assert.Len(t, decodeVector(t, body), 1, "the default 5m lookback finds a sample 2m old")
}

func TestQueryWarnings(t *testing.T) {
	s := newTestServer(t, Config{})

	status, body := get(t, s, "/api/v1/query", url.Values{"query": {`quantile(2, websocket_active_connection_count)`}})

	require.Equal(t, http.StatusOK, status)
	require.Len(t, body.Warnings, 1)
	assert.Contains(t, body.Warnings[0], "quantile value should be between 0 and 1")
}

func TestQueryInfos(t *testing.T) {
	s := NewStorage()
	// Cumulative bucket counts must not fall as le grows; these do.
	for _, bucket := range []struct {
		le    string
		count float64
	}{{"1", 10}, {"2", 5}, {"+Inf", 20}} {
		lset := labels.FromStrings("__name__", "request_duration_seconds_bucket", "le", bucket.le)
		require.NoError(t, s.Append(lset, t0, bucket.count))
	}
	server := newTestServer(t, Config{Storage: s})

	status, body := get(t, server, "/api/v1/query", url.Values{"query": {`histogram_quantile(0.9, request_duration_seconds_bucket)`}})

	require.Equal(t, http.StatusOK, status)
	require.Len(t, body.Infos, 1)
	assert.Contains(t, body.Infos[0], "monoton")
	assert.Empty(t, body.Warnings)
}

func TestQueryRange(t *testing.T) {
	s := newTestServer(t, Config{})
	params := url.Values{
		"query": {seedQuery},
		"start": {fmt.Sprint(t0.Add(-2 * time.Minute).Unix())},
		"end":   {t0.Add(2 * time.Minute).Format(time.RFC3339)},
		"step":  {"1m"},
	}

	status, body := get(t, s, "/api/v1/query_range", params)

	require.Equal(t, http.StatusOK, status, "error: %s", body.Error)
	require.Equal(t, "matrix", body.Data.ResultType)
	var matrix model.Matrix
	require.NoError(t, json.Unmarshal(body.Data.Result, &matrix))
	require.Len(t, matrix, 1)
	var values []model.SampleValue
	for _, pair := range matrix[0].Values {
		values = append(values, pair.Value)
	}
	// At t0+1m the 1m window holds three samples of 100 and, on its
	// boundary at t0, none of 70, because the window is left-open.
	assert.Equal(t, []model.SampleValue{140, 140, 140, 200, 200}, values)
	assert.Equal(t, model.TimeFromUnixNano(t0.Add(-2*time.Minute).UnixNano()), matrix[0].Values[0].Timestamp)
}

func TestQueryRangeStepInSeconds(t *testing.T) {
	s := newTestServer(t, Config{})
	params := url.Values{
		"query": {seedQuery},
		"start": {fmt.Sprint(t0.Unix())},
		"end":   {fmt.Sprint(t0.Add(time.Minute).Unix())},
		"step":  {"15"},
	}

	status, body := get(t, s, "/api/v1/query_range", params)

	require.Equal(t, http.StatusOK, status, "error: %s", body.Error)
	var matrix model.Matrix
	require.NoError(t, json.Unmarshal(body.Data.Result, &matrix))
	require.Len(t, matrix, 1)
	assert.Len(t, matrix[0].Values, 5)
}

func TestQueryBadRequests(t *testing.T) {
	s := newTestServer(t, Config{})
	start, end := fmt.Sprint(t0.Unix()), fmt.Sprint(t0.Add(time.Hour).Unix())

	tests := []struct {
		name   string
		path   string
		params url.Values
		want   string
	}{
		{"rejects: parse error", "/api/v1/query", url.Values{"query": {"sum(rate(x[5m]"}}, `invalid parameter "query"`},
		{"rejects: empty query", "/api/v1/query", url.Values{}, `invalid parameter "query"`},
		{"rejects: unparsable time", "/api/v1/query", url.Values{"query": {"up"}, "time": {"yesterday"}}, `invalid parameter "time"`},
		{"rejects: NaN time", "/api/v1/query", url.Values{"query": {"up"}, "time": {"NaN"}}, `invalid parameter "time"`},
		{"rejects: unparsable timeout", "/api/v1/query", url.Values{"query": {"up"}, "timeout": {"soon"}}, `invalid parameter "timeout"`},
		{"rejects: negative timeout", "/api/v1/query", url.Values{"query": {"up"}, "timeout": {"-1"}}, `invalid parameter "timeout"`},
		{"rejects: missing start", "/api/v1/query_range", url.Values{"query": {"up"}, "end": {end}, "step": {"60"}}, `missing parameter "start"`},
		{"rejects: missing end", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {start}, "step": {"60"}}, `missing parameter "end"`},
		{"rejects: missing step", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {start}, "end": {end}}, `missing parameter "step"`},
		{"rejects: step below millisecond", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {start}, "end": {start}, "step": {"0.0001"}}, `invalid parameter "step"`},
		{"rejects: out of range time", "/api/v1/query", url.Values{"query": {"up"}, "time": {"1e19"}}, `invalid parameter "time"`},
		{"rejects: zero step", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {start}, "end": {end}, "step": {"0"}}, `invalid parameter "step"`},
		{"rejects: end before start", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {end}, "end": {start}, "step": {"60"}}, `invalid parameter "end"`},
		{"rejects: too many points", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {start}, "end": {end}, "step": {"0.1"}}, "maximum of 11000"},
		{"rejects: range of range vector", "/api/v1/query_range", url.Values{"query": {"up[5m]"}, "start": {start}, "end": {end}, "step": {"60"}}, "range vector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, s, tt.path, tt.params)

			assert.Equal(t, http.StatusBadRequest, status)
			assert.Equal(t, "error", body.Status)
			assert.Equal(t, "bad_data", body.ErrorType)
			assert.Contains(t, body.Error, tt.want)
		})
	}
}

func TestQueryExecutionErrors(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		query    string
		wantType string
		want     string
	}{
		{
			"fails: many-to-many matching",
			Config{},
			`websocket_active_connection_count / on() websocket_active_connection_count`,
			"execution", "many-to-many matching not allowed",
		},
		{
			"fails: too many samples",
			Config{MaxSamples: 10},
			`websocket_active_connection_count[10m]`,
			"execution", "too many samples",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, tt.cfg)

			status, body := get(t, s, "/api/v1/query", url.Values{"query": {tt.query}})

			assert.Equal(t, http.StatusUnprocessableEntity, status)
			assert.Equal(t, tt.wantType, body.ErrorType)
			assert.Contains(t, body.Error, tt.want)
		})
	}
}

func TestQueryTimeout(t *testing.T) {
	s := newTestServer(t, Config{})

	status, body := get(t, s, "/api/v1/query", url.Values{"query": {seedQuery}, "timeout": {"1e-9"}})

	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "timeout", body.ErrorType)
}

func TestQueryCanceled(t *testing.T) {
	s := newTestServer(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	target := s.BasePath() + "/api/v1/query?" + url.Values{"query": {seedQuery}}.Encode()
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, target, nil)

	status, body := serve(t, s, r)

	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "canceled", body.ErrorType)
}

func TestHandlerRouting(t *testing.T) {
	s := newTestServer(t, Config{})

	tests := []struct {
		name       string
		method     string
		target     string
		wantStatus int
	}{
		{"routes: unknown API path", http.MethodGet, "/workspaces/ws-test/api/v1/labels", http.StatusNotFound},
		{"routes: other workspace", http.MethodGet, "/workspaces/ws-other/api/v1/query?query=up", http.StatusNotFound},
		{"routes: root", http.MethodGet, "/", http.StatusNotFound},
		{"routes: path without workspace", http.MethodGet, "/api/v1/query?query=up", http.StatusNotFound},
		{"routes: workspace prefix only", http.MethodGet, "/workspaces/ws-test", http.StatusNotFound},
		{"routes: prefix without separator", http.MethodGet, "/workspaces/ws-testapi/v1/query", http.StatusNotFound},
		{"routes: PUT not allowed", http.MethodPut, "/workspaces/ws-test/api/v1/query?query=up", http.StatusMethodNotAllowed},
		{"routes: DELETE not allowed", http.MethodDelete, "/workspaces/ws-test/api/v1/query_range", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := serve(t, s, httptest.NewRequest(tt.method, tt.target, nil))

			assert.Equal(t, tt.wantStatus, status)
			assert.Equal(t, "error", body.Status)
			assert.NotEmpty(t, body.Error)
		})
	}
}

func TestHandlerMethodNotAllowedHeader(t *testing.T) {
	s := newTestServer(t, Config{})
	w := httptest.NewRecorder()

	s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPatch, "/workspaces/ws-test/api/v1/query", nil))

	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.Equal(t, "GET, POST", w.Header().Get("Allow"))
}

func TestConfigValidate(t *testing.T) {
	storage := NewStorage()

	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"rejects: nil storage", Config{WorkspaceID: "ws-a"}, "Config.Storage is nil"},
		{"rejects: empty workspace", Config{Storage: storage}, `invalid Config.WorkspaceID ""`},
		{"rejects: workspace with slash", Config{Storage: storage, WorkspaceID: "ws/a"}, `invalid Config.WorkspaceID "ws/a"`},
		{"rejects: workspace with space", Config{Storage: storage, WorkspaceID: "ws a"}, `invalid Config.WorkspaceID "ws a"`},
		{"rejects: negative lookback", Config{Storage: storage, WorkspaceID: "ws-a", LookbackDelta: -time.Second}, "invalid Config.LookbackDelta -1s"},
		{"rejects: negative timeout", Config{Storage: storage, WorkspaceID: "ws-a", Timeout: -time.Second}, "invalid Config.Timeout -1s"},
		{"rejects: negative max samples", Config{Storage: storage, WorkspaceID: "ws-a", MaxSamples: -1}, "invalid Config.MaxSamples -1"},
		{"accepts: minimal config", Config{Storage: storage, WorkspaceID: "ws-0a1b2c3d-4e5f"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()

			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			_, newErr := NewServer(tt.cfg)
			assert.Equal(t, err, newErr, "NewServer validates the config")
		})
	}
}

func TestStartServesOnLoopback(t *testing.T) {
	defer goleak.VerifyNone(t)
	s, err := Start(Config{Storage: newPodStorage(t), WorkspaceID: "ws-quickstart"})
	require.NoError(t, err)
	defer s.Close()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	assert.Regexp(t, `^http://127\.0\.0\.1:[0-9]+/workspaces/ws-quickstart$`, s.URL())
	params := url.Values{"query": {seedQuery}, "time": {fmt.Sprint(t0.Unix())}}
	resp, err := client.Get(s.URL() + "/api/v1/query?" + params.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	assert.Equal(t, http.StatusOK, resp.StatusCode)
	var body apiResponse
	require.NoError(t, json.Unmarshal(raw, &body))
	vector := decodeVector(t, body)
	require.Len(t, vector, 1)
	assert.Equal(t, model.SampleValue(140), vector[0].Value)
}

func TestCloseStopsServer(t *testing.T) {
	defer goleak.VerifyNone(t)
	s, err := Start(Config{Storage: NewStorage(), WorkspaceID: "ws-a"})
	require.NoError(t, err)
	address := s.URL() + "/api/v1/query?query=1"

	require.NoError(t, s.Close())
	assert.NoError(t, s.Close(), "a second Close is safe")

	client := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
	resp, err := client.Get(address)
	if err == nil {
		resp.Body.Close()
	}
	assert.Error(t, err, "the listener is closed")
}

func TestURLEmptyWithoutStart(t *testing.T) {
	s := newTestServer(t, Config{})

	assert.Empty(t, s.URL())
	assert.Equal(t, "/workspaces/ws-test", s.BasePath())
}
