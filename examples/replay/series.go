package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/common/model"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/promql"
)

// maxPointsPerQuery is the maximum number of points one range query
// requests. The Prometheus HTTP API (v0.316.0) rejects a range query whose
// (end - start) / step exceeds 11000.
// NOTE: AMP does not document its limit. A lower one would fail the query
// with bad_data.
const maxPointsPerQuery = 11000

// window is the time range of one range query, both ends included.
type window struct {
	start, end time.Time
}

// splitRange cuts the poll times start, start+step, ... up to end into
// windows of at most maxPoints polls each, in time order. Every window
// starts and ends on a poll time.
func splitRange(start, end time.Time, step time.Duration, maxPoints int) []window {
	if step <= 0 || maxPoints < 1 || end.Before(start) {
		return nil
	}
	last := start.Add(end.Sub(start) / step * step)
	span := time.Duration(maxPoints-1) * step

	var windows []window
	for from := start; !from.After(last); from = from.Add(span + step) {
		to := from.Add(span)
		if to.After(last) {
			to = last
		}
		windows = append(windows, window{start: from, end: to})
	}
	return windows
}

// series holds the results of the range queries by evaluation time, and
// is the scaler.Source of the replay: a poll at time t reads what an
// instant query at t would have returned.
type series struct {
	// vectors maps an evaluation time in Unix milliseconds to the samples
	// of every series at that time.
	vectors map[int64]model.Vector
	reduce  promql.ReduceOptions
	// warnings are the servers' warnings, in the order received.
	warnings []string
}

func newSeries(opts promql.ReduceOptions) *series {
	return &series{vectors: map[int64]model.Vector{}, reduce: opts}
}

// empty reports whether the range queries returned no series at t.
func (s *series) empty(t time.Time) bool {
	return len(s.vectors[t.UnixMilli()]) == 0
}

// add files the samples of a range query result under their times.
func (s *series) add(matrix model.Matrix) {
	for _, stream := range matrix {
		for _, pair := range stream.Values {
			s.vectors[int64(pair.Timestamp)] = append(s.vectors[int64(pair.Timestamp)],
				&model.Sample{Metric: stream.Metric, Value: pair.Value, Timestamp: pair.Timestamp})
		}
		for _, pair := range stream.Histograms {
			s.vectors[int64(pair.Timestamp)] = append(s.vectors[int64(pair.Timestamp)],
				&model.Sample{Metric: stream.Metric, Histogram: pair.Histogram, Timestamp: pair.Timestamp})
		}
	}
}

// Value reduces the samples at now as the trigger reduces an instant
// query's result. A time without samples is an empty result: 0 with
// ignoreNullValues (KEDA's default), an error without it. Several series
// at one time are an error, as they are for the trigger.
func (s *series) Value(_ context.Context, now time.Time) (float64, error) {
	return promql.Reduce(s.vectors[now.UnixMilli()], s.reduce)
}

// fetchSeries runs the trigger's query over the plan's range, in as few
// range queries as the points limit allows.
func fetchSeries(ctx context.Context, p *plan) (*series, error) {
	s := newSeries(promql.ReduceOptions{IgnoreNullValues: p.metadata.IgnoreNullValues})
	for _, w := range splitRange(p.start, p.lastPoll(), p.step, p.maxPoints) {
		result, err := p.client.QueryRange(ctx, p.metadata.Query, w.start, w.end, p.step)
		// A server that found no signature names the exception that AMP
		// returns for an unsigned request.
		var queryErr *amp.Error
		if errors.As(err, &queryErr) && queryErr.Type == "MissingAuthenticationTokenException" {
			return nil, fmt.Errorf("%w; with this command, pass -sigv4 and -region to sign requests to a host that is not an AMP workspace URL", err)
		}
		if err != nil {
			return nil, err
		}
		matrix, ok := result.Value.(model.Matrix)
		if !ok {
			return nil, fmt.Errorf("range query from %s to %s returned %T, not a matrix", w.start.Format(time.RFC3339), w.end.Format(time.RFC3339), result.Value)
		}
		s.add(matrix)
		s.warnings = append(s.warnings, result.Warnings...)
	}
	return s, nil
}
