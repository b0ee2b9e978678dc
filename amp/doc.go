// Package amp queries the Prometheus HTTP API of an Amazon Managed Service
// for Prometheus (AMP) workspace or of any Prometheus-compatible server, and
// turns a query into the one number an autoscaler needs.
//
// # Clients
//
// A Client runs instant queries: a POST of the form fields query and time
// to <ServerAddress>/api/v1/query. For a plain Prometheus server the address
// is its base URL:
//
//	client, err := amp.NewClient(amp.Config{ServerAddress: "http://prometheus.monitoring:9090"})
//
// AMP takes the workspace URL and requires every request to be signed with
// AWS Signature Version 4 for the service "aps", so the HTTP client's
// transport is a sigv4.RoundTripper:
//
//	rt, err := sigv4.NewRoundTripper(sigv4.Config{Region: "ap-northeast-2", Credentials: awsCfg.Credentials})
//	client, err := amp.NewClient(amp.Config{
//		ServerAddress: "https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-12345678-abcd-1234-abcd-123456789012",
//		HTTPClient:    &http.Client{Transport: rt},
//	})
//
// ParseWorkspaceURL extracts the region and workspace ID from such a URL,
// for example to configure the signer from the address alone.
//
// Each query is limited to Config.Timeout (DefaultTimeout, 3 seconds, when
// zero) and to a response body of MaxResponseSize (8 MiB).
//
// # Errors
//
// Every failed query is an *Error. Its Kind classifies the failure and
// suggests a response:
//
//   - KindBadData, KindExecution: the query is wrong or too expensive; retrying
//     will not help.
//   - KindTimeout, KindCanceled, KindUnavailable, KindInternal, KindThrottled:
//     the server or the network failed; a later poll may succeed.
//   - KindAuth: AMP rejected the credentials or the signature (401 or 403),
//     and Type holds the AWS error type such as InvalidSignatureException.
//   - KindNotFound: the address or the workspace does not exist.
//   - KindResponse: the body is not a Prometheus API response, for example an
//     HTML page from a proxy, and Message quotes its start.
//
// A 401, 403 or 429 status is classified by the status, whatever the body
// contains. Otherwise the Prometheus errorType decides, and without one, the
// status: 400 bad data, 404 not found, 422 execution, 5xx unavailable, and
// any other status KindResponse.
//
// # Sources
//
// A Source pairs a Client with one query. NewSource rejects a query that
// promql.Check finds unable to return exactly one value, before the first
// poll. Source.Value runs the query at a given time and reduces the result
// with promql.Reduce, as KEDA's prometheus scaler does.
package amp
