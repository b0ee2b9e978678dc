package amptest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/promscaler/promscaler/sigv4"
)

// The static test keys that every Server accepts. They are the example keys
// of the AWS documentation and grant nothing.
const (
	AccessKeyID     = "AKIDEXAMPLE"
	SecretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

// Defaults of Config.
const (
	DefaultRegion      = "us-east-1"
	DefaultWorkspaceID = "ws-00000000-0000-4000-8000-000000000000"
	// DefaultMaxRequests is how many requests Requests keeps when
	// Config.MaxRequests is 0.
	DefaultMaxRequests = 10000
)

// Config configures a Server. The zero value serves DefaultWorkspaceID in
// DefaultRegion from programmed results.
type Config struct {
	// Region is the region that signatures must name. Empty means
	// DefaultRegion.
	Region string
	// WorkspaceID is the workspace in the URL. Empty means
	// DefaultWorkspaceID.
	WorkspaceID string
	// Upstream, when set, is the base URL of a Prometheus-compatible server,
	// such as http://127.0.0.1:9090. Verified requests are forwarded to it
	// instead of getting programmed results.
	Upstream string
	// Now is the clock that signing times are checked against. Nil means
	// time.Now.
	Now func() time.Time
	// MaxRequests is how many of the latest requests Requests keeps, so
	// that a long load test does not grow the server without bound. Zero
	// means DefaultMaxRequests; a negative value keeps none.
	MaxRequests int
}

// Server is a fake AMP workspace on 127.0.0.1. It is safe for concurrent
// use: tests may program it while a client queries it.
type Server struct {
	http        *httptest.Server
	region      string
	workspaceID string
	verifier    *sigv4.Verifier
	proxy       *httputil.ReverseProxy
	now         func() time.Time

	mu       sync.Mutex
	results  map[string]Response
	handler  func(QueryRequest) Response
	faults   []fault
	delay    time.Duration
	requests []QueryRequest
	received int
	keep     int
}

// NewServer starts a Server for a test and closes it when the test ends. An
// invalid cfg fails the test.
func NewServer(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	s, err := Start(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start starts a Server. The caller must Close it.
func Start(cfg Config) (*Server, error) {
	s := &Server{
		region:      cfg.Region,
		workspaceID: cfg.WorkspaceID,
		now:         cfg.Now,
		results:     map[string]Response{},
		keep:        cfg.MaxRequests,
	}
	if s.keep == 0 {
		s.keep = DefaultMaxRequests
	}
	if s.region == "" {
		s.region = DefaultRegion
	}
	if s.workspaceID == "" {
		s.workspaceID = DefaultWorkspaceID
	}
	if s.now == nil {
		s.now = time.Now
	}
	if strings.ContainsAny(s.workspaceID, "/?#% ") {
		return nil, fmt.Errorf("amptest: invalid workspace ID %q: use letters, digits and '-'", s.workspaceID)
	}
	if err := sigv4.CheckRegion(s.region); err != nil {
		return nil, fmt.Errorf("amptest: %s", strings.TrimPrefix(err.Error(), "sigv4: "))
	}
	if cfg.Upstream != "" {
		proxy, err := newProxy(cfg.Upstream, s.prefix())
		if err != nil {
			return nil, err
		}
		s.proxy = proxy
	}

	s.verifier = &sigv4.Verifier{
		Region:      s.region,
		Service:     sigv4.DefaultService,
		Credentials: []aws.Credentials{{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey}},
		Now:         s.now,
	}
	s.http = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s, nil
}

// URL returns the workspace URL, <base>/workspaces/<id>, to use as
// amp.Config.ServerAddress. Its host is 127.0.0.1, not an AMP host, so the
// client must opt in to SigV4 and name Region.
func (s *Server) URL() string {
	return s.http.URL + s.prefix()
}

// Region returns the region that signatures must name.
func (s *Server) Region() string {
	return s.region
}

// Credentials returns a provider of the static test keys, to use as
// amp.Config.Credentials.
func (s *Server) Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")
}

// Close shuts the server down and waits for open requests to finish.
func (s *Server) Close() {
	s.http.Close()
}

// Requests returns a copy of the latest requests received, oldest first,
// including those whose signature failed. It keeps at most
// Config.MaxRequests of them; Received counts them all.
func (s *Server) Requests() []QueryRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]QueryRequest(nil), s.requests...)
}

func (s *Server) prefix() string {
	return "/workspaces/" + s.workspaceID
}

// newProxy returns a reverse proxy that sends <prefix>/api/... to
// <upstream>/api/... without the signature headers.
func newProxy(upstream, prefix string) (*httputil.ReverseProxy, error) {
	target, err := url.Parse(upstream)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return nil, fmt.Errorf("amptest: invalid upstream %q: use an http or https base URL such as http://127.0.0.1:9090", upstream)
	}
	target.Path = strings.TrimRight(target.Path, "/")

	rewrite := func(r *httputil.ProxyRequest) {
		r.Out.URL.Path = strings.TrimPrefix(r.In.URL.Path, prefix)
		r.Out.URL.RawPath = ""
		r.SetURL(target)
		for _, name := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256"} {
			r.Out.Header.Del(name)
		}
	}
	return &httputil.ReverseProxy{Rewrite: rewrite}, nil
}

// serveHTTP records and verifies a request, then responds to it, forwards
// it or fails it.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "amptest: read request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	verifyErr := s.verifier.Verify(r)
	req := newQueryRequest(r, body, s.prefix(), verifyErr == nil)
	s.record(req)

	var rejected *sigv4.VerifyError
	if errors.As(verifyErr, &rejected) {
		rejected.WriteResponse(w)
		return
	}
	if !strings.HasPrefix(r.URL.Path, s.prefix()+"/") {
		writeAWSError(w, http.StatusNotFound, "ResourceNotFoundException", "workspace not found: the path must start with "+s.prefix()+"/")
		return
	}

	if !s.wait(r) {
		return
	}
	if f, ok := s.nextFault(); ok {
		s.writeFault(w, req, f)
		return
	}
	if s.proxy != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.proxy.ServeHTTP(w, r)
		return
	}
	s.respond(w, req)
}

// Received returns the number of requests received so far, including
// those that Requests no longer keeps.
func (s *Server) Received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received
}

func (s *Server) record(req QueryRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received++
	if s.keep <= 0 {
		return
	}
	if len(s.requests) == s.keep {
		// Dropping from the front lets append reuse the array's tail; when
		// it grows, only the kept requests are copied.
		s.requests = s.requests[1:]
	}
	s.requests = append(s.requests, req)
}

// wait applies Delay. It returns false when the client left first.
func (s *Server) wait(r *http.Request) bool {
	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()
	if delay <= 0 {
		return true
	}

	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// writeAWSError writes an error as AWS services do: the type in the
// x-amzn-ErrorType header and {"message": ...} as the body.
func writeAWSError(w http.ResponseWriter, status int, errorType, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", errorType)
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q}`, message)
}
