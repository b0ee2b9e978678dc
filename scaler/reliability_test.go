package scaler_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/amp/amptest"
	"github.com/promscaler/promscaler/scaler"
)

var updateReliability = flag.Bool("update-reliability", false, "write the measured fault table into ../RELIABILITY.md")

// Bounds of the memory check: faults run heapWarmup times, then heapRuns
// more times between two measurements of the live heap.
const (
	heapWarmup   = 20
	heapRuns     = 200
	heapMaxGrown = 1 << 20
)

// relFault is one fault of the matrix and what the loop must report.
type relFault struct {
	name     string
	injected string
	// inject runs before every poll of the fault, and recover after the
	// last one. Queued faults are always cleared as well.
	inject  func(e *relEnv)
	recover func(e *relEnv)
	opts    relOptions
	// heapTimeout, when set, is the attempt timeout of the memory check,
	// for faults that take a whole attempt timeout each.
	heapTimeout time.Duration

	// wantFail is false for a fault that the client absorbs.
	wantFail     bool
	wantKind     amp.ErrorKind
	wantStatus   int
	wantAttempts int
	wantRequests int
	// wantWaits are the retry waits of one poll.
	wantWaits []time.Duration
	// wantMessage is part of the error message.
	wantMessage string
}

// contentType returns a header with the content type ct.
func contentType(ct string) http.Header {
	return http.Header{"Content-Type": {ct}}
}

// relSuccessBody is a valid response to relQuery.
const relSuccessBody = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1772366400,"140"]}]}}`

// relRetried are the waits of a query retried twice with the test's
// jitter of 0: half of 100 ms, then half of 200 ms.
var relRetried = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}

func relFaults() []relFault {
	unavailable := func(name, injected string, status int, body string, header http.Header) relFault {
		return relFault{
			name: name, injected: injected,
			inject:   func(e *relEnv) { e.srv.FailWith(3, amptest.Response{Status: status, Body: body, Header: header}) },
			wantFail: true, wantKind: amp.KindUnavailable, wantStatus: status, wantAttempts: 3, wantRequests: 3, wantWaits: relRetried,
		}
	}
	return []relFault{
		{
			name: "500 with JSON body", injected: "`Fail` 500 `{\"status\":\"error\",\"errorType\":\"internal\",...}`",
			inject: func(e *relEnv) {
				e.srv.Fail(3, 500, `{"status":"error","errorType":"internal","error":"unexpected end of stream"}`)
			},
			wantFail: true, wantKind: amp.KindInternal, wantStatus: 500, wantAttempts: 1, wantRequests: 1,
		},
		unavailable("500 without body", "`Fail` 500, empty body", 500, "", nil),
		unavailable("502 with JSON body", "`Fail` 502 `{\"message\":\"Bad Gateway\"}`", 502, `{"message":"Bad Gateway"}`, nil),
		unavailable("502 without body", "`Fail` 502, empty body", 502, "", nil),
		unavailable("503 with JSON body", "`FailWith` 503, x-amzn-ErrorType ServiceUnavailableException, `{\"message\":...}`", 503,
			`{"message":"Service Unavailable"}`, http.Header{"X-Amzn-Errortype": {"ServiceUnavailableException"}}),
		unavailable("503 without body", "`Fail` 503, empty body", 503, "", nil),
		{
			name: "429 with Retry-After", injected: "`Throttle` with Retry-After: 2",
			inject:   func(e *relEnv) { e.srv.Throttle(3, 2*time.Second) },
			wantFail: true, wantKind: amp.KindThrottled, wantStatus: 429, wantAttempts: 3, wantRequests: 3,
			wantWaits: []time.Duration{2 * time.Second, 2 * time.Second},
		},
		{
			name: "429 with Retry-After longer than a read may last", injected: "`Throttle` with Retry-After: 3600",
			inject:   func(e *relEnv) { e.srv.Throttle(3, time.Hour) },
			wantFail: true, wantKind: amp.KindThrottled, wantStatus: 429, wantAttempts: 1, wantRequests: 1,
			wantMessage: "not retried: Retry-After 1h0m0s is past the context deadline",
		},
		{
			name: "429 without Retry-After", injected: "`Throttle` without Retry-After",
			inject:   func(e *relEnv) { e.srv.Throttle(3, 0) },
			wantFail: true, wantKind: amp.KindThrottled, wantStatus: 429, wantAttempts: 3, wantRequests: 3, wantWaits: relRetried,
		},
		{
			name: "timeout", injected: "`Delay` 2s, beyond `Timeout` 200ms",
			inject:      func(e *relEnv) { e.srv.Delay(2 * time.Second) },
			recover:     func(e *relEnv) { e.srv.Delay(0) },
			opts:        relOptions{timeout: relTimeout},
			heapTimeout: 2 * time.Millisecond,
			wantFail:    true, wantKind: amp.KindTimeout, wantAttempts: 3, wantRequests: 3, wantWaits: relRetried,
		},
		{
			name: "connection closed mid-body", injected: "`CutBody`: headers, half the body, close",
			inject:   func(e *relEnv) { e.srv.CutBody(3) },
			wantFail: true, wantKind: amp.KindUnavailable, wantStatus: 200, wantAttempts: 3, wantRequests: 3, wantWaits: relRetried,
		},
		{
			name: "connection reset before response", injected: "`Reset`: TCP reset, no response",
			inject:   func(e *relEnv) { e.srv.Reset(3) },
			wantFail: true, wantKind: amp.KindUnavailable, wantAttempts: 3, wantRequests: 3, wantWaits: relRetried,
		},
		{
			name: "body slower than timeout", injected: "`SlowBody` 1 byte / 50ms, headers at once",
			inject:      func(e *relEnv) { e.srv.SlowBody(3, 50*time.Millisecond) },
			opts:        relOptions{timeout: relTimeout},
			heapTimeout: 2 * time.Millisecond,
			wantFail:    true, wantKind: amp.KindTimeout, wantStatus: 200, wantAttempts: 3, wantRequests: 3, wantWaits: relRetried,
		},
		{
			name: "truncated JSON", injected: "`Malformed`: 200, JSON cut in series 1",
			inject:   func(e *relEnv) { e.srv.Malformed(3) },
			wantFail: true, wantKind: amp.KindUnavailable, wantStatus: 200, wantAttempts: 3, wantRequests: 3, wantWaits: relRetried,
		},
		{
			name: "HTML 502 from a load balancer", injected: "`GatewayError` 502, text/html page",
			inject:   func(e *relEnv) { e.srv.GatewayError(3, 502) },
			wantFail: true, wantKind: amp.KindUnavailable, wantStatus: 502, wantAttempts: 3, wantRequests: 3, wantWaits: relRetried,
		},
		{
			name: "200 text/plain with JSON body", injected: "`FailWith` 200, Content-Type text/plain, valid JSON",
			inject: func(e *relEnv) {
				e.srv.FailWith(1, amptest.Response{Status: 200, Header: contentType("text/plain"), Body: relSuccessBody})
			},
			wantAttempts: 1, wantRequests: 1,
		},
		{
			name: "200 text/html page", injected: "`FailWith` 200, Content-Type text/html, HTML body",
			inject: func(e *relEnv) {
				e.srv.FailWith(1, amptest.Response{Status: 200, Header: contentType("text/html"), Body: "<html><body><h1>Sign in</h1></body></html>"})
			},
			wantFail: true, wantKind: amp.KindResponse, wantStatus: 200, wantAttempts: 1, wantRequests: 1,
		},
		{
			name: "data is an array", injected: "`FailWith` 200 `{\"status\":\"success\",\"data\":[]}`",
			inject: func(e *relEnv) {
				e.srv.FailWith(1, amptest.Response{Status: 200, Body: `{"status":"success","data":[]}`})
			},
			wantFail: true, wantKind: amp.KindResponse, wantStatus: 200, wantAttempts: 1, wantRequests: 1,
		},
		{
			name: "resultType string", injected: "`FailWith` 200, resultType string",
			inject: func(e *relEnv) {
				e.srv.FailWith(1, amptest.Response{Status: 200, Body: `{"status":"success","data":{"resultType":"string","result":[1772366400,"140"]}}`})
			},
			wantFail: true, wantAttempts: 1, wantRequests: 1,
		},
		{
			name: "body over MaxResponseSize", injected: "`Oversized` 128 KiB, `MaxResponseSize` 64 KiB",
			inject:   func(e *relEnv) { e.srv.Oversized(1, 2*relMaxResponseSize) },
			wantFail: true, wantKind: amp.KindResponse, wantStatus: 200, wantAttempts: 1, wantRequests: 1,
		},
		{
			name: "403 expired token, once", injected: "`ExpireToken(1)` per poll",
			inject:       func(e *relEnv) { e.srv.ExpireToken(1) },
			wantAttempts: 1, wantRequests: 2,
		},
		{
			name: "403 expired token, persistent", injected: "`ExpireToken(2)` per poll: the first try and the resend",
			inject:   func(e *relEnv) { e.srv.ExpireToken(2) },
			wantFail: true, wantKind: amp.KindAuth, wantStatus: 403, wantAttempts: 1, wantRequests: 2,
		},
		{
			name: "403 signature mismatch", injected: "the loop's source switches to a client that signs with a wrong secret",
			inject:   signWithWrongSecret,
			recover:  func(e *relEnv) { e.source.use(e.good) },
			wantFail: true, wantKind: amp.KindAuth, wantStatus: 403, wantAttempts: 1, wantRequests: 1,
		},
		{
			name: "unresolvable host", injected: "address `http://amp.invalid:<port>/workspaces/<id>`; while DNS is down the dialer fails `.invalid` at once, and idle connections are closed",
			inject: func(e *relEnv) {
				e.dnsUp.Store(false)
				e.transport.CloseIdleConnections()
			},
			recover:  func(e *relEnv) { e.dnsUp.Store(true) },
			opts:     relOptions{invalidHost: true},
			wantFail: true, wantKind: amp.KindUnavailable, wantAttempts: 3, wantRequests: 0, wantWaits: relRetried,
		},
		{
			name: "signing clock 10 minutes off", injected: "server clock (`amptest.Config.Now`) 10 min ahead of the signer",
			inject:   func(e *relEnv) { e.skew.Store(int64(10 * time.Minute)) },
			recover:  func(e *relEnv) { e.skew.Store(0) },
			wantFail: true, wantKind: amp.KindAuth, wantStatus: 403, wantAttempts: 1, wantRequests: 1,
		},
	}
}

// signWithWrongSecret points the loop at a client that signs with a
// wrong secret for the right access key. Changing the secret of a running
// client would not do: the SDK's signer reuses the signing key it derived
// for the same access key ID until the day changes.
func signWithWrongSecret(e *relEnv) {
	if e.wrong == nil {
		keys := credentials.NewStaticCredentialsProvider(amptest.AccessKeyID, "wrong"+amptest.SecretAccessKey, "")
		e.wrong = newRelSource(e.t, newRelClient(e.t, e, e.opts, keys))
	}
	e.source.use(e.wrong)
}

// TestReliability runs every fault of relFaults through the loop: a good
// poll, the fault for failureThreshold+1 polls, then a good poll again,
// and then the fault heapRuns more times to bound memory.
func TestReliability(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	var rows []relRow
	for _, tc := range relFaults() {
		t.Run(tc.name, func(t *testing.T) {
			row := runFault(t, tc)
			t.Logf("measured: %s", row)
			rows = append(rows, row)
		})
	}

	if *updateReliability && !t.Failed() {
		require.NoError(t, writeRelTable("../RELIABILITY.md", rows))
	}
}

// runFault runs tc on a new loop and returns the measured row.
func runFault(t *testing.T, tc relFault) relRow {
	ignore := goleak.IgnoreCurrent()
	goroutinesBefore := runtime.NumGoroutine()
	row := relRow{fault: tc.name, injected: tc.injected}

	e := newRelEnv(t, tc.opts)
	at := relT0
	good := stepAt(t, e, at)
	require.NoError(t, good.Err)
	require.Equal(t, int32(relWantReplicas), good.DesiredReplicas, "replicas after the good poll")

	var during []string
	for poll := 1; poll <= relFailureThreshold+1; poll++ {
		at = at.Add(relPollInterval)
		d := faultPoll(t, e, tc, at, poll, &row)
		during = append(during, fmt.Sprintf("%s %d", d.Action, d.DesiredReplicas))
	}
	row.during = strings.Join(during, ", ")
	row.fallback = describeFallback(t, e, tc)

	at = at.Add(relPollInterval)
	recoverFault(e, tc)
	row.recovery = recoveryPoll(t, e, at)

	row.heapGrowth = measureHeap(t, e, tc, at)
	e.close()
	// Find waits for goroutines that are still ending, so count after it.
	err := goleak.Find(ignore)
	row.leaks = fmt.Sprintf("none left (%d before, %d after)", goroutinesBefore, runtime.NumGoroutine())
	if err != nil {
		t.Errorf("goroutines left after the fault: %v", err)
		row.leaks = "left: " + strings.ReplaceAll(err.Error(), "\n", " ")
	}
	return row
}

// stepAt runs one poll at at and checks that the loop returned a decision.
func stepAt(t *testing.T, e *relEnv, at time.Time) scaler.Decision {
	t.Helper()
	d, err := e.scaler.Step(context.Background(), at)
	require.Equal(t, d.Err, err, "Step returns the decision's error")
	require.False(t, errors.Is(err, scaler.ErrShutdown), "the scaler stopped")
	return d
}

// faultPoll injects tc, runs fault poll number poll and checks what the
// client, the decision, the status and the metrics report.
func faultPoll(t *testing.T, e *relEnv, tc relFault, at time.Time, poll int, row *relRow) scaler.Decision {
	t.Helper()
	tc.inject(e)
	received, fetches := e.srv.Received(), e.keys.calls.Load()
	e.takeWaits()

	d := stepAt(t, e, at)

	row.requests = e.srv.Received() - received
	waits := e.takeWaits()
	assert.Equal(t, tc.wantRequests, row.requests, "poll %d: requests", poll)
	assert.Equal(t, tc.wantWaits, waits, "poll %d: retry waits", poll)
	row.refetched = int(e.keys.calls.Load() - fetches)
	// Each retry waits once, so the attempts of a poll are its waits + 1.
	row.attempts = len(waits) + 1
	if !tc.wantFail {
		require.NoError(t, d.Err, "poll %d", poll)
		assert.Equal(t, scaler.ActionHPA, d.Action, "poll %d: action", poll)
		assert.Equal(t, int32(relWantReplicas), d.DesiredReplicas, "poll %d: replicas", poll)
		assert.Equal(t, tc.wantAttempts, row.attempts, "poll %d: attempts", poll)
		row.kind = "no error"
		return d
	}
	checkFailedPoll(t, e, tc, d, poll, row)
	return d
}

// checkFailedPoll checks a poll that the fault failed.
func checkFailedPoll(t *testing.T, e *relEnv, tc relFault, d scaler.Decision, poll int, row *relRow) {
	t.Helper()
	require.Error(t, d.Err, "poll %d", poll)
	require.Len(t, d.Triggers, 1)
	tv := d.Triggers[0]
	row.kind = describeErr(tv.Err)
	var qerr *amp.Error
	if tc.wantKind != "" && assert.ErrorAs(t, tv.Err, &qerr, "poll %d", poll) {
		assert.Equal(t, tc.wantKind, qerr.Kind, "poll %d: kind of %v", poll, qerr)
		assert.Equal(t, tc.wantStatus, qerr.StatusCode, "poll %d: status", poll)
		assert.Equal(t, tc.wantAttempts, qerr.Attempts, "poll %d: attempts", poll)
		row.attempts = qerr.Attempts
	}
	if tc.wantMessage != "" {
		assert.ErrorContains(t, tv.Err, tc.wantMessage, "poll %d", poll)
	}

	inFallback := poll > relFailureThreshold
	wantAction, wantReplicas, wantCondition := scaler.ActionHold, int32(relWantReplicas), scaler.ConditionFalse
	if inFallback {
		wantAction, wantReplicas, wantCondition = scaler.ActionFallback, relFallbackReplicas, scaler.ConditionTrue
	}
	assert.Equal(t, int32(poll), tv.Failures, "poll %d: failures", poll)
	assert.Equal(t, inFallback, tv.InFallback, "poll %d: trigger in fallback", poll)
	assert.Equal(t, wantAction, d.Action, "poll %d: action", poll)
	assert.Equal(t, wantReplicas, d.DesiredReplicas, "poll %d: replicas", poll)
	assert.Equal(t, wantCondition, e.scaler.Status().Condition(scaler.ConditionFallback).Status, "poll %d: Fallback condition", poll)
	assert.Equal(t, float64(poll), e.metricValue(t, "promscaler_trigger_errors_total"), "poll %d: errors counter", poll)
}

// describeFallback checks the state after the last fault poll and
// describes it.
func describeFallback(t *testing.T, e *relEnv, tc relFault) string {
	t.Helper()
	st := e.scaler.Status()
	replicas, err := e.target.Replicas(context.Background())
	require.NoError(t, err)
	if !tc.wantFail {
		assert.Equal(t, int32(relWantReplicas), replicas.Current)
		return "not reached: no poll failed"
	}

	assert.Equal(t, int32(relFallbackReplicas), replicas.Current, "target replicas in fallback")
	assert.Equal(t, scaler.ReasonFallbackExists, st.Condition(scaler.ConditionFallback).Reason, "Fallback reason")
	assert.Equal(t, 1.0, e.metricValue(t, "promscaler_fallback"), "fallback gauge")
	return fmt.Sprintf("poll %d: %d replicas, Fallback %s (%s), errors_total %g, fallback gauge %g",
		relFailureThreshold+1, replicas.Current, st.Condition(scaler.ConditionFallback).Status,
		st.Condition(scaler.ConditionFallback).Reason, e.metricValue(t, "promscaler_trigger_errors_total"),
		e.metricValue(t, "promscaler_fallback"))
}

// recoverFault removes tc's fault from the server and the client.
func recoverFault(e *relEnv, tc relFault) {
	e.srv.ClearFaults()
	if tc.recover != nil {
		tc.recover(e)
	}
}

// recoveryPoll runs the first poll after the fault and checks that the
// HPA decides again on the good value.
func recoveryPoll(t *testing.T, e *relEnv, at time.Time) string {
	t.Helper()
	d := stepAt(t, e, at)

	require.NoError(t, d.Err, "recovery poll")
	st := e.scaler.Status()
	assert.Equal(t, scaler.ActionHPA, d.Action, "recovery action")
	assert.NotNil(t, d.HPA, "the HPA ran")
	assert.Equal(t, int32(relWantReplicas), d.DesiredReplicas, "recovery replicas")
	replicas, err := e.target.Replicas(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int32(relWantReplicas), replicas.Current, "target replicas after recovery")
	assert.Zero(t, d.Triggers[0].Failures, "failures after recovery")
	assert.Zero(t, st.Failures[relTrigger], "status failures after recovery")
	assert.Equal(t, scaler.ConditionFalse, st.Condition(scaler.ConditionFallback).Status, "Fallback condition after recovery")
	assert.Equal(t, 0.0, e.metricValue(t, "promscaler_fallback"), "fallback gauge after recovery")
	return fmt.Sprintf("next poll: %s %d, failures %d, Fallback %s",
		d.Action, d.DesiredReplicas, st.Failures[relTrigger], st.Condition(scaler.ConditionFallback).Status)
}

// measureHeap runs the fault heapRuns times after heapWarmup runs and
// returns the growth of the live heap in bytes. Faults that each take an
// attempt timeout run on a second loop with tc.heapTimeout.
func measureHeap(t *testing.T, e *relEnv, tc relFault, at time.Time) int64 {
	t.Helper()
	if tc.heapTimeout > 0 {
		opts := tc.opts
		opts.timeout = tc.heapTimeout
		e = newRelEnv(t, opts)
		defer e.close()
	}

	failed := 0
	run := func(n int) {
		for range n {
			at = at.Add(relPollInterval)
			// Faults that the previous poll left unused would pile up.
			e.srv.ClearFaults()
			tc.inject(e)
			d, _ := e.scaler.Step(context.Background(), at)
			if d.Err != nil {
				failed++
			}
		}
	}
	run(heapWarmup)
	before := heapAfterGC()
	failed = 0
	run(heapRuns)
	after := heapAfterGC()
	recoverFault(e, tc)

	// An attempt that timed out on the client may reach a loaded server
	// only after the next poll queued its faults and take one of them, so
	// a poll of the slow faults now and then succeeds. Nine in ten must
	// fail for the growth to measure faults.
	if tc.wantFail && failed < heapRuns*9/10 {
		t.Errorf("only %d of %d polls of the memory check failed", failed, heapRuns)
	}
	growth := int64(after) - int64(before)
	assert.Less(t, growth, int64(heapMaxGrown), "live heap growth over %d faults", heapRuns)
	return growth
}

// TestReliabilityRunSurvivesFaults runs the loop's goroutine on a
// simulated clock through a 503 fault: fallback at the threshold, then
// recovery, and no goroutine left after Run returns.
func TestReliabilityRunSurvivesFaults(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ignore := goleak.IgnoreCurrent()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var decisions []scaler.Decision
	var e *relEnv
	onDecision := func(d scaler.Decision) {
		decisions = append(decisions, d)
		switch len(decisions) {
		case 1:
			// Each poll makes three attempts.
			e.srv.Fail(3*(relFailureThreshold+1), http.StatusServiceUnavailable, "")
		case relFailureThreshold + 3:
			cancel()
		}
	}
	e = newRelEnv(t, relOptions{clock: scaler.NewSimulatedClock(relT0, 0), onDecision: onDecision})

	err := e.scaler.Run(ctx)

	require.NoError(t, err, "Run shuts down cleanly")
	require.Len(t, decisions, relFailureThreshold+3)
	var got []string
	for _, d := range decisions {
		got = append(got, fmt.Sprintf("%s %d %s", d.Action, d.DesiredReplicas, d.Time.Sub(relT0)))
	}
	want := []string{"HPA 3 0s", "Hold 3 15s", "Hold 3 30s", "Fallback 4 45s", "HPA 3 1m0s"}
	assert.Equal(t, want, got)
	assert.Zero(t, e.scaler.Status().Failures[relTrigger])
	e.close()
	goleak.VerifyNone(t, ignore)
}
