package amptest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/amp/amptest"
	"github.com/promscaler/promscaler/promql"
)

func Example() {
	srv, err := amptest.Start(amptest.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	const query = `sum(rate(http_requests_total{deployment="api"}[2m]))`
	srv.SetResult(query, 140)

	client, err := amp.NewClient(amp.Config{
		ServerAddress: srv.URL(),
		SigV4:         true,
		Region:        srv.Region(),
		Credentials:   srv.Credentials(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	source, err := amp.NewSource(client, query, promql.ReduceOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}

	value, err := source.Value(context.Background(), time.Now())
	fmt.Println(value, err)
	fmt.Println(len(srv.Requests()), "request, signature verified:", srv.Requests()[0].Verified)
	// Output:
	// 140 <nil>
	// 1 request, signature verified: true
}

func ExampleServer_Throttle() {
	srv, err := amptest.Start(amptest.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	srv.SetResult("sum(up)", 3)
	srv.Throttle(2, 0)

	client, err := amp.NewClient(amp.Config{
		ServerAddress: srv.URL(),
		SigV4:         true,
		Region:        srv.Region(),
		Credentials:   srv.Credentials(),
		Retry:         amp.RetryConfig{MaxAttempts: 2, InitialBackoff: time.Millisecond},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// Two attempts meet two throttled responses.
	_, err = client.Query(context.Background(), "sum(up)", time.Now())
	var queryErr *amp.Error
	if errors.As(err, &queryErr) {
		fmt.Println(queryErr.Kind, queryErr.Attempts, amp.IsRetryable(err))
	}

	// The next query succeeds.
	result, err := client.Query(context.Background(), "sum(up)", time.Now())
	fmt.Println(result.Value.Type(), err)
	// Output:
	// throttled 2 true
	// vector <nil>
}
