package amp

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/promscaler/promscaler/promql"
)

const oneValueQuery = `sum(rate(http_requests_total{job="api"}[2m]))`

func TestNewSourceChecksQuery(t *testing.T) {
	client := newTestClient(t, "http://127.0.0.1:9")
	tests := []struct {
		name     string
		client   *Client
		query    string
		wantErrs []string
	}{
		{name: "accepts: one-value query", client: client, query: oneValueQuery},
		{name: "accepts: query that may be empty", client: client, query: `sum(up{job="api"})`},
		{name: "rejects: nil client", query: oneValueQuery, wantErrs: []string{"amp: client is nil"}},
		{name: "rejects: one series per pod", client: client, query: `rate(http_requests_total[5m])`,
			wantErrs: []string{`amp: query "rate(http_requests_total[5m])" cannot be a scaling metric`, "error[one-value]", "fix: "}},
		{name: "rejects: syntax error", client: client, query: `sum(rate(x[5m])`,
			wantErrs: []string{`amp: query "sum(rate(x[5m])" is not valid PromQL`, "error[syntax]: the query is not valid PromQL: unclosed left parenthesis"}},
		{name: "rejects: empty query", client: client, query: ``,
			wantErrs: []string{`amp: query "" is not valid PromQL`, "error[syntax]: the query is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSource(tt.client, tt.query, promql.ReduceOptions{})

			if tt.wantErrs == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.query, s.Query())
				return
			}
			assert.Nil(t, s)
			require.Error(t, err)
			for _, want := range tt.wantErrs {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestSourceValue(t *testing.T) {
	const empty = `{"status":"success","data":{"resultType":"vector","result":[]}}`
	tests := []struct {
		name      string
		status    int
		body      string
		opts      promql.ReduceOptions
		want      float64
		wantIs    error
		wantKind  ErrorKind
		wantError string
	}{
		{
			name: "reads: one sample", status: 200,
			body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1440938160.123,"140"]}]}}`,
			want: 140,
		},
		{
			name: "reads: scalar", status: 200,
			body: `{"status":"success","data":{"resultType":"scalar","result":[1440938160.123,"2.5"]}}`,
			want: 2.5,
		},
		{name: "reads: empty as zero", status: 200, body: empty, opts: promql.ReduceOptions{IgnoreNullValues: true}, want: 0},
		{name: "fails: empty without ignore", status: 200, body: empty, wantIs: promql.ErrEmptyResult,
			wantError: `amp: reduce the result of "sum(rate(`},
		{
			name: "fails: two series", status: 200,
			body: `{"status":"success","data":{"resultType":"vector","result":[
				{"metric":{"pod":"a"},"value":[1,"1"]},{"metric":{"pod":"b"},"value":[1,"2"]}]}}`,
			wantIs: promql.ErrMultipleSeries,
		},
		{
			name: "fails: query error passed through", status: 422,
			body:     `{"status":"error","errorType":"execution","error":"too many samples"}`,
			wantKind: KindExecution,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, rec := newTestServer(t, tt.status, nil, tt.body)
			s, err := NewSource(newTestClient(t, srv.URL), oneValueQuery, tt.opts)
			require.NoError(t, err)

			got, err := s.Value(context.Background(), t0)

			assert.Equal(t, url.Values{"query": {oneValueQuery}, "time": {"1440938160.123"}}, rec.form)
			switch {
			case tt.wantIs != nil:
				assert.ErrorIs(t, err, tt.wantIs)
				assert.Contains(t, err.Error(), tt.wantError)
			case tt.wantKind != "":
				var qerr *Error
				require.ErrorAs(t, err, &qerr)
				assert.Equal(t, tt.wantKind, qerr.Kind)
			default:
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

func TestSourceValueHonorsContext(t *testing.T) {
	srv, _ := newTestServer(t, http.StatusOK, nil, `{}`)
	s, err := NewSource(newTestClient(t, srv.URL), oneValueQuery, promql.ReduceOptions{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err = s.Value(ctx, t0)

	var qerr *Error
	require.ErrorAs(t, err, &qerr)
	assert.Equal(t, KindCanceled, qerr.Kind)
}

func TestSourceErrorNamesQuery(t *testing.T) {
	long := "sum(" + strings.Repeat(`rate(http_requests_total{job="api"}[2m]) + `, 5) + "0)"
	tests := []struct {
		name      string
		query     string
		wantQuery string
	}{
		{name: "names: short query", query: oneValueQuery, wantQuery: strconv.Quote(oneValueQuery)},
		{name: "names: long query shortened", query: long, wantQuery: strconv.Quote(long[:80] + "...")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newTestServer(t, http.StatusServiceUnavailable, nil, "")
			s, err := NewSource(newTestClient(t, srv.URL), tt.query, promql.ReduceOptions{})
			require.NoError(t, err)

			_, err = s.Value(context.Background(), t0)

			assert.EqualError(t, err, "amp: query "+tt.wantQuery+" to "+srv.URL+"/api/v1/query failed: 503 service unavailable")
			var qerr *Error
			require.ErrorAs(t, err, &qerr)
			assert.Equal(t, KindUnavailable, qerr.Kind)
			assert.True(t, IsRetryable(err))
		})
	}
}

func TestTooManySeriesAdvice(t *testing.T) {
	series := []model.Metric{{"pod": "a"}, {"pod": "b"}}
	tests := []struct {
		name       string
		query      string
		wantAdvice string
	}{
		{name: "advises: aggregate per-pod query", query: `rate(http_requests_total[5m])`, wantAdvice: "; aggregate the query, for example with sum(...)"},
		{name: "suspects: server for sum", query: `sum(rate(http_requests_total[5m]))`,
			wantAdvice: "; the server returned more series than the query can produce, so check whether a proxy or a federated endpoint"},
		{name: "suspects: server for scalar", query: `scalar(sum(up))`, wantAdvice: "the server returned more series than the query can produce"},
		{name: "suspects: server for at most one", query: `sum(up) > 3`, wantAdvice: "the server returned more series than the query can produce"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := &TooManySeriesError{Query: tt.query, Seen: 2, Series: series}

			assert.Contains(t, err.Error(), `returned at least 2 series ({pod="a"}, {pod="b"}), but one value is needed`)
			assert.Contains(t, err.Error(), tt.wantAdvice)
		})
	}
}
