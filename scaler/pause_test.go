package scaler

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPausedStopsQueries(t *testing.T) {
	var queries atomic.Int32
	cfg := guideConfig()
	cfg.Triggers[0].Source = sourceFunc(func(context.Context, time.Time) (float64, error) {
		queries.Add(1)
		return 400, nil
	})
	cfg.Pause = Pause{Paused: true}
	tl := newTimeline(t, cfg, 2)

	d := tl.poll(step{at: 0, want: 2, action: ActionPaused})
	if queries.Load() != 0 {
		t.Errorf("%d queries while paused, want 0", queries.Load())
	}
	if !strings.Contains(d.Explain(), "paused (autoscaling.keda.sh/paused): the workload stays at 2 replicas") {
		t.Errorf("Explain() = %q, want the paused annotation named", d.Explain())
	}
	if got := tl.s.Status().Condition(ConditionPaused); got.Status != ConditionTrue || got.Reason != ReasonScaledObjectPaused {
		t.Errorf("Paused condition = %+v, want True ScaledObjectPaused", got)
	}

	if err := tl.s.SetPause(Pause{}); err != nil {
		t.Fatal(err)
	}
	tl.poll(step{at: time.Minute, want: 4, action: ActionHPA})
	if got := tl.s.Status().Condition(ConditionPaused); got.Status != ConditionFalse || got.Reason != ReasonScaledObjectUnpaused {
		t.Errorf("Paused condition = %+v, want False ScaledObjectUnpaused", got)
	}
}

func TestPausedReplicasSetOnce(t *testing.T) {
	cfg := guideConfig()
	cfg.Pause = Pause{Replicas: int32Ptr(2)}
	tl := newTimeline(t, cfg, 5)

	tl.poll(step{at: 0, want: 2, action: ActionPaused})
	// A change made by someone else while paused stays.
	if err := tl.target.SetReplicas(context.Background(), 4); err != nil {
		t.Fatal(err)
	}
	tl.poll(step{at: time.Minute, want: 4, action: ActionPaused})

	if err := tl.s.SetPause(Pause{Replicas: int32Ptr(3)}); err != nil {
		t.Fatal(err)
	}
	tl.poll(step{at: 2 * time.Minute, want: 3, action: ActionPaused})
	if got := tl.s.Status().PausedReplicaCount; got == nil || *got != 3 {
		t.Errorf("PausedReplicaCount = %v, want 3", got)
	}
}

func TestPausedScaleInBlocksScaleToZero(t *testing.T) {
	cfg := zeroConfig()
	cfg.CooldownPeriod = durationPtr(0)
	cfg.Pause = Pause{ScaleIn: true}
	tl := newTimeline(t, cfg, 3)
	d := tl.poll(step{at: time.Minute, value: 0, want: 3, action: ActionHPA})
	if !strings.Contains(d.Explain(), "paused-scale-in keeps the workload from going to 0") {
		t.Errorf("Explain() does not name the scale-in pause:\n%s", d.Explain())
	}

	if err := tl.s.SetPause(Pause{}); err != nil {
		t.Fatal(err)
	}
	tl.poll(step{at: 2 * time.Minute, value: 0, want: 0, action: ActionScaleToZero})
}

func TestPausedScaleOutBlocksActivation(t *testing.T) {
	cfg := zeroConfig()
	cfg.Pause = Pause{ScaleOut: true}
	tl := newTimeline(t, cfg, 0)
	tl.poll(step{at: 0, value: 400, want: 0, action: ActionIdle})

	if err := tl.s.SetPause(Pause{}); err != nil {
		t.Fatal(err)
	}
	tl.poll(step{at: time.Minute, value: 400, want: 1, action: ActionActivate})
}

func TestPausedScaleOutDisablesHPAScaleUp(t *testing.T) {
	cfg := guideConfig()
	cfg.Pause = Pause{ScaleOut: true}
	d := newTimeline(t, cfg, 2).poll(step{at: 0, value: 400, want: 2, action: ActionHPA})
	if !strings.Contains(d.Explain(), "behavior.scaleUp.selectPolicy is Disabled") {
		t.Errorf("Explain() does not name the disabled scale-up:\n%s", d.Explain())
	}
}

func TestSetPauseKeepsHPAHistory(t *testing.T) {
	tl := newTimeline(t, guideConfig(), 5)
	tl.poll(step{at: 0, value: 240, want: 5, action: ActionHPA})
	if err := tl.s.SetPause(Pause{ScaleIn: true}); err != nil {
		t.Fatal(err)
	}
	tl.poll(step{at: time.Minute, value: 60, want: 5, action: ActionHPA})
	if err := tl.s.SetPause(Pause{}); err != nil {
		t.Fatal(err)
	}
	// The 600 s window still holds the recommendation of 5 from t0.
	tl.run([]step{
		{at: 2 * time.Minute, value: 60, want: 5, action: ActionHPA},
		{at: 11 * time.Minute, value: 60, want: 2, action: ActionHPA},
	})
}

func TestUnpauseStartsHPAHistoryOver(t *testing.T) {
	tl := newTimeline(t, guideConfig(), 5)
	tl.poll(step{at: 0, value: 240, want: 5, action: ActionHPA})
	if err := tl.s.SetPause(Pause{Paused: true}); err != nil {
		t.Fatal(err)
	}
	tl.poll(step{at: time.Minute, want: 5, action: ActionPaused})
	if err := tl.s.SetPause(Pause{}); err != nil {
		t.Fatal(err)
	}
	tl.poll(step{at: 2 * time.Minute, value: 240, want: 5, action: ActionHPA})

	h := tl.s.State().History
	if len(h.Recommendations) == 0 || h.Recommendations[0].Time.Before(t0.Add(2*time.Minute)) {
		t.Errorf("history after unpause = %+v, want only entries from t0+2m on", h.Recommendations)
	}
}

func TestSetPauseRejectsNegativeReplicas(t *testing.T) {
	tl := newTimeline(t, guideConfig(), 2)
	if err := tl.s.SetPause(Pause{Replicas: int32Ptr(-1)}); err == nil || !strings.Contains(err.Error(), "paused replicas -1") {
		t.Errorf("SetPause(-1) error = %v, want one naming -1", err)
	}
	if got := tl.s.Status().Condition(ConditionPaused).Status; got != ConditionFalse {
		t.Errorf("Paused = %s after a rejected SetPause, want False", got)
	}
}
