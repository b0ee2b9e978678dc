package scaler

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/promscaler/promscaler/hpa"
)

// StateVersion is the version of the State layout that this package writes
// and reads.
const StateVersion = 1

// State is the memory of a Scaler between polls. A host stores it and
// passes it back in Config.State after a restart, so that stabilization
// windows, cooldown, fallback and restoring the original count continue
// where they were. It round-trips through encoding/json.
type State struct {
	// Version is StateVersion.
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
	// LastPollTime is the time of the last poll, nil before the first.
	LastPollTime *time.Time `json:"lastPollTime,omitempty"`
	// LastActiveTime is the last poll at which the workload was active,
	// nil if it never was.
	LastActiveTime *time.Time `json:"lastActiveTime,omitempty"`
	// History is the HPA's recommendations and scale events. It is empty
	// while the paused or paused-replicas annotation has deleted the HPA.
	History hpa.History `json:"history"`
	// Failures maps trigger names to their consecutive failures; triggers
	// without failures may be left out.
	Failures map[string]int32 `json:"failures,omitempty"`
	// CompositeFailures counts the composite metric's consecutive failures.
	CompositeFailures int32 `json:"compositeFailures,omitempty"`
	// OriginalReplicas is the count at the first successful poll, which
	// Shutdown sets back with RestoreToOriginalReplicaCount.
	OriginalReplicas *int32      `json:"originalReplicas,omitempty"`
	Conditions       []Condition `json:"conditions,omitempty"`
}

// State returns a copy of the scaler's state.
func (s *Scaler) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()

	st := State{
		Version: StateVersion, CreatedAt: s.createdAt,
		CompositeFailures: s.compositeFailures, OriginalReplicas: clonePtr(s.original),
		Conditions: slices.Clone(s.conditions[:]),
	}
	// A full pause deletes the HPA, so its history ends with the pause.
	if !s.hpaDeleted && !s.pause.stopsLoop() {
		st.History = s.calc.History()
	}
	if !s.lastPoll.IsZero() {
		t := s.lastPoll
		st.LastPollTime = &t
	}
	if !s.lastActive.IsZero() {
		t := s.lastActive
		st.LastActiveTime = &t
	}
	for i, name := range s.names {
		if s.failures[i] != 0 {
			if st.Failures == nil {
				st.Failures = make(map[string]int32)
			}
			st.Failures[name] = s.failures[i]
		}
	}
	return st
}

// restore resumes from st after checking it against now and the config.
func (s *Scaler) restore(now time.Time, st State) error {
	if err := s.validateState(now, st); err != nil {
		return err
	}

	if s.cfg.CreatedAt.IsZero() && !st.CreatedAt.IsZero() {
		s.createdAt = st.CreatedAt
	}
	if st.LastPollTime != nil {
		s.lastPoll = *st.LastPollTime
	}
	if st.LastActiveTime != nil {
		s.lastActive = *st.LastActiveTime
	}
	for i, name := range s.names {
		s.failures[i] = st.Failures[name]
	}
	s.compositeFailures = st.CompositeFailures
	s.original = clonePtr(st.OriginalReplicas)
	for _, c := range st.Conditions {
		s.conditions[slices.Index(conditionTypes[:], c.Type)] = c
	}
	// A fallback in progress continues across the restart, so it is not logged as a new one.
	s.inFallback = s.conditions[slices.Index(conditionTypes[:], ConditionFallback)].Status == ConditionTrue

	h := st.History
	if len(h.Recommendations)+len(h.ScaleUpEvents)+len(h.ScaleDownEvents) > 0 {
		if err := s.calc.Restore(now, h); err != nil {
			return fmt.Errorf("scaler: state.history: %w", err)
		}
		s.calcSeeded = true
	}
	return nil
}

// validateState reports the first field of st that this scaler cannot
// resume from, naming it.
func (s *Scaler) validateState(now time.Time, st State) error {
	if st.Version != StateVersion {
		return fmt.Errorf("scaler: state.version %d is not supported; this package reads version %d", st.Version, StateVersion)
	}
	if err := checkStateTime("state.createdAt", st.CreatedAt, now); err != nil {
		return err
	}
	if err := checkOptionalTime("state.lastPollTime", st.LastPollTime, now); err != nil {
		return err
	}
	if err := checkOptionalTime("state.lastActiveTime", st.LastActiveTime, now); err != nil {
		return err
	}
	if err := st.History.Validate(now); err != nil {
		return fmt.Errorf("scaler: state.history: %w", err)
	}
	if err := s.validateFailures(st); err != nil {
		return err
	}
	if o := st.OriginalReplicas; o != nil && *o < 0 {
		return fmt.Errorf("scaler: state.originalReplicas %d is negative; use 0 or more, or leave it out", *o)
	}
	return validateConditions(st.Conditions, now)
}

func (s *Scaler) validateFailures(st State) error {
	for name, n := range st.Failures {
		if !slices.Contains(s.names, name) {
			return fmt.Errorf("scaler: state.failures[%q]: no trigger has this name; the triggers are %s", name, strings.Join(s.names, ", "))
		}
		if n < 0 {
			return fmt.Errorf("scaler: state.failures[%q] %d is negative; use 0 or more", name, n)
		}
	}
	switch {
	case st.CompositeFailures < 0:
		return fmt.Errorf("scaler: state.compositeFailures %d is negative; use 0 or more", st.CompositeFailures)
	case st.CompositeFailures > 0 && s.formula == nil:
		return fmt.Errorf("scaler: state.compositeFailures %d is set, but the config has no scalingModifiers; leave it out", st.CompositeFailures)
	}
	return nil
}

func validateConditions(conds []Condition, now time.Time) error {
	seen := map[ConditionType]bool{}
	for i, c := range conds {
		field := fmt.Sprintf("state.conditions[%d]", i)
		switch {
		case !slices.Contains(conditionTypes[:], c.Type):
			return fmt.Errorf("scaler: %s.type %q is not a condition of a scaler; use Ready, Active, Fallback or Paused", field, c.Type)
		case seen[c.Type]:
			return fmt.Errorf("scaler: %s.type %q appears twice; keep one condition of each type", field, c.Type)
		case c.Status != ConditionTrue && c.Status != ConditionFalse && c.Status != ConditionUnknown:
			return fmt.Errorf("scaler: %s.status %q is invalid; use True, False or Unknown", field, c.Status)
		}
		if err := checkStateTime(field+".lastTransitionTime", c.LastTransitionTime, now); err != nil {
			return err
		}
		seen[c.Type] = true
	}
	return nil
}

func checkOptionalTime(field string, t *time.Time, now time.Time) error {
	if t == nil {
		return nil
	}
	return checkStateTime(field, *t, now)
}

// checkStateTime rejects a time of the state after now, the time of
// Config.Clock.
func checkStateTime(field string, t, now time.Time) error {
	if t.After(now) {
		return fmt.Errorf("scaler: %s %s is after the current time %s of Config.Clock (SystemClock when nil); "+
			"pass a state that this or an earlier scaler exported. If that scaler ran on simulated time, "+
			"pass a simulated Clock in Config.Clock that reads %s or later",
			field, t.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano), t.Format(time.RFC3339Nano))
	}
	return nil
}
