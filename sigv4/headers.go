package sigv4

import (
	"net/http"
	"slices"
	"strings"
)

// staleHeaders are the headers the signer writes and the parameters of a
// presigned URL. A request may carry them from an earlier signature, so
// they are removed before signing.
var staleHeaders = map[string]bool{
	headerAuthorization:   true,
	headerAmzDate:         true,
	headerSecurityToken:   true,
	"X-Amz-Algorithm":     true,
	"X-Amz-Credential":    true,
	"X-Amz-Expires":       true,
	"X-Amz-Signature":     true,
	"X-Amz-Signedheaders": true,
}

const headerContentSHA256 = "X-Amz-Content-Sha256"

// hopByHopHeaders belong to one connection. A proxy or an HTTP/2 transport
// removes or rewrites them, so they are never signed.
var hopByHopHeaders = map[string]bool{
	"Connection":        true,
	"Keep-Alive":        true,
	"Te":                true,
	"Trailer":           true,
	"Transfer-Encoding": true,
	"Upgrade":           true,
}

// writerHeaders are header map entries that net/http does not send as they
// stand: it writes Host and Content-Length from the request fields and may
// replace User-Agent. The signer takes host and length from the fields.
var writerHeaders = map[string]bool{
	"Host":           true,
	"Content-Length": true,
	"User-Agent":     true,
}

// prepareHeaders makes h ready to sign: it removes stale signing headers,
// sets an X-Amz-Content-Sha256 header the caller sent to payloadHash, and
// moves the headers that may not reach the server unchanged out of h. It
// returns the moved headers, which are sent unsigned. Header names match in
// any case.
func prepareHeaders(h http.Header, payloadHash string) http.Header {
	mergeCaseVariants(h)
	named := connectionTokens(h)
	hasContentSHA256 := false
	var unsigned http.Header

	for name, values := range h {
		key := http.CanonicalHeaderKey(name)
		switch {
		case staleHeaders[key]:
			delete(h, name)
		case key == headerContentSHA256:
			delete(h, name)
			hasContentSHA256 = true
		case !signable(key, values, named):
			if unsigned == nil {
				unsigned = http.Header{}
			}
			unsigned[name] = values
			delete(h, name)
		}
	}

	if hasContentSHA256 {
		h[headerContentSHA256] = []string{payloadHash}
	}
	return unsigned
}

// signable reports whether the header with the canonical name key reaches the server as the client sends
// it, so that the server can recompute its part of the signature.
func signable(key string, values []string, connectionNamed map[string]bool) bool {
	switch {
	case hopByHopHeaders[key], writerHeaders[key], connectionNamed[key]:
		return false
	case strings.HasPrefix(key, "Proxy-"):
		return false
	}

	// A header without a value is sent as an empty line or not at all, and
	// proxies may drop it.
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return true
		}
	}
	return false
}

// connectionTokens returns the canonical names listed in the Connection
// header, because those headers are hop-by-hop as well.
func connectionTokens(h http.Header) map[string]bool {
	values := h.Values("Connection")
	if len(values) == 0 {
		return nil
	}
	named := map[string]bool{}
	for _, v := range values {
		for _, token := range strings.Split(v, ",") {
			if token = strings.TrimSpace(token); token != "" {
				named[http.CanonicalHeaderKey(token)] = true
			}
		}
	}
	return named
}

// mergeCaseVariants moves the values of header map keys that are not in
// canonical form, such as "x-foo" next to "X-Foo", into the canonical key.
// net/http sends each key as its own lines, sorted by key, and the server
// joins lines of one name in the order they arrive. The values are merged in
// that sorted key order, so the signed header matches what the server reads.
func mergeCaseVariants(h http.Header) {
	var variants []string
	for name := range h {
		if name != http.CanonicalHeaderKey(name) {
			variants = append(variants, name)
		}
	}
	if len(variants) == 0 {
		return
	}

	groups := map[string][]string{}
	for _, name := range variants {
		key := http.CanonicalHeaderKey(name)
		if groups[key] == nil && h[key] != nil {
			groups[key] = []string{key}
		}
		groups[key] = append(groups[key], name)
	}
	for key, names := range groups {
		slices.Sort(names)
		var values []string
		for _, name := range names {
			values = append(values, h[name]...)
			delete(h, name)
		}
		h[key] = values
	}
}
