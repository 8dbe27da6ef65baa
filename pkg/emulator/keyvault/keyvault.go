// Package keyvault emulates the certificates of the Azure Key Vault data
// plane as a service of an emulator.Server: the vault is the server itself
// (its URL is the vault URL), on the same port as the other services. It
// is written from the Key Vault REST reference
// (https://learn.microsoft.com/rest/api/keyvault/certificates), so that
// the official Azure SDKs, not only azcert, can talk to it.
//
// Every request must carry "Authorization: Bearer <Token>". One without it
// is answered the way Key Vault starts its challenge authentication: 401
// with
//
//	WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/<tenant>", resource="https://<host>"
//
// where host is the host the request was sent to, without its port, so
// that a check that the vault's host name ends with the resource's passes
// on 127.0.0.1. (The Go SDK's check, that the vault's host and port end
// with "." and the resource's host, passes for no IP address; its
// DisableChallengeResourceVerification option turns it off.) A client
// then asks for a token for the scope "<resource>/.default" and sends the
// request again.
//
// Requests need an api-version: 7.0 to 7.6, with or without a -preview
// suffix (the SDKs send 7.4, 7.5 and 7.6-preview.2), or 2025-07-01. With V
// the api-version:
//
//	POST   /certificates/<name>/import?api-version=V      Import Certificate (200, each import a new version)
//	GET    /certificates?api-version=V                    Get Certificates (maxresults up to 25, nextLink with $skiptoken)
//	GET    /certificates/<name>[/<version>]?api-version=V Get Certificate
//	GET    /certificates/<name>/versions?api-version=V    Get Certificate Versions (paged the same way)
//	GET    /certificates/<name>/policy?api-version=V      Get Certificate Policy (of the current version)
//	DELETE /certificates/<name>?api-version=V             Delete Certificate (soft delete: a DeletedCertificateBundle)
//	GET    /deletedcertificates?api-version=V             Get Deleted Certificates (paged)
//	GET    /deletedcertificates/<name>?api-version=V      Get Deleted Certificate
//	POST   /deletedcertificates/<name>/recover?api-version=V  Recover Deleted Certificate (200)
//	DELETE /deletedcertificates/<name>?api-version=V      Purge Deleted Certificate (204)
//
// Answers are JSON, errors {"error": {"code", "message", "innererror"}}
// as Key Vault writes them, and every answer carries an x-ms-request-id
// GUID and x-ms-keyvault-service-version. Timestamps are Unix seconds, as
// in the reference. A deleted certificate is kept for 90 days
// ("Recoverable+Purgeable"), then purged. Only the public certificate of
// an import is kept: the emulator serves no secrets and no keys.
// Throttling faults answer 429 with "Retry-After: 1".
//
// Its member of the state file is "keyVault".
package keyvault

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/azcert/azcert/pkg/emulator"
)

// DefaultTenant is the tenant the challenge names when Config.Tenant is
// empty. It is fixed so that scripts and documentation can refer to it.
const DefaultTenant = "72f988bf-0000-4000-8000-00000000a2c5"

// Authority is where the challenge sends clients for a token; the tenant
// follows it.
const Authority = "https://login.microsoftonline.com/"

// ServiceVersion is the x-ms-keyvault-service-version every answer
// carries, in the form Key Vault writes it.
const ServiceVersion = "1.9.1450.1"

// PageSize is the most items a list answers in one page, and the default:
// "If not specified the service will return up to 25 results"
// (https://learn.microsoft.com/rest/api/keyvault/certificates/get-certificates).
const PageSize = 25

// RecoverableDays is how long a deleted certificate can be recovered:
// Key Vault's default soft-delete retention.
const RecoverableDays = 90

// RecoveryLevel is the recovery level of every certificate: soft delete
// on, purge protection off.
const RecoveryLevel = "Recoverable+Purgeable"

// Config configures a Service.
type Config struct {
	// Token is the bearer token requests must carry; it must not be empty
	// (package azure gives the ARM token).
	Token string
	// Tenant is the tenant the challenge names; "" means DefaultTenant.
	Tenant string
}

// Service is the Key Vault emulator, an emulator.Service. Its methods are
// safe for concurrent use once it is attached to a Server.
type Service struct {
	token  string
	tenant string
	h      *emulator.Host

	// certs holds the certificates by lower-case name, active or deleted;
	// guarded by the Host's lock.
	certs map[string]*certificate
}

var _ emulator.Service = (*Service)(nil)

var tenantPattern = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.-]{0,99}$`)

// New returns a Key Vault emulator, to be given to emulator.New.
func New(cfg Config) (*Service, error) {
	if cfg.Token == "" {
		return nil, errors.New("keyvault: the bearer token is empty")
	}
	for _, c := range []byte(cfg.Token) {
		if c <= 0x20 || c >= 0x7f {
			return nil, errors.New("keyvault: the bearer token must be printable ASCII without spaces")
		}
	}
	s := &Service{token: cfg.Token, tenant: cfg.Tenant, certs: map[string]*certificate{}}
	if s.tenant == "" {
		s.tenant = DefaultTenant
	}
	if !tenantPattern.MatchString(s.tenant) {
		return nil, fmt.Errorf("keyvault: the tenant %q is not a tenant ID or domain", s.tenant)
	}
	return s, nil
}

// Attach implements emulator.Service.
func (s *Service) Attach(h *emulator.Host) error {
	if s.h != nil {
		return errors.New("keyvault: the service is attached to a server already")
	}
	s.h = h
	return nil
}

// Tenant returns the tenant the challenge names.
func (s *Service) Tenant() string { return s.tenant }

// Token returns the bearer token requests must carry.
func (s *Service) Token() string { return s.token }

// Owns implements emulator.Service: the paths that begin with
// /certificates or /deletedcertificates (in any case, as Key Vault's
// paths are).
func (s *Service) Owns(r *http.Request) bool {
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return strings.EqualFold(first, "certificates") || strings.EqualFold(first, "deletedcertificates")
}

// Begin implements emulator.Service: a GUID request id, and Key Vault's
// service version header.
func (s *Service) Begin(w http.ResponseWriter, _ *http.Request) string {
	w.Header().Set("x-ms-keyvault-service-version", ServiceVersion)
	return emulator.NewGUID()
}

// WriteFault implements emulator.Service.
func (s *Service) WriteFault(w http.ResponseWriter, _ *http.Request, kind emulator.FaultKind, location string) {
	switch kind {
	case emulator.FaultThrottle:
		// Key Vault throttles with 429 and Retry-After
		// (https://learn.microsoft.com/azure/key-vault/general/overview-throttling).
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "Throttled", "Request was not processed because too many requests were received. Reason: A1", "")
	case emulator.FaultInternalError:
		writeError(w, http.StatusInternalServerError, "InternalServerError", "The server encountered an internal error. Please retry the request.", "")
	case emulator.FaultRedirect:
		writeError(w, http.StatusTemporaryRedirect, "TemporaryRedirect", "The request must be sent to "+location+".", "")
	}
}

// Messages of Key Vault, and the emulator's own where the real ones are
// unknown.
const (
	// https://github.com/Azure/azure-sdk-for-python/issues/24557
	msgNoToken   = "AKV10000: Request is missing a Bearer or PoP token."
	msgBadToken  = "AKV10032: Invalid issuer. The access token is not one the emulator issued (use the token it printed)."
	msgNoVersion = "The api-version query parameter is missing. Specify one, for example api-version=7.5."
)

// Serve implements emulator.Service.
func (s *Service) Serve(w http.ResponseWriter, r *http.Request, c *emulator.Call) {
	if !s.authenticated(w, r) {
		return
	}
	version, ok := apiVersion(w, r)
	if !ok {
		return
	}
	if c.BodyErr != nil {
		writeError(w, http.StatusBadRequest, "BadParameter", "The request body could not be read.", "")
		return
	}
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	rq := &request{w: w, r: r, base: s.h.BaseURL(r), version: version, body: c.Body}
	if strings.EqualFold(segs[0], "deletedcertificates") {
		s.serveDeleted(rq, segs[1:])
		return
	}
	s.serveCertificates(rq, segs[1:])
}

// request is a request being served.
type request struct {
	w       http.ResponseWriter
	r       *http.Request
	base    string // the vault URL ids begin with
	version string // the api-version, for nextLink
	body    []byte
}

func (s *Service) serveCertificates(rq *request, segs []string) {
	switch {
	case len(segs) == 0 || (len(segs) == 1 && segs[0] == ""):
		if rq.allow(http.MethodGet) {
			s.listCertificates(rq)
		}
	case !rq.validName(segs[0]):
	case len(segs) == 1 || (len(segs) == 2 && segs[1] == ""):
		if rq.allow(http.MethodGet, http.MethodDelete) {
			if rq.r.Method == http.MethodGet {
				s.getCertificate(rq, segs[0], "")
			} else {
				s.deleteCertificate(rq, segs[0])
			}
		}
	case len(segs) == 2 && strings.EqualFold(segs[1], "import"):
		if rq.allow(http.MethodPost) {
			s.importCertificate(rq, segs[0])
		}
	case len(segs) == 2 && strings.EqualFold(segs[1], "policy"):
		if rq.allow(http.MethodGet) {
			s.getPolicy(rq, segs[0])
		}
	case len(segs) == 2 && strings.EqualFold(segs[1], "versions"):
		if rq.allow(http.MethodGet) {
			s.listVersions(rq, segs[0])
		}
	case len(segs) == 2:
		if rq.allow(http.MethodGet) {
			s.getCertificate(rq, segs[0], segs[1])
		}
	default:
		rq.notServed()
	}
}

func (s *Service) serveDeleted(rq *request, segs []string) {
	switch {
	case len(segs) == 0 || (len(segs) == 1 && segs[0] == ""):
		if rq.allow(http.MethodGet) {
			s.listDeleted(rq)
		}
	case !rq.validName(segs[0]):
	case len(segs) == 1:
		if rq.allow(http.MethodGet, http.MethodDelete) {
			if rq.r.Method == http.MethodGet {
				s.getDeleted(rq, segs[0])
			} else {
				s.purgeDeleted(rq, segs[0])
			}
		}
	case len(segs) == 2 && strings.EqualFold(segs[1], "recover"):
		if rq.allow(http.MethodPost) {
			s.recoverDeleted(rq, segs[0])
		}
	default:
		rq.notServed()
	}
}

// allow answers 405 unless the request's method is one of methods.
func (rq *request) allow(methods ...string) bool {
	for _, m := range methods {
		if rq.r.Method == m {
			return true
		}
	}
	rq.w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(rq.w, http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf("The %s method is not allowed on this resource (allowed: %s).", emulator.Clip(rq.r.Method), strings.Join(methods, ", ")), "")
	return false
}

func (rq *request) notServed() {
	writeError(rq.w, http.StatusNotFound, "NotFound", "The emulator serves only the certificates of Key Vault (/certificates/..., /deletedcertificates/...); this path is not one of them.", "")
}

// namePattern is the rule for certificate names: "^[0-9a-zA-Z-]+$", at
// most 127 characters
// (https://learn.microsoft.com/rest/api/keyvault/certificates/import-certificate/import-certificate).
var namePattern = regexp.MustCompile(`^[0-9A-Za-z-]{1,127}$`)

// validName answers 400 BadParameter for a name Key Vault refuses.
func (rq *request) validName(name string) bool {
	if namePattern.MatchString(name) {
		return true
	}
	writeError(rq.w, http.StatusBadRequest, "BadParameter", fmt.Sprintf(
		"The request URI contains an invalid name: %s. A name is 1 to 127 letters, digits and dashes.", emulator.Clip(name)), "")
	return false
}

// authenticated checks the bearer token; without one it answers Key
// Vault's challenge, with a wrong one 401 as well.
func (s *Service) authenticated(w http.ResponseWriter, r *http.Request) bool {
	values := r.Header.Values("Authorization")
	token := ""
	if len(values) == 1 {
		scheme, t, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			token = strings.TrimSpace(t)
		}
	}
	if token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.token)) == 1 {
		return true
	}
	w.Header().Set("WWW-Authenticate", s.Challenge(r))
	msg := msgNoToken
	if len(values) > 0 {
		msg = msgBadToken
	}
	writeError(w, http.StatusUnauthorized, "Unauthorized", msg, "")
	return false
}

// Challenge is the WWW-Authenticate header of a 401 answer to r, in Key
// Vault's format
// (https://learn.microsoft.com/azure/key-vault/general/authentication-requests-and-responses).
func (s *Service) Challenge(r *http.Request) string {
	return fmt.Sprintf(`Bearer authorization="%s%s", resource="%s"`, Authority, s.tenant, Resource(r))
}

// Resource is the resource a token for r is asked for: "https://" and the
// host r was sent to, without the port (Key Vault's is
// https://vault.azure.net for every vault under vault.azure.net).
func Resource(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return "https://" + host
}

// apiVersionPattern accepts the api-versions of the Key Vault data plane
// the SDKs send: 7.0 to 7.6, previews among them (7.6-preview.2), and the
// date-named 2025-07-01.
var apiVersionPattern = regexp.MustCompile(`^(7\.[0-6](-preview(\.[0-9]{1,2})?)?|2025-07-01)$`)

// apiVersion returns the api-version, or answers 400 BadParameter.
func apiVersion(w http.ResponseWriter, r *http.Request) (string, bool) {
	v := r.URL.Query().Get("api-version")
	switch {
	case v == "":
		writeError(w, http.StatusBadRequest, "BadParameter", msgNoVersion, "")
		return "", false
	case !apiVersionPattern.MatchString(strings.ToLower(v)):
		writeError(w, http.StatusBadRequest, "BadParameter", fmt.Sprintf(
			"The specified version (%s) is not recognized. Consider using the latest supported version (7.5).", emulator.Clip(v)), "")
		return "", false
	}
	return strings.ToLower(v), true
}

// Errors.

// errorBody is Key Vault's error:
// {"error": {"code": "...", "message": "...", "innererror": {"code": "..."}}}
// (KeyVaultError in the reference).
type errorBody struct {
	Code       string      `json:"code"`
	Message    string      `json:"message"`
	InnerError *innerError `json:"innererror,omitempty"`
}

type innerError struct {
	Code string `json:"code"`
}

type keyVaultError struct {
	Error errorBody `json:"error"`
}

// writeError answers a Key Vault error; inner, if not "", is the code of
// its innererror.
func writeError(w http.ResponseWriter, status int, code, message, inner string) {
	e := keyVaultError{Error: errorBody{Code: code, Message: message}}
	if inner != "" {
		e.Error.InnerError = &innerError{Code: inner}
	}
	writeJSON(w, status, &e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	emulator.WriteJSON(w, status, v)
}

func (s *Service) internalError(w http.ResponseWriter, err error) {
	s.h.Logf("emulator: %v", err)
	writeError(w, http.StatusInternalServerError, "InternalServerError", "The emulator could not save its state; the change was not made.", "")
}

// newVersion returns a certificate version: 32 lower-case hex digits.
func newVersion() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// unix is t in Unix seconds, as Key Vault writes times.
func unix(t time.Time) int64 { return t.Unix() }
