// Package amptest runs a fake Amazon Managed Service for Prometheus (AMP)
// workspace on 127.0.0.1 for unit tests of code that queries AMP.
//
// A Server checks the SigV4 signature of every request as AMP does (service
// aps, its region, the static keys AccessKeyID and SecretAccessKey, and a
// signing time within 5 minutes of its clock). It responds to a failed
// check with 403 and the AWS error type in x-amzn-ErrorType. A verified query to
// <URL>/api/v1/query or <URL>/api/v1/query_range gets a response from
// results that the test programs:
//
//	srv := amptest.NewServer(t, amptest.Config{})
//	srv.SetResult(`sum(rate(http_requests_total[2m]))`, 140)
//	client, err := amp.NewClient(amp.Config{
//		ServerAddress: srv.URL(),
//		SigV4:         true,
//		Region:        srv.Region(),
//		Credentials:   srv.Credentials(),
//	})
//
// SetResult, SetVector and SetEmpty program one query, and HandleQuery sets
// a function for any other query. Queries match after both are normalized
// with the PromQL parser, so spacing and equal durations do not matter. A
// query with neither returns no series and the warning
// `amptest: no result programmed for query "<query>"`, which reaches the
// client in amp.Result.Warnings and amp.Reading.Warnings.
//
// # Faults
//
// Fail, FailWith, Throttle, Malformed and Reset make the next n verified
// requests fail with a status, a status with headers such as Retry-After,
// a 429 like AMP's, a cut-off body or a closed connection. ExpireToken
// rejects them as AMP rejects an expired session token, GatewayError sends
// a load balancer's HTML error page, and Oversized sends a valid response
// of a given size. CutBody closes the connection halfway through the body,
// and SlowBody sends the body one byte at a time. Faults queue in the
// order they are added. PendingFaults counts the requests that queued
// faults will still fail, and ClearFaults drops them. Delay slows every
// response. Requests returns every request received, with its parameters,
// headers and whether its signature passed, so a test can check what a
// client sent and how often it retried.
//
// # Proxy mode
//
// With Config.Upstream set, a Server forwards each verified request to a
// real Prometheus-compatible server, without the signature headers, so
// that a real query engine responds behind SigV4. Faults and Delay still
// apply. Programmed results do not, except that CutBody and SlowBody send
// the body of the programmed result, not the upstream's.
package amptest
