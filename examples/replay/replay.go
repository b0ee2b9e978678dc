package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/promscaler/promscaler/scaler"
)

// poll is the record of one replayed poll and the counts around it.
type poll struct {
	decision scaler.Decision
	// before and after are the replica counts before and after the poll.
	before, after int32
	// proposed is the count the metric proposed before stabilization and
	// limits, or the count an executor rule set when the HPA did not run.
	proposed int32
}

// replayResult is the outcome of a replay and what the outputs show.
type replayResult struct {
	name      string
	query     string
	threshold float64
	// averageValue reports an AverageValue trigger, whose threshold is per
	// replica.
	averageValue bool
	// minReplicas and maxReplicas are the bounds with KEDA's defaults
	// applied.
	minReplicas, maxReplicas int32
	step                     time.Duration
	polls                    []poll
	// emptyPolls counts the polls whose time has no series at all, which
	// ignoreNullValues reads as 0.
	emptyPolls int
}

// replay runs the scaler loop once per step over the plan's range, with
// source as the trigger's metric and a MemoryTarget as the workload.
func replay(ctx context.Context, p *plan, source scaler.Source) (*replayResult, error) {
	clock := scaler.NewSimulatedClock(p.start, 0)
	target := scaler.NewMemoryTarget(p.replicas, clock)
	cfg := p.config
	cfg.Target = target
	cfg.Clock = clock
	cfg.CreatedAt = p.start
	cfg.Triggers = []scaler.Trigger{p.config.Triggers[0]}
	cfg.Triggers[0].Source = source
	s, err := scaler.New(cfg)
	if err != nil {
		return nil, err
	}

	result := newReplayResult(p, cfg)
	before := p.replicas
	for at := p.start; at.Before(p.end); at = at.Add(p.step) {
		clock.Advance(at.Sub(clock.Now()))
		d, err := s.Step(ctx, at)
		if ctx.Err() != nil || errors.Is(err, scaler.ErrShutdown) {
			return nil, err
		}
		// The decision records the failed reads of the trigger, which the
		// replay shows. A failed target stops it.
		if d.TargetErr != nil {
			return nil, fmt.Errorf("poll at %s: %w", at.Format(time.RFC3339), d.TargetErr)
		}
		result.polls = append(result.polls, poll{decision: d, before: before, after: d.DesiredReplicas, proposed: proposedReplicas(d)})
		before = d.DesiredReplicas
	}
	return result, nil
}

func newReplayResult(p *plan, cfg scaler.Config) *replayResult {
	maxReplicas := cfg.MaxReplicaCount
	if maxReplicas == 0 {
		maxReplicas = scaler.DefaultMaxReplicaCount
	}
	return &replayResult{
		name:         cfg.Name,
		query:        p.metadata.Query,
		threshold:    cfg.Triggers[0].Threshold,
		averageValue: isAverageValue(cfg.Triggers[0].MetricType),
		minReplicas:  cfg.MinReplicaCount,
		maxReplicas:  maxReplicas,
		step:         p.step,
	}
}

// proposedReplicas returns the HPA's proposal when the HPA ran with a valid
// metric, and otherwise the count the poll set.
func proposedReplicas(d scaler.Decision) int32 {
	if d.HPA != nil && d.HPA.InvalidMetrics == 0 {
		return d.HPA.Proposed
	}
	return d.DesiredReplicas
}

// summary is the tally of what the replayed scaler did. Each poll's count
// lasts for one step.
type summary struct {
	polls, failedPolls   int
	scaleUps, scaleDowns int
	maxReplicas          int32
	// minutesAtMaxCount is the time at maxReplicaCount, which stays 0 when
	// the count never reached it.
	minutesAtMaxCount float64
	replicaMinutes    float64
	maxReplicaCount   int32
	first, last       time.Time
}

func summarize(r *replayResult) summary {
	s := summary{polls: len(r.polls), maxReplicaCount: r.maxReplicas}
	stepMinutes := r.step.Minutes()
	for i, p := range r.polls {
		if i == 0 {
			s.first = p.decision.Time
		}
		s.last = p.decision.Time
		if p.decision.Err != nil {
			s.failedPolls++
		}
		switch {
		case p.after > p.before:
			s.scaleUps++
		case p.after < p.before:
			s.scaleDowns++
		}
		s.maxReplicas = max(s.maxReplicas, p.after)
		if p.after == r.maxReplicas {
			s.minutesAtMaxCount += stepMinutes
		}
		s.replicaMinutes += float64(p.after) * stepMinutes
	}
	return s
}

// roundCents rounds v to two decimals, which hides the binary rounding of
// steps that are not a whole fraction of a minute.
func roundCents(v float64) float64 {
	return math.Round(v*100) / 100
}

// writeSummary prints the summary of the replay.
func writeSummary(w io.Writer, p *plan, r *replayResult) error {
	s := summarize(r)
	lines := []string{
		fmt.Sprintf("Replayed %s from %s to %s, one poll every %s", r.name, s.first.Format(time.RFC3339), s.last.Format(time.RFC3339), formatStep(r.step)),
		fmt.Sprintf("Query: %s (threshold %s)", r.query, formatNumber(r.threshold)),
		fmt.Sprintf("Polls:                      %d (%d failed)", s.polls, s.failedPolls),
	}
	if r.emptyPolls > 0 {
		lines = append(lines, fmt.Sprintf("Polls without a series:     %d; the query returned nothing then, check its metric name, labels and the range", r.emptyPolls))
	}
	lines = append(lines,
		fmt.Sprintf("Scale-ups:                  %d", s.scaleUps),
		fmt.Sprintf("Scale-downs:                %d", s.scaleDowns),
		fmt.Sprintf("Max replicas:               %d of maxReplicaCount %d", s.maxReplicas, s.maxReplicaCount),
		fmt.Sprintf("Minutes at maxReplicaCount: %s", formatNumber(roundCents(s.minutesAtMaxCount))),
		fmt.Sprintf("Replica-minutes:            %s", formatNumber(roundCents(s.replicaMinutes))),
	)
	if p.opts.csvPath != "" {
		lines = append(lines, "Wrote "+p.opts.csvPath)
	}
	if p.opts.chartPath != "" {
		lines = append(lines, "Wrote "+p.opts.chartPath)
	}
	for _, line := range lines {
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}
