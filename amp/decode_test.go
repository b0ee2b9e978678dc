package amp

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/promscaler/promscaler/promql"
)

// manySeriesBody returns a vector response with n series, pod="pod-0" to
// pod="pod-<n-1>".
func manySeriesBody(n int) string {
	var b strings.Builder
	b.WriteString(`{"status":"success","data":{"resultType":"vector","result":[`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"metric":{"pod":"pod-%d"},"value":[1735787045,"%d"]}`, i, i)
	}
	b.WriteString(`]}}`)
	return b.String()
}

// countingHandler serves body and records how many bytes the client read
// before it hung up.
type countingHandler struct {
	body    string
	written chan int64
}

func (h *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, _ := io.Copy(w, strings.NewReader(h.body))
	h.written <- n
}

func TestSourceStopsAtSecondSeries(t *testing.T) {
	body := manySeriesBody(100_000)
	handler := &countingHandler{body: body, written: make(chan int64, 1)}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	s, err := NewSource(newTestClient(t, srv.URL), oneValueQuery, promql.ReduceOptions{})
	require.NoError(t, err)

	_, err = s.Value(context.Background(), t0)

	var tooMany *TooManySeriesError
	require.ErrorAs(t, err, &tooMany)
	assert.Equal(t, 2, tooMany.Seen)
	assert.Equal(t, []model.Metric{{"pod": "pod-0"}, {"pod": "pod-1"}}, tooMany.Series)
	assert.ErrorIs(t, err, promql.ErrMultipleSeries)
	assert.Contains(t, err.Error(), `returned at least 2 series ({pod="pod-0"}, {pod="pod-1"}), but one value is needed`)
	assert.False(t, IsRetryable(err))
	assert.Less(t, <-handler.written, int64(len(body)), "the client hung up before the whole body was sent")
}

func TestQueryDecodesAllSeries(t *testing.T) {
	srv, _ := newTestServer(t, http.StatusOK, nil, manySeriesBody(5000))

	result, err := newTestClient(t, srv.URL).Query(context.Background(), "up", t0)

	require.NoError(t, err)
	vector := result.Value.(model.Vector)
	require.Len(t, vector, 5000)
	assert.Equal(t, model.LabelValue("pod-4999"), vector[4999].Metric["pod"])
	assert.Equal(t, model.SampleValue(4999), vector[4999].Value)
}

func TestSourceSeriesLimitByResultShape(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		want     float64
		wantSeen int
	}{
		{name: "accepts: one series", body: manySeriesBody(1), want: 0},
		{name: "rejects: result before resultType",
			body:     `{"status":"success","data":{"result":[{"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]},{"metric":{"a":"3"},"value":[1,"3"]}],"resultType":"vector"}}`,
			wantSeen: 2},
		{name: "rejects: matrix with two series",
			body:     `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"1"},"values":[[1,"1"]]},{"metric":{"a":"2"},"values":[[1,"2"]]}]}}`,
			wantSeen: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newTestServer(t, http.StatusOK, nil, tt.body)
			s, err := NewSource(newTestClient(t, srv.URL), oneValueQuery, promql.ReduceOptions{})
			require.NoError(t, err)

			got, err := s.Value(context.Background(), t0)

			if tt.wantSeen == 0 {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			var tooMany *TooManySeriesError
			require.ErrorAs(t, err, &tooMany)
			assert.Equal(t, tt.wantSeen, tooMany.Seen)
			assert.Len(t, tooMany.Series, 2)
		})
	}
}

func TestQueryDecodesUnusualLayouts(t *testing.T) {
	tests := []struct {
		name string
		body string
		want model.Value
	}{
		{name: "decodes: result before resultType", body: `{"data":{"result":[{"metric":{},"value":[1,"3"]}],"resultType":"vector"},"status":"success"}`,
			want: model.Vector{{Metric: model.Metric{}, Value: 3, Timestamp: 1000}}},
		{name: "decodes: null result", body: `{"status":"success","data":{"resultType":"vector","result":null}}`, want: model.Vector{}},
		{name: "decodes: unknown members skipped", body: `{"status":"success","stats":{"x":[1,{"y":2}]},"data":{"resultType":"scalar","extra":true,"result":[1,"2"]}}`,
			want: &model.Scalar{Value: 2, Timestamp: 1000}},
		{name: "decodes: trailing newline", body: manySeriesBody(1) + "\n", want: model.Vector{{Metric: model.Metric{"pod": "pod-0"}, Value: 0, Timestamp: 1735787045000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newTestServer(t, http.StatusOK, nil, tt.body)

			got, err := newTestClient(t, srv.URL).Query(context.Background(), "up", t0)

			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Value)
		})
	}
}

func TestQueryRejectsTrailingData(t *testing.T) {
	srv, _ := newTestServer(t, http.StatusOK, nil, manySeriesBody(1)+`{"status":"success"}`)

	_, err := newTestClient(t, srv.URL).Query(context.Background(), "up", t0)

	var qerr *Error
	require.ErrorAs(t, err, &qerr)
	assert.Equal(t, KindResponse, qerr.Kind)
	assert.ErrorContains(t, qerr.Err, "unexpected data after the response object")
}

func TestQueryConfiguredSizeLimit(t *testing.T) {
	body := manySeriesBody(100)
	tests := []struct {
		name    string
		limit   int64
		wantErr bool
	}{
		{name: "accepts: limit at body size", limit: int64(len(body))},
		{name: "rejects: limit one byte short", limit: int64(len(body)) - 1, wantErr: true},
		{name: "rejects: tiny limit", limit: 10, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newTestServer(t, http.StatusOK, nil, body)
			c, err := NewClient(Config{ServerAddress: srv.URL, MaxResponseSize: tt.limit})
			require.NoError(t, err)

			_, err = c.Query(context.Background(), "up", t0)

			if !tt.wantErr {
				assert.NoError(t, err)
				return
			}
			var qerr *Error
			require.ErrorAs(t, err, &qerr)
			assert.Equal(t, KindResponse, qerr.Kind)
			assert.Equal(t, 1, qerr.Attempts, "a size failure is not retried")
			assert.Contains(t, err.Error(), fmt.Sprintf("response body exceeds %d bytes", tt.limit))
			assert.Contains(t, err.Error(), "raise Config.MaxResponseSize")
		})
	}
}

func TestQueryErrorBodyOverLimit(t *testing.T) {
	srv, _ := newTestServer(t, http.StatusBadGateway, nil, strings.Repeat("<p>bad gateway</p>", 100))
	c, err := NewClient(Config{ServerAddress: srv.URL, MaxResponseSize: 64, Retry: RetryConfig{MaxAttempts: 1}})
	require.NoError(t, err)

	_, err = c.Query(context.Background(), "up", t0)

	var qerr *Error
	require.ErrorAs(t, err, &qerr)
	assert.Equal(t, KindResponse, qerr.Kind)
	assert.Equal(t, http.StatusBadGateway, qerr.StatusCode)
}

func TestSourceReadReturnsWarnings(t *testing.T) {
	srv, _ := newTestServer(t, http.StatusOK, nil, `{"status":"success",
		"data":{"resultType":"vector","result":[{"metric":{},"value":[1,"140"]}]},
		"warnings":["partial result: one store unavailable"],"infos":["metric might not be a counter"]}`)
	s, err := NewSource(newTestClient(t, srv.URL), oneValueQuery, promql.ReduceOptions{})
	require.NoError(t, err)

	got, err := s.Read(context.Background(), t0)

	require.NoError(t, err)
	assert.Equal(t, Reading{
		Value:    140,
		Warnings: []string{"partial result: one store unavailable"},
		Infos:    []string{"metric might not be a counter"},
	}, got)
}

// FuzzDecode checks that decoding a success body returns either a result
// of a Prometheus value type within the series limit or an error of a
// documented type, and that the one-pass and streamed decodings agree.
func FuzzDecode(f *testing.F) {
	f.Add(manySeriesBody(3), 1)
	f.Add(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1,"1"],[2,"NaN"]]}]}}`, 0)
	f.Add(`{"status":"success","data":{"resultType":"string","result":[1,"x"]},"warnings":["w"]}`, 1)
	f.Add(`{"status":"error","errorType":"bad_data","error":"x"}`, 0)
	f.Add(`{"data":{"result":[],"resultType":"vector"}}`, 1)
	f.Fuzz(func(t *testing.T, body string, maxSeries int) {
		maxSeries = max(0, min(maxSeries, 3))
		resp := &http.Response{StatusCode: 200, Header: http.Header{}}
		c := &Client{maxResponse: 1 << 20}
		limited := &limitedBody{r: strings.NewReader(body), limit: c.maxResponse}

		result, err := c.decode(resp, limited, "q", maxSeries)

		checkOnePassMatchesStream(t, body)
		if err != nil {
			checkDecodeError(t, body, resp.StatusCode, maxSeries, result, err)
			return
		}
		checkDecodedValue(t, body, result.Value, maxSeries)
	})
}
