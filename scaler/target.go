package scaler

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/promscaler/promscaler/hpa"
)

// MemoryTarget is a Target that holds a replica count in memory, with every
// pod ready at once. It records each change. It is safe for concurrent use.
type MemoryTarget struct {
	mu       sync.Mutex
	replicas int32
	changes  []ReplicaChange
	now      func() time.Time
}

// ReplicaChange is one SetReplicas call on a MemoryTarget.
type ReplicaChange struct {
	Time     time.Time
	From, To int32
}

// NewMemoryTarget returns a MemoryTarget at replicas. Changes are stamped
// with clock's time; a nil clock means SystemClock.
func NewMemoryTarget(replicas int32, clock Clock) *MemoryTarget {
	if clock == nil {
		clock = SystemClock{}
	}
	return &MemoryTarget{replicas: replicas, now: clock.Now}
}

// Replicas returns the count in all three fields.
func (t *MemoryTarget) Replicas(context.Context) (hpa.Replicas, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return hpa.Replicas{Current: t.replicas, Status: t.replicas, Ready: t.replicas}, nil
}

// SetReplicas sets the count; a negative count is an error.
func (t *MemoryTarget) SetReplicas(_ context.Context, replicas int32) error {
	if replicas < 0 {
		return fmt.Errorf("scaler: replicas %d is negative", replicas)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.changes = append(t.changes, ReplicaChange{Time: t.now(), From: t.replicas, To: replicas})
	t.replicas = replicas
	return nil
}

// Changes returns a copy of the recorded changes, oldest first.
func (t *MemoryTarget) Changes() []ReplicaChange {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]ReplicaChange(nil), t.changes...)
}
