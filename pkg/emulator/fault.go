package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// FaultKind is a kind of injected failure.
type FaultKind string

// The faults a Server can inject. The names are the ones ParseFault reads.
// Throttling, internal errors and redirects are answered by the service
// that owns the request (Service.WriteFault), in its API's format; the
// answers described here are those of packages asm and apim.
const (
	// FaultThrottle answers a classic request with 503, Code
	// TooManyRequests and no Retry-After header, as the real service
	// throttles; an ARM request with 429, "Retry-After: 1" and a JSON error
	// with code TooManyRequests, as ARM throttles.
	FaultThrottle FaultKind = "throttle"
	// FaultInternalError answers 500 with Code InternalError (classic) or
	// code InternalServerError in a JSON error (ARM).
	FaultInternalError FaultKind = "internal"
	// FaultReset closes the connection without answering. Where the
	// connection cannot be hijacked (HTTP/2, or Handler used with a
	// recorder) it panics with http.ErrAbortHandler instead, which net/http
	// turns into a reset of the connection or stream.
	FaultReset FaultKind = "reset"
	// FaultDelay waits Fault.Delay before handling the request normally;
	// the wait ends early if the client goes away (then nothing is
	// answered) or the server is closing.
	FaultDelay FaultKind = "delay"
	// FaultRedirect answers 307 TemporaryRedirect with a Location header:
	// Fault.Location if set, else the same URL on this server. The body is
	// an XML error for a classic request and a JSON one for ARM.
	FaultRedirect FaultKind = "redirect"
)

// Limits on faults, so a typo in a flag cannot hang a demo for a day.
const (
	maxFaultCount = 1000000
	maxFaultDelay = time.Hour
)

// Fault is a failure injected into the next Count requests.
type Fault struct {
	// Kind is what happens.
	Kind FaultKind
	// Count is how many consecutive requests it affects; less than 1
	// means 1.
	Count int
	// Delay is how long a FaultDelay waits.
	Delay time.Duration
	// Location is where a FaultRedirect points, verbatim; "" means the
	// server's own URL with the request's path and query.
	Location string
}

// String writes the fault in the syntax ParseFault reads.
func (f Fault) String() string {
	count := max(f.Count, 1)
	switch f.Kind {
	case FaultDelay:
		return fmt.Sprintf("%s:%s:%d", f.Kind, f.Delay, count)
	case FaultRedirect:
		if f.Location != "" {
			return fmt.Sprintf("%s:%d:%s", f.Kind, count, f.Location)
		}
	}
	return fmt.Sprintf("%s:%d", f.Kind, count)
}

// ParseFault reads a fault from a command-line flag:
//
//	throttle[:N]            503 TooManyRequests (429 for ARM) for the next N requests (default 1)
//	internal[:N]            500 InternalError (InternalServerError for ARM)
//	reset[:N]               close the connection without answering
//	delay:DURATION[:N]      wait DURATION (e.g. 3s) before answering
//	redirect[:N[:URL]]      307 TemporaryRedirect to URL (default: the same URL)
func ParseFault(s string) (Fault, error) {
	kind, rest, _ := strings.Cut(s, ":")
	f := Fault{Kind: FaultKind(strings.ToLower(kind)), Count: 1}
	bad := func(format string, args ...any) (Fault, error) {
		return Fault{}, fmt.Errorf("fault %q: %s (want throttle:N, internal:N, reset:N, delay:DURATION:N or redirect:N[:URL])", s, fmt.Sprintf(format, args...))
	}
	switch f.Kind {
	case FaultThrottle, FaultInternalError, FaultReset:
	case FaultDelay:
		d, r, _ := strings.Cut(rest, ":")
		if d == "" {
			return bad("a delay needs a duration")
		}
		var err error
		if f.Delay, err = time.ParseDuration(d); err != nil {
			return bad("bad duration %q", d)
		}
		if f.Delay <= 0 || f.Delay > maxFaultDelay {
			return bad("the duration must be positive and at most %s", maxFaultDelay)
		}
		rest = r
	case FaultRedirect:
		r, loc, hasLoc := strings.Cut(rest, ":")
		if hasLoc {
			u, err := url.Parse(loc)
			if err != nil || !u.IsAbs() || u.Host == "" {
				return bad("the redirect location %q is not an absolute URL", loc)
			}
			f.Location = loc
		}
		rest = r
	default:
		return bad("unknown kind %q", kind)
	}
	if rest != "" {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > maxFaultCount {
			return bad("the count %q is not a number from 1 to %d", rest, maxFaultCount)
		}
		f.Count = n
	}
	return f, nil
}

// Inject queues f for the next f.Count requests. Faults apply in the order
// they were injected, each to consecutive requests; requests answered by a
// fault are still recorded.
func (s *Server) Inject(f Fault) {
	f.Count = max(f.Count, 1)
	f.Delay = min(max(f.Delay, 0), maxFaultDelay)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// ClearFaults drops the faults still queued.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// nextFault takes one use of the first queued fault.
func (s *Server) nextFault() (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return Fault{}, false
	}
	f := s.faults[0]
	s.faults[0].Count--
	if s.faults[0].Count <= 0 {
		s.faults = s.faults[1:]
	}
	return f, true
}

// applyFault carries out f and reports whether the request is finished
// (answered, or its connection closed); a finished delay is not. svc, the
// service that owns the request, writes the answers of its API.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault, svc Service) (done bool) {
	switch f.Kind {
	case FaultThrottle, FaultInternalError:
		svc.WriteFault(w, r, f.Kind, "")
	case FaultRedirect:
		loc := f.Location
		if loc == "" {
			loc = s.base(r) + r.URL.RequestURI()
		}
		w.Header().Set("Location", loc)
		svc.WriteFault(w, r, f.Kind, loc)
	case FaultReset:
		s.logf("emulator: fault reset: closing the connection of %s %s", r.Method, r.URL.Path)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			// Not hijackable (HTTP/2, a recorder): abort the response,
			// which also drops the connection or stream.
			panic(http.ErrAbortHandler)
		}
		conn.Close()
	case FaultDelay:
		s.logf("emulator: fault delay: holding %s %s for %s", r.Method, r.URL.Path, f.Delay)
		timer := time.NewTimer(f.Delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-s.closing:
			s.logf("emulator: fault delay: server closing, answering %s %s now", r.Method, r.URL.Path)
		case <-r.Context().Done():
			s.logf("emulator: fault delay: %s %s cancelled: %v", r.Method, r.URL.Path, r.Context().Err())
			// Drop the connection: returning would let net/http answer
			// 200 with an empty body on a connection still open.
			panic(http.ErrAbortHandler)
		}
		return false
	default:
		return false
	}
	return true
}
