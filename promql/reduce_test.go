package promql

import (
	"math"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sample(value float64, labels ...string) *model.Sample {
	metric := model.Metric{}
	for i := 0; i+1 < len(labels); i += 2 {
		metric[model.LabelName(labels[i])] = model.LabelValue(labels[i+1])
	}
	return &model.Sample{Metric: metric, Value: model.SampleValue(value), Timestamp: 1700000000000}
}

func TestReduce(t *testing.T) {
	ignore := ReduceOptions{IgnoreNullValues: true}
	strict := ReduceOptions{IgnoreNullValues: false}
	histogram := &model.Sample{Metric: model.Metric{"pod": "a"}, Histogram: &model.SampleHistogram{Count: 3, Sum: 7}}

	tests := []struct {
		name     string
		value    model.Value
		opts     ReduceOptions
		want     float64
		wantErr  error  // sentinel that errors.Is must find
		wantText string // text that the error message must contain
	}{
		{"scalar: value", &model.Scalar{Value: 140}, strict, 140, nil, ""},
		{"scalar: NaN ignored", &model.Scalar{Value: model.SampleValue(math.NaN())}, ignore, 0, nil, ""},
		{"scalar: NaN rejected", &model.Scalar{Value: model.SampleValue(math.NaN())}, strict, 0, ErrNotANumber, "the value is NaN"},
		{"scalar: nil pointer", (*model.Scalar)(nil), ignore, 0, nil, "nil scalar"},
		{"vector: one sample", model.Vector{sample(140, "pod", "a")}, strict, 140, nil, ""},
		{"vector: negative sample", model.Vector{sample(-2.5)}, strict, -2.5, nil, ""},
		{"vector: empty ignored", model.Vector{}, ignore, 0, nil, ""},
		{"vector: nil ignored", model.Vector(nil), ignore, 0, nil, ""},
		{"vector: empty rejected", model.Vector{}, strict, 0, ErrEmptyResult, "or vector(0)"},
		{"vector: two series", model.Vector{sample(1, "pod", "a"), sample(2, "pod", "b")}, ignore, 0, ErrMultipleSeries, `2 series, {pod="a"}, {pod="b"};`},
		{"vector: five series show three", model.Vector{sample(1, "pod", "a"), sample(2, "pod", "b"), sample(3, "pod", "c"), sample(4, "pod", "d"), sample(5, "pod", "e")}, ignore, 0, ErrMultipleSeries, `5 series, first {pod="a"}, {pod="b"}, {pod="c"};`},
		{"vector: +Inf ignored", model.Vector{sample(math.Inf(1))}, ignore, 0, nil, ""},
		{"vector: +Inf rejected", model.Vector{sample(math.Inf(1))}, strict, 0, ErrNotANumber, "the value is +Inf"},
		{"vector: -Inf rejected", model.Vector{sample(math.Inf(-1))}, strict, 0, ErrNotANumber, "the value is -Inf"},
		{"vector: NaN rejected", model.Vector{sample(math.NaN())}, strict, 0, ErrNotANumber, "the value is NaN"},
		{"vector: native histogram rejected", model.Vector{histogram}, ignore, 0, ErrHistogram, `{pod="a"}`},
		{"vector: nil sample", model.Vector{nil}, ignore, 0, nil, "nil sample"},
		{"matrix: rejected", model.Matrix{{Metric: model.Metric{"pod": "a"}}}, ignore, 0, ErrRangeVector, "with 1 series"},
		{"matrix: empty rejected", model.Matrix{}, ignore, 0, ErrRangeVector, "avg_over_time"},
		{"string: rejected", &model.String{Value: "up"}, ignore, 0, nil, `the string "up"`},
		{"nil: rejected", nil, ignore, 0, nil, "missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Reduce(tc.value, tc.opts)

			if tc.wantText == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
				return
			}
			require.Error(t, err)
			assert.Zero(t, got)
			assert.Contains(t, err.Error(), tc.wantText)
			assert.Regexp(t, `^promql: [a-z]`, err.Error())
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
			}
		})
	}
}
