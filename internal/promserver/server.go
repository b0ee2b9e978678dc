package promserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/promscaler/promscaler/sigv4"
)

// Defaults for the zero values of Config.
const (
	// DefaultTimeout is the maximum duration of one query when
	// Config.Timeout is zero.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxSamples is the maximum number of samples one query may hold
	// in memory when Config.MaxSamples is zero (Prometheus' own default for
	// --query.max-samples).
	DefaultMaxSamples = 50_000_000
	// subqueryStep is the resolution of a subquery without an explicit step,
	// such as max_over_time(x[5m:]); Prometheus takes its
	// global.evaluation_interval, which defaults to 1m.
	subqueryStep = time.Minute
	// shutdownGrace bounds how long Close waits for running requests.
	shutdownGrace = 5 * time.Second
)

// workspaceIDPattern admits one unescaped URL path segment, as AMP workspace
// IDs such as "ws-0a1b2c3d-..." are.
var workspaceIDPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)

// Config configures a Server. Storage and WorkspaceID are required; every
// other zero value selects the documented default.
type Config struct {
	// Storage holds the series that queries read. Required.
	Storage *Storage
	// WorkspaceID names the workspace, for example "ws-quickstart". The
	// query API lives under /workspaces/<WorkspaceID>/api/v1/. Required.
	WorkspaceID string
	// Verifier checks the AWS SigV4 signature of every request before
	// anything else. Nil serves without authentication, as plain
	// Prometheus does.
	Verifier *sigv4.Verifier
	// Logger receives server starts and stops and every failed request.
	// Nil discards the logs.
	Logger *slog.Logger
	// LookbackDelta is how far back an instant selector looks for the
	// latest sample. Zero selects the engine default of 5m.
	LookbackDelta time.Duration
	// Timeout bounds each query. Zero selects DefaultTimeout. A request's
	// "timeout" parameter can shorten it.
	Timeout time.Duration
	// MaxSamples bounds the samples one query may hold in memory. Zero
	// selects DefaultMaxSamples.
	MaxSamples int
	// EnableExperimentalFunctions admits PromQL functions that Prometheus
	// puts behind --enable-feature=promql-experimental-functions.
	EnableExperimentalFunctions bool
	// Now returns the evaluation time of an instant query that has no
	// "time" parameter. Nil selects time.Now.
	Now func() time.Time
}

// Validate reports the first invalid field of the configuration.
func (c Config) Validate() error {
	switch {
	case c.Storage == nil:
		return errors.New("promserver: Config.Storage is nil; create one with NewStorage")
	case !workspaceIDPattern.MatchString(c.WorkspaceID):
		return fmt.Errorf("promserver: invalid Config.WorkspaceID %q; use letters, digits, '.', '_', '~' or '-', for example \"ws-quickstart\"", c.WorkspaceID)
	case c.LookbackDelta < 0:
		return fmt.Errorf("promserver: invalid Config.LookbackDelta %s; use a positive duration, or 0 for 5m", c.LookbackDelta)
	case c.Timeout < 0:
		return fmt.Errorf("promserver: invalid Config.Timeout %s; use a positive duration, or 0 for %s", c.Timeout, DefaultTimeout)
	case c.MaxSamples < 0:
		return fmt.Errorf("promserver: invalid Config.MaxSamples %d; use a positive number, or 0 for %d", c.MaxSamples, DefaultMaxSamples)
	}
	return nil
}

// withDefaults returns c with each zero field replaced by its default.
func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxSamples == 0 {
		c.MaxSamples = DefaultMaxSamples
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Server serves the Prometheus HTTP query API for one workspace, evaluating
// queries with the PromQL engine of Prometheus over a Storage. Its methods
// are safe for concurrent use.
type Server struct {
	cfg     Config
	engine  *promql.Engine
	handler http.Handler

	// Set by Start only.
	httpServer *http.Server
	url        string
	serveDone  chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// NewServer validates cfg and returns a Server that is not listening yet:
// mount Handler on a server of your own, or call Start instead.
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()

	engine := promql.NewEngine(promql.EngineOpts{
		Logger:                   cfg.Logger,
		MaxSamples:               cfg.MaxSamples,
		Timeout:                  cfg.Timeout,
		LookbackDelta:            cfg.LookbackDelta,
		NoStepSubqueryIntervalFn: func(int64) int64 { return subqueryStep.Milliseconds() },
		EnableAtModifier:         true,
		EnableNegativeOffset:     true,
		Parser: parser.NewParser(parser.Options{
			EnableExperimentalFunctions: cfg.EnableExperimentalFunctions,
		}),
	})

	s := &Server{cfg: cfg, engine: engine}
	s.handler = s.newHandler()
	return s, nil
}

// Start validates cfg, listens on a free port of 127.0.0.1 and serves in a
// goroutine until Close.
func Start(cfg Config) (*Server, error) {
	s, err := NewServer(cfg)
	if err != nil {
		return nil, err
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("promserver: listen on 127.0.0.1: %w", err)
	}
	s.url = "http://" + listener.Addr().String() + s.BasePath()
	s.httpServer = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	s.serveDone = make(chan struct{})

	go s.serve(listener)
	s.cfg.Logger.Info("promserver: serving", "url", s.url)
	return s, nil
}

func (s *Server) serve(listener net.Listener) {
	defer close(s.serveDone)

	err := s.httpServer.Serve(listener)
	if !errors.Is(err, http.ErrServerClosed) {
		s.cfg.Logger.Error("promserver: serve failed", "url", s.url, "error", err)
	}
}

// Handler returns the HTTP handler of the query API. It expects the full
// request path, /workspaces/<WorkspaceID>/api/v1/..., so mount it at the root.
func (s *Server) Handler() http.Handler { return s.handler }

// BasePath returns the path of the workspace, "/workspaces/<WorkspaceID>",
// which clients use as their Prometheus base URL path.
func (s *Server) BasePath() string { return "/workspaces/" + s.cfg.WorkspaceID }

// URL returns the base URL of the workspace,
// "http://127.0.0.1:PORT/workspaces/<WorkspaceID>", in the form of an AMP
// workspace's Prometheus endpoint. It is empty unless the server came from
// Start.
func (s *Server) URL() string { return s.url }

// Close stops the listener, waits up to 5s for running requests, then cuts
// the remaining connections and waits for the serve goroutine to return.
// Calls after the first return the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.shutdown() })
	return s.closeErr
}

func (s *Server) shutdown() error {
	var err error
	if s.httpServer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()

		if shutdownErr := s.httpServer.Shutdown(ctx); shutdownErr != nil {
			err = s.httpServer.Close()
		}
		<-s.serveDone
		s.cfg.Logger.Info("promserver: stopped", "url", s.url)
	}

	if engineErr := s.engine.Close(); engineErr != nil && err == nil {
		err = engineErr
	}
	if err != nil {
		return fmt.Errorf("promserver: close: %w", err)
	}
	return nil
}
