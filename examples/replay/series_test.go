package main

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/promscaler/promscaler/promql"
)

func TestSplitRange(t *testing.T) {
	minute := time.Minute
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * minute) }
	cases := []struct {
		name      string
		end       time.Time
		maxPoints int
		want      []window
	}{
		{"one window: range fits", at(9), 10, []window{{at(0), at(9)}}},
		{"one window: single poll", at(0), 10, []window{{at(0), at(0)}}},
		{"two windows: one poll over", at(10), 10, []window{{at(0), at(9)}, {at(10), at(10)}}},
		{"three windows: exact multiple", at(29), 10, []window{{at(0), at(9)}, {at(10), at(19)}, {at(20), at(29)}}},
		{"end off the grid: last poll before end", at(12).Add(30 * time.Second), 5, []window{{at(0), at(4)}, {at(5), at(9)}, {at(10), at(12)}}},
		{"no window: end before start", at(-1), 10, nil},
		{"a day at the server limit", at(24 * 60), maxPointsPerQuery, []window{{at(0), at(24 * 60)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := splitRange(t0, c.end, minute, c.maxPoints)
			if len(got) != len(c.want) {
				t.Fatalf("splitRange() = %v, want %v", got, c.want)
			}
			for i := range got {
				if !got[i].start.Equal(c.want[i].start) || !got[i].end.Equal(c.want[i].end) {
					t.Errorf("window %d = %v..%v, want %v..%v", i, got[i].start, got[i].end, c.want[i].start, c.want[i].end)
				}
			}
		})
	}
}

func TestSplitRangeCoversEveryPoll(t *testing.T) {
	step := 15 * time.Second
	end := t0.Add(3 * time.Hour)
	windows := splitRange(t0, end, step, 100)
	next := t0
	for _, w := range windows {
		if !w.start.Equal(next) {
			t.Fatalf("window starts at %v, want %v", w.start, next)
		}
		if points := int(w.end.Sub(w.start)/step) + 1; points > 100 {
			t.Errorf("window %v..%v has %d points, want at most 100", w.start, w.end, points)
		}
		next = w.end.Add(step)
	}
	if want := end.Add(step); !next.Equal(want) {
		t.Errorf("windows end before %v, want %v", next, want)
	}
}

// stream returns one series with a sample at each of times.
func stream(pod string, values map[time.Time]float64, times ...time.Time) *model.SampleStream {
	s := &model.SampleStream{Metric: model.Metric{"pod": model.LabelValue(pod)}}
	for _, at := range times {
		s.Values = append(s.Values, model.SamplePair{Timestamp: model.TimeFromUnixNano(at.UnixNano()), Value: model.SampleValue(values[at])})
	}
	return s
}

func TestSeriesValue(t *testing.T) {
	t1, t2, t3 := t0.Add(time.Minute), t0.Add(2*time.Minute), t0.Add(3*time.Minute)
	values := map[time.Time]float64{t0: 140, t1: 60, t2: math.NaN(), t3: 7}
	matrix := model.Matrix{
		stream("a", values, t0, t1, t2, t3),
		// A second series appears at t3 only.
		stream("b", values, t3),
	}

	cases := []struct {
		name    string
		ignore  bool
		at      time.Time
		want    float64
		wantErr error
	}{
		{"value: exact time t0", true, t0, 140, nil},
		{"value: exact time t0+1m", true, t1, 60, nil},
		{"zero: gap with ignoreNullValues", true, t0.Add(30 * time.Second), 0, nil},
		{"error: gap without ignoreNullValues", false, t0.Add(30 * time.Second), 0, promql.ErrEmptyResult},
		{"error: time after the range", false, t0.Add(time.Hour), 0, promql.ErrEmptyResult},
		{"zero: NaN with ignoreNullValues", true, t2, 0, nil},
		{"error: NaN without ignoreNullValues", false, t2, 0, promql.ErrNotANumber},
		{"error: two series at one time", true, t3, 0, promql.ErrMultipleSeries},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSeries(promql.ReduceOptions{IgnoreNullValues: c.ignore})
			s.add(matrix)
			got, err := s.Value(context.Background(), c.at)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("Value(%v) error = %v, want %v", c.at, err, c.wantErr)
			}
			if got != c.want {
				t.Errorf("Value(%v) = %v, want %v", c.at, got, c.want)
			}
		})
	}
}
