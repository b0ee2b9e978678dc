package scaler

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"
)

// skipLogInterval is the least time between two log records about skipped
// polls, so that an overloaded Manager does not log once per scaler.
const skipLogInterval = time.Minute

// schedule moves due scalers to the backlog and hands them to the workers
// until ctx is done. It waits on one timer, for the earliest due time as
// wakeTime delays it.
func (m *Manager) schedule(ctx context.Context, jobs chan<- *managed) {
	var timer <-chan time.Time
	var timerAt, lastFire time.Time
	for {
		m.mu.Lock()
		now := m.clock.Now()
		m.admit(now)
		m.collectDue(now)
		head := m.backlog.front()
		nextAt, waiting := m.queue.nextTime()
		m.mu.Unlock()

		if waiting {
			nextAt = wakeTime(nextAt, lastFire, m.slack)
		}
		switch {
		case !waiting:
			timer, timerAt = nil, time.Time{}
		case !nextAt.Equal(timerAt):
			timer, timerAt = m.clock.After(nextAt.Sub(now)), nextAt
		}
		var send chan<- *managed
		if head != nil {
			send = jobs
		}

		select {
		case <-ctx.Done():
			return
		case <-m.wake:
		case fired := <-timer:
			timer, timerAt, lastFire = nil, time.Time{}, fired
		case send <- head:
			m.mu.Lock()
			m.backlog.popFront()
			m.mu.Unlock()
		}
	}
}

// admit picks the first poll time of each added scaler: a random offset in
// [0, interval) after now.
func (m *Manager) admit(now time.Time) {
	for _, e := range m.added {
		if e.removed {
			continue
		}
		e.next = now.Add(time.Duration(m.rand.Int64N(int64(e.interval))))
		e.seq = m.stats.added
		m.stats.added++
		heap.Push(&m.queue, e)
	}
	clear(m.added)
	m.added = m.added[:0]
}

// collectDue moves every scaler due at now from the queue to the backlog,
// and drops removed ones.
func (m *Manager) collectDue(now time.Time) {
	for len(m.queue) > 0 && !m.queue[0].next.After(now) {
		e := heap.Pop(&m.queue).(*managed)
		if e.removed {
			continue
		}
		e.phase = phaseQueued
		m.backlog.pushBack(e)
	}
}

// work runs the polls that the scheduler hands over until ctx is done.
func (m *Manager) work(ctx context.Context, jobs <-chan *managed) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-jobs:
			m.runPoll(ctx, e)
		}
	}
}

// runPoll polls e once and schedules its next poll.
func (m *Manager) runPoll(ctx context.Context, e *managed) {
	start := m.clock.Now()
	m.mu.Lock()
	if e.removed || ctx.Err() != nil {
		m.mu.Unlock()
		return
	}
	e.phase = phasePolling
	m.stats.lateness.record(start.Sub(e.next))
	m.stats.inFlight++
	scheduled := e.next
	m.mu.Unlock()

	err, panicked := m.step(ctx, e.p, scheduled)

	end := m.clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	// A poll that Run's context cut short has not failed.
	m.stats.countPoll(err != nil && ctx.Err() == nil, panicked)
	if e.idle != nil {
		close(e.idle)
		e.idle = nil
	}
	if e.removed || m.state != managerRunning {
		return
	}
	m.reschedule(e, end)
}

// step calls p.Step at scheduled and turns a panic into an error.
//
// NOTE: The scaler stays usable after a panic only because Scaler.Step
// releases its mutex with defer.
func (m *Manager) step(ctx context.Context, p poller, scheduled time.Time) (err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			m.logger.Error("poll panicked", "scaler", p.Name(), "panic", r, "stack", string(debug.Stack()))
			err, panicked = fmt.Errorf("scaler: poll of %q panicked: %v", p.Name(), r), true
		}
	}()
	_, err = p.Step(ctx, scheduled)
	return err, false
}

// reschedule puts e back in the queue at the first step of its interval
// that is not before end, the time its poll ended. The steps before end
// are skipped.
func (m *Manager) reschedule(e *managed, end time.Time) {
	e.next = e.next.Add(e.interval)
	if late := end.Sub(e.next); late > 0 {
		skipped := (late + e.interval - 1) / e.interval
		e.next = e.next.Add(skipped * e.interval)
		m.stats.skipped += uint64(skipped)
		m.skipLog.note(m.logger, end, e.name, uint64(skipped))
	}

	e.phase = phaseScheduled
	heap.Push(&m.queue, e)
	if e.index == 0 {
		m.signal()
	}
}

// skipLog limits the log records about skipped polls to one per
// skipLogInterval, each with the count since the one before.
type skipLog struct {
	last    time.Time
	pending uint64
}

func (l *skipLog) note(logger *slog.Logger, now time.Time, name string, skipped uint64) {
	l.pending += skipped
	if !l.last.IsZero() && now.Sub(l.last) < skipLogInterval {
		return
	}
	logger.Warn("polls skipped because the previous poll of the same scaler was still waiting or running",
		"skippedPolls", l.pending, "lastScaler", name)
	l.last, l.pending = now, 0
}

// pollQueue is a min-heap of scalers by next poll time, then by the order
// they were added.
type pollQueue []*managed

func (q pollQueue) Len() int { return len(q) }

func (q pollQueue) Less(i, j int) bool {
	if !q[i].next.Equal(q[j].next) {
		return q[i].next.Before(q[j].next)
	}
	return q[i].seq < q[j].seq
}

func (q pollQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}

func (q *pollQueue) Push(x any) {
	e := x.(*managed)
	e.index = len(*q)
	*q = append(*q, e)
}

func (q *pollQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.index = -1
	*q = old[:len(old)-1]
	return e
}

// nextTime returns the earliest next poll time, and false when the queue
// is empty.
func (q pollQueue) nextTime() (time.Time, bool) {
	if len(q) == 0 {
		return time.Time{}, false
	}
	return q[0].next, true
}

// backlog is a FIFO of scalers that are due and wait for a worker. It
// reuses its array, so a steady load does not allocate, and moves its items
// to the front once half of the array is consumed, so a backlog that never
// drains does not grow the array without bound.
type backlog struct {
	items []*managed
	head  int
}

func (b *backlog) len() int { return len(b.items) - b.head }

func (b *backlog) front() *managed {
	if b.len() == 0 {
		return nil
	}
	return b.items[b.head]
}

func (b *backlog) pushBack(e *managed) {
	if b.head > 0 && b.head >= len(b.items)/2 {
		n := copy(b.items, b.items[b.head:])
		clear(b.items[n:])
		b.items, b.head = b.items[:n], 0
	}
	b.items = append(b.items, e)
}

func (b *backlog) popFront() {
	b.items[b.head] = nil
	b.head++
	if b.head == len(b.items) {
		b.items, b.head = b.items[:0], 0
	}
}

// wakeTime returns when the scheduler's timer fires for a poll due at due:
// at due, but no earlier than slack after the timer last fired.
func wakeTime(due, lastFire time.Time, slack time.Duration) time.Time {
	if earliest := lastFire.Add(slack); due.Before(earliest) {
		return earliest
	}
	return due
}
