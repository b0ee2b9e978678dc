package amp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Defaults of RetryConfig.
const (
	DefaultMaxAttempts    = 3
	DefaultInitialBackoff = 100 * time.Millisecond
	DefaultMaxBackoff     = 2 * time.Second
)

// RetryConfig sets how a query is retried after a retryable failure (see
// IsRetryable). The zero value makes up to DefaultMaxAttempts attempts.
//
// The wait before attempt n+1 is InitialBackoff·2^(n-1), capped at
// MaxBackoff, of which a random half is dropped (jitter) so that many
// clients do not retry in step. A Retry-After header on a retried response,
// usually 429 or 503, is a lower bound on the wait. No wait ends after the
// caller's context deadline: when it would, the query fails at once.
//
// NOTE: without a context deadline, a long Retry-After is waited in full,
// up to maxRetryAfter (24 hours). Pass a context with a deadline to bound a
// query.
type RetryConfig struct {
	// MaxAttempts is the largest number of attempts, the first included.
	// Zero means DefaultMaxAttempts and 1 disables retries.
	MaxAttempts int
	// InitialBackoff is the wait before the second attempt. Zero means
	// DefaultInitialBackoff, or MaxBackoff when that is shorter.
	InitialBackoff time.Duration
	// MaxBackoff caps the computed wait, but not a Retry-After. Zero means
	// DefaultMaxBackoff, or InitialBackoff when that is longer. Validate
	// rejects a MaxBackoff shorter than InitialBackoff.
	MaxBackoff time.Duration

	// Sleep waits for d or until ctx is done, and returns ctx.Err() in the
	// second case. Nil means a timer. Tests set it to record the waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1) that sets the jitter. Nil means
	// math/rand/v2.Float64.
	Rand func() float64
}

func (r RetryConfig) validate() error {
	switch {
	case r.MaxAttempts < 0:
		return fmt.Errorf("amp: invalid Retry.MaxAttempts %d: must be zero (for %d) or positive", r.MaxAttempts, DefaultMaxAttempts)
	case r.InitialBackoff < 0:
		return fmt.Errorf("amp: invalid Retry.InitialBackoff %s: must be zero (for %s) or positive", r.InitialBackoff, DefaultInitialBackoff)
	case r.MaxBackoff < 0:
		return fmt.Errorf("amp: invalid Retry.MaxBackoff %s: must be zero (for %s) or positive", r.MaxBackoff, DefaultMaxBackoff)
	case r.MaxBackoff > 0 && r.InitialBackoff > r.MaxBackoff:
		return fmt.Errorf("amp: Retry.InitialBackoff %s is longer than Retry.MaxBackoff %s, which caps every wait; lower InitialBackoff or raise MaxBackoff", r.InitialBackoff, r.MaxBackoff)
	}
	return nil
}

// withDefaults returns r with every zero field set to its default.
func (r RetryConfig) withDefaults() RetryConfig {
	if r.MaxAttempts == 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	switch {
	case r.InitialBackoff == 0 && r.MaxBackoff == 0:
		r.InitialBackoff, r.MaxBackoff = DefaultInitialBackoff, DefaultMaxBackoff
	case r.InitialBackoff == 0:
		r.InitialBackoff = min(DefaultInitialBackoff, r.MaxBackoff)
	case r.MaxBackoff == 0:
		r.MaxBackoff = max(DefaultMaxBackoff, r.InitialBackoff)
	}
	if r.Sleep == nil {
		r.Sleep = sleep
	}
	if r.Rand == nil {
		r.Rand = rand.Float64
	}
	return r
}

// backoff returns the jittered wait after the failed attempt number
// attempt (1-based).
func (r RetryConfig) backoff(attempt int) time.Duration {
	d := r.InitialBackoff
	for i := 1; i < attempt && d < r.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, r.MaxBackoff)

	half := d / 2
	return half + time.Duration(r.Rand()*float64(d-half))
}

// IsRetryable reports whether err is a transient failure, after which a
// later attempt of the same query may succeed. Transient failures are
// throttling (429), an unavailable server (5xx without a Prometheus
// errorType of another kind), a network error, and an attempt that ran out
// of time before the response was read.
//
// A query the server rejects (bad_data, execution), an authentication
// failure, a server-side query timeout and a canceled query are not
// retryable. IsRetryable does not look at the caller's context: a timeout
// of the caller's own deadline is retryable by kind, but no time is left.
func IsRetryable(err error) bool {
	var qerr *Error
	if !errors.As(err, &qerr) {
		return false
	}
	switch qerr.Kind {
	case KindThrottled, KindUnavailable:
		return true
	case KindTimeout:
		// The Prometheus errorType "timeout" is the server's query timeout,
		// which the next attempt would hit again.
		return qerr.Type == ""
	}
	return false
}

// maxRetryAfter is the longest wait a Retry-After header can request.
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter returns the wait that a Retry-After header value
// requests: delay-seconds or an HTTP-date. An HTTP-date counts from the
// response's Date header when it parses, else from now, so a skewed local
// clock does not change the wait. It returns 0 for an empty or invalid
// value and for a date in the past.
func parseRetryAfter(value, date string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if seconds, err := strconv.ParseInt(value, 10, 64); err == nil {
		if seconds <= 0 {
			return 0
		}
		return time.Duration(min(seconds, int64(maxRetryAfter/time.Second))) * time.Second
	}

	at, err := http.ParseTime(value)
	if err != nil {
		return 0
	}
	if serverNow, err := http.ParseTime(date); err == nil {
		now = serverNow
	}
	return min(max(at.Sub(now), 0), maxRetryAfter)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fitsDeadline reports whether waiting d leaves time before ctx's deadline.
func fitsDeadline(ctx context.Context, d time.Duration, now time.Time) bool {
	deadline, ok := ctx.Deadline()
	return !ok || now.Add(d).Before(deadline)
}
