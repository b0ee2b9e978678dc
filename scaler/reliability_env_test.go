package scaler_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/amp/amptest"
	"github.com/promscaler/promscaler/promql"
	"github.com/promscaler/promscaler/scaler"
)

// The loop under test: 2 replicas, a query that returns 140 against a
// threshold of 50 (ceil(140 / 50) = 3), and a fallback to 4 replicas after
// 2 tolerated failures.
const (
	relQuery            = `sum(rate(http_requests_total[2m]))`
	relValue            = 140
	relThreshold        = 50
	relStartReplicas    = 2
	relWantReplicas     = 3
	relFailureThreshold = 2
	relFallbackReplicas = 4
	relPollInterval     = 15 * time.Second
	// relTimeout is the attempt timeout of the faults that wait for it.
	relTimeout         = 200 * time.Millisecond
	relMaxResponseSize = 64 << 10
	relScalerName      = "default/reliability"
	relTrigger         = "s0-prometheus"
	// relInvalidHost is the unresolvable host of the DNS fault. The
	// .invalid top-level domain never resolves.
	relInvalidHost = "amp.invalid"
)

// relT0 is the time of the first poll.
var relT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// relEnv is one loop on a fake AMP workspace, with the switches that the
// faults turn: the server's clock offset, whether DNS resolves
// relInvalidHost, and the source that the loop reads.
type relEnv struct {
	t         *testing.T
	opts      relOptions
	srv       *amptest.Server
	transport *http.Transport
	keys      *countingKeys
	client    *amp.Client
	source    *switchSource
	// good reads through client. wrong, once a fault creates it, reads
	// through a client that signs with a wrong secret.
	good, wrong *amp.Source
	target      *scaler.MemoryTarget
	scaler      *scaler.Scaler
	registry    *prometheus.Registry

	skew  atomic.Int64
	dnsUp atomic.Bool

	closeOnce sync.Once

	mu    sync.Mutex
	waits []time.Duration
	// retries are the amp client's log records of its retries.
	retries lockedBuffer
}

// lockedBuffer is a bytes.Buffer that is safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// take returns what was written and empties the buffer.
func (b *lockedBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	text := b.buf.String()
	b.buf.Reset()
	return text
}

// relOptions changes how newRelEnv builds a loop.
type relOptions struct {
	// timeout is amp.Config.Timeout. Zero means amp.DefaultTimeout.
	timeout time.Duration
	// invalidHost addresses the server as relInvalidHost.
	invalidHost bool
	// clock and onDecision go to scaler.Config.
	clock      scaler.Clock
	onDecision func(scaler.Decision)
}

// newRelEnv starts a fake workspace and a scaler that polls it.
func newRelEnv(t *testing.T, opts relOptions) *relEnv {
	t.Helper()
	e := &relEnv{t: t, opts: opts, keys: &countingKeys{}, source: &switchSource{}}
	e.dnsUp.Store(true)

	srv, err := amptest.Start(amptest.Config{
		Now:         func() time.Time { return time.Now().Add(time.Duration(e.skew.Load())) },
		MaxRequests: 16,
	})
	require.NoError(t, err)
	e.srv = srv
	srv.SetResult(relQuery, relValue)

	e.transport = http.DefaultTransport.(*http.Transport).Clone()
	e.transport.DialContext = e.dial
	e.client = newRelClient(t, e, opts, e.keys)
	e.target = scaler.NewMemoryTarget(relStartReplicas, opts.clock)
	e.scaler = newRelScaler(t, e, opts)
	// A test that stops early still closes the server, so that the leak
	// checks of later tests do not find its goroutines.
	t.Cleanup(e.close)
	return e
}

// newRelClient returns an amp client of e's server, signed with keys,
// with retries whose waits are recorded instead of slept.
func newRelClient(t *testing.T, e *relEnv, opts relOptions, keys aws.CredentialsProvider) *amp.Client {
	t.Helper()
	address := e.srv.URL()
	if opts.invalidHost {
		u, err := url.Parse(address)
		require.NoError(t, err)
		u.Host = net.JoinHostPort(relInvalidHost, u.Port())
		address = u.String()
	}
	client, err := amp.NewClient(amp.Config{
		ServerAddress:   address,
		SigV4:           true,
		Region:          e.srv.Region(),
		Credentials:     keys,
		HTTPClient:      &http.Client{Transport: e.transport},
		Timeout:         opts.timeout,
		MaxResponseSize: relMaxResponseSize,
		Retry:           amp.RetryConfig{Sleep: e.recordWait, Rand: func() float64 { return 0 }},
		Logger:          slog.New(slog.NewTextHandler(&e.retries, nil)),
	})
	require.NoError(t, err)
	return client
}

// newRelScaler returns the scaler of e with fallback and Prometheus
// metrics. A downscale stabilization window of 0 lets the first poll
// after a fault return from the fallback count to the HPA's count.
func newRelScaler(t *testing.T, e *relEnv, opts relOptions) *scaler.Scaler {
	t.Helper()
	e.good = newRelSource(t, e.client)
	e.source.use(e.good)
	e.registry = prometheus.NewRegistry()
	metrics, err := scaler.NewMetrics(e.registry)
	require.NoError(t, err)
	noWindow := time.Duration(0)

	s, err := scaler.New(scaler.Config{
		Name:                         relScalerName,
		Triggers:                     []scaler.Trigger{{Source: e.source, Threshold: relThreshold}},
		Target:                       e.target,
		PollingInterval:              relPollInterval,
		Fallback:                     &scaler.Fallback{FailureThreshold: relFailureThreshold, Replicas: relFallbackReplicas},
		DownscaleStabilizationWindow: &noWindow,
		CreatedAt:                    relT0,
		Clock:                        opts.clock,
		Metrics:                      metrics,
		OnDecision:                   opts.onDecision,
	})
	require.NoError(t, err)
	return s
}

// close stops the server and drops the client's idle connections, so
// that no goroutine of e is left.
func (e *relEnv) close() {
	e.closeOnce.Do(func() {
		e.srv.Close()
		e.transport.CloseIdleConnections()
	})
}

// dial connects to the server. While DNS is down, a name under .invalid
// fails at once without a query to a DNS server. Once DNS is up, the name
// leads to the fake workspace.
func (e *relEnv) dial(ctx context.Context, network, address string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(host, ".invalid") {
		if !e.dnsUp.Load() {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		u, err := url.Parse(e.srv.URL())
		if err != nil {
			return nil, err
		}
		address = u.Host
	}
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// recordWait records a retry wait and returns at once.
func (e *relEnv) recordWait(ctx context.Context, d time.Duration) error {
	e.mu.Lock()
	e.waits = append(e.waits, d)
	e.mu.Unlock()
	return ctx.Err()
}

// takeWaits returns the recorded waits and clears them.
func (e *relEnv) takeWaits() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	waits := e.waits
	e.waits = nil
	return waits
}

// newRelSource returns the amp source of relQuery on client.
func newRelSource(t *testing.T, client *amp.Client) *amp.Source {
	t.Helper()
	source, err := amp.NewSource(client, relQuery, promql.ReduceOptions{})
	require.NoError(t, err)
	return source
}

// switchSource reads the amp source that a test last chose, so that a
// fault can swap the client under a running loop.
type switchSource struct {
	current atomic.Pointer[amp.Source]
}

func (s *switchSource) use(source *amp.Source) {
	s.current.Store(source)
}

func (s *switchSource) Value(ctx context.Context, now time.Time) (float64, error) {
	return s.current.Load().Value(ctx, now)
}

// countingKeys provides the test keys and counts how often the signer
// fetches them.
type countingKeys struct {
	calls atomic.Int32
}

func (k *countingKeys) Retrieve(context.Context) (aws.Credentials, error) {
	k.calls.Add(1)
	return aws.Credentials{AccessKeyID: amptest.AccessKeyID, SecretAccessKey: amptest.SecretAccessKey, Source: "reliability test"}, nil
}

// metricValue returns the value of the counter or gauge name of the
// scaler, or -1 when the registry has no such series.
func (e *relEnv) metricValue(t *testing.T, name string) float64 {
	t.Helper()
	families, err := e.registry.Gather()
	require.NoError(t, err)
	for _, family := range families {
		if family.GetName() != name {
			continue
		}
		for _, m := range family.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

// heapAfterGC returns the live heap in bytes after two collections.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	return stats.HeapAlloc
}

// describeErr names the kind and status of an amp error, or the reason
// of a promql error.
func describeErr(err error) string {
	var qerr *amp.Error
	if errors.As(err, &qerr) {
		kind := string(qerr.Kind)
		if qerr.StatusCode != 0 {
			kind += fmt.Sprintf(" (%d)", qerr.StatusCode)
		}
		return kind
	}
	_, reason, _ := strings.Cut(err.Error(), "promql: ")
	return "not an amp.Error: " + reason
}

// relRow is one line of the fault table.
type relRow struct {
	fault, injected                   string
	kind                              string
	attempts, requests, refetched     int
	during, fallback, recovery, leaks string
	heapGrowth                        int64
}

func (r relRow) String() string {
	retried := "no"
	if r.attempts > 1 {
		retried = "yes"
	}
	client := fmt.Sprintf("%s; retried: %s; attempts %d; requests %d", r.kind, retried, r.attempts, r.requests)
	if r.refetched > 0 {
		client += fmt.Sprintf("; credentials fetched again %d× per poll", r.refetched)
	}
	heap := fmt.Sprintf("%+d KiB", r.heapGrowth/1024)
	return "| " + strings.Join([]string{r.fault, r.injected, client, r.during, r.fallback, r.recovery, r.leaks, heap}, " | ") + " |"
}

// relTableHeader is the head of the fault table in RELIABILITY.md.
const relTableHeader = `| fault | how it is injected | what the client reports (amp.Error Kind; retried; attempts per poll; HTTP requests per poll) | loop result during the fault (action, replicas per poll) | fallback at threshold | recovery | goroutines | heap growth over 200 faults |
|---|---|---|---|---|---|---|---|`

// Markers around the generated table in RELIABILITY.md.
const (
	relTableBegin = "<!-- fault table: begin -->"
	relTableEnd   = "<!-- fault table: end -->"
)

// writeRelTable replaces the table between the markers of path.
func writeRelTable(path string, rows []relRow) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	text := string(data)
	begin := strings.Index(text, relTableBegin)
	end := strings.Index(text, relTableEnd)
	if begin < 0 || end < begin {
		return fmt.Errorf("%s has no %q and %q markers", path, relTableBegin, relTableEnd)
	}

	var b strings.Builder
	b.WriteString(relTableBegin + "\n" + relTableHeader + "\n")
	for _, r := range rows {
		b.WriteString(r.String() + "\n")
	}
	text = text[:begin] + b.String() + text[end:]
	return os.WriteFile(path, []byte(text), 0o644)
}
