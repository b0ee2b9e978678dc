package scaler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/promscaler/promscaler/hpa"
)

// hookTarget is a MemoryTarget that calls a function after each read or
// write, so a test can act while a poll is in flight. It can also report
// fixed replicas in place of the MemoryTarget's.
type hookTarget struct {
	*MemoryTarget
	afterRead func()
	afterSet  func()
	report    *hpa.Replicas
}

func (h *hookTarget) Replicas(ctx context.Context) (hpa.Replicas, error) {
	r, err := h.MemoryTarget.Replicas(ctx)
	if h.report != nil {
		r = *h.report
	}
	if f := h.afterRead; f != nil {
		h.afterRead = nil
		f()
	}
	return r, err
}

func (h *hookTarget) SetReplicas(ctx context.Context, replicas int32) error {
	err := h.MemoryTarget.SetReplicas(ctx, replicas)
	if f := h.afterSet; f != nil {
		h.afterSet = nil
		f()
	}
	return err
}

// hookTimeline returns a timeline whose target is a hookTarget at start
// replicas.
func hookTimeline(t *testing.T, cfg Config, start int32) (*timeline, *hookTarget) {
	t.Helper()
	h := &hookTarget{MemoryTarget: NewMemoryTarget(start, nil)}
	cfg.Target = h
	tl := newTimeline(t, cfg, start)
	tl.target = h.MemoryTarget
	return tl, h
}

func setPause(t *testing.T, s *Scaler, p Pause) {
	t.Helper()
	if err := s.SetPause(p); err != nil {
		t.Fatalf("SetPause(%s) error = %v", p, err)
	}
}

func TestSetPauseDuringPoll(t *testing.T) {
	tests := []struct {
		name  string
		start int32
		hook  func(h *hookTarget, change func())
		steps []step
	}{
		{"pause: new count while reading the target", 2,
			func(h *hookTarget, change func()) { h.afterRead = change }, []step{
				{at: 0, want: 2, action: ActionPaused},
				{at: time.Minute, want: 4, action: ActionPaused},
			}},
		{"pause: new count while setting the old one", 5,
			func(h *hookTarget, change func()) { h.afterSet = change }, []step{
				{at: 0, want: 2, action: ActionPaused},
				{at: time.Minute, want: 4, action: ActionPaused},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := guideConfig()
			cfg.Pause = Pause{Replicas: int32Ptr(2)}
			tl, h := hookTimeline(t, cfg, tt.start)
			tt.hook(h, func() { setPause(t, tl.s, Pause{Replicas: int32Ptr(4)}) })
			tl.run(tt.steps)
		})
	}
}

func TestStateWithoutDeletedHPAHistory(t *testing.T) {
	tests := []struct {
		name  string
		pause func(t *testing.T, s *Scaler)
	}{
		{"state: exported while paused", func(t *testing.T, s *Scaler) {}},
		{"state: exported before the unpaused poll", func(t *testing.T, s *Scaler) { setPause(t, s, Pause{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := newTimeline(t, guideConfig(), 5)
			first.poll(step{at: 0, value: 240, want: 5, action: ActionHPA})
			setPause(t, first.s, Pause{Paused: true})
			first.poll(step{at: time.Minute, want: 5, action: ActionPaused})
			tt.pause(t, first.s)
			st := roundTrip(t, first.s.State())

			// A full pause deletes the HPA, so the resumed one starts a new
			// 600 s window at t0+2m rather than keep the one from t0.
			resume(t, guideConfig(), st, 2*time.Minute, 5).run([]step{
				{at: 2 * time.Minute, value: 60, want: 5, action: ActionHPA},
				{at: 11 * time.Minute, value: 60, want: 5, action: ActionHPA},
				{at: 13 * time.Minute, value: 60, want: 2, action: ActionHPA},
			})
		})
	}
}

func TestStepReportsFormulaFailure(t *testing.T) {
	cfg := guideConfig()
	cfg.Triggers = []Trigger{{Name: "load", Threshold: 1}, {Name: "pods", Source: constant(0), Threshold: 1}}
	cfg.ScalingModifiers = &ScalingModifiers{Formula: "load / pods", Target: 50}
	logs := &recordingHandler{}
	cfg.Logger = newTestLogger(logs)
	tl := newTimeline(t, cfg, 3)

	d := tl.poll(step{at: 0, value: 140, want: 3, action: ActionHold})
	const cause = "not a finite number"
	if d.Err == nil || !strings.Contains(d.Err.Error(), cause) {
		t.Errorf("Err = %v, want the formula's failure", d.Err)
	}
	if got := tl.s.Status().Condition(ConditionReady); !strings.Contains(got.Message, cause) {
		t.Errorf("Ready message = %q, want the formula's failure", got.Message)
	}
	if got := logs.count("composite metric failed"); got != 1 {
		t.Errorf("%d records of the composite failure, want 1\n%s", got, logs.all())
	}
}

func TestStepRejectsNegativeReplicas(t *testing.T) {
	tests := []struct {
		name     string
		replicas hpa.Replicas
		want     string
	}{
		{"target: negative current count", hpa.Replicas{Current: -1, Status: 2, Ready: 2}, "current -1"},
		{"target: negative status count", hpa.Replicas{Current: 2, Status: -3, Ready: 2}, "status -3"},
		{"target: negative ready count", hpa.Replicas{Current: 2, Status: 2, Ready: -4}, "ready -4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := guideConfig()
			cfg.RestoreToOriginalReplicaCount = true
			tl, h := hookTimeline(t, cfg, 2)
			h.report = &tt.replicas

			d := tl.poll(step{at: 0, value: 240, want: 2, action: ActionHold})
			if d.Err == nil || !strings.Contains(d.Err.Error(), tt.want) {
				t.Errorf("Err = %v, want one naming %q", d.Err, tt.want)
			}
			if got := tl.s.Status().Condition(ConditionReady); got.Reason != ReasonErrorGettingCurrentReplicas {
				t.Errorf("Ready = %+v, want ErrorGettingCurrentReplicas", got)
			}
			if st := tl.s.State(); st.OriginalReplicas != nil {
				t.Errorf("OriginalReplicas = %d, want none from a rejected read", *st.OriginalReplicas)
			}
		})
	}
}

func TestStepExplainsInvalidMetricsHold(t *testing.T) {
	tests := []struct {
		name  string
		extra []Trigger
		want  string
	}{
		{"hold: the only trigger failed", nil,
			"hold: every metric of the HPA failed, so the workload stays at 3 replicas"},
		{"hold: a failure blocks a scale-down", []Trigger{{Name: "steady", Source: constant(50), Threshold: 50}},
			"hold: a failed trigger keeps the HPA from scaling down, so the workload stays at 3 replicas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := guideConfig()
			cfg.Triggers = append(cfg.Triggers, tt.extra...)
			d := newTimeline(t, cfg, 3).poll(step{at: 0, err: errRefused, want: 3, action: ActionHold})
			if !strings.Contains(d.Explain(), tt.want) {
				t.Errorf("Explain() does not contain %q:\n%s", tt.want, d.Explain())
			}
		})
	}
}

func TestConditionsActivationWithFailedTrigger(t *testing.T) {
	cfg := zeroConfig()
	cfg.Triggers = append(cfg.Triggers, Trigger{Name: "steady", Source: constant(100), Threshold: 50})
	tl := newTimeline(t, cfg, 0)

	// The executor activates from zero before it looks at errors, so Ready
	// stays True in that poll.
	tl.poll(step{at: 0, err: errRefused, want: 1, action: ActionActivate})
	st := tl.s.Status()
	checkConditions(t, "t0", st, map[ConditionType]conditionWant{
		ConditionReady:  {ConditionTrue, ReasonScaledObjectReady},
		ConditionActive: {ConditionTrue, ReasonScalerActive},
	})
	wantMessage := `trigger "s0-prometheus" failed 1 time in a row: connection refused`
	if msg := st.Condition(ConditionReady).Message; msg != wantMessage {
		t.Errorf("Ready message = %q, want %q", msg, wantMessage)
	}
	tl.poll(step{at: time.Minute, err: errRefused, want: 2, action: ActionHPA})
	checkConditions(t, "t0+1m", tl.s.Status(), map[ConditionType]conditionWant{
		ConditionReady: {ConditionUnknown, ReasonPartialTriggerError},
	})
}

func TestConditionsPausedPollReadsNoTrigger(t *testing.T) {
	cfg := guideConfig()
	cfg.Pause = Pause{Paused: true}
	tl := newTimeline(t, cfg, 2)
	tl.poll(step{at: 0, want: 2, action: ActionPaused})
	if got := tl.s.Status().Condition(ConditionReady); got.Status != ConditionTrue || strings.Contains(got.Message, "trigger were read") {
		t.Errorf("Ready = %+v, want True without a claim that triggers were read", got)
	}
}

func TestConfigReservesCompositeName(t *testing.T) {
	cfg := guideConfig()
	cfg.Target = NewMemoryTarget(1, nil)
	cfg.Triggers = []Trigger{
		{Name: CompositeMetricName, Source: constant(1), Threshold: 1},
		{Name: "load", Source: constant(1), Threshold: 1},
	}
	cfg.ScalingModifiers = &ScalingModifiers{Formula: "load", Target: 1}
	want := `trigger "composite-metric": the name is the composite metric's`
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Validate() = %v, want one containing %q", err, want)
	}
}

func TestStepExplainsNegativeValueUnread(t *testing.T) {
	tests := []struct {
		name  string
		cfg   func() Config
		start int32
		st    step
	}{
		{"negative: the composite metric replaces it", func() Config {
			cfg := guideConfig()
			cfg.Triggers = []Trigger{{Name: "load", Threshold: 1}, {Name: "base", Source: constant(100), Threshold: 1}}
			cfg.ScalingModifiers = &ScalingModifiers{Formula: "load + base", Target: 50}
			return cfg
		}, 2, step{at: 0, value: -20, want: 2, action: ActionHPA}},
		{"negative: the HPA does not run at zero", zeroConfig, 0,
			step{at: 0, value: -20, want: 0, action: ActionIdle}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTimeline(t, tt.cfg(), tt.start).poll(tt.st)
			if strings.Contains(d.Explain(), "proposes 0 replicas") {
				t.Errorf("Explain() claims a proposal the HPA did not make:\n%s", d.Explain())
			}
		})
	}
}

func TestStateKeepsFallbackInProgress(t *testing.T) {
	cfg := guideConfig()
	cfg.Fallback = &Fallback{FailureThreshold: 0, Replicas: 4}
	first := newTimeline(t, cfg, 2)
	first.poll(step{at: 0, err: errRefused, want: 4, action: ActionFallback})
	st := roundTrip(t, first.s.State())

	logs := &recordingHandler{}
	cfg.Logger = newTestLogger(logs)
	second := resume(t, cfg, st, time.Minute, 4)
	second.run([]step{
		{at: time.Minute, err: errRefused, want: 4, action: ActionFallback},
		{at: 2 * time.Minute, value: 200, want: 4, action: ActionHPA},
	})
	if got := logs.count("fallback started"); got != 0 {
		t.Errorf("%d records of a fallback start after the restart, want 0: it started before", got)
	}
	if got := logs.count("fallback ended"); got != 1 {
		t.Errorf("%d records of the fallback end, want 1", got)
	}
}
