package promserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/promscaler/promscaler/sigv4"
)

// maxBodyBytes bounds a request body, the same 10 MiB that
// http.Request.ParseForm reads at most.
const maxBodyBytes = 10 << 20

// authenticate checks the request's SigV4 signature when a Verifier is set.
// On failure it writes a 403 in AMP's style, the AWS error type in the
// x-amzn-ErrorType header and {"message": ...} as the body, and returns false.
// A verifier that cannot work, such as one without a region, yields a 500
// with the error type InternalFailure instead.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Verifier == nil {
		return true
	}

	if err := bufferBody(w, r); err != nil {
		s.writeError(w, r, &apiError{status: http.StatusRequestEntityTooLarge, errorType: errorBadData, message: err.Error()})
		return false
	}
	err := s.cfg.Verifier.Verify(r)
	if err == nil {
		return true
	}

	var failure *sigv4.VerifyError
	if !errors.As(err, &failure) {
		failure = &sigv4.VerifyError{Code: sigv4.CodeInternalFailure, Message: err.Error()}
	}
	s.cfg.Logger.Warn("promserver: authentication failed", "method", r.Method, "path", r.URL.Path,
		"code", failure.Code, "error", failure.Message)
	failure.WriteResponse(w)
	return false
}

// bufferBody reads the whole body, at most maxBodyBytes, into memory so that
// both the verifier and the form parser can read it.
func bufferBody(w http.ResponseWriter, r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	_ = r.Body.Close()
	if err != nil {
		return fmt.Errorf("request body unreadable or larger than %d bytes: %v", maxBodyBytes, err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return nil
}
