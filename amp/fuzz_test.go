package amp

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"

	"github.com/promscaler/promscaler/promql"
)

// fuzzStatuses are the response statuses the decode fuzz targets choose
// from: success, success without content, and the error statuses that
// Prometheus and AMP return.
var fuzzStatuses = []int{200, 204, 400, 403, 422, 429, 500, 503}

// FuzzDecodeReduce decodes a fuzzed response as Source.Read does, with a
// limit of one series, and reduces the result with promql.Reduce. A decoded
// result reduces either to a finite number or to an error with a message,
// and IgnoreNullValues turns exactly the empty and not-a-number errors into
// 0.
func FuzzDecodeReduce(f *testing.F) {
	f.Add(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1735787045,"140"]}]}}`, 0, false)
	f.Add(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"b"},"value":[1,"NaN"]}]}}`, 0, true)
	f.Add(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"+Inf"]}]}}`, 0, false)
	f.Add(`{"status":"success","data":{"resultType":"vector","result":[]}}`, 0, true)
	f.Add(`{"status":"success","data":{"resultType":"vector","result":null}}`, 0, false)
	f.Add(`{"status":"success","data":{"resultType":"scalar","result":[1735787045,"-0.5"]}}`, 0, false)
	f.Add(`{"status":"success","data":{"resultType":"string","result":[1735787045,"x"]}}`, 0, true)
	f.Add(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"]]}]}}`, 0, true)
	f.Add(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{"count":"2","sum":"3","buckets":[[0,"0","1","2"]]}]}]}}`, 0, false)
	f.Add(manySeriesBody(2), 0, true)
	f.Add(`{"status":"error","errorType":"bad_data","error":"parse error"}`, 2, false)
	f.Add(`{"message":"Rate exceeded"}`, 5, true)
	f.Add(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]}]`, 0, false)

	f.Fuzz(func(t *testing.T, body string, statusIndex int, ignoreNullValues bool) {
		status := fuzzStatuses[uint(statusIndex)%uint(len(fuzzStatuses))]

		result, err := decodeForFuzz(body, status, 1)

		if err != nil {
			checkDecodeError(t, body, status, 1, result, err)
			return
		}
		checkReduce(t, result.Value, ignoreNullValues)
	})
}

// decodeForFuzz decodes body as a response with status, as a Client does.
func decodeForFuzz(body string, status, maxSeries int) (*Result, error) {
	resp := &http.Response{StatusCode: status, Header: http.Header{}}
	c := &Client{maxResponse: 1 << 20}
	limited := &limitedBody{r: strings.NewReader(body), limit: c.maxResponse}
	return c.decode(resp, limited, "q", maxSeries)
}

// checkDecodeError checks that a failed decode returns no result and one of
// the documented error types with something for the caller to act on.
func checkDecodeError(t *testing.T, body string, status, maxSeries int, result *Result, err error) {
	t.Helper()
	if result != nil {
		t.Fatalf("body %q: decode returned a result with error %v", body, err)
	}
	if tooMany, ok := errors.AsType[*TooManySeriesError](err); ok {
		if maxSeries <= 0 || tooMany.Seen != maxSeries+1 || len(tooMany.Series) != tooMany.Seen {
			t.Fatalf("body %q: limit %d gave %+v", body, maxSeries, tooMany)
		}
		if !errors.Is(err, promql.ErrMultipleSeries) {
			t.Fatalf("body %q: %v does not wrap promql.ErrMultipleSeries", body, err)
		}
		return
	}

	qerr, ok := errors.AsType[*Error](err)
	switch {
	case !ok:
		t.Fatalf("body %q: error %v (%T) is neither an *Error nor a *TooManySeriesError", body, err, err)
	case qerr.Kind == "":
		t.Fatalf("body %q: error %v has no kind", body, err)
	case qerr.StatusCode != status:
		t.Fatalf("body %q: error %v has status %d, want %d", body, err, qerr.StatusCode, status)
	case status < 300 && qerr.Message == "":
		t.Fatalf("body %q with status %d: error %v does not say what is wrong with the body", body, status, err)
	}
}

// checkDecodedValue checks that a decoded value is a non-nil Prometheus
// value with at most maxSeries series when maxSeries is positive.
func checkDecodedValue(t *testing.T, body string, v model.Value, maxSeries int) {
	t.Helper()
	series := 0
	switch v := v.(type) {
	case model.Vector:
		series = len(v)
	case model.Matrix:
		series = len(v)
	case *model.Scalar, *model.String:
		if reflect.ValueOf(v).IsNil() {
			t.Fatalf("body %q decoded to a nil %T", body, v)
		}
	default:
		t.Fatalf("body %q decoded to %#v, not a Prometheus value", body, v)
	}
	if maxSeries > 0 && series > maxSeries {
		t.Fatalf("body %q decoded to %d series over the limit %d", body, series, maxSeries)
	}
}

// checkReduce reduces a decoded value with IgnoreNullValues as given and
// compares the result with a strict reduction.
func checkReduce(t *testing.T, v model.Value, ignoreNullValues bool) {
	t.Helper()
	got, err := promql.Reduce(v, promql.ReduceOptions{IgnoreNullValues: ignoreNullValues})
	strict, strictErr := promql.Reduce(v, promql.ReduceOptions{})
	nullErr := errors.Is(strictErr, promql.ErrEmptyResult) || errors.Is(strictErr, promql.ErrNotANumber)

	switch {
	case err != nil && (got != 0 || err.Error() == ""):
		t.Fatalf("Reduce(%v) = %v, %q; an error comes with 0 and a message", v, got, err)
	case err != nil && !strings.HasPrefix(err.Error(), "promql: "):
		t.Fatalf("Reduce(%v) error %q has no package prefix", v, err)
	case err == nil && (math.IsNaN(got) || math.IsInf(got, 0)):
		t.Fatalf("Reduce(%v, IgnoreNullValues=%v) = %v, want a finite number", v, ignoreNullValues, got)
	case strictErr == nil && (err != nil || got != strict):
		t.Fatalf("Reduce(%v): %v, %v with IgnoreNullValues=%v, but %v strictly", v, got, err, ignoreNullValues, strict)
	case ignoreNullValues && nullErr && (err != nil || got != 0):
		t.Fatalf("Reduce(%v) = %v, %v; IgnoreNullValues reads %v as 0", v, got, err, strictErr)
	case ignoreNullValues && strictErr != nil && !nullErr && err == nil:
		t.Fatalf("Reduce(%v) = %v; IgnoreNullValues hides %v", v, got, strictErr)
	}
}

// checkOnePassMatchesStream decodes a small body both in one pass and with
// the token stream, and checks that the two agree on a body that both
// decode to a result.
func checkOnePassMatchesStream(t *testing.T, body string) {
	t.Helper()
	if len(body) > onePassSize || caseVariantKeys(body) {
		return
	}
	whole, ok := decodeWhole([]byte(body))
	if !ok {
		return
	}
	dec := &seriesDecoder{dec: json.NewDecoder(strings.NewReader(body)), query: "q"}
	streamed, err := dec.decode()
	if err != nil || !streamed.hasData || streamed.value == nil {
		return
	}

	// JSON compares NaN values as equal, and reflect.DeepEqual does not.
	wholeJSON, wholeErr := json.Marshal(whole.value)
	streamedJSON, streamedErr := json.Marshal(streamed.value)
	if wholeErr != nil || streamedErr != nil || string(wholeJSON) != string(streamedJSON) {
		t.Fatalf("body %q: one pass decoded %s (%v), the stream %s (%v)", body, wholeJSON, wholeErr, streamedJSON, streamedErr)
	}
	if whole.Status != streamed.Status || !reflect.DeepEqual(whole.Warnings, streamed.Warnings) {
		t.Fatalf("body %q: one pass decoded status %q and warnings %q, the stream %q and %q",
			body, whole.Status, whole.Warnings, streamed.Status, streamed.Warnings)
	}
}

// knownKeys are the keys that decoding reads, in the exact form that the
// token stream matches.
var knownKeys = []string{"status", "errorType", "error", "warnings", "infos", "message", "Message", "__type", "data", "resultType", "result"}

// caseVariantKeys reports whether body contains a string that differs from
// a known key only in case. encoding/json matches such a key in the one-pass
// decoding, and the token stream skips it.
func caseVariantKeys(body string) bool {
	dec := json.NewDecoder(strings.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		text, ok := tok.(string)
		if !ok || slices.Contains(knownKeys, text) {
			continue
		}
		for _, key := range knownKeys {
			if strings.EqualFold(text, key) {
				return true
			}
		}
	}
}
