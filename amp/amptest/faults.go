package amptest

import (
	"math"
	"net"
	"net/http"
	"strconv"
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
	response  Response
}

// Fail responds to the next n verified requests with status and body. A body
// that starts with '{' is sent as application/json.
func (s *Server) Fail(n, status int, body string) {
	s.FailWith(n, Response{Status: status, Body: body})
}

// FailWith responds to the next n verified requests with r, written as a
// programmed result is, so that r.Header can add headers such as
// Retry-After. r.Status is usually an error status. With Status zero, r is
// a success with r.Samples, which can stand in for a result that differs
// from the programmed one.
func (s *Server) FailWith(n int, r Response) {
	s.addFault(fault{kind: faultStatus, remaining: n, response: r})
}

// Throttle responds to the next n verified requests as AMP responds to a
// request over its rate limit: status 429, x-amzn-ErrorType
// ThrottlingException and {"message":"Rate exceeded"}. A positive
// retryAfter adds a Retry-After header in whole seconds, rounded up.
func (s *Server) Throttle(n int, retryAfter time.Duration) {
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	header.Set("X-Amzn-ErrorType", "ThrottlingException")
	if retryAfter > 0 {
		header.Set("Retry-After", strconv.Itoa(int(math.Ceil(retryAfter.Seconds()))))
	}
	s.FailWith(n, Response{Status: http.StatusTooManyRequests, Header: header, Body: `{"message":"Rate exceeded"}`})
}

// Malformed responds to the next n verified requests with status 200 and a
// JSON body that ends in the middle of the result, as a body cut off in
// transit does. The amp client treats it as transient and retries it.
func (s *Server) Malformed(n int) {
	s.FailWith(n, Response{Status: http.StatusOK, Body: malformedBody})
}

// Reset closes the connection of the next n verified requests without a
// response, as a failing load balancer does.
//
// NOTE: net/http's Transport silently sends an idempotent request, such as
// a GET without a body, once more on a new connection when a reused
// connection closes before any response byte arrives. So with
// amp.Config.Method GET, a reset of a reused connection may never reach
// the client: the request is sent again and takes the next queued fault or
// the programmed result, and Requests shows both. A POST, amp's default,
// is not sent again, so the client sees the reset.
func (s *Server) Reset(n int) {
	s.addFault(fault{kind: faultReset, remaining: n})
}

// PendingFaults returns how many more requests the queued faults will fail.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	pending := 0
	for _, f := range s.faults {
		pending += f.remaining
	}
	return pending
}

// ClearFaults removes every queued fault, so that the next requests get
// their results again.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
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

// writeFault applies f to the response to req.
func (s *Server) writeFault(w http.ResponseWriter, req QueryRequest, f fault) {
	if f.kind == faultReset {
		reset(w)
		return
	}
	s.write(w, req, f.response)
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
