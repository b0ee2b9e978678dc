package amp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/prometheus/common/model"
)

// errBodyTooLarge stops a read past the response size limit.
var errBodyTooLarge = errors.New("response body exceeds the size limit")

// limitedBody reads a response body, fails past limit bytes, and keeps the
// first bytes so that an error can quote a body that is not JSON.
type limitedBody struct {
	r       io.Reader
	read    int64
	limit   int64
	head    []byte
	readErr error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if keep := snippetSize + 1 - len(b.head); keep > 0 {
		b.head = append(b.head, p[:min(n, keep)]...)
	}
	b.read += int64(n)
	if b.read > b.limit {
		return n, errBodyTooLarge
	}
	if err != nil && err != io.EOF {
		b.readErr = err
	}
	return n, err
}

// decoded is a success or error envelope read from a stream.
type decoded struct {
	envelope
	resultType string
	hasData    bool
	value      model.Value
}

// seriesDecoder reads a Prometheus API response with the json.Decoder's
// token API, so that a vector or matrix is decoded one series at a time.
// With maxSeries > 0 it stops as soon as the result has more series than
// that, without reading the rest of the body.
type seriesDecoder struct {
	dec       *json.Decoder
	query     string
	maxSeries int
}

// decode reads the top-level object.
func (d *seriesDecoder) decode() (*decoded, error) {
	out := &decoded{}
	if err := d.expectDelim('{'); err != nil {
		return nil, err
	}
	for d.dec.More() {
		key, err := d.key()
		if err != nil {
			return nil, err
		}
		if err := d.member(out, key); err != nil {
			return nil, err
		}
	}
	if err := d.expectDelim('}'); err != nil {
		return nil, err
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the response object: %w", nonNil(err))
	}
	return out, nil
}

// member decodes the value of one top-level key into out.
func (d *seriesDecoder) member(out *decoded, key string) error {
	var target any
	switch key {
	case "data":
		out.hasData = true
		return d.data(out)
	case "status":
		target = &out.Status
	case "errorType":
		target = &out.ErrorType
	case "error":
		target = &out.Error
	case "warnings":
		target = &out.Warnings
	case "infos":
		target = &out.Infos
	case "message":
		target = &out.AWSMessage
	case "Message":
		target = &out.AWSMessageUpper
	case "__type":
		target = &out.AWSType
	default:
		target = &json.RawMessage{}
	}
	return d.dec.Decode(target)
}

// data decodes the data object. The result is streamed when resultType
// comes first, as Prometheus writes it, and buffered otherwise.
func (d *seriesDecoder) data(out *decoded) error {
	if err := d.expectDelim('{'); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	var buffered json.RawMessage
	for d.dec.More() {
		key, err := d.key()
		if err != nil {
			return fmt.Errorf("data: %w", err)
		}
		switch {
		case key == "resultType":
			err = d.dec.Decode(&out.resultType)
		case key == "result" && (out.resultType == "vector" || out.resultType == "matrix"):
			out.value, err = d.series(out.resultType)
		case key == "result":
			err = d.dec.Decode(&buffered)
		default:
			err = d.dec.Decode(&json.RawMessage{})
		}
		if err != nil {
			return err
		}
	}
	if err := d.expectDelim('}'); err != nil {
		return fmt.Errorf("data: %w", err)
	}

	if buffered != nil {
		value, err := decodeResult(out.resultType, buffered)
		if err != nil {
			return err
		}
		out.value = value
	}
	return d.checkSeries(out.value)
}

// series decodes a vector or matrix one series at a time.
func (d *seriesDecoder) series(resultType string) (model.Value, error) {
	tok, err := d.dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%s result: %w", resultType, err)
	}
	if tok == nil {
		return emptyValue(resultType), nil
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '[' {
		return nil, fmt.Errorf("%s result: found %v, want an array", resultType, tok)
	}

	var vector model.Vector
	var matrix model.Matrix
	for n := 1; d.dec.More(); n++ {
		if resultType == "vector" {
			sample := &model.Sample{}
			err = d.dec.Decode(sample)
			vector = append(vector, sample)
		} else {
			stream := &model.SampleStream{}
			err = d.dec.Decode(stream)
			matrix = append(matrix, stream)
		}
		if err != nil {
			return nil, fmt.Errorf("%s result: series %d: %w", resultType, n, err)
		}
		if d.maxSeries > 0 && n > d.maxSeries {
			return nil, d.tooMany(vector, matrix)
		}
	}
	if err := d.expectDelim(']'); err != nil {
		return nil, fmt.Errorf("%s result: %w", resultType, err)
	}

	if resultType == "vector" {
		return nonNilVector(vector), nil
	}
	return nonNilMatrix(matrix), nil
}

// checkSeries applies maxSeries to a result that was not streamed.
func (d *seriesDecoder) checkSeries(value model.Value) error {
	if d.maxSeries <= 0 {
		return nil
	}
	vector, _ := value.(model.Vector)
	matrix, _ := value.(model.Matrix)
	if len(vector) > d.maxSeries || len(matrix) > d.maxSeries {
		return d.tooMany(vector[:min(len(vector), d.maxSeries+1)], matrix[:min(len(matrix), d.maxSeries+1)])
	}
	return nil
}

func (d *seriesDecoder) tooMany(vector model.Vector, matrix model.Matrix) *TooManySeriesError {
	err := &TooManySeriesError{Query: d.query}
	for _, sample := range vector {
		err.Series = append(err.Series, sample.Metric)
	}
	for _, stream := range matrix {
		err.Series = append(err.Series, stream.Metric)
	}
	err.Seen = len(err.Series)
	return err
}

// key reads an object key.
func (d *seriesDecoder) key() (string, error) {
	tok, err := d.dec.Token()
	if err != nil {
		return "", err
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("found %v, want an object key", tok)
	}
	return key, nil
}

// expectDelim reads one token and checks that it is want.
func (d *seriesDecoder) expectDelim(want json.Delim) error {
	tok, err := d.dec.Token()
	if err != nil {
		return err
	}
	if delim, ok := tok.(json.Delim); !ok || delim != want {
		return fmt.Errorf("found %v, want %q", tok, want)
	}
	return nil
}

// decodeResult decodes a buffered result into the model type resultType
// names.
func decodeResult(resultType string, raw json.RawMessage) (model.Value, error) {
	var value model.Value
	switch resultType {
	case "vector":
		value = &model.Vector{}
	case "matrix":
		value = &model.Matrix{}
	case "scalar":
		value = &model.Scalar{}
	case "string":
		value = &model.String{}
	default:
		return nil, fmt.Errorf("resultType %q is not vector, matrix, scalar or string", resultType)
	}
	if err := json.Unmarshal(raw, value); err != nil {
		return nil, fmt.Errorf("%s result: %w", resultType, err)
	}

	switch v := value.(type) {
	case *model.Vector:
		return nonNilVector(*v), nil
	case *model.Matrix:
		return nonNilMatrix(*v), nil
	}
	return value, nil
}

func emptyValue(resultType string) model.Value {
	if resultType == "vector" {
		return model.Vector{}
	}
	return model.Matrix{}
}

func nonNilVector(v model.Vector) model.Vector {
	if v == nil {
		return model.Vector{}
	}
	return v
}

func nonNilMatrix(m model.Matrix) model.Matrix {
	if m == nil {
		return model.Matrix{}
	}
	return m
}

func nonNil(err error) error {
	if err == nil {
		return errors.New("a second JSON value")
	}
	return err
}
