// Package sigv4 signs and verifies HTTP requests with AWS Signature Version 4
// (SigV4), the scheme Amazon Managed Service for Prometheus (AMP) requires on
// its query API, and finds the region and credentials to sign with.
//
// # Signing
//
// A RoundTripper signs every request it sends. Put it under an http.Client
// and give that client to a Prometheus API client:
//
//	region, err := sigv4.ResolveRegion(ctx, "", workspaceURL)
//	creds, err := sigv4.NewCredentials(ctx, sigv4.CredentialsConfig{}) // IRSA, Pod Identity, env, profile, ...
//	rt, err := sigv4.NewRoundTripper(sigv4.Config{Region: region, Credentials: creds})
//	client := &http.Client{Transport: rt}
//
// Each request is hashed in full and signed with the SDK's signer
// (github.com/aws/aws-sdk-go-v2/aws/signer/v4) under the service name "aps"
// unless Config.Service sets another. The caller's request is never
// modified: every call signs a new copy with the current time, so an
// http.Client may retry or redirect a request and each attempt carries a
// fresh signature.
//
// # Where the signer sits
//
// The server recomputes the signature from the method, path, query, body
// and signed headers it receives, so nothing may change them after signing.
// The RoundTripper must therefore be the last layer before the network:
// RoundTrippers that add headers, log, or retry go above it (they wrap it),
// and only the plain network transport goes below it (Config.Transport):
//
//	http.Client → retry / tracing / header RoundTrippers → sigv4.RoundTripper → http.Transport
//
// A header added above the signer is signed like any other. A layer below
// the signer that changes a signed header, the query or the body makes the
// server respond with 403 InvalidSignatureException.
//
// The signer sends, but does not sign, the header entries that may not
// reach the server unchanged. These are hop-by-hop headers (Connection and
// the headers it names, Keep-Alive, TE, Trailer, Transfer-Encoding,
// Upgrade, Proxy-*), headers without a value, and Host, Content-Length and
// User-Agent, which net/http writes itself. Host and length are signed from
// the request fields instead. Authorization and X-Amz-* headers of an
// earlier signature are removed.
//
// # Query strings
//
// The query is sent in the form SigV4 canonicalizes it to: every key and
// value percent-encoded, a space as %20, pairs in the caller's order. The
// server decodes the same values that url.ParseQuery decodes from the
// caller's req.URL.RawQuery, so an encoded PromQL query with braces,
// quotes and repeated match[] parameters arrives as written.
//
// A "+" arrives as a plus sign only when the caller encoded it as %2B. A
// raw "+" in RawQuery means a space to url.ParseQuery and to Prometheus
// servers, so it arrives as a space: "sum(a)+sum(b)" becomes
// "sum(a) sum(b)", which PromQL rejects. Build the query with
// url.Values.Encode or url.QueryEscape, which encode "+" as %2B.
//
// A query that url.ParseQuery rejects, such as one with an invalid
// percent-escape or a ";" separator, is an error and is never sent.
//
// # Credentials and region
//
// NewCredentials returns a cached provider for static keys, the AWS SDK's
// default chain (environment, IRSA web identity, EKS Pod Identity, shared
// profile, EC2 instance metadata) and an assumed role on top of either.
// When AMP responds with 403 because the security token expired
// (IsExpiredToken), the RoundTripper invalidates the cache and sends the
// request once more with fresh credentials.
//
// RegionFromHost reads the region from an AMP workspace host or the DNS
// name of its interface VPC endpoint. ResolveRegion falls back to the AWS
// environment for other hosts, so the environment's region must then be
// the workspace's region.
//
// # Verifying
//
// A Verifier checks the Authorization header as an AWS front end does. It
// checks the credential scope, the access key, the session token and the
// clock skew. Then it recomputes the signature over the signed headers, the
// method, path, query and body. Fake AMP servers in tests use it to reject
// what AMP would reject, with the same error types (VerifyError.Code).
package sigv4
