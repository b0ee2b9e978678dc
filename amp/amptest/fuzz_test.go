package amptest_test

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/promscaler/promscaler/amp/amptest"
	"github.com/promscaler/promscaler/sigv4"
)

// FuzzSignVerify sends requests with fuzzed headers, query strings and
// bodies, signed by sigv4.RoundTripper, to a Server. The Server must accept
// each one and decode the query parameters that url.ParseQuery decodes from
// the caller's query. The same request must be rejected when a transport
// below the signer changes its query or a signed header, and never sent
// when the signer rejects its query.
func FuzzSignVerify(f *testing.F) {
	f.Add("X-Scope-OrgID", "tenant-1", "", "query", `sum(rate(http_requests_total{job="api"}[2m]))`, "time=1735787045", "POST", "query=up", false)
	f.Add("Accept", "application/json", "text/plain", "match[]", `{__name__=~"up|down"}`, "match[]=a&match[]=b", "GET", "", false)
	f.Add("x-custom_header", "  two  inner  spaces  ", "\tleading tab", "q", "a+b c%2B", "a=%2B&b=+", "POST", "", false)
	f.Add("X-Amz-Date", "20150830T123600Z", "", "", "", "&&a&=b&c=", "GET", "", false)
	f.Add("Connection", "X-Hop", "", "key", "\x00\xff\n\r", "bad=%zz", "PUT", "\x00body", false)
	f.Add("Content-Type", "application/x-www-form-urlencoded", "", "query", "up", "semi=a;b", "POST", "query=sum(up)&time=1", false)
	f.Add("X-Obs-Text", "caf\xc3\xa9 \xa0", "\xc2\xa0", "ключ", "значение", "%E2%82%AC=%7B%7D", "GET", "", false)
	f.Add("X-Custom", "canonical", "lower", "query", "up", "", "GET", "", true)

	rt, transport := newFuzzRoundTripper(f)
	srv := amptest.NewServer(f, amptest.Config{Now: func() time.Time { return t0 }, MaxRequests: 1})
	srv.HandleQuery(func(amptest.QueryRequest) amptest.Response { return amptest.Response{} })

	f.Fuzz(func(t *testing.T, name, value1, value2, key, value, rawQuery, method, body string, caseVariant bool) {
		name = headerName(name)
		header := http.Header{}
		header.Add(name, headerValue(value1))
		// net/http also sends a header map key that is not in canonical form.
		if lower := strings.ToLower(name); caseVariant && lower != http.CanonicalHeaderKey(name) {
			header[lower] = append(header[lower], headerValue(value2))
		} else {
			header.Add(name, headerValue(value2))
		}
		query := joinQuery(url.Values{key: {value}}.Encode(), rawQuery)
		method = requestMethod(method)
		wantParams, parseErr := url.ParseQuery(query)

		send := func(tamper func(*http.Request)) (*http.Response, error) {
			req, err := http.NewRequest(method, srv.URL()+"/api/v1/query", strings.NewReader(body))
			if err != nil {
				t.Fatalf("build request: %v", err)
			}
			req.Header = header.Clone()
			req.URL.RawQuery = query
			transport.tamper = tamper
			return (&http.Client{Transport: rt, Timeout: sendTimeout}).Do(req)
		}

		before := srv.Received()
		resp, err := send(nil)
		if parseErr != nil {
			checkNotSent(t, srv, before, query, resp, err)
			return
		}
		if err != nil {
			t.Fatalf("send %s with header %q: %q and query %q: %v", method, name, header[name], query, err)
		}
		status, errorType := drain(resp)
		checkVerified(t, srv, status, errorType, header, query, wantParams)

		for _, tamper := range queryTampers(len(wantParams) > 0) {
			resp, err := send(tamper)
			if err != nil {
				t.Fatalf("send tampered query %q: %v", query, err)
			}
			status, errorType := drain(resp)
			if status != http.StatusForbidden || errorType != sigv4.CodeInvalidSignature {
				t.Fatalf("query %q changed after signing: status %d, error type %q; want 403 %s", query, status, errorType, sigv4.CodeInvalidSignature)
			}
		}

		changed := false
		resp, err = send(func(req *http.Request) { changed = tamperSignedHeader(req, name) })
		if err != nil {
			t.Fatalf("send tampered header %q: %v", name, err)
		}
		// A changed X-Amz-Date may no longer parse, which is a different
		// rejection with the same status.
		status, errorType = drain(resp)
		if changed && status != http.StatusForbidden {
			t.Fatalf("signed header %q: %q changed after signing: status %d, error type %q; want 403", name, header[name], status, errorType)
		}
	})
}

// sendTimeout turns a request that hangs into a failure. It is long, so
// that a loaded machine does not fail the target.
const sendTimeout = 30 * time.Second

// tamperTransport sends requests with a shared transport after tamper, if
// set, changes them. It sits below the signer, where nothing may change a
// request.
type tamperTransport struct {
	next   *http.Transport
	tamper func(*http.Request)
}

func (tt *tamperTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if tt.tamper != nil {
		tt.tamper(req)
	}
	return tt.next.RoundTrip(req)
}

// newFuzzRoundTripper returns a signer with the Server's static keys and
// clock, and the transport below it. The idle connections close when the
// fuzz target ends.
func newFuzzRoundTripper(tb testing.TB) (*sigv4.RoundTripper, *tamperTransport) {
	transport := &tamperTransport{next: &http.Transport{}}
	tb.Cleanup(transport.next.CloseIdleConnections)
	rt, err := sigv4.NewRoundTripper(sigv4.Config{
		Region:      amptest.DefaultRegion,
		Credentials: credentials.NewStaticCredentialsProvider(amptest.AccessKeyID, amptest.SecretAccessKey, ""),
		Transport:   transport,
		Now:         func() time.Time { return t0 },
	})
	if err != nil {
		tb.Fatal(err)
	}
	return rt, transport
}

func checkVerified(t *testing.T, srv *amptest.Server, status int, errorType string, header http.Header, query string, wantParams url.Values) {
	t.Helper()
	requests := srv.Requests()
	if len(requests) != 1 {
		t.Fatalf("server kept %d requests, want 1", len(requests))
	}
	got := requests[0]
	if status == http.StatusForbidden || !got.Verified {
		t.Fatalf("signed request rejected: status %d, error type %q, header %q, query %q", status, errorType, header, query)
	}
	// A form body adds its values after those of the URL.
	for key, values := range wantParams {
		if len(got.Params[key]) < len(values) || !slices.Equal(got.Params[key][:len(values)], values) {
			t.Fatalf("query %q: server decoded %q = %q, want %q", query, key, got.Params[key], values)
		}
	}
}

// checkNotSent checks that the signer rejected a query that url.ParseQuery
// rejects, with an error that names the problem, and sent nothing.
func checkNotSent(t *testing.T, srv *amptest.Server, before int, query string, resp *http.Response, err error) {
	t.Helper()
	if err == nil {
		drain(resp)
		t.Fatalf("query %q: url.ParseQuery rejects it, but the signer sent it", query)
	}
	if !strings.Contains(err.Error(), "sigv4: query") {
		t.Fatalf("query %q: error %q does not name the query", query, err)
	}
	if srv.Received() != before {
		t.Fatalf("query %q: a rejected request reached the server", query)
	}
}

// queryTampers returns changes to a signed query that change the values
// the server decodes.
func queryTampers(hasPairs bool) []func(*http.Request) {
	tampers := []func(*http.Request){
		func(req *http.Request) { req.URL.RawQuery = joinQuery(req.URL.RawQuery, "tampered=1") },
	}
	if !hasPairs {
		return tampers
	}
	// The signer sends pairs in the caller's order without empty ones, so
	// dropping the last pair removes one decoded value.
	return append(tampers, func(req *http.Request) {
		pairs := strings.Split(req.URL.RawQuery, "&")
		req.URL.RawQuery = strings.Join(pairs[:len(pairs)-1], "&")
	})
}

// tamperSignedHeader appends a letter to the last value of the header name
// when the signature covers that header, and reports whether it did. Host
// and Content-Length are signed from request fields, not from the header map.
func tamperSignedHeader(req *http.Request, name string) bool {
	key := http.CanonicalHeaderKey(name)
	if key == "Host" || key == "Content-Length" {
		return false
	}
	_, signed, _ := strings.Cut(req.Header.Get("Authorization"), "SignedHeaders=")
	signed, _, _ = strings.Cut(signed, ",")
	values := req.Header[key]
	if !slices.Contains(strings.Split(signed, ";"), strings.ToLower(name)) || len(values) == 0 {
		return false
	}

	tampered := slices.Clone(values)
	tampered[len(tampered)-1] += "x"
	req.Header[key] = tampered
	return true
}

func joinQuery(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "&" + b
}

// drain reads and closes a response body, and returns the status and the
// AWS error type.
func drain(resp *http.Response) (int, string) {
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType")
}

// headerName keeps the bytes of name that an HTTP field name may contain
// (RFC 9110 token characters). Expect is renamed, because the Go server
// responds to any Expect value but 100-continue with 417 before a handler runs.
func headerName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x80 && isTokenByte(byte(r)) {
			return r
		}
		return -1
	}, name)
	if name == "" || strings.EqualFold(name, "Expect") {
		return "X-Fuzz"
	}
	return name
}

func isTokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// headerValue drops the bytes that net/http rejects in a field value:
// control characters other than horizontal tab. Other bytes, including
// invalid UTF-8, stay.
func headerValue(value string) string {
	out := make([]byte, 0, len(value))
	for i := 0; i < len(value); i++ {
		if c := value[i]; c == '\t' || (c >= 0x20 && c != 0x7f) {
			out = append(out, c)
		}
	}
	return string(out)
}

// requestMethod maps a fuzzed string onto the methods a query client uses.
func requestMethod(s string) string {
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut}
	return methods[len(s)%len(methods)]
}
