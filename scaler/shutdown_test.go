package scaler_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/amp/amptest"
	"github.com/promscaler/promscaler/promql"
	"github.com/promscaler/promscaler/scaler"
)

const (
	// shutdownInterval is the polling interval of the shutdown tests.
	shutdownInterval = 500 * time.Millisecond
	// serverDelay keeps every query in flight far longer than a test runs.
	serverDelay = 10 * time.Second
	// stopBound is the longest wait accepted for Run to return or the
	// server to close on a loaded 2-core machine, well below serverDelay.
	stopBound = 3 * time.Second
)

// errorsSource reads an amp.Source and records the kind of every failure,
// so a test can see that a query in flight ended as canceled.
type errorsSource struct {
	source *amp.Source

	mu    sync.Mutex
	kinds []amp.ErrorKind
}

func (s *errorsSource) Value(ctx context.Context, now time.Time) (float64, error) {
	v, err := s.source.Value(ctx, now)
	if err != nil {
		var ampErr *amp.Error
		kind := amp.ErrorKind("not an *amp.Error: " + err.Error())
		if errors.As(err, &ampErr) {
			kind = ampErr.Kind
		}
		s.mu.Lock()
		s.kinds = append(s.kinds, kind)
		s.mu.Unlock()
	}
	return v, err
}

func (s *errorsSource) errorKinds() []amp.ErrorKind {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]amp.ErrorKind(nil), s.kinds...)
}

// shutdownFixture is an amptest server that returns 140 for every query,
// and a client for it that waits for a delayed response.
type shutdownFixture struct {
	srv    *amptest.Server
	client *amp.Client
}

func newShutdownFixture(t *testing.T) *shutdownFixture {
	t.Helper()
	isolateAWS(t)
	srv, err := amptest.Start(amptest.Config{})
	require.NoError(t, err)
	// Tests close the server before goleak checks. This Cleanup closes it
	// when a test stops early, and a second Close does nothing.
	t.Cleanup(srv.Close)
	srv.HandleQuery(func(amptest.QueryRequest) amptest.Response {
		return amptest.Response{Samples: []amptest.Sample{{Value: 140}}}
	})
	client, err := amp.NewClient(amp.Config{
		ServerAddress: srv.URL(),
		SigV4:         true,
		Region:        srv.Region(),
		Credentials:   srv.Credentials(),
		// The attempt limit is longer than serverDelay, so that only the
		// cancellation can end a delayed query.
		Timeout: 2 * serverDelay,
		Retry:   amp.RetryConfig{MaxAttempts: 1},
	})
	require.NoError(t, err)
	return &shutdownFixture{srv: srv, client: client}
}

// queryOf returns the query of the scaler name, which differs for each
// scaler so that the server's requests show which scaler sent them.
func queryOf(name string) string {
	return fmt.Sprintf(`sum(rate(http_requests_total{scaler=%q}[2m]))`, name)
}

// newScaler returns a scaler of a workload at 1 replica that the query's
// 140 against a threshold of 50 scales to 3.
func (f *shutdownFixture) newScaler(t *testing.T, name string, target scaler.Target, restore bool) (*scaler.Scaler, *errorsSource) {
	t.Helper()
	source, err := amp.NewSource(f.client, queryOf(name), promql.ReduceOptions{})
	require.NoError(t, err)
	recorded := &errorsSource{source: source}
	s, err := scaler.New(scaler.Config{
		Name:                          name,
		Triggers:                      []scaler.Trigger{{Source: recorded, Threshold: 50}},
		Target:                        target,
		PollingInterval:               shutdownInterval,
		MaxReplicaCount:               10,
		RestoreToOriginalReplicaCount: restore,
	})
	require.NoError(t, err)
	return s, recorded
}

// closeServer closes the server and returns how long it waited for the
// requests still open.
func (f *shutdownFixture) closeServer() time.Duration {
	start := time.Now()
	f.srv.Close()
	return time.Since(start)
}

// waitFor polls cond every 10 ms until it holds or stopBound passes. The
// failure message ends with what state returns, when it is set.
func waitFor(t *testing.T, what string, cond func() bool, state func() string) {
	t.Helper()
	deadline := time.Now().Add(stopBound)
	for !cond() {
		if time.Now().After(deadline) {
			detail := ""
			if state != nil {
				detail = ": " + state()
			}
			t.Fatalf("timed out after %v waiting for %s%s", stopBound, what, detail)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func currentReplicas(t *testing.T, target scaler.Target) int32 {
	t.Helper()
	r, err := target.Replicas(context.Background())
	require.NoError(t, err)
	return r.Current
}

func TestManagerRunCancelsQueriesInFlight(t *testing.T) {
	defer goleak.VerifyNone(t)
	f := newShutdownFixture(t)
	m, err := scaler.NewManager(scaler.ManagerConfig{Rand: rand.New(rand.NewPCG(7, 0))})
	require.NoError(t, err)

	const count = 20
	targets := make([]*scaler.MemoryTarget, count)
	sources := make([]*errorsSource, count)
	for i := range count {
		targets[i] = scaler.NewMemoryTarget(1, nil)
		var s *scaler.Scaler
		s, sources[i] = f.newScaler(t, fmt.Sprintf("default/app-%02d", i), targets[i], i%2 == 0)
		require.NoError(t, m.Add(s))
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()

	// Every workload scales from 1 to 3, which sets its original count.
	replicas := func() string {
		var counts []int32
		for _, target := range targets {
			counts = append(counts, currentReplicas(t, target))
		}
		return fmt.Sprintf("replicas %v, %+v", counts, m.Stats())
	}
	waitFor(t, "every target at 3 replicas", func() bool {
		for _, target := range targets {
			if currentReplicas(t, target) != 3 {
				return false
			}
		}
		return true
	}, replicas)
	// A request that the server receives after Delay returns waits the
	// delay, so each scaler with such a request has a query in flight.
	f.srv.Delay(serverDelay)
	received := f.srv.Received()
	waitFor(t, "a delayed query of every scaler", func() bool {
		delayed := map[string]bool{}
		for _, r := range f.srv.Requests()[received:] {
			delayed[r.Query] = true
		}
		for i := range count {
			if !delayed[queryOf(fmt.Sprintf("default/app-%02d", i))] {
				return false
			}
		}
		return true
	}, replicas)
	assert.Equal(t, count, m.Stats().InFlight, "polls in flight before the cancel")

	start := time.Now()
	cancel()
	var runErr error
	select {
	case runErr = <-done:
	case <-time.After(stopBound):
		t.Fatalf("Run did not return within %v of the cancel while %d queries waited %v: %s", stopBound, count, serverDelay, replicas())
	}
	stopped := time.Since(start)
	closed := f.closeServer()

	require.NoError(t, runErr)
	assert.Less(t, closed, stopBound, "time the server waited for open requests")
	for i := range count {
		assert.Contains(t, sources[i].errorKinds(), amp.KindCanceled, "error kinds of scaler %d", i)
		want := int32(3)
		if i%2 == 0 {
			want = 1
		}
		assert.Equal(t, want, currentReplicas(t, targets[i]), "replicas of scaler %d, restoreToOriginalReplicaCount %v", i, i%2 == 0)
	}
	stats := m.Stats()
	assert.Zero(t, stats.Scalers, "scalers after Run")
	assert.Zero(t, stats.FailedPolls, "failed polls: canceled polls do not count")
	t.Logf("Run returned %v after the cancel of %d queries in flight; the server closed in %v; %d polls", stopped, count, closed, stats.Polls)
}

func TestScalerRunCancelsQueryInFlight(t *testing.T) {
	for _, tt := range []struct {
		name    string
		restore bool
	}{
		{"shutdown: restores original count", true},
		{"shutdown: keeps replicas", false},
	} {
		restore := tt.restore
		t.Run(tt.name, func(t *testing.T) {
			defer goleak.VerifyNone(t)
			f := newShutdownFixture(t)
			target := scaler.NewMemoryTarget(1, nil)
			s, source := f.newScaler(t, "default/app", target, restore)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx) }()

			waitFor(t, "the target at 3 replicas", func() bool { return currentReplicas(t, target) == 3 }, nil)
			f.srv.Delay(serverDelay)
			received := f.srv.Received()
			waitFor(t, "a delayed query", func() bool { return f.srv.Received() > received }, nil)

			start := time.Now()
			cancel()
			var runErr error
			select {
			case runErr = <-done:
			case <-time.After(stopBound):
				t.Fatalf("Run did not return within %v of the cancel while the query waited %v", stopBound, serverDelay)
			}
			stopped := time.Since(start)
			closed := f.closeServer()

			require.NoError(t, runErr)
			assert.Less(t, closed, stopBound, "time the server waited for open requests")
			assert.Equal(t, []amp.ErrorKind{amp.KindCanceled}, source.errorKinds(), "error kinds of the source")
			want := map[bool]int32{true: 1, false: 3}[restore]
			assert.Equal(t, want, currentReplicas(t, target), "replicas after Run")
			_, err := s.Step(context.Background(), time.Now())
			assert.ErrorIs(t, err, scaler.ErrShutdown, "Step after Run")
			t.Logf("Run returned %v after the cancel; the server closed in %v", stopped, closed)
		})
	}
}

// faultyTarget is a MemoryTarget whose SetReplicas fails with err, or
// blocks until its context ends, once armed.
type faultyTarget struct {
	*scaler.MemoryTarget
	err   error
	block bool
	armed atomic.Bool
	calls atomic.Int32
}

func (t *faultyTarget) SetReplicas(ctx context.Context, replicas int32) error {
	if !t.armed.Load() {
		return t.MemoryTarget.SetReplicas(ctx, replicas)
	}
	t.calls.Add(1)
	if t.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return t.err
}

var _ scaler.Target = (*faultyTarget)(nil)

func TestScalerRunRestoreWriteFails(t *testing.T) {
	defer goleak.VerifyNone(t)
	f := newShutdownFixture(t)
	errWrite := errors.New("update scale subresource: the server is currently unable to handle the request")
	target := &faultyTarget{MemoryTarget: scaler.NewMemoryTarget(1, nil), err: errWrite}
	s, _ := f.newScaler(t, "default/app", target, true)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitFor(t, "the target at 3 replicas", func() bool { return currentReplicas(t, target) == 3 }, nil)
	target.armed.Store(true)

	start := time.Now()
	cancel()
	var runErr error
	select {
	case runErr = <-done:
	case <-time.After(stopBound):
		t.Fatalf("Run did not return within %v of the cancel while the restore write failed", stopBound)
	}
	stopped := time.Since(start)
	f.closeServer()

	require.ErrorIs(t, runErr, errWrite)
	assert.EqualError(t, runErr, `scaler: restore "default/app" to its original 1 replica: `+errWrite.Error())
	assert.Equal(t, int32(1), target.calls.Load(), "restore writes")
	assert.Equal(t, int32(3), currentReplicas(t, target), "replicas after the failed restore")

	// A later Shutdown tries the write again.
	target.armed.Store(false)
	require.NoError(t, s.Shutdown(context.Background()))
	assert.Equal(t, int32(1), currentReplicas(t, target), "replicas after the second Shutdown")
	t.Logf("Run returned %v after the cancel with the restore error", stopped)
}

func TestManagerRunRestoreWriteBlocks(t *testing.T) {
	defer goleak.VerifyNone(t)
	f := newShutdownFixture(t)
	shutdownTimeout := 300 * time.Millisecond
	m, err := scaler.NewManager(scaler.ManagerConfig{ShutdownTimeout: shutdownTimeout, Rand: rand.New(rand.NewPCG(7, 0))})
	require.NoError(t, err)
	errWrite := errors.New("update scale subresource: forbidden")
	blocked := &faultyTarget{MemoryTarget: scaler.NewMemoryTarget(1, nil), block: true}
	failing := &faultyTarget{MemoryTarget: scaler.NewMemoryTarget(1, nil), err: errWrite}
	restored := &faultyTarget{MemoryTarget: scaler.NewMemoryTarget(1, nil)}
	for name, target := range map[string]*faultyTarget{"default/blocked": blocked, "default/failing": failing, "default/restored": restored} {
		s, _ := f.newScaler(t, name, target, true)
		require.NoError(t, m.Add(s))
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	waitFor(t, "every target at 3 replicas", func() bool {
		return currentReplicas(t, blocked) == 3 && currentReplicas(t, failing) == 3 && currentReplicas(t, restored) == 3
	}, nil)
	blocked.armed.Store(true)
	failing.armed.Store(true)

	start := time.Now()
	cancel()
	var runErr error
	select {
	case runErr = <-done:
	case <-time.After(stopBound):
		t.Fatalf("Run did not return within %v of the cancel with ShutdownTimeout %v and a blocked write", stopBound, shutdownTimeout)
	}
	stopped := time.Since(start)
	f.closeServer()

	require.ErrorIs(t, runErr, context.DeadlineExceeded)
	require.ErrorIs(t, runErr, errWrite)
	assert.EqualError(t, runErr,
		`scaler: shut down "default/blocked": scaler: restore "default/blocked" to its original 1 replica: context deadline exceeded`+"\n"+
			`scaler: shut down "default/failing": scaler: restore "default/failing" to its original 1 replica: `+errWrite.Error())
	assert.GreaterOrEqual(t, stopped, shutdownTimeout, "Run waited for the blocked write until ShutdownTimeout")
	assert.Equal(t, int32(3), currentReplicas(t, blocked), "replicas of the blocked target")
	assert.Equal(t, int32(3), currentReplicas(t, failing), "replicas of the failing target")
	assert.Equal(t, int32(1), currentReplicas(t, restored), "replicas of the working target")
	assert.Zero(t, m.Len(), "scalers after Run")
	t.Logf("Run returned %v after the cancel, with ShutdownTimeout %v", stopped, shutdownTimeout)
}
