package mgmttest

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/azcert/azcert/pkg/export"
)

// This file serves the Azure Resource Manager (ARM) endpoints of API
// Management certificates (DESIGN.md section 3.2) on the same port as the
// classic API: paths that begin with /subscriptions/.

// DefaultARMPageSize is the number of certificates in one page of a list
// when Config.ARMPageSize is zero.
const DefaultARMPageSize = 100

// armAPIVersions are the api-versions of Microsoft.ApiManagement the
// emulator accepts: those published from 2021-08-01 to 2024-05-01
// (https://learn.microsoft.com/azure/templates/microsoft.apimanagement/service/certificates).
// azcert sends 2022-08-01.
var armAPIVersions = []string{
	"2021-08-01", "2021-12-01-preview", "2022-04-01-preview", "2022-08-01", "2022-09-01-preview",
	"2023-03-01-preview", "2023-05-01-preview", "2023-09-01-preview", "2024-05-01",
}

// armCertificateType is the ARM resource type of an API Management
// certificate.
const armCertificateType = "Microsoft.ApiManagement/service/certificates"

// Messages of ARM and API Management, and the emulator's own where the real
// ones are unknown.
const (
	msgARMNoAuth       = "Authentication failed. The 'Authorization' header is missing."
	msgARMAuthFormat   = "Authentication failed. The 'Authorization' header is provided in an invalid format."
	msgARMBadToken     = "The access token is invalid."
	msgARMNoVersion    = "The api-version query parameter (?api-version=) is required for all requests."
	msgARMCertNotFound = "Certificate not found."
	msgARMBadPassword  = "Invalid certificate password or data. Cannot decrypt the certificate."
	msgARMNotPFX       = "The certificate data (properties.data) is not a valid PFX (PKCS#12) file."
	msgARMNoKey        = "The certificate file holds no private key; API Management needs the key to present the certificate to a back end."
	msgARMIfMatchDel   = "If-Match header is required to delete a certificate: send its ETag, or '*' to delete whatever version exists."
	msgARMNotServed    = "The emulator serves only API Management certificates (/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ApiManagement/service/<service>/certificates[/<id>])."

	// armWWWAuthenticate is the challenge of every 401.
	armWWWAuthenticate = `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"`
)

// armPrefix begins every ARM path.
const armPrefix = "/subscriptions/"

// isARMPath reports whether a request path is for ARM rather than the
// classic API.
func isARMPath(p string) bool {
	return len(p) >= len(armPrefix) && strings.EqualFold(p[:len(armPrefix)], armPrefix)
}

// armErrorBody is the error of an ARM answer:
// {"error": {"code": "...", "message": "...", "details": [...]}}.
type armErrorBody struct {
	Code    string         `json:"code"`
	Target  string         `json:"target,omitempty"`
	Message string         `json:"message"`
	Details []armErrorBody `json:"details,omitempty"`
}

type armError struct {
	Error armErrorBody `json:"error"`
}

// armCertContract is the certificate contract of API Management.
type armCertContract struct {
	ID         string            `json:"id"`
	Type       string            `json:"type"`
	Name       string            `json:"name"`
	Properties armCertProperties `json:"properties"`
}

type armCertProperties struct {
	Subject        string `json:"subject"`
	Thumbprint     string `json:"thumbprint"`
	ExpirationDate string `json:"expirationDate"`
}

type armCertList struct {
	Value    []armCertContract `json:"value"`
	Count    int               `json:"count"`
	NextLink string            `json:"nextLink,omitempty"`
}

// armCertPut is the body of Certificate - Create Or Update.
type armCertPut struct {
	Properties *struct {
		Data     *string         `json:"data"`
		Password string          `json:"password"`
		KeyVault json.RawMessage `json:"keyVault"`
	} `json:"properties"`
}

// serveARM answers an ARM request; the request id headers are set and
// faults applied by serveHTTP.
func (s *Server) serveARM(w http.ResponseWriter, r *http.Request, body []byte) {
	if !s.armAuthenticated(w, r) {
		return
	}
	version, ok := armVersion(w, r)
	if !ok {
		return
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) < 2 || segs[1] == "" {
		writeARMError(w, http.StatusNotFound, "NotFound", msgARMNotServed)
		return
	}
	if !strings.EqualFold(segs[1], s.Subscription) {
		writeARMError(w, http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", clip(segs[1])))
		return
	}
	rest := segs[2:]
	is := func(i int, name string) bool { return len(rest) > i && strings.EqualFold(rest[i], name) }
	if len(rest) < 6 || !is(0, "resourceGroups") || !is(2, "providers") || !is(3, "Microsoft.ApiManagement") || !is(4, "service") {
		writeARMError(w, http.StatusNotFound, "NotFound", msgARMNotServed)
		return
	}
	rg, name, tail := rest[1], rest[5], rest[6:]
	s.mu.Lock()
	svc := s.st.apimService(rg, name)
	s.mu.Unlock()
	if svc == nil {
		writeARMError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf(
			"The Resource 'Microsoft.ApiManagement/service/%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
			clip(name), clip(rg)))
		return
	}
	switch {
	case len(tail) == 1 && strings.EqualFold(tail[0], "certificates"):
		if r.Method != http.MethodGet {
			armMethodNotAllowed(w, r, "GET")
			return
		}
		s.listAPIMCerts(w, r, svc, version)
	case len(tail) == 2 && strings.EqualFold(tail[0], "certificates"):
		id := tail[1]
		const allowed = "GET, HEAD, PUT, DELETE"
		if !slices.Contains(strings.Split(allowed, ", "), r.Method) {
			armMethodNotAllowed(w, r, allowed)
			return
		}
		if msg := checkAPIMCertID(id); msg != "" {
			writeARMError(w, http.StatusBadRequest, "ValidationError", msg, armErrorBody{Code: "ValidationError", Target: "certificateId", Message: msg})
			return
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			// HEAD is Certificate - Get Entity Tag; net/http drops the body.
			s.getAPIMCert(w, svc, id)
		case http.MethodPut:
			s.putAPIMCert(w, r, svc, id, body)
		default:
			s.deleteAPIMCert(w, r, svc, id)
		}
	default:
		writeARMError(w, http.StatusNotFound, "NotFound", msgARMNotServed)
	}
}

// armAuthenticated checks the bearer token and answers 401 when it is
// missing or wrong.
func (s *Server) armAuthenticated(w http.ResponseWriter, r *http.Request) bool {
	fail := func(code, message string) bool {
		w.Header().Set("WWW-Authenticate", armWWWAuthenticate)
		writeARMError(w, http.StatusUnauthorized, code, message)
		return false
	}
	values := r.Header.Values("Authorization")
	if len(values) == 0 || strings.TrimSpace(values[0]) == "" {
		return fail("AuthenticationFailed", msgARMNoAuth)
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	token = strings.TrimSpace(token)
	if len(values) > 1 || !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return fail("AuthenticationFailed", msgARMAuthFormat)
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.armToken)) != 1 {
		return fail("InvalidAuthenticationToken", msgARMBadToken)
	}
	return true
}

// armVersion returns the api-version, or answers 400.
func armVersion(w http.ResponseWriter, r *http.Request) (string, bool) {
	v := r.URL.Query().Get("api-version")
	if v == "" {
		writeARMError(w, http.StatusBadRequest, "MissingApiVersionParameter", msgARMNoVersion)
		return "", false
	}
	if !slices.Contains(armAPIVersions, strings.ToLower(v)) {
		writeARMError(w, http.StatusBadRequest, "InvalidApiVersionParameter", fmt.Sprintf(
			"The api-version '%s' is invalid. The supported versions are '%s'.", clip(v), strings.Join(armAPIVersions, ",")))
		return "", false
	}
	return strings.ToLower(v), true
}

func armMethodNotAllowed(w http.ResponseWriter, r *http.Request, allowed string) {
	w.Header().Set("Allow", allowed)
	writeARMError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf("The %s method is not allowed on this resource (allowed: %s).", clip(r.Method), allowed))
}

// apimCertIDPattern is the rule for certificate ids: 1 to 80 characters,
// letters, digits and hyphens, starting with a letter and ending with a
// letter or digit (DESIGN.md section 3.2, after the ARM template reference).
var apimCertIDPattern = regexp.MustCompile(`^[A-Za-z](?:[A-Za-z0-9-]{0,78}[A-Za-z0-9])?$`)

// checkAPIMCertID returns why id is not a valid certificate id, or "".
func checkAPIMCertID(id string) string {
	if apimCertIDPattern.MatchString(id) {
		return ""
	}
	return fmt.Sprintf("The certificate id '%s' is invalid: it must be 1 to 80 characters, letters, digits and hyphens, starting with a letter and ending with a letter or digit.", clip(id))
}

// apimServicePattern is the rule for API Management service names
// (https://learn.microsoft.com/rest/api/apimanagement/certificate/list-by-service).
var apimServicePattern = regexp.MustCompile(`^[A-Za-z](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?$`)

// checkAPIMService checks a resource group and API Management service name.
func checkAPIMService(rg, name string) error {
	if err := checkPathSegment("resource group name", rg); err != nil {
		return err
	}
	if len(rg) > 90 {
		return fmt.Errorf("the resource group name %q is longer than 90 characters", rg)
	}
	if !apimServicePattern.MatchString(name) {
		return fmt.Errorf("the API Management service name %q is invalid: it must be 1 to 50 letters, digits and hyphens, starting with a letter and ending with a letter or digit", name)
	}
	return nil
}

// parseAPIMService reads "resourceGroup/serviceName" (Config.APIMServices).
func parseAPIMService(spec string) (rg, name string, err error) {
	rg, name, ok := strings.Cut(spec, "/")
	if !ok || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("the API Management service %q is not of the form resourceGroup/serviceName", spec)
	}
	if err := checkAPIMService(rg, name); err != nil {
		return "", "", err
	}
	return rg, name, nil
}

// clip shortens a value from a request for use in a message.
func clip(s string) string {
	const limit = 100
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) > limit {
		return s[:limit] + "..."
	}
	return s
}

// Certificates.

func (s *Server) contract(svc *apimService, c *apimCert) armCertContract {
	return armCertContract{
		ID: "/subscriptions/" + s.Subscription + "/resourceGroups/" + svc.rg +
			"/providers/Microsoft.ApiManagement/service/" + svc.name + "/certificates/" + c.id,
		Type: armCertificateType,
		Name: c.id,
		Properties: armCertProperties{
			Subject:        armSubject(c.cert),
			Thumbprint:     thumbprint(c.cert.Raw),
			ExpirationDate: c.cert.NotAfter.UTC().Format(time.RFC3339),
		},
	}
}

// armSubject writes a certificate's subject the way API Management does
// (.NET's X500DistinguishedName): most specific first, ", " between
// attributes, e.g. "CN=api.contoso.com, O=Contoso, C=US".
func armSubject(c *x509.Certificate) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(c.RawSubject, &seq); err != nil || len(rest) != 0 {
		return c.Subject.String()
	}
	parts := make([]string, 0, len(seq))
	for i := len(seq) - 1; i >= 0; i-- {
		parts = append(parts, pkix.RDNSequence{seq[i]}.String())
	}
	return strings.Join(parts, ", ")
}

func (s *Server) getAPIMCert(w http.ResponseWriter, svc *apimService, id string) {
	s.mu.Lock()
	c := svc.certs[strings.ToLower(id)]
	var out armCertContract
	if c != nil {
		out = s.contract(svc, c)
		w.Header().Set("ETag", c.etag)
	}
	s.mu.Unlock()
	if c == nil {
		writeARMError(w, http.StatusNotFound, "ResourceNotFound", msgARMCertNotFound)
		return
	}
	writeJSON(w, http.StatusOK, &out)
}

// listAPIMCerts answers Certificate - List By Service: sorted by id, in
// pages of at most Config.ARMPageSize, honouring $skip and $top (OData: $top
// bounds the whole answer, the pages included, so a nextLink carries what is
// left of it).
func (s *Server) listAPIMCerts(w http.ResponseWriter, r *http.Request, svc *apimService, version string) {
	q := r.URL.Query()
	if q.Has("$filter") {
		writeARMError(w, http.StatusBadRequest, "ValidationError", "The emulator does not support $filter; list without it and filter the answer.",
			armErrorBody{Code: "ValidationError", Target: "$filter", Message: "$filter is not supported by the emulator."})
		return
	}
	skip, ok := queryInt(w, q, "$skip", 0)
	if !ok {
		return
	}
	top, ok := queryInt(w, q, "$top", 1)
	if !ok {
		return
	}
	hasTop := q.Has("$top")
	s.mu.Lock()
	keys := sortedKeys(svc.certs)
	total := len(keys)
	end := total
	if hasTop && skip+top < end {
		end = skip + top
	}
	start := min(skip, total)
	end = max(min(end, start+s.armPageSize), start)
	out := armCertList{Value: make([]armCertContract, 0, end-start), Count: total}
	for _, k := range keys[start:end] {
		out.Value = append(out.Value, s.contract(svc, svc.certs[k]))
	}
	path := "/subscriptions/" + s.Subscription + "/resourceGroups/" + svc.rg +
		"/providers/Microsoft.ApiManagement/service/" + svc.name + "/certificates"
	s.mu.Unlock()
	left := total - end
	if hasTop {
		left = min(left, top-(end-start))
	}
	if left > 0 {
		link := s.base(r) + path + "?$skip=" + strconv.Itoa(end)
		if hasTop {
			link += "&$top=" + strconv.Itoa(top-(end-start))
		}
		out.NextLink = link + "&api-version=" + url.QueryEscape(version)
	}
	writeJSON(w, http.StatusOK, &out)
}

// queryInt reads an integer query parameter of at least least, or answers
// 400.
func queryInt(w http.ResponseWriter, q url.Values, name string, least int) (int, bool) {
	if !q.Has(name) {
		return 0, true
	}
	v := q.Get(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < least || n > 1<<30 {
		msg := fmt.Sprintf("The query parameter %s=%s is invalid: it must be an integer of at least %d.", name, clip(v), least)
		writeARMError(w, http.StatusBadRequest, "ValidationError", msg, armErrorBody{Code: "ValidationError", Target: name, Message: msg})
		return 0, false
	}
	return n, true
}

// putAPIMCert answers Certificate - Create Or Update.
func (s *Server) putAPIMCert(w http.ResponseWriter, r *http.Request, svc *apimService, id string, body []byte) {
	cert, status, code, msg := openAPIMPut(body)
	if msg != "" {
		var details []armErrorBody
		if code == "ValidationError" {
			details = []armErrorBody{{Code: code, Target: "certificate", Message: msg}}
		}
		writeARMError(w, status, code, msg, details...)
		return
	}
	ifMatch := strings.Join(r.Header.Values("If-Match"), ",")
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(id)
	old := svc.certs[key]
	switch {
	case old == nil && strings.TrimSpace(ifMatch) != "" && !etagMatches(ifMatch, ""):
		// A specific ETag names a version that is not there (any more).
		writeARMError(w, http.StatusPreconditionFailed, "PreconditionFailed", fmt.Sprintf(
			"The certificate '%s' does not exist, so the ETag in If-Match does not match it. Send no If-Match, or '*', to create it.", id))
		return
	case old != nil && strings.TrimSpace(ifMatch) == "":
		writeARMError(w, http.StatusPreconditionFailed, "PreconditionFailed", fmt.Sprintf(
			"The certificate '%s' already exists; specify If-Match with its ETag, or '*', to replace it.", old.id))
		return
	case old != nil && !etagMatches(ifMatch, old.etag):
		writeARMError(w, http.StatusPreconditionFailed, "PreconditionFailed", fmt.Sprintf(
			"The certificate '%s' has changed: the ETag in If-Match is not its current ETag. Get it again, or send '*' to replace whatever version exists.", old.id))
		return
	}
	c := &apimCert{id: id, cert: cert, etag: newETag()}
	status = http.StatusCreated
	if old != nil {
		// The id keeps the case it was created with, and references stay.
		c.id, c.usedBy, status = old.id, old.usedBy, http.StatusOK
		for c.etag == old.etag {
			c.etag = newETag()
		}
	}
	svc.certs[key] = c
	if err := s.saveLocked(); err != nil {
		if old != nil {
			svc.certs[key] = old
		} else {
			delete(svc.certs, key)
		}
		s.armInternalError(w, err)
		return
	}
	out := s.contract(svc, c)
	w.Header().Set("ETag", c.etag)
	writeJSON(w, status, &out)
}

// openAPIMPut decodes a Create Or Update body and opens its .pfx. It
// returns the certificate, or the status, code and message of the refusal.
func openAPIMPut(body []byte) (*x509.Certificate, int, string, string) {
	invalid := func(format string, args ...any) (*x509.Certificate, int, string, string) {
		return nil, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized: " + fmt.Sprintf(format, args...)
	}
	validation := func(msg string) (*x509.Certificate, int, string, string) {
		return nil, http.StatusBadRequest, "ValidationError", msg
	}
	if len(body) > MaxBodySize {
		return invalid("the body is larger than %d bytes.", MaxBodySize)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return invalid("the body is empty.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var in armCertPut
	if err := dec.Decode(&in); err != nil {
		return invalid("%s.", clip(err.Error()))
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("there is data after the JSON object.")
	}
	if in.Properties == nil {
		return validation("The request has no properties: send {\"properties\": {\"data\": \"<base64 .pfx>\", \"password\": \"<password>\"}}.")
	}
	p := in.Properties
	if len(p.KeyVault) != 0 && !bytes.Equal(bytes.TrimSpace(p.KeyVault), []byte("null")) {
		return validation("Key Vault certificates (properties.keyVault) are not supported by the emulator; send the .pfx in properties.data.")
	}
	if p.Data == nil || *p.Data == "" {
		return validation("The certificate data (properties.data) is required.")
	}
	raw, err := decodeBase64(*p.Data)
	if err != nil || len(raw) == 0 {
		return validation("The certificate data (properties.data) is not valid base64.")
	}
	if export.Sniff(raw) != export.FormatPKCS12 {
		return validation(msgARMNotPFX)
	}
	info, err := export.InspectPFX(raw)
	if err != nil {
		return validation(msgARMNotPFX)
	}
	if info.KeyBags == 0 {
		return validation(msgARMNoKey)
	}
	password := p.Password
	b, err := export.Load(raw, func() (string, error) { return password, nil })
	switch {
	case errors.Is(err, export.ErrWrongPassword):
		return validation(msgARMBadPassword)
	case err != nil:
		return validation(msgARMNotPFX)
	case b.Key == nil:
		return validation(msgARMNoKey)
	case !b.KeyMatches():
		return validation("The private key in the certificate file does not belong to any certificate in it.")
	}
	return b.Cert, 0, "", ""
}

// deleteAPIMCert answers Certificate - Delete: 200 when it deleted, 204
// when there was nothing to delete (ARM deletes are idempotent).
func (s *Server) deleteAPIMCert(w http.ResponseWriter, r *http.Request, svc *apimService, id string) {
	ifMatch := strings.Join(r.Header.Values("If-Match"), ",")
	if strings.TrimSpace(ifMatch) == "" {
		writeARMError(w, http.StatusBadRequest, "InvalidParameters", msgARMIfMatchDel,
			armErrorBody{Code: "InvalidParameters", Target: "If-Match", Message: msgARMIfMatchDel})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(id)
	c := svc.certs[key]
	switch {
	case c == nil:
		w.WriteHeader(http.StatusNoContent)
		return
	case !etagMatches(ifMatch, c.etag):
		writeARMError(w, http.StatusPreconditionFailed, "PreconditionFailed", fmt.Sprintf(
			"The certificate '%s' has changed: the ETag in If-Match is not its current ETag. Get it again, or send '*'.", c.id))
		return
	case len(c.usedBy) > 0:
		writeARMError(w, http.StatusConflict, "CertificateInUse", fmt.Sprintf(
			"Certificate '%s' is referenced by backend '%s'. Remove the reference before deleting the certificate.", c.id, c.usedBy[0]))
		return
	}
	delete(svc.certs, key)
	if err := s.saveLocked(); err != nil {
		svc.certs[key] = c
		s.armInternalError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// etagMatches reports whether an If-Match value (a list of entity tags, or
// "*") matches etag, the quoted current ETag; etag "" means there is no
// current version, which only "*" matches. Entity tags are compared
// strongly (RFC 9110 section 13.1.1), so weak ones never match; an unquoted
// tag is accepted as if quoted.
func etagMatches(ifMatch, etag string) bool {
	for _, t := range strings.Split(ifMatch, ",") {
		t = strings.TrimSpace(t)
		switch {
		case t == "*":
			return true
		case etag == "" || t == "" || strings.HasPrefix(t, "W/"):
		case t == etag || `"`+t+`"` == etag:
			return true
		}
	}
	return false
}

// newETag returns a fresh quoted entity tag shaped like API Management's
// ("AAAAAAAAHDE=").
func newETag() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return `"` + base64.StdEncoding.EncodeToString(b[:]) + `"`
}

// validETag accepts a quoted entity tag from the state file.
func validETag(t string) bool {
	if len(t) < 3 || len(t) > 256 || t[0] != '"' || t[len(t)-1] != '"' {
		return false
	}
	for _, c := range []byte(t[1 : len(t)-1]) {
		if c <= 0x20 || c == '"' || c >= 0x7f {
			return false
		}
	}
	return true
}

func (s *Server) armInternalError(w http.ResponseWriter, err error) {
	s.logf("mgmttest: %v", err)
	writeARMError(w, http.StatusInternalServerError, "InternalServerError", "The emulator could not save its state; the change was not made.")
}

// Accessors.

// ARMToken returns the bearer token ARM requests must carry
// ("Authorization: Bearer <token>"): Config.ARMToken, or the random one
// generated for this server.
func (s *Server) ARMToken() string { return s.armToken }

// APIMCertificates returns the ids of the certificates of the API
// Management service rg/svc (names are not case-sensitive), in the order
// of a list (by id, without regard to case); nil for an unknown service.
func (s *Server) APIMCertificates(rg, svc string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.apimService(rg, svc)
	if a == nil {
		return nil
	}
	ids := make([]string, 0, len(a.certs))
	for _, k := range sortedKeys(a.certs) {
		ids = append(ids, a.certs[k].id)
	}
	return ids
}

// UseAPIMCertificate records that backend (an API Management back end)
// refers to the certificate id of the API Management service rg/svc, so
// that deleting the certificate answers 409 CertificateInUse, as it does
// while a real back end presents the certificate. An empty backend removes
// every reference. References are saved in the state file.
func (s *Server) UseAPIMCertificate(rg, svc, id, backend string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.apimService(rg, svc)
	if a == nil {
		return fmt.Errorf("mgmttest: there is no API Management service %s/%s", rg, svc)
	}
	c := a.certs[strings.ToLower(id)]
	if c == nil {
		return fmt.Errorf("mgmttest: API Management service %s/%s has no certificate %q", rg, svc, id)
	}
	old := c.usedBy
	switch {
	case backend == "":
		c.usedBy = nil
	case slices.Contains(c.usedBy, backend):
		return nil
	default:
		c.usedBy = append(slices.Clone(c.usedBy), backend)
		slices.Sort(c.usedBy)
	}
	if err := s.saveLocked(); err != nil {
		c.usedBy = old
		return err
	}
	return nil
}

// Encoding helpers.

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// The bodies are fixed types that always marshal.
		panic(fmt.Sprintf("mgmttest: encoding %T: %v", v, err))
	}
	data := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func writeARMError(w http.ResponseWriter, status int, code, message string, details ...armErrorBody) {
	writeJSON(w, status, &armError{Error: armErrorBody{Code: code, Message: message, Details: details}})
}

// newGUID returns a random (version 4) GUID, the form of ARM's request ids.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return dashedGUID(hex.EncodeToString(b[:]))
}

var guidPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// correlationID is the client's x-ms-correlation-request-id when it sent a
// GUID, as ARM echoes it, else a new one.
func correlationID(r *http.Request) string {
	if id := r.Header.Get("x-ms-correlation-request-id"); guidPattern.MatchString(id) {
		return id
	}
	return newGUID()
}

// newARMToken returns 32 random bytes, base64url.
func newARMToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// checkARMToken refuses a configured token that cannot travel in an
// Authorization header.
func checkARMToken(t string) error {
	for _, c := range []byte(t) {
		if c <= 0x20 || c >= 0x7f {
			return errors.New("the ARM token must be printable ASCII without spaces")
		}
	}
	return nil
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
