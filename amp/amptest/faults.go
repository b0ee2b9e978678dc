package amptest

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// malformedBody is a success response cut off in the middle of a series.
const malformedBody = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":`

// faultKind is the effect of a fault on a request.
type faultKind int

const (
	faultStatus faultKind = iota
	faultReset
)

// fault is an error response that replaces the result of the next requests.
type fault struct {
	kind      faultKind
	remaining int
	status    int
	header    http.Header
	body      string
}

// Fail responds to the next n verified requests with status and body. A body
// that starts with '{' is sent as application/json.
func (s *Server) Fail(n, status int, body string) {
	header := http.Header{}
	if strings.HasPrefix(strings.TrimSpace(body), "{") {
		header.Set("Content-Type", "application/json")
	}
	s.addFault(fault{kind: faultStatus, remaining: n, status: status, header: header, body: body})
}

// Throttle responds to the next n verified requests as AMP responds to a
// request over its rate limit: status 429, x-amzn-ErrorType ThrottlingException and
// {"message":"Rate exceeded"}. A positive retryAfter adds a Retry-After
// header in whole seconds, rounded up.
func (s *Server) Throttle(n int, retryAfter time.Duration) {
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	header.Set("X-Amzn-ErrorType", "ThrottlingException")
	if retryAfter > 0 {
		header.Set("Retry-After", strconv.Itoa(int(math.Ceil(retryAfter.Seconds()))))
	}
	s.addFault(fault{kind: faultStatus, remaining: n, status: http.StatusTooManyRequests, header: header, body: `{"message":"Rate exceeded"}`})
}

// Malformed responds to the next n verified requests with status 200 and a
// JSON body that ends in the middle of the result.
func (s *Server) Malformed(n int) {
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	s.addFault(fault{kind: faultStatus, remaining: n, status: http.StatusOK, header: header, body: malformedBody})
}

// Reset closes the connection of the next n verified requests without a
// response, as a failing load balancer does.
func (s *Server) Reset(n int) {
	s.addFault(fault{kind: faultReset, remaining: n})
}

// Delay makes every later response wait d before it is written, or until
// the client gives up. Zero removes the delay.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// addFault queues f after the faults already queued.
func (s *Server) addFault(f fault) {
	if f.remaining <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// nextFault takes one use of the first queued fault.
func (s *Server) nextFault() (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return fault{}, false
	}

	f := s.faults[0]
	s.faults[0].remaining--
	if s.faults[0].remaining == 0 {
		s.faults = s.faults[1:]
	}
	return f, true
}

// write applies the fault to the response.
func (f fault) write(w http.ResponseWriter) {
	if f.kind == faultReset {
		reset(w)
		return
	}
	for name, values := range f.header {
		w.Header()[name] = values
	}
	w.WriteHeader(f.status)
	fmt.Fprint(w, f.body)
}

// reset closes the connection under w without writing a response.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// A connection that cannot be taken over gets an empty 502, which
		// clients also treat as a failed attempt.
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		// A zero linger makes Close send a TCP reset instead of a clean end.
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}
