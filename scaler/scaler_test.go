package scaler

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promscaler/promscaler/hpa"
)

var t0 = time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC)

// sourceFunc adapts a function to Source.
type sourceFunc func(ctx context.Context, now time.Time) (float64, error)

func (f sourceFunc) Value(ctx context.Context, now time.Time) (float64, error) { return f(ctx, now) }

func constant(v float64) Source {
	return sourceFunc(func(context.Context, time.Time) (float64, error) { return v, nil })
}

func durationPtr(d time.Duration) *time.Duration { return &d }

func int32Ptr(n int32) *int32 { return &n }

// step is one poll of a timeline: what every trigger reads at t0+at, and
// the replicas and action expected after it.
type step struct {
	at     time.Duration
	value  float64
	err    error
	want   int32
	action Action
}

// timeline runs polls on a SimulatedClock against a MemoryTarget.
type timeline struct {
	t      *testing.T
	clock  *SimulatedClock
	target *MemoryTarget
	s      *Scaler

	mu      sync.Mutex
	current step
}

// newTimeline builds a scaler from cfg whose triggers all read the current
// step's value, on a target that starts at start replicas.
func newTimeline(t *testing.T, cfg Config, start int32) *timeline {
	t.Helper()
	tl := &timeline{t: t, clock: NewSimulatedClock(t0, 0)}
	tl.target = NewMemoryTarget(start, tl.clock)
	for i := range cfg.Triggers {
		if cfg.Triggers[i].Source == nil {
			cfg.Triggers[i].Source = sourceFunc(tl.read)
		}
	}
	if cfg.Target == nil {
		cfg.Target = tl.target
	}
	cfg.Clock = tl.clock
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	tl.s = s
	return tl
}

func (tl *timeline) read(context.Context, time.Time) (float64, error) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return tl.current.value, tl.current.err
}

// poll runs one step and checks the replicas and the action.
func (tl *timeline) poll(st step) Decision {
	tl.t.Helper()
	tl.mu.Lock()
	tl.current = st
	tl.mu.Unlock()
	tl.clock.Advance(t0.Add(st.at).Sub(tl.clock.Now()))

	d, _ := tl.s.Step(context.Background(), tl.clock.Now())
	r, err := tl.target.Replicas(context.Background())
	if err != nil {
		tl.t.Fatal(err)
	}
	if r.Current != st.want || d.Action != st.action {
		tl.t.Errorf("t0+%v: value %v, err %v: replicas %d after %s, want %d after %s\n%s",
			st.at, st.value, st.err, r.Current, d.Action, st.want, st.action, d.Explain())
	}
	return d
}

func (tl *timeline) run(steps []step) {
	tl.t.Helper()
	for _, st := range steps {
		tl.poll(st)
	}
}

// guideConfig is the ScaledObject of the worked example: threshold 50,
// replicas 1 to 5, a 600 s scale-down window.
func guideConfig() Config {
	return Config{
		Name:                         "default/sample-app-prometheus-scaler",
		Triggers:                     []Trigger{{Threshold: 50, ActivationThreshold: 0}},
		PollingInterval:              60 * time.Second,
		MinReplicaCount:              1,
		MaxReplicaCount:              5,
		DownscaleStabilizationWindow: durationPtr(600 * time.Second),
	}
}

// zeroConfig is guideConfig with minReplicaCount 0, no scale-down window
// and a 300 s cooldown.
func zeroConfig() Config {
	cfg := guideConfig()
	cfg.MinReplicaCount = 0
	cfg.CooldownPeriod = durationPtr(300 * time.Second)
	cfg.DownscaleStabilizationWindow = durationPtr(0)
	return cfg
}

var errRefused = errors.New("connection refused")

func TestStepTimelines(t *testing.T) {
	tests := []struct {
		name  string
		cfg   func() Config
		start int32
		steps []step
	}{
		{"scale up: 140 over 2 replicas gives 3", guideConfig, 2, []step{
			{at: 0, value: 140, want: 3, action: ActionHPA},
			{at: time.Minute, value: 140, want: 3, action: ActionHPA},
		}},
		{"scale up: 1.2 over threshold 0.5 gives 3", func() Config {
			cfg := guideConfig()
			cfg.Triggers[0].Threshold = 0.5
			return cfg
		}, 1, []step{{at: 0, value: 1.2, want: 3, action: ActionHPA}}},
		{"scale down: held by the 600 s window", guideConfig, 5, []step{
			{at: 0, value: 240, want: 5, action: ActionHPA},
			{at: 5 * time.Minute, value: 60, want: 5, action: ActionHPA},
			{at: 10 * time.Minute, value: 60, want: 5, action: ActionHPA},
			{at: 11 * time.Minute, value: 60, want: 2, action: ActionHPA},
		}},
		{"activation: equal to the threshold is inactive", func() Config {
			cfg := zeroConfig()
			cfg.Triggers[0].ActivationThreshold = 10
			return cfg
		}, 0, []step{
			{at: 0, value: 10, want: 0, action: ActionIdle},
			{at: time.Minute, value: 10.5, want: 1, action: ActionActivate},
			{at: 2 * time.Minute, value: 140, want: 3, action: ActionHPA},
		}},
		{"activation: negative threshold counts zero", func() Config {
			cfg := zeroConfig()
			cfg.Triggers[0].ActivationThreshold = -1
			return cfg
		}, 0, []step{{at: 0, value: 0, want: 1, action: ActionActivate}}},
		{"activation: from zero to minReplicaCount", func() Config {
			cfg := guideConfig()
			cfg.MinReplicaCount = 2
			return cfg
		}, 0, []step{{at: 0, value: 1, want: 2, action: ActionActivate}}},
		{"cooldown: zero only strictly after the period", zeroConfig, 2, []step{
			{at: 0, value: 80, want: 2, action: ActionHPA},
			{at: time.Minute, value: 0, want: 1, action: ActionCooldown},
			{at: 5 * time.Minute, value: 0, want: 1, action: ActionCooldown},
			{at: 5*time.Minute + time.Second, value: 0, want: 0, action: ActionScaleToZero},
			{at: 6 * time.Minute, value: 0, want: 0, action: ActionIdle},
			{at: 7 * time.Minute, value: 30, want: 1, action: ActionActivate},
		}},
		{"initial cooldown: keeps a new object at 1", func() Config {
			cfg := zeroConfig()
			cfg.InitialCooldownPeriod = 120 * time.Second
			cfg.CreatedAt = t0
			return cfg
		}, 1, []step{
			{at: 0, value: 0, want: 1, action: ActionCooldown},
			{at: time.Minute, value: 0, want: 1, action: ActionCooldown},
			{at: 2 * time.Minute, value: 0, want: 1, action: ActionCooldown},
			{at: 3 * time.Minute, value: 0, want: 0, action: ActionScaleToZero},
		}},
		{"initial cooldown: default 0 scales to zero", func() Config {
			cfg := zeroConfig()
			cfg.CreatedAt = t0.Add(-time.Hour)
			return cfg
		}, 1, []step{{at: 0, value: 0, want: 0, action: ActionScaleToZero}}},
		{"scale to zero: not with minReplicaCount 1", guideConfig, 1, []step{
			{at: 0, value: 0, want: 1, action: ActionHPA},
			{at: time.Hour, value: 0, want: 1, action: ActionHPA},
		}},
		{"idle: to idleReplicaCount 0 after cooldown", func() Config {
			cfg := zeroConfig()
			cfg.MinReplicaCount, cfg.IdleReplicaCount = 2, int32Ptr(0)
			return cfg
		}, 3, []step{
			{at: 0, value: 100, want: 2, action: ActionHPA},
			{at: time.Minute, value: 0, want: 2, action: ActionCooldown},
			{at: 6 * time.Minute, value: 0, want: 0, action: ActionScaleToIdle},
			{at: 7 * time.Minute, value: 0, want: 0, action: ActionIdle},
			{at: 8 * time.Minute, value: 60, want: 2, action: ActionActivate},
		}},
		{"idle: a count above 0 stays without the HPA", func() Config {
			cfg := zeroConfig()
			cfg.MinReplicaCount, cfg.IdleReplicaCount = 3, int32Ptr(1)
			cfg.CreatedAt = t0.Add(-time.Hour)
			return cfg
		}, 3, []step{
			{at: 0, value: 0, want: 1, action: ActionScaleToIdle},
			{at: time.Minute, value: 0, want: 1, action: ActionIdle},
			{at: 2 * time.Minute, value: 10, want: 3, action: ActionActivate},
		}},
		{"set minimum: inactive below minReplicaCount", func() Config {
			cfg := guideConfig()
			cfg.MinReplicaCount = 2
			return cfg
		}, 0, []step{{at: 0, value: 0, want: 2, action: ActionSetMin}}},
		{"failure: a failing query holds the count", guideConfig, 3, []step{
			{at: 0, err: errRefused, want: 3, action: ActionHold},
			{at: time.Minute, value: 280, want: 5, action: ActionHPA},
		}},
		{"failure: no scale to zero without fallback", zeroConfig, 2, []step{
			{at: 0, value: 80, want: 2, action: ActionHPA},
			{at: time.Minute, err: errRefused, want: 2, action: ActionHold},
			{at: 30 * time.Minute, err: errRefused, want: 2, action: ActionHold},
		}},
		{"failure: a valid scale-up wins over a failure", func() Config {
			cfg := guideConfig()
			cfg.Triggers = append(cfg.Triggers, Trigger{Name: "steady", Source: constant(240), Threshold: 50})
			return cfg
		}, 3, []step{{at: 0, err: errRefused, want: 5, action: ActionHPA}}},
		{"negative: proposes 0 and minReplicaCount applies", func() Config {
			cfg := guideConfig()
			cfg.DownscaleStabilizationWindow = durationPtr(0)
			return cfg
		}, 3, []step{{at: 0, value: -20, want: 1, action: ActionHPA}}},
		{"not a number: NaN is a failed read", guideConfig, 3, []step{
			{at: 0, value: math.NaN(), want: 3, action: ActionHold},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newTimeline(t, tt.cfg(), tt.start).run(tt.steps)
		})
	}
}

func TestStepExplainsWorkedExample(t *testing.T) {
	d := newTimeline(t, guideConfig(), 2).poll(step{at: 0, value: 140, want: 3, action: ActionHPA})

	got := d.Explain()
	want := "s0-prometheus: value 140, threshold 50, activationThreshold 0: active; ceil(140 / 50) = 3\n" +
		"s0-prometheus: ratio = 140 / (50 × 2) = 1.4 → desired = ceil(1.4 × 2) = 3\n" +
		"desired replicas: 3 (current 2, DesiredWithinRange)"
	if got != want {
		t.Errorf("Explain() =\n%s\nwant\n%s", got, want)
	}
}

func TestStepExplainsNegativeValue(t *testing.T) {
	cfg := guideConfig()
	cfg.DownscaleStabilizationWindow = durationPtr(0)
	d := newTimeline(t, cfg, 3).poll(step{at: 0, value: -20, want: 1, action: ActionHPA})

	explain := d.Explain()
	for _, want := range []string{"value -20 (negative; the HPA receives it unchanged", "ceil(-20 / 50) = 0", "TooFewReplicas: 0 → 1"} {
		if !strings.Contains(explain, want) {
			t.Errorf("Explain() lacks %q:\n%s", want, explain)
		}
	}
}

func TestStepExplainsFailure(t *testing.T) {
	d := newTimeline(t, guideConfig(), 2).poll(step{at: 0, err: errRefused, want: 2, action: ActionHold})

	got := d.Explain()
	want := "s0-prometheus: failed 1 time in a row: connection refused\n" +
		"s0-prometheus: invalid, because the read failed\n" +
		"1 of 1 metrics invalid: replicas stay at 2\n" +
		"hold: every metric of the HPA failed, so the workload stays at 2 replicas"
	if got != want {
		t.Errorf("Explain() =\n%s\nwant\n%s", got, want)
	}
	if d.Err == nil || !errors.Is(d.Err, errRefused) {
		t.Errorf("Err = %v, want the source's error", d.Err)
	}
	if d.Replicas.Current != 2 || d.DesiredReplicas != 2 {
		t.Errorf("Replicas.Current = %d, DesiredReplicas = %d, want 2 and 2 (the count kept)", d.Replicas.Current, d.DesiredReplicas)
	}
}

func TestStepExplainsFallback(t *testing.T) {
	cfg := guideConfig()
	cfg.Fallback = &Fallback{FailureThreshold: 3, Replicas: 4}
	tl := newTimeline(t, cfg, 2)
	tl.poll(step{at: 0, value: 100, want: 2, action: ActionHPA})
	tl.poll(step{at: time.Minute, err: errRefused, want: 2, action: ActionHold})

	d := tl.poll(step{at: 2 * time.Minute, err: errRefused, want: 2, action: ActionHold})
	wantBelow := "s0-prometheus: failed 2 times in a row, and fallback applies after 2 more failures (fallback.failureThreshold 3): connection refused"
	if got := strings.Split(d.Explain(), "\n")[0]; got != wantBelow {
		t.Errorf("trigger line below the threshold =\n%s\nwant\n%s", got, wantBelow)
	}

	tl.poll(step{at: 3 * time.Minute, err: errRefused, want: 2, action: ActionHold})
	d = tl.poll(step{at: 4 * time.Minute, err: errRefused, want: 4, action: ActionFallback})
	got := d.Explain()
	want := "s0-prometheus: failed 4 times in a row, more than fallback.failureThreshold 3, so it proposes the fallback count 4 (behavior static: fallback.replicas 4): connection refused\n" +
		"s0-prometheus (fallback metric 4 × 50 = 200): ratio = 200 / (50 × 2) = 2 → desired = ceil(2 × 2) = 4\n" +
		"desired replicas: 4 (current 2, DesiredWithinRange)"
	if got != want {
		t.Errorf("Explain() in fallback =\n%s\nwant\n%s", got, want)
	}
}

func TestStepExplainsCooldown(t *testing.T) {
	initial := func() Config {
		cfg := zeroConfig()
		cfg.InitialCooldownPeriod = 120 * time.Second
		cfg.CreatedAt = t0
		return cfg
	}
	tests := []struct {
		name  string
		cfg   func() Config
		steps []step
		want  string
	}{
		{"cooldown: after the last activity", zeroConfig, []step{
			{at: 0, value: 80, want: 2, action: ActionHPA},
			{at: time.Minute, value: 0, want: 1, action: ActionCooldown},
		}, "cooldown: no trigger is active, so the workload goes to 0 after 2025-01-22T09:05:00Z, " +
			"when the cooldownPeriod of 5m0s since the last activity at 2025-01-22T09:00:00Z has passed"},
		{"cooldown: after creation", initial, []step{
			{at: 0, value: 0, want: 1, action: ActionCooldown},
		}, "cooldown: no trigger is active, so the workload goes to 0 after 2025-01-22T09:02:00Z, " +
			"when the initialCooldownPeriod of 2m0s since the creation at 2025-01-22T09:00:00Z has passed"},
		{"scale to zero: cooldown has passed", zeroConfig, []step{
			{at: 0, value: 80, want: 2, action: ActionHPA},
			{at: 6 * time.Minute, value: 0, want: 0, action: ActionScaleToZero},
		}, "scale to 0: no trigger is active, and the cooldownPeriod of 5m0s since the last activity at " +
			"2025-01-22T09:00:00Z ended at 2025-01-22T09:05:00Z: 2 → 0"},
		{"scale to zero: initial cooldown has passed", initial, []step{
			{at: 3 * time.Minute, value: 0, want: 0, action: ActionScaleToZero},
		}, "scale to 0: no trigger is active, and the initialCooldownPeriod of 2m0s since the creation at " +
			"2025-01-22T09:00:00Z ended at 2025-01-22T09:02:00Z: 1 → 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := newTimeline(t, tt.cfg(), int32(len(tt.steps)))
			var d Decision
			for _, st := range tt.steps {
				d = tl.poll(st)
			}
			lines := strings.Split(d.Explain(), "\n")
			if got := lines[len(lines)-1]; got != tt.want {
				t.Errorf("last line of Explain() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestStepExplainsHPAMinimumOne(t *testing.T) {
	tests := []struct {
		name     string
		cfg      func() Config
		action   Action
		wantNote bool
	}{
		// At t0 = CreatedAt the initial cooldown of 0 s has not passed yet.
		{"minimum: noted with minReplicaCount 0", zeroConfig, ActionCooldown, true},
		{"minimum: not noted with minReplicaCount 1", func() Config {
			cfg := guideConfig()
			cfg.DownscaleStabilizationWindow = durationPtr(0)
			return cfg
		}, ActionHPA, false},
	}
	const note = "minReplicaCount is 0, but the HPA's minReplicas is max(minReplicaCount, 1) = 1"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg()
			cfg.CreatedAt = t0
			d := newTimeline(t, cfg, 3).poll(step{at: 0, value: 0, want: 1, action: tt.action})
			explain := d.Explain()
			if !strings.Contains(explain, "TooFewReplicas: 0 → 1") {
				t.Fatalf("Explain() lacks the TooFewReplicas step:\n%s", explain)
			}
			if got := strings.Contains(explain, note); got != tt.wantNote {
				t.Errorf("Explain() contains the note = %v, want %v:\n%s", got, tt.wantNote, explain)
			}
		})
	}
}

func TestStepCombinesTriggersByMaximum(t *testing.T) {
	cfg := Config{
		Triggers: []Trigger{
			{Name: "low", Source: constant(10), Threshold: 50},
			{Name: "high", Source: constant(400), Threshold: 200, MetricType: hpa.ValueMetricType},
		},
		MaxReplicaCount: 20,
	}
	d := newTimeline(t, cfg, 4).poll(step{at: 0, want: 8, action: ActionHPA})
	if d.DesiredReplicas != 8 {
		t.Errorf("DesiredReplicas = %d, want 8 from the Value trigger (4 × (400 / 200))", d.DesiredReplicas)
	}
}

func TestStepScalingModifiers(t *testing.T) {
	cfg := Config{
		Triggers: []Trigger{
			{Name: "trig_one", Source: constant(60), Threshold: 1},
			{Name: "trig_two", Source: constant(80), Threshold: 1},
		},
		ScalingModifiers: &ScalingModifiers{Formula: "trig_one + trig_two", Target: 50, ActivationTarget: 100},
		MaxReplicaCount:  10,
	}
	d := newTimeline(t, cfg, 0).poll(step{at: 0, want: 1, action: ActionActivate})
	if d.Composite == nil || d.Composite.Value != 140 || !d.Composite.Active {
		t.Fatalf("Composite = %+v, want value 140, active", d.Composite)
	}

	tl := newTimeline(t, cfg, 2)
	d = tl.poll(step{at: 0, want: 3, action: ActionHPA})
	if got := d.HPA.Proposals()[0].Metric.Name; got != CompositeMetricName {
		t.Errorf("HPA metric = %q, want %q alone", got, CompositeMetricName)
	}
	if !strings.Contains(d.Explain(), "composite-metric: trig_one + trig_two = 140, target 50, activationTarget 100: active") {
		t.Errorf("Explain() lacks the composite value:\n%s", d.Explain())
	}
}

func TestStepModifiersBelowActivationTarget(t *testing.T) {
	cfg := Config{
		Triggers: []Trigger{
			{Name: "trig_one", Source: constant(60), Threshold: 1, ActivationThreshold: 1},
			{Name: "trig_two", Source: constant(30), Threshold: 1, ActivationThreshold: 1},
		},
		ScalingModifiers: &ScalingModifiers{Formula: "trig_one + trig_two", Target: 50, ActivationTarget: 100},
	}
	d := newTimeline(t, cfg, 0).poll(step{at: 0, want: 0, action: ActionIdle})
	if d.Active || !d.Triggers[0].Active {
		t.Errorf("Active = %v with trigger active %v, want the composite's activity (false) to decide", d.Active, d.Triggers[0].Active)
	}
}

func TestStepFailedTriggerFailsComposite(t *testing.T) {
	cfg := Config{
		Triggers: []Trigger{
			{Name: "trig_one", Threshold: 1},
			{Name: "trig_two", Source: constant(80), Threshold: 1},
		},
		ScalingModifiers: &ScalingModifiers{Formula: "trig_one + trig_two", Target: 50},
	}
	d := newTimeline(t, cfg, 3).poll(step{at: 0, err: errRefused, want: 3, action: ActionHold})
	if d.Composite.Err == nil || !strings.Contains(d.Composite.Err.Error(), `trigger "trig_one" failed`) {
		t.Errorf("Composite.Err = %v, want it to name trig_one", d.Composite.Err)
	}
}

func TestStepRejectsTimeGoingBack(t *testing.T) {
	tl := newTimeline(t, guideConfig(), 2)
	tl.poll(step{at: time.Minute, value: 100, want: 2, action: ActionHPA})

	_, err := tl.s.Step(context.Background(), t0)
	if err == nil || !strings.Contains(err.Error(), "is before the previous poll") {
		t.Errorf("Step(earlier time) error = %v, want one about the previous poll", err)
	}
}

func TestStepSetReplicasFailure(t *testing.T) {
	cfg := zeroConfig()
	target := &flakyTarget{MemoryTarget: NewMemoryTarget(0, nil), failSet: true}
	cfg.Target = target
	tl := newTimeline(t, cfg, 0)
	tl.current = step{value: 10}

	d, err := tl.s.Step(context.Background(), t0)
	if err == nil || d.TargetErr == nil {
		t.Fatalf("Step() error = %v, TargetErr = %v, want the write error", err, d.TargetErr)
	}
	if d.Action != ActionActivate || d.DesiredReplicas != 1 {
		t.Errorf("Action %s to %d, want Activate to 1 even though the write failed", d.Action, d.DesiredReplicas)
	}
	if got := tl.s.Status().LastActiveTime; got == nil || !got.Equal(t0) {
		t.Errorf("LastActiveTime = %v, want t0 although the write failed", got)
	}
	if !strings.Contains(d.Explain(), "setting 1 replica failed") {
		t.Errorf("Explain() does not mention the failed write:\n%s", d.Explain())
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"no triggers", func(c *Config) { c.Triggers = nil }, "no triggers"},
		{"nil source", func(c *Config) { c.Triggers[0].Source = nil }, `trigger "s0-prometheus": source is nil`},
		{"zero threshold", func(c *Config) { c.Triggers[0].Threshold = 0 }, "threshold 0 must be"},
		{"threshold below one milli", func(c *Config) { c.Triggers[0].Threshold = 0.0005 }, "threshold 0.0005"},
		{"NaN threshold", func(c *Config) { c.Triggers[0].Threshold = math.NaN() }, "threshold NaN"},
		{"NaN activation", func(c *Config) { c.Triggers[0].ActivationThreshold = math.NaN() }, "activationThreshold NaN"},
		{"unknown metric type", func(c *Config) { c.Triggers[0].MetricType = "Utilization" }, `metricType "Utilization"`},
		{"duplicate trigger names", func(c *Config) {
			c.Triggers = append(c.Triggers, Trigger{Name: "s0-prometheus", Source: constant(1), Threshold: 1})
		}, `triggers[0] and triggers[1] are both named "s0-prometheus"`},
		{"nil target", func(c *Config) { c.Target = nil }, "target is nil"},
		{"negative polling", func(c *Config) { c.PollingInterval = -time.Second }, "pollingInterval -1s"},
		{"negative cooldown", func(c *Config) { c.CooldownPeriod = durationPtr(-time.Second) }, "cooldownPeriod -1s"},
		{"negative initial cooldown", func(c *Config) { c.InitialCooldownPeriod = -time.Second }, "initialCooldownPeriod -1s"},
		{"negative min", func(c *Config) { c.MinReplicaCount = -1 }, "minReplicaCount -1"},
		{"max below min", func(c *Config) { c.MinReplicaCount, c.MaxReplicaCount = 5, 3 }, "maxReplicaCount 3"},
		{"idle not below min", func(c *Config) { c.IdleReplicaCount = int32Ptr(0) }, "idleReplicaCount 0 must be 0 or more and below minReplicaCount 0"},
		{"negative paused replicas", func(c *Config) { c.Pause.Replicas = int32Ptr(-1) }, "paused replicas -1"},
		{"negative failure threshold", func(c *Config) { c.Fallback = &Fallback{FailureThreshold: -1} }, "fallback.failureThreshold -1"},
		{"negative fallback replicas", func(c *Config) { c.Fallback = &Fallback{Replicas: -2} }, "fallback.replicas -2"},
		{"unknown fallback behavior", func(c *Config) { c.Fallback = &Fallback{Behavior: "scalingModifiers"} }, `fallback.behavior "scalingModifiers" is not supported`},
		{"modifiers without target", func(c *Config) { c.ScalingModifiers = &ScalingModifiers{Formula: "s0"} }, "scalingModifiers.target 0"},
		{"modifiers with unknown name", func(c *Config) {
			c.ScalingModifiers = &ScalingModifiers{Formula: "nope", Target: 1}
		}, `scalingModifiers.formula`},
		{"negative tolerance", func(c *Config) { v := -0.1; c.Tolerance = &v }, "tolerance -0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Triggers: []Trigger{{Source: constant(0), Threshold: 50}}, Target: NewMemoryTarget(1, nil)}
			tt.mutate(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRunPollsAtTheInterval(t *testing.T) {
	clock := NewSimulatedClock(t0, 0)
	var polled []time.Time
	src := sourceFunc(func(_ context.Context, now time.Time) (float64, error) {
		polled = append(polled, now)
		return 140, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := New(Config{
		Triggers:        []Trigger{{Source: src, Threshold: 50}},
		Target:          NewMemoryTarget(2, clock),
		Clock:           clock,
		PollingInterval: 15 * time.Second,
		OnDecision: func(d Decision) {
			if d.Time.Sub(t0) >= time.Minute {
				cancel()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(ctx); err != nil {
		t.Fatalf("Run() = %v, want nil after cancel", err)
	}
	for i, at := range polled {
		if want := t0.Add(time.Duration(i) * 15 * time.Second); !at.Equal(want) {
			t.Errorf("poll %d at %v, want %v", i, at, want)
		}
	}
	if len(polled) != 5 {
		t.Errorf("polled %d times, want 5 (t0 to t0+60s)", len(polled))
	}
}

func TestSimulatedClockWithSpeedup(t *testing.T) {
	clock := NewSimulatedClock(t0, 6000)
	got := <-clock.After(time.Minute) // 10 ms of real time
	if want := t0.Add(time.Minute); !got.Equal(want) || !clock.Now().Equal(want) {
		t.Errorf("After(1m) fired at %v, clock reads %v, want %v", got, clock.Now(), want)
	}
}

func TestStepTargetReadFailure(t *testing.T) {
	cfg := guideConfig()
	cfg.Target = brokenTarget{}
	tl := newTimeline(t, cfg, 0)
	called := false
	tl.s.cfg.Triggers[0].Source = sourceFunc(func(context.Context, time.Time) (float64, error) {
		called = true
		return 1, nil
	})

	d, err := tl.s.Step(context.Background(), t0)
	if err == nil || d.Action != ActionHold {
		t.Fatalf("Step() = %s, %v; want Hold with the target's error", d.Action, err)
	}
	if called {
		t.Error("the trigger was queried although the target could not be read")
	}
	want := "hold: reading the target's replicas failed, so nothing changes: scale subresource unavailable"
	if got := d.Explain(); got != want {
		t.Errorf("Explain() = %q, want %q", got, want)
	}
}

// brokenTarget is a Target whose replicas cannot be read or set.
type brokenTarget struct{}

func (brokenTarget) Replicas(context.Context) (hpa.Replicas, error) {
	return hpa.Replicas{}, errors.New("scale subresource unavailable")
}

func (brokenTarget) SetReplicas(context.Context, int32) error {
	return errors.New("scale subresource unavailable")
}

// flakyTarget is a MemoryTarget whose writes fail while failSet is set.
type flakyTarget struct {
	*MemoryTarget
	mu      sync.Mutex
	failSet bool
}

func (f *flakyTarget) SetReplicas(ctx context.Context, replicas int32) error {
	f.mu.Lock()
	fail := f.failSet
	f.mu.Unlock()
	if fail {
		return errors.New("the API server refused the update")
	}
	return f.MemoryTarget.SetReplicas(ctx, replicas)
}

func (f *flakyTarget) setFailing(fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failSet = fail
}
