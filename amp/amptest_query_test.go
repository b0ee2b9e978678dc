package amp

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/promscaler/promscaler/amp/amptest"
)

// TestQueryWithSpecialCharactersVerifies sends a query with braces, quotes,
// a plus sign, spaces and non-ASCII text through the signing client to a
// workspace that checks the signature, and checks that the workspace
// received the query exactly as written.
func TestQueryWithSpecialCharactersVerifies(t *testing.T) {
	const query = `sum(rate(http_requests_total{path=~"/api/.+", handler!="a b", team="café"}[5m])) + 1`
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		t.Run(method, func(t *testing.T) {
			workspace := amptest.NewServer(t, amptest.Config{})
			workspace.SetResult(query, 3)
			client, err := NewClient(Config{
				ServerAddress: workspace.URL(),
				SigV4:         true,
				Region:        workspace.Region(),
				Credentials:   workspace.Credentials(),
				Method:        method,
			})
			require.NoError(t, err)

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			result, err := client.Query(ctx, query, time.Unix(1737536460, 0))
			require.NoError(t, err)

			requests := workspace.Requests()
			require.Len(t, requests, 1)
			assert.True(t, requests[0].Verified, "signature verified")
			assert.Equal(t, method, requests[0].Method)
			assert.Equal(t, query, requests[0].Query)
			vector, ok := result.Value.(model.Vector)
			require.True(t, ok, "result is a %T, want a vector", result.Value)
			require.Len(t, vector, 1)
			assert.Equal(t, model.SampleValue(3), vector[0].Value)
		})
	}
}
