package scaler

import (
	"sync"
	"time"
)

// SimulatedClock is a Clock whose time moves only when a timer from After
// fires or Advance is called, so a run of the loop is reproducible to the
// millisecond. With a speedup above 0 each timer also waits d / speedup of
// real time, so hours of scaling replay in seconds. With 0 it fires at once.
// It is safe for concurrent use.
type SimulatedClock struct {
	mu      sync.Mutex
	now     time.Time
	speedup float64
}

// NewSimulatedClock returns a clock that reads start and runs speedup times
// faster than real time (0: timers fire without waiting).
func NewSimulatedClock(start time.Time, speedup float64) *SimulatedClock {
	return &SimulatedClock{now: start, speedup: speedup}
}

// Now returns the simulated time.
func (c *SimulatedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the simulated time forward by d.
func (c *SimulatedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// After returns a channel that receives the simulated time once it has
// reached now + d. The clock is moved forward to that time when it fires.
func (c *SimulatedClock) After(d time.Duration) <-chan time.Time {
	deadline := c.Now().Add(d)
	ch := make(chan time.Time, 1)
	fire := func() {
		c.mu.Lock()
		if c.now.Before(deadline) {
			c.now = deadline
		}
		now := c.now
		c.mu.Unlock()
		ch <- now
	}
	if c.speedup <= 0 {
		fire()
		return ch
	}
	time.AfterFunc(time.Duration(float64(d)/c.speedup), fire)
	return ch
}
