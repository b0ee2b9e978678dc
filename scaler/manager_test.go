package scaler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var managerStart = time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC)

// funcSource adapts a function to Source.
type funcSource func(ctx context.Context, now time.Time) (float64, error)

func (f funcSource) Value(ctx context.Context, now time.Time) (float64, error) { return f(ctx, now) }

// steady140 is a Source that returns 140 at once.
var steady140 = funcSource(func(context.Context, time.Time) (float64, error) { return 140, nil })

// countingScaler is a Scaler that counts its Shutdown calls and can fail
// them.
type countingScaler struct {
	*Scaler
	shutdowns   atomic.Int32
	shutdownErr error
}

func (c *countingScaler) Shutdown(ctx context.Context) error {
	c.shutdowns.Add(1)
	if c.shutdownErr != nil {
		return c.shutdownErr
	}
	return c.Scaler.Shutdown(ctx)
}

// newTestScaler returns a Scaler of one trigger that reads src, with a
// threshold of 50 and a MemoryTarget at 2 replicas.
func newTestScaler(t *testing.T, name string, interval time.Duration, src Source, clock Clock) *Scaler {
	t.Helper()
	s, err := New(Config{
		Name:            name,
		Triggers:        []Trigger{{Source: src, Threshold: 50}},
		Target:          NewMemoryTarget(2, clock),
		PollingInterval: interval,
		Clock:           clock,
	})
	require.NoError(t, err)
	return s
}

// runManager runs m in a goroutine and returns a function that cancels it
// and returns Run's error.
func runManager(t *testing.T, m *Manager) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return within 5 s of the cancel")
			return nil
		}
	}
}

// eventually fails t unless cond becomes true within 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 5 s waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestManagerConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     ManagerConfig
		wantErr string
	}{
		{name: "accepts: zero value", cfg: ManagerConfig{}},
		{name: "accepts: explicit settings", cfg: ManagerConfig{MaxConcurrentPolls: 8, ShutdownTimeout: time.Second}},
		{name: "rejects: negative maxConcurrentPolls", cfg: ManagerConfig{MaxConcurrentPolls: -1},
			wantErr: "scaler: maxConcurrentPolls -1 is negative; use 0 for the default of 64, or a positive number"},
		{name: "rejects: negative shutdownTimeout", cfg: ManagerConfig{ShutdownTimeout: -time.Second},
			wantErr: "scaler: shutdownTimeout -1s is negative; use 0 for the default of 10s, or a positive duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewManager(tt.cfg)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tt.wantErr)
		})
	}
}

// firstPolls runs n scalers with a 15 s interval on a simulated clock and
// returns the offset of each one's first poll from the start, by index.
func firstPolls(t *testing.T, n int, seed uint64) []time.Duration {
	t.Helper()
	clock := NewSimulatedClock(managerStart, 0)
	m, err := NewManager(ManagerConfig{Clock: clock, Rand: rand.New(rand.NewPCG(seed, 0))})
	require.NoError(t, err)

	var mu sync.Mutex
	offsets := make([]time.Duration, n)
	polled := 0
	for i := range n {
		first := true
		src := funcSource(func(_ context.Context, now time.Time) (float64, error) {
			mu.Lock()
			defer mu.Unlock()
			if first {
				offsets[i], first = now.Sub(managerStart), false
				polled++
			}
			return 140, nil
		})
		require.NoError(t, m.Add(newTestScaler(t, fmt.Sprintf("default/app-%03d", i), 15*time.Second, src, clock)))
	}

	stop := runManager(t, m)
	eventually(t, "every first poll", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return polled == n
	})
	require.NoError(t, stop())
	return offsets
}

func TestManagerSpreadsFirstPolls(t *testing.T) {
	defer goleak.VerifyNone(t)
	const n = 300
	offsets := firstPolls(t, n, 1)

	var perSecond [15]int
	for i, offset := range offsets {
		if offset < 0 || offset >= 15*time.Second {
			t.Fatalf("scaler %d: first poll at t0+%v, want within [t0, t0+15s)", i, offset)
		}
		perSecond[offset/time.Second]++
	}
	// 300 uniform offsets put 20 in each second on average.
	for second, count := range perSecond {
		assert.GreaterOrEqual(t, count, 5, "first polls in [t0+%ds, t0+%ds)", second, second+1)
		assert.LessOrEqual(t, count, 40, "first polls in [t0+%ds, t0+%ds)", second, second+1)
	}
	assert.Equal(t, offsets, firstPolls(t, n, 1), "first polls of a second run with the same seed")
}

func TestManagerPollsAtFixedSteps(t *testing.T) {
	defer goleak.VerifyNone(t)
	clock := NewSimulatedClock(managerStart, 0)
	m, err := NewManager(ManagerConfig{Clock: clock, Rand: rand.New(rand.NewPCG(7, 0))})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var polled []time.Time
	src := funcSource(func(_ context.Context, now time.Time) (float64, error) {
		polled = append(polled, now)
		if len(polled) == 10 {
			cancel()
		}
		return 140, nil
	})
	require.NoError(t, m.Add(newTestScaler(t, "default/app", 15*time.Second, src, clock)))
	require.NoError(t, m.Run(ctx))

	require.Len(t, polled, 10)
	first := polled[0].Sub(managerStart)
	assert.True(t, first >= 0 && first < 15*time.Second, "first poll at t0+%v, want within [t0, t0+15s)", first)
	for i, at := range polled {
		want := polled[0].Add(time.Duration(i) * 15 * time.Second)
		assert.Equal(t, want, at, "poll %d", i)
	}
	stats := m.Stats()
	assert.Equal(t, uint64(10), stats.Polls, "polls")
	assert.Zero(t, stats.SkippedPolls, "skipped polls")
	assert.Zero(t, stats.LatenessMax, "lateness on a simulated clock that fires on time")
}

func TestManagerSkipsStepsOfLongPoll(t *testing.T) {
	clock := NewSimulatedClock(managerStart, 0)
	m, err := NewManager(ManagerConfig{Clock: clock, Rand: rand.New(rand.NewPCG(7, 0))})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var polled []time.Time
	src := funcSource(func(_ context.Context, now time.Time) (float64, error) {
		polled = append(polled, now)
		switch len(polled) {
		case 2:
			// This poll takes 40 s: the steps at +15 s and +30 s pass.
			clock.Advance(40 * time.Second)
		case 3:
			cancel()
		}
		return 140, nil
	})
	require.NoError(t, m.Add(newTestScaler(t, "default/slow", 15*time.Second, src, clock)))
	require.NoError(t, m.Run(ctx))

	require.Len(t, polled, 3)
	assert.Equal(t, 15*time.Second, polled[1].Sub(polled[0]), "second poll after the first")
	assert.Equal(t, 45*time.Second, polled[2].Sub(polled[1]), "third poll after the 40 s poll")
	assert.Equal(t, uint64(2), m.Stats().SkippedPolls, "skipped polls")
}

func TestManagerBoundsConcurrentPolls(t *testing.T) {
	defer goleak.VerifyNone(t)
	const limit = 3
	m, err := NewManager(ManagerConfig{MaxConcurrentPolls: limit})
	require.NoError(t, err)

	var running, maxRunning atomic.Int32
	src := funcSource(func(context.Context, time.Time) (float64, error) {
		now := running.Add(1)
		defer running.Add(-1)
		for {
			seen := maxRunning.Load()
			if now <= seen || maxRunning.CompareAndSwap(seen, now) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		return 140, nil
	})
	// 40 scalers every 20 ms ask for 2 000 polls a second; 3 workers of
	// 2 ms polls serve at most 1 500.
	for i := range 40 {
		require.NoError(t, m.Add(newTestScaler(t, fmt.Sprintf("default/app-%02d", i), 20*time.Millisecond, src, nil)))
	}

	stop := runManager(t, m)
	maxBacklog := 0
	eventually(t, "200 polls", func() bool {
		stats := m.Stats()
		maxBacklog = max(maxBacklog, stats.Backlog)
		assert.LessOrEqual(t, stats.InFlight, limit, "polls in flight")
		return stats.Polls >= 200
	})
	require.NoError(t, stop())

	assert.LessOrEqual(t, maxRunning.Load(), int32(limit), "most concurrent Source calls")
	assert.Equal(t, int32(limit), maxRunning.Load(), "most concurrent Source calls under overload")
	assert.Positive(t, maxBacklog, "backlog under overload")
	assert.Positive(t, m.Stats().SkippedPolls, "skipped polls under overload")
}

func TestManagerAddRemoveDuringRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	m, err := NewManager(ManagerConfig{})
	require.NoError(t, err)
	const interval = 5 * time.Millisecond

	var pollsA, pollsB, pollsB2 atomic.Int32
	counting := func(n *atomic.Int32) Source {
		return funcSource(func(context.Context, time.Time) (float64, error) {
			n.Add(1)
			return 140, nil
		})
	}
	a := &countingScaler{Scaler: newTestScaler(t, "default/a", interval, counting(&pollsA), nil)}
	require.NoError(t, m.add(a))
	stop := runManager(t, m)

	b := &countingScaler{Scaler: newTestScaler(t, "default/b", interval, counting(&pollsB), nil)}
	require.NoError(t, m.add(b))
	eventually(t, "3 polls of the added scaler", func() bool { return pollsB.Load() >= 3 })
	assert.Equal(t, 2, m.Len(), "Len after Add")

	require.NoError(t, m.Remove(context.Background(), "default/b"))
	assert.Equal(t, int32(1), b.shutdowns.Load(), "Shutdown calls of the removed scaler")
	assert.Equal(t, 1, m.Len(), "Len after Remove")
	removedAt := pollsB.Load()
	time.Sleep(10 * interval)
	assert.Equal(t, removedAt, pollsB.Load(), "polls of the removed scaler after Remove")

	b2 := &countingScaler{Scaler: newTestScaler(t, "default/b", interval, counting(&pollsB2), nil)}
	require.NoError(t, m.add(b2), "Add of a removed name")
	eventually(t, "a poll of the scaler added again", func() bool { return pollsB2.Load() >= 1 })

	require.NoError(t, stop())
	assert.Positive(t, pollsA.Load(), "polls of the scaler added before Run")
	assert.Equal(t, int32(1), a.shutdowns.Load(), "Shutdown calls of a scaler at stop")
	assert.Equal(t, int32(1), b.shutdowns.Load(), "Shutdown calls of the removed scaler at stop")
	assert.Equal(t, int32(1), b2.shutdowns.Load(), "Shutdown calls of the scaler added again")
}

// blockingSource is a Source whose polls block until release is closed or
// their context ends.
type blockingSource struct {
	started chan struct{} // receives once per poll
	release chan struct{}
	mu      sync.Mutex
	errs    []error // the context's error when each poll returned
}

func newBlockingSource() *blockingSource {
	return &blockingSource{started: make(chan struct{}, 100), release: make(chan struct{})}
}

func (s *blockingSource) Value(ctx context.Context, _ time.Time) (float64, error) {
	s.started <- struct{}{}
	select {
	case <-s.release:
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, ctx.Err())
	return 140, ctx.Err()
}

func TestManagerRemoveWaitsForPollInFlight(t *testing.T) {
	defer goleak.VerifyNone(t)
	m, err := NewManager(ManagerConfig{})
	require.NoError(t, err)
	src := newBlockingSource()
	s := &countingScaler{Scaler: newTestScaler(t, "default/blocked", 10*time.Millisecond, src, nil)}
	require.NoError(t, m.add(s))
	stop := runManager(t, m)
	<-src.started

	removed := make(chan error, 1)
	go func() { removed <- m.Remove(context.Background(), "default/blocked") }()
	select {
	case err := <-removed:
		t.Fatalf("Remove returned %v while the poll was in flight", err)
	case <-time.After(20 * time.Millisecond):
	}
	assert.Zero(t, s.shutdowns.Load(), "Shutdown calls while the poll is in flight")

	close(src.release)
	require.NoError(t, <-removed)
	assert.Equal(t, int32(1), s.shutdowns.Load(), "Shutdown calls after the poll ended")
	assert.Equal(t, []error{nil}, src.errs, "context errors seen by the poll that Remove waited for")
	require.NoError(t, stop())
	assert.Equal(t, int32(1), s.shutdowns.Load(), "Shutdown calls after Run, of a removed scaler")
}

func TestManagerRemoveTimesOutOnBlockedPoll(t *testing.T) {
	defer goleak.VerifyNone(t)
	m, err := NewManager(ManagerConfig{})
	require.NoError(t, err)
	src := newBlockingSource()
	s := &countingScaler{Scaler: newTestScaler(t, "default/blocked", 10*time.Millisecond, src, nil)}
	require.NoError(t, m.add(s))
	stop := runManager(t, m)
	<-src.started

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err = m.Remove(ctx, "default/blocked")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorContains(t, err, `scaler: remove "default/blocked": the poll in flight did not end, so Shutdown was not called`)
	assert.Zero(t, s.shutdowns.Load(), "Shutdown calls after Remove timed out")
	assert.Zero(t, m.Len(), "Len after Remove timed out")

	require.NoError(t, stop())
	assert.Zero(t, s.shutdowns.Load(), "Shutdown calls at stop of a removed scaler")
}

func TestManagerRemoveUnknownName(t *testing.T) {
	m, err := NewManager(ManagerConfig{})
	require.NoError(t, err)
	err = m.Remove(context.Background(), "default/missing")
	assert.EqualError(t, err, `scaler: manager has no scaler named "default/missing"`)
}

func TestManagerRunRemovesEveryScaler(t *testing.T) {
	m, err := NewManager(ManagerConfig{})
	require.NoError(t, err)
	for _, name := range []string{"default/a", "default/b"} {
		require.NoError(t, m.Add(newTestScaler(t, name, time.Hour, steady140, nil)))
	}
	require.Equal(t, 2, m.Stats().Scalers, "scalers before Run")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, m.Run(ctx))

	assert.Zero(t, m.Stats().Scalers, "scalers after Run")
	assert.Zero(t, m.Len(), "Len after Run")
	err = m.Remove(context.Background(), "default/a")
	assert.EqualError(t, err, `scaler: cannot remove scaler "default/a" because the manager has stopped, and Run has already shut down and removed every scaler`)
}

func TestManagerRunStopsWithinOnePoll(t *testing.T) {
	defer goleak.VerifyNone(t)
	m, err := NewManager(ManagerConfig{ShutdownTimeout: time.Second, Rand: rand.New(rand.NewPCG(5, 0))})
	require.NoError(t, err)
	src := newBlockingSource()
	blocked := &countingScaler{Scaler: newTestScaler(t, "default/blocked", 10*time.Millisecond, src, nil)}
	require.NoError(t, m.add(blocked))
	var idle []*countingScaler
	for i := range 5 {
		s := &countingScaler{Scaler: newTestScaler(t, fmt.Sprintf("default/idle-%d", i), time.Hour, steady140, nil)}
		idle = append(idle, s)
		require.NoError(t, m.add(s))
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	<-src.started
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(time.Second):
		t.Fatal("Run did not return within 1 s of the cancel while a Source blocked")
	}

	assert.Equal(t, []error{context.Canceled}, src.errs, "context error seen by the blocked Source")
	assert.Equal(t, int32(1), blocked.shutdowns.Load(), "Shutdown calls of the blocked scaler")
	for _, s := range idle {
		assert.Equal(t, int32(1), s.shutdowns.Load(), "Shutdown calls of %s, never polled", s.Name())
	}
	assert.Zero(t, m.Len(), "Len after Run returned")
	assert.Zero(t, m.Stats().FailedPolls, "failed polls: a poll the stop cut short has not failed")
}

func TestManagerRunJoinsShutdownErrors(t *testing.T) {
	defer goleak.VerifyNone(t)
	m, err := NewManager(ManagerConfig{})
	require.NoError(t, err)
	errRestore := errors.New("restore replicas: scale subresource unavailable")
	for _, name := range []string{"default/b", "default/a", "default/c"} {
		s := &countingScaler{Scaler: newTestScaler(t, name, time.Hour, steady140, nil)}
		if name != "default/c" {
			s.shutdownErr = errRestore
		}
		require.NoError(t, m.add(s))
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = m.Run(ctx)

	require.ErrorIs(t, err, errRestore)
	want := `scaler: shut down "default/a": restore replicas: scale subresource unavailable` + "\n" +
		`scaler: shut down "default/b": restore replicas: scale subresource unavailable`
	assert.EqualError(t, err, want)
}

func TestManagerRunOnlyOnce(t *testing.T) {
	m, err := NewManager(ManagerConfig{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, m.Run(ctx))

	assert.EqualError(t, m.Run(ctx), "scaler: manager Run was already called; a Manager runs once")
	err = m.Add(newTestScaler(t, "default/late", time.Second, steady140, nil))
	assert.EqualError(t, err, `scaler: cannot add scaler "default/late" because the manager has stopped; create a new Manager`)
}

func TestManagerAddRejects(t *testing.T) {
	m, err := NewManager(ManagerConfig{})
	require.NoError(t, err)
	require.NoError(t, m.Add(newTestScaler(t, "default/app", time.Second, steady140, nil)))

	err = m.Add(newTestScaler(t, "default/app", time.Second, steady140, nil))
	assert.EqualError(t, err, `scaler: manager already has a scaler named "default/app"; give each scaler a unique Config.Name, or Remove the old one first`)
	assert.EqualError(t, m.Add(nil), "scaler: manager cannot add a nil scaler; create one with New")
	assert.Equal(t, 1, m.Len(), "Len after rejected adds")
}

func TestManagerRecoversPanic(t *testing.T) {
	defer goleak.VerifyNone(t)
	clock := NewSimulatedClock(managerStart, 0)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	m, err := NewManager(ManagerConfig{Clock: clock, Logger: logger, Rand: rand.New(rand.NewPCG(3, 0))})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polls := 0
	src := funcSource(func(context.Context, time.Time) (float64, error) {
		polls++
		switch polls {
		case 1:
			panic("index out of range in the test source")
		case 3:
			cancel()
		}
		return 140, nil
	})
	require.NoError(t, m.Add(newTestScaler(t, "default/panicky", 15*time.Second, src, clock)))
	require.NoError(t, m.Run(ctx))

	assert.Equal(t, 3, polls, "polls, the panicked one included")
	stats := m.Stats()
	assert.Equal(t, uint64(1), stats.Panics, "panics")
	assert.Equal(t, uint64(1), stats.FailedPolls, "failed polls")
	assert.Contains(t, logs.String(), `msg="poll panicked" scaler=default/panicky panic="index out of range in the test source"`)
	assert.Contains(t, logs.String(), "manager_test.go", "stack in the log")
}

func TestLatencyHistogramQuantiles(t *testing.T) {
	var h latencyHistogram
	assert.Zero(t, h.quantile(0.99), "quantile of an empty histogram")

	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	h.record(-time.Second) // a clock that went back counts as 0

	tests := []struct {
		q    float64
		want time.Duration
	}{
		{q: 0.5, want: 500 * time.Millisecond},
		{q: 0.99, want: 990 * time.Millisecond},
		{q: 1, want: time.Second},
	}
	for _, tt := range tests {
		got := h.quantile(tt.q)
		assert.GreaterOrEqual(t, got, tt.want-time.Millisecond, "quantile(%v)", tt.q)
		assert.LessOrEqual(t, got, tt.want+tt.want/16, "quantile(%v)", tt.q)
	}
	assert.Equal(t, time.Second, h.max, "max")
	assert.Equal(t, uint64(1001), h.total, "total")
}

func TestLatencyHistogramBucketBounds(t *testing.T) {
	values := []uint64{0, 1, 31, 32, 33, 47, 48, 63, 64, 1000, 123456789, 1 << 41, 1<<42 - 1}
	for _, v := range values {
		i := bucketOf(v)
		upper := bucketUpper(i)
		assert.GreaterOrEqual(t, upper, v, "upper bound of the bucket of %d", v)
		assert.LessOrEqual(t, upper-v, v/16, "width above %d", v)
		if i > 0 {
			assert.Less(t, bucketUpper(i-1), v, "upper bound of the bucket below %d", v)
		}
	}
	assert.Equal(t, histogramBuckets-1, bucketOf(1<<62), "bucket of a duration beyond the range")
	for i := 1; i < histogramBuckets; i++ {
		require.Equal(t, i, bucketOf(bucketUpper(i)), "bucket of the upper bound of bucket %d", i)
		require.Equal(t, i, bucketOf(bucketUpper(i-1)+1), "bucket of the lower bound of bucket %d", i)
	}
}

func TestLatencyHistogramRecordNoAllocs(t *testing.T) {
	var h latencyHistogram
	allocs := testing.AllocsPerRun(1000, func() { h.record(3 * time.Millisecond) })
	assert.Zero(t, allocs, "allocations per record")
}

func TestManagerStatsCountsPolls(t *testing.T) {
	clock := NewSimulatedClock(managerStart, 0)
	m, err := NewManager(ManagerConfig{Clock: clock})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polls := 0
	src := funcSource(func(context.Context, time.Time) (float64, error) {
		polls++
		if polls == 5 {
			cancel()
		}
		if polls%2 == 0 {
			return 0, errors.New("connection refused")
		}
		return 140, nil
	})
	require.NoError(t, m.Add(newTestScaler(t, "default/app", 15*time.Second, src, clock)))
	require.NoError(t, m.Run(ctx))

	stats := m.Stats()
	assert.Equal(t, uint64(5), stats.Polls, "polls, the one the stop cut short included")
	assert.Equal(t, uint64(2), stats.FailedPolls, "failed polls")
	assert.Zero(t, stats.Panics, "panics")
	assert.Zero(t, stats.Backlog, "backlog after Run")
	assert.Zero(t, stats.InFlight, "polls in flight after Run")
	assert.Zero(t, stats.Scalers, "scalers after Run")
	assert.Zero(t, stats.LatenessP99, "p99 lateness on a simulated clock that fires on time")
}

// manualClock is a Clock whose time moves only by AdvanceTo. It keeps the
// deadline of every timer that has not fired.
type manualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []manualTimer
}

type manualTimer struct {
	at time.Time
	ch chan time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, manualTimer{at: c.now.Add(d), ch: ch})
	return ch
}

// AdvanceTo sets the time to at and fires the timers due by then.
func (c *manualClock) AdvanceTo(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = at
	pending := c.timers[:0]
	for _, timer := range c.timers {
		if timer.at.After(at) {
			pending = append(pending, timer)
			continue
		}
		timer.ch <- at
	}
	c.timers = pending
}

// hasTimer reports whether a timer waits for at.
func (c *manualClock) hasTimer(at time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, timer := range c.timers {
		if timer.at.Equal(at) {
			return true
		}
	}
	return false
}

func TestManagerTimerSlack(t *testing.T) {
	const interval = time.Minute
	// The Manager draws the first-poll offsets from Rand in the order of
	// Add, so the same generator predicts them.
	predict := rand.New(rand.NewPCG(11, 0))
	offsetA := time.Duration(predict.Int64N(int64(interval)))
	offsetB := time.Duration(predict.Int64N(int64(interval)))
	first, second := min(offsetA, offsetB), max(offsetA, offsetB)
	gap := second - first

	tests := []struct {
		name  string
		slack time.Duration
		// wantStart is the offset at which the later scaler's first poll
		// starts.
		wantStart time.Duration
	}{
		{name: "delays: second poll to one slack after the first", slack: gap + time.Second, wantStart: first + gap + time.Second},
		{name: "delays: nothing when the slack is shorter than the gap", slack: gap / 2, wantStart: second},
		{name: "delays: nothing without slack", slack: 0, wantStart: second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			clock := &manualClock{now: managerStart}
			m, err := NewManager(ManagerConfig{Clock: clock, Rand: rand.New(rand.NewPCG(11, 0)), TimerSlack: &tt.slack})
			require.NoError(t, err)
			polls := make(chan [2]time.Time, 10) // scheduled and actual start
			src := funcSource(func(_ context.Context, now time.Time) (float64, error) {
				polls <- [2]time.Time{now, clock.Now()}
				return 140, nil
			})
			require.NoError(t, m.Add(newTestScaler(t, "default/a", interval, src, clock)))
			require.NoError(t, m.Add(newTestScaler(t, "default/b", interval, src, clock)))
			stop := runManager(t, m)

			eventually(t, "the timer of the first poll", func() bool { return clock.hasTimer(managerStart.Add(first)) })
			clock.AdvanceTo(managerStart.Add(first))
			got := <-polls
			assert.Equal(t, managerStart.Add(first), got[0], "first poll: scheduled time")
			assert.Equal(t, managerStart.Add(first), got[1], "first poll: start")

			wantStart := managerStart.Add(tt.wantStart)
			eventually(t, "the timer of the second poll", func() bool { return clock.hasTimer(wantStart) })
			clock.AdvanceTo(wantStart)
			got = <-polls
			assert.Equal(t, managerStart.Add(second), got[0], "second poll: scheduled time")
			assert.Equal(t, wantStart, got[1], "second poll: start")

			require.NoError(t, stop())
			assert.Equal(t, tt.wantStart-second, m.Stats().LatenessMax, "most lateness")
		})
	}
}

func TestWakeTime(t *testing.T) {
	due := managerStart.Add(time.Second)
	tests := []struct {
		name     string
		lastFire time.Time
		slack    time.Duration
		want     time.Time
	}{
		{name: "wakes: at due time without slack", lastFire: due.Add(-time.Millisecond), want: due},
		{name: "wakes: at due time past the slack", lastFire: due.Add(-20 * time.Millisecond), slack: 10 * time.Millisecond, want: due},
		{name: "wakes: one slack after last firing", lastFire: due.Add(-4 * time.Millisecond), slack: 10 * time.Millisecond, want: due.Add(6 * time.Millisecond)},
		{name: "wakes: at due time before any firing", slack: 10 * time.Millisecond, want: due},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, wakeTime(due, tt.lastFire, tt.slack))
		})
	}
}
