package scaler

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/promscaler/promscaler/hpa"
)

// Action is the rule a poll applied to the workload.
type Action string

const (
	// ActionHPA means the HPA calculation set the count (it may be unchanged).
	ActionHPA Action = "HPA"
	// ActionActivate means an active workload at 0 (or idle) replicas was
	// set to max(minReplicaCount, 1).
	ActionActivate Action = "Activate"
	// ActionScaleToZero means the cooldown period passed with no active
	// trigger and the workload was set to 0.
	ActionScaleToZero Action = "ScaleToZero"
	// ActionScaleToIdle means the cooldown period passed with no active
	// trigger and the workload was set to IdleReplicaCount.
	ActionScaleToIdle Action = "ScaleToIdle"
	// ActionCooldown means no trigger is active and the cooldown period has
	// not passed yet, so the HPA decided.
	ActionCooldown Action = "Cooldown"
	// ActionIdle means the workload is at 0 (or idle) replicas and stays.
	ActionIdle Action = "Idle"
	// ActionFallback means a trigger is in fallback and the HPA decided with
	// the fallback replica count as that trigger's proposal.
	ActionFallback Action = "Fallback"
	// ActionPaused means the paused or paused-replicas annotation stopped
	// the poll: triggers were not queried.
	ActionPaused Action = "Paused"
	// ActionHold means a failure kept the count: the target could not be
	// read, or a failed trigger kept the HPA from deciding.
	ActionHold Action = "Hold"
	// ActionSetMin means no trigger is active and the workload, below
	// minReplicaCount without an idle count, was set to minReplicaCount.
	ActionSetMin Action = "SetMin"
)

// TriggerValue is one trigger's reading in a poll.
type TriggerValue struct {
	Name                string
	Value               float64
	Threshold           float64
	ActivationThreshold float64
	MetricType          hpa.MetricType
	// Active reports Value > ActivationThreshold.
	Active bool
	// Err is the source's error; Value is then 0 and unused.
	Err error
	// Failures is the number of consecutive failed reads, this one
	// included; a successful read resets it to 0.
	Failures int32
	// InFallback reports that Failures exceeds fallback.failureThreshold,
	// so the fallback replica count replaces the metric.
	InFallback bool
	// Latency is the wall-clock time the read took.
	Latency time.Duration
}

// CompositeValue is the scaling modifiers' composite metric in a poll.
type CompositeValue struct {
	Formula          string
	Value            float64
	Target           float64
	ActivationTarget float64
	MetricType       hpa.MetricType
	// Active reports Value > ActivationTarget.
	Active bool
	// Err is set when a trigger failed or the formula could not be
	// evaluated.
	Err error
	// Failures and InFallback count the composite's consecutive failures
	// as TriggerValue does for one trigger.
	Failures   int32
	InFallback bool
}

// Decision is the record of one poll.
type Decision struct {
	Time     time.Time
	Triggers []TriggerValue
	// Composite is set when the scaler has ScalingModifiers.
	Composite *CompositeValue
	// Active reports that the workload is active: a trigger (or the
	// composite metric) exceeds its activation threshold or is in fallback.
	Active bool
	// InFallback reports that a trigger or the composite is in fallback,
	// and FallbackReplicas is then the count that fallback proposes.
	InFallback       bool
	FallbackReplicas int32
	Replicas         hpa.Replicas
	// DesiredReplicas is the count the poll set, or the current count when
	// nothing changed. It is 0 when the target's replicas could not be
	// read.
	DesiredReplicas int32
	Action          Action
	// HPA is the calculator's decision whenever the HPA ran in this poll.
	HPA *hpa.Decision
	// Err joins every failure of the poll: failed triggers (also those in
	// fallback), a failed scaling modifiers formula, and TargetErr. The rest of the decision is valid when only
	// triggers failed.
	Err error
	// TargetErr is the error of reading or setting the target's replicas.
	// When setting failed, the last active time, failure counts and
	// conditions were updated all the same.
	TargetErr error

	// notes explain the action in words, one line each.
	notes []string
}

// Explain returns the decision in words: one line per trigger, then the
// HPA's arithmetic when the HPA ran, then what the poll did.
func (d Decision) Explain() string {
	var lines []string
	for _, t := range d.Triggers {
		lines = append(lines, d.explainTrigger(t))
	}
	if c := d.Composite; c != nil {
		lines = append(lines, explainComposite(*c, d.FallbackReplicas))
	}
	if d.HPA != nil {
		lines = append(lines, d.HPA.Explain())
	}
	lines = append(lines, d.notes...)
	return strings.Join(lines, "\n")
}

func (d Decision) explainTrigger(t TriggerValue) string {
	if t.Err != nil {
		if t.InFallback {
			return fmt.Sprintf("%s: failed %s in a row, above fallback.failureThreshold, so it proposes the fallback count %d: %v",
				t.Name, times(t.Failures), d.FallbackReplicas, t.Err)
		}
		return fmt.Sprintf("%s: failed %s in a row: %v", t.Name, times(t.Failures), t.Err)
	}

	value := formatValue(t.Value)
	formula := d.proposalFormula(t.Name)
	if t.Value < 0 && formula != "" {
		value += " (negative; the HPA receives it unchanged, as from KEDA, and proposes 0 replicas)"
	}
	text := fmt.Sprintf("%s: value %s, threshold %s, activationThreshold %s: %s",
		t.Name, value, formatValue(t.Threshold), formatValue(t.ActivationThreshold), activeWord(t.Active))
	if formula != "" {
		text += "; " + formula
	}
	return text
}

func explainComposite(c CompositeValue, fallback int32) string {
	switch {
	case c.InFallback:
		return fmt.Sprintf("%s: %s failed %s in a row, above fallback.failureThreshold, so it proposes the fallback count %d: %v",
			CompositeMetricName, c.Formula, times(c.Failures), fallback, c.Err)
	case c.Err != nil:
		return fmt.Sprintf("%s: %s failed %s in a row: %v", CompositeMetricName, c.Formula, times(c.Failures), c.Err)
	}
	return fmt.Sprintf("%s: %s = %s, target %s, activationTarget %s: %s",
		CompositeMetricName, c.Formula, formatValue(c.Value), formatValue(c.Target), formatValue(c.ActivationTarget), activeWord(c.Active))
}

// proposalFormula returns the HPA's arithmetic for the named metric, such
// as "ceil(140 / 50) = 3", or "" when the HPA did not read it.
func (d Decision) proposalFormula(name string) string {
	if d.HPA == nil {
		return ""
	}
	for _, p := range d.HPA.Proposals() {
		if p.Metric.Name == name && p.Err == nil {
			return p.Formula()
		}
	}
	return ""
}

func (d *Decision) note(format string, args ...any) {
	d.notes = append(d.notes, fmt.Sprintf(format, args...))
}

func activeWord(active bool) string {
	if active {
		return "active"
	}
	return "inactive"
}

func times(n int32) string {
	if n == 1 {
		return "1 time"
	}
	return strconv.Itoa(int(n)) + " times"
}

// formatValue prints a float as the shortest decimal that reads back the
// same, as the Prometheus API prints sample values.
func formatValue(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}
