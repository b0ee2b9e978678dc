package sigv4

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testTarget = "http://prometheus.example:9090/workspaces/ws-1/api/v1/query"

const testForm = "query=sum%28rate%28http_requests_total%5B2m%5D%29%29&time=1440938160"

func newTestVerifier(now time.Time) *Verifier {
	return &Verifier{
		Region:      testRegion,
		Credentials: []aws.Credentials{testCreds},
		Now:         func() time.Time { return now },
	}
}

func withToken(creds aws.Credentials, token string) aws.Credentials {
	creds.SessionToken = token
	return creds
}

func editAuthorization(old, replacement string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, replacement, 1))
	}
}

func TestVerifierVerify(t *testing.T) {
	otherKey := aws.Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: testSecretKey}
	wrongSecret := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: "not-the-secret"}

	tests := []struct {
		name     string
		signWith aws.Credentials
		method   string
		target   string
		body     string
		edit     func(r *http.Request)
		verifier func(v *Verifier)
		wantCode string
		wantText string
	}{
		{name: "accepts: signed POST form"},
		{name: "accepts: signed GET with query", method: http.MethodGet, target: testTarget + "?query=up&time=1440938160"},
		{name: "accepts: unsigned headers added", edit: func(r *http.Request) {
			r.Header.Set("Accept-Encoding", "gzip")
			r.Header.Set("User-Agent", "something-else/1.0")
			r.Header.Set("X-Forwarded-For", "10.0.0.1")
		}},
		{name: "accepts: matching session token", signWith: withToken(testCreds, "token-1"), verifier: func(v *Verifier) {
			v.Credentials = []aws.Credentials{withToken(testCreds, "token-1")}
		}},
		{name: "accepts: clock skew at limit", verifier: func(v *Verifier) { v.Now = func() time.Time { return t0.Add(5 * time.Minute) } }},
		{name: "accepts: custom max skew", verifier: func(v *Verifier) {
			v.MaxSkew = time.Hour
			v.Now = func() time.Time { return t0.Add(59 * time.Minute) }
		}},

		{name: "rejects: no verifier region", verifier: func(v *Verifier) { v.Region = "" }, wantCode: CodeInternalFailure},
		{name: "rejects: invalid verifier region", verifier: func(v *Verifier) { v.Region = "US-EAST-1" },
			wantCode: CodeInternalFailure, wantText: `sigv4: invalid verifier region "US-EAST-1": a region is written in lower case; use "us-east-1"`},
		{name: "rejects: missing authorization", edit: func(r *http.Request) { r.Header.Del("Authorization") },
			wantCode: CodeMissingAuthenticationToken, wantText: "Missing Authentication Token"},
		{name: "rejects: authorization without signature", edit: func(r *http.Request) {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/aps/aws4_request")
		}, wantCode: CodeIncompleteSignature, wantText: "requires 'Signature' parameter"},
		{name: "rejects: other algorithm", edit: editAuthorization("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"),
			wantCode: CodeIncompleteSignature, wantText: "AWS4-HMAC-SHA512"},
		{name: "rejects: bearer token", edit: func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") },
			wantCode: CodeIncompleteSignature},
		{name: "rejects: short credential", edit: editAuthorization("/aws4_request", ""),
			wantCode: CodeIncompleteSignature, wantText: "malformed Credential"},
		{name: "rejects: unknown access key", signWith: otherKey,
			wantCode: CodeUnrecognizedClient, wantText: "security token included in the request is invalid"},
		{name: "rejects: wrong secret key", signWith: wrongSecret,
			wantCode: CodeInvalidSignature, wantText: "does not match the signature you provided"},
		{name: "rejects: other region", verifier: func(v *Verifier) { v.Region = "ap-northeast-2" },
			wantCode: CodeInvalidSignature, wantText: "valid region, not 'us-east-1'"},
		{name: "rejects: other service", verifier: func(v *Verifier) { v.Service = "execute-api" },
			wantCode: CodeInvalidSignature, wantText: "correct service: 'execute-api', not 'aps'"},
		{name: "rejects: wrong scope terminator", edit: editAuthorization("aws4_request", "aws5_request"),
			wantCode: CodeInvalidSignature, wantText: "terminator"},
		{name: "rejects: scope date mismatch", edit: func(r *http.Request) { r.Header.Set("X-Amz-Date", "20150831T000100Z") },
			wantCode: CodeInvalidSignature, wantText: "'20150830' != '20150831'"},
		{name: "rejects: missing date", edit: func(r *http.Request) { r.Header.Del("X-Amz-Date") },
			wantCode: CodeIncompleteSignature, wantText: "X-Amz-Date"},
		{name: "rejects: malformed date", edit: func(r *http.Request) { r.Header.Set("X-Amz-Date", "2015-08-30T12:36:00Z") },
			wantCode: CodeIncompleteSignature, wantText: "ISO 8601"},
		{name: "rejects: expired signature", verifier: func(v *Verifier) { v.Now = func() time.Time { return t0.Add(5*time.Minute + time.Second) } },
			wantCode: CodeInvalidSignature, wantText: "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z"},
		{name: "rejects: signature from future", verifier: func(v *Verifier) { v.Now = func() time.Time { return t0.Add(-6 * time.Minute) } },
			wantCode: CodeInvalidSignature, wantText: "Signature not yet current"},
		{name: "rejects: changed signed header", edit: func(r *http.Request) { r.Header.Set("X-Custom", "other value") },
			wantCode: CodeInvalidSignature},
		{name: "rejects: removed signed header", edit: func(r *http.Request) { r.Header.Del("X-Custom") },
			wantCode: CodeInvalidSignature},
		{name: "rejects: changed host", edit: func(r *http.Request) { r.Host = "prometheus.example:9091" },
			wantCode: CodeInvalidSignature},
		{name: "rejects: host not signed", edit: editAuthorization("host;", ""),
			wantCode: CodeInvalidSignature, wantText: "'Host' must be a 'SignedHeader'"},
		{name: "rejects: changed query", edit: func(r *http.Request) { r.URL.RawQuery = "query=up" },
			wantCode: CodeInvalidSignature},
		{name: "rejects: changed path", edit: func(r *http.Request) { r.URL.Path = "/workspaces/ws-1/api/v1/query_range" },
			wantCode: CodeInvalidSignature},
		{name: "rejects: changed method", edit: func(r *http.Request) { r.Method = http.MethodPut },
			wantCode: CodeInvalidSignature},
		{name: "rejects: changed body same length", edit: func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(strings.Replace(testForm, "sum", "max", 1)))
		}, wantCode: CodeInvalidSignature},
		{name: "rejects: missing session token", signWith: withToken(testCreds, "token-1"),
			edit:     func(r *http.Request) { r.Header.Del("X-Amz-Security-Token") },
			verifier: func(v *Verifier) { v.Credentials = []aws.Credentials{withToken(testCreds, "token-1")} },
			wantCode: CodeUnrecognizedClient},
		{name: "rejects: unexpected session token", signWith: withToken(testCreds, "token-1"),
			wantCode: CodeUnrecognizedClient},
		{name: "rejects: other session token", signWith: withToken(testCreds, "token-2"),
			verifier: func(v *Verifier) { v.Credentials = []aws.Credentials{withToken(testCreds, "token-1")} },
			wantCode: CodeUnrecognizedClient},
		{name: "rejects: expired credentials", verifier: func(v *Verifier) {
			expiring := testCreds
			expiring.CanExpire = true
			expiring.Expires = t0.Add(-time.Minute)
			v.Credentials = []aws.Credentials{expiring}
		}, wantCode: CodeExpiredToken},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signWith := tt.signWith
			if signWith.AccessKeyID == "" {
				signWith = testCreds
			}
			method, target, body := http.MethodPost, testTarget, testForm
			if tt.method != "" {
				method, target, body = tt.method, tt.target, ""
			}
			r := signForServer(t, signWith, t0, method, target, body)
			if tt.edit != nil {
				tt.edit(r)
			}
			v := newTestVerifier(t0)
			if tt.verifier != nil {
				tt.verifier(v)
			}

			err := v.Verify(r)

			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("Verify() = %v, want nil", err)
				}
				return
			}
			var verr *VerifyError
			if !errors.As(err, &verr) {
				t.Fatalf("Verify() = %v (%T), want *VerifyError with code %s", err, err, tt.wantCode)
			}
			if verr.Code != tt.wantCode {
				t.Errorf("Code = %q, want %q (message %q)", verr.Code, tt.wantCode, verr.Message)
			}
			if !strings.Contains(verr.Message, tt.wantText) {
				t.Errorf("Message = %q, want it to contain %q", verr.Message, tt.wantText)
			}
			if strings.Contains(err.Error(), testSecretKey) {
				t.Errorf("error %q contains the secret key", err)
			}
		})
	}
}

func TestVerifyRestoresBody(t *testing.T) {
	r := signForServer(t, testCreds, t0, http.MethodPost, testTarget, testForm)

	if err := newTestVerifier(t0).Verify(r); err != nil {
		t.Fatalf("Verify() = %v", err)
	}

	if err := r.ParseForm(); err != nil {
		t.Fatalf("ParseForm after Verify: %v", err)
	}
	if got, want := r.PostForm.Get("query"), "sum(rate(http_requests_total[2m]))"; got != want {
		t.Errorf("form query after Verify = %q, want %q", got, want)
	}
}

func TestVerifyErrorMessage(t *testing.T) {
	err := &VerifyError{Code: CodeInvalidSignature, Message: "The request signature we calculated does not match the signature you provided."}

	want := "InvalidSignatureException: The request signature we calculated does not match the signature you provided."
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestVerifyMalformedCredentialHidesKey(t *testing.T) {
	r := signForServer(t, testCreds, t0, http.MethodPost, testTarget, testForm)
	editAuthorization("/us-east-1/aps/aws4_request", "")(r)

	err := newTestVerifier(t0).Verify(r)

	if err == nil || strings.Contains(err.Error(), testAccessKey) {
		t.Errorf("Verify() = %v, want an error that does not repeat the access key", err)
	}
}

func TestVerifyErrorWriteResponse(t *testing.T) {
	tests := []struct {
		name       string
		err        *VerifyError
		wantStatus int
	}{
		{"rejected signature: 403", &VerifyError{Code: CodeInvalidSignature, Message: `signature "x" does not match`}, http.StatusForbidden},
		{"broken verifier: 500", &VerifyError{Code: CodeInternalFailure, Message: "no region"}, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.err.WriteResponse(rec)

			assert.Equal(t, tt.wantStatus, rec.Code)
			assert.Equal(t, tt.err.Code, rec.Header().Get("X-Amzn-ErrorType"))
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			var body map[string]string
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
			assert.Equal(t, map[string]string{"message": tt.err.Message}, body)
		})
	}
}
