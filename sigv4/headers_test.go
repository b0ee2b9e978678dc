package sigv4

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoundTripMergesCaseVariantKeys(t *testing.T) {
	// Go ranges over a map in random order, so one signature could pass by
	// chance. Twenty requests make that unlikely.
	for range 20 {
		req, err := http.NewRequest(http.MethodPost, testTarget, strings.NewReader(testForm))
		require.NoError(t, err)
		req.Header["x-custom"] = []string{"lower"}
		req.Header["X-Custom"] = []string{"canonical"}
		req.Header["X-CUSTOM"] = []string{"upper"}
		req.Header["x-other"] = []string{"alone"}
		before := req.Header.Clone()

		sent := &capture{}
		_, err = newTestRoundTripper(t, testCreds, t0, sent).RoundTrip(req)
		require.NoError(t, err)

		// net/http writes keys in sorted order: X-CUSTOM, X-Custom, x-custom.
		assert.Equal(t, []string{"upper", "canonical", "lower"}, sent.req.Header["X-Custom"])
		assert.Equal(t, []string{"alone"}, sent.req.Header["X-Other"])
		assert.NotContains(t, sent.req.Header, "x-custom")
		assert.Equal(t, before, req.Header, "caller's headers")
		server := toServerRequest(t, sent.req, sent.body)
		require.NoError(t, newTestVerifier(t0).Verify(server))
	}
}
