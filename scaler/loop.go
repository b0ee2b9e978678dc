package scaler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/promscaler/promscaler/hpa"
)

// reading is one trigger's result, taken without holding the lock.
type reading struct {
	value   float64
	err     error
	latency time.Duration
}

// Step runs one poll at now: read the target, read every trigger, decide as
// KEDA's executor and the HPA would, and set the target's replicas if they
// change. It returns the decision and its Err. The time must not go back
// from the previous poll's. A poll that ctx stops changes nothing, and after
// Shutdown, Step returns ErrShutdown.
func (s *Scaler) Step(ctx context.Context, now time.Time) (Decision, error) {
	d := Decision{Time: now, Action: ActionHold}
	if ctx.Err() != nil {
		return d, s.stopped(ctx, &d)
	}
	if err := s.lockPoll(ctx); err != nil {
		d.Err = fmt.Errorf("scaler: poll %q: %w", s.cfg.Name, err)
		return d, d.Err
	}
	defer s.unlockPoll()

	pause, err := s.beginPoll(now)
	if err != nil {
		d.Err = err
		return d, err
	}
	replicas, err := s.cfg.Target.Replicas(ctx)
	if err != nil && ctx.Err() != nil {
		return d, s.stopped(ctx, &d)
	}
	if err == nil {
		err = checkReplicas(replicas)
	}
	if err != nil {
		s.failTargetRead(now, &d, err)
		s.report(d, pause, false)
		return d, d.Err
	}
	d.Replicas, d.DesiredReplicas = replicas, replicas.Current
	s.recordOriginal(replicas.Current)

	if pause.stopsLoop() {
		s.decidePaused(now, &d, pause)
	} else {
		readings := s.readTriggers(ctx, now)
		if ctx.Err() != nil {
			return d, s.stopped(ctx, &d)
		}
		s.decide(now, &d, readings, pause)
	}

	s.apply(ctx, &d, pause)
	s.report(d, pause, true)
	return d, d.Err
}

// stopped ends a poll cut short by its context. It changes nothing: the
// failures the context caused are not the target's or the triggers' own.
func (s *Scaler) stopped(ctx context.Context, d *Decision) error {
	d.Err = fmt.Errorf("scaler: poll %q stopped: %w", s.cfg.Name, ctx.Err())
	return d.Err
}

// beginPoll checks the poll time, brings the calculator in line with the
// pause annotations, and returns the pause state for this poll.
func (s *Scaler) beginPoll(now time.Time) (Pause, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.shutdown {
		return Pause{}, ErrShutdown
	}
	if now.Before(s.lastPoll) {
		return Pause{}, fmt.Errorf("scaler: poll time %v is before the previous poll at %v; pass times that do not go back",
			now.Format(time.RFC3339Nano), s.lastPoll.Format(time.RFC3339Nano))
	}
	s.lastPoll = now
	if err := s.syncCalculator(now); err != nil {
		return Pause{}, err
	}
	return s.pause.clone(), nil
}

// recordOriginal keeps the count of the first successful read, which
// Shutdown sets back with RestoreToOriginalReplicaCount.
func (s *Scaler) recordOriginal(current int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.original == nil {
		s.original = &current
	}
}

func (s *Scaler) failTargetRead(now time.Time, d *Decision, err error) {
	d.TargetErr = err
	d.Err = fmt.Errorf("scaler: read the replicas of %q: %w", s.cfg.Name, err)
	d.note("hold: reading the target's replicas failed, so nothing changes: %v", err)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.conditions.set(now, ConditionReady, ConditionFalse, ReasonErrorGettingCurrentReplicas,
		"reading the current replica count of the target failed: "+err.Error())
}

// checkReplicas rejects a replica count that no workload can have.
func checkReplicas(r hpa.Replicas) error {
	if r.Current < 0 || r.Status < 0 || r.Ready < 0 {
		return fmt.Errorf("the target reported current %d, status %d, ready %d replicas; a Target must report counts of 0 or more",
			r.Current, r.Status, r.Ready)
	}
	return nil
}

// readTriggers reads every trigger in order. A value that is not a finite
// number counts as a failed read. Each read may take readLimit of
// wall-clock time, so that a hung server or a long Retry-After cannot
// stall the loop and keep fallback from applying.
func (s *Scaler) readTriggers(ctx context.Context, now time.Time) []reading {
	readings := make([]reading, len(s.cfg.Triggers))
	for i, t := range s.cfg.Triggers {
		// Latency is wall-clock time: it measures the query, not the
		// simulated time of the poll.
		start := time.Now()
		readCtx, cancel := context.WithTimeout(ctx, s.readLimit())
		v, err := t.Source.Value(readCtx, now)
		cancel()
		readings[i].latency = time.Since(start)
		if err == nil && !isFinite(v) {
			err = fmt.Errorf("value %v is not a finite number", v)
		}
		if err != nil {
			v = 0
		}
		readings[i].value, readings[i].err = v, err
	}
	return readings
}

// readLimit is the longest a trigger's read may take: the polling
// interval, but at least DefaultPollingInterval, so that a short interval
// does not cut off queries that the source's own timeouts allow.
func (s *Scaler) readLimit() time.Duration {
	return max(s.cfg.pollingInterval(), DefaultPollingInterval)
}

// apply sets the target's replicas when the decision changes them.
func (s *Scaler) apply(ctx context.Context, d *Decision, pause Pause) {
	current := d.Replicas.Current
	if d.DesiredReplicas != current {
		if err := s.cfg.Target.SetReplicas(ctx, d.DesiredReplicas); err != nil {
			d.TargetErr = err
			d.Err = errors.Join(d.Err, fmt.Errorf("scaler: set the replicas of %q to %d: %w", s.cfg.Name, d.DesiredReplicas, err))
			d.note("setting %s failed, so this poll left the workload as it was (%d when read); the last active time, failure counts and conditions are updated all the same: %v",
				replicaCount(d.DesiredReplicas), current, err)
			return
		}
		s.logger.Info("replicas changed", "scaler", s.cfg.Name, "from", current, "to", d.DesiredReplicas, "action", d.Action)
	}

	if d.Action == ActionPaused {
		s.mu.Lock()
		s.markPausedApplied(pause)
		s.mu.Unlock()
	}
}

// report logs the poll, records its metrics and calls the OnDecision hook.
// Metrics that the poll did not measure, such as activity in a paused poll,
// keep their values.
func (s *Scaler) report(d Decision, pause Pause, targetRead bool) {
	name := s.cfg.Name
	for _, t := range d.Triggers {
		s.cfg.Metrics.observeLatency(name, t.Name, t.Latency)
		if t.Err != nil {
			s.cfg.Metrics.countError(name, t.Name)
			s.logger.Error("trigger failed", "scaler", name, "trigger", t.Name, "failures", t.Failures, "inFallback", t.InFallback, "err", t.Err)
			continue
		}
		s.cfg.Metrics.observeValue(name, t.Name, t.Value)
	}
	if c := d.Composite; c != nil && c.Err == nil {
		s.cfg.Metrics.observeValue(name, CompositeMetricName, c.Value)
	} else if c != nil {
		s.logger.Error("composite metric failed", "scaler", name, "failures", c.Failures, "inFallback", c.InFallback, "err", c.Err)
	}
	s.cfg.Metrics.setPaused(name, pause.any())

	if d.TargetErr != nil {
		s.logger.Error("target failed", "scaler", name, "action", d.Action, "err", d.TargetErr)
	}
	if targetRead {
		s.cfg.Metrics.setReplicas(name, d.Replicas.Current, d.DesiredReplicas)
	}
	if d.Triggers != nil {
		s.cfg.Metrics.setActive(name, d.Active)
		s.cfg.Metrics.setFallback(name, d.InFallback)
	}
	s.logger.Debug("poll", "scaler", name, "action", d.Action, "active", d.Active, "inFallback", d.InFallback,
		"current", d.Replicas.Current, "desired", d.DesiredReplicas)

	if s.cfg.OnDecision != nil {
		s.cfg.OnDecision(d)
	}
}
