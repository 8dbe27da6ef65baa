// Package mgmttest is a local, faithful emulator of the certificate part of
// the Azure Service Management API, and of the Azure Resource Manager (ARM)
// endpoints of API Management certificates, modelled on net/http/httptest.
//
// A Server is a real HTTPS server on loopback. It presents a self-signed
// certificate of its own (CACertPEM, CertPool) and asks for a client
// certificate in the first TLS handshake (a Go server cannot renegotiate,
// which is how the real classic front end asks for it). A client that has
// one sends it; a client without one still connects, because ARM needs
// none. Paths that begin with /subscriptions/ (in any case) are ARM; all
// others are the classic API.
//
// The classic API authorises each request by the SHA-1 thumbprint of the
// client certificate against the management certificates registered with
// the server's one subscription; a request without a client certificate,
// or with an unregistered one, is answered 403 ForbiddenError. It serves:
//
//	POST   /<sub>/certificates                                         Add Management Certificate (201 + Location)
//	GET    /<sub>/certificates                                         List Management Certificates
//	GET    /<sub>/certificates/<THUMBPRINT>                            Get Management Certificate
//	DELETE /<sub>/certificates/<THUMBPRINT>                            Delete Management Certificate
//	POST   /<sub>/services/hostedservices/<svc>/certificates           Add Service Certificate (202, asynchronous)
//	GET    /<sub>/services/hostedservices/<svc>/certificates           List Service Certificates
//	GET    /<sub>/services/hostedservices/<svc>/certificates/sha1-<T>  Get Service Certificate
//	DELETE /<sub>/services/hostedservices/<svc>/certificates/sha1-<T>  Delete Service Certificate (202, asynchronous)
//	GET    /<sub>/operations/<request-id>                              Get Operation Status
//
// with the bodies of package mgmtclient, the error codes the real service
// answers with (ForbiddenError, ResourceNotFound, BadRequest, ConflictError,
// MissingOrIncorrectVersionHeader, InvalidXmlRequest) and an x-ms-request-id
// header on every answer except a 403 for an unknown subscription, as the
// real service does. The facts it follows are in the project's DESIGN.md,
// section 3.
//
// Asynchronous operations report InProgress to the first poll and until
// Config.OperationDelay has elapsed, then Succeeded or Failed, so a client
// that does not poll is caught. The certificate added by an operation
// becomes visible when the operation is first reported Succeeded; a deleted
// service certificate disappears at once (clients may not poll deletes).
//
// ARM requests must carry "Authorization: Bearer <ARMToken>" (401 otherwise)
// and an api-version from 2021-08-01 to 2024-05-01 (azcert sends
// 2022-08-01), and are served for the API Management services named in
// Config.APIMServices. With P = /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ApiManagement/service/<svc>:
//
//	GET    P/certificates?api-version=V        Certificate - List By Service ($top, $skip, nextLink paging)
//	GET    P/certificates/<id>?api-version=V   Certificate - Get (ETag header)
//	HEAD   P/certificates/<id>?api-version=V   Certificate - Get Entity Tag
//	PUT    P/certificates/<id>?api-version=V   Certificate - Create Or Update (201 created, 200 replaced; If-Match to replace)
//	DELETE P/certificates/<id>?api-version=V   Certificate - Delete (If-Match required; 200 deleted, 204 absent)
//
// with JSON bodies, {"error": {"code", "message"}} errors, and
// x-ms-request-id and x-ms-correlation-request-id GUIDs on every answer
// (DESIGN.md section 3.2). A PUT carries a .pfx and its password; only the
// certificate is kept.
//
// Faults (throttling, internal errors, connection resets, delays and
// redirects) can be queued with Inject to exercise a client's retries.
// State is kept in memory, and optionally in a JSON file (Config.StatePath)
// that survives a restart.
package mgmttest

import (
	"context"
	"crypto/rsa"
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
	"testing"
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

// DefaultMaxManagementCerts is the number of management certificates a
// subscription may hold when Config.MaxManagementCerts is zero: Azure's
// current limit (older documents say 25, then 10).
const DefaultMaxManagementCerts = 100

// MaxBodySize is the largest request body the Server accepts; a larger one
// is answered with 400 BadRequest.
const MaxBodySize = 4 << 20

// MinCertificateVersion is the oldest x-ms-version the management-certificate
// operations accept.
const MinCertificateVersion = "2012-03-01"

// CloseTimeout bounds how long Close waits for requests in flight.
const CloseTimeout = 5 * time.Second

// Bounds on what a long-running emulator keeps in memory. The oldest
// entries are dropped first.
const (
	maxRecordedRequests = 10000
	maxOperations       = 10000
)

// Config configures a Server. The zero value is a usable configuration
// with no registered certificate (so every request is refused until one is
// registered with Register).
type Config struct {
	// Listen is the TCP address to listen on; "" means DefaultListen. Port
	// 0 picks a free port.
	Listen string
	// Subscription is the one subscription ID the server knows; "" means
	// the one in the state file, else DefaultSubscription. Paths are
	// matched against it without regard to case.
	Subscription string
	// Trust lists certificates registered as management certificates up
	// front, as the portal registers the first one of a real subscription.
	// They count toward MaxManagementCerts and must have RSA keys.
	Trust []*x509.Certificate
	// Services names the hosted services (cloud services) that exist, in
	// addition to those in the state file. Names are not case-sensitive.
	Services []string
	// APIMServices names the API Management services that exist, as
	// "resourceGroup/serviceName", in addition to those in the state file.
	// Names are not case-sensitive.
	APIMServices []string
	// ARMToken is the bearer token ARM requests must carry; "" means a
	// random one, generated at construction (see Server.ARMToken).
	ARMToken string
	// ARMPageSize is the most certificates an ARM list answers in one page
	// before a nextLink; 0 means DefaultARMPageSize.
	ARMPageSize int
	// MaxManagementCerts is the subscription's limit; 0 means
	// DefaultMaxManagementCerts.
	MaxManagementCerts int
	// OperationDelay is how long an asynchronous operation stays
	// InProgress. Whatever its value, the first poll of an operation
	// answers InProgress, so 0 means "InProgress at the first poll, final
	// at the second" and clients must poll.
	OperationDelay time.Duration
	// StatePath, if set, is a JSON file that holds the registrations. It is
	// read by NewUnstartedServer (a missing file is an empty state) and
	// rewritten atomically, mode 0600, after every change and on Close.
	StatePath string
	// Now is the clock for Created timestamps and operation delays; nil
	// means time.Now.
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

// Server is a Service Management emulator. Create one with NewServer in
// tests, or NewUnstartedServer and Start elsewhere. Its methods are safe for
// concurrent use.
type Server struct {
	// URL is the base URL, https://127.0.0.1:PORT, set by Start.
	URL string
	// Subscription is the subscription ID the server knows.
	Subscription string

	cfg      Config
	now      func() time.Time
	maxMgmt  int
	tlsCert  tls.Certificate
	caCert   *x509.Certificate
	caPEM    []byte
	pool     *x509.CertPool
	handler  http.Handler
	closing  chan struct{}
	served   chan struct{}
	errorLog *log.Logger

	// armToken is the bearer token ARM requests must carry.
	armToken    string
	armPageSize int

	// handshakes counts the TLS handshakes clients started.
	handshakes atomic.Int64

	mu         sync.Mutex
	baseURL    string
	st         *store
	ops        map[string]*operation
	opOrder    []string
	faults     []Fault
	requests   []Request
	srv        *http.Server
	transports []*http.Transport
	started    bool
	shutdown   bool
}

// NewServer starts a Server for a test and closes it when the test ends.
// It fails the test if the server cannot start.
func NewServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := NewUnstartedServer(cfg)
	if err != nil {
		t.Fatalf("mgmttest: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("mgmttest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("mgmttest: closing the server: %v", err)
		}
	})
	return s
}

// NewUnstartedServer prepares a Server without listening: it reads the state
// file, registers cfg.Trust and generates the server certificate, so
// CACertPEM and Handler can be used before Start. An unreadable or corrupt
// state file is reported as a *StateError and is left untouched.
func NewUnstartedServer(cfg Config) (*Server, error) {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.MaxManagementCerts < 0 {
		return nil, fmt.Errorf("the management certificate limit %d is negative", cfg.MaxManagementCerts)
	}
	if cfg.ARMPageSize < 0 {
		return nil, fmt.Errorf("the ARM page size %d is negative", cfg.ARMPageSize)
	}
	if err := checkARMToken(cfg.ARMToken); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:         cfg,
		now:         cfg.Now,
		maxMgmt:     cfg.MaxManagementCerts,
		armToken:    cfg.ARMToken,
		armPageSize: cfg.ARMPageSize,
		closing:     make(chan struct{}),
		served:      make(chan struct{}),
		ops:         map[string]*operation{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxMgmt == 0 {
		s.maxMgmt = DefaultMaxManagementCerts
	}
	if s.armToken == "" {
		s.armToken = newARMToken()
	}
	if s.armPageSize == 0 {
		s.armPageSize = DefaultARMPageSize
	}
	st := newStore()
	if cfg.StatePath != "" {
		loaded, err := loadState(cfg.StatePath)
		if err != nil {
			return nil, err
		}
		if loaded != nil {
			st = loaded
		}
	}
	switch {
	case cfg.Subscription == "" && st.subscription != "":
		s.Subscription = st.subscription
	case cfg.Subscription == "":
		s.Subscription = DefaultSubscription
	default:
		s.Subscription = cfg.Subscription
	}
	if err := checkPathSegment("subscription ID", s.Subscription); err != nil {
		return nil, err
	}
	if st.subscription != "" && !strings.EqualFold(st.subscription, s.Subscription) {
		return nil, &StateError{Path: cfg.StatePath, Reason: fmt.Sprintf("it holds subscription %s, not %s (use another state file, or that subscription)", st.subscription, s.Subscription)}
	}
	st.subscription = s.Subscription
	for _, name := range cfg.Services {
		if err := checkPathSegment("hosted service name", name); err != nil {
			return nil, err
		}
		st.addService(name)
	}
	for _, spec := range cfg.APIMServices {
		rg, name, err := parseAPIMService(spec)
		if err != nil {
			return nil, err
		}
		st.addAPIMService(rg, name)
	}
	s.st = st
	for _, c := range cfg.Trust {
		if err := s.register(c, false); err != nil {
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

// checkPathSegment refuses names that cannot appear as one segment of a
// URL path.
func checkPathSegment(what, v string) error {
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
		return errors.New("mgmttest: the server was already started")
	}
	if s.shutdown {
		return errors.New("mgmttest: the server was closed")
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
	}
	srv, tl := s.srv, tls.NewListener(ln, tlsConfig)
	go func() {
		defer close(s.served)
		if err := srv.Serve(tl); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.errorLog.Printf("mgmttest: serving: %v", err)
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

// Handler returns the server's HTTP handler, for use without a listener
// (for example with httptest.NewRecorder). Classic requests must carry r.TLS
// with the client's certificate to be authorised; ARM requests need only
// the bearer token.
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

// Register registers cert as a management certificate of the subscription,
// out of band, as the portal does. Registering a certificate that is already
// registered does nothing. The certificate must have an RSA key, and the
// subscription must be below its limit.
func (s *Server) Register(cert *x509.Certificate) error {
	return s.register(cert, true)
}

func (s *Server) register(cert *x509.Certificate, save bool) error {
	if cert == nil {
		return errors.New("mgmttest: Register(nil)")
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("the certificate %q has a %T key; management certificates must have RSA keys", cert.Subject.CommonName, cert.PublicKey)
	}
	thumb := thumbprint(cert.Raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.mgmt[thumb]; ok {
		return nil
	}
	if len(s.st.mgmt) >= s.maxMgmt {
		return fmt.Errorf("cannot register %s: %s", thumb, limitMessage(s.maxMgmt))
	}
	s.st.mgmt[thumb] = &mgmtCert{thumb: thumb, der: slices.Clone(cert.Raw), pub: x509.MarshalPKCS1PublicKey(pub), created: serviceTime(s.now())}
	if !save {
		return nil
	}
	if err := s.saveLocked(); err != nil {
		delete(s.st.mgmt, thumb)
		return err
	}
	return nil
}

// ManagementCertificates returns the thumbprints of the registered
// management certificates, sorted.
func (s *Server) ManagementCertificates() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedKeys(s.st.mgmt)
}

// ServiceCertificates returns the thumbprints of the certificates of a
// hosted service, sorted; nil for an unknown service.
func (s *Server) ServiceCertificates(service string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.st.service(service)
	if svc == nil {
		return nil
	}
	return sortedKeys(svc.certs)
}

// thumbprint is the upper-case SHA-1 hex of der, as Azure writes it.
func thumbprint(der []byte) string {
	return export.FormatThumbprint(export.Thumbprint(der, export.SHA1), export.SHA1, export.FormatAzure)
}

func limitMessage(limit int) string {
	return fmt.Sprintf("The subscription has reached its limit of %d management certificates.", limit)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
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
