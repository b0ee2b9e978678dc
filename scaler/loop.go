package scaler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/promscaler/promscaler/hpa"
)

// Action is the change a poll made to the workload.
type Action string

const (
	// ActionHPA means the HPA calculation set the count (it may be unchanged).
	ActionHPA Action = "HPA"
	// ActionActivate means an active trigger brought the workload up from 0.
	ActionActivate Action = "Activate"
	// ActionScaleToZero means the cooldown period passed with no active trigger.
	ActionScaleToZero Action = "ScaleToZero"
	// ActionCooldown means no trigger is active and the workload, which may
	// scale to zero, is still inside the cooldown period, so the HPA decided
	// with at least one replica.
	ActionCooldown Action = "Cooldown"
	// ActionIdle means the workload is at 0 replicas and no trigger is active.
	ActionIdle Action = "Idle"
	// ActionNone means the poll failed and nothing was changed.
	ActionNone Action = "None"
)

// TriggerValue is one trigger's reading in a poll.
type TriggerValue struct {
	Name      string
	Value     float64
	Threshold float64
	// Active reports Value > the trigger's activation threshold.
	Active bool
	// Err is the source's error; Value is then 0 and unused.
	Err error
}

// Decision is the record of one poll.
type Decision struct {
	Time     time.Time
	Triggers []TriggerValue
	// Active reports that at least one trigger was active.
	Active   bool
	Replicas hpa.Replicas
	// DesiredReplicas is the count the poll set, or the current count when
	// nothing changed, also when the poll failed. It is 0 only when the
	// target's replicas could not be read.
	DesiredReplicas int32
	Action          Action
	// HPA is the calculator's decision when Action is ActionHPA or
	// ActionCooldown, nil otherwise.
	HPA *hpa.Decision
	// Err is the error that failed the poll, nil on success.
	Err error

	// targetErr is the error of reading the target after a failed trigger.
	targetErr error
}

// Explain returns the decision in words, with the HPA's arithmetic when the
// HPA decided.
func (d Decision) Explain() string {
	var b strings.Builder
	for _, t := range d.Triggers {
		switch {
		case t.Err != nil:
			fmt.Fprintf(&b, "%s: failed: %v\n", t.Name, t.Err)
		default:
			fmt.Fprintf(&b, "%s: value %v, active %v\n", t.Name, t.Value, t.Active)
		}
	}
	switch d.Action {
	case ActionHPA, ActionCooldown:
		if d.HPA != nil {
			b.WriteString(d.HPA.Explain())
		}
	case ActionActivate:
		fmt.Fprintf(&b, "activated from 0 to %d replicas", d.DesiredReplicas)
	case ActionScaleToZero:
		fmt.Fprintf(&b, "no trigger active for the cooldown period: %d → 0 replicas", d.Replicas.Current)
	case ActionIdle:
		b.WriteString("no trigger active: staying at 0 replicas")
	case ActionNone:
		b.WriteString(d.failureSummary())
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// failureSummary explains a failed poll without repeating trigger errors
// that Explain has already listed. A target that could not be read is
// named as well.
func (d Decision) failureSummary() string {
	triggerFailed := false
	for _, t := range d.Triggers {
		triggerFailed = triggerFailed || t.Err != nil
	}
	if !triggerFailed {
		return fmt.Sprintf("no change: %v", d.Err)
	}
	if d.targetErr != nil {
		return fmt.Sprintf("no change: a trigger failed, and reading the target failed: %v", d.targetErr)
	}
	return "no change: a trigger failed"
}

// Scaler polls a workload's triggers and sets its replica count. Create one
// with New. Step and Run may be called from different goroutines; calls are
// serialized.
type Scaler struct {
	cfg    Config
	clock  Clock
	logger *slog.Logger
	calc   *hpa.Calculator

	mu         sync.Mutex
	started    time.Time
	lastActive time.Time // zero until a trigger is active
}

// New validates cfg and returns a Scaler. The cooldown of a workload that
// was never active counts from the time New is called.
func New(cfg Config) (*Scaler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	calc, err := hpa.NewCalculator(cfg.hpaSpec())
	if err != nil {
		return nil, fmt.Errorf("scaler: %w", err)
	}

	s := &Scaler{cfg: cfg, clock: cfg.Clock, logger: cfg.Logger, calc: calc}
	if s.clock == nil {
		s.clock = SystemClock{}
	}
	if s.logger == nil {
		s.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.started = s.clock.Now()
	return s, nil
}

// Run polls at once and then every polling interval until ctx is done, and
// returns nil then. Failed polls are logged and the loop goes on.
func (s *Scaler) Run(ctx context.Context) error {
	s.logger.Info("scaler started", "scaler", s.cfg.Name, "pollingInterval", s.cfg.pollingInterval())
	defer s.logger.Info("scaler stopped", "scaler", s.cfg.Name)
	for ctx.Err() == nil {
		// Step reports errors through the decision and the logger.
		_, _ = s.Step(ctx, s.clock.Now())

		select {
		case <-ctx.Done():
			return nil
		case <-s.clock.After(s.cfg.pollingInterval()):
		}
	}
	return nil
}

// Step runs one poll at now: read every trigger, decide, and set the
// target's replicas if they change. It returns the decision and its error.
func (s *Scaler) Step(ctx context.Context, now time.Time) (Decision, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	d := Decision{Time: now, Action: ActionNone}
	d.Triggers, d.Active, d.Err = s.poll(ctx, now)
	// The target is read even after a failed poll, so that the decision
	// reports the count the workload keeps.
	replicas, err := s.cfg.Target.Replicas(ctx)
	switch {
	case err == nil:
		d.Replicas, d.DesiredReplicas = replicas, replicas.Current
	case d.Err == nil:
		d.Err = err
	default:
		d.Err, d.targetErr = errors.Join(d.Err, err), err
	}
	if d.Err == nil {
		d.Err = s.decide(now, &d)
	}
	if d.Err == nil && d.DesiredReplicas != d.Replicas.Current {
		if err := s.cfg.Target.SetReplicas(ctx, d.DesiredReplicas); err != nil {
			d.Err = fmt.Errorf("scaler: set replicas to %d: %w", d.DesiredReplicas, err)
		}
	}

	s.report(d)
	return d, d.Err
}

// poll reads every trigger. Any failure fails the poll, so a partial reading
// never scales the workload down.
func (s *Scaler) poll(ctx context.Context, now time.Time) ([]TriggerValue, bool, error) {
	values := make([]TriggerValue, len(s.cfg.Triggers))
	var active bool
	var errs []error
	for i, t := range s.cfg.Triggers {
		v := TriggerValue{Name: t.name(i), Threshold: t.Threshold}
		v.Value, v.Err = t.Source.Value(ctx, now)
		if v.Err != nil {
			v.Value = 0
			errs = append(errs, fmt.Errorf("trigger %q: %w", v.Name, v.Err))
		} else {
			v.Active = v.Value > t.ActivationThreshold
		}
		active = active || v.Active
		values[i] = v
	}
	if len(errs) > 0 {
		return values, active, fmt.Errorf("scaler: %w", errors.Join(errs...))
	}
	return values, active, nil
}

// decide sets d.Action, d.DesiredReplicas and d.HPA from the readings.
func (s *Scaler) decide(now time.Time, d *Decision) error {
	current := d.Replicas.Current
	if d.Active {
		s.lastActive = now
	}

	switch {
	case current == 0 && d.Active:
		// An active trigger wakes the workload; the HPA takes over next poll.
		d.Action, d.DesiredReplicas = ActionActivate, max(s.cfg.MinReplicaCount, 1)
		return nil
	case current == 0:
		d.Action = ActionIdle
		return nil
	case !d.Active && s.cfg.MinReplicaCount == 0 && s.cooledDown(now):
		d.Action, d.DesiredReplicas = ActionScaleToZero, 0
		return nil
	}

	metrics := make([]hpa.Metric, len(s.cfg.Triggers))
	for i, t := range s.cfg.Triggers {
		metrics[i] = hpa.Metric{Name: d.Triggers[i].Name, Type: t.metricType(), Value: d.Triggers[i].Value, Target: t.Threshold}
	}
	hd, err := s.calc.Recommend(now, metrics, d.Replicas)
	if err != nil {
		return fmt.Errorf("scaler: %w", err)
	}
	d.HPA, d.DesiredReplicas, d.Action = &hd, hd.DesiredReplicas, ActionHPA
	if !d.Active && s.cfg.MinReplicaCount == 0 {
		d.Action = ActionCooldown
	}
	return nil
}

// cooledDown reports whether the cooldown period has passed since a trigger
// was last active, or since the scaler started if none ever was.
func (s *Scaler) cooledDown(now time.Time) bool {
	since := s.lastActive
	if since.IsZero() {
		since = s.started
	}
	return now.Sub(since) >= s.cfg.cooldownPeriod()
}

func (s *Scaler) report(d Decision) {
	if d.Err != nil {
		s.logger.Error("poll failed", "scaler", s.cfg.Name, "err", d.Err)
	} else {
		s.logger.Debug("poll", "scaler", s.cfg.Name, "active", d.Active, "current", d.Replicas.Current,
			"desired", d.DesiredReplicas, "action", d.Action)
	}
	if s.cfg.OnDecision != nil {
		s.cfg.OnDecision(d)
	}
}

// Name returns the scaler's name from its Config.
func (s *Scaler) Name() string { return s.cfg.Name }

// PollingInterval returns the time between polls, with the default applied.
func (s *Scaler) PollingInterval() time.Duration { return s.cfg.pollingInterval() }

// Shutdown ends the scaler's work on the workload.
func (s *Scaler) Shutdown(ctx context.Context) error { return ctx.Err() }
