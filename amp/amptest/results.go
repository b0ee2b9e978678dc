package amptest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
)

// maxSteps is the largest (end-start)/step of a range query that the
// Prometheus v0.316 API accepts.
const maxSteps = 11000

// Sample is one series of a programmed result: its labels and its value.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// QueryRequest is a request the Server received.
type QueryRequest struct {
	// Method is the HTTP method, POST or GET.
	Method string
	// Path is the API path below the workspace, such as "/api/v1/query".
	Path string
	// Query is the PromQL query from the form or the URL.
	Query string
	// Time is the evaluation time of an instant query, or zero when the
	// request has no time parameter.
	Time time.Time
	// Start, End and Step are the parameters of a range query.
	Start, End time.Time
	Step       time.Duration
	// Params are all form and URL parameters.
	Params url.Values
	// Header is the request's header, including the signature.
	Header http.Header
	// Verified reports whether the signature passed.
	Verified bool
}

// IsRange reports whether r is a range query.
func (r QueryRequest) IsRange() bool {
	return r.Path == "/api/v1/query_range"
}

// Response is the response to a query. With Status zero it is a success: a
// vector of Samples for an instant query, or for a range query a matrix in
// which each sample's value repeats at every step. With Status set, Body
// is written as it is with that status, as application/json when it starts
// with '{' and Header sets no Content-Type.
type Response struct {
	Samples  []Sample
	Warnings []string
	Infos    []string

	Status int
	Body   string
	// Header is added to the response, for example a Retry-After header.
	Header http.Header
}

// SetResult makes query return one series without labels, as
// sum(...) does, with the value value.
//
// SetResult, SetVector and SetEmpty match a request's query to a programmed
// one after normalizing both with the PromQL parser, so that
// "sum(rate(x[2m]))" and "sum( rate(x[120s]) )" match. A query that does not
// parse matches only its own text without the spaces around it.
func (s *Server) SetResult(query string, value float64) {
	s.SetVector(query, Sample{Value: value})
}

// SetVector makes query return the samples, one series each.
func (s *Server) SetVector(query string, samples ...Sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.results[normalizeQuery(query)] = Response{Samples: samples}
}

// SetEmpty makes query return no series.
func (s *Server) SetEmpty(query string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.results[normalizeQuery(query)] = Response{Samples: []Sample{}}
}

// HandleQuery sets fn to respond to every query that has no programmed
// result. fn runs on the server's goroutines.
//
// Without it, such a query returns no series, as Prometheus does for a
// metric it does not have, with the warning
// `amptest: no result programmed for query "<query>"`, which a client sees
// in amp.Result.Warnings and amp.Reading.Warnings.
func (s *Server) HandleQuery(fn func(QueryRequest) Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handler = fn
}

// respond writes the response to a verified query.
func (s *Server) respond(w http.ResponseWriter, req QueryRequest) {
	if req.Path != "/api/v1/query" && !req.IsRange() {
		writePrometheusError(w, http.StatusNotFound, "not_found", "amptest serves /api/v1/query and /api/v1/query_range only, not "+req.Path)
		return
	}
	if req.Query == "" {
		writePrometheusError(w, http.StatusBadRequest, "bad_data", `invalid parameter "query": unknown position: parse error: no expression found in input`)
		return
	}

	s.write(w, req, s.response(req))
}

// write writes resp, an error status with its body or a success.
func (s *Server) write(w http.ResponseWriter, req QueryRequest, resp Response) {
	for name, values := range resp.Header {
		w.Header()[http.CanonicalHeaderKey(name)] = values
	}
	if resp.Status == 0 {
		s.writeSuccess(w, req, resp)
		return
	}

	if w.Header().Get("Content-Type") == "" && strings.HasPrefix(strings.TrimSpace(resp.Body), "{") {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(resp.Status)
	fmt.Fprint(w, resp.Body)
}

// response finds the programmed response to req.
func (s *Server) response(req QueryRequest) Response {
	s.mu.Lock()
	resp, ok := s.results[normalizeQuery(req.Query)]
	handler := s.handler
	s.mu.Unlock()

	switch {
	case ok:
		return resp
	case handler != nil:
		return handler(req)
	}
	return Response{Warnings: []string{fmt.Sprintf("amptest: no result programmed for query %q", req.Query)}}
}

// queryParser parses queries with the options that promql.Check uses, so
// that every query the amp package accepts normalizes.
var queryParser = parser.NewParser(parser.Options{
	EnableExperimentalFunctions: true,
	EnableBinopFillModifiers:    true,
	EnableUnquotedUTF8Names:     true,
})

// normalizeQuery returns the parser's canonical text of query, or query
// without surrounding spaces when it does not parse.
func normalizeQuery(query string) string {
	expr, err := queryParser.ParseExpr(query)
	if err != nil {
		return strings.TrimSpace(query)
	}
	return expr.String()
}

// writeSuccess writes resp as a success envelope.
func (s *Server) writeSuccess(w http.ResponseWriter, req QueryRequest, resp Response) {
	data := map[string]any{"resultType": "vector", "result": vector(resp.Samples, s.evaluationTime(req))}
	if req.IsRange() {
		matrix, err := matrix(resp.Samples, req)
		if err != nil {
			writePrometheusError(w, http.StatusBadRequest, "bad_data", err.Error())
			return
		}
		data = map[string]any{"resultType": "matrix", "result": matrix}
	}

	envelope := map[string]any{"status": "success", "data": data}
	if len(resp.Warnings) > 0 {
		envelope["warnings"] = resp.Warnings
	}
	if len(resp.Infos) > 0 {
		envelope["infos"] = resp.Infos
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(envelope)
}

func (s *Server) evaluationTime(req QueryRequest) time.Time {
	if req.Time.IsZero() {
		return s.now()
	}
	return req.Time
}

func vector(samples []Sample, at time.Time) model.Vector {
	out := model.Vector{}
	for _, sample := range samples {
		out = append(out, &model.Sample{Metric: metric(sample.Labels), Value: model.SampleValue(sample.Value), Timestamp: model.TimeFromUnixNano(at.UnixNano())})
	}
	return out
}

// matrix repeats each sample's value at every step of a range query.
func matrix(samples []Sample, req QueryRequest) (model.Matrix, error) {
	if req.Step <= 0 || req.End.Before(req.Start) {
		return nil, fmt.Errorf("invalid range: start %s, end %s, step %s", req.Start, req.End, req.Step)
	}
	if steps := req.End.Sub(req.Start) / req.Step; steps > maxSteps {
		return nil, fmt.Errorf("range query has %d steps, more than %d; raise the step", steps, maxSteps)
	}

	out := model.Matrix{}
	for _, sample := range samples {
		stream := &model.SampleStream{Metric: metric(sample.Labels)}
		for at := req.Start; !at.After(req.End); at = at.Add(req.Step) {
			stream.Values = append(stream.Values, model.SamplePair{Timestamp: model.TimeFromUnixNano(at.UnixNano()), Value: model.SampleValue(sample.Value)})
		}
		out = append(out, stream)
	}
	return out, nil
}

func metric(labels map[string]string) model.Metric {
	m := model.Metric{}
	for name, value := range labels {
		m[model.LabelName(name)] = model.LabelValue(value)
	}
	return m
}

// writePrometheusError writes a Prometheus API error envelope.
func writePrometheusError(w http.ResponseWriter, status int, errorType, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "error", "errorType": errorType, "error": message})
}

// newQueryRequest describes r, whose body has been read into body.
func newQueryRequest(r *http.Request, body []byte, prefix string, verified bool) QueryRequest {
	params := r.URL.Query()
	if r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" {
		if form, err := url.ParseQuery(string(body)); err == nil {
			for name, values := range form {
				params[name] = append(params[name], values...)
			}
		}
	}

	req := QueryRequest{
		Method:   r.Method,
		Path:     r.URL.Path[min(len(prefix), len(r.URL.Path)):],
		Query:    params.Get("query"),
		Params:   params,
		Header:   r.Header.Clone(),
		Verified: verified,
	}
	req.Time, _ = parseTime(params.Get("time"))
	req.Start, _ = parseTime(params.Get("start"))
	req.End, _ = parseTime(params.Get("end"))
	req.Step = parseStep(params.Get("step"))
	return req
}

// parseTime parses a Prometheus API time: unix seconds or RFC 3339.
func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if seconds, err := strconv.ParseFloat(s, 64); err == nil {
		whole, frac := math.Modf(seconds)
		return time.Unix(int64(whole), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC(), true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// parseStep parses a Prometheus API step: seconds or a duration.
func parseStep(s string) time.Duration {
	if seconds, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(seconds * float64(time.Second))
	}
	if d, err := model.ParseDuration(s); err == nil {
		return time.Duration(d)
	}
	return 0
}
