// Package emulator is the shared part of a local, faithful emulator of
// Azure APIs, modelled on net/http/httptest: one HTTPS server on loopback
// that serves several emulated services on one port.
//
// A Server is a real HTTPS server on loopback. It presents a self-signed
// certificate of its own (CACertPEM, CertPool, WriteCA) and asks for a
// client certificate in the first TLS handshake (a Go server cannot
// renegotiate, which is how the real classic front end asks for it). A
// client that has one sends it; a client without one still connects,
// because Azure Resource Manager (ARM) needs none.
//
// The Server owns what every service shares: the listener and its
// certificate, the one subscription, the clock, the request log
// (Requests), injected faults (Inject, ParseFault), and the state file
// (Config.StatePath), a JSON object written atomically after every change.
// Each emulated API is a Service, in a package of its own: package asm
// (Service Management) and package apim (the ARM endpoints of API
// Management certificates). A Service owns some requests (Service.Owns), its
// request ids, how it answers them and its faults, and some members of the
// state file. Package azure puts together the emulator azcert ships with
// every service; package emulatortest starts one for a test.
//
// Writing a new service: a package that imports this one, a type that
// implements Service, and a place in package azure. Its Attach method
// receives a *Host, through which it reaches the subscription, the clock,
// the log, the lock that guards all state and the state file.
package emulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azcert/azcert/pkg/export"
)

// DefaultSubscription is the subscription ID a Server uses when
// Config.Subscription is empty (and no state file names one). It is fixed so
// that scripts and documentation can refer to it.
const DefaultSubscription = "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36"

// DefaultListen is the address a Server listens on when Config.Listen is
// empty: loopback, on a free port.
const DefaultListen = "127.0.0.1:0"

// MaxBodySize is the largest request body a service accepts; the Server
// reads at most MaxBodySize+1 bytes of a body (Call.Body), so that a
// service can tell a larger one and refuse it.
const MaxBodySize = 4 << 20

// CloseTimeout bounds how long Close waits for requests in flight.
const CloseTimeout = 5 * time.Second

// maxRecordedRequests bounds what a long-running emulator keeps in memory.
// The oldest entries are dropped first.
const maxRecordedRequests = 10000

// Config configures a Server. The zero value is a usable configuration.
type Config struct {
	// Listen is the TCP address to listen on; "" means DefaultListen. Port
	// 0 picks a free port.
	Listen string
	// Subscription is the one subscription ID the server knows; "" means
	// the one in the state file, else DefaultSubscription. Services match
	// paths against it without regard to case.
	Subscription string
	// StatePath, if set, is a JSON file that holds the services' state. It
	// is read by New (a missing file is an empty state) and rewritten
	// atomically, mode 0600, after every change and on Close.
	StatePath string
	// Now is the clock for timestamps and delays; nil means time.Now.
	Now func() time.Time
	// Logf, if set, receives one line per request and notes about faults
	// and TLS handshake failures.
	Logf func(format string, args ...any)
}

// Request is a request the Server received, as recorded by it.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the URL path, without the query.
	Path string
	// Header is a copy of the request headers, with the credentials of
	// Authorization replaced: "Bearer <token>" is recorded as
	// "Bearer REDACTED".
	Header http.Header
	// Body is the request body, at most MaxBodySize+1 bytes of it.
	Body []byte
	// ClientThumbprint is the upper-case SHA-1 thumbprint of the client
	// certificate, "" when there was none.
	ClientThumbprint string
}

// Server is an emulator of the services given to New. Create one with New
// and Start it (package emulatortest does both for a test). Its methods are
// safe for concurrent use.
type Server struct {
	// URL is the base URL, https://127.0.0.1:PORT, set by Start.
	URL string
	// Subscription is the subscription ID the server knows.
	Subscription string

	cfg      Config
	now      func() time.Time
	services []Service
	tlsCert  tls.Certificate
	caCert   *x509.Certificate
	caPEM    []byte
	pool     *x509.CertPool
	handler  http.Handler
	closing  chan struct{}
	served   chan struct{}
	errorLog *log.Logger

	// handshakes counts the TLS handshakes clients started.
	handshakes atomic.Int64
	// conns are the open connections, each with the generation it was
	// opened in; peak is the most of the current generation open at once
	// (see PeakConnections).
	connMu     sync.Mutex
	conns      map[net.Conn]int
	generation int
	peak       int

	// mu guards the fields below and the state of every service (see
	// Host.Lock); it also serialises the writes of the state file.
	mu         sync.Mutex
	baseURL    string
	faults     []Fault
	requests   []Request
	srv        *http.Server
	transports []*http.Transport
	started    bool
	shutdown   bool
}

// New prepares a Server of services without listening: it reads the state
// file (each service its members), attaches the services in order and
// generates the server certificate, so CACertPEM and Handler can be used
// before Start. An unreadable or corrupt state file is reported as a
// *StateError and is left untouched.
//
// A request is answered by the first service, in the order given, that
// owns it (Service.Owns); one that no service owns is answered 404.
func New(cfg Config, services ...Service) (*Server, error) {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	s := &Server{
		cfg:      cfg,
		now:      cfg.Now,
		services: slices.Clone(services),
		closing:  make(chan struct{}),
		served:   make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	stateSubscription := ""
	if cfg.StatePath != "" {
		var err error
		if stateSubscription, err = s.loadState(cfg.StatePath); err != nil {
			return nil, err
		}
	}
	switch {
	case cfg.Subscription == "" && stateSubscription != "":
		s.Subscription = stateSubscription
	case cfg.Subscription == "":
		s.Subscription = DefaultSubscription
	default:
		s.Subscription = cfg.Subscription
	}
	if err := CheckPathSegment("subscription ID", s.Subscription); err != nil {
		return nil, err
	}
	if stateSubscription != "" && !strings.EqualFold(stateSubscription, s.Subscription) {
		return nil, &StateError{Path: cfg.StatePath, Reason: fmt.Sprintf("it holds subscription %s, not %s (use another state file, or that subscription)", stateSubscription, s.Subscription)}
	}
	h := &Host{s: s}
	for _, svc := range s.services {
		if err := svc.Attach(h); err != nil {
			return nil, err
		}
	}
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", cfg.Listen, err)
	}
	s.tlsCert, s.caCert, err = newServerCert(host)
	if err != nil {
		return nil, err
	}
	s.caPEM = export.CertPEM(s.caCert)
	s.pool = x509.NewCertPool()
	s.pool.AddCert(s.caCert)
	s.handler = http.HandlerFunc(s.serveHTTP)
	s.errorLog = log.New(io.Discard, "", 0)
	if cfg.Logf != nil {
		s.errorLog = log.New(logWriter(cfg.Logf), "", 0)
	}
	return s, nil
}

// CheckPathSegment refuses names that cannot appear as one segment of a
// URL path; what names the value in the error ("subscription ID").
func CheckPathSegment(what, v string) error {
	if v == "" {
		return fmt.Errorf("the %s is empty", what)
	}
	if len(v) > 256 || strings.ContainsAny(v, "/?#%\\ \t\r\n") || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("the %s %q cannot be used in a URL path", what, v)
	}
	return nil
}

type logWriter func(format string, args ...any)

func (l logWriter) Write(p []byte) (int, error) {
	l("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Start listens on Config.Listen, sets URL, saves the state file (if any)
// and serves in the background. An address in use is reported with the
// address in the error.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("emulator: the server was already started")
	}
	if s.shutdown {
		return errors.New("emulator: the server was closed")
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.cfg.Listen, err)
	}
	if err := s.saveLocked(); err != nil {
		ln.Close()
		return err
	}
	s.started = true
	s.baseURL = "https://" + dialableAddr(ln.Addr())
	s.URL = s.baseURL
	tlsConfig := &tls.Config{
		Certificates: []tls.Certificate{s.tlsCert},
		MinVersion:   tls.VersionTLS12,
		// The real front end asks for the certificate by renegotiation,
		// which a Go server cannot do; asking in the first handshake is
		// what a client sees from a modern front end. It is requested, not
		// required: ARM requests come without one. Any certificate is
		// accepted here: the classic API authorises by thumbprint, per
		// request, and refuses a request without one (403).
		ClientAuth: tls.RequestClientCert,
		// HTTP/1.1 only, like the real endpoint: renegotiation, which it
		// depends on, is forbidden in HTTP/2.
		NextProtos: []string{"http/1.1"},
		// Every ClientHello is counted (see Handshakes); nil keeps this
		// configuration.
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			s.handshakes.Add(1)
			return nil, nil
		},
	}
	s.srv = &http.Server{
		Handler:           s.handler,
		TLSConfig:         tlsConfig,
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          s.errorLog,
		ConnState:         s.connState,
	}
	srv, tl := s.srv, tls.NewListener(ln, tlsConfig)
	go func() {
		defer close(s.served)
		if err := srv.Serve(tl); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.errorLog.Printf("emulator: serving: %v", err)
		}
	}()
	return nil
}

// dialableAddr turns a listener's address into host:port a client can dial:
// an unspecified address (0.0.0.0, ::) becomes the loopback address.
func dialableAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := tcp.IP
	switch {
	case ip.IsUnspecified() && ip.To4() != nil:
		ip = net.IPv4(127, 0, 0, 1)
	case ip.IsUnspecified():
		ip = net.IPv6loopback
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port))
}

// Close shuts the server down gracefully: it stops accepting connections,
// waits up to CloseTimeout for requests in flight (a delay fault ends early),
// then closes what is left and saves the state file. It is safe to call more
// than once.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), CloseTimeout)
	defer cancel()
	return s.Shutdown(ctx)
}

// Shutdown is Close with the caller's deadline: when ctx ends before the
// requests in flight do, their connections are closed. The state file is
// saved either way; the errors of both steps are joined.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		return nil
	}
	s.shutdown = true
	close(s.closing)
	srv, started := s.srv, s.started
	transports := s.transports
	s.mu.Unlock()

	var errs []error
	if started {
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
			errs = append(errs, fmt.Errorf("waiting for requests in flight: %w", err))
		}
		<-s.served
	}
	for _, t := range transports {
		t.CloseIdleConnections()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if started {
		if err := s.saveLocked(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CACertPEM returns the PEM of the self-signed certificate the server
// presents. It is its own CA, so a client can trust it as a root (--ca-file).
func (s *Server) CACertPEM() []byte { return slices.Clone(s.caPEM) }

// CertPool returns a pool holding only the server's certificate, for
// tls.Config.RootCAs.
func (s *Server) CertPool() *x509.CertPool { return s.pool.Clone() }

// WriteCA writes CACertPEM to path (mode 0644, atomically, replacing an
// existing file).
func (s *Server) WriteCA(path string) error {
	return export.WriteFiles([]export.File{{Path: path, Data: s.CACertPEM(), Mode: export.ModePublic}}, true)
}

// ClientTLSConfig returns a client TLS configuration that trusts the server
// and presents cert, configured as a Service Management client is (TLS 1.2
// or later, renegotiation allowed once).
func (s *Server) ClientTLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		RootCAs:       s.CertPool(),
		Certificates:  []tls.Certificate{cert},
		MinVersion:    tls.VersionTLS12,
		Renegotiation: tls.RenegotiateOnceAsClient,
	}
}

// Client returns an HTTP client that trusts the server and authenticates
// with cert. Its idle connections are closed when the server is.
func (s *Server) Client(cert tls.Certificate) *http.Client {
	t := &http.Transport{TLSClientConfig: s.ClientTLSConfig(cert)}
	s.mu.Lock()
	s.transports = append(s.transports, t)
	s.mu.Unlock()
	return &http.Client{Transport: t}
}

// Handshakes returns how many TLS handshakes clients have started with the
// server (each ClientHello counts, whether the handshake then succeeds or
// not). A client that reuses its connections (HTTP keep-alive) makes one
// per connection, so a test can check how many connections it opened.
func (s *Server) Handshakes() int { return int(s.handshakes.Load()) }

// connState keeps count of the open connections.
func (s *Server) connState(c net.Conn, st http.ConnState) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	switch st {
	case http.StateNew:
		if s.conns == nil {
			s.conns = map[net.Conn]int{}
		}
		s.conns[c] = s.generation
		n := 0
		for _, g := range s.conns {
			if g == s.generation {
				n++
			}
		}
		s.peak = max(s.peak, n)
	case http.StateClosed, http.StateHijacked:
		delete(s.conns, c)
	}
}

// PeakConnections returns the most connections that were open at once,
// counting those opened since the server started or since the last
// ResetPeakConnections: what a client's limit on its connections
// (http.Transport.MaxConnsPerHost) must keep within, however it reuses
// them.
func (s *Server) PeakConnections() int {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	return s.peak
}

// ResetPeakConnections starts the count again: connections open now, which
// an earlier client may not have closed yet on the server's side, are not
// counted.
func (s *Server) ResetPeakConnections() {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	s.generation++
	s.peak = 0
}

// Handler returns the server's HTTP handler, for use without a listener
// (for example with httptest.NewRecorder). A service that authorises by
// client certificate needs r.TLS with the client's certificate.
func (s *Server) Handler() http.Handler { return s.handler }

// Requests returns copies of the requests received so far (the most recent
// 10000), oldest first. Requests answered by a fault are included.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = Request{Method: r.Method, Path: r.Path, Header: r.Header.Clone(), Body: slices.Clone(r.Body), ClientThumbprint: r.ClientThumbprint}
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) >= maxRecordedRequests {
		s.requests = slices.Delete(s.requests, 0, len(s.requests)-maxRecordedRequests+1)
	}
	s.requests = append(s.requests, r)
}

// base returns the URL answers refer to: URL once started, else the
// request's own host (for Handler used without a listener).
func (s *Server) base(r *http.Request) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.baseURL != "" {
		return s.baseURL
	}
	return "https://" + r.Host
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}
