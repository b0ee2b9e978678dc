package promserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func TestAppendRejectsOutOfOrder(t *testing.T) {
	s := NewStorage()
	series := labels.FromStrings("__name__", "up", "pod", "a")
	require.NoError(t, s.Append(series, t0, 1))

	tests := []struct {
		name string
		at   time.Time
	}{
		{"rejects: same timestamp", t0},
		{"rejects: earlier timestamp", t0.Add(-15 * time.Second)},
		{"rejects: same millisecond", t0.Add(500 * time.Microsecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Append(series, tt.at, 2)

			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrOutOfOrder), "error %v does not wrap ErrOutOfOrder", err)
			assert.Contains(t, err.Error(), `{__name__="up", pod="a"}`)
			assert.Contains(t, err.Error(), "2024-05-01T12:00:00Z")
			assert.Contains(t, err.Error(), tt.at.Format(time.RFC3339Nano))
		})
	}
}

func TestAppendAcceptsIncreasingTimes(t *testing.T) {
	s := NewStorage()
	a := labels.FromStrings("__name__", "up", "pod", "a")
	b := labels.FromStrings("__name__", "up", "pod", "b")

	require.NoError(t, s.Append(a, t0, 1))
	require.NoError(t, s.Append(a, t0.Add(time.Millisecond), 2))
	require.NoError(t, s.Append(b, t0.Add(-time.Hour), 3), "another series may start earlier")

	got := selectSamples(t, s, false, labels.MustNewMatcher(labels.MatchEqual, "pod", "a"))
	assert.Equal(t, map[string][]floatSample{
		a.String(): {{t: t0.UnixMilli(), f: 1}, {t: t0.UnixMilli() + 1, f: 2}},
	}, got)
}

func TestStorageZeroValue(t *testing.T) {
	var s Storage
	lset := labels.FromStrings("__name__", "up")

	assert.Empty(t, selectLabels(t, &s, false, labels.MustNewMatcher(labels.MatchEqual, "__name__", "up")))
	require.NoError(t, s.Append(lset, t0, 1))
	assert.Equal(t, []string{`{__name__="up"}`}, selectLabels(t, &s, false, labels.MustNewMatcher(labels.MatchEqual, "__name__", "up")))
}

func TestAppendRejectsInvalidLabels(t *testing.T) {
	tests := []struct {
		name string
		lset labels.Labels
		want string
	}{
		{"rejects: missing metric name", labels.FromStrings("pod", "a"), "has no __name__ label"},
		{"rejects: empty metric name", labels.FromStrings("__name__", "", "pod", "a"), "has no __name__ label"},
		{"rejects: empty label value", labels.FromStrings("__name__", "up", "pod", ""), `empty value for label "pod"`},
		{"rejects: invalid UTF-8 name", labels.FromStrings("__name__", "up", "\xff", "a"), "invalid label name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := NewStorage().Append(tt.lset, t0, 1)

			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "promserver: "), "error %q lacks the package prefix", err)
		})
	}
}

// newMatcherStorage returns three series of http_requests_total and one of up.
func newMatcherStorage(t *testing.T) *Storage {
	t.Helper()
	s := NewStorage()
	for _, lset := range []labels.Labels{
		labels.FromStrings("__name__", "http_requests_total", "code", "200", "pod", "web-1"),
		labels.FromStrings("__name__", "http_requests_total", "code", "500", "pod", "web-1"),
		labels.FromStrings("__name__", "http_requests_total", "code", "200", "pod", "api-1"),
		labels.FromStrings("__name__", "up", "pod", "web-1"),
	} {
		require.NoError(t, s.Append(lset, t0, 1))
	}
	return s
}

func TestSelectMatchers(t *testing.T) {
	s := newMatcherStorage(t)
	name := labels.MustNewMatcher(labels.MatchEqual, "__name__", "http_requests_total")

	tests := []struct {
		name    string
		matcher *labels.Matcher
		want    []string
	}{
		{
			"selects: equal",
			labels.MustNewMatcher(labels.MatchEqual, "code", "500"),
			[]string{`{__name__="http_requests_total", code="500", pod="web-1"}`},
		},
		{
			"selects: not equal",
			labels.MustNewMatcher(labels.MatchNotEqual, "code", "500"),
			[]string{
				`{__name__="http_requests_total", code="200", pod="api-1"}`,
				`{__name__="http_requests_total", code="200", pod="web-1"}`,
			},
		},
		{
			"selects: regexp",
			labels.MustNewMatcher(labels.MatchRegexp, "pod", "web-.*"),
			[]string{
				`{__name__="http_requests_total", code="200", pod="web-1"}`,
				`{__name__="http_requests_total", code="500", pod="web-1"}`,
			},
		},
		{
			"selects: not regexp",
			labels.MustNewMatcher(labels.MatchNotRegexp, "pod", "web-.*"),
			[]string{`{__name__="http_requests_total", code="200", pod="api-1"}`},
		},
		{
			"selects: absent label equals empty",
			labels.MustNewMatcher(labels.MatchEqual, "region", ""),
			[]string{
				`{__name__="http_requests_total", code="200", pod="api-1"}`,
				`{__name__="http_requests_total", code="200", pod="web-1"}`,
				`{__name__="http_requests_total", code="500", pod="web-1"}`,
			},
		},
		{
			"selects nothing: no match",
			labels.MustNewMatcher(labels.MatchEqual, "code", "404"),
			nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := selectLabels(t, s, true, name, tt.matcher)

			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSelectSortsWhenAsked(t *testing.T) {
	s := NewStorage()
	for _, pod := range []string{"c", "a", "d", "b"} {
		require.NoError(t, s.Append(labels.FromStrings("__name__", "up", "pod", pod), t0, 1))
	}

	got := selectLabels(t, s, true, labels.MustNewMatcher(labels.MatchEqual, "__name__", "up"))

	assert.Equal(t, []string{
		`{__name__="up", pod="a"}`, `{__name__="up", pod="b"}`,
		`{__name__="up", pod="c"}`, `{__name__="up", pod="d"}`,
	}, got)
}

func TestQuerierTimeRange(t *testing.T) {
	s := NewStorage()
	early := labels.FromStrings("__name__", "up", "pod", "early")
	late := labels.FromStrings("__name__", "up", "pod", "late")
	for i := range 4 {
		require.NoError(t, s.Append(early, t0.Add(time.Duration(i)*15*time.Second), float64(i)))
	}
	require.NoError(t, s.Append(late, t0.Add(time.Hour), 9))

	q, err := s.Querier(t0.Add(15*time.Second).UnixMilli(), t0.Add(30*time.Second).UnixMilli())
	require.NoError(t, err)
	defer q.Close()
	got := drainSeriesSet(t, q.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", "up")))

	want := map[string][]floatSample{
		early.String(): {{t: t0.Add(15 * time.Second).UnixMilli(), f: 1}, {t: t0.Add(30 * time.Second).UnixMilli(), f: 2}},
	}
	assert.Equal(t, want, got, "the late series has no samples in range and is left out")
}

func TestLabelValues(t *testing.T) {
	s := newMatcherStorage(t)
	q, err := s.Querier(t0.UnixMilli(), t0.UnixMilli())
	require.NoError(t, err)
	defer q.Close()
	ctx := context.Background()

	pods, _, err := q.LabelValues(ctx, "pod", nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"api-1", "web-1"}, pods)

	codes, _, err := q.LabelValues(ctx, "code", nil, labels.MustNewMatcher(labels.MatchEqual, "pod", "web-1"))
	require.NoError(t, err)
	assert.Equal(t, []string{"200", "500"}, codes)

	names, _, err := q.LabelValues(ctx, "__name__", &storage.LabelHints{Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, []string{"http_requests_total"}, names)

	missing, _, err := q.LabelValues(ctx, "region", nil)
	require.NoError(t, err)
	assert.Empty(t, missing)
}

func TestLabelNames(t *testing.T) {
	s := newMatcherStorage(t)
	q, err := s.Querier(t0.UnixMilli(), t0.UnixMilli())
	require.NoError(t, err)
	defer q.Close()
	ctx := context.Background()

	all, _, err := q.LabelNames(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"__name__", "code", "pod"}, all)

	ofUp, _, err := q.LabelNames(ctx, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", "up"))
	require.NoError(t, err)
	assert.Equal(t, []string{"__name__", "pod"}, ofUp)

	limited, _, err := q.LabelNames(ctx, &storage.LabelHints{Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, []string{"__name__", "code"}, limited)
}

func TestQuerierCanceledContext(t *testing.T) {
	s := newMatcherStorage(t)
	q, err := s.Querier(t0.UnixMilli(), t0.UnixMilli())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	set := q.Select(ctx, false, nil, labels.MustNewMatcher(labels.MatchEqual, "pod", "web-1"))
	assert.False(t, set.Next())
	assert.ErrorIs(t, set.Err(), context.Canceled)

	_, _, err = q.LabelValues(ctx, "pod", nil)
	assert.ErrorIs(t, err, context.Canceled)

	_, _, err = q.LabelNames(ctx, nil)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestStorageConcurrentAppendAndQuery(t *testing.T) {
	s := NewStorage()
	const writers, perWriter = 4, 200
	var wg sync.WaitGroup

	for w := range writers {
		wg.Go(func() {
			lset := labels.FromStrings("__name__", "up", "pod", fmt.Sprint(w))
			for i := range perWriter {
				assert.NoError(t, s.Append(lset, t0.Add(time.Duration(i)*time.Second), float64(i)))
			}
		})
	}
	wg.Go(func() {
		for range perWriter {
			q, err := s.Querier(t0.UnixMilli(), t0.Add(time.Hour).UnixMilli())
			if !assert.NoError(t, err) {
				return
			}
			drainSeriesSet(t, q.Select(context.Background(), true, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", "up")))
		}
	})
	wg.Wait()

	got := selectSamples(t, s, false, labels.MustNewMatcher(labels.MatchEqual, "__name__", "up"))
	require.Len(t, got, writers)
	for name, samples := range got {
		assert.Len(t, samples, perWriter, "series %s", name)
	}
}

// selectLabels selects over all time and returns the series' label strings
// in the order the set yields them.
func selectLabels(t *testing.T, s *Storage, sortSeries bool, matchers ...*labels.Matcher) []string {
	t.Helper()
	q, err := s.Querier(0, t0.Add(24*time.Hour).UnixMilli())
	require.NoError(t, err)
	defer q.Close()

	var got []string
	set := q.Select(context.Background(), sortSeries, nil, matchers...)
	for set.Next() {
		got = append(got, set.At().Labels().String())
	}
	require.NoError(t, set.Err())
	return got
}

// selectSamples selects over all time and returns the samples by series.
func selectSamples(t *testing.T, s *Storage, sortSeries bool, matchers ...*labels.Matcher) map[string][]floatSample {
	t.Helper()
	q, err := s.Querier(0, t0.Add(24*time.Hour).UnixMilli())
	require.NoError(t, err)
	defer q.Close()
	return drainSeriesSet(t, q.Select(context.Background(), sortSeries, nil, matchers...))
}

func drainSeriesSet(t *testing.T, set storage.SeriesSet) map[string][]floatSample {
	t.Helper()
	got := make(map[string][]floatSample)
	for set.Next() {
		series := set.At()
		it := series.Iterator(nil)
		var samples []floatSample
		for it.Next() != 0 {
			ts, v := it.At()
			samples = append(samples, floatSample{t: ts, f: v})
		}
		require.NoError(t, it.Err())
		got[series.Labels().String()] = samples
	}
	require.NoError(t, set.Err())
	return got
}
