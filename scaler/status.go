package scaler

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// ConditionType is the type of a ScaledObject status condition.
type ConditionType string

// The conditions of a ScaledObject, in the order Status lists them.
const (
	ConditionReady    ConditionType = "Ready"
	ConditionActive   ConditionType = "Active"
	ConditionFallback ConditionType = "Fallback"
	ConditionPaused   ConditionType = "Paused"
)

// ConditionStatus is True, False or Unknown.
type ConditionStatus string

// The values of a condition's status.
const (
	ConditionTrue    ConditionStatus = "True"
	ConditionFalse   ConditionStatus = "False"
	ConditionUnknown ConditionStatus = "Unknown"
)

// Condition reasons, as KEDA sets them.
const (
	ReasonScaledObjectReady           = "ScaledObjectReady"
	ReasonTriggerError                = "TriggerError"
	ReasonPartialTriggerError         = "PartialTriggerError"
	ReasonErrorGettingCurrentReplicas = "ErrorGettingCurrentReplicas"
	ReasonScalerActive                = "ScalerActive"
	ReasonScalerNotActive             = "ScalerNotActive"
	ReasonScalerCooldown              = "ScalerCooldown"
	ReasonFallbackExists              = "FallbackExists"
	ReasonNoFallbackFound             = "NoFallbackFound"
	ReasonScaledObjectPaused          = "ScaledObjectPaused"
	ReasonScaledObjectUnpaused        = "ScaledObjectUnpaused"
)

const (
	readyMessage       = "the target and every trigger were read"
	pausedReadyMessage = "the target was read; triggers are not read while paused"
)

// Condition is one status condition of the scaler, with the JSON field
// names of a Kubernetes condition.
type Condition struct {
	Type    ConditionType   `json:"type"`
	Status  ConditionStatus `json:"status"`
	Reason  string          `json:"reason,omitempty"`
	Message string          `json:"message,omitempty"`
	// LastTransitionTime is when Status last changed.
	LastTransitionTime time.Time `json:"lastTransitionTime"`
}

// conditions holds the four conditions in the order of conditionTypes.
type conditions [4]Condition

var conditionTypes = [4]ConditionType{ConditionReady, ConditionActive, ConditionFallback, ConditionPaused}

func newConditions(now time.Time) conditions {
	var c conditions
	for i, t := range conditionTypes {
		c[i] = Condition{Type: t, Status: ConditionUnknown, Message: "no poll has run yet", LastTransitionTime: now}
	}
	return c
}

// set updates one condition. The transition time changes only when the
// status does.
func (c *conditions) set(now time.Time, t ConditionType, status ConditionStatus, reason, message string) {
	i := slices.Index(conditionTypes[:], t)
	old := c[i]
	c[i] = Condition{Type: t, Status: status, Reason: reason, Message: message, LastTransitionTime: old.LastTransitionTime}
	if old.Status != status {
		c[i].LastTransitionTime = now
	}
}

func (c *conditions) setPaused(now time.Time, p Pause) {
	if p.any() {
		c.set(now, ConditionPaused, ConditionTrue, ReasonScaledObjectPaused, "paused by "+p.String())
		return
	}
	c.set(now, ConditionPaused, ConditionFalse, ReasonScaledObjectUnpaused, "no pause annotation is set")
}

// updateConditions sets Ready, Active and Fallback after a poll that read
// the triggers.
func (s *Scaler) updateConditions(now time.Time, d *Decision, failed, cooling bool) {
	s.updateReady(now, d, failed)

	switch {
	case d.Active:
		s.conditions.set(now, ConditionActive, ConditionTrue, ReasonScalerActive, "a trigger is active, so the workload is scaled")
	case cooling:
		s.conditions.set(now, ConditionActive, ConditionFalse, ReasonScalerCooldown, "no trigger is active and the cooldown period has not passed")
	default:
		s.conditions.set(now, ConditionActive, ConditionFalse, ReasonScalerNotActive, "no trigger is active")
	}

	switch {
	case s.cfg.Fallback == nil:
		s.conditions.set(now, ConditionFallback, ConditionUnknown, "", "no fallback is configured")
	case d.InFallback:
		s.conditions.set(now, ConditionFallback, ConditionTrue, ReasonFallbackExists,
			"a trigger failed more than fallback.failureThreshold times in a row and proposes "+strconv.Itoa(int(d.FallbackReplicas))+" replicas")
	default:
		s.conditions.set(now, ConditionFallback, ConditionFalse, ReasonNoFallbackFound, "no trigger is in fallback")
	}
}

// updateReady sets Ready with KEDA's status and reason. KEDA leaves Ready
// True while a fallback is configured, so then only the message reports a
// failed trigger.
func (s *Scaler) updateReady(now time.Time, d *Decision, failed bool) {
	message := failuresMessage(d)
	if message == "" {
		message = readyMessage
	}
	switch {
	case failed && d.Active && s.belowActiveRange(d.Replicas.Current):
		// Activation from 0 or idle replicas comes before the trigger
		// errors, and leaves Ready True.
		s.conditions.set(now, ConditionReady, ConditionTrue, ReasonScaledObjectReady, message)
	case failed && d.Active:
		s.conditions.set(now, ConditionReady, ConditionUnknown, ReasonPartialTriggerError, message)
	case failed && s.cfg.Fallback == nil:
		s.conditions.set(now, ConditionReady, ConditionFalse, ReasonTriggerError, message)
	default:
		s.conditions.set(now, ConditionReady, ConditionTrue, ReasonScaledObjectReady, message)
	}
}

// failuresMessage describes every failed trigger, or the failed composite
// metric, with its error and its fallback state. It returns "" when
// nothing failed.
func failuresMessage(d *Decision) string {
	var parts []string
	for _, t := range d.Triggers {
		if t.Err != nil {
			failure := d.failureState(t.Failures, t.InFallback, d.Composite == nil)
			parts = append(parts, "trigger "+strconv.Quote(t.Name)+" "+failure+": "+t.Err.Error())
		}
	}
	if c := d.Composite; c != nil && c.Err != nil {
		failure := d.failureState(c.Failures, c.InFallback, true)
		parts = append(parts, CompositeMetricName+" "+failure+": "+c.Err.Error())
	}
	return strings.Join(parts, "; ")
}

// failureState describes n consecutive failures of a metric as
// explainFailure does, but states fallback without its count, which the
// Fallback condition gives.
func (d *Decision) failureState(n int32, inFallback, canFallBack bool) string {
	if f := d.fallback; f != nil && inFallback && canFallBack {
		return fmt.Sprintf("failed %s in a row, more than fallback.failureThreshold %d, so it is in fallback", times(n), f.FailureThreshold)
	}
	return d.explainFailure(n, inFallback, canFallBack)
}

// Status is the scaler's status, like a ScaledObject's status with the spec
// fields that kubectl get scaledobject prints.
type Status struct {
	Name            string
	MinReplicaCount int32
	MaxReplicaCount int32
	// TriggerTypes are the distinct trigger types: "prometheus".
	TriggerTypes []string
	// Conditions are Ready, Active, Fallback and Paused, in this order.
	Conditions []Condition
	// LastActiveTime is the last poll at which the workload was active, nil
	// if it never was.
	LastActiveTime *time.Time
	// OriginalReplicaCount is the count at the first successful poll, nil
	// before it.
	OriginalReplicaCount *int32
	// PausedReplicaCount is the paused-replicas count, nil without one.
	PausedReplicaCount *int32
	// Failures maps each trigger name to its consecutive failures.
	Failures map[string]int32
}

// Status returns a copy of the scaler's status.
func (s *Scaler) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()

	st := Status{
		Name: s.cfg.Name, MinReplicaCount: s.cfg.MinReplicaCount, MaxReplicaCount: s.cfg.maxReplicaCount(),
		TriggerTypes: []string{"prometheus"}, Conditions: slices.Clone(s.conditions[:]),
		OriginalReplicaCount: clonePtr(s.original), PausedReplicaCount: clonePtr(s.pause.Replicas),
		Failures: make(map[string]int32, len(s.names)),
	}
	if !s.lastActive.IsZero() {
		t := s.lastActive
		st.LastActiveTime = &t
	}
	for i, name := range s.names {
		st.Failures[name] = s.failures[i]
	}
	return st
}

// Condition returns the condition of type t, or an Unknown condition when
// the status has none.
func (st Status) Condition(t ConditionType) Condition {
	for _, c := range st.Conditions {
		if c.Type == t {
			return c
		}
	}
	return Condition{Type: t, Status: ConditionUnknown}
}

// statusColumns are the columns of kubectl get scaledobject that Summary
// prints.
var statusColumns = []string{"NAME", "MIN", "MAX", "READY", "ACTIVE", "FALLBACK", "PAUSED", "TRIGGERS"}

// Summary returns the status as one row of kubectl get scaledobject, with
// the header row first when header is set. Columns are padded as kubectl
// pads them.
func (st Status) Summary(header bool) string {
	var b strings.Builder
	// Writes to a strings.Builder always succeed.
	_ = writeStatusTable(&b, header, []Status{st})
	return strings.TrimSuffix(b.String(), "\n")
}

// WriteStatusTable writes a header and one row per status, as kubectl get
// scaledobject prints them.
func WriteStatusTable(w io.Writer, statuses ...Status) error {
	return writeStatusTable(w, true, statuses)
}

func writeStatusTable(w io.Writer, header bool, statuses []Status) error {
	// kubectl's table printer: minimum width 6, tab width 4, padding 3.
	tw := tabwriter.NewWriter(w, 6, 4, 3, ' ', 0)
	if header {
		if _, err := io.WriteString(tw, strings.Join(statusColumns, "\t")+"\n"); err != nil {
			return err
		}
	}
	for _, st := range statuses {
		if _, err := io.WriteString(tw, strings.Join(st.row(), "\t")+"\n"); err != nil {
			return err
		}
	}
	return tw.Flush()
}

func (st Status) row() []string {
	return []string{
		st.Name,
		strconv.Itoa(int(st.MinReplicaCount)),
		strconv.Itoa(int(st.MaxReplicaCount)),
		string(st.Condition(ConditionReady).Status),
		string(st.Condition(ConditionActive).Status),
		string(st.Condition(ConditionFallback).Status),
		string(st.Condition(ConditionPaused).Status),
		strings.Join(st.TriggerTypes, ","),
	}
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
