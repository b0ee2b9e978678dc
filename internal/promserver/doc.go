// Package promserver serves the Prometheus HTTP query API from memory, with
// the PromQL engine of Prometheus (github.com/prometheus/prometheus/promql)
// doing the evaluation. It serves as an Amazon Managed Service for
// Prometheus (AMP) workspace in examples and tests that run with no AWS
// account.
//
// A Storage holds float series; append samples in time order per series:
//
//	st := promserver.NewStorage()
//	pod := labels.FromStrings("__name__", "websocket_active_connection_count", "pod", "web-1")
//	err := st.Append(pod, at, 70)
//
// Start serves a Storage on a free port of 127.0.0.1 under an AMP-style path,
// and URL returns the base URL that a Prometheus client takes:
//
//	srv, err := promserver.Start(promserver.Config{Storage: st, WorkspaceID: "ws-quickstart"})
//	defer srv.Close()
//	// srv.URL() is "http://127.0.0.1:PORT/workspaces/ws-quickstart"
//
// Below the base URL are two endpoints, which take their parameters by GET
// or by a POST form. The endpoint api/v1/query takes query, time and
// timeout. A time is unix seconds or RFC 3339, and an absent time means the
// server clock. The endpoint api/v1/query_range takes query, start, end,
// step and timeout, where step and timeout are seconds or a Prometheus
// duration such as 30s. Responses use the JSON envelope of the Prometheus
// HTTP API.
//
// Failures carry the errorType of the Prometheus HTTP API. Invalid
// parameters and queries that do not parse are bad_data with status 400, and
// queries that fail are execution with 422. Timeout and canceled use 503,
// and storage failures are internal with 500. Prometheus itself sends 499
// for canceled.
// An unknown path is a 404 and a method other than GET or POST a 405, both
// with a JSON error body.
//
// With Config.Verifier set, the server checks the AWS Signature Version 4 of
// every request before anything else, as AMP does, and rejects a failure
// with 403, the AWS error type in the x-amzn-ErrorType header, and a body of
// the form {"message": "..."}. A verifier without a region fails every
// request with 500 and the error type InternalFailure.
//
// The engine runs with the @ modifier and negative offsets enabled, a
// lookback delta of 5m unless Config.LookbackDelta says otherwise, and 1m
// as the step of subqueries that name none. The package imports the engine
// but not the Prometheus TSDB, which keeps `go list -deps` at 338 packages,
// the standard library included, with Prometheus v0.316.0.
package promserver
