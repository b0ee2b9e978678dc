package sigv4

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// AWS error types returned in VerifyError.Code. They follow the error types
// that AWS services return in the x-amzn-ErrorType header for these failures.
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	CodeIncompleteSignature        = "IncompleteSignatureException"
	CodeInvalidSignature           = "InvalidSignatureException"
	CodeUnrecognizedClient         = "UnrecognizedClientException"
	CodeExpiredToken               = "ExpiredTokenException"
	CodeInternalFailure            = "InternalFailure"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	amzDateLayout   = "20060102T150405Z"
	scopeDateLayout = "20060102"
	scopeTerminator = "aws4_request"

	headerAuthorization = "Authorization"
	headerAmzDate       = "X-Amz-Date"
	headerSecurityToken = "X-Amz-Security-Token"

	// DefaultMaxSkew is the largest difference between X-Amz-Date and the
	// server clock that AWS services accept.
	DefaultMaxSkew = 5 * time.Minute
)

// Verifier checks AWS Signature Version 4 Authorization headers on the server
// side, as an AWS service front end does. It exists for fake servers in tests
// and examples. The zero value needs at least Region and Credentials.
//
// A Verifier is safe for concurrent use once its fields are set.
type Verifier struct {
	// Region is the region the credential scope must name, for example
	// "us-east-1". It is required.
	Region string
	// Service is the service the credential scope must name. Empty means
	// DefaultService.
	Service string
	// Credentials are the keys this server accepts, looked up by AccessKeyID.
	// A key with a SessionToken also requires a matching X-Amz-Security-Token
	// header.
	Credentials []aws.Credentials
	// MaxSkew is the largest accepted difference between X-Amz-Date and Now.
	// Zero means DefaultMaxSkew.
	MaxSkew time.Duration
	// Now is the server clock. Nil means time.Now.
	Now func() time.Time
}

// VerifyError is a rejected request, described as an AWS service describes
// it: an error type and a message.
type VerifyError struct {
	// Code is the AWS error type, one of the Code constants.
	Code string
	// Message is the AWS-style human message.
	Message string
}

// Error returns the code and the message.
func (e *VerifyError) Error() string {
	return e.Code + ": " + e.Message
}

// WriteResponse writes the rejection as AMP does: status 403 (500
// for CodeInternalFailure), the code in the x-amzn-ErrorType header and
// {"message": ...} as the JSON body. Clients such as amp.Client read the
// code and message back from that response.
func (e *VerifyError) WriteResponse(w http.ResponseWriter) {
	body, err := json.Marshal(map[string]string{"message": e.Message})
	if err != nil {
		body = []byte(`{"message":"request rejected"}`)
	}

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-ErrorType", e.Code)
	status := http.StatusForbidden
	if e.Code == CodeInternalFailure {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// authorization is the parsed Authorization header.
type authorization struct {
	accessKeyID   string
	scopeDate     string
	region        string
	service       string
	terminator    string
	signedHeaders []string
	signature     string
}

// Verify checks the SigV4 Authorization header of an incoming server-side
// request. It reads the body and restores it so handlers can still read it.
// It returns nil or a *VerifyError.
//
// Verify rebuilds the request with only the headers listed in SignedHeaders,
// hashes the body itself and signs the rebuilt request with the AWS SDK's
// signer at the X-Amz-Date time. Unsigned headers, such as the Accept-Encoding
// and User-Agent headers the Go transport adds, do not affect the result.
//
// NOTE: Verify reads X-Amz-Date only. It does not accept the HTTP Date header
// or presigned query parameters.
func (v *Verifier) Verify(r *http.Request) error {
	if v.Region == "" {
		return &VerifyError{Code: CodeInternalFailure, Message: "sigv4: verifier has no region; set Verifier.Region"}
	}
	if problem := regionProblem(v.Region); problem != "" {
		return &VerifyError{Code: CodeInternalFailure, Message: fmt.Sprintf("sigv4: invalid verifier region %q: %s", v.Region, problem)}
	}

	auth, err := parseAuthorization(r.Header.Get(headerAuthorization))
	if err != nil {
		return err
	}
	signedAt, err := v.checkDate(r, auth)
	if err != nil {
		return err
	}
	if err := v.checkScope(auth); err != nil {
		return err
	}
	creds, err := v.lookupCredentials(r, auth.accessKeyID)
	if err != nil {
		return err
	}

	body, err := readAndRestoreBody(r)
	if err != nil {
		return &VerifyError{Code: CodeIncompleteSignature, Message: "The request body could not be read: " + err.Error()}
	}
	want, err := v.expectedSignature(r, auth, creds, body, signedAt)
	if err != nil {
		return err
	}

	if !hmac.Equal([]byte(want), []byte(auth.signature)) {
		return &VerifyError{
			Code:    CodeInvalidSignature,
			Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
		}
	}
	return nil
}

func (v *Verifier) service() string {
	if v.Service == "" {
		return DefaultService
	}
	return v.Service
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew <= 0 {
		return DefaultMaxSkew
	}
	return v.MaxSkew
}

func (v *Verifier) now() time.Time {
	if v.Now == nil {
		return time.Now()
	}
	return v.Now()
}

// parseAuthorization splits "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
func parseAuthorization(header string) (authorization, error) {
	if header == "" {
		return authorization{}, &VerifyError{Code: CodeMissingAuthenticationToken, Message: "Missing Authentication Token"}
	}

	alg, rest, _ := strings.Cut(strings.TrimSpace(header), " ")
	if alg != algorithm {
		return authorization{}, incomplete(fmt.Sprintf("Unsupported AWS 'algorithm': %q; only %q is accepted.", alg, algorithm))
	}

	params := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			params[key] = value
		}
	}
	var missing []string
	for _, key := range []string{"Credential", "SignedHeaders", "Signature"} {
		if params[key] == "" {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", key))
		}
	}
	if len(missing) > 0 {
		return authorization{}, incomplete(strings.Join(missing, " "))
	}

	scope := strings.Split(params["Credential"], "/")
	if len(scope) != 5 || scope[0] == "" {
		return authorization{}, incomplete(fmt.Sprintf("Authorization header has a malformed Credential %q; expected <access key>/<date>/<region>/<service>/aws4_request.", redactCredential(params["Credential"])))
	}
	signed := strings.Split(params["SignedHeaders"], ";")
	if !slices.Contains(signed, "host") {
		return authorization{}, &VerifyError{Code: CodeInvalidSignature, Message: "'Host' must be a 'SignedHeader' in the AWS Authorization."}
	}

	return authorization{
		accessKeyID:   scope[0],
		scopeDate:     scope[1],
		region:        scope[2],
		service:       scope[3],
		terminator:    scope[4],
		signedHeaders: signed,
		signature:     params["Signature"],
	}, nil
}

// checkDate parses X-Amz-Date, matches it with the scope date and checks it
// lies within MaxSkew of the server clock.
func (v *Verifier) checkDate(r *http.Request, auth authorization) (time.Time, error) {
	raw := r.Header.Get(headerAmzDate)
	if raw == "" {
		return time.Time{}, incomplete("Authorization header requires existence of a 'X-Amz-Date' header.")
	}
	signedAt, err := time.Parse(amzDateLayout, raw)
	if err != nil {
		return time.Time{}, incomplete(fmt.Sprintf("X-Amz-Date %q is not in the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z'.", raw))
	}
	if day := signedAt.Format(scopeDateLayout); auth.scopeDate != day {
		return time.Time{}, &VerifyError{
			Code:    CodeInvalidSignature,
			Message: fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from X-Amz-Date: '%s' != '%s', from '%s'.", auth.scopeDate, day, raw),
		}
	}

	now := v.now().UTC()
	skew := v.maxSkew()
	if signedAt.Before(now.Add(-skew)) {
		return time.Time{}, &VerifyError{
			Code: CodeInvalidSignature,
			Message: fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s).",
				raw, now.Add(-skew).Format(amzDateLayout), now.Format(amzDateLayout), skew),
		}
	}
	if signedAt.After(now.Add(skew)) {
		return time.Time{}, &VerifyError{
			Code: CodeInvalidSignature,
			Message: fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s).",
				raw, now.Add(skew).Format(amzDateLayout), now.Format(amzDateLayout), skew),
		}
	}
	return signedAt, nil
}

func (v *Verifier) checkScope(auth authorization) error {
	switch {
	case auth.region != v.Region:
		return &VerifyError{Code: CodeInvalidSignature, Message: fmt.Sprintf("Credential should be scoped to a valid region, not '%s'; this server is '%s'.", auth.region, v.Region)}
	case auth.service != v.service():
		return &VerifyError{Code: CodeInvalidSignature, Message: fmt.Sprintf("Credential should be scoped to correct service: '%s', not '%s'.", v.service(), auth.service)}
	case auth.terminator != scopeTerminator:
		return &VerifyError{Code: CodeInvalidSignature, Message: fmt.Sprintf("Credential should be scoped with a valid terminator: '%s', not '%s'.", scopeTerminator, auth.terminator)}
	}
	return nil
}

// lookupCredentials finds the accepted key and checks the session token the
// request carries against it.
func (v *Verifier) lookupCredentials(r *http.Request, accessKeyID string) (aws.Credentials, error) {
	invalidToken := &VerifyError{Code: CodeUnrecognizedClient, Message: "The security token included in the request is invalid."}

	for _, creds := range v.Credentials {
		if creds.AccessKeyID != accessKeyID {
			continue
		}
		if creds.CanExpire && !creds.Expires.After(v.now()) {
			return aws.Credentials{}, &VerifyError{Code: CodeExpiredToken, Message: "The security token included in the request is expired."}
		}
		token := r.Header.Get(headerSecurityToken)
		if !hmac.Equal([]byte(token), []byte(creds.SessionToken)) {
			return aws.Credentials{}, invalidToken
		}
		return creds, nil
	}
	return aws.Credentials{}, invalidToken
}

// expectedSignature signs a copy of r that carries only the signed headers
// and returns the hex signature the SDK's signer computes for it.
func (v *Verifier) expectedSignature(r *http.Request, auth authorization, creds aws.Credentials, body []byte, signedAt time.Time) (string, error) {
	rebuilt := rebuildSigned(r, auth.signedHeaders)
	sum := sha256.Sum256(body)

	err := v4.NewSigner().SignHTTP(context.Background(), creds, rebuilt, hex.EncodeToString(sum[:]), v.service(), v.Region, signedAt)
	if err != nil {
		return "", &VerifyError{Code: CodeInternalFailure, Message: "sigv4: sign rebuilt request: " + err.Error()}
	}

	_, signature, ok := strings.Cut(rebuilt.Header.Get(headerAuthorization), "Signature=")
	if !ok {
		return "", &VerifyError{Code: CodeInternalFailure, Message: "sigv4: signer produced no signature"}
	}
	return signature, nil
}

// rebuildSigned returns a bodiless client-side request equal to r in method,
// host, path and query, with only the headers named in signed.
func rebuildSigned(r *http.Request, signed []string) *http.Request {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	rebuilt := &http.Request{
		Method: r.Method,
		URL: &url.URL{
			Scheme:   scheme,
			Host:     r.Host,
			Path:     r.URL.Path,
			RawPath:  r.URL.RawPath,
			RawQuery: r.URL.RawQuery,
		},
		Host:   r.Host,
		Header: http.Header{},
	}

	for _, name := range signed {
		switch name {
		case "host":
			// The signer takes the host from Request.Host.
		case "content-length":
			// The signer signs Request.ContentLength when it is positive and
			// otherwise signs a Content-Length header if one is present.
			if r.ContentLength > 0 {
				rebuilt.ContentLength = r.ContentLength
			} else if values := r.Header.Values("Content-Length"); len(values) > 0 {
				rebuilt.Header["Content-Length"] = values
			}
		default:
			if values := r.Header.Values(name); len(values) > 0 {
				rebuilt.Header[http.CanonicalHeaderKey(name)] = values
			}
		}
	}
	return rebuilt
}

// readAndRestoreBody reads the whole body and puts an equal reader back.
func readAndRestoreBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return body, nil
}

func incomplete(message string) *VerifyError {
	return &VerifyError{Code: CodeIncompleteSignature, Message: message}
}

// redactCredential keeps the scope of a Credential value and replaces the
// access key ID, so malformed values never echo a key.
func redactCredential(credential string) string {
	_, scope, found := strings.Cut(credential, "/")
	if !found {
		return "<access key>"
	}
	return "<access key>/" + scope
}
