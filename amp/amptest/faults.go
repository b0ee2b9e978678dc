package amptest

import (
	"bufio"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
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
	faultCut
	faultSlow
)

// fault is an error response that replaces the result of the next requests.
type fault struct {
	kind      faultKind
	remaining int
	response  Response
	// interval is the wait between the bytes of a slow body.
	interval time.Duration
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

// CutBody responds to the next n verified requests with the headers of
// the programmed result, including the Content-Length of its whole body,
// and the first half of that body. It then closes the connection, as a
// proxy that fails in the middle of a response does, so the client sees a
// body that ends early.
func (s *Server) CutBody(n int) {
	s.addFault(fault{kind: faultCut, remaining: n})
}

// SlowBody responds to the next n verified requests with the headers of
// the programmed result at once and then its body one byte every interval,
// as a congested link does. A client whose time limit is shorter than the
// whole body takes gets the headers but not the body. The server stops
// writing within two intervals after the client closes the connection.
// Close waits for a body that a client is still reading.
func (s *Server) SlowBody(n int, interval time.Duration) {
	s.addFault(fault{kind: faultSlow, remaining: n, interval: max(interval, time.Millisecond)})
}

// ExpireToken responds to the next n verified requests as AMP responds to
// a request signed with an expired session token: status 403,
// x-amzn-ErrorType ExpiredTokenException and a JSON message. A
// sigv4.RoundTripper, and so an amp.Client, then fetches its credentials
// again and sends the request once more, so n = 1 fails no query and
// n = 2 fails one.
func (s *Server) ExpireToken(n int) {
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	header.Set("X-Amzn-ErrorType", "ExpiredTokenException")
	body := `{"message":"The security token included in the request is expired"}`
	s.FailWith(n, Response{Status: http.StatusForbidden, Header: header, Body: body})
}

// GatewayError responds to the next n verified requests with status and
// a small HTML error page in text/html, as a load balancer or proxy in
// front of a workspace sends when it cannot reach it.
func (s *Server) GatewayError(n, status int) {
	header := http.Header{}
	header.Set("Content-Type", "text/html")
	title := strconv.Itoa(status) + " " + http.StatusText(status)
	body := "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title + "</h1></center>\r\n</body>\r\n</html>\r\n"
	s.FailWith(n, Response{Status: status, Header: header, Body: body})
}

// Oversized responds to the next n verified requests with status 200 and
// a valid vector response of size bytes, or of its smallest length when
// size is below it. The one series carries a long label, so that a client
// with a response size limit below size must stop reading.
func (s *Server) Oversized(n, size int) {
	const head = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pad":"`
	const tail = `"},"value":[0,"1"]}]}}`
	pad := max(size-len(head)-len(tail), 0)
	body := head + strings.Repeat("x", pad) + tail
	s.FailWith(n, Response{Status: http.StatusOK, Body: body})
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
	switch f.kind {
	case faultReset:
		reset(w)
	case faultCut:
		cut(w, s.successBody(req))
	case faultSlow:
		dribble(w, s.successBody(req), f.interval)
	default:
		s.write(w, req, f.response)
	}
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

// successBody returns the body of the programmed response to req.
func (s *Server) successBody(req QueryRequest) []byte {
	rec := httptest.NewRecorder()
	s.respond(rec, req)
	return rec.Body.Bytes()
}

// cut writes the headers for body and its first half on the connection
// under w, then closes the connection.
func cut(w http.ResponseWriter, body []byte) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	defer conn.Close()

	writeHead(buf, len(body))
	_, _ = buf.Write(body[:len(body)/2])
	_ = buf.Flush()
}

// writeHead writes the status line and headers of a JSON success of size
// bytes.
func writeHead(buf *bufio.ReadWriter, size int) {
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", size)
}

// dribble writes the headers for body at once and then body one byte
// every interval. It stops when a write fails because the client left.
func dribble(w http.ResponseWriter, body []byte, interval time.Duration) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return
	}

	for i := range body {
		time.Sleep(interval)
		if _, err := w.Write(body[i : i+1]); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}
