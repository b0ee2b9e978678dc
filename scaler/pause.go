package scaler

import (
	"fmt"
	"strings"
	"time"

	"github.com/promscaler/promscaler/hpa"
)

// Pause annotations of a ScaledObject, as the Paused condition names them.
const (
	PausedAnnotation         = "autoscaling.keda.sh/paused"
	PausedReplicasAnnotation = "autoscaling.keda.sh/paused-replicas"
	PausedScaleInAnnotation  = "autoscaling.keda.sh/paused-scale-in"
	PausedScaleOutAnnotation = "autoscaling.keda.sh/paused-scale-out"
)

// SetPause changes the pause state, as editing the pause annotations of a
// ScaledObject does. It takes effect at the next poll:
//   - Paused or Replicas stops polling the triggers; Replicas is set on the
//     target once. Lifting such a pause starts the HPA's history over,
//     because KEDA deletes the HPA while a ScaledObject is paused.
//   - ScaleIn and ScaleOut disable the HPA's scale-down or scale-up
//     (selectPolicy Disabled) and keep its history; ScaleIn also blocks
//     scaling to zero or idle and ScaleOut blocks activation.
//
// It returns an error, and changes nothing, for a negative Replicas.
func (s *Scaler) SetPause(p Pause) error {
	if p.Replicas != nil && *p.Replicas < 0 {
		return fmt.Errorf("scaler: paused replicas %d is negative; use 0 or more", *p.Replicas)
	}
	now := s.clock.Now()

	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.pause
	s.pause = p.clone()
	if old.stopsLoop() && !p.stopsLoop() {
		s.hpaDeleted = true
	}
	if old.ScaleIn != p.ScaleIn || old.ScaleOut != p.ScaleOut {
		s.pauseSpecChanged = true
	}
	if !equalReplicas(old.Replicas, p.Replicas) {
		s.pausedApplied = false
	}
	s.conditions.setPaused(now, s.pause)
	s.cfg.Metrics.setPaused(s.cfg.Name, s.pause.any())
	if old.String() != p.String() {
		s.logger.Info("pause changed", "scaler", s.cfg.Name, "from", old.String(), "to", p.String())
	}
	return nil
}

// syncCalculator rebuilds the calculator after a pause change: empty after
// a full pause, or with its history for a changed scale-in or scale-out
// pause.
func (s *Scaler) syncCalculator(now time.Time) error {
	if s.pause.stopsLoop() || (!s.hpaDeleted && !s.pauseSpecChanged) {
		return nil
	}
	calc, err := hpa.NewCalculator(s.cfg.hpaSpec(s.pause))
	if err != nil {
		return fmt.Errorf("scaler: %w", err)
	}
	if !s.hpaDeleted && s.calcSeeded {
		if err := calc.Restore(now, s.calc.History()); err != nil {
			return fmt.Errorf("scaler: %w", err)
		}
	}
	s.calc, s.calcSeeded = calc, s.calcSeeded && !s.hpaDeleted
	s.hpaDeleted, s.pauseSpecChanged = false, false
	return nil
}

// decidePaused handles a poll under the paused or paused-replicas
// annotation: triggers are not queried, and the paused count is set once.
func (s *Scaler) decidePaused(now time.Time, d *Decision, pause Pause) {
	s.mu.Lock()
	defer s.mu.Unlock()

	d.Action = ActionPaused
	s.conditions.set(now, ConditionReady, ConditionTrue, ReasonScaledObjectReady, pausedReadyMessage)
	current := d.Replicas.Current
	if pause.Replicas == nil || s.pausedApplied || *pause.Replicas == current {
		s.markPausedApplied(pause)
		d.note("paused (%s): the workload stays at %s", pause, replicaCount(current))
		return
	}
	d.DesiredReplicas = *pause.Replicas
	d.note("paused (%s): %d → %d", pause, current, *pause.Replicas)
}

// markPausedApplied records that the paused-replicas count of pause is on
// the target. A count that SetPause changed during the poll stays to be set
// at the next one. The caller holds s.mu.
func (s *Scaler) markPausedApplied(pause Pause) {
	if pause.Replicas != nil && equalReplicas(pause.Replicas, s.pause.Replicas) {
		s.pausedApplied = true
	}
}

// pausedBehavior returns b with the selectPolicy of each paused direction
// set to Disabled, as KEDA writes the HPA. It copies what it changes.
func pausedBehavior(b *hpa.Behavior, p Pause) *hpa.Behavior {
	if !p.ScaleIn && !p.ScaleOut {
		return b
	}
	var out hpa.Behavior
	if b != nil {
		out = *b
	}
	if p.ScaleIn {
		out.ScaleDown = withDisabledSelect(out.ScaleDown)
	}
	if p.ScaleOut {
		out.ScaleUp = withDisabledSelect(out.ScaleUp)
	}
	return &out
}

func withDisabledSelect(rules *hpa.ScalingRules) *hpa.ScalingRules {
	var r hpa.ScalingRules
	if rules != nil {
		r = *rules
	}
	disabled := hpa.DisabledPolicySelect
	r.SelectPolicy = &disabled
	return &r
}

// stopsLoop reports a pause that stops polling the triggers.
func (p Pause) stopsLoop() bool { return p.Paused || p.Replicas != nil }

// any reports any pause, as KEDA's Paused condition does.
func (p Pause) any() bool { return p.stopsLoop() || p.ScaleIn || p.ScaleOut }

func (p Pause) clone() Pause {
	if p.Replicas != nil {
		n := *p.Replicas
		p.Replicas = &n
	}
	return p
}

// String lists the pause annotations in effect, such as
// "autoscaling.keda.sh/paused-replicas: 2", or "none".
func (p Pause) String() string {
	var set []string
	if p.Replicas != nil {
		set = append(set, fmt.Sprintf("%s: %d", PausedReplicasAnnotation, *p.Replicas))
	} else if p.Paused {
		set = append(set, PausedAnnotation)
	}
	if p.ScaleIn {
		set = append(set, PausedScaleInAnnotation)
	}
	if p.ScaleOut {
		set = append(set, PausedScaleOutAnnotation)
	}
	if len(set) == 0 {
		return "none"
	}
	return strings.Join(set, ", ")
}

func equalReplicas(a, b *int32) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
