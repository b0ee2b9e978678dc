package realprom

import (
	"testing"
	"time"
)

// WaitUntil calls check every 100 ms until it returns nil, and fails the
// test with check's last error when timeout passes first. It is for
// conditions that a scrape makes true, such as a query seeing a new value.
func WaitUntil(tb testing.TB, timeout time.Duration, check func() error) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("realprom: condition not met within %v: %v", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
