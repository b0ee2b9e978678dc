package promserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/prometheus/promql"
)

// maxPoints is the largest number of steps a range query may ask for, the
// same bound Prometheus' HTTP API enforces.
const maxPoints = 11000

// Query API paths below the workspace's base path.
const (
	pathQuery      = "/api/v1/query"
	pathQueryRange = "/api/v1/query_range"
)

func (s *Server) newHandler() http.Handler {
	return http.HandlerFunc(s.serveHTTP)
}

// serveHTTP authenticates the request, then routes it by path and method.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.authenticate(w, r) {
		return
	}

	serve := s.route(r.URL.Path)
	if serve == nil {
		s.writeError(w, r, &apiError{
			status: http.StatusNotFound, errorType: errorNotFound,
			message: fmt.Sprintf("path %q not found; this server serves %s%s and %s%s", r.URL.Path, s.BasePath(), pathQuery, s.BasePath(), pathQueryRange),
		})
		return
	}

	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		s.writeError(w, r, &apiError{
			status: http.StatusMethodNotAllowed, errorType: errorBadData,
			message: fmt.Sprintf("method %s not allowed on %s; use GET or POST", r.Method, r.URL.Path),
		})
		return
	}
	if err := r.ParseForm(); err != nil {
		s.writeError(w, r, badData("invalid form: %v", err))
		return
	}
	serve(w, r)
}

// route returns the handler of an API path, or nil for an unknown path.
func (s *Server) route(path string) func(http.ResponseWriter, *http.Request) {
	switch path {
	case s.BasePath() + pathQuery:
		return s.serveQuery
	case s.BasePath() + pathQueryRange:
		return s.serveQueryRange
	default:
		return nil
	}
}

// serveQuery evaluates an instant query: parameters query, time (default
// now) and timeout.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request) {
	ts := s.cfg.Now()
	if r.Form.Get("time") != "" {
		var err error
		if ts, err = parseTimeParam(r, "time"); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	ctx, cancel, err := s.queryContext(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer cancel()

	query := r.Form.Get("query")
	qry, err := s.engine.NewInstantQuery(ctx, s.cfg.Storage, s.queryOpts(), query, ts)
	if err != nil {
		s.writeError(w, r, preparationError(err))
		return
	}
	s.execute(ctx, w, r, qry)
}

// serveQueryRange evaluates a range query: parameters query, start, end,
// step and timeout.
func (s *Server) serveQueryRange(w http.ResponseWriter, r *http.Request) {
	start, end, step, err := parseRangeParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel, err := s.queryContext(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer cancel()

	query := r.Form.Get("query")
	qry, err := s.engine.NewRangeQuery(ctx, s.cfg.Storage, s.queryOpts(), query, start, end, step)
	if err != nil {
		s.writeError(w, r, preparationError(err))
		return
	}
	s.execute(ctx, w, r, qry)
}

// parseRangeParams reads start, end and step and checks that they describe
// at most maxPoints steps.
func parseRangeParams(r *http.Request) (start, end time.Time, step time.Duration, err error) {
	if start, err = parseTimeParam(r, "start"); err != nil {
		return start, end, step, err
	}
	if end, err = parseTimeParam(r, "end"); err != nil {
		return start, end, step, err
	}
	if end.Before(start) {
		return start, end, step, badData("invalid parameter \"end\": %s is before start %s; send an end at or after the start",
			formatTime(end), formatTime(start))
	}
	if step, err = parseDurationParam(r, "step"); err != nil {
		return start, end, step, err
	}

	// The engine counts steps in whole milliseconds.
	if step < time.Millisecond {
		return start, end, step, badData("invalid parameter \"step\": %s is less than 1ms; send a step such as 15s or 15", step)
	}
	if points := end.Sub(start) / step; points > maxPoints {
		return start, end, step, badData("invalid parameters: the range %s to %s at step %s has %d points, more than the maximum of %d; increase the step",
			formatTime(start), formatTime(end), step, points, maxPoints)
	}
	return start, end, step, nil
}

// queryContext returns the request's context, bounded by its "timeout"
// parameter when one is given.
func (s *Server) queryContext(r *http.Request) (context.Context, context.CancelFunc, error) {
	if r.Form.Get("timeout") == "" {
		ctx, cancel := context.WithCancel(r.Context())
		return ctx, cancel, nil
	}

	timeout, err := parseDurationParam(r, "timeout")
	if err != nil {
		return nil, nil, err
	}
	if timeout <= 0 {
		return nil, nil, badData("invalid parameter \"timeout\": %s is not positive; send a timeout such as 30s", timeout)
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	return ctx, cancel, nil
}

func (s *Server) queryOpts() promql.QueryOpts {
	return promql.NewPrometheusQueryOpts(false, 0, nil)
}

// execute runs the query and writes its result or its error.
func (s *Server) execute(ctx context.Context, w http.ResponseWriter, r *http.Request, qry promql.Query) {
	defer qry.Close()

	result := qry.Exec(ctx)
	if result.Err != nil {
		s.writeError(w, r, executionError(result.Err))
		return
	}
	value, err := toModelValue(result.Value)
	if err != nil {
		s.writeError(w, r, &apiError{status: http.StatusUnprocessableEntity, errorType: errorExecution, message: err.Error()})
		return
	}

	warnings, infos := result.Warnings.AsStrings(qry.String(), 0, 0)
	s.writeSuccess(w, value, warnings, infos)
}

// preparationError classifies an error of NewInstantQuery or NewRangeQuery:
// a context that ended already is a timeout or cancellation, and anything
// else is a query that does not parse or does not fit the endpoint.
func preparationError(err error) *apiError {
	var (
		timeout  promql.ErrQueryTimeout
		canceled promql.ErrQueryCanceled
	)
	if errors.As(err, &timeout) || errors.As(err, &canceled) {
		return executionError(err)
	}
	return badData("invalid parameter \"query\": %v", err)
}

// executionError classifies an error of the engine as Prometheus' HTTP API
// (v0.316.0) does: timeouts are 503, storage failures 500, and everything
// else 422. Cancellations are 503 too, where Prometheus sends 499, because
// the client that canceled reads no status anyway.
func executionError(err error) *apiError {
	var (
		timeout  promql.ErrQueryTimeout
		canceled promql.ErrQueryCanceled
		storage  promql.ErrStorage
	)
	switch {
	case errors.As(err, &timeout):
		return &apiError{status: http.StatusServiceUnavailable, errorType: errorTimeout, message: err.Error()}
	case errors.As(err, &canceled), errors.Is(err, context.Canceled):
		return &apiError{status: http.StatusServiceUnavailable, errorType: errorCanceled, message: err.Error()}
	case errors.As(err, &storage):
		return &apiError{status: http.StatusInternalServerError, errorType: errorInternal, message: err.Error()}
	default:
		return &apiError{status: http.StatusUnprocessableEntity, errorType: errorExecution, message: err.Error()}
	}
}
