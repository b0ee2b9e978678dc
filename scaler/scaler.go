package scaler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/promscaler/promscaler/hpa"
)

// shutdownTimeout bounds the Shutdown call that Run makes when its context
// is done.
const shutdownTimeout = 10 * time.Second

// ErrShutdown is returned by Step after Shutdown has succeeded: the scaler
// no longer changes the workload.
var ErrShutdown = errors.New("scaler: the scaler is shut down")

// Source returns the current value of one trigger's metric at now.
type Source interface {
	Value(ctx context.Context, now time.Time) (float64, error)
}

// Target is the workload whose replica count the scaler sets.
type Target interface {
	// Replicas returns the workload's current, existing and ready replicas.
	Replicas(ctx context.Context) (hpa.Replicas, error)
	// SetReplicas sets the workload's replica count.
	SetReplicas(ctx context.Context, replicas int32) error
}

// Clock is the time source of the loop. SystemClock is the wall clock;
// tests and simulations pass their own.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the Clock of the time package.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Scaler polls a workload's triggers and sets its replica count as KEDA and
// the HPA would. Create one with New. All methods are safe for concurrent
// use: polls and Shutdown run one at a time, and Status, State and SetPause
// do not wait for a poll's queries.
type Scaler struct {
	cfg     Config
	clock   Clock
	logger  *slog.Logger
	names   []string
	formula *formula // nil without ScalingModifiers

	// poll holds one token while a poll or Shutdown runs.
	poll chan struct{}

	// mu guards every field below. It is never held during a query or a
	// call on the target.
	mu                sync.Mutex
	calc              *hpa.Calculator
	calcSeeded        bool // calc has made a recommendation or restored a history
	pause             Pause
	pauseSpecChanged  bool // paused-scale-in or paused-scale-out changed since calc was built
	hpaDeleted        bool // a full pause removed the HPA, so its history starts over
	pausedApplied     bool // Pause.Replicas has been set on the target
	createdAt         time.Time
	lastPoll          time.Time
	lastActive        time.Time // zero until the workload is active
	failures          []int32
	compositeFailures int32
	inFallback        bool
	original          *int32
	restored          bool
	shutdown          bool
	conditions        conditions
}

// New validates cfg, resumes from cfg.State when it is set, and returns a
// Scaler. The Paused condition reflects cfg.Pause at once; the other
// conditions are Unknown until the first poll.
func New(cfg Config) (*Scaler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Scaler{cfg: cfg, clock: cfg.Clock, logger: cfg.Logger, names: cfg.triggerNames(), poll: make(chan struct{}, 1)}
	if s.clock == nil {
		s.clock = SystemClock{}
	}
	if s.logger == nil {
		s.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if m := cfg.ScalingModifiers; m != nil {
		f, err := compileFormula(m.Formula, s.names)
		if err != nil {
			return nil, err
		}
		s.formula = f
	}

	now := s.clock.Now()
	s.pause = cfg.Pause.clone()
	s.failures = make([]int32, len(cfg.Triggers))
	calc, err := hpa.NewCalculator(cfg.hpaSpec(s.pause))
	if err != nil {
		return nil, fmt.Errorf("scaler: %w", err)
	}
	s.calc = calc
	s.createdAt = cmpTime(cfg.CreatedAt, now)
	s.conditions = newConditions(now)
	if cfg.State != nil {
		if err := s.restore(now, *cfg.State); err != nil {
			return nil, err
		}
	}
	s.conditions.setPaused(now, s.pause)
	return s, nil
}

// Run polls at once and then every polling interval until ctx is done.
// Cancelling ctx cancels the queries in flight. Run then calls Shutdown
// with a new context bounded by 10 s and returns its error. Failed polls
// are logged and the loop goes on.
//
// Because Run calls Shutdown each time it returns,
// RestoreToOriginalReplicaCount sets the workload back to its original
// count whenever the host stops, such as in a rollout or on SIGTERM. KEDA
// restores the count only when the ScaledObject is deleted. A host that
// wants KEDA's behavior leaves RestoreToOriginalReplicaCount false and,
// when the object is deleted, sets the target to
// Status().OriginalReplicaCount itself. State carries that count across
// restarts.
func (s *Scaler) Run(ctx context.Context) error {
	s.logger.Info("scaler started", "scaler", s.cfg.Name, "pollingInterval", s.cfg.pollingInterval())
	defer s.logger.Info("scaler stopped", "scaler", s.cfg.Name)

	for ctx.Err() == nil {
		// Step reports its errors through the decision, the logger and the
		// OnDecision hook.
		if _, err := s.Step(ctx, s.clock.Now()); errors.Is(err, ErrShutdown) {
			return nil
		}

		select {
		case <-ctx.Done():
		case <-s.clock.After(s.cfg.pollingInterval()):
		}
	}

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	return s.Shutdown(shutdownCtx)
}

// Shutdown ends the scaler's work on the workload, so later polls return
// ErrShutdown. With RestoreToOriginalReplicaCount it sets the count the
// workload had at the first poll, once, and skips the write when a read of
// the target shows that count already. If the write fails, Shutdown
// returns the error and a later call tries again. It waits for a poll in
// flight, or until ctx is done. Run calls it when it returns. Without
// RestoreToOriginalReplicaCount it leaves the replicas as they are.
func (s *Scaler) Shutdown(ctx context.Context) error {
	if err := s.lockPoll(ctx); err != nil {
		return fmt.Errorf("scaler: shut down %q: %w", s.cfg.Name, err)
	}
	defer s.unlockPoll()

	s.mu.Lock()
	original, restored := s.original, s.restored
	s.shutdown = true
	s.mu.Unlock()
	s.cfg.Metrics.forget(s.cfg.Name)
	if !s.cfg.RestoreToOriginalReplicaCount || original == nil || restored {
		return nil
	}

	// A target already at the original count needs no write. When the
	// read fails, the write is made all the same.
	if r, err := s.cfg.Target.Replicas(ctx); err == nil && r.Current == *original {
		s.markRestored()
		s.logger.Info("original replica count already set", "scaler", s.cfg.Name, "replicas", *original)
		return nil
	}
	if err := s.cfg.Target.SetReplicas(ctx, *original); err != nil {
		s.logger.Error("restoring the original replica count failed", "scaler", s.cfg.Name, "replicas", *original, "err", err)
		return fmt.Errorf("scaler: restore %q to its original %s: %w", s.cfg.Name, replicaCount(*original), err)
	}
	s.markRestored()
	s.logger.Info("original replica count restored", "scaler", s.cfg.Name, "replicas", *original)
	return nil
}

func (s *Scaler) markRestored() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restored = true
}

// Name returns the scaler's name from its Config.
func (s *Scaler) Name() string { return s.cfg.Name }

// PollingInterval returns the time between polls, with the default applied.
func (s *Scaler) PollingInterval() time.Duration { return s.cfg.pollingInterval() }

func (s *Scaler) lockPoll(ctx context.Context) error {
	select {
	case s.poll <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Scaler) unlockPoll() { <-s.poll }

// cmpTime returns t, or fallback when t is zero.
func cmpTime(t, fallback time.Time) time.Time {
	if t.IsZero() {
		return fallback
	}
	return t
}
