package sigv4

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	promsigv4 "github.com/prometheus/sigv4"
)

// benchTarget is a query endpoint with the path of a workspace. The no-op
// transport never connects to it, and its loopback host keeps it that way.
const benchTarget = "https://127.0.0.1:9443/workspaces/ws-12345678-abcd-1234-abcd-123456789012/api/v1/query"

// benchForm is the form body of an instant query for the websocket
// connection count.
var benchForm = []byte(url.Values{"query": {websocketQuery}, "time": {"1764878400"}}.Encode())

// noopTransport returns for every request with a canned 200 response without
// reading the body, as a transport that has sent it would.
type noopTransport struct{}

func (noopTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}

// newBenchRequest returns the POST form request the benchmarks send. Each
// iteration gives it a fresh body.
func newBenchRequest(b *testing.B) *http.Request {
	b.Helper()
	req, err := http.NewRequest(http.MethodPost, benchTarget, http.NoBody)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// runBench sends the bench request through rt b.N times.
func runBench(b *testing.B, rt http.RoundTripper) {
	req := newBenchRequest(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req.Body = io.NopCloser(bytes.NewReader(benchForm))
		resp, err := rt.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	rt, err := NewRoundTripper(Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
		Transport:   noopTransport{},
	})
	if err != nil {
		b.Fatal(err)
	}
	runBench(b, rt)
}

// directSigner does by hand what every SigV4 RoundTripper must at least
// do: clone the request, read and hash the body, sign, send.
type directSigner struct {
	creds  aws.CredentialsProvider
	signer *v4.Signer
	next   http.RoundTripper
}

func (d directSigner) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))

	creds, err := d.creds.Retrieve(req.Context())
	if err != nil {
		return nil, err
	}
	if err := d.signer.SignHTTP(req.Context(), creds, out, hashPayload(body), DefaultService, testRegion, time.Now()); err != nil {
		return nil, err
	}
	return d.next.RoundTrip(out)
}

func BenchmarkSignHTTPDirect(b *testing.B) {
	runBench(b, directSigner{
		creds:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, "")),
		signer: v4.NewSigner(),
		next:   noopTransport{},
	})
}

func BenchmarkPrometheusSigV4(b *testing.B) {
	b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	rt, err := promsigv4.NewSigV4RoundTripper(&promsigv4.SigV4Config{
		Region:      testRegion,
		AccessKey:   testAccessKey,
		SecretKey:   testSecretKey,
		ServiceName: DefaultService,
	}, noopTransport{}, promsigv4.WithContext(context.Background()))
	if err != nil {
		b.Fatal(err)
	}
	runBench(b, rt)
}
