package mgmttest

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
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

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
	// ARM paths begin with /subscriptions/; everything else is classic.
	arm := isARMPath(r.URL.Path)
	id := newRequestID()
	if arm {
		id = newGUID()
	}
	sw := &statusWriter{ResponseWriter: w}
	body, readErr := io.ReadAll(io.LimitReader(r.Body, MaxBodySize+1))
	client := ""
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		client = thumbprint(r.TLS.PeerCertificates[0].Raw)
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
		s.cfg.Logf("mgmttest: %s %s -> %s (client %s, request id %s)", r.Method, r.URL.Path, status, orNone(client), id)
	}()
	sw.Header().Set("x-ms-request-id", id)
	if arm {
		sw.Header().Set("x-ms-correlation-request-id", correlationID(r))
	}
	if f, ok := s.nextFault(); ok && s.applyFault(sw, r, f, arm) {
		return
	}
	switch {
	case readErr != nil && arm:
		writeARMError(sw, http.StatusBadRequest, "InvalidRequestContent", "The request body could not be read.")
	case readErr != nil:
		writeError(sw, http.StatusBadRequest, "BadRequest", "The request body could not be read.")
	case arm:
		s.serveARM(sw, r, body)
	default:
		s.route(sw, r, id, body, client)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, id string, body []byte, client string) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if segs[0] == "" {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "The requested resource does not exist.")
		return
	}
	if !strings.EqualFold(segs[0], s.Subscription) {
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
	if len(body) > MaxBodySize {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("The request body is larger than %d bytes.", MaxBodySize))
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

func (s *Server) authorised(client string) bool {
	if client == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.st.mgmt[client]
	return ok
}

func (s *Server) serviceName(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if svc := s.st.service(name); svc != nil {
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

func (s *Server) listManagement(w http.ResponseWriter) {
	s.mu.Lock()
	out := mgmtclient.SubscriptionCertificates{Certificates: []mgmtclient.SubscriptionCertificate{}}
	for _, t := range sortedKeys(s.st.mgmt) {
		out.Certificates = append(out.Certificates, s.st.mgmt[t].xml())
	}
	s.mu.Unlock()
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

func (s *Server) addManagement(w http.ResponseWriter, r *http.Request, body []byte) {
	var in mgmtclient.SubscriptionCertificate
	if err := decodeXML(body, &in, subscriptionCertificateOrder); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidXmlRequest", msgInvalidXML+": "+err.Error()+".")
		return
	}
	bad := func(format string, args ...any) {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf(format, args...))
	}
	der, err := decodeBase64(in.Data)
	if err != nil {
		bad("The certificate data (SubscriptionCertificateData) is not valid base64.")
		return
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		bad("The certificate data (SubscriptionCertificateData) is not an X.509 certificate in DER form.")
		return
	}
	thumb := thumbprint(der)
	if !strings.EqualFold(strings.TrimSpace(in.Thumbprint), thumb) {
		bad("The thumbprint (SubscriptionCertificateThumbprint) %q does not match the certificate data, whose SHA-1 thumbprint is %s.", in.Thumbprint, thumb)
		return
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		bad("The certificate has a %s key; management certificates must have RSA keys.", cert.PublicKeyAlgorithm)
		return
	}
	pk, err := decodeBase64(in.PublicKey)
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
	location := s.base(r) + "/" + s.Subscription + "/certificates/" + thumb
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.st.mgmt[thumb]; dup {
		writeError(w, http.StatusConflict, "ConflictError", fmt.Sprintf("A certificate with thumbprint %s already exists.", thumb))
		return
	}
	if len(s.st.mgmt) >= s.maxMgmt {
		bad("%s", limitMessage(s.maxMgmt))
		return
	}
	s.st.mgmt[thumb] = &mgmtCert{thumb: thumb, der: der, pub: want, created: serviceTime(s.now())}
	if err := s.saveLocked(); err != nil {
		delete(s.st.mgmt, thumb)
		s.internalError(w, err)
		return
	}
	// Documented as 200; the real service answered 201 with a Location.
	w.Header().Set("Location", location)
	w.WriteHeader(http.StatusCreated)
}

func (s *Server) getManagement(w http.ResponseWriter, seg string) {
	thumb, ok := parseHexThumbprint(seg)
	if !ok {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("%q is not a thumbprint (40 hexadecimal digits).", seg))
		return
	}
	s.mu.Lock()
	c, found := s.st.mgmt[thumb]
	var out mgmtclient.SubscriptionCertificate
	if found {
		out = c.xml()
	}
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, "ResourceNotFound", msgCertNotFound)
		return
	}
	writeXML(w, http.StatusOK, &out)
}

func (s *Server) deleteManagement(w http.ResponseWriter, seg string) {
	thumb, ok := parseHexThumbprint(seg)
	if !ok {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("%q is not a thumbprint (40 hexadecimal digits).", seg))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, found := s.st.mgmt[thumb]
	if !found {
		writeError(w, http.StatusNotFound, "ResourceNotFound", msgCertNotFound)
		return
	}
	// Deleting the certificate the request authenticated with is allowed,
	// as it is by the real service.
	delete(s.st.mgmt, thumb)
	if err := s.saveLocked(); err != nil {
		s.st.mgmt[thumb] = c
		s.internalError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// Service certificates.

func (s *Server) serviceCertURL(r *http.Request, svc, thumb string) string {
	return s.base(r) + "/" + s.Subscription + "/services/hostedservices/" + svc + "/certificates/sha1-" + thumb
}

func serviceCertXML(url, thumb string, der []byte) mgmtclient.Certificate {
	return mgmtclient.Certificate{CertificateURL: url, Thumbprint: thumb, ThumbprintAlgorithm: "sha1", Data: base64.StdEncoding.EncodeToString(der)}
}

func (s *Server) listService(w http.ResponseWriter, r *http.Request, name string) {
	s.mu.Lock()
	certs := map[string][]byte{}
	for t, der := range s.st.service(name).certs {
		certs[t] = der
	}
	s.mu.Unlock()
	out := mgmtclient.Certificates{Certificates: []mgmtclient.Certificate{}}
	for _, t := range sortedKeys(certs) {
		out.Certificates = append(out.Certificates, serviceCertXML(s.serviceCertURL(r, name, t), t, certs[t]))
	}
	writeXML(w, http.StatusOK, &out)
}

func (s *Server) getService(w http.ResponseWriter, r *http.Request, name, seg string) {
	thumb, ok := parseASMThumbprint(seg)
	if !ok {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("%q is not a certificate name of the form sha1-<40 hexadecimal digits>.", seg))
		return
	}
	s.mu.Lock()
	der, found := s.st.service(name).certs[thumb]
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, "ResourceNotFound", msgCertNotFound)
		return
	}
	out := serviceCertXML(s.serviceCertURL(r, name, thumb), thumb, der)
	writeXML(w, http.StatusOK, &out)
}

func (s *Server) addService(w http.ResponseWriter, id, name string, body []byte) {
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
		op.der, op.thumb = der, thumbprint(der)
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
	raw, err := decodeBase64(data)
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

func (s *Server) deleteService(w http.ResponseWriter, id, name, seg string) {
	thumb, ok := parseASMThumbprint(seg)
	if !ok {
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("%q is not a certificate name of the form sha1-<40 hexadecimal digits>.", seg))
		return
	}
	s.mu.Lock()
	svc := s.st.service(name)
	der, found := svc.certs[thumb]
	if !found {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "ResourceNotFound", msgCertNotFound)
		return
	}
	// The certificate goes at once: clients may not poll a delete.
	delete(svc.certs, thumb)
	if err := s.saveLocked(); err != nil {
		svc.certs[thumb] = der
		s.mu.Unlock()
		s.internalError(w, err)
		return
	}
	s.mu.Unlock()
	s.startOperation(&operation{id: id, service: name, thumb: thumb})
	w.WriteHeader(http.StatusAccepted)
}

// Operations.

func (s *Server) startOperation(op *operation) {
	op.start = s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
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

func (s *Server) getOperation(w http.ResponseWriter, seg string) {
	id := strings.ToLower(strings.ReplaceAll(seg, "-", ""))
	s.mu.Lock()
	op, found := s.ops[id]
	if !found {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "ResourceNotFound", "The operation was not found.")
		return
	}
	if !op.final {
		// InProgress at the first poll whatever the delay, so a client
		// that does not poll is caught.
		if op.polled && !s.now().Before(op.start.Add(s.cfg.OperationDelay)) {
			if err := s.completeLocked(op); err != nil {
				s.mu.Unlock()
				s.internalError(w, err)
				return
			}
		}
		op.polled = true
	}
	out := mgmtclient.Operation{ID: dashedGUID(op.id), Status: mgmtclient.StatusInProgress}
	switch {
	case op.final && op.failure != nil:
		out.Status, out.HTTPStatusCode = mgmtclient.StatusFailed, http.StatusBadRequest
		failure := *op.failure
		out.Error = &failure
	case op.final:
		out.Status, out.HTTPStatusCode = mgmtclient.StatusSucceeded, http.StatusOK
	}
	s.mu.Unlock()
	writeXML(w, http.StatusOK, &out)
}

// completeLocked finishes an operation: a successful add stores its
// certificate. s.mu must be held.
func (s *Server) completeLocked(op *operation) error {
	if op.failure == nil && op.der != nil {
		if svc := s.st.service(op.service); svc != nil {
			prev, had := svc.certs[op.thumb]
			svc.certs[op.thumb] = op.der
			if err := s.saveLocked(); err != nil {
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

func (s *Server) internalError(w http.ResponseWriter, err error) {
	s.logf("mgmttest: %v", err)
	writeError(w, http.StatusInternalServerError, "InternalError", "The emulator could not save its state; the change was not made.")
}

// Encoding helpers.

func writeXML(w http.ResponseWriter, status int, v any) {
	data, err := xml.Marshal(v)
	if err != nil {
		// The bodies are fixed types that always marshal.
		panic(fmt.Sprintf("mgmttest: encoding %T: %v", v, err))
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
	for range MaxBodySize + 1 {
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
	for range MaxBodySize + 1 {
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

// decodeBase64 reads standard base64 with padding; XML may wrap it in
// white space, which is ignored.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
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

// dashedGUID writes 32 hex digits as a GUID, 8-4-4-4-12: the form of the
// ID in an Operation body.
func dashedGUID(id string) string {
	if len(id) != 32 {
		return id
	}
	return id[:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:]
}
