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

	// fallback is a copy of Config.Fallback, nil without one, so that
	// Explain can state the threshold and the behavior.
	fallback *Fallback
	// notes explain the action in words, one line each.
	notes []string
}

// Explain returns the decision in words: one line per trigger, then the
// HPA's arithmetic when the HPA ran, then what the poll did. Each read
// error appears once, in its trigger's line.
func (d Decision) Explain() string {
	var lines []string
	for _, t := range d.Triggers {
		lines = append(lines, d.explainTrigger(t))
	}
	if c := d.Composite; c != nil {
		lines = append(lines, d.explainComposite(*c))
	}
	if d.HPA != nil {
		lines = append(lines, d.explainHPA()...)
	}
	lines = append(lines, d.notes...)
	return strings.Join(lines, "\n")
}

func (d Decision) explainTrigger(t TriggerValue) string {
	if t.Err != nil {
		// With scaling modifiers only the composite metric falls back.
		return t.Name + ": " + d.explainFailure(t.Failures, t.InFallback, d.Composite == nil) + ": " + t.Err.Error()
	}

	value := formatValue(t.Value)
	formula := d.proposalFormula(t.Name)
	if t.Value < 0 && formula != "" {
		value += " (negative; the HPA receives it unchanged, as from KEDA, and proposes 0 replicas)"
	}
	if d.Composite != nil {
		// With scaling modifiers the composite metric alone decides
		// activity, so the trigger's own thresholds are not applied.
		return fmt.Sprintf("%s: value %s", t.Name, value)
	}
	text := fmt.Sprintf("%s: value %s, threshold %s, activationThreshold %s: %s",
		t.Name, value, formatValue(t.Threshold), formatValue(t.ActivationThreshold), activeWord(t.Active))
	if formula != "" {
		text += "; " + formula
	}
	return text
}

func (d Decision) explainComposite(c CompositeValue) string {
	if c.Err != nil {
		return fmt.Sprintf("%s: %s %s: %v", CompositeMetricName, c.Formula, d.explainFailure(c.Failures, c.InFallback, true), c.Err)
	}
	return fmt.Sprintf("%s: %s = %s, target %s, activationTarget %s: %s",
		CompositeMetricName, c.Formula, formatValue(c.Value), formatValue(c.Target), formatValue(c.ActivationTarget), activeWord(c.Active))
}

// explainFailure describes n consecutive failures of a metric and where
// they stand against fallback.failureThreshold, when the metric can fall
// back.
func (d Decision) explainFailure(n int32, inFallback, canFallBack bool) string {
	f := d.fallback
	switch {
	case f == nil || !canFallBack:
		return fmt.Sprintf("failed %s in a row", times(n))
	case inFallback:
		return fmt.Sprintf("failed %s in a row, more than fallback.failureThreshold %d, so it proposes the fallback count %d (%s)",
			times(n), f.FailureThreshold, d.FallbackReplicas, f.explainReplicas(d.Replicas.Current, d.FallbackReplicas))
	}
	return fmt.Sprintf("failed %s in a row, and fallback applies after %s (fallback.failureThreshold %d)",
		times(n), moreFailures(*f, n), f.FailureThreshold)
}

// explainHPA returns the HPA's explanation with two kinds of proposal line
// rewritten. A failed read is stated without its error, which the trigger's
// line already prints, and a fallback metric is marked as F × target
// rather than a reading. The HPA prints one line per proposal first; when
// its text does not start that way, it is returned unchanged.
func (d Decision) explainHPA() []string {
	text := d.HPA.Explain()
	var printed, rewritten strings.Builder
	for _, p := range d.HPA.Proposals() {
		printed.WriteString(p.String() + "\n")
		line, ok := d.explainProposal(p)
		if !ok {
			line = p.String()
		}
		rewritten.WriteString(line + "\n")
	}
	if rest, ok := strings.CutPrefix(text, printed.String()); ok {
		text = rewritten.String() + rest
	}
	return strings.Split(text, "\n")
}

// explainProposal returns the line of a proposal whose metric failed or is
// in fallback, and false for any other proposal.
func (d Decision) explainProposal(p hpa.Proposal) (string, bool) {
	failed, inFallback, source := d.metricState(p.Metric.Name)
	switch {
	case inFallback && p.Err == nil && p.ValueMilli == int64(d.FallbackReplicas)*p.TargetMilli:
		// The fallback metric's value is F × target, as in KEDA.
		arithmetic := strings.TrimPrefix(p.String(), p.Metric.Name+": ")
		return fmt.Sprintf("%s (fallback metric %d × %s = %s): %s",
			p.Metric.Name, d.FallbackReplicas, formatMilli(p.TargetMilli), formatMilli(p.ValueMilli), arithmetic), true
	case failed && p.Err != nil:
		return fmt.Sprintf("%s: invalid, because %s failed", p.Metric.Name, source), true
	}
	return "", false
}

// metricState reports whether the HPA metric of the given name failed in
// this poll and whether it is in fallback. It also returns the source of
// the metric's value in words.
func (d Decision) metricState(name string) (failed, inFallback bool, source string) {
	if c := d.Composite; c != nil {
		if name == CompositeMetricName {
			return c.Err != nil, c.InFallback, "the composite metric"
		}
		return false, false, ""
	}
	for _, t := range d.Triggers {
		if t.Name == name {
			return t.Err != nil, t.InFallback, "the read"
		}
	}
	return false, false, ""
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

// replicaCount writes a replica count with its noun, such as "1 replica"
// or "3 replicas".
func replicaCount(n int32) string {
	if n == 1 {
		return "1 replica"
	}
	return fmt.Sprintf("%d replicas", n)
}

func activeWord(active bool) string {
	if active {
		return "active"
	}
	return "inactive"
}

// moreFailures returns how many more consecutive failures, after n, put a
// metric in fallback, as "2 more failures".
func moreFailures(f Fallback, n int32) string {
	more := int64(f.FailureThreshold) + 1 - int64(n)
	if more == 1 {
		return "1 more failure"
	}
	return strconv.FormatInt(more, 10) + " more failures"
}

func times(n int32) string {
	if n == 1 {
		return "1 time"
	}
	return strconv.Itoa(int(n)) + " times"
}

// formatMilli prints a milli-unit quantity as a decimal number.
func formatMilli(milli int64) string {
	return strconv.FormatFloat(float64(milli)/1000, 'f', -1, 64)
}

// formatValue prints a float as the shortest decimal that reads back the
// same, as the Prometheus API prints sample values.
func formatValue(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}
