// Package sigv4 signs and verifies HTTP requests with AWS Signature Version 4
// (SigV4), the scheme Amazon Managed Service for Prometheus (AMP) requires on
// its query API.
//
// # Signing
//
// A RoundTripper signs every request it sends. Put it under an http.Client
// and give that client to a Prometheus API client:
//
//	awsCfg, err := config.LoadDefaultConfig(ctx) // IRSA, Pod Identity, env, profile, ...
//	rt, err := sigv4.NewRoundTripper(sigv4.Config{
//		Region:      "ap-northeast-2",
//		Credentials: awsCfg.Credentials,
//	})
//	client := &http.Client{Transport: rt}
//
// Each request is hashed in full and signed with the SDK's signer
// (github.com/aws/aws-sdk-go-v2/aws/signer/v4) under the service name "aps"
// unless Config.Service sets another. The caller's request is never
// modified, so an http.Client may retry or redirect it and every attempt is
// signed again with the current time.
//
// # Verifying
//
// A Verifier checks the Authorization header as an AWS front end does. It
// checks the credential scope, the access key, the session token and the
// clock skew. Then it recomputes the signature over the signed headers, the
// method, path, query and body. Fake AMP servers in tests use it to reject
// what AMP would reject, with the same error types (VerifyError.Code).
package sigv4
