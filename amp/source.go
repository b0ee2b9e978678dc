package amp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/promscaler/promscaler/promql"
)

// Source runs one query and reduces its result to one number, as KEDA's
// prometheus scaler reads its metric. It is safe for concurrent use.
type Source struct {
	client *Client
	query  string
	opts   promql.ReduceOptions
}

// NewSource returns a Source for query. It rejects a query that promql.Check
// finds unable to return exactly one value, and the error contains the
// rendered problems with their suggested fixes. Warnings, such as a query
// that may return no series, do not stop it.
func NewSource(client *Client, query string, opts promql.ReduceOptions) (*Source, error) {
	if client == nil {
		return nil, errors.New("amp: client is nil; create one with NewClient")
	}
	report := promql.Check(query)
	switch {
	case report.Cardinality == promql.CardinalityUnknown:
		return nil, fmt.Errorf("amp: query %q is not valid PromQL:\n%s", query, report.Render())
	case !report.OK():
		return nil, fmt.Errorf("amp: query %q cannot be a scaling metric because it may not return exactly one value:\n%s", query, report.Render())
	}
	return &Source{client: client, query: query, opts: opts}, nil
}

// Query returns the PromQL query the Source runs.
func (s *Source) Query() string {
	return s.query
}

// Value runs the query evaluated at now and reduces the result with
// promql.Reduce. A failed query returns the client's *Error unchanged. A
// result that does not reduce returns an error that wraps the promql error,
// such as promql.ErrMultipleSeries.
func (s *Source) Value(ctx context.Context, now time.Time) (float64, error) {
	result, err := s.client.Query(ctx, s.query, now)
	if err != nil {
		return 0, err
	}

	value, err := promql.Reduce(result.Value, s.opts)
	if err != nil {
		return 0, fmt.Errorf("amp: reduce the result of %q: %w", s.query, err)
	}
	return value, nil
}
