package promserver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/promscaler/promscaler/internal/promserver"
)

// Two pods hold 70 connections each; the sum of their one-minute averages is
// 140.
func Example() {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	st := promserver.NewStorage()
	for _, pod := range []string{"sample-app-1", "sample-app-2"} {
		lset := labels.FromStrings("__name__", "websocket_active_connection_count", "app_kubernetes_io_name", "sample-app", "pod", pod)
		for at := now.Add(-5 * time.Minute); !at.After(now); at = at.Add(15 * time.Second) {
			if err := st.Append(lset, at, 70); err != nil {
				fmt.Println(err)
				return
			}
		}
	}

	srv, err := promserver.Start(promserver.Config{
		Storage:     st,
		WorkspaceID: "ws-quickstart",
		Now:         func() time.Time { return now },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	query := `sum(avg_over_time(websocket_active_connection_count{app_kubernetes_io_name="sample-app"}[1m]))`
	resp, err := http.Get(srv.URL() + "/api/v1/query?" + url.Values{"query": {query}}.Encode())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()

	var body struct {
		Data struct {
			Result model.Vector `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, body.Data.Result[0].Value)
	// Output: 200 140
}

// Samples of one series must come in increasing time order.
func ExampleStorage_Append() {
	st := promserver.NewStorage()
	lset := labels.FromStrings("__name__", "up", "job", "api")
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

	fmt.Println(st.Append(lset, at, 1))
	fmt.Println(st.Append(lset, at.Add(-15*time.Second), 1))
	// Output:
	// <nil>
	// promserver: sample out of order: series {__name__="up", job="api"} has a sample at 2024-05-01T12:00:00Z, so a sample at 2024-05-01T11:59:45Z cannot follow; append the samples of one series in increasing time order
}
