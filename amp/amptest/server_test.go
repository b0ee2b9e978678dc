package amptest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/amp/amptest"
	"github.com/promscaler/promscaler/promql"
	"github.com/promscaler/promscaler/sigv4"
)

// t0 is the evaluation time of the test queries.
var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func TestMain(m *testing.M) {
	// The AWS SDK must never query the EC2 instance metadata service.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	goleak.VerifyTestMain(m)
}

// newClient returns a Client for srv that signs with the test keys and
// makes one attempt per query.
func newClient(t *testing.T, srv *amptest.Server) *amp.Client {
	t.Helper()
	c, err := amp.NewClient(amp.Config{
		ServerAddress: srv.URL(),
		SigV4:         true,
		Region:        srv.Region(),
		Credentials:   srv.Credentials(),
		Retry:         amp.RetryConfig{MaxAttempts: 1},
	})
	require.NoError(t, err)
	return c
}

// signedPost sends a form POST to srv signed for region with secret at
// signedAt, and returns the status and body.
func signedPost(t *testing.T, srv *amptest.Server, region, secret string, signedAt time.Time) (int, string, http.Header) {
	t.Helper()
	rt, err := sigv4.NewRoundTripper(sigv4.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(amptest.AccessKeyID, secret, ""),
		Now:         func() time.Time { return signedAt },
	})
	require.NoError(t, err)
	form := url.Values{"query": {"sum(up)"}}
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/api/v1/query", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")

	resp, err := (&http.Client{Transport: rt}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body), resp.Header
}

func TestServerVerifiesSignature(t *testing.T) {
	tests := []struct {
		name       string
		region     string
		secret     string
		signedAt   time.Time
		wantStatus int
		wantType   string
	}{
		{name: "accepts: valid signature", region: amptest.DefaultRegion, secret: amptest.SecretAccessKey, signedAt: t0, wantStatus: 200},
		{name: "accepts: four minutes skew", region: amptest.DefaultRegion, secret: amptest.SecretAccessKey, signedAt: t0.Add(-4 * time.Minute), wantStatus: 200},
		{name: "rejects: wrong secret", region: amptest.DefaultRegion, secret: "wrong", signedAt: t0, wantStatus: 403, wantType: sigv4.CodeInvalidSignature},
		{name: "rejects: wrong region", region: "eu-west-1", secret: amptest.SecretAccessKey, signedAt: t0, wantStatus: 403},
		{name: "rejects: six minutes skew", region: amptest.DefaultRegion, secret: amptest.SecretAccessKey, signedAt: t0.Add(-6 * time.Minute), wantStatus: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := amptest.NewServer(t, amptest.Config{Now: func() time.Time { return t0 }})
			srv.SetResult("sum(up)", 1)

			status, body, header := signedPost(t, srv, tt.region, tt.secret, tt.signedAt)

			assert.Equal(t, tt.wantStatus, status, body)
			if tt.wantType != "" {
				assert.Equal(t, tt.wantType, header.Get("X-Amzn-ErrorType"))
			}
			requests := srv.Requests()
			require.Len(t, requests, 1)
			assert.Equal(t, tt.wantStatus == 200, requests[0].Verified)
		})
	}
}

func TestServerRejectsUnsignedRequest(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})

	resp, err := http.Post(srv.URL()+"/api/v1/query", "application/x-www-form-urlencoded", strings.NewReader("query=up"))
	require.NoError(t, err)
	resp.Body.Close()

	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, sigv4.CodeMissingAuthenticationToken, resp.Header.Get("X-Amzn-ErrorType"))
}

func TestServerProgrammedResults(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	srv.SetResult("sum(up)", 140)
	srv.SetVector("up", amptest.Sample{Labels: map[string]string{"pod": "a"}, Value: 1}, amptest.Sample{Labels: map[string]string{"pod": "b"}, Value: 0})
	srv.SetEmpty("absent")
	c := newClient(t, srv)
	ts := model.TimeFromUnixNano(t0.UnixNano())

	tests := []struct {
		query string
		want  model.Value
	}{
		{query: "sum(up)", want: model.Vector{{Metric: model.Metric{}, Value: 140, Timestamp: ts}}},
		{query: "up", want: model.Vector{{Metric: model.Metric{"pod": "a"}, Value: 1, Timestamp: ts}, {Metric: model.Metric{"pod": "b"}, Value: 0, Timestamp: ts}}},
		{query: "absent", want: model.Vector{}},
		{query: "sum( up )", want: model.Vector{{Metric: model.Metric{}, Value: 140, Timestamp: ts}}},
		{query: "absent", want: model.Vector{}},
	}
	for _, tt := range tests {
		t.Run("returns: "+tt.query, func(t *testing.T) {
			got, err := c.Query(context.Background(), tt.query, t0)

			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Value)
			assert.Empty(t, got.Warnings)
		})
	}
}

func TestServerNormalizesQueries(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	srv.SetResult(`sum(rate(http_requests_total{job="api"}[2m]))`, 140)
	srv.SetResult("  not valid promql(  ", 7)
	c := newClient(t, srv)
	tests := []struct {
		name  string
		query string
		want  model.SampleValue
	}{
		{name: "matches: same text", query: `sum(rate(http_requests_total{job="api"}[2m]))`, want: 140},
		{name: "matches: other spacing", query: "sum (\n  rate(http_requests_total{job = \"api\"}[2m])\n)", want: 140},
		{name: "matches: equal duration", query: `sum(rate(http_requests_total{job="api"}[120s]))`, want: 140},
		{name: "matches: unparsable trimmed", query: "not valid promql(", want: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Query(context.Background(), tt.query, t0)

			require.NoError(t, err)
			vector := got.Value.(model.Vector)
			require.Len(t, vector, 1)
			assert.Equal(t, tt.want, vector[0].Value)
		})
	}
}

func TestServerWarnsUnprogrammedQuery(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	c := newClient(t, srv)
	const query = `sum(rate(never_programmed[2m]))`

	got, err := c.Query(context.Background(), query, t0)
	require.NoError(t, err)
	source, err := amp.NewSource(c, query, promql.ReduceOptions{IgnoreNullValues: true})
	require.NoError(t, err)
	reading, err := source.Read(context.Background(), t0)
	require.NoError(t, err)

	want := []string{`amptest: no result programmed for query "sum(rate(never_programmed[2m]))"`}
	assert.Equal(t, model.Vector{}, got.Value)
	assert.Equal(t, want, got.Warnings)
	assert.Equal(t, want, reading.Warnings)
	assert.Zero(t, reading.Value)
}

func TestServerHandleQuery(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	srv.SetResult("sum(up)", 1)
	var mu sync.Mutex
	var seen []string
	srv.HandleQuery(func(req amptest.QueryRequest) amptest.Response {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, req.Query)
		if req.Query == "bad(" {
			return amptest.Response{Status: 400, Body: `{"status":"error","errorType":"bad_data","error":"parse error"}`}
		}
		return amptest.Response{Samples: []amptest.Sample{{Value: 7}}, Warnings: []string{"partial"}}
	})
	c := newClient(t, srv)

	got, err := c.Query(context.Background(), "sum(rate(x[1m]))", t0)
	require.NoError(t, err)
	_, errBad := c.Query(context.Background(), "bad(", t0)
	_, err = c.Query(context.Background(), "sum(up)", t0)
	require.NoError(t, err)

	assert.Equal(t, model.SampleValue(7), got.Value.(model.Vector)[0].Value)
	assert.Equal(t, []string{"partial"}, got.Warnings)
	var qerr *amp.Error
	require.ErrorAs(t, errBad, &qerr)
	assert.Equal(t, amp.KindBadData, qerr.Kind)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"sum(rate(x[1m]))", "bad("}, seen, "programmed queries bypass the handler")
}

func TestServerRangeQuery(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	srv.SetResult("sum(up)", 2)
	c := newClient(t, srv)

	got, err := c.QueryRange(context.Background(), "sum(up)", t0, t0.Add(time.Minute), 30*time.Second)

	require.NoError(t, err)
	matrix, ok := got.Value.(model.Matrix)
	require.True(t, ok, "want a matrix, got %T", got.Value)
	require.Len(t, matrix, 1)
	assert.Len(t, matrix[0].Values, 3)
	req := srv.Requests()[0]
	assert.True(t, req.IsRange())
	assert.Equal(t, t0, req.Start)
	assert.Equal(t, t0.Add(time.Minute), req.End)
	assert.Equal(t, 30*time.Second, req.Step)
}

func TestServerRecordsRequests(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	c, err := amp.NewClient(amp.Config{
		ServerAddress:   srv.URL(),
		SigV4:           true,
		Region:          srv.Region(),
		Credentials:     srv.Credentials(),
		Method:          http.MethodGet,
		Headers:         map[string]string{"X-Team": "payments"},
		QueryParameters: url.Values{"dedup": {"true"}},
	})
	require.NoError(t, err)

	_, err = c.Query(context.Background(), "sum(up)", t0)
	require.NoError(t, err)

	requests := srv.Requests()
	require.Len(t, requests, 1)
	req := requests[0]
	assert.Equal(t, http.MethodGet, req.Method)
	assert.Equal(t, "/api/v1/query", req.Path)
	assert.Equal(t, "sum(up)", req.Query)
	assert.Equal(t, t0, req.Time)
	assert.Equal(t, "true", req.Params.Get("dedup"))
	assert.Equal(t, "payments", req.Header.Get("X-Team"))
	assert.Contains(t, req.Header.Get("Authorization"), "AWS4-HMAC-SHA256")
	assert.True(t, req.Verified)
}

func TestServerKeepsLatestRequests(t *testing.T) {
	for _, tc := range []struct {
		name      string
		max       int
		wantKept  []string
		wantCount int
	}{
		{"keep: the latest two of three", 2, []string{"sum(b)", "sum(c)"}, 3},
		{"keep: none when negative", -1, nil, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := amptest.NewServer(t, amptest.Config{MaxRequests: tc.max})
			c := newClient(t, srv)
			for _, q := range []string{"sum(a)", "sum(b)", "sum(c)"} {
				srv.SetResult(q, 1)
				_, err := c.Query(context.Background(), q, t0)
				require.NoError(t, err)
			}

			var queries []string
			for _, r := range srv.Requests() {
				queries = append(queries, r.Query)
			}
			assert.Equal(t, tc.wantKept, queries, "queries kept")
			assert.Equal(t, tc.wantCount, srv.Received(), "requests received")
		})
	}
}

func TestServerFaults(t *testing.T) {
	tests := []struct {
		name     string
		inject   func(*amptest.Server)
		wantKind amp.ErrorKind
		wantCode int
	}{
		{name: "fails: programmed status", inject: func(s *amptest.Server) { s.Fail(1, 503, "upstream down") }, wantKind: amp.KindUnavailable, wantCode: 503},
		{name: "fails: throttled", inject: func(s *amptest.Server) { s.Throttle(1, 2*time.Second) }, wantKind: amp.KindThrottled, wantCode: 429},
		{name: "fails: malformed body", inject: func(s *amptest.Server) { s.Malformed(1) }, wantKind: amp.KindUnavailable, wantCode: 200},
		{name: "fails: connection reset", inject: func(s *amptest.Server) { s.Reset(1) }, wantKind: amp.KindUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := amptest.NewServer(t, amptest.Config{})
			srv.SetResult("sum(up)", 1)
			tt.inject(srv)
			c := newClient(t, srv)

			_, err := c.Query(context.Background(), "sum(up)", t0)
			_, errAfter := c.Query(context.Background(), "sum(up)", t0)

			var qerr *amp.Error
			require.ErrorAs(t, err, &qerr)
			assert.Equal(t, tt.wantKind, qerr.Kind, "Kind")
			assert.Equal(t, tt.wantCode, qerr.StatusCode, "StatusCode")
			assert.NoError(t, errAfter, "the fault applies to one request")
		})
	}
}

func TestServerPendingAndClearFaults(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	srv.SetResult("sum(up)", 1)
	c := newClient(t, srv)
	srv.Fail(2, 500, "")
	srv.Throttle(1, 0)

	pendingBefore := srv.PendingFaults()
	_, errFirst := c.Query(context.Background(), "sum(up)", t0)
	pendingAfter := srv.PendingFaults()
	srv.ClearFaults()
	_, errCleared := c.Query(context.Background(), "sum(up)", t0)

	assert.Equal(t, 3, pendingBefore)
	assert.Error(t, errFirst)
	assert.Equal(t, 2, pendingAfter)
	assert.Zero(t, srv.PendingFaults())
	assert.NoError(t, errCleared, "no fault is left after ClearFaults")
}

func TestServerFailWithRetryAfter(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	srv.SetResult("sum(up)", 4)
	srv.FailWith(1, amptest.Response{
		Status: http.StatusServiceUnavailable,
		Header: http.Header{"Retry-After": {"2"}},
		Body:   `{"status":"error","errorType":"unavailable","error":"store gateway restarting"}`,
	})
	var waits []time.Duration
	c, err := amp.NewClient(amp.Config{
		ServerAddress: srv.URL(), SigV4: true, Region: srv.Region(), Credentials: srv.Credentials(),
		Retry: amp.RetryConfig{Sleep: func(_ context.Context, d time.Duration) error {
			waits = append(waits, d)
			return nil
		}},
	})
	require.NoError(t, err)

	result, err := c.Query(context.Background(), "sum(up)", t0)

	require.NoError(t, err)
	assert.Equal(t, model.SampleValue(4), result.Value.(model.Vector)[0].Value)
	assert.Equal(t, []time.Duration{2 * time.Second}, waits, "the client waits as Retry-After requests")
	assert.Len(t, srv.Requests(), 2)
}

func TestServerFailWithHeaders(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	srv.FailWith(1, amptest.Response{Status: http.StatusServiceUnavailable, Header: http.Header{"retry-after": {"7"}, "X-Trace": {"abc"}}, Body: `{"message":"down"}`})

	status, body, header := signedPost(t, srv, srv.Region(), amptest.SecretAccessKey, time.Now())

	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.JSONEq(t, `{"message":"down"}`, body)
	assert.Equal(t, "7", header.Get("Retry-After"))
	assert.Equal(t, "abc", header.Get("X-Trace"))
	assert.Equal(t, "application/json", header.Get("Content-Type"))
}

func TestServerResetByMethod(t *testing.T) {
	tests := []struct {
		name         string
		method       string
		wantErr      bool
		wantRequests int
	}{
		{name: "fails: POST sees reset", method: http.MethodPost, wantErr: true, wantRequests: 2},
		{name: "hides: GET resent by transport", method: http.MethodGet, wantRequests: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := amptest.NewServer(t, amptest.Config{})
			srv.SetResult("sum(up)", 1)
			c, err := amp.NewClient(amp.Config{
				ServerAddress: srv.URL(), SigV4: true, Region: srv.Region(), Credentials: srv.Credentials(),
				Method: tt.method, Retry: amp.RetryConfig{MaxAttempts: 1},
			})
			require.NoError(t, err)
			// The first query opens the connection that the second reuses.
			_, err = c.Query(context.Background(), "sum(up)", t0)
			require.NoError(t, err)
			srv.Reset(1)

			_, err = c.Query(context.Background(), "sum(up)", t0)

			if tt.wantErr {
				var qerr *amp.Error
				require.ErrorAs(t, err, &qerr)
				assert.Equal(t, amp.KindUnavailable, qerr.Kind)
			} else {
				assert.NoError(t, err, "the transport sent the GET again on a new connection")
			}
			assert.Len(t, srv.Requests(), tt.wantRequests)
			assert.Zero(t, srv.PendingFaults(), "the reset was used")
		})
	}
}

func TestServerThrottleSetsRetryAfter(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{Now: func() time.Time { return time.Now() }})
	srv.Throttle(1, 1500*time.Millisecond)

	status, body, header := signedPost(t, srv, srv.Region(), amptest.SecretAccessKey, time.Now())

	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.JSONEq(t, `{"message":"Rate exceeded"}`, body)
	assert.Equal(t, "2", header.Get("Retry-After"))
	assert.Equal(t, "ThrottlingException", header.Get("X-Amzn-ErrorType"))
}

func TestServerFaultsQueueInOrder(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	srv.Fail(2, 500, "")
	srv.Throttle(1, 0)
	c := newClient(t, srv)

	var codes []int
	for range 4 {
		_, err := c.Query(context.Background(), "sum(up)", t0)
		code := http.StatusOK
		var qerr *amp.Error
		if errors.As(err, &qerr) {
			code = qerr.StatusCode
		}
		codes = append(codes, code)
	}

	assert.Equal(t, []int{500, 500, 429, 200}, codes)
}

func TestServerDelay(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	srv.Delay(time.Second)
	c, err := amp.NewClient(amp.Config{
		ServerAddress: srv.URL(), SigV4: true, Region: srv.Region(), Credentials: srv.Credentials(),
		Timeout: 50 * time.Millisecond, Retry: amp.RetryConfig{MaxAttempts: 1},
	})
	require.NoError(t, err)

	_, err = c.Query(context.Background(), "sum(up)", t0)

	var qerr *amp.Error
	require.ErrorAs(t, err, &qerr)
	assert.Equal(t, amp.KindTimeout, qerr.Kind)
	srv.Delay(0)
	_, err = c.Query(context.Background(), "sum(up)", t0)
	assert.NoError(t, err)
}

func TestServerUnknownPaths(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	c := newClient(t, srv)
	other, err := amp.NewClient(amp.Config{
		ServerAddress: strings.Replace(srv.URL(), amptest.DefaultWorkspaceID, "ws-other", 1),
		SigV4:         true, Region: srv.Region(), Credentials: srv.Credentials(), Retry: amp.RetryConfig{MaxAttempts: 1},
	})
	require.NoError(t, err)

	_, errOther := other.Query(context.Background(), "sum(up)", t0)
	_, errEmpty := c.Query(context.Background(), "", t0)

	var qerr *amp.Error
	require.ErrorAs(t, errOther, &qerr)
	assert.Equal(t, amp.KindNotFound, qerr.Kind)
	assert.Equal(t, "ResourceNotFoundException", qerr.Type)
	require.ErrorAs(t, errEmpty, &qerr)
	assert.Equal(t, amp.KindBadData, qerr.Kind)
}

func TestServerProxiesToUpstream(t *testing.T) {
	type seen struct {
		path, query, authorization, amzDate string
	}
	got := make(chan seen, 1)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{path: r.URL.Path, query: r.PostFormValue("query"), authorization: r.Header.Get("Authorization"), amzDate: r.Header.Get("X-Amz-Date")}
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"scalar","result":[1735787045,"42"]}}`)
	}))
	t.Cleanup(upstream.Close)
	srv := amptest.NewServer(t, amptest.Config{Upstream: upstream.URL + "/prometheus/"})
	srv.SetResult("sum(up)", 1)
	c := newClient(t, srv)

	result, err := c.Query(context.Background(), "sum(up)", t0)

	require.NoError(t, err)
	assert.Equal(t, model.SampleValue(42), result.Value.(*model.Scalar).Value, "the upstream answers, not the programmed result")
	forwarded := <-got
	assert.Equal(t, "/prometheus/api/v1/query", forwarded.path)
	assert.Equal(t, "sum(up)", forwarded.query)
	assert.Empty(t, forwarded.authorization)
	assert.Empty(t, forwarded.amzDate)
}

func TestServerProxyKeepsSignatureCheck(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("an unsigned request reached the upstream")
	}))
	t.Cleanup(upstream.Close)
	srv := amptest.NewServer(t, amptest.Config{Upstream: upstream.URL})

	resp, err := http.Post(srv.URL()+"/api/v1/query", "application/x-www-form-urlencoded", strings.NewReader("query=up"))
	require.NoError(t, err)
	resp.Body.Close()

	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestStartRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     amptest.Config
		wantErr string
	}{
		{name: "rejects: upstream without scheme", cfg: amptest.Config{Upstream: "127.0.0.1:9090"}, wantErr: `amptest: invalid upstream "127.0.0.1:9090"`},
		{name: "rejects: workspace ID with slash", cfg: amptest.Config{WorkspaceID: "ws/1"}, wantErr: `amptest: invalid workspace ID "ws/1"`},
		{name: "rejects: region with spaces", cfg: amptest.Config{Region: "Not A Region"}, wantErr: `amptest: invalid region "Not A Region": a region is lower-case words and a number joined by hyphens`},
		{name: "rejects: region without number", cfg: amptest.Config{Region: "us-east"}, wantErr: `amptest: invalid region "us-east"`},
		{name: "rejects: upper-case region", cfg: amptest.Config{Region: "US-EAST-1"}, wantErr: `amptest: invalid region "US-EAST-1": a region is written in lower case; use "us-east-1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := amptest.Start(tt.cfg)

			assert.Nil(t, srv)
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestServerURLShape(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{WorkspaceID: "ws-test", Region: "ap-northeast-2"})

	u, err := url.Parse(srv.URL())

	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", u.Hostname())
	assert.Equal(t, "/workspaces/ws-test", u.Path)
	assert.Equal(t, "ap-northeast-2", srv.Region())
}

func TestServerRangeStepLimit(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	c := newClient(t, srv)

	_, errAtLimit := c.QueryRange(context.Background(), "sum(up)", t0, t0.Add(11000*time.Second), time.Second)
	_, errOver := c.QueryRange(context.Background(), "sum(up)", t0, t0.Add(11001*time.Second), time.Second)

	assert.NoError(t, errAtLimit)
	var qerr *amp.Error
	require.ErrorAs(t, errOver, &qerr)
	assert.Equal(t, amp.KindBadData, qerr.Kind)
	assert.Contains(t, qerr.Message, "more than 11000")
}
