package amp_test

import (
	"context"
	"testing"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// newClientGolangRunner queries through client_golang's v1.API, the client
// most Go programs use for the Prometheus HTTP API.
func newClientGolangRunner(tb testing.TB, address string) func(ctx context.Context) (int, error) {
	client, err := promapi.NewClient(promapi.Config{Address: address})
	if err != nil {
		tb.Fatal(err)
	}
	api := promv1.NewAPI(client)
	return func(ctx context.Context) (int, error) {
		value, _, _, err := api.Query(ctx, benchQuery, benchTime)
		if err != nil {
			return 0, err
		}
		return len(value.(model.Vector)), nil
	}
}
