package scaler

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/promscaler/promscaler/hpa"
)

// roundTrip encodes st as JSON and decodes it, as a host that stores the
// state does.
func roundTrip(t *testing.T, st State) State {
	t.Helper()
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var out State
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Errorf("state changed in a JSON round trip:\n%s\n%s", data, again)
	}
	return out
}

// resume builds a second timeline from cfg and st whose clock starts at
// t0+at, on a target at start replicas.
func resume(t *testing.T, cfg Config, st State, at time.Duration, start int32) *timeline {
	t.Helper()
	tl := &timeline{t: t, clock: NewSimulatedClock(t0.Add(at), 0)}
	tl.target = NewMemoryTarget(start, tl.clock)
	cfg.Triggers[0].Source = sourceFunc(tl.read)
	cfg.Target, cfg.Clock, cfg.State = tl.target, tl.clock, &st
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New() with state error = %v", err)
	}
	tl.s = s
	return tl
}

func TestStateRoundTripKeepsWindow(t *testing.T) {
	first := newTimeline(t, guideConfig(), 3)
	first.run([]step{
		{at: 0, value: 240, want: 5, action: ActionHPA},
		{at: time.Minute, value: 60, want: 5, action: ActionHPA},
	})
	st := roundTrip(t, first.s.State())

	// The recommendation of 5 at t0 leaves the 600 s window after t0+10m,
	// not 600 s after the restart.
	resume(t, guideConfig(), st, 5*time.Minute, 5).run([]step{
		{at: 5 * time.Minute, value: 60, want: 5, action: ActionHPA},
		{at: 11 * time.Minute, value: 60, want: 2, action: ActionHPA},
	})
}

func TestStateRoundTripKeepsCooldown(t *testing.T) {
	first := newTimeline(t, zeroConfig(), 2)
	first.poll(step{at: 0, value: 80, want: 2, action: ActionHPA})
	st := roundTrip(t, first.s.State())
	if st.LastActiveTime == nil || !st.LastActiveTime.Equal(t0) {
		t.Fatalf("LastActiveTime = %v, want t0", st.LastActiveTime)
	}

	// Cooldown counts from the activity at t0, so a new scaler that never
	// saw it would scale to zero a minute after it started.
	resume(t, zeroConfig(), st, 2*time.Minute, 2).run([]step{
		{at: 2 * time.Minute, value: 0, want: 1, action: ActionCooldown},
		{at: 3 * time.Minute, value: 0, want: 1, action: ActionCooldown},
		{at: 5*time.Minute + time.Second, value: 0, want: 0, action: ActionScaleToZero},
	})
}

func TestStateRoundTripKeepsFailuresAndOriginal(t *testing.T) {
	cfg := guideConfig()
	cfg.Fallback = &Fallback{FailureThreshold: 2, Replicas: 4}
	cfg.RestoreToOriginalReplicaCount = true
	first := newTimeline(t, cfg, 2)
	first.run([]step{
		{at: 0, err: errRefused, want: 2, action: ActionHold},
		{at: time.Minute, err: errRefused, want: 2, action: ActionHold},
	})
	st := roundTrip(t, first.s.State())
	if st.Failures["s0-prometheus"] != 2 || st.OriginalReplicas == nil || *st.OriginalReplicas != 2 {
		t.Fatalf("state = %+v, want 2 failures and original replicas 2", st)
	}

	second := resume(t, cfg, st, 2*time.Minute, 2)
	second.poll(step{at: 2 * time.Minute, err: errRefused, want: 4, action: ActionFallback})
	if got := second.s.Status().Condition(ConditionFallback).Reason; got != ReasonFallbackExists {
		t.Errorf("Fallback reason = %q, want %q", got, ReasonFallbackExists)
	}
}

func TestStateRestoreRejects(t *testing.T) {
	later := t0.Add(time.Hour)
	tests := []struct {
		name    string
		mutate  func(*State)
		wantErr string
	}{
		{"version: unknown", func(s *State) { s.Version = 2 }, "state.version 2 is not supported"},
		{"version: missing", func(s *State) { s.Version = 0 }, "state.version 0"},
		{"createdAt: after now", func(s *State) { s.CreatedAt = later }, "state.createdAt 2025-01-22T10:00:00Z is after the current time"},
		{"createdAt: simulated time hint", func(s *State) { s.CreatedAt = later }, "pass a simulated Clock in Config.Clock"},
		{"lastActiveTime: after now", func(s *State) { s.LastActiveTime = &later }, "state.lastActiveTime"},
		{"lastPollTime: after now", func(s *State) { s.LastPollTime = &later }, "state.lastPollTime"},
		{"history: after now", func(s *State) {
			s.History.Recommendations = []hpa.Recommendation{{Time: later, Replicas: 3}}
		}, "state.history: hpa: recommendations[0].time"},
		{"failures: unknown trigger", func(s *State) { s.Failures = map[string]int32{"s1-prometheus": 1} },
			`state.failures["s1-prometheus"]: no trigger has this name; the triggers are s0-prometheus`},
		{"failures: negative", func(s *State) { s.Failures = map[string]int32{"s0-prometheus": -1} }, "is negative"},
		{"compositeFailures: without modifiers", func(s *State) { s.CompositeFailures = 2 }, "no scalingModifiers"},
		{"originalReplicas: negative", func(s *State) { s.OriginalReplicas = int32Ptr(-1) }, "state.originalReplicas -1"},
		{"conditions: unknown type", func(s *State) { s.Conditions[0].Type = "Healthy" }, `state.conditions[0].type "Healthy"`},
		{"conditions: twice", func(s *State) { s.Conditions[1].Type = ConditionReady }, "appears twice"},
		{"conditions: bad status", func(s *State) { s.Conditions[0].Status = "Yes" }, `state.conditions[0].status "Yes"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := newTimeline(t, guideConfig(), 2)
			first.poll(step{at: 0, value: 140, want: 3, action: ActionHPA})
			st := first.s.State()
			tt.mutate(&st)

			cfg := guideConfig()
			cfg.Triggers[0].Source = constant(1)
			cfg.Target, cfg.Clock, cfg.State = NewMemoryTarget(3, nil), NewSimulatedClock(t0.Add(time.Minute), 0), &st
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
