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
	"github.com/promscaler/promscaler/amp/amptest"
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

func ExampleClient_QueryRange() {
	workspace, err := amptest.Start(amptest.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer workspace.Close()
	workspace.SetResult("sum(up)", 3)
	client, err := amp.NewClient(amp.Config{
		ServerAddress: workspace.URL(),
		SigV4:         true,
		Region:        workspace.Region(),
		Credentials:   workspace.Credentials(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)

	result, err := client.QueryRange(context.Background(), "sum(up)", start, start.Add(2*time.Minute), time.Minute)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, point := range result.Value.(model.Matrix)[0].Values {
		fmt.Println(point.Timestamp.Time().UTC().Format(time.TimeOnly), point.Value)
	}
	// Output:
	// 03:00:00 3
	// 03:01:00 3
	// 03:02:00 3
}

func ExampleSource_Read() {
	workspace, err := amptest.Start(amptest.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer workspace.Close()
	const query = `sum(rate(http_requests_total[2m]))`
	workspace.HandleQuery(func(amptest.QueryRequest) amptest.Response {
		return amptest.Response{Samples: []amptest.Sample{{Value: 140}}, Warnings: []string{"partial result: one store unavailable"}}
	})
	client, err := amp.NewClient(amp.Config{
		ServerAddress: workspace.URL(),
		SigV4:         true,
		Region:        workspace.Region(),
		Credentials:   workspace.Credentials(),
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

	reading, err := source.Read(context.Background(), time.Now())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(reading.Value, reading.Warnings)
	// Output: 140 [partial result: one store unavailable]
}

func ExampleTooManySeriesError() {
	// A stand-in for Prometheus that returns one series per pod.
	prometheus := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[
			{"metric":{"pod":"api-0"},"value":[1735787045,"1"]},
			{"metric":{"pod":"api-1"},"value":[1735787045,"2"]},
			{"metric":{"pod":"api-2"},"value":[1735787045,"3"]}]}}`)
	}))
	defer prometheus.Close()
	client, err := amp.NewClient(amp.Config{ServerAddress: prometheus.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	// promql.Check accepts the query, because sum returns one series, but
	// this stand-in server returns three anyway.
	source, err := amp.NewSource(client, `sum(up{job="api"})`, promql.ReduceOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}

	_, err = source.Value(context.Background(), time.Now())

	var tooMany *amp.TooManySeriesError
	if errors.As(err, &tooMany) {
		fmt.Println(tooMany.Seen, tooMany.Series)
	}
	fmt.Println(errors.Is(err, promql.ErrMultipleSeries))
	// Output:
	// 2 [{pod="api-0"} {pod="api-1"}]
	// true
}

func ExampleConfig_String() {
	cfg := amp.Config{
		ServerAddress: "http://prometheus.monitoring:9090",
		BasicAuth:     &amp.BasicAuth{Username: "scaler", Password: "hunter2"},
		Headers:       map[string]string{"X-Api-Key": "hunter2"},
		Timeout:       5 * time.Second,
	}

	fmt.Printf("%+v\n", cfg)
	// Output: {ServerAddress:http://prometheus.monitoring:9090 BasicAuth:{Username:scaler Password:xxxxx} Headers:{X-Api-Key:xxxxx} Timeout:5s}
}
