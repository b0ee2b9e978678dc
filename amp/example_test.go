package amp_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/prometheus/common/model"

	"github.com/promscaler/promscaler/amp"
	"github.com/promscaler/promscaler/promql"
)

func ExampleClient_Query() {
	// A stand-in for Prometheus: every query returns one sample of 140.
	prometheus := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[
			{"metric":{"job":"api"},"value":[%s,"140"]}]}}`, r.PostFormValue("time"))
	}))
	defer prometheus.Close()

	client, err := amp.NewClient(amp.Config{ServerAddress: prometheus.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

	result, err := client.Query(context.Background(), `sum by (job) (rate(http_requests_total[2m]))`, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, sample := range result.Value.(model.Vector) {
		fmt.Println(sample.Metric, sample.Value, sample.Timestamp.Time().UTC())
	}
	// Output: {job="api"} 140 2025-01-02 03:04:05 +0000 UTC
}

func ExampleError() {
	// A stand-in for Prometheus that rejects every query.
	prometheus := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:8: parse error: unclosed left parenthesis"}`)
	}))
	defer prometheus.Close()
	client, err := amp.NewClient(amp.Config{ServerAddress: prometheus.URL})
	if err != nil {
		fmt.Println(err)
		return
	}

	_, err = client.Query(context.Background(), "sum(up", time.Now())

	var queryErr *amp.Error
	if errors.As(err, &queryErr) && queryErr.Kind == amp.KindBadData {
		fmt.Println("fix the query:", queryErr.Message)
	}
	// Output: fix the query: invalid parameter "query": 1:8: parse error: unclosed left parenthesis
}

func ExampleSource_Value() {
	// A stand-in for an AMP workspace: the query's result is 140.
	workspace := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1735787045,"140"]}]}}`)
	}))
	defer workspace.Close()
	client, err := amp.NewClient(amp.Config{ServerAddress: workspace.URL + "/workspaces/ws-example/"})
	if err != nil {
		fmt.Println(err)
		return
	}

	source, err := amp.NewSource(client, `sum(rate(http_requests_total{deployment="api"}[2m]))`, promql.ReduceOptions{IgnoreNullValues: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	value, err := source.Value(context.Background(), time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}

	// With a target of 50 per pod, the HPA wants ceil(140/50) = 3 replicas.
	fmt.Println(value, math.Ceil(value/50))
	// Output: 140 3
}
