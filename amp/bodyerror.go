package amp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// errEmptyBody is a success status with nothing in the body.
var errEmptyBody = errors.New("the response body is empty")

// decodeError is a failure to decode a success body, with how far the
// decoding got.
type decodeError struct {
	err error
	// complete is how many series were decoded in full.
	complete int
	// inResult is true when decoding stopped inside the result array.
	inResult bool
}

func (e *decodeError) Error() string { return e.err.Error() }

func (e *decodeError) Unwrap() error { return e.err }

// endedEarly reports whether err means that the body ended before its JSON
// value did.
func endedEarly(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// cutPosition returns where a cut-off body ended, such as " after series 2",
// or "" when that is unknown. head is the part of the body that arrived.
func cutPosition(head []byte, err error) string {
	located, ok := errors.AsType[*decodeError](err)
	if !ok {
		// The read failed before decoding began: decode what arrived.
		_, err = decodeBody(head, bytes.NewReader(nil), "", 0)
		located, ok = errors.AsType[*decodeError](err)
	}
	switch {
	case !ok:
		return ""
	case located.complete > 0:
		return " after series " + strconv.Itoa(located.complete)
	case located.inResult:
		return " in series 1"
	}
	return ""
}

// describeJSONError returns err with a plainer text where encoding/json or
// the model types give a terse one, such as for a sample value that is not
// a number. The result wraps err.
func describeJSONError(err error) error {
	var numErr *strconv.NumError
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &numErr) && numErr.Func == "ParseFloat":
		return &describedError{text: fmt.Sprintf("sample value %q is not a number", numErr.Num), err: err}
	case errors.As(err, &numErr) && numErr.Func == "ParseInt":
		return &describedError{text: fmt.Sprintf("timestamp %s is not a number", numErr.Num), err: err}
	case errors.As(err, &typeErr):
		return &describedError{text: fmt.Sprintf("found a JSON %s where %s belongs", typeErr.Value, typeErr.Type), err: err}
	case errors.As(err, &syntaxErr):
		return &describedError{text: "invalid JSON: " + syntaxErr.Error(), err: err}
	}
	return err
}

// describedError replaces the text of err.
type describedError struct {
	text string
	err  error
}

func (e *describedError) Error() string { return e.text }

func (e *describedError) Unwrap() error { return e.err }

// jsonKind names the kind of JSON value that starts with tok.
func jsonKind(tok json.Token) string {
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '[' {
			return "array"
		}
		return "delimiter " + tok.String()
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "boolean"
	}
	return "null"
}

// bodySnippetSize is how much of a success body that does not decode an
// Error quotes.
const bodySnippetSize = 120

// bodySnippet returns the first bodySnippetSize bytes of body as one line
// of printable text, without escaping, so that JSON reads as it was sent.
func bodySnippet(body []byte) string {
	text := string(body)
	cut := len(text) > bodySnippetSize
	if cut {
		text = strings.ToValidUTF8(text[:bodySnippetSize], "")
	}
	text = strings.Join(strings.Fields(text), " ")
	text = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return unicode.ReplacementChar
	}, text)
	if cut {
		text += "..."
	}
	return text
}
