package amp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/promscaler/promscaler/amp/amptest"
)

func TestRetryBackoff(t *testing.T) {
	tests := []struct {
		name    string
		attempt int
		rand    float64
		want    time.Duration
	}{
		{name: "waits: half initial at rand 0", attempt: 1, rand: 0, want: 50 * time.Millisecond},
		{name: "waits: full initial near rand 1", attempt: 1, rand: 1, want: 100 * time.Millisecond},
		{name: "doubles: second retry", attempt: 2, rand: 0, want: 100 * time.Millisecond},
		{name: "doubles: third retry", attempt: 3, rand: 0.5, want: 300 * time.Millisecond},
		{name: "caps: at max backoff", attempt: 10, rand: 1, want: time.Second},
		{name: "caps: huge attempt number", attempt: 1000, rand: 0, want: 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := RetryConfig{MaxBackoff: time.Second, Rand: func() float64 { return tt.rand }}.withDefaults()

			assert.Equal(t, tt.want, r.backoff(tt.attempt))
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name  string
		value string
		date  string
		want  time.Duration
	}{
		{name: "parses: seconds", value: "3", want: 3 * time.Second},
		{name: "parses: seconds with spaces", value: " 7 ", want: 7 * time.Second},
		{name: "parses: HTTP-date from now", value: "Thu, 02 Jan 2025 03:04:15 GMT", want: 10 * time.Second},
		{name: "parses: HTTP-date from Date header", value: "Thu, 02 Jan 2025 03:05:00 GMT", date: "Thu, 02 Jan 2025 03:04:58 GMT", want: 2 * time.Second},
		{name: "ignores: empty value", value: "", want: 0},
		{name: "ignores: negative seconds", value: "-5", want: 0},
		{name: "ignores: date in past", value: "Thu, 02 Jan 2025 03:00:00 GMT", want: 0},
		{name: "ignores: garbage", value: "soon", want: 0},
		{name: "caps: absurd seconds", value: "999999999999", want: 24 * time.Hour},
		{name: "caps: far HTTP-date", value: "Fri, 02 Jan 2026 03:04:05 GMT", want: 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, parseRetryAfter(tt.value, tt.date, now))
		})
	}
}

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{name: "retries: throttled", err: &Error{Kind: KindThrottled, StatusCode: 429}, want: true},
		{name: "retries: unavailable", err: &Error{Kind: KindUnavailable, StatusCode: 503}, want: true},
		{name: "retries: network error", err: &Error{Kind: KindUnavailable}, want: true},
		{name: "retries: attempt timeout", err: &Error{Kind: KindTimeout}, want: true},
		{name: "retries: wrapped error", err: fmt.Errorf("poll: %w", &Error{Kind: KindThrottled}), want: true},
		{name: "stops: server query timeout", err: &Error{Kind: KindTimeout, StatusCode: 503, Type: "timeout"}},
		{name: "retries: body read timeout", err: &Error{Kind: KindTimeout, StatusCode: 200}, want: true},
		{name: "stops: bad data", err: &Error{Kind: KindBadData, StatusCode: 400}},
		{name: "stops: execution", err: &Error{Kind: KindExecution, StatusCode: 422}},
		{name: "stops: auth", err: &Error{Kind: KindAuth, StatusCode: 403}},
		{name: "stops: canceled", err: &Error{Kind: KindCanceled}},
		{name: "stops: internal", err: &Error{Kind: KindInternal, StatusCode: 500}},
		{name: "stops: malformed response", err: &Error{Kind: KindResponse, StatusCode: 200}},
		{name: "stops: too many series", err: &TooManySeriesError{Seen: 2}},
		{name: "stops: other error", err: errors.New("boom")},
		{name: "stops: nil", err: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, IsRetryable(tt.err))
		})
	}
}

// reply is one scripted response.
type reply struct {
	status int
	header map[string]string
	body   string
}

// newScriptedServer responds to the n-th request with the n-th reply and
// repeats the last reply after that. The function it returns counts the
// requests.
func newScriptedServer(t *testing.T, replies ...reply) (*httptest.Server, func() int) {
	t.Helper()
	var mu sync.Mutex
	count := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		next := replies[min(count, len(replies)-1)]
		count++
		mu.Unlock()
		for k, v := range next.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(next.status)
		fmt.Fprint(w, next.body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() int {
		mu.Lock()
		defer mu.Unlock()
		return count
	}
}

// sleepRecorder is a RetryConfig.Sleep that records waits without waiting.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

const okVector = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"5"]}]}}`

func TestQueryRetries(t *testing.T) {
	unavailable := reply{status: 503, body: `{"status":"error","errorType":"unavailable","error":"shutting down"}`}
	throttled := reply{status: 429, header: map[string]string{"Retry-After": "3"}, body: `{"message":"Rate exceeded"}`}
	badData := reply{status: 400, body: `{"status":"error","errorType":"bad_data","error":"parse error"}`}
	ok := reply{status: 200, body: okVector}
	tests := []struct {
		name         string
		replies      []reply
		wantRequests int
		wantWaits    []time.Duration
		wantErr      string
	}{
		{name: "succeeds: first attempt", replies: []reply{ok}, wantRequests: 1},
		{name: "succeeds: after two 503", replies: []reply{unavailable, unavailable, ok}, wantRequests: 3,
			wantWaits: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}},
		{name: "honors: Retry-After seconds", replies: []reply{throttled, ok}, wantRequests: 2, wantWaits: []time.Duration{3 * time.Second}},
		{name: "fails: attempts used up", replies: []reply{unavailable}, wantRequests: 3,
			wantWaits: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond},
			wantErr:   "amp: query to {URL}/api/v1/query failed after 3 attempts: 503 service unavailable (unavailable): shutting down"},
		{name: "fails: bad data at once", replies: []reply{badData, ok}, wantRequests: 1,
			wantErr: "amp: query to {URL}/api/v1/query failed: 400 bad request (bad_data): parse error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, requests := newScriptedServer(t, tt.replies...)
			recorder := &sleepRecorder{}
			c, err := NewClient(Config{ServerAddress: srv.URL, Retry: RetryConfig{Sleep: recorder.sleep, Rand: func() float64 { return 0 }}})
			require.NoError(t, err)

			_, err = c.Query(context.Background(), "sum(up)", t0)

			assert.Equal(t, tt.wantRequests, requests(), "requests")
			assert.Equal(t, tt.wantWaits, recorder.waits, "waits")
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			var qerr *Error
			require.ErrorAs(t, err, &qerr)
			assert.Equal(t, tt.wantRequests, qerr.Attempts, "Attempts")
			assert.Equal(t, strings.ReplaceAll(tt.wantErr, "{URL}", srv.URL), err.Error())
		})
	}
}

func TestQueryRetryStopsBeforeDeadline(t *testing.T) {
	srv, requests := newScriptedServer(t, reply{status: 429, header: map[string]string{"Retry-After": "10"}, body: `{"message":"Rate exceeded"}`})
	recorder := &sleepRecorder{}
	c, err := NewClient(Config{ServerAddress: srv.URL, Retry: RetryConfig{Sleep: recorder.sleep}})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()

	_, err = c.Query(ctx, "sum(up)", t0)

	assert.Less(t, time.Since(start), time.Second, "returned without waiting")
	assert.Empty(t, recorder.waits, "no wait past the deadline")
	assert.Equal(t, 1, requests())
	var qerr *Error
	require.ErrorAs(t, err, &qerr)
	assert.Equal(t, KindThrottled, qerr.Kind)
	assert.Equal(t, 1, qerr.Attempts)
	assert.True(t, strings.HasSuffix(err.Error(), "; not retried: Retry-After 10s is past the context deadline"), "Error() = %q", err)
}

func TestQueryRetryBackoffPastDeadline(t *testing.T) {
	srv, requests := newScriptedServer(t, reply{status: 503})
	c, err := NewClient(Config{ServerAddress: srv.URL, Retry: RetryConfig{InitialBackoff: 4 * time.Second, MaxBackoff: 4 * time.Second, Rand: func() float64 { return 0.5 }}})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()

	_, err = c.Query(ctx, "sum(up)", t0)

	assert.Equal(t, 1, requests())
	assert.ErrorContains(t, err, "; not retried: the backoff of 3s is past the context deadline")
}

func TestQueryRetryCanceledDuringWait(t *testing.T) {
	srv, requests := newScriptedServer(t, reply{status: 503})
	ctx, cancel := context.WithCancel(context.Background())
	sleep := func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}
	c, err := NewClient(Config{ServerAddress: srv.URL, Retry: RetryConfig{Sleep: sleep}})
	require.NoError(t, err)

	_, err = c.Query(ctx, "sum(up)", t0)

	assert.Equal(t, 1, requests())
	var qerr *Error
	require.ErrorAs(t, err, &qerr)
	assert.Equal(t, KindUnavailable, qerr.Kind, "the last attempt's error, not the context's")
	assert.Equal(t, 1, qerr.Attempts)
	assert.ErrorContains(t, err, "not retried: the context ended during the wait")
}

func TestQueryRetryWithRealTimer(t *testing.T) {
	srv, requests := newScriptedServer(t, reply{status: 502}, reply{status: 200, body: okVector})
	c, err := NewClient(Config{ServerAddress: srv.URL, Retry: RetryConfig{InitialBackoff: 10 * time.Millisecond}})
	require.NoError(t, err)

	_, err = c.Query(context.Background(), "sum(up)", t0)

	assert.NoError(t, err)
	assert.Equal(t, 2, requests())
}

func TestQueryRetryReplaysPostBody(t *testing.T) {
	srv := amptest.NewServer(t, amptest.Config{})
	srv.SetResult("sum(up)", 140)
	srv.Reset(1)
	c, err := NewClient(Config{
		ServerAddress: srv.URL(), SigV4: true, Region: srv.Region(), Credentials: srv.Credentials(),
		Retry: RetryConfig{InitialBackoff: time.Millisecond},
	})
	require.NoError(t, err)

	result, err := c.Query(context.Background(), "sum(up)", t0)

	require.NoError(t, err)
	assert.Equal(t, model.SampleValue(140), result.Value.(model.Vector)[0].Value)
	requests := srv.Requests()
	require.Len(t, requests, 2, "one reset attempt and one retry")
	for i, req := range requests {
		assert.Equal(t, http.MethodPost, req.Method, "request %d", i)
		assert.Equal(t, "sum(up)", req.Query, "request %d carries the form body", i)
		assert.True(t, req.Verified, "request %d is signed over its body", i)
	}
}

func TestQueryRetryLogs(t *testing.T) {
	srv, _ := newScriptedServer(t, reply{status: 503}, reply{status: 200, body: okVector})
	var logs syncBuffer
	c, err := NewClient(Config{ServerAddress: srv.URL, Logger: newTextLogger(&logs), Retry: RetryConfig{Sleep: (&sleepRecorder{}).sleep}})
	require.NoError(t, err)

	_, err = c.Query(context.Background(), "sum(up)", t0)

	require.NoError(t, err)
	assert.Contains(t, logs.String(), `msg="amp: retrying query"`)
	assert.Contains(t, logs.String(), "attempt=1")
	assert.Contains(t, logs.String(), "503 service unavailable")
}
