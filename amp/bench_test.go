package amp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/promql"
)

const benchQuery = `sum(rate(http_requests_total{deployment="api"}[2m]))`

var benchTime = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// newStaticServer serves body to every request on 127.0.0.1.
func newStaticServer(tb testing.TB, body []byte) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// seriesBody returns a vector response with n series.
func seriesBody(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"status":"success","data":{"resultType":"vector","result":[`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"metric":{"deployment":"api","pod":"api-%d"},"value":[1735787045,"%d"]}`, i, i)
	}
	b.WriteString(`]}}`)
	return []byte(b.String())
}

// rawQuery is the same POST and decode as amp.Client.Query, written with
// net/http and encoding/json only.
func rawQuery(ctx context.Context, client *http.Client, base, query string, ts time.Time) (model.Vector, error) {
	form := url.Values{"query": {query}, "time": {fmt.Sprintf("%.3f", float64(ts.UnixMilli())/1e3)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	var body struct {
		Status string `json:"status"`
		Data   struct {
			ResultType string       `json:"resultType"`
			Result     model.Vector `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	if body.Status != "success" {
		return nil, errors.New("status " + body.Status)
	}
	return body.Data.Result, nil
}

// queryRunner makes one instant query of benchQuery against a server and
// returns how many series it decoded.
type queryRunner struct {
	name string
	new  func(tb testing.TB, address string) func(ctx context.Context) (int, error)
}

// queryRunners are the clients that the benchmarks compare: amp, plain
// net/http with encoding/json, and client_golang's v1.API.
var queryRunners = []queryRunner{
	{name: "amp", new: newAmpRunner},
	{name: "nethttp", new: newRawRunner},
	{name: "client_golang", new: newClientGolangRunner},
}

func newAmpRunner(tb testing.TB, address string) func(ctx context.Context) (int, error) {
	// Decoding 100 000 series under the race detector takes longer than
	// DefaultTimeout.
	client, err := amp.NewClient(amp.Config{ServerAddress: address, Timeout: time.Minute})
	if err != nil {
		tb.Fatal(err)
	}
	return func(ctx context.Context) (int, error) {
		result, err := client.Query(ctx, benchQuery, benchTime)
		if err != nil {
			return 0, err
		}
		return len(result.Value.(model.Vector)), nil
	}
}

func newRawRunner(tb testing.TB, address string) func(ctx context.Context) (int, error) {
	client := &http.Client{}
	return func(ctx context.Context) (int, error) {
		vector, err := rawQuery(ctx, client, address, benchQuery, benchTime)
		return len(vector), err
	}
}

func BenchmarkInstantQuery(b *testing.B) {
	srv := newStaticServer(b, seriesBody(1))
	ctx := context.Background()

	for _, runner := range queryRunners {
		b.Run(runner.name, func(b *testing.B) {
			query := runner.new(b, srv.URL)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := query(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// manySeries is the number of series in the response that Source rejects.
const manySeries = 100_000

func BenchmarkRejectManySeries(b *testing.B) {
	srv := newStaticServer(b, seriesBody(manySeries))
	ctx := context.Background()

	b.Run("amp_source", func(b *testing.B) {
		source := newBenchSource(b, srv.URL)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := source.Value(ctx, benchTime); !errors.Is(err, promql.ErrMultipleSeries) {
				b.Fatalf("Value() error = %v, want ErrMultipleSeries", err)
			}
		}
	})
	for _, runner := range queryRunners {
		b.Run(runner.name+"_full", func(b *testing.B) {
			query := runner.new(b, srv.URL)
			b.ReportAllocs()
			for b.Loop() {
				if n, err := query(ctx); err != nil || n != manySeries {
					b.Fatalf("query() = %d series, %v; want %d series", n, err, manySeries)
				}
			}
		})
	}
}

func newBenchSource(tb testing.TB, address string) *amp.Source {
	tb.Helper()
	client, err := amp.NewClient(amp.Config{ServerAddress: address})
	if err != nil {
		tb.Fatal(err)
	}
	source, err := amp.NewSource(client, benchQuery, promql.ReduceOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return source
}

// memoryUse is what one call allocated: the bytes allocated in total and
// the highest heap in use seen while it ran, above the heap before it.
type memoryUse struct {
	totalAlloc uint64
	peakHeap   uint64
}

// measureMemory runs call once and samples the heap every 100µs.
// NOTE: the numbers include the test server in the same process, and the
// sampling can miss short peaks, so they are estimates.
func measureMemory(call func()) memoryUse {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	var peak atomic.Uint64
	peak.Store(before.HeapInuse)
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak.Store(max(peak.Load(), m.HeapInuse))
			select {
			case <-done:
				return
			case <-time.After(100 * time.Microsecond):
			}
		}
	}()
	call()
	close(done)
	<-sampled

	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	return memoryUse{
		totalAlloc: after.TotalAlloc - before.TotalAlloc,
		peakHeap:   max(peak.Load(), after.HeapInuse) - before.HeapInuse,
	}
}

func TestPeakMemoryRejectingManySeries(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 100 000 series in full")
	}
	body := seriesBody(manySeries)
	srv := newStaticServer(t, body)
	ctx := context.Background()
	source := newBenchSource(t, srv.URL)

	sourceUse := measureMemory(func() {
		if _, err := source.Value(ctx, benchTime); !errors.Is(err, promql.ErrMultipleSeries) {
			t.Errorf("Value() error = %v, want ErrMultipleSeries", err)
		}
	})
	t.Logf("body %d bytes, %d series", len(body), manySeries)
	t.Logf("%-16s TotalAlloc %10d B, peak HeapInuse +%10d B", "amp.Source", sourceUse.totalAlloc, sourceUse.peakHeap)

	for _, runner := range queryRunners {
		query := runner.new(t, srv.URL)
		use := measureMemory(func() {
			if _, err := query(ctx); err != nil {
				t.Error(err)
			}
		})
		t.Logf("%-16s TotalAlloc %10d B, peak HeapInuse +%10d B (full decode)", runner.name, use.totalAlloc, use.peakHeap)
		if sourceUse.totalAlloc*10 > use.totalAlloc {
			t.Errorf("amp.Source allocated %d B, want under a tenth of the %d B of a full decode by %s", sourceUse.totalAlloc, use.totalAlloc, runner.name)
		}
	}
}
