package promserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
)

// ErrOutOfOrder is wrapped by the error Append returns when a sample is not
// later than the last sample of its series.
var ErrOutOfOrder = errors.New("promserver: sample out of order")

// Storage holds float series in memory. It implements storage.Queryable, so
// the PromQL engine can read it directly. The zero value is an empty Storage,
// as NewStorage returns. A Storage is safe for concurrent use: queries see
// the samples appended before their Querier was opened.
type Storage struct {
	mu     sync.RWMutex
	series map[string]*memSeries // keyed by the series' labels.Labels.String()
}

// memSeries is one series. Its samples only grow at the end, so a querier may
// keep reading a prefix of the slice after the lock is released.
type memSeries struct {
	lset    labels.Labels
	samples []floatSample
}

var _ storage.Queryable = (*Storage)(nil)

// NewStorage returns an empty Storage.
func NewStorage() *Storage {
	return &Storage{series: make(map[string]*memSeries)}
}

// Append adds the sample (t, v) to the series lset. The labels must include a
// non-empty __name__, hold valid names, and have no empty values or duplicate
// names. Samples of one series must come in strictly increasing time order at
// millisecond resolution; an older or equal timestamp returns an error that
// wraps ErrOutOfOrder. Samples of different series may come in any order.
func (s *Storage) Append(lset labels.Labels, t time.Time, v float64) error {
	if err := validateSeriesLabels(lset); err != nil {
		return err
	}
	ts := t.UnixMilli()

	s.mu.Lock()
	defer s.mu.Unlock()

	if s.series == nil {
		s.series = make(map[string]*memSeries)
	}
	key := lset.String()
	series, ok := s.series[key]
	if !ok {
		series = &memSeries{lset: lset.Copy()}
		s.series[key] = series
	}
	if n := len(series.samples); n > 0 && series.samples[n-1].t >= ts {
		last := time.UnixMilli(series.samples[n-1].t).UTC()
		return fmt.Errorf("%w: series %s has a sample at %s, so a sample at %s cannot follow; append the samples of one series in increasing time order",
			ErrOutOfOrder, key, last.Format(time.RFC3339Nano), t.UTC().Format(time.RFC3339Nano))
	}
	series.samples = append(series.samples, floatSample{t: ts, f: v})
	return nil
}

func validateSeriesLabels(lset labels.Labels) error {
	if lset.Get(labels.MetricName) == "" {
		return fmt.Errorf("promserver: series %s has no %s label; give every series a metric name", lset, labels.MetricName)
	}
	if name, dup := lset.HasDuplicateLabelNames(); dup {
		return fmt.Errorf("promserver: series %s has the label %q twice; give each label name once", lset, name)
	}

	var err error
	lset.Range(func(l labels.Label) {
		switch {
		case err != nil:
		case !model.UTF8Validation.IsValidLabelName(l.Name):
			err = fmt.Errorf("promserver: series %s has the invalid label name %q; use a non-empty UTF-8 name", lset, l.Name)
		case l.Value == "":
			err = fmt.Errorf("promserver: series %s has an empty value for label %q; leave the label out instead", lset, l.Name)
		}
	})
	return err
}

// Querier returns a Querier over the samples with timestamps in [mint, maxt],
// both in milliseconds. It copies no samples.
func (s *Storage) Querier(mint, maxt int64) (storage.Querier, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()

	q := &querier{series: make([]memSeries, 0, len(s.series))}
	for _, series := range s.series {
		samples := samplesInRange(series.samples, mint, maxt)
		q.series = append(q.series, memSeries{lset: series.lset, samples: samples})
	}
	return q, nil
}

// samplesInRange returns the sub-slice of samples, sorted by time, whose
// timestamps lie in [mint, maxt].
func samplesInRange(samples []floatSample, mint, maxt int64) []floatSample {
	lo := sort.Search(len(samples), func(i int) bool { return samples[i].t >= mint })
	hi := sort.Search(len(samples), func(i int) bool { return samples[i].t > maxt })
	if lo >= hi {
		return nil
	}
	return samples[lo:hi:hi]
}

// querier is a snapshot of the storage for one time range. Series without
// samples in the range still take part in label queries.
type querier struct {
	series []memSeries
}

// Select returns the series that match every matcher and have samples in the
// querier's range, sorted by labels when sortSeries is set. It ignores hints.
func (q *querier) Select(ctx context.Context, sortSeries bool, _ *storage.SelectHints, matchers ...*labels.Matcher) storage.SeriesSet {
	if err := ctx.Err(); err != nil {
		return storage.ErrSeriesSet(err)
	}

	var selected []storage.Series
	for _, series := range q.series {
		if len(series.samples) == 0 || !matchAll(series.lset, matchers) {
			continue
		}
		selected = append(selected, newListSeries(series))
	}

	if sortSeries {
		slices.SortFunc(selected, func(a, b storage.Series) int {
			return labels.Compare(a.Labels(), b.Labels())
		})
	}
	return &listSeriesSet{series: selected, index: -1}
}

func newListSeries(series memSeries) storage.Series {
	samples := series.samples
	return &storage.SeriesEntry{
		Lset: series.lset,
		SampleIteratorFn: func(chunkenc.Iterator) chunkenc.Iterator {
			return storage.NewListSeriesIterator(sampleList(samples))
		},
	}
}

// LabelValues returns the sorted distinct values of the label name over the
// series that match every matcher.
func (q *querier) LabelValues(ctx context.Context, name string, hints *storage.LabelHints, matchers ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}

	seen := make(map[string]struct{})
	for _, series := range q.series {
		value := series.lset.Get(name)
		if value == "" || !matchAll(series.lset, matchers) {
			continue
		}
		seen[value] = struct{}{}
	}
	return limitSorted(seen, hints), nil, nil
}

// LabelNames returns the sorted distinct label names over the series that
// match every matcher.
func (q *querier) LabelNames(ctx context.Context, hints *storage.LabelHints, matchers ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}

	seen := make(map[string]struct{})
	for _, series := range q.series {
		if !matchAll(series.lset, matchers) {
			continue
		}
		series.lset.Range(func(l labels.Label) { seen[l.Name] = struct{}{} })
	}
	return limitSorted(seen, hints), nil, nil
}

// Close releases nothing, because the querier holds only slice headers.
func (q *querier) Close() error { return nil }

func matchAll(lset labels.Labels, matchers []*labels.Matcher) bool {
	for _, m := range matchers {
		if !m.Matches(lset.Get(m.Name)) {
			return false
		}
	}
	return true
}

// limitSorted returns the keys of set in ascending order, cut to hints.Limit
// when it is positive.
func limitSorted(set map[string]struct{}, hints *storage.LabelHints) []string {
	values := make([]string, 0, len(set))
	for value := range set {
		values = append(values, value)
	}
	slices.SortFunc(values, strings.Compare)

	if hints != nil && hints.Limit > 0 && len(values) > hints.Limit {
		values = values[:hints.Limit]
	}
	return values
}

// listSeriesSet iterates over series already in memory.
type listSeriesSet struct {
	series []storage.Series
	index  int
}

func (s *listSeriesSet) Next() bool {
	s.index++
	return s.index < len(s.series)
}

func (s *listSeriesSet) At() storage.Series                { return s.series[s.index] }
func (s *listSeriesSet) Err() error                        { return nil }
func (s *listSeriesSet) Warnings() annotations.Annotations { return nil }

// floatSample is one float sample; it implements chunks.Sample for
// storage.NewListSeriesIterator.
type floatSample struct {
	t int64
	f float64
}

func (s floatSample) T() int64                      { return s.t }
func (s floatSample) ST() int64                     { return 0 }
func (s floatSample) F() float64                    { return s.f }
func (s floatSample) H() *histogram.Histogram       { return nil }
func (s floatSample) FH() *histogram.FloatHistogram { return nil }
func (s floatSample) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (s floatSample) Copy() chunks.Sample           { return s }

// sampleList adapts a slice of samples to storage.Samples.
type sampleList []floatSample

func (l sampleList) Get(i int) chunks.Sample { return l[i] }
func (l sampleList) Len() int                { return len(l) }
