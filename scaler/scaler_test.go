package scaler

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/promscaler/promscaler/hpa"
)

var t0 = time.Date(2025, 1, 22, 9, 0, 0, 0, time.UTC)

// sourceFunc adapts a function to Source.
type sourceFunc func(ctx context.Context, now time.Time) (float64, error)

func (f sourceFunc) Value(ctx context.Context, now time.Time) (float64, error) { return f(ctx, now) }

// scripted returns a Source that reads values[at] for the poll at t0+at and
// fails for times it has no value for.
func scripted(values map[time.Duration]float64, errs map[time.Duration]error) Source {
	return sourceFunc(func(_ context.Context, now time.Time) (float64, error) {
		at := now.Sub(t0)
		if err, ok := errs[at]; ok {
			return 0, err
		}
		v, ok := values[at]
		if !ok {
			return 0, errors.New("no value scripted")
		}
		return v, nil
	})
}

func durationPtr(d time.Duration) *time.Duration { return &d }

type poll struct {
	at      time.Duration
	value   float64
	err     error
	want    int32
	action  Action
	wantErr bool
}

func runPolls(t *testing.T, cfg Config, start int32, polls []poll) {
	t.Helper()
	values := map[time.Duration]float64{}
	errs := map[time.Duration]error{}
	for _, p := range polls {
		values[p.at] = p.value
		if p.err != nil {
			errs[p.at] = p.err
		}
	}
	clock := NewSimulatedClock(t0, 0)
	target := NewMemoryTarget(start, clock)
	for i := range cfg.Triggers {
		cfg.Triggers[i].Source = scripted(values, errs)
	}
	cfg.Target, cfg.Clock = target, clock
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}

	for _, p := range polls {
		clock.Advance(t0.Add(p.at).Sub(clock.Now()))
		d, err := s.Step(context.Background(), clock.Now())
		if (err != nil) != p.wantErr {
			t.Fatalf("t0+%v: Step() error = %v, want error %v", p.at, err, p.wantErr)
		}
		r, _ := target.Replicas(context.Background())
		if r.Current != p.want || d.Action != p.action {
			t.Errorf("t0+%v: value %v: replicas %d after %s, want %d after %s\n%s",
				p.at, p.value, r.Current, d.Action, p.want, p.action, d.Explain())
		}
	}
}

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

func TestStepTimelines(t *testing.T) {
	t.Run("scale up: 140 over 2 replicas with threshold 50 gives 3", func(t *testing.T) {
		runPolls(t, guideConfig(), 2, []poll{
			{at: 0, value: 140, want: 3, action: ActionHPA},
			{at: time.Minute, value: 140, want: 3, action: ActionHPA},
		})
	})
	t.Run("scale up: threshold 0.5 with value 1.2 gives 3", func(t *testing.T) {
		cfg := guideConfig()
		cfg.Triggers[0].Threshold = 0.5
		runPolls(t, cfg, 1, []poll{{at: 0, value: 1.2, want: 3, action: ActionHPA}})
	})
	t.Run("scale down: held by the 600 s window", func(t *testing.T) {
		runPolls(t, guideConfig(), 5, []poll{
			{at: 0, value: 240, want: 5, action: ActionHPA},
			{at: 5 * time.Minute, value: 60, want: 5, action: ActionHPA},
			{at: 10 * time.Minute, value: 60, want: 5, action: ActionHPA},
			{at: 11 * time.Minute, value: 60, want: 2, action: ActionHPA},
		})
	})
	t.Run("activation: value equal to the activation threshold is inactive", func(t *testing.T) {
		cfg := guideConfig()
		cfg.MinReplicaCount = 0
		cfg.Triggers[0].ActivationThreshold = 10
		runPolls(t, cfg, 0, []poll{
			{at: 0, value: 10, want: 0, action: ActionIdle},
			{at: time.Minute, value: 10.5, want: 1, action: ActionActivate},
			{at: 2 * time.Minute, value: 140, want: 3, action: ActionHPA},
		})
	})
	t.Run("activation: negative threshold counts zero as active", func(t *testing.T) {
		cfg := guideConfig()
		cfg.MinReplicaCount = 0
		cfg.Triggers[0].ActivationThreshold = -1
		runPolls(t, cfg, 0, []poll{{at: 0, value: 0, want: 1, action: ActionActivate}})
	})
	t.Run("activation: from zero to minReplicaCount", func(t *testing.T) {
		cfg := guideConfig()
		cfg.MinReplicaCount = 2
		runPolls(t, cfg, 0, []poll{{at: 0, value: 1, want: 2, action: ActionActivate}})
	})
	t.Run("scale to zero: after cooldown since last activity", func(t *testing.T) {
		cfg := guideConfig()
		cfg.MinReplicaCount = 0
		cfg.CooldownPeriod = durationPtr(300 * time.Second)
		cfg.DownscaleStabilizationWindow = durationPtr(0)
		runPolls(t, cfg, 2, []poll{
			{at: 0, value: 80, want: 2, action: ActionHPA},
			{at: time.Minute, value: 0, want: 1, action: ActionCooldown},
			{at: 4*time.Minute + 59*time.Second, value: 0, want: 1, action: ActionCooldown},
			{at: 5 * time.Minute, value: 0, want: 0, action: ActionScaleToZero},
			{at: 6 * time.Minute, value: 0, want: 0, action: ActionIdle},
		})
	})
	t.Run("scale to zero: never active counts from start", func(t *testing.T) {
		cfg := guideConfig()
		cfg.MinReplicaCount = 0
		cfg.CooldownPeriod = durationPtr(120 * time.Second)
		runPolls(t, cfg, 1, []poll{
			{at: 0, value: 0, want: 1, action: ActionCooldown},
			{at: 2 * time.Minute, value: 0, want: 0, action: ActionScaleToZero},
		})
	})
	t.Run("scale to zero: not with minReplicaCount 1", func(t *testing.T) {
		runPolls(t, guideConfig(), 1, []poll{
			{at: 0, value: 0, want: 1, action: ActionHPA},
			{at: time.Hour, value: 0, want: 1, action: ActionHPA},
		})
	})
	t.Run("failure: a failing query changes nothing", func(t *testing.T) {
		runPolls(t, guideConfig(), 3, []poll{
			{at: 0, err: errors.New("connection refused"), want: 3, action: ActionNone, wantErr: true},
			{at: time.Minute, value: 280, want: 5, action: ActionHPA},
		})
	})
}

func TestStepCombinesTriggersByMaximum(t *testing.T) {
	clock := NewSimulatedClock(t0, 0)
	target := NewMemoryTarget(4, clock)
	constant := func(v float64) Source {
		return sourceFunc(func(context.Context, time.Time) (float64, error) { return v, nil })
	}
	s, err := New(Config{
		Triggers: []Trigger{
			{Name: "low", Source: constant(10), Threshold: 50},
			{Name: "high", Source: constant(400), Threshold: 200, MetricType: hpa.ValueMetricType},
		},
		Target: target, Clock: clock, MaxReplicaCount: 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Step(context.Background(), clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d.DesiredReplicas != 8 {
		t.Errorf("DesiredReplicas = %d, want 8 from the Value trigger (4 * (400 / 200))\n%s", d.DesiredReplicas, d.Explain())
	}
}

func TestConfigValidate(t *testing.T) {
	src := sourceFunc(func(context.Context, time.Time) (float64, error) { return 0, nil })
	target := NewMemoryTarget(1, nil)
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
		{"nil target", func(c *Config) { c.Target = nil }, "target is nil"},
		{"negative polling", func(c *Config) { c.PollingInterval = -time.Second }, "pollingInterval -1s"},
		{"negative cooldown", func(c *Config) { c.CooldownPeriod = durationPtr(-time.Second) }, "cooldownPeriod -1s"},
		{"negative min", func(c *Config) { c.MinReplicaCount = -1 }, "minReplicaCount -1"},
		{"max below min", func(c *Config) { c.MinReplicaCount, c.MaxReplicaCount = 5, 3 }, "maxReplicaCount 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Triggers: []Trigger{{Source: src, Threshold: 50}}, Target: target}
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
	if len(polled) < 5 {
		t.Errorf("polled %d times, want at least 5 (t0 to t0+60s)", len(polled))
	}
}

func TestSimulatedClockWithSpeedup(t *testing.T) {
	clock := NewSimulatedClock(t0, 6000)
	got := <-clock.After(time.Minute) // 10 ms of real time
	if want := t0.Add(time.Minute); !got.Equal(want) || !clock.Now().Equal(want) {
		t.Errorf("After(1m) fired at %v, clock reads %v, want %v", got, clock.Now(), want)
	}
}

func TestDecisionExplainFailure(t *testing.T) {
	clock := NewSimulatedClock(t0, 0)
	failing := sourceFunc(func(context.Context, time.Time) (float64, error) {
		return 0, errors.New("connection refused")
	})
	s, err := New(Config{Triggers: []Trigger{{Source: failing, Threshold: 50}}, Target: NewMemoryTarget(2, clock), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Step(context.Background(), clock.Now())
	if err == nil {
		t.Fatal("Step() error = nil, want the source's error")
	}

	got := d.Explain()
	want := "s0-prometheus: failed: connection refused\nno change: a trigger failed"
	if got != want {
		t.Errorf("Explain() = %q, want %q", got, want)
	}
	if d.Replicas.Current != 2 || d.DesiredReplicas != 2 {
		t.Errorf("failed poll: Replicas.Current = %d, DesiredReplicas = %d, want 2 and 2 (the count kept)", d.Replicas.Current, d.DesiredReplicas)
	}
}

func TestExplainNamesTargetFailure(t *testing.T) {
	clock := NewSimulatedClock(t0, 0)
	failing := sourceFunc(func(context.Context, time.Time) (float64, error) {
		return 0, errors.New("connection refused")
	})
	s, err := New(Config{Triggers: []Trigger{{Source: failing, Threshold: 50}}, Target: brokenTarget{}, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Step(context.Background(), clock.Now())
	if err == nil {
		t.Fatal("Step() error = nil, want the source's and the target's errors")
	}

	got := d.Explain()
	want := "s0-prometheus: failed: connection refused\nno change: a trigger failed, and reading the target failed: scale subresource unavailable"
	if got != want {
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
