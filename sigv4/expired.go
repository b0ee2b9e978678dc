package sigv4

import (
	"bytes"
	"io"
	"net/http"
	"strings"
)

// maxErrorPeek is how much of a rejection's body IsExpiredToken reads.
const maxErrorPeek = 4 << 10

// expiredMessages are the messages AWS front ends give for an expired
// session token, in lower case.
var expiredMessages = []string{
	"security token included in the request is expired",
	"provided token has expired",
}

// IsExpiredToken reports whether resp is an AWS rejection of an expired
// security token. That is status 400 or 403 with an x-amzn-ErrorType of
// ExpiredTokenException or ExpiredToken, or without that header and with a
// body whose message states that the token is expired, such as
// {"message":"The security token included in the request is expired"}.
//
// It reads at most the first 4 KiB of the body and puts them back, so the
// caller can still read the whole body.
//
// NOTE: AMP sends other authentication failures as 403 with a JSON
// {"message": ...} body. The expired-token form is inferred from that and
// from other AWS JSON services, not captured from AMP itself.
func IsExpiredToken(resp *http.Response) bool {
	if resp == nil || (resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusBadRequest) {
		return false
	}

	errorType, _, _ := strings.Cut(resp.Header.Get("X-Amzn-Errortype"), ":")
	switch strings.TrimSpace(errorType) {
	case CodeExpiredToken, "ExpiredToken":
		return true
	case "":
	default:
		return false
	}

	peek := peekBody(resp, maxErrorPeek)
	lower := strings.ToLower(string(peek))
	for _, message := range expiredMessages {
		if strings.Contains(lower, message) {
			return true
		}
	}
	return false
}

// peekBody reads up to n bytes of resp's body and restores the body so it
// reads from the start again.
func peekBody(resp *http.Response, n int64) []byte {
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil
	}
	peek, _ := io.ReadAll(io.LimitReader(resp.Body, n))
	resp.Body = &rewoundBody{Reader: io.MultiReader(bytes.NewReader(peek), resp.Body), closer: resp.Body}
	return peek
}

// rewoundBody replays the bytes read from a response body before the rest
// of it, and closes the original body.
type rewoundBody struct {
	io.Reader
	closer io.Closer
}

func (b *rewoundBody) Close() error { return b.closer.Close() }

// discardBody reads a little of resp's body, so the connection can be
// reused, and closes it.
func discardBody(resp *http.Response) {
	if resp.Body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorPeek))
	_ = resp.Body.Close()
}
