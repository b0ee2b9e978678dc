package scaler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults of ManagerConfig.
const (
	// DefaultMaxConcurrentPolls bounds the polls a Manager runs at once.
	// A poll mostly waits on the network: 10 000 scalers at a 15 s interval
	// start 667 polls a second, which 64 workers keep up with while a poll
	// takes less than 64 / 667 s, about 96 ms.
	DefaultMaxConcurrentPolls = 64
	// DefaultShutdownTimeout bounds the Shutdown calls when Run stops.
	DefaultShutdownTimeout = 10 * time.Second
	// DefaultTimerSlack lets the scheduler start the polls due within 10 ms
	// together. With 10 000 scalers at a 15 s interval on 2 vCPUs, it cut
	// the CPU time of the scaler process from 18-22 % to 12-13 % of one
	// core. The p99 lateness rose from 1.4-3.7 ms to 11 ms
	// (BenchmarkManager10000Scalers in BENCHMARKS.md).
	DefaultTimerSlack = 10 * time.Millisecond
)

// ManagerConfig configures a Manager. The zero value is ready to use.
type ManagerConfig struct {
	// MaxConcurrentPolls is the number of polls that run at once, and the
	// number of Shutdown calls that run at once when Run stops. Zero means
	// DefaultMaxConcurrentPolls.
	MaxConcurrentPolls int
	// Clock schedules the polls. Nil means SystemClock.
	Clock Clock
	// Rand draws the time of each scaler's first poll. Nil means a
	// generator seeded at random; tests pass a fixed seed. The Manager
	// calls it with its lock held, so it must not be used elsewhere.
	Rand *rand.Rand
	// Logger receives the Manager's start and stop, panics of polls,
	// skipped polls and failed Shutdown calls. Nil discards them. Each
	// Scaler logs its own polls to its own Config.Logger.
	Logger *slog.Logger
	// ShutdownTimeout bounds the context of the Shutdown calls when Run
	// stops. Zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// TimerSlack is how long the scheduler may delay a due poll so that it
	// starts together with others: its timer fires at most once per
	// TimerSlack, and each firing starts every poll due by then. Each wake
	// of the process costs system calls and thread switches, so fewer
	// wakes save CPU time at the cost of up to TimerSlack of lateness. Nil
	// means DefaultTimerSlack; 0 starts each poll at its own time.
	TimerSlack *time.Duration
}

// Validate reports the first field that cannot work.
func (c ManagerConfig) Validate() error {
	if c.MaxConcurrentPolls < 0 {
		return fmt.Errorf("scaler: maxConcurrentPolls %d is negative; use 0 for the default of %d, or a positive number", c.MaxConcurrentPolls, DefaultMaxConcurrentPolls)
	}
	if c.ShutdownTimeout < 0 {
		return fmt.Errorf("scaler: shutdownTimeout %v is negative; use 0 for the default of %v, or a positive duration", c.ShutdownTimeout, DefaultShutdownTimeout)
	}
	if c.TimerSlack != nil && *c.TimerSlack < 0 {
		return fmt.Errorf("scaler: timerSlack %v is negative; use nil for the default of %v, 0 for none, or a positive duration", *c.TimerSlack, DefaultTimerSlack)
	}
	return nil
}

// poller is the part of a Scaler that a Manager uses.
type poller interface {
	Name() string
	PollingInterval() time.Duration
	Step(ctx context.Context, now time.Time) (Decision, error)
	Shutdown(ctx context.Context) error
}

// managerState is the life cycle of a Manager: Run moves it from new to
// running, and from running to stopped when its context is done.
type managerState int

const (
	managerNew managerState = iota
	managerRunning
	managerStopped
)

// Manager polls many scalers from one scheduler goroutine and a fixed pool
// of MaxConcurrentPolls worker goroutines, so its cost does not grow by a
// goroutine or a timer per scaler.
//
// Each scaler's first poll is at a random offset in [0, interval) after it
// is added, or after Run starts for scalers added before, so that scalers
// added together do not poll together. Later polls are at fixed steps of
// the interval from that first time, and Step receives the scheduled time
// as now, so the evaluation times do not drift whatever the delays. A poll
// starts up to TimerSlack late so that polls due close together start
// together, and waits in a backlog while every worker is busy. A scaler is
// never polled twice at once: the steps that pass while its poll waits or
// runs are skipped and counted in ManagerStats.SkippedPolls, and its next
// poll is at the first step not before the end of that poll.
//
// A panic in a poll, such as one in a Source, is recovered, logged with the
// scaler's name and the stack, and counted as a failed poll, and the
// scaler is polled again at its next step. The polls of all scalers share
// the context of Run, so a query in flight is canceled when Run stops. A
// poll has no deadline of its own: a Source that blocks keeps its worker
// until it returns, while amp.Source bounds each attempt with
// amp.Config.Timeout.
//
// The methods are safe for concurrent use. Add and Remove work before and
// during Run. Run can be called once.
type Manager struct {
	maxPolls        int
	clock           Clock
	logger          *slog.Logger
	shutdownTimeout time.Duration
	slack           time.Duration
	// wake signals the scheduler that the next due time may be earlier.
	wake chan struct{}

	mu      sync.Mutex
	rand    *rand.Rand
	state   managerState
	scalers map[string]*managed
	// added are the scalers that wait for the scheduler to pick their
	// first poll time, in the order they were added.
	added   []*managed
	queue   pollQueue
	backlog backlog
	stats   pollCounts
	skipLog skipLog
}

// managed is one scaler of a Manager. Its fields other than p, name and
// interval are guarded by the Manager's mutex.
type managed struct {
	p        poller
	name     string
	interval time.Duration

	// next is the scheduled time of the next poll.
	next time.Time
	// seq orders scalers that are due at the same time by when they were
	// added.
	seq     uint64
	index   int // position in the pollQueue
	phase   pollPhase
	removed bool
	// idle, when set, is closed when the poll in flight ends, for Remove.
	idle chan struct{}
}

// pollPhase is the stage of a managed scaler in its poll cycle.
type pollPhase int

const (
	phaseScheduled pollPhase = iota // waiting for its next time
	phaseQueued                     // due and waiting for a worker
	phasePolling                    // a worker runs its poll
)

// NewManager validates cfg and returns a Manager with no scalers.
func NewManager(cfg ManagerConfig) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}

	m := &Manager{
		maxPolls:        cfg.MaxConcurrentPolls,
		clock:           cfg.Clock,
		logger:          cfg.Logger,
		shutdownTimeout: cfg.ShutdownTimeout,
		slack:           DefaultTimerSlack,
		wake:            make(chan struct{}, 1),
		rand:            cfg.Rand,
		scalers:         map[string]*managed{},
	}
	if m.maxPolls == 0 {
		m.maxPolls = DefaultMaxConcurrentPolls
	}
	if m.clock == nil {
		m.clock = SystemClock{}
	}
	if m.logger == nil {
		m.logger = slog.New(slog.DiscardHandler)
	}
	if m.shutdownTimeout == 0 {
		m.shutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.TimerSlack != nil {
		m.slack = *cfg.TimerSlack
	}
	if m.rand == nil {
		m.rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return m, nil
}

// Add starts polling s, before or during Run. Its first poll is at a
// random offset in [0, s.PollingInterval()). Names must be unique among the
// scalers of a Manager; Add rejects a nil scaler, a name already added, and
// any scaler once Run has stopped.
func (m *Manager) Add(s *Scaler) error {
	if s == nil {
		return errors.New("scaler: manager cannot add a nil scaler; create one with New")
	}
	return m.add(s)
}

func (m *Manager) add(p poller) error {
	name, interval := p.Name(), p.PollingInterval()
	if interval <= 0 {
		return fmt.Errorf("scaler: scaler %q has polling interval %v; it must be positive", name, interval)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state == managerStopped {
		return fmt.Errorf("scaler: cannot add scaler %q because the manager has stopped; create a new Manager", name)
	}
	if _, ok := m.scalers[name]; ok {
		return fmt.Errorf("scaler: manager already has a scaler named %q; give each scaler a unique Config.Name, or Remove the old one first", name)
	}
	e := &managed{p: p, name: name, interval: interval, index: -1}
	m.scalers[name] = e
	m.added = append(m.added, e)
	m.signal()
	m.logger.Debug("scaler added", "scaler", name, "pollingInterval", interval)
	return nil
}

// Remove stops polling the scaler named name, waits for its poll in flight
// to end, and calls its Shutdown with ctx. It returns Shutdown's error.
// When ctx ends before the poll in flight, Remove returns the context's
// error without calling Shutdown; the scaler is removed all the same.
func (m *Manager) Remove(ctx context.Context, name string) error {
	m.mu.Lock()
	e, ok := m.scalers[name]
	switch {
	case !ok && m.state == managerStopped:
		m.mu.Unlock()
		return fmt.Errorf("scaler: cannot remove scaler %q because the manager has stopped, and Run has already shut down and removed every scaler", name)
	case !ok:
		m.mu.Unlock()
		return fmt.Errorf("scaler: manager has no scaler named %q", name)
	}
	delete(m.scalers, name)
	e.removed = true
	var idle chan struct{}
	if e.phase == phasePolling {
		if e.idle == nil {
			e.idle = make(chan struct{})
		}
		idle = e.idle
	}
	m.mu.Unlock()

	if idle != nil {
		select {
		case <-idle:
		case <-ctx.Done():
			return fmt.Errorf("scaler: remove %q: the poll in flight did not end, so Shutdown was not called: %w", name, ctx.Err())
		}
	}
	m.logger.Debug("scaler removed", "scaler", name)
	if err := e.p.Shutdown(ctx); err != nil {
		return fmt.Errorf("scaler: shut down %q: %w", name, err)
	}
	return nil
}

// Len returns the number of scalers that are added and not removed. Run
// removes every scaler when it stops, so Len is 0 after Run returns.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.scalers)
}

// Run polls the scalers until ctx is done. Then it stops scheduling polls,
// cancels the queries in flight through ctx and waits for their polls to
// return, so it stops within one poll of each scaler. Last it calls the
// Shutdown of every scaler that was not removed, MaxConcurrentPolls at a
// time, with a context bounded by ShutdownTimeout, and removes them all,
// so that Len and ManagerStats.Scalers are then 0. Shutdown sets back the
// original replica count of each scaler with RestoreToOriginalReplicaCount,
// also when the host only restarts. It returns the joined
// errors of those calls, or an error when Run was called before. When Run
// returns, none of the Manager's goroutines is left.
//
// NOTE: A Source or Shutdown that ignores its context delays Run until it
// returns.
func (m *Manager) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.state != managerNew {
		m.mu.Unlock()
		return errors.New("scaler: manager Run was already called; a Manager runs once")
	}
	m.state = managerRunning
	count := len(m.scalers)
	m.mu.Unlock()
	m.logger.Info("manager started", "scalers", count, "maxConcurrentPolls", m.maxPolls)

	m.poll(ctx)

	scalers := m.stop()
	err := m.shutdownAll(ctx, scalers)
	stats := m.Stats()
	m.logger.Info("manager stopped", "scalers", len(scalers), "polls", stats.Polls, "failedPolls", stats.FailedPolls,
		"skippedPolls", stats.SkippedPolls)
	return err
}

// poll runs the scheduler and the workers until ctx is done and every
// worker has returned.
func (m *Manager) poll(ctx context.Context) {
	jobs := make(chan *managed)
	var wg sync.WaitGroup
	for range m.maxPolls {
		wg.Go(func() { m.work(ctx, jobs) })
	}
	m.schedule(ctx, jobs)
	wg.Wait()
}

// stop marks the Manager stopped and takes every scaler that was not
// removed, sorted by name.
func (m *Manager) stop() []*managed {
	m.mu.Lock()
	defer m.mu.Unlock()

	m.state = managerStopped
	scalers := make([]*managed, 0, len(m.scalers))
	for _, e := range m.scalers {
		scalers = append(scalers, e)
	}
	clear(m.scalers)
	m.added, m.queue, m.backlog = nil, nil, backlog{}
	slices.SortFunc(scalers, func(a, b *managed) int { return strings.Compare(a.name, b.name) })
	return scalers
}

// shutdownAll calls Shutdown on each scaler, at most maxPolls at once, and
// joins the errors in the order of scalers.
func (m *Manager) shutdownAll(ctx context.Context, scalers []*managed) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.shutdownTimeout)
	defer cancel()

	errs := make([]error, len(scalers))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(m.maxPolls, len(scalers)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = m.shutdown(ctx, scalers[i])
			}
		})
	}
	for i := range scalers {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

func (m *Manager) shutdown(ctx context.Context, e *managed) error {
	if err := e.p.Shutdown(ctx); err != nil {
		m.logger.Error("scaler shutdown failed", "scaler", e.name, "err", err)
		return fmt.Errorf("scaler: shut down %q: %w", e.name, err)
	}
	return nil
}

// signal wakes the scheduler without blocking.
func (m *Manager) signal() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}
