package emulator

import (
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/azcert/azcert/pkg/export"
)

// A Service is one emulated API, served by a Server on the Server's port.
// Its methods other than Attach, Owns and LoadState are called with
// requests it owns, or (SaveState) with the Host locked.
type Service interface {
	// Owns reports whether the service answers r. Services are asked in
	// the order given to New.
	Owns(r *http.Request) bool
	// Begin returns the request id of a request the service owns, which
	// the Server sends as x-ms-request-id; it may set other headers that
	// every answer carries. It is called before any fault is applied.
	Begin(w http.ResponseWriter, r *http.Request) (requestID string)
	// WriteFault answers an injected FaultThrottle, FaultInternalError or
	// FaultRedirect the way the service's API does; for a redirect the
	// Location header is set already, to location.
	WriteFault(w http.ResponseWriter, r *http.Request, kind FaultKind, location string)
	// Serve answers a request the service owns.
	Serve(w http.ResponseWriter, r *http.Request, c *Call)

	// StateKeys names the members of the state file's JSON object that the
	// service owns, in the order they are written. The Server owns
	// "version" and "subscription".
	StateKeys() []string
	// LoadState reads the service's members of a state file before
	// Attach: decode(key, v) decodes member key into v, strictly (unknown
	// fields are errors), and leaves v alone when the file lacks the
	// member. An error that is not a *StateError is reported as one.
	LoadState(decode func(key string, v any) error) error
	// SaveState returns the values of the service's members, one for each
	// of StateKeys, for the state file. A nil value leaves its member out:
	// a service added after files were written does so while it holds
	// nothing, so that those files are saved as they were (and still read
	// with an older release). It is called with the Host locked.
	SaveState() []any

	// Attach connects the service to the Server that New is making, once
	// the state file is read and the subscription is known. A service is
	// attached to one Server only.
	Attach(h *Host) error
}

// Call is a request as the Server hands it to a Service.
type Call struct {
	// RequestID is the id Begin returned.
	RequestID string
	// Body is the request body, at most MaxBodySize+1 bytes of it.
	Body []byte
	// BodyErr is the error reading the body, if any.
	BodyErr error
	// ClientThumbprint is the upper-case SHA-1 thumbprint of the client
	// certificate, "" when there was none.
	ClientThumbprint string
}

// Host is what a Service uses of the Server it is attached to.
type Host struct{ s *Server }

// Subscription is the one subscription ID the Server knows.
func (h *Host) Subscription() string { return h.s.Subscription }

// Now reads the Server's clock (Config.Now).
func (h *Host) Now() time.Time { return h.s.now() }

// Logf writes to Config.Logf, if set.
func (h *Host) Logf(format string, args ...any) { h.s.logf(format, args...) }

// BaseURL is the URL answers refer to: the Server's URL once started, else
// the request's own host (for Handler used without a listener). It must
// not be called with the Host locked.
func (h *Host) BaseURL(r *http.Request) string { return h.s.base(r) }

// Lock locks the state of every service of the Server; services change
// their state only while holding it, and save it (SaveLocked) before
// unlocking.
func (h *Host) Lock() { h.s.mu.Lock() }

// Unlock undoes Lock.
func (h *Host) Unlock() { h.s.mu.Unlock() }

// SaveLocked writes the state file, if there is one; the Host must be
// locked. A service that cannot save undoes its change and reports an
// internal error.
func (h *Host) SaveLocked() error { return h.s.saveLocked() }

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (FaultReset).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	var svc Service
	for _, c := range s.services {
		if c.Owns(r) {
			svc = c
			break
		}
	}
	id := ""
	sw := &statusWriter{ResponseWriter: w}
	if svc != nil {
		id = svc.Begin(sw, r)
	}
	body, readErr := io.ReadAll(io.LimitReader(r.Body, MaxBodySize+1))
	client := ""
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		client = Thumbprint(r.TLS.PeerCertificates[0].Raw)
	}
	s.record(Request{Method: r.Method, Path: r.URL.Path, Header: redactHeader(r.Header), Body: body, ClientThumbprint: client})
	defer func() {
		if s.cfg.Logf == nil {
			return
		}
		status := "no answer"
		if sw.status != 0 {
			status = strconv.Itoa(sw.status)
		}
		s.cfg.Logf("emulator: %s %s -> %s (client %s, request id %s)", r.Method, r.URL.Path, status, orNone(client), orNone(id))
	}()
	if svc == nil {
		http.Error(sw, "No emulated service serves this path.", http.StatusNotFound)
		return
	}
	sw.Header().Set("x-ms-request-id", id)
	if f, ok := s.nextFault(); ok && s.applyFault(sw, r, f, svc) {
		return
	}
	svc.Serve(sw, r, &Call{RequestID: id, Body: body, BodyErr: readErr, ClientThumbprint: client})
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// redactHeader copies h with the credentials of Authorization replaced, so
// that recorded requests can be shown: "Bearer <token>" becomes
// "Bearer REDACTED".
func redactHeader(h http.Header) http.Header {
	c := h.Clone()
	values := c.Values("Authorization")
	if len(values) == 0 {
		return c
	}
	red := make([]string, len(values))
	for i, v := range values {
		scheme, _, ok := strings.Cut(strings.TrimSpace(v), " ")
		switch {
		case !ok:
			red[i] = "REDACTED"
		case strings.EqualFold(scheme, "Bearer"):
			red[i] = "Bearer REDACTED"
		default:
			red[i] = scheme + " REDACTED"
		}
	}
	c["Authorization"] = red
	return c
}

// ARMPrefix begins the path of every Azure Resource Manager request; the
// classic Service Management API has the others.
const ARMPrefix = "/subscriptions/"

// IsARMPath reports whether a request path is for Azure Resource Manager
// (it begins with ARMPrefix, in any case).
func IsARMPath(p string) bool {
	return len(p) >= len(ARMPrefix) && strings.EqualFold(p[:len(ARMPrefix)], ARMPrefix)
}

// Thumbprint is the upper-case SHA-1 hex of der, as Azure writes it.
func Thumbprint(der []byte) string {
	return export.FormatThumbprint(export.Thumbprint(der, export.SHA1), export.SHA1, export.FormatAzure)
}

// DecodeBase64 reads standard base64 with padding, as Azure APIs carry
// binary data; white space (XML may wrap the text) is ignored.
func DecodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}

// DashedGUID writes 32 hex digits as a GUID, 8-4-4-4-12; other strings are
// returned as they are.
func DashedGUID(id string) string {
	if len(id) != 32 {
		return id
	}
	return id[:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:]
}
