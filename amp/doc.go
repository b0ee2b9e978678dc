// Package amp queries the Prometheus HTTP API of an Amazon Managed Service
// for Prometheus (AMP) workspace or of any Prometheus-compatible server, and
// turns a query into the one number an autoscaler needs.
//
// # Clients
//
// A Client runs instant queries (Query) and range queries (QueryRange): a
// POST of a form to <ServerAddress>/api/v1/query or /api/v1/query_range,
// or a GET when Config.Method is GET. For a plain Prometheus server the
// address is its base URL:
//
//	client, err := amp.NewClient(amp.Config{ServerAddress: "http://prometheus.monitoring:9090"})
//
// For AMP it is the workspace URL. The Client signs every request to an AMP
// host with AWS Signature Version 4 for the service "aps" and the region in
// the host name. The keys come from the AWS SDK's default chain (IRSA, EKS
// Pod Identity, environment, profile), from Config.Credentials, or from
// assuming Config.RoleARN:
//
//	client, err := amp.NewClient(amp.Config{
//		ServerAddress: "https://aps-workspaces.ap-northeast-2.amazonaws.com/workspaces/ws-12345678-abcd-1234-abcd-123456789012",
//	})
//
// The DNS name of an AMP interface VPC endpoint
// (vpce-<id>.aps-workspaces.<region>.vpce.amazonaws.com) is signed the same
// way. Another host, such as a custom private DNS name of a VPC endpoint,
// is signed when Config.SigV4 is true, for Config.Region. Config's String,
// GoString and LogValue methods redact its secrets, so it can be printed
// and logged. Plain Prometheus servers take a bearer token, basic
// authentication, TLS client certificates, custom headers and extra query
// parameters. Config describes how they combine with a caller's http.Client.
//
// # Limits and retries
//
// Each attempt is limited to Config.Timeout (DefaultTimeout, 3 seconds, when
// zero) and to a response body of Config.MaxResponseSize
// (DefaultMaxResponseSize, 8 MiB). A throttled, unavailable or timed-out
// attempt is retried with exponential backoff and jitter, honoring a
// Retry-After header, up to Config.Retry.MaxAttempts attempts in all and
// never past the caller's context deadline. IsRetryable reports which
// errors qualify.
//
// # Errors
//
// Every failed query is an *Error. Its message names the endpoint, such as
// "amp: query to https://host/workspaces/ws-1/api/v1/query failed: ...",
// leads with the cause, and names what to change where that is known, such
// as which time limit ran out, or that a server requires SigV4. Its Kind
// classifies the failure and suggests a response:
//
//   - KindBadData, KindExecution: the query is wrong or too expensive; retrying
//     will not help.
//   - KindTimeout, KindCanceled, KindUnavailable, KindInternal, KindThrottled:
//     the server or the network failed, and a later poll may succeed. A success
//     body cut off before its JSON ends is KindUnavailable.
//   - KindAuth: AMP rejected the credentials or the signature (401 or 403),
//     and Type holds the AWS error type such as InvalidSignatureException.
//   - KindNotFound: the address or the workspace does not exist.
//   - KindResponse: a complete body is not a valid Prometheus API response,
//     for example an HTML page from a proxy or a sample value that is not a
//     number. Message then gives the cause and quotes the body's start. A
//     body over the size limit is KindResponse too.
//
// A 401, 403 or 429 status is classified by the status, whatever the body
// contains. Otherwise the Prometheus errorType decides, and without one, the
// status: 400 bad data, 404 not found, 422 execution, 5xx unavailable, and
// any other status KindResponse. Error.Attempts counts the attempts made.
//
// # Sources
//
// A Source pairs a Client with one query. NewSource rejects a query that
// promql.Check finds unable to return exactly one value, before the first
// poll. Source.Value runs the query at a given time and reduces the result
// with promql.Reduce, as KEDA's prometheus scaler does. Source.Read also
// returns the server's warnings. Errors from a Source name its query. A
// Source stops decoding a response at its second series and fails with a
// *TooManySeriesError, so a query that unexpectedly returns thousands of
// series costs little memory.
//
// The package amptest runs a fake AMP workspace for tests of code that uses
// this package.
package amp
