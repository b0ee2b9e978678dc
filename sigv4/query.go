package sigv4

import (
	"fmt"
	"net/url"
	"strings"
)

// encodeQuery re-encodes a raw query string in the form SigV4 canonicalizes
// it to. Each key and value is percent-encoded except for the unreserved
// characters A-Z a-z 0-9 - _ . ~, and a space becomes "%20". Pairs keep
// their order, so repeated keys such as match[] reach the server in the
// caller's order.
//
// The values are those url.ParseQuery decodes, so "+" means a space and
// "%2B" a plus sign. A query that url.ParseQuery rejects is an error: the
// signer would drop the pair it cannot decode and sign a different query
// from the one the server reads.
func encodeQuery(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}

	var b strings.Builder
	b.Grow(len(raw) + len(raw)/4)
	for rest := raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" {
			continue
		}
		key, value, err := decodePair(pair)
		if err != nil {
			return "", err
		}

		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(escapeQueryComponent(key))
		b.WriteByte('=')
		b.WriteString(escapeQueryComponent(value))
	}
	return b.String(), nil
}

// decodePair decodes one key=value pair as url.ParseQuery does.
func decodePair(pair string) (key, value string, err error) {
	if strings.Contains(pair, ";") {
		return "", "", fmt.Errorf("sigv4: query pair %q contains \";\": separate query parameters with \"&\" and encode a literal semicolon as %%3B", pair)
	}
	rawKey, rawValue, _ := strings.Cut(pair, "=")
	if key, err = url.QueryUnescape(rawKey); err != nil {
		return "", "", fmt.Errorf("sigv4: query key %q is not valid percent-encoding: %w; encode it with url.QueryEscape", rawKey, err)
	}
	if value, err = url.QueryUnescape(rawValue); err != nil {
		return "", "", fmt.Errorf("sigv4: query value of %q is not valid percent-encoding: %w; encode it with url.QueryEscape", key, err)
	}
	return key, value, nil
}

// escapeQueryComponent percent-encodes s as SigV4 requires.
func escapeQueryComponent(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
