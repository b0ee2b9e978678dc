package scaler

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promscaler/promscaler/hpa"
)

// conditionWant is one condition's expected status and reason.
type conditionWant struct {
	status ConditionStatus
	reason string
}

func checkConditions(t *testing.T, when string, st Status, want map[ConditionType]conditionWant) {
	t.Helper()
	for typ, w := range want {
		got := st.Condition(typ)
		if got.Status != w.status || got.Reason != w.reason {
			t.Errorf("%s: %s = %s %q (%s), want %s %q", when, typ, got.Status, got.Reason, got.Message, w.status, w.reason)
		}
	}
}

func TestConditionsTimeline(t *testing.T) {
	tl := newTimeline(t, zeroConfig(), 2)
	checkConditions(t, "before the first poll", tl.s.Status(), map[ConditionType]conditionWant{
		ConditionReady:    {ConditionUnknown, ""},
		ConditionActive:   {ConditionUnknown, ""},
		ConditionFallback: {ConditionUnknown, ""},
		ConditionPaused:   {ConditionFalse, ReasonScaledObjectUnpaused},
	})

	tl.poll(step{at: 0, value: 80, want: 2, action: ActionHPA})
	checkConditions(t, "t0 active", tl.s.Status(), map[ConditionType]conditionWant{
		ConditionReady:    {ConditionTrue, ReasonScaledObjectReady},
		ConditionActive:   {ConditionTrue, ReasonScalerActive},
		ConditionFallback: {ConditionUnknown, ""},
	})

	tl.poll(step{at: time.Minute, value: 0, want: 1, action: ActionCooldown})
	checkConditions(t, "t0+1m cooling down", tl.s.Status(), map[ConditionType]conditionWant{
		ConditionActive: {ConditionFalse, ReasonScalerCooldown},
	})

	tl.poll(step{at: 2 * time.Minute, err: errRefused, want: 1, action: ActionHold})
	st := tl.s.Status()
	checkConditions(t, "t0+2m failed", st, map[ConditionType]conditionWant{
		ConditionReady:  {ConditionFalse, ReasonTriggerError},
		ConditionActive: {ConditionFalse, ReasonScalerNotActive},
	})
	wantMessage := `trigger "s0-prometheus" failed 1 time in a row: connection refused`
	if msg := st.Condition(ConditionReady).Message; msg != wantMessage {
		t.Errorf("Ready message = %q, want %q", msg, wantMessage)
	}
	if got := st.Condition(ConditionReady).LastTransitionTime; !got.Equal(t0.Add(2 * time.Minute)) {
		t.Errorf("Ready LastTransitionTime = %v, want t0+2m", got)
	}
	if got := st.Condition(ConditionActive).LastTransitionTime; !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("Active LastTransitionTime = %v, want t0+1m, when it became False", got)
	}
}

func TestConditionsPartialTriggerError(t *testing.T) {
	cfg := guideConfig()
	cfg.Triggers = append(cfg.Triggers, Trigger{Name: "steady", Source: constant(100), Threshold: 50})
	tl := newTimeline(t, cfg, 2)
	tl.poll(step{at: 0, err: errRefused, want: 2, action: ActionHPA})
	st := tl.s.Status()
	checkConditions(t, "t0", st, map[ConditionType]conditionWant{
		ConditionReady:  {ConditionUnknown, ReasonPartialTriggerError},
		ConditionActive: {ConditionTrue, ReasonScalerActive},
	})
	wantMessage := `trigger "s0-prometheus" failed 1 time in a row: connection refused`
	if msg := st.Condition(ConditionReady).Message; msg != wantMessage {
		t.Errorf("Ready message = %q, want %q", msg, wantMessage)
	}
}

func TestConditionsTargetReadFailure(t *testing.T) {
	cfg := guideConfig()
	cfg.Target = brokenTarget{}
	tl := newTimeline(t, cfg, 0)
	if _, err := tl.s.Step(context.Background(), t0); err == nil {
		t.Fatal("Step() error = nil, want the target's error")
	}
	checkConditions(t, "t0", tl.s.Status(), map[ConditionType]conditionWant{
		ConditionReady:  {ConditionFalse, ReasonErrorGettingCurrentReplicas},
		ConditionActive: {ConditionUnknown, ""},
	})
}

func TestConditionsFallback(t *testing.T) {
	cfg := guideConfig()
	cfg.Fallback = &Fallback{FailureThreshold: 0, Replicas: 3}
	tl := newTimeline(t, cfg, 2)
	tl.poll(step{at: 0, value: 100, want: 2, action: ActionHPA})
	checkConditions(t, "t0", tl.s.Status(), map[ConditionType]conditionWant{
		ConditionFallback: {ConditionFalse, ReasonNoFallbackFound},
	})
	tl.poll(step{at: time.Minute, err: errRefused, want: 3, action: ActionFallback})
	st := tl.s.Status()
	checkConditions(t, "t0+1m", st, map[ConditionType]conditionWant{
		ConditionReady:    {ConditionTrue, ReasonScaledObjectReady},
		ConditionActive:   {ConditionTrue, ReasonScalerActive},
		ConditionFallback: {ConditionTrue, ReasonFallbackExists},
	})
	wantMessage := `trigger "s0-prometheus" failed 1 time in a row, more than fallback.failureThreshold 0, so it is in fallback: connection refused`
	if msg := st.Condition(ConditionReady).Message; msg != wantMessage {
		t.Errorf("Ready message = %q, want %q", msg, wantMessage)
	}

	tl.poll(step{at: 2 * time.Minute, value: 100, want: 3, action: ActionHPA})
	if msg := tl.s.Status().Condition(ConditionReady).Message; msg != readyMessage {
		t.Errorf("Ready message after a success = %q, want %q", msg, readyMessage)
	}
}

func TestStatusSummary(t *testing.T) {
	tl := newTimeline(t, guideConfig(), 2)
	tl.poll(step{at: 0, value: 140, want: 3, action: ActionHPA})

	got := tl.s.Status().Summary(true)
	want := "" +
		"NAME                                   MIN   MAX   READY   ACTIVE   FALLBACK   PAUSED   TRIGGERS\n" +
		"default/sample-app-prometheus-scaler   1     5     True    True     Unknown    False    prometheus"
	if got != want {
		t.Errorf("Summary(true) =\n%s\nwant\n%s", got, want)
	}
	// Without the header, the columns are as wide as the row alone needs.
	rowOnly := "default/sample-app-prometheus-scaler   1     5     True   True   Unknown   False   prometheus"
	if got := tl.s.Status().Summary(false); got != rowOnly {
		t.Errorf("Summary(false) =\n%s\nwant\n%s", got, rowOnly)
	}
}

func TestWriteStatusTable(t *testing.T) {
	before := newTimeline(t, guideConfig(), 2).s.Status()
	cfg := zeroConfig()
	cfg.Name, cfg.MaxReplicaCount = "jobs/queue", 0
	cfg.Pause = Pause{ScaleIn: true}
	paused := newTimeline(t, cfg, 2).s.Status()

	var b bytes.Buffer
	if err := WriteStatusTable(&b, before, paused); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"NAME                                   MIN   MAX   READY     ACTIVE    FALLBACK   PAUSED   TRIGGERS\n" +
		"default/sample-app-prometheus-scaler   1     5     Unknown   Unknown   Unknown    False    prometheus\n" +
		"jobs/queue                             0     100   Unknown   Unknown   Unknown    True     prometheus\n"
	if b.String() != want {
		t.Errorf("WriteStatusTable() =\n%s\nwant\n%s", b.String(), want)
	}
}

func TestShutdownRestoresOriginalReplicas(t *testing.T) {
	cfg := guideConfig()
	cfg.RestoreToOriginalReplicaCount = true
	flaky := &flakyTarget{MemoryTarget: NewMemoryTarget(2, nil)}
	cfg.Target = flaky
	tl := newTimeline(t, cfg, 2)
	tl.target = flaky.MemoryTarget
	tl.poll(step{at: 0, value: 240, want: 4, action: ActionHPA})

	flaky.setFailing(true)
	if err := tl.s.Shutdown(context.Background()); err == nil || !strings.Contains(err.Error(), "restore") {
		t.Fatalf("Shutdown() with a failing target = %v, want the write error", err)
	}
	flaky.setFailing(false)
	if err := tl.s.Shutdown(context.Background()); err != nil {
		t.Fatalf("second Shutdown() = %v, want nil", err)
	}
	if err := tl.s.Shutdown(context.Background()); err != nil {
		t.Fatalf("third Shutdown() = %v, want nil", err)
	}

	changes := flaky.Changes()
	if len(changes) != 2 || changes[1].To != 2 {
		t.Errorf("changes = %+v, want the scale-up to 4 and one restore to 2", changes)
	}
	if _, err := tl.s.Step(context.Background(), t0.Add(time.Minute)); err != ErrShutdown {
		t.Errorf("Step() after Shutdown = %v, want ErrShutdown", err)
	}
}

func TestShutdownSkipsRestoreAtOriginal(t *testing.T) {
	cfg := guideConfig()
	cfg.RestoreToOriginalReplicaCount = true
	tl := newTimeline(t, cfg, 2)
	tl.poll(step{at: 0, value: 100, want: 2, action: ActionHPA})

	if err := tl.s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown() = %v, want nil", err)
	}
	if changes := tl.target.Changes(); len(changes) != 0 {
		t.Errorf("changes = %+v, want no write to a target already at its original 2 replicas", changes)
	}
}

func TestShutdownRestoresAfterFailedRead(t *testing.T) {
	cfg := guideConfig()
	cfg.RestoreToOriginalReplicaCount = true
	blind := &unreadableTarget{MemoryTarget: NewMemoryTarget(2, nil)}
	cfg.Target = blind
	tl := newTimeline(t, cfg, 2)
	tl.target = blind.MemoryTarget
	tl.poll(step{at: 0, value: 100, want: 2, action: ActionHPA})

	blind.setUnreadable(true)
	if err := tl.s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown() = %v, want nil", err)
	}
	changes := tl.target.Changes()
	if len(changes) != 1 || changes[0].To != 2 {
		t.Errorf("changes = %+v, want one write of the original 2 replicas when the count cannot be read", changes)
	}
}

// unreadableTarget is a MemoryTarget whose reads fail while unreadable is
// set.
type unreadableTarget struct {
	*MemoryTarget
	mu         sync.Mutex
	unreadable bool
}

func (u *unreadableTarget) Replicas(ctx context.Context) (hpa.Replicas, error) {
	u.mu.Lock()
	fail := u.unreadable
	u.mu.Unlock()
	if fail {
		return hpa.Replicas{}, errors.New("the API server timed out")
	}
	return u.MemoryTarget.Replicas(ctx)
}

func (u *unreadableTarget) setUnreadable(fail bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.unreadable = fail
}

func TestShutdownWithoutRestore(t *testing.T) {
	tl := newTimeline(t, guideConfig(), 2)
	tl.poll(step{at: 0, value: 240, want: 4, action: ActionHPA})
	if err := tl.s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r, _ := tl.target.Replicas(context.Background()); r.Current != 4 {
		t.Errorf("replicas = %d after Shutdown, want 4 kept", r.Current)
	}
}
