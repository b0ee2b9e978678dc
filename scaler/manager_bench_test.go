package scaler

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/amp/amptest"
	"github.com/promscaler/promscaler/promql"
)

// The settings of BenchmarkManager10000Scalers.
const (
	benchScalers  = 10_000
	benchInterval = 15 * time.Second
	benchWarmUp   = benchInterval     // one round, not measured
	benchWindow   = 4 * benchInterval // the measured rounds
	// ampServerEnv makes the test binary run TestHelperAMPServer as the
	// benchmark's server process.
	ampServerEnv = "PROMSCALER_AMPTEST_SERVER"
	// ampServerLine starts the line on which that process prints its URL.
	ampServerLine = "amptest URL: "
	// timerSlackEnv, when set to a duration such as 25ms, replaces the
	// Manager's DefaultTimerSlack.
	timerSlackEnv = "PROMSCALER_BENCH_TIMER_SLACK"
	// defaultTransportEnv, when set to 1, leaves amp.Config.HTTPClient nil,
	// so that every amp.Client sends through http.DefaultTransport.
	defaultTransportEnv = "PROMSCALER_BENCH_DEFAULT_TRANSPORT"
)

// TestHelperAMPServer serves an amptest workspace for
// BenchmarkManager10000Scalers, which runs it in a child process so that
// the server's CPU time is not counted with the scalers'. Every query gets
// the value 140. It prints the workspace URL and serves until its standard
// input closes, or for 10 minutes at most.
func TestHelperAMPServer(t *testing.T) {
	if os.Getenv(ampServerEnv) != "1" {
		t.Skip("runs only as the server process of BenchmarkManager10000Scalers")
	}
	srv, err := amptest.Start(amptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.HandleQuery(func(amptest.QueryRequest) amptest.Response {
		return amptest.Response{Samples: []amptest.Sample{{Value: 140}}}
	})
	fmt.Println(ampServerLine + srv.URL())

	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-stdinClosed:
	case <-time.After(10 * time.Minute):
	}
}

// startAMPServer runs TestHelperAMPServer in a child process with one
// core, and returns its workspace URL. The process ends with the benchmark.
func startAMPServer(b *testing.B) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperAMPServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), ampServerEnv+"=1", "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("start the amptest server process: %v", err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})

	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if url, ok := strings.CutPrefix(lines.Text(), ampServerLine); ok {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return url
		}
	}
	b.Fatalf("the amptest server process printed no URL: %v", lines.Err())
	return ""
}

// sharedHTTPClient returns the one http.Client of every amp.Client in the
// benchmark. Its transport keeps up to maxPolls idle connections to the
// server, one for each poll that can run at once, so polls reuse
// connections instead of dialing. http.DefaultTransport keeps only 2.
func sharedHTTPClient(maxPolls int) *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = maxPolls
	transport.MaxIdleConnsPerHost = maxPolls
	return &http.Client{Transport: transport}
}

// newBenchScalers returns n scalers with an amp.Source each, a distinct
// query, and a MemoryTarget at 2 replicas. Each query's duration goes to
// durations.
func newBenchScalers(b *testing.B, url string, httpClient *http.Client, n int, durations *durationRecorder) []*Scaler {
	b.Helper()
	creds := credentials.NewStaticCredentialsProvider(amptest.AccessKeyID, amptest.SecretAccessKey, "")
	scalers := make([]*Scaler, n)
	for i := range scalers {
		client, err := amp.NewClient(amp.Config{
			ServerAddress: url,
			SigV4:         true,
			Region:        amptest.DefaultRegion,
			Credentials:   creds,
			HTTPClient:    httpClient,
		})
		if err != nil {
			b.Fatal(err)
		}
		query := fmt.Sprintf(`sum(rate(http_requests_total{deployment="app-%05d"}[2m]))`, i)
		source, err := amp.NewSource(client, query, promql.ReduceOptions{})
		if err != nil {
			b.Fatal(err)
		}
		scalers[i], err = New(Config{
			Name:            fmt.Sprintf("bench/app-%05d", i),
			Triggers:        []Trigger{{Source: &queryTimer{next: source, durations: durations}, Threshold: 50}},
			Target:          NewMemoryTarget(2, nil),
			PollingInterval: benchInterval,
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return scalers
}

// benchmarkSelected reports whether the -test.bench pattern names the
// benchmark, so that "-bench ." does not start a run of more than a minute.
func benchmarkSelected(name string) bool {
	f := flag.Lookup("test.bench")
	return f != nil && strings.Contains(f.Value.String(), name)
}

// cpuTime returns the user and system CPU time of this process.
func cpuTime(b *testing.B) time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		b.Fatal(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// memoryKB returns a field of /proc/self/status in kB, such as VmRSS.
func memoryKB(b *testing.B, field string) float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatalf("parse %s in /proc/self/status: %v", field, err)
			}
			return kb
		}
	}
	b.Fatalf("/proc/self/status has no %s", field)
	return 0
}

// tcpActiveOpens returns the number of TCP connections opened on this
// machine (its network namespace), from the ActiveOpens field of
// /proc/net/snmp.
func tcpActiveOpens(b *testing.B) float64 {
	snmp, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		b.Fatal(err)
	}
	var names []string
	for line := range strings.Lines(string(snmp)) {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != "Tcp:" {
			continue
		}
		if names == nil {
			names = fields
			continue
		}
		for i, name := range names {
			if name == "ActiveOpens" && i < len(fields) {
				opens, err := strconv.ParseFloat(fields[i], 64)
				if err != nil {
					b.Fatalf("parse ActiveOpens in /proc/net/snmp: %v", err)
				}
				return opens
			}
		}
	}
	b.Fatal("/proc/net/snmp has no Tcp ActiveOpens field")
	return 0
}

// BenchmarkManager10000Scalers runs 10 000 scalers polling an amptest
// server every 15 s, and measures the scaler process over four rounds after
// a warm-up round: its CPU share of one core, its resident memory, and the
// lateness of the polls. It runs about 80 s, only when -bench names it.
func BenchmarkManager10000Scalers(b *testing.B) {
	if !benchmarkSelected("BenchmarkManager10000Scalers") {
		b.Skip("runs for more than a minute; select it with -bench BenchmarkManager10000Scalers")
	}
	b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	url := startAMPServer(b)
	queries := &durationRecorder{}
	httpClient := sharedHTTPClient(DefaultMaxConcurrentPolls)
	if os.Getenv(defaultTransportEnv) == "1" {
		httpClient = nil
	}
	scalers := newBenchScalers(b, url, httpClient, benchScalers, queries)
	cfg := ManagerConfig{Rand: rand.New(rand.NewPCG(1, 2))}
	if v := os.Getenv(timerSlackEnv); v != "" {
		slack, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("%s=%q: %v; use a Go duration such as 25ms", timerSlackEnv, v, err)
		}
		cfg.TimerSlack = &slack
	}
	m, err := NewManager(cfg)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range scalers {
		if err := m.Add(s); err != nil {
			b.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	time.Sleep(benchWarmUp)

	// The histograms restart with the measured rounds.
	m.mu.Lock()
	m.stats.lateness = latencyHistogram{}
	m.mu.Unlock()
	queries.mu.Lock()
	queries.h = latencyHistogram{}
	queries.mu.Unlock()
	before, cpuBefore, opensBefore, start := m.Stats(), cpuTime(b), tcpActiveOpens(b), time.Now()
	time.Sleep(benchWindow)
	after, cpuAfter, opensAfter, wall := m.Stats(), cpuTime(b), tcpActiveOpens(b), time.Since(start)
	rss, hwm := memoryKB(b, "VmRSS"), memoryKB(b, "VmHWM")
	queries.mu.Lock()
	queryP99, queryMax := queries.h.quantile(0.99), queries.h.max
	queries.mu.Unlock()

	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	polls := after.Polls - before.Polls
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(100*float64(cpuAfter-cpuBefore)/float64(wall), "%cpu")
	b.ReportMetric(rss/1024, "VmRSS-MB")
	b.ReportMetric(hwm/1024, "VmHWM-MB")
	b.ReportMetric(float64(after.LatenessP50)/float64(time.Millisecond), "p50-late-ms")
	b.ReportMetric(float64(after.LatenessP99)/float64(time.Millisecond), "p99-late-ms")
	b.ReportMetric(float64(after.LatenessMax)/float64(time.Millisecond), "max-late-ms")
	b.ReportMetric(float64(polls)/wall.Seconds(), "polls/s")
	b.ReportMetric(float64(after.FailedPolls-before.FailedPolls), "failed")
	b.ReportMetric(float64(after.SkippedPolls-before.SkippedPolls), "skipped")
	b.ReportMetric(opensAfter-opensBefore, "tcp-dials")
	b.ReportMetric(float64(queryP99)/float64(time.Millisecond), "p99-query-ms")
	b.ReportMetric(float64(queryMax)/float64(time.Millisecond), "max-query-ms")
}

// queryTimer is a Source that records how long each call of the Source it
// wraps takes.
type queryTimer struct {
	next      Source
	durations *durationRecorder
}

// durationRecorder is a latencyHistogram for concurrent use.
type durationRecorder struct {
	mu sync.Mutex
	h  latencyHistogram
}

func (q *queryTimer) Value(ctx context.Context, now time.Time) (float64, error) {
	start := time.Now()
	v, err := q.next.Value(ctx, now)
	elapsed := time.Since(start)

	q.durations.mu.Lock()
	q.durations.h.record(elapsed)
	q.durations.mu.Unlock()
	return v, err
}
