package amp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/prometheus/common/model"
)

// errBodyTooLarge stops a read past the response size limit.
var errBodyTooLarge = errors.New("response body exceeds the size limit")

// limitedBody reads a response body and fails past limit bytes.
type limitedBody struct {
	r       io.Reader
	read    int64
	limit   int64
	readErr error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += int64(n)
	if b.read > b.limit {
		return n, errBodyTooLarge
	}
	if err != nil && err != io.EOF {
		b.readErr = err
	}
	return n, err
}

// onePassSize is the largest body that decodeBody tries to decode in one
// pass.
const onePassSize = 4 << 10

// decodeBody decodes the body of a success status, given its first bytes,
// up to onePassSize+1 of them, and a reader of the rest.
//
// A body of up to onePassSize bytes that contains data with a result is
// decoded in one pass, which allocates less than the json.Decoder token API.
// Any other body is streamed, so memory stays bounded, maxSeries stops the
// reading early, and a malformed body gets a precise error.
func decodeBody(head []byte, rest io.Reader, query string, maxSeries int) (*decoded, error) {
	if len(head) <= onePassSize {
		if out, ok := decodeWhole(head); ok {
			limit := seriesDecoder{query: query, maxSeries: maxSeries}
			return out, limit.checkSeries(out.value)
		}
	}

	body := io.MultiReader(bytes.NewReader(head), rest)
	dec := &seriesDecoder{dec: json.NewDecoder(body), query: query, maxSeries: maxSeries}
	out, err := dec.decode()
	if err != nil {
		return nil, dec.locate(err)
	}
	return out, nil
}

// wholeResponse is a response body decoded in one pass.
//
// NOTE: encoding/json matches these keys case-insensitively, while the
// token stream skips a key that differs in case, such as "Status".
type wholeResponse struct {
	decoded
	Data *struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// decodeWhole decodes a complete body that contains a data object with a
// result. It reports false for any other body.
func decodeWhole(body []byte) (*decoded, bool) {
	whole := &wholeResponse{}
	if err := json.Unmarshal(body, whole); err != nil || whole.Data == nil || whole.Data.Result == nil {
		return nil, false
	}

	value, err := decodeResult(whole.Data.ResultType, whole.Data.Result)
	if err != nil {
		return nil, false
	}
	whole.resultType = whole.Data.ResultType
	whole.hasData = true
	whole.value = value
	return &whole.decoded, true
}

// decoded is a success or error envelope read from a body.
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

	// complete counts the series decoded in full, and inResult is true
	// while the decoder is inside the result array, so that an error can
	// report where a cut-off body ended.
	complete int
	inResult bool
}

// decode reads the top-level object.
func (d *seriesDecoder) decode() (*decoded, error) {
	out := &decoded{}
	if err := d.start(); err != nil {
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
		if endedEarly(err) {
			// A second value that ends early is not a cut-off response.
			return nil, fmt.Errorf("unexpected data after the response object: %v", err)
		}
		return nil, fmt.Errorf("unexpected data after the response object: %w", nonNil(err))
	}
	return out, nil
}

// start reads the opening brace of the response object.
func (d *seriesDecoder) start() error {
	tok, err := d.dec.Token()
	var syntaxErr *json.SyntaxError
	switch {
	case err == io.EOF:
		return errEmptyBody
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("the body is not JSON (%w), so it is not a Prometheus API response", err)
	case err != nil:
		return err
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return fmt.Errorf("the body is a JSON %s, not the object of a Prometheus API response", jsonKind(tok))
	}
	return nil
}

// locate returns err with how far the decoding got. A *TooManySeriesError
// is returned as it is.
func (d *seriesDecoder) locate(err error) error {
	if _, ok := errors.AsType[*TooManySeriesError](err); ok {
		return err
	}
	return &decodeError{err: err, complete: d.complete, inResult: d.inResult}
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
	if err := d.dec.Decode(target); err != nil {
		return fmt.Errorf("%s: %w", key, describeJSONError(err))
	}
	return nil
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
	d.inResult = true
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
			return nil, fmt.Errorf("series %d: %w", n, describeJSONError(err))
		}
		d.complete = n
		if d.maxSeries > 0 && n > d.maxSeries {
			return nil, d.tooMany(vector, matrix)
		}
	}
	if err := d.expectDelim(']'); err != nil {
		return nil, fmt.Errorf("%s result: %w", resultType, err)
	}
	d.inResult = false

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
		return nil, fmt.Errorf("%s result: %w", resultType, describeJSONError(err))
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
