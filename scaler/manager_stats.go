package scaler

import (
	"math"
	"math/bits"
	"time"
)

// ManagerStats are a Manager's counters since NewManager.
type ManagerStats struct {
	// Scalers is the number of scalers added and not removed. When Run
	// stops, it shuts every scaler down and removes it, so Scalers is 0
	// after Run returns.
	Scalers int
	// Polls is the number of polls that ended, failed ones included.
	Polls uint64
	// FailedPolls is the number of polls that returned an error or
	// panicked. A poll that ends because Run's context is done is not
	// counted as failed.
	FailedPolls uint64
	// Panics is the number of polls that panicked.
	Panics uint64
	// SkippedPolls is the number of scheduled polls that were skipped
	// because the previous poll of the same scaler was still waiting for a
	// worker or running.
	SkippedPolls uint64
	// Backlog is the number of polls that are due and wait for a worker.
	Backlog int
	// InFlight is the number of polls running now.
	InFlight int
	// LatenessP50, LatenessP99 and LatenessMax describe how long after its
	// scheduled time each poll started. The percentiles are rounded up to
	// the histogram's resolution, at most 1/16 above the true value, and
	// never exceed LatenessMax, which is exact.
	LatenessP50 time.Duration
	LatenessP99 time.Duration
	LatenessMax time.Duration
}

// Stats returns the Manager's counters.
func (m *Manager) Stats() ManagerStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return ManagerStats{
		Scalers:      len(m.scalers),
		Polls:        m.stats.polls,
		FailedPolls:  m.stats.failed,
		Panics:       m.stats.panics,
		SkippedPolls: m.stats.skipped,
		Backlog:      m.backlog.len(),
		InFlight:     m.stats.inFlight,
		LatenessP50:  m.stats.lateness.quantile(0.50),
		LatenessP99:  m.stats.lateness.quantile(0.99),
		LatenessMax:  m.stats.lateness.max,
	}
}

// pollCounts are the counters behind ManagerStats, guarded by the
// Manager's mutex.
type pollCounts struct {
	added    uint64
	polls    uint64
	failed   uint64
	panics   uint64
	skipped  uint64
	inFlight int
	lateness latencyHistogram
}

func (c *pollCounts) countPoll(failed, panicked bool) {
	c.inFlight--
	c.polls++
	if failed {
		c.failed++
	}
	if panicked {
		c.panics++
	}
}

// The layout of latencyHistogram: durations below 32 ns have a bucket
// each, and every larger power of two is split into 16 buckets of equal
// width, so a bucket's upper bound is at most 1/16 above any value in it.
const (
	histogramLinear     = 32
	histogramSubBuckets = 16
	// histogramMaxBits caps the tracked durations at 2^42 ns, about 73
	// minutes; longer ones count in the last bucket.
	histogramMaxBits = 42
	histogramBuckets = histogramLinear + (histogramMaxBits-5)*histogramSubBuckets
)

// latencyHistogram counts durations in fixed log-linear buckets. Recording
// never allocates, and it takes 5 KB whatever the number of polls.
type latencyHistogram struct {
	counts [histogramBuckets]uint64
	total  uint64
	max    time.Duration
}

func (h *latencyHistogram) record(d time.Duration) {
	d = max(d, 0)
	h.counts[bucketOf(uint64(d))]++
	h.total++
	h.max = max(h.max, d)
}

// quantile returns the upper bound of the bucket that holds the q-quantile,
// capped at the largest recorded duration, or 0 when nothing is recorded.
func (h *latencyHistogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := max(uint64(math.Ceil(q*float64(h.total))), 1)
	var seen uint64
	for i, n := range h.counts {
		seen += n
		if seen >= rank {
			return min(time.Duration(bucketUpper(i)), h.max)
		}
	}
	return h.max
}

// bucketOf returns the bucket of a duration of v nanoseconds.
func bucketOf(v uint64) int {
	v = min(v, 1<<histogramMaxBits-1)
	if v < histogramLinear {
		return int(v)
	}
	shift := bits.Len64(v) - 5 // v>>shift is in [16, 32)
	return histogramLinear + (shift-1)*histogramSubBuckets + int(v>>shift) - histogramSubBuckets
}

// bucketUpper returns the largest duration, in nanoseconds, of bucket i.
func bucketUpper(i int) uint64 {
	if i < histogramLinear {
		return uint64(i)
	}
	k := i - histogramLinear
	shift := k/histogramSubBuckets + 1
	mantissa := uint64(k%histogramSubBuckets + histogramSubBuckets)
	return (mantissa+1)<<shift - 1
}
