package promserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
)

// Values of "errorType" in the Prometheus HTTP API.
const (
	errorBadData   = "bad_data"
	errorExecution = "execution"
	errorTimeout   = "timeout"
	errorCanceled  = "canceled"
	errorInternal  = "internal"
	errorNotFound  = "not_found"
)

// apiError is a failed request with its HTTP status and Prometheus errorType.
type apiError struct {
	status    int
	errorType string
	message   string
}

func (e *apiError) Error() string { return e.errorType + ": " + e.message }

func badData(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, errorType: errorBadData, message: fmt.Sprintf(format, args...)}
}

// response is the JSON envelope of every Prometheus HTTP API response.
type response struct {
	Status    string    `json:"status"`
	Data      *dataBody `json:"data,omitempty"`
	ErrorType string    `json:"errorType,omitempty"`
	Error     string    `json:"error,omitempty"`
	Warnings  []string  `json:"warnings,omitempty"`
	Infos     []string  `json:"infos,omitempty"`
}

type dataBody struct {
	ResultType model.ValueType `json:"resultType"`
	Result     model.Value     `json:"result"`
}

func (s *Server) writeSuccess(w http.ResponseWriter, value model.Value, warnings, infos []string) {
	body := response{
		Status:   "success",
		Data:     &dataBody{ResultType: value.Type(), Result: value},
		Warnings: warnings,
		Infos:    infos,
	}
	s.writeJSON(w, http.StatusOK, body)
}

// writeError writes err as a Prometheus error envelope. An error that is not
// an *apiError becomes a 500 "internal" error.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var failure *apiError
	if !errors.As(err, &failure) {
		failure = &apiError{status: http.StatusInternalServerError, errorType: errorInternal, message: err.Error()}
	}

	s.cfg.Logger.Warn("promserver: request failed", "method", r.Method, "path", r.URL.Path,
		"query", r.Form.Get("query"), "status", failure.status, "errorType", failure.errorType, "error", failure.message)
	s.writeJSON(w, failure.status, response{Status: "error", ErrorType: failure.errorType, Error: failure.message})
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, body any) {
	encoded, err := json.Marshal(body)
	if err != nil {
		s.cfg.Logger.Error("promserver: encode response failed", "error", err)
		status = http.StatusInternalServerError
		encoded = []byte(`{"status":"error","errorType":"internal","error":"failed to encode the response"}`)
	}

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if _, err := w.Write(encoded); err != nil {
		s.cfg.Logger.Debug("promserver: write response failed", "error", err)
	}
}

// toModelValue converts a result of the engine into the type of
// github.com/prometheus/common/model that marshals to the same JSON.
func toModelValue(value parser.Value) (model.Value, error) {
	switch v := value.(type) {
	case promql.Vector:
		return toModelVector(v)
	case promql.Matrix:
		return toModelMatrix(v)
	case promql.Scalar:
		return &model.Scalar{Timestamp: model.Time(v.T), Value: model.SampleValue(v.V)}, nil
	case promql.String:
		return &model.String{Timestamp: model.Time(v.T), Value: v.V}, nil
	default:
		return nil, fmt.Errorf("result of type %T is not supported", value)
	}
}

// errHistogramResult reports a native histogram in a result. Storage holds
// float samples only, so the engine cannot produce one from it.
var errHistogramResult = errors.New("native histogram results are not supported; query float series")

func toModelVector(vector promql.Vector) (model.Vector, error) {
	out := make(model.Vector, 0, len(vector))
	for _, sample := range vector {
		if sample.H != nil {
			return nil, errHistogramResult
		}
		out = append(out, &model.Sample{
			Metric:    toModelMetric(sample.Metric),
			Value:     model.SampleValue(sample.F),
			Timestamp: model.Time(sample.T),
		})
	}
	return out, nil
}

func toModelMatrix(matrix promql.Matrix) (model.Matrix, error) {
	out := make(model.Matrix, 0, len(matrix))
	for _, series := range matrix {
		if len(series.Histograms) > 0 {
			return nil, errHistogramResult
		}
		values := make([]model.SamplePair, 0, len(series.Floats))
		for _, point := range series.Floats {
			values = append(values, model.SamplePair{Timestamp: model.Time(point.T), Value: model.SampleValue(point.F)})
		}
		out = append(out, &model.SampleStream{Metric: toModelMetric(series.Metric), Values: values})
	}
	return out, nil
}

func toModelMetric(lset labels.Labels) model.Metric {
	metric := make(model.Metric, lset.Len())
	lset.Range(func(l labels.Label) {
		metric[model.LabelName(l.Name)] = model.LabelValue(l.Value)
	})
	return metric
}
