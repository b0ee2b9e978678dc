package realprom

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Defaults of Config.
const (
	DefaultScrapeInterval = time.Second
	DefaultReadyTimeout   = 30 * time.Second
	DefaultStopTimeout    = 10 * time.Second
)

// logTailLines is how many lines of the server's log a failed test shows.
const logTailLines = 40

// startAttempts bounds the tries of Start when another process takes the
// chosen port between the check that it is free and the server's bind.
const startAttempts = 3

// Config configures a Server. The zero value runs the binary that Binary
// finds, with no scrape targets and the defaults.
type Config struct {
	// Binary is the path of the prometheus binary. Empty means Binary(tb),
	// which skips or fails the test when none is found.
	Binary string
	// ScrapeTargets are host:port addresses whose /metrics the server
	// scrapes, in the job "realprom".
	ScrapeTargets []string
	// ScrapeInterval is both the scrape interval and the rule evaluation
	// interval. Zero means DefaultScrapeInterval.
	ScrapeInterval time.Duration
	// ReadyTimeout bounds the wait for GET /-/ready to succeed. Zero means
	// DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// StopTimeout is how long the server may take to exit after SIGTERM
	// before it gets SIGKILL. Zero means DefaultStopTimeout.
	StopTimeout time.Duration
}

// Validate reports the first field that cannot work.
func (c Config) Validate() error {
	for i, target := range c.ScrapeTargets {
		if _, _, err := net.SplitHostPort(target); err != nil {
			return fmt.Errorf("realprom: ScrapeTargets[%d] %q is not a host:port address such as 127.0.0.1:9100: %w", i, target, err)
		}
	}
	switch {
	case c.ScrapeInterval < 0:
		return fmt.Errorf("realprom: ScrapeInterval %v is negative; use a positive duration such as 1s, or 0 for the default", c.ScrapeInterval)
	case c.ScrapeInterval%time.Millisecond != 0:
		return fmt.Errorf("realprom: ScrapeInterval %v is not whole milliseconds, which Prometheus requires; use a duration such as 1s", c.ScrapeInterval)
	case c.ReadyTimeout < 0:
		return fmt.Errorf("realprom: ReadyTimeout %v is negative; use a positive duration, or 0 for %v", c.ReadyTimeout, DefaultReadyTimeout)
	case c.StopTimeout < 0:
		return fmt.Errorf("realprom: StopTimeout %v is negative; use a positive duration, or 0 for %v", c.StopTimeout, DefaultStopTimeout)
	}
	return nil
}

// PrometheusConfig returns the prometheus.yml that Start writes for c.
func (c Config) PrometheusConfig() string {
	interval := formatDuration(c.withDefaults().ScrapeInterval)

	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n", interval, interval)
	if len(c.ScrapeTargets) == 0 {
		b.WriteString("scrape_configs: []\n")
		return b.String()
	}
	b.WriteString("scrape_configs:\n  - job_name: realprom\n    static_configs:\n      - targets:\n")
	for _, target := range c.ScrapeTargets {
		fmt.Fprintf(&b, "          - %s\n", strconv.Quote(target))
	}
	return b.String()
}

func (c Config) withDefaults() Config {
	if c.ScrapeInterval == 0 {
		c.ScrapeInterval = DefaultScrapeInterval
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = DefaultReadyTimeout
	}
	if c.StopTimeout == 0 {
		c.StopTimeout = DefaultStopTimeout
	}
	return c
}

// formatDuration writes d in whole seconds, or else in milliseconds, so that
// Prometheus reads back exactly d.
func formatDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// Server is a prometheus process that a test started.
type Server struct {
	url     string
	logPath string
	cmd     *exec.Cmd
	// exited is closed when the process has exited and waitErr is set.
	exited  chan struct{}
	waitErr error
	// logShown records that a failure message already contains the log.
	logShown bool
}

// Start runs a Prometheus server for the test and stops it when the test
// ends, whether it passed or failed. It fails the test when cfg is invalid
// or the server is not ready within cfg.ReadyTimeout, and then logs the end
// of the server's log.
func Start(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	cfg = cfg.withDefaults()
	if cfg.Binary == "" {
		cfg.Binary = Binary(tb)
	}

	dir := tb.TempDir()
	configPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configPath, []byte(cfg.PrometheusConfig()), 0o600); err != nil {
		tb.Fatalf("realprom: write the configuration: %v", err)
	}

	for attempt := 1; ; attempt++ {
		s, err := launch(cfg, dir, configPath, attempt)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.cleanup(tb, cfg.StopTimeout) })

		err = s.waitReady(cfg.ReadyTimeout)
		if err == nil {
			return s
		}
		if attempt < startAttempts && strings.Contains(s.LogTail(logTailLines), "address already in use") {
			tb.Logf("realprom: %v; trying another port", err)
			continue
		}
		s.logShown = true
		tb.Fatalf("%v\n%s", err, s.describeLog())
	}
}

// launch starts the binary on a free port with its own TSDB directory.
func launch(cfg Config, dir, configPath string, attempt int) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	address := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	logPath := filepath.Join(dir, fmt.Sprintf("prometheus-%d.log", attempt))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("realprom: create the server log: %w", err)
	}
	defer logFile.Close()

	cmd := exec.Command(cfg.Binary,
		"--config.file="+configPath,
		"--web.listen-address="+address,
		"--storage.tsdb.path="+filepath.Join(dir, fmt.Sprintf("data-%d", attempt)),
	)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("realprom: start %s: %w", cfg.Binary, err)
	}

	s := &Server{url: "http://" + address, logPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("realprom: find a free port on 127.0.0.1: %w", err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port, nil
}

// URL returns the server's base URL, such as http://127.0.0.1:41234, which
// serves the HTTP API under /api/v1/.
func (s *Server) URL() string {
	return s.url
}

// LogTail returns the last n lines of the server's log.
func (s *Server) LogTail(n int) string {
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", s.logPath, err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (s *Server) describeLog() string {
	return fmt.Sprintf("last %d lines of the prometheus log %s:\n%s", logTailLines, s.logPath, s.LogTail(logTailLines))
}

// waitReady polls GET /-/ready until it returns 200, the process exits or
// timeout passes.
func (s *Server) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		lastErr = s.checkReady(client)
		if lastErr == nil {
			return nil
		}

		select {
		case <-s.exited:
			return fmt.Errorf("realprom: prometheus exited before it was ready: %v", s.waitErr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("realprom: prometheus at %s was not ready within %v: %w", s.url, timeout, lastErr)
		}
	}
}

func (s *Server) checkReady(client *http.Client) error {
	resp, err := client.Get(s.url + "/-/ready")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /-/ready returned %s", resp.Status)
	}
	return nil
}

// cleanup stops the server and, when the test failed, logs the end of the
// server's log.
func (s *Server) cleanup(tb testing.TB, timeout time.Duration) {
	if err := s.stop(timeout); err != nil {
		tb.Error(err)
	}
	if tb.Failed() && !s.logShown {
		tb.Log(s.describeLog())
	}
}

// stop sends SIGTERM to the server's process group, and SIGKILL when it has
// not exited within timeout. It returns an error when SIGKILL was needed.
func (s *Server) stop(timeout time.Duration) error {
	select {
	case <-s.exited:
		return nil
	default:
	}

	// A platform without SIGTERM, or a process that is gone, gets
	// SIGKILL at once.
	if err := terminate(s.cmd.Process); err != nil {
		return s.kill()
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(timeout):
	}

	if err := s.kill(); err != nil {
		return err
	}
	return fmt.Errorf("realprom: prometheus (pid %d) did not exit within %v of SIGTERM and was killed", s.cmd.Process.Pid, timeout)
}

// kill sends SIGKILL and waits for the process to exit.
func (s *Server) kill() error {
	if err := kill(s.cmd.Process); err != nil {
		return fmt.Errorf("realprom: kill prometheus (pid %d): %w", s.cmd.Process.Pid, err)
	}
	<-s.exited
	return nil
}
