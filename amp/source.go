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

// Reading is one value of a Source with the server's notes about it.
type Reading struct {
	// Value is the reduced result of the query.
	Value float64
	// Warnings are the server's warnings, such as a partial result that may
	// make Value too low.
	Warnings []string
	// Infos are the server's informational notes.
	Infos []string
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

// Value runs the query evaluated at now and returns Read's value. It drops
// the server's warnings, which Read returns.
func (s *Source) Value(ctx context.Context, now time.Time) (float64, error) {
	reading, err := s.Read(ctx, now)
	return reading.Value, err
}

// Read runs the query evaluated at now and reduces the result with
// promql.Reduce.
//
// Decoding stops at the second series once the response passes 4 KiB, so
// a query that returns thousands of series costs little memory: the error
// is then a *TooManySeriesError, which wraps promql.ErrMultipleSeries. A
// failed query returns the client's *Error, whose message then also names
// the query. Any other result that does not reduce returns an error that
// wraps the promql error, such as promql.ErrEmptyResult. Every message
// quotes at most the first 80 bytes of the query.
func (s *Source) Read(ctx context.Context, now time.Time) (Reading, error) {
	params := queryParams(s.query, now)
	result, err := s.client.run(ctx, queryPath, params, 1)
	if err != nil {
		if qerr, ok := errors.AsType[*Error](err); ok {
			qerr.query = shortQuery(s.query)
		}
		return Reading{}, err
	}

	value, err := promql.Reduce(result.Value, s.opts)
	if err != nil {
		return Reading{}, fmt.Errorf("amp: reduce the result of %q: %w", shortQuery(s.query), err)
	}
	return Reading{Value: value, Warnings: result.Warnings, Infos: result.Infos}, nil
}
