package hpa

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Recommendation is one past unstabilized recommendation (the largest
// metric proposal of a decision), kept for stabilization.
type Recommendation struct {
	Time     time.Time `json:"time"`
	Replicas int32     `json:"replicas"`
}

// ScaleEvent is one past change of the replica count in one direction,
// kept for the behavior policies. ReplicaChange is the size of the change,
// always above 0.
type ScaleEvent struct {
	Time          time.Time `json:"time"`
	ReplicaChange int32     `json:"replicaChange"`
}

// History is the state a Calculator keeps between decisions. It round-trips
// through encoding/json, so a host that stores it across a restart keeps its
// stabilization windows and policy periods. The HPA itself starts with an
// empty history and seeds it with the current count.
type History struct {
	// Recommendations are the recent recommendations, oldest first.
	Recommendations []Recommendation `json:"recommendations"`
	// ScaleUpEvents and ScaleDownEvents are the recent scale events of each
	// direction, oldest first. They are kept only with a Behavior.
	ScaleUpEvents   []ScaleEvent `json:"scaleUpEvents"`
	ScaleDownEvents []ScaleEvent `json:"scaleDownEvents"`
}

// Validate reports the first entry of h that no Calculator could have
// recorded before now: a negative count, a change below 1, a zero time, a
// time after now, or a list out of time order.
func (h History) Validate(now time.Time) error {
	last := time.Time{}
	for i, r := range h.Recommendations {
		if r.Replicas < 0 {
			return &FieldError{Field: fmt.Sprintf("recommendations[%d].replicas", i), Value: r.Replicas, Detail: "is negative; a recommendation is 0 or more"}
		}
		if err := checkTime(fmt.Sprintf("recommendations[%d].time", i), r.Time, last, now); err != nil {
			return err
		}
		last = r.Time
	}
	if err := validateEvents("scaleUpEvents", h.ScaleUpEvents, now); err != nil {
		return err
	}
	return validateEvents("scaleDownEvents", h.ScaleDownEvents, now)
}

func validateEvents(name string, events []ScaleEvent, now time.Time) error {
	last := time.Time{}
	for i, e := range events {
		if e.ReplicaChange < 1 {
			return &FieldError{Field: fmt.Sprintf("%s[%d].replicaChange", name, i), Value: e.ReplicaChange, Detail: "is below 1; record the size of the change"}
		}
		if err := checkTime(fmt.Sprintf("%s[%d].time", name, i), e.Time, last, now); err != nil {
			return err
		}
		last = e.Time
	}
	return nil
}

func checkTime(field string, t, previous, now time.Time) error {
	switch {
	case t.IsZero():
		return &FieldError{Field: field, Detail: "is missing; give the time of the entry"}
	case t.After(now):
		return &FieldError{Field: field, Value: t.Format(time.RFC3339Nano), Detail: fmt.Sprintf("is after now (%s); the clock of the stored history is ahead", now.Format(time.RFC3339Nano))}
	case t.Before(previous):
		return &FieldError{Field: field, Value: t.Format(time.RFC3339Nano), Detail: "is before the previous entry; list entries oldest first"}
	}
	return nil
}

// scaleEvent is a ScaleEvent with the controller's mark for a slot whose
// event is older than the longest policy period and may be reused.
type scaleEvent struct {
	ScaleEvent
	outdated bool
}

func exportEvents(events []scaleEvent) []ScaleEvent {
	out := make([]ScaleEvent, len(events))
	for i, e := range events {
		out[i] = e.ScaleEvent
	}
	slices.SortStableFunc(out, func(a, b ScaleEvent) int { return a.Time.Compare(b.Time) })
	return out
}

func importEvents(events []ScaleEvent) []scaleEvent {
	out := make([]scaleEvent, len(events))
	for i, e := range events {
		out[i] = scaleEvent{ScaleEvent: e}
	}
	return out
}

// With a behavior, an entry recorded at t still counts at now for a window
// or period while its age is below the window, that is while t is after
// now - window. An entry exactly one window or period old no longer counts,
// and a window of 0 counts nothing. Its slot is reused only once it is
// older than the window, so an entry exactly one window or period old
// neither counts nor gives up its slot. The stabilization and changeWithin
// loops compare Unix nanoseconds, which cover the years 1678 to 2262,
// because time.Time comparisons cost most of a decision.

// stabilizeLegacy returns the highest recommendation within window,
// counting proposed, and records proposed. As in the controller's path
// without behavior, a record exactly one window old still counts, and a
// window of 0 counts nothing. The new record takes the slot of the last record
// outside the window when there is one, so the history never grows past
// what the window holds plus one record.
func stabilizeLegacy(recs []Recommendation, now time.Time, window time.Duration, proposed int32) (int32, []Recommendation) {
	highest := proposed
	reuse := -1
	cutoff := now.Add(-window).UnixNano()
	for i, rec := range recs {
		if rec.Time.UnixNano() < cutoff || window == 0 {
			reuse = i
			continue
		}
		highest = max(highest, rec.Replicas)
	}
	return highest, record(recs, reuse, Recommendation{Time: now, Replicas: proposed})
}

// stabilizeWithBehavior keeps the count between the lowest recommendation of
// the scale-up window and the highest of the scale-down window, both
// counting desired, starting from current, and records desired in the slot
// of the last record older than both windows.
func stabilizeWithBehavior(recs []Recommendation, now time.Time, up, down time.Duration, current, desired int32) (stabilized, lowest, highest int32, out []Recommendation) {
	lowest, highest = desired, desired
	reuse := -1
	upCutoff, downCutoff := now.Add(-up).UnixNano(), now.Add(-down).UnixNano()
	for i, rec := range recs {
		at := rec.Time.UnixNano()
		inUp, inDown := at > upCutoff, at > downCutoff
		if inUp {
			lowest = min(lowest, rec.Replicas)
		}
		if inDown {
			highest = max(highest, rec.Replicas)
		}
		if olderThan(at, upCutoff, up) && olderThan(at, downCutoff, down) {
			reuse = i
		}
	}

	stabilized = min(max(current, lowest), highest)
	return stabilized, lowest, highest, record(recs, reuse, Recommendation{Time: now, Replicas: desired})
}

// olderThan reports whether a record at Unix nanoseconds at is older than
// the window that ends at cutoff. With a window of 0, a record of the same
// instant counts as older because the controller's clock always moves on
// between two decisions.
func olderThan(at, cutoff int64, window time.Duration) bool {
	return at < cutoff || (window == 0 && at == cutoff)
}

func record(recs []Recommendation, reuse int, rec Recommendation) []Recommendation {
	if reuse >= 0 {
		recs[reuse] = rec
		return recs
	}
	return append(recs, rec)
}

// changeWithin sums the changes of the events younger than period.
func changeWithin(events []scaleEvent, now time.Time, period time.Duration) int64 {
	var sum int64
	cutoff := now.Add(-period).UnixNano()
	for _, e := range events {
		if e.Time.UnixNano() > cutoff {
			sum += int64(e.ReplicaChange)
		}
	}
	return sum
}

// storeEvent marks the events older than longest as outdated and records a
// change of size change, reusing the last outdated slot.
func storeEvent(events []scaleEvent, now time.Time, longest time.Duration, change int32) []scaleEvent {
	reuse := -1
	cutoff := now.Add(-longest)
	for i := range events {
		if events[i].Time.Before(cutoff) {
			events[i].outdated = true
		}
		if events[i].outdated {
			reuse = i
		}
	}

	e := scaleEvent{ScaleEvent: ScaleEvent{Time: now, ReplicaChange: change}}
	if reuse >= 0 {
		events[reuse] = e
		return events
	}
	return append(events, e)
}

// clampInt32 converts a count computed in int64 to int32, saturating.
func clampInt32(v int64) int32 {
	return int32(min(max(v, math.MinInt32), math.MaxInt32))
}
