// Package asm emulates the certificate part of the Azure Service Management
// API (the classic API) as a service of an emulator.Server, for package
// mgmtclient and its users. The facts it follows are in the project's
// DESIGN.md, section 3.
//
// It owns every path that is not Azure Resource Manager's (see
// emulator.IsARMPath) and authorises each request by the SHA-1 thumbprint
// of the client certificate against the management certificates
// registered with the server's one subscription; a request without a
// client certificate, or with an unregistered one, is answered 403
// ForbiddenError. It serves:
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
// header of 32 hex digits on every answer except a 403 for an unknown
// subscription, as the real service does. Throttling faults answer 503
// TooManyRequests without Retry-After, as recorded real traffic did.
//
// Asynchronous operations report InProgress to the first poll and until
// Config.OperationDelay has elapsed, then Succeeded or Failed, so a client
// that does not poll is caught. The certificate added by an operation
// becomes visible when the operation is first reported Succeeded; a deleted
// service certificate disappears at once (clients may not poll deletes).
//
// Its members of the state file are "managementCertificates" and
// "services".
package asm

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/azcert/azcert/internal/xmldepth"
	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

// DefaultMaxManagementCerts is the number of management certificates a
// subscription may hold when Config.MaxManagementCerts is zero: Azure's
// current limit (older documents say 25, then 10).
const DefaultMaxManagementCerts = 100

// MinCertificateVersion is the oldest x-ms-version the management-certificate
// operations accept.
const MinCertificateVersion = "2012-03-01"

// maxOperations bounds the operations a long-running emulator remembers;
// the oldest are dropped first.
const maxOperations = 10000

// Config configures a Service. The zero value is a usable configuration
// with no registered certificate (so every request is refused until one is
// registered with Register).
type Config struct {
	// Trust lists certificates registered as management certificates up
	// front, as the portal registers the first one of a real subscription.
	// They count toward MaxManagementCerts and must have RSA keys.
	Trust []*x509.Certificate
	// Services names the hosted services (cloud services) that exist, in
	// addition to those in the state file. Names are not case-sensitive.
	Services []string
	// MaxManagementCerts is the subscription's limit; 0 means
	// DefaultMaxManagementCerts.
	MaxManagementCerts int
	// OperationDelay is how long an asynchronous operation stays
	// InProgress. Whatever its value, the first poll of an operation
	// answers InProgress, so 0 means "InProgress at the first poll, final
	// at the second" and clients must poll.
	OperationDelay time.Duration
}

// Service is the Service Management emulator, an emulator.Service. Its
// methods are safe for concurrent use once it is attached to a Server.
type Service struct {
	cfg     Config
	maxMgmt int
	h       *emulator.Host

	// Guarded by the Host's lock.
	mgmt     map[string]*mgmtCert
	services map[string]*service // by lower-case name
	ops      map[string]*operation
	opOrder  []string
}

var _ emulator.Service = (*Service)(nil)

// New returns a Service Management emulator, to be given to emulator.New.
func New(cfg Config) (*Service, error) {
	if cfg.MaxManagementCerts < 0 {
		return nil, fmt.Errorf("the management certificate limit %d is negative", cfg.MaxManagementCerts)
	}
	s := &Service{
		cfg:      cfg,
		maxMgmt:  cfg.MaxManagementCerts,
		mgmt:     map[string]*mgmtCert{},
		services: map[string]*service{},
		ops:      map[string]*operation{},
	}
	if s.maxMgmt == 0 {
		s.maxMgmt = DefaultMaxManagementCerts
	}
	return s, nil
}

// Attach implements emulator.Service: it adds Config.Services and registers
// Config.Trust.
func (s *Service) Attach(h *emulator.Host) error {
	if s.h != nil {
		return errors.New("asm: the service is attached to a server already")
	}
	for _, name := range s.cfg.Services {
		if err := emulator.CheckPathSegment("hosted service name", name); err != nil {
			return err
		}
		s.ensureService(name)
	}
	s.h = h
	for _, c := range s.cfg.Trust {
		if err := s.register(c, false); err != nil {
			return err
		}
	}
	return nil
}

// Owns implements emulator.Service: every path but Azure Resource
// Manager's.
func (s *Service) Owns(r *http.Request) bool { return !emulator.IsARMPath(r.URL.Path) }

// Begin implements emulator.Service: the request id is 32 lower-case hex
// digits, the form of the real service's x-ms-request-id.
func (s *Service) Begin(http.ResponseWriter, *http.Request) string { return newRequestID() }

// WriteFault implements emulator.Service.
func (s *Service) WriteFault(w http.ResponseWriter, _ *http.Request, kind emulator.FaultKind, location string) {
	switch kind {
	case emulator.FaultThrottle:
		// Recorded real traffic (DESIGN.md section 3): throttling came as
		// 503, not 429, and without Retry-After.
		writeError(w, http.StatusServiceUnavailable, "TooManyRequests", "Too many requests received. Retry after some time.")
	case emulator.FaultInternalError:
		writeError(w, http.StatusInternalServerError, "InternalError", "The server encountered an internal error. Please retry the request.")
	case emulator.FaultRedirect:
		writeError(w, http.StatusTemporaryRedirect, "TemporaryRedirect", "The request must be sent to "+location+".")
	}
}

// Serve implements emulator.Service.
func (s *Service) Serve(w http.ResponseWriter, r *http.Request, c *emulator.Call) {
	if c.BodyErr != nil {
		writeError(w, http.StatusBadRequest, "BadRequest", "The request body could not be read.")
		return
	}
	s.route(w, r, c.RequestID, c.Body, c.ClientThumbprint)
}

// Register registers cert as a management certificate of the subscription,
// out of band, as the portal does. Registering a certificate that is already
// registered does nothing. The certificate must have an RSA key, and the
// subscription must be below its limit.
func (s *Service) Register(cert *x509.Certificate) error {
	if s.h == nil {
		return errors.New("asm: Register before the service is attached to a server")
	}
	return s.register(cert, true)
}

func (s *Service) register(cert *x509.Certificate, save bool) error {
	if cert == nil {
		return errors.New("asm: Register(nil)")
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("the certificate %q has a %T key; management certificates must have RSA keys", cert.Subject.CommonName, cert.PublicKey)
	}
	thumb := emulator.Thumbprint(cert.Raw)
	s.h.Lock()
	defer s.h.Unlock()
	if _, ok := s.mgmt[thumb]; ok {
		return nil
	}
	if len(s.mgmt) >= s.maxMgmt {
		return fmt.Errorf("cannot register %s: %s", thumb, limitMessage(s.maxMgmt))
	}
	s.mgmt[thumb] = &mgmtCert{thumb: thumb, der: slices.Clone(cert.Raw), pub: x509.MarshalPKCS1PublicKey(pub), created: serviceTime(s.h.Now())}
	if !save {
		return nil
	}
	if err := s.h.SaveLocked(); err != nil {
		delete(s.mgmt, thumb)
		return err
	}
	return nil
}

// ManagementCertificates returns the thumbprints of the registered
// management certificates, sorted.
func (s *Service) ManagementCertificates() []string {
	s.lock()
	defer s.unlock()
	return emulator.SortedKeys(s.mgmt)
}

// ServiceCertificates returns the thumbprints of the certificates of a
// hosted service, sorted; nil for an unknown service.
func (s *Service) ServiceCertificates(service string) []string {
	s.lock()
	defer s.unlock()
	svc := s.service(service)
	if svc == nil {
		return nil
	}
	return emulator.SortedKeys(svc.certs)
}

// lock and unlock take the Host's lock, when there is a Host.
func (s *Service) lock() {
	if s.h != nil {
		s.h.Lock()
	}
}

func (s *Service) unlock() {
	if s.h != nil {
		s.h.Unlock()
	}
}

func limitMessage(limit int) string {
	return fmt.Sprintf("The subscription has reached its limit of %d management certificates.", limit)
}

// Messages of the real service (DESIGN.md section 3), and the emulator's
// own where the real ones are unknown.
const (
	msgForbidden       = "The server failed to authenticate the request. Verify that the certificate is valid and is associated with this subscription."
	msgVersion         = "The versioning header is not specified or was specified incorrectly."
	msgInvalidXML      = "The request body's XML was invalid or not correctly specified"
	msgCertNotFound    = "The certificate was not found."
	msgServiceNotFound = "The hosted service does not exist."
	msgWrongPassword   = "The specified password is invalid."
	msgNotPFX          = "The certificate data is not a valid PFX."
	msgNotCER          = "The certificate data is not a valid CER."
)

// Element orders of the request bodies: the real service's serializer
// insists on them.
var (
	subscriptionCertificateOrder = []string{"SubscriptionCertificatePublicKey", "SubscriptionCertificateThumbprint", "SubscriptionCertificateData"}
	certificateFileOrder         = []string{"Data", "CertificateFormat", "Password"}
)

// operation is an asynchronous Add or Delete Service Certificate.
type operation struct {
	id    string // 32 lower-case hex digits
	start time.Time
	// polled is set once the operation has been reported InProgress.
	polled bool
	final  bool
	// failure is set for an operation that fails.
	failure *mgmtclient.ErrorBody
	// service, thumb and der are the certificate an add stores when it
	// completes; der is nil for a delete.
	service string
	thumb   string
	der     []byte
}

func (s *Service) route(w http.ResponseWriter, r *http.Request, id string, body []byte, client string) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if segs[0] == "" {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "The requested resource does not exist.")
		return
	}
	if !strings.EqualFold(segs[0], s.h.Subscription()) {
		// The real service answers an unknown subscription exactly like an
		// unknown certificate, but without a request id.
		w.Header().Del("x-ms-request-id")
		writeError(w, http.StatusForbidden, "ForbiddenError", msgForbidden)
		return
	}
	// No client certificate (the TLS layer only asks for one, as ARM needs
	// none) is refused like an unregistered one.
	if !s.authorised(client) {
		writeError(w, http.StatusForbidden, "ForbiddenError", msgForbidden)
		return
	}
	version := r.Header.Get("x-ms-version")
	if !validVersion(version) {
		writeError(w, http.StatusBadRequest, "MissingOrIncorrectVersionHeader", msgVersion)
		return
	}
	if len(body) > emulator.MaxBodySize {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("The request body is larger than %d bytes.", emulator.MaxBodySize))
		return
	}
	rest := segs[1:]
	is := func(i int, name string) bool { return len(rest) > i && strings.EqualFold(rest[i], name) }
	switch {
	case len(rest) == 1 && is(0, "certificates"):
		if version < MinCertificateVersion {
			writeError(w, http.StatusBadRequest, "MissingOrIncorrectVersionHeader", msgVersion)
			return
		}
		switch r.Method {
		case http.MethodGet:
			s.listManagement(w)
		case http.MethodPost:
			s.addManagement(w, r, body)
		default:
			methodNotAllowed(w, r, "GET, POST")
		}
	case len(rest) == 2 && is(0, "certificates"):
		if version < MinCertificateVersion {
			writeError(w, http.StatusBadRequest, "MissingOrIncorrectVersionHeader", msgVersion)
			return
		}
		switch r.Method {
		case http.MethodGet:
			s.getManagement(w, rest[1])
		case http.MethodDelete:
			s.deleteManagement(w, rest[1])
		default:
			methodNotAllowed(w, r, "GET, DELETE")
		}
	case (len(rest) == 4 || len(rest) == 5) && is(0, "services") && is(1, "hostedservices") && is(3, "certificates"):
		allowed := "GET, POST"
		if len(rest) == 5 {
			allowed = "GET, DELETE"
		}
		if !slices.Contains(strings.Split(allowed, ", "), r.Method) {
			methodNotAllowed(w, r, allowed)
			return
		}
		svc := s.serviceName(rest[2])
		if svc == "" {
			writeError(w, http.StatusNotFound, "ResourceNotFound", msgServiceNotFound)
			return
		}
		switch {
		case len(rest) == 4 && r.Method == http.MethodGet:
			s.listService(w, r, svc)
		case len(rest) == 4:
			s.addService(w, id, svc, body)
		case r.Method == http.MethodGet:
			s.getService(w, r, svc, rest[4])
		default:
			s.deleteService(w, id, svc, rest[4])
		}
	case len(rest) == 2 && is(0, "operations"):
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r, "GET")
			return
		}
		s.getOperation(w, rest[1])
	default:
		writeError(w, http.StatusNotFound, "ResourceNotFound", "The requested resource does not exist.")
	}
}

func (s *Service) authorised(client string) bool {
	if client == "" {
		return false
	}
	s.h.Lock()
	defer s.h.Unlock()
	_, ok := s.mgmt[client]
	return ok
}

func (s *Service) serviceName(name string) string {
	s.h.Lock()
	defer s.h.Unlock()
	if svc := s.service(name); svc != nil {
		return svc.name
	}
	return ""
}

// validVersion accepts an x-ms-version of the form YYYY-MM-DD.
func validVersion(v string) bool {
	_, err := time.Parse("2006-01-02", v)
	return err == nil
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allowed string) {
	w.Header().Set("Allow", allowed)
	writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf("The %s method is not allowed on this resource (allowed: %s).", r.Method, allowed))
}

// Management certificates.

func (s *Service) listManagement(w http.ResponseWriter) {
	s.h.Lock()
	out := mgmtclient.SubscriptionCertificates{Certificates: []mgmtclient.SubscriptionCertificate{}}
	for _, t := range emulator.SortedKeys(s.mgmt) {
		out.Certificates = append(out.Certificates, s.mgmt[t].xml())
	}
	s.h.Unlock()
	writeXML(w, http.StatusOK, &out)
}

func (c *mgmtCert) xml() mgmtclient.SubscriptionCertificate {
	created := c.created
	return mgmtclient.SubscriptionCertificate{
		PublicKey:  base64.StdEncoding.EncodeToString(c.pub),
		Thumbprint: c.thumb,
		Data:       base64.StdEncoding.EncodeToString(c.der),
		Created:    &created,
	}
}

func (s *Service) addManagement(w http.ResponseWriter, r *http.Request, body []byte) {
	var in mgmtclient.SubscriptionCertificate
	if err := decodeXML(body, &in, subscriptionCertificateOrder); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidXmlRequest", msgInvalidXML+": "+err.Error()+".")
		return
	}
	bad := func(format string, args ...any) {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf(format, args...))
	}
	der, err := emulator.DecodeBase64(in.Data)
	if err != nil {
		bad("The certificate data (SubscriptionCertificateData) is not valid base64.")
		return
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		bad("The certificate data (SubscriptionCertificateData) is not an X.509 certificate in DER form.")
		return
	}
	thumb := emulator.Thumbprint(der)
	if !strings.EqualFold(strings.TrimSpace(in.Thumbprint), thumb) {
		bad("The thumbprint (SubscriptionCertificateThumbprint) %q does not match the certificate data, whose SHA-1 thumbprint is %s.", in.Thumbprint, thumb)
		return
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		bad("The certificate has a %s key; management certificates must have RSA keys.", cert.PublicKeyAlgorithm)
		return
	}
	pk, err := emulator.DecodeBase64(in.PublicKey)
	if err != nil {
		bad("The public key (SubscriptionCertificatePublicKey) is not valid base64.")
		return
	}
	want := x509.MarshalPKCS1PublicKey(pub)
	if !bytes.Equal(pk, want) {
		if bytes.Equal(pk, cert.RawSubjectPublicKeyInfo) {
			bad("The public key (SubscriptionCertificatePublicKey) does not match the certificate data: it is a SubjectPublicKeyInfo, but it must be the base64 of the PKCS#1 RSAPublicKey.")
		} else {
			bad("The public key (SubscriptionCertificatePublicKey) does not match the certificate data: it must be the base64 of the certificate's PKCS#1 RSAPublicKey.")
		}
		return
	}
	location := s.h.BaseURL(r) + "/" + s.h.Subscription() + "/certificates/" + thumb
	s.h.Lock()
	defer s.h.Unlock()
	if _, dup := s.mgmt[thumb]; dup {
		writeError(w, http.StatusConflict, "ConflictError", fmt.Sprintf("A certificate with thumbprint %s already exists.", thumb))
		return
	}
	if len(s.mgmt) >= s.maxMgmt {
		bad("%s", limitMessage(s.maxMgmt))
		return
	}
	s.mgmt[thumb] = &mgmtCert{thumb: thumb, der: der, pub: want, created: serviceTime(s.h.Now())}
	if err := s.h.SaveLocked(); err != nil {
		delete(s.mgmt, thumb)
		s.internalError(w, err)
		return
	}
	// Documented as 200; the real service answered 201 with a Location.
	w.Header().Set("Location", location)
	w.WriteHeader(http.StatusCreated)
}

func (s *Service) getManagement(w http.ResponseWriter, seg string) {
	thumb, ok := parseHexThumbprint(seg)
	if !ok {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("%q is not a thumbprint (40 hexadecimal digits).", seg))
		return
	}
	s.h.Lock()
	c, found := s.mgmt[thumb]
	var out mgmtclient.SubscriptionCertificate
	if found {
		out = c.xml()
	}
	s.h.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, "ResourceNotFound", msgCertNotFound)
		return
	}
	writeXML(w, http.StatusOK, &out)
}

func (s *Service) deleteManagement(w http.ResponseWriter, seg string) {
	thumb, ok := parseHexThumbprint(seg)
	if !ok {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("%q is not a thumbprint (40 hexadecimal digits).", seg))
		return
	}
	s.h.Lock()
	defer s.h.Unlock()
	c, found := s.mgmt[thumb]
	if !found {
		writeError(w, http.StatusNotFound, "ResourceNotFound", msgCertNotFound)
		return
	}
	// Deleting the certificate the request authenticated with is allowed,
	// as it is by the real service.
	delete(s.mgmt, thumb)
	if err := s.h.SaveLocked(); err != nil {
		s.mgmt[thumb] = c
		s.internalError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// Service certificates.

func (s *Service) serviceCertURL(r *http.Request, svc, thumb string) string {
	return s.h.BaseURL(r) + "/" + s.h.Subscription() + "/services/hostedservices/" + svc + "/certificates/sha1-" + thumb
}

func serviceCertXML(url, thumb string, der []byte) mgmtclient.Certificate {
	return mgmtclient.Certificate{CertificateURL: url, Thumbprint: thumb, ThumbprintAlgorithm: "sha1", Data: base64.StdEncoding.EncodeToString(der)}
}

func (s *Service) listService(w http.ResponseWriter, r *http.Request, name string) {
	s.h.Lock()
	certs := map[string][]byte{}
	for t, der := range s.service(name).certs {
		certs[t] = der
	}
	s.h.Unlock()
	out := mgmtclient.Certificates{Certificates: []mgmtclient.Certificate{}}
	for _, t := range emulator.SortedKeys(certs) {
		out.Certificates = append(out.Certificates, serviceCertXML(s.serviceCertURL(r, name, t), t, certs[t]))
	}
	writeXML(w, http.StatusOK, &out)
}

func (s *Service) getService(w http.ResponseWriter, r *http.Request, name, seg string) {
	thumb, ok := parseASMThumbprint(seg)
	if !ok {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("%q is not a certificate name of the form sha1-<40 hexadecimal digits>.", seg))
		return
	}
	s.h.Lock()
	der, found := s.service(name).certs[thumb]
	s.h.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, "ResourceNotFound", msgCertNotFound)
		return
	}
	out := serviceCertXML(s.serviceCertURL(r, name, thumb), thumb, der)
	writeXML(w, http.StatusOK, &out)
}

func (s *Service) addService(w http.ResponseWriter, id, name string, body []byte) {
	var in mgmtclient.CertificateFile
	if err := decodeXML(body, &in, certificateFileOrder); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidXmlRequest", msgInvalidXML+": "+err.Error()+".")
		return
	}
	format := strings.ToLower(strings.TrimSpace(in.Format))
	if format != "pfx" && format != "cer" {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("The certificate format %q is not supported; it must be pfx or cer.", in.Format))
		return
	}
	op := &operation{id: id, service: name}
	der, msg := openServiceCert(format, in.Data, in.Password)
	if msg != "" {
		op.failure = &mgmtclient.ErrorBody{Code: "BadRequest", Message: msg}
	} else {
		op.der, op.thumb = der, emulator.Thumbprint(der)
	}
	s.startOperation(op)
	w.WriteHeader(http.StatusAccepted)
}

// openServiceCert reads the certificate of an Add Service Certificate
// body and returns its public DER, or the message the operation fails with.
func openServiceCert(format, data, password string) ([]byte, string) {
	notValid := msgNotPFX
	if format == "cer" {
		notValid = msgNotCER
	}
	raw, err := emulator.DecodeBase64(data)
	if err != nil || len(raw) == 0 {
		return nil, notValid
	}
	sniffed := export.Sniff(raw)
	var b *export.Bundle
	switch {
	case format == "pfx" && sniffed == export.FormatPKCS12:
		// Load tries the empty password first, as Windows does.
		b, err = export.Load(raw, func() (string, error) { return password, nil })
		if errors.Is(err, export.ErrWrongPassword) {
			return nil, msgWrongPassword
		}
	case format == "cer" && (sniffed == export.FormatDER || sniffed == export.FormatPEM):
		b, err = export.Load(raw, nil)
	default:
		return nil, notValid
	}
	if err != nil {
		return nil, notValid
	}
	// Cloud Services does not accept AES-encrypted .pfx files (Microsoft:
	// "AES256-SHA256 encrypted certificates aren't supported"; export with
	// TripleDES-SHA1).
	if b.PFX != nil && strings.Contains(b.PFX.CertEncryption+b.PFX.KeyEncryption, "AES") {
		return nil, msgAESPFX
	}
	return b.Cert.Raw, ""
}

// msgAESPFX is the failure of an operation that uploads an AES-encrypted .pfx.
const msgAESPFX = "The certificate file is encrypted with AES-256, which Cloud Services does not support. Export it with TripleDES-SHA1."

func (s *Service) deleteService(w http.ResponseWriter, id, name, seg string) {
	thumb, ok := parseASMThumbprint(seg)
	if !ok {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("%q is not a certificate name of the form sha1-<40 hexadecimal digits>.", seg))
		return
	}
	s.h.Lock()
	svc := s.service(name)
	der, found := svc.certs[thumb]
	if !found {
		s.h.Unlock()
		writeError(w, http.StatusNotFound, "ResourceNotFound", msgCertNotFound)
		return
	}
	// The certificate goes at once: clients may not poll a delete.
	delete(svc.certs, thumb)
	if err := s.h.SaveLocked(); err != nil {
		svc.certs[thumb] = der
		s.h.Unlock()
		s.internalError(w, err)
		return
	}
	s.h.Unlock()
	s.startOperation(&operation{id: id, service: name, thumb: thumb})
	w.WriteHeader(http.StatusAccepted)
}

// Operations.

func (s *Service) startOperation(op *operation) {
	op.start = s.h.Now()
	s.h.Lock()
	defer s.h.Unlock()
	if len(s.opOrder) >= maxOperations {
		n := len(s.opOrder) - maxOperations + 1
		for _, old := range s.opOrder[:n] {
			delete(s.ops, old)
		}
		s.opOrder = slices.Delete(s.opOrder, 0, n)
	}
	s.ops[op.id] = op
	s.opOrder = append(s.opOrder, op.id)
}

func (s *Service) getOperation(w http.ResponseWriter, seg string) {
	id := strings.ToLower(strings.ReplaceAll(seg, "-", ""))
	s.h.Lock()
	op, found := s.ops[id]
	if !found {
		s.h.Unlock()
		writeError(w, http.StatusNotFound, "ResourceNotFound", "The operation was not found.")
		return
	}
	if !op.final {
		// InProgress at the first poll whatever the delay, so a client
		// that does not poll is caught.
		if op.polled && !s.h.Now().Before(op.start.Add(s.cfg.OperationDelay)) {
			if err := s.completeLocked(op); err != nil {
				s.h.Unlock()
				s.internalError(w, err)
				return
			}
		}
		op.polled = true
	}
	out := mgmtclient.Operation{ID: emulator.DashedGUID(op.id), Status: mgmtclient.StatusInProgress}
	switch {
	case op.final && op.failure != nil:
		out.Status, out.HTTPStatusCode = mgmtclient.StatusFailed, http.StatusBadRequest
		failure := *op.failure
		out.Error = &failure
	case op.final:
		out.Status, out.HTTPStatusCode = mgmtclient.StatusSucceeded, http.StatusOK
	}
	s.h.Unlock()
	writeXML(w, http.StatusOK, &out)
}

// completeLocked finishes an operation: a successful add stores its
// certificate. s.mu must be held.
func (s *Service) completeLocked(op *operation) error {
	if op.failure == nil && op.der != nil {
		if svc := s.service(op.service); svc != nil {
			prev, had := svc.certs[op.thumb]
			svc.certs[op.thumb] = op.der
			if err := s.h.SaveLocked(); err != nil {
				if had {
					svc.certs[op.thumb] = prev
				} else {
					delete(svc.certs, op.thumb)
				}
				return err
			}
		}
	}
	op.final = true
	return nil
}

func (s *Service) internalError(w http.ResponseWriter, err error) {
	s.h.Logf("emulator: %v", err)
	writeError(w, http.StatusInternalServerError, "InternalError", "The emulator could not save its state; the change was not made.")
}

// Encoding helpers.

func writeXML(w http.ResponseWriter, status int, v any) {
	data, err := xml.Marshal(v)
	if err != nil {
		// The bodies are fixed types that always marshal.
		panic(fmt.Sprintf("asm: encoding %T: %v", v, err))
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeXML(w, status, &mgmtclient.ErrorBody{Code: code, Message: message})
}

// decodeXML decodes a request body into v, insisting on one root element in
// the Service Management namespace, nothing but white space, comments and
// processing instructions around it, and the child elements named in order
// appearing in that order.
func decodeXML(body []byte, v any, order []string) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errors.New("the body is empty")
	}
	// Request bodies nest three levels; encoding/xml would pay for deeper
	// nesting with memory.
	if err := xmldepth.Check(body, 32); err != nil {
		return err
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return err
	}
	// Each token consumes at least one byte, which bounds the loop.
	for range emulator.MaxBodySize + 1 {
		tok, err := dec.Token()
		if err == io.EOF {
			return checkChildOrder(body, order)
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return errors.New("there is text after the root element")
			}
		case xml.Comment, xml.ProcInst, xml.Directive:
		default:
			return errors.New("there is more than one root element")
		}
	}
	return errors.New("the body is too long")
}

func checkChildOrder(body []byte, order []string) error {
	dec := xml.NewDecoder(bytes.NewReader(body))
	depth, last := 0, -1
	for range emulator.MaxBodySize + 1 {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth != 2 {
				continue
			}
			i := slices.Index(order, t.Name.Local)
			if i < 0 {
				continue
			}
			if i <= last {
				return fmt.Errorf("element %s is repeated or out of order (the order is %s)", t.Name.Local, strings.Join(order, ", "))
			}
			last = i
		case xml.EndElement:
			depth--
		}
	}
	return errors.New("the body is too long")
}

// parseHexThumbprint accepts 40 hex digits in either case and returns them
// upper-case.
func parseHexThumbprint(s string) (string, bool) {
	if len(s) != 40 {
		return "", false
	}
	if _, err := hex.DecodeString(s); err != nil {
		return "", false
	}
	return strings.ToUpper(s), true
}

// parseASMThumbprint accepts "sha1-<40 hex digits>", the name of a service
// certificate in its URL.
func parseASMThumbprint(s string) (string, bool) {
	if len(s) < 5 || !strings.EqualFold(s[:5], "sha1-") {
		return "", false
	}
	return parseHexThumbprint(s[5:])
}

// newRequestID returns 32 lower-case hex digits, the form of the real
// service's x-ms-request-id.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
