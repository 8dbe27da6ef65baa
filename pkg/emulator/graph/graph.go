// Package graph emulates the part of Microsoft Entra ID that holds an
// application's certificate credentials, as a service of an
// emulator.Server on the same port as the other services: Microsoft
// Graph's applications and service principals, and the Microsoft identity
// platform's token endpoint that takes a client assertion signed with one
// of those certificates. The Graph endpoint and the authority are both the
// server's URL. It is written from Microsoft's references, so that the
// official SDKs (azidentity, MSAL), not only azcert, can use it:
//
//   - application and servicePrincipal, keyCredential:
//     https://learn.microsoft.com/graph/api/resources/application,
//     https://learn.microsoft.com/graph/api/resources/keycredential
//   - Update application (PATCH keyCredentials replaces the collection):
//     https://learn.microsoft.com/graph/api/application-update
//   - addKey and removeKey with a proof of possession:
//     https://learn.microsoft.com/graph/api/application-addkey,
//     https://learn.microsoft.com/graph/application-rollkey-prooftoken
//   - errors and throttling:
//     https://learn.microsoft.com/graph/errors,
//     https://learn.microsoft.com/graph/throttling
//   - the client credentials flow with a certificate:
//     https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow,
//     https://learn.microsoft.com/entra/identity-platform/certificate-credentials
//   - AADSTS error codes:
//     https://learn.microsoft.com/entra/identity-platform/reference-error-codes
//
// Each application named in Config.Apps has an application object and a
// service principal, with ids made from its name (AppFor), so that
// documentation and scripts can show them. The paths, with OBJ either
// {object-id} or (appId='{app-id}'):
//
//	GET    /v1.0/{applications|servicePrincipals}[/OBJ]   the object (or all), $select honoured
//	PATCH  /v1.0/{applications|servicePrincipals}/OBJ     {"keyCredentials":[...]} replaces them (204)
//	POST   /v1.0/{applications|servicePrincipals}/OBJ/addKey     (200, the new keyCredential)
//	POST   /v1.0/{applications|servicePrincipals}/OBJ/removeKey  (204)
//	POST   /{tenant}/oauth2/v2.0/token                    client credentials with a client assertion
//	GET    /{tenant}/v2.0/.well-known/openid-configuration
//	GET    /common/discovery/instance                     MSAL's instance discovery
//
// Graph takes "Authorization: Bearer <Config.Token>" (every right), or a
// token the token endpoint issued (the rights of an application that owns
// itself: its own application and service principal only; other objects
// are 403 Authorization_RequestDenied). A keyCredential's key is returned
// only when $select names keyCredentials and one object is read, as Graph
// does. Graph's errors are {"error":{"code","message","innerError"}} with
// the request-id and client-request-id headers; the token endpoint's are
// OAuth 2.0 errors with AADSTS codes. Throttling faults answer 429 with
// Retry-After in both.
//
// Its member of the state file is "entra".
package graph

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/emulator/keyvault"
)

// ProofAudience is the audience of an addKey or removeKey proof: the
// application id of the Azure AD Graph resource.
const ProofAudience = "00000002-0000-0000-c000-000000000000"

// GraphAppID is the application id of Microsoft Graph, named in the
// WWW-Authenticate header of Graph's 401 answers.
const GraphAppID = "00000003-0000-0000-c000-000000000000"

// TokenLifetime is the expires_in of an issued token, in seconds, as the
// identity platform writes it.
const TokenLifetime = 3599

// ClockSkew is how far a client assertion's nbf may lie in the future, as
// Entra ID allows.
const ClockSkew = 5 * time.Minute

// MaxProofLifetime is the longest exp - nbf of a proof of possession.
const MaxProofLifetime = 10 * time.Minute

// Limits that keep a request, or the state, bounded.
const (
	// MaxApps is the most applications a Config may name.
	MaxApps = 100
	// MaxKeyCredentials is the most certificate credentials an object
	// holds.
	MaxKeyCredentials = 100
	// maxTokens is the most issued tokens remembered; the oldest is
	// forgotten first.
	maxTokens = 1000
	// maxJWT is the longest client assertion or proof read.
	maxJWT = 16 << 10
	// maxNameLen is the longest application name (Graph's displayName
	// holds 256 characters).
	maxNameLen = 256
)

// Config configures a Service.
type Config struct {
	// Token is the bearer token Graph accepts with every right; it must
	// not be empty (package azure gives the ARM token).
	Token string
	// Tenant is the one tenant id; "" means keyvault.DefaultTenant, the
	// tenant of the emulator's Key Vault.
	Tenant string
	// Apps names the applications, each with an application object and a
	// service principal (azcert emulator --entra-app NAME).
	Apps []string
}

// App is an application as the emulator holds it: its name and ids.
type App struct {
	// Name is the display name of the application and its service
	// principal.
	Name string
	// AppID is the application (client) id.
	AppID string
	// ObjectID is the object id of the application.
	ObjectID string
	// ServicePrincipalID is the object id of the service principal.
	ServicePrincipalID string
}

// Service is the Entra ID emulator, an emulator.Service. Its methods are
// safe for concurrent use once it is attached to a Server.
type Service struct {
	token  string
	tenant string
	h      *emulator.Host

	// apps are in the order configured (then those only in the state
	// file); guarded by the Host's lock.
	apps []*app

	tokMu  sync.Mutex
	tokens map[string]issued
	order  []string // tokens, oldest first
}

// issued is a token the token endpoint gave out.
type issued struct {
	appID   string
	expires time.Time
}

var _ emulator.Service = (*Service)(nil)

var tenantPattern = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.-]{0,99}$`)

// New returns an Entra ID emulator, to be given to emulator.New.
func New(cfg Config) (*Service, error) {
	if cfg.Token == "" {
		return nil, errors.New("graph: the bearer token is empty")
	}
	s := &Service{token: cfg.Token, tenant: cfg.Tenant, tokens: map[string]issued{}}
	if s.tenant == "" {
		s.tenant = keyvault.DefaultTenant
	}
	if !tenantPattern.MatchString(s.tenant) || isReservedTenant(s.tenant) {
		return nil, fmt.Errorf("graph: the tenant %q is not a tenant ID or domain", s.tenant)
	}
	if len(cfg.Apps) > MaxApps {
		return nil, fmt.Errorf("graph: %d applications, at most %d", len(cfg.Apps), MaxApps)
	}
	for _, name := range cfg.Apps {
		if err := CheckAppName(name); err != nil {
			return nil, err
		}
		if s.find(name) != nil {
			return nil, fmt.Errorf("the application %q is named twice", name)
		}
		s.apps = append(s.apps, newApp(name))
	}
	return s, nil
}

// isReservedTenant reports the tenant aliases that are not one tenant.
func isReservedTenant(t string) bool {
	switch strings.ToLower(t) {
	case "common", "organizations", "consumers":
		return true
	}
	return false
}

// CheckAppName refuses an application name the emulator cannot hold: empty,
// over 256 characters, not UTF-8, or with control characters.
func CheckAppName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("an application name is empty")
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxNameLen:
		return fmt.Errorf("the application name %q is not UTF-8 of at most %d characters", emulator.Clip(name), maxNameLen)
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("the application name %q has control characters", emulator.Clip(name))
	}
	return nil
}

// AppFor returns the ids the emulator gives an application named name:
// GUIDs made from the SHA-256 of "azcert-emulator-entra:", the kind of id
// and the name, so they are the same on every run.
func AppFor(name string) App {
	return App{Name: name, AppID: nameGUID("appId", name), ObjectID: nameGUID("application", name), ServicePrincipalID: nameGUID("servicePrincipal", name)}
}

func nameGUID(kind, name string) string {
	sum := sha256.Sum256([]byte("azcert-emulator-entra:" + kind + ":" + name))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return emulator.DashedGUID(hex.EncodeToString(b))
}

// Attach implements emulator.Service.
func (s *Service) Attach(h *emulator.Host) error {
	if s.h != nil {
		return errors.New("graph: the service is attached to a server already")
	}
	s.h = h
	return nil
}

// Tenant returns the one tenant id.
func (s *Service) Tenant() string { return s.tenant }

// Token returns the bearer token Graph accepts with every right.
func (s *Service) Token() string { return s.token }

// Apps returns the applications, in the order configured.
func (s *Service) Apps() []App {
	if s.h != nil {
		s.h.Lock()
		defer s.h.Unlock()
	}
	out := make([]App, 0, len(s.apps))
	for _, a := range s.apps {
		out = append(out, a.ids)
	}
	return out
}

// Owns implements emulator.Service: paths whose first segment is "v1.0"
// (in any case), /{tenant}/oauth2/..., /{tenant}/v2.0/... and
// /common/discovery/...; none of them is a Service Management path.
func (s *Service) Owns(r *http.Request) bool {
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if strings.EqualFold(segs[0], "v1.0") {
		return true
	}
	if len(segs) < 3 {
		return false
	}
	return strings.EqualFold(segs[1], "oauth2") || strings.EqualFold(segs[1], "v2.0") ||
		(strings.EqualFold(segs[0], "common") && strings.EqualFold(segs[1], "discovery"))
}

// isGraph reports whether r is for Graph rather than the identity
// platform.
func isGraph(r *http.Request) bool {
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return strings.EqualFold(first, "v1.0")
}

// Begin implements emulator.Service: a GUID request id, sent as request-id
// (Graph) and with client-request-id, the client's own if it sent one.
func (s *Service) Begin(w http.ResponseWriter, r *http.Request) string {
	id := emulator.NewGUID()
	client := r.Header.Get("client-request-id")
	if !guidPattern.MatchString(client) {
		client = id
	}
	w.Header().Set("request-id", id)
	w.Header().Set("client-request-id", client)
	return id
}

// WriteFault implements emulator.Service.
func (s *Service) WriteFault(w http.ResponseWriter, r *http.Request, kind emulator.FaultKind, location string) {
	if !isGraph(r) {
		s.writeIdentityFault(w, r, kind, location)
		return
	}
	switch kind {
	case emulator.FaultThrottle:
		// https://learn.microsoft.com/graph/throttling
		w.Header().Set("Retry-After", "1")
		writeError(w, r, http.StatusTooManyRequests, "TooManyRequests", "Too many requests. Please retry again later.")
	case emulator.FaultInternalError:
		writeError(w, r, http.StatusInternalServerError, "UnknownError", "An internal server error occurred. Please retry the request.")
	case emulator.FaultRedirect:
		writeError(w, r, http.StatusTemporaryRedirect, "TemporaryRedirect", "The request must be sent to "+location+".")
	}
}

// Serve implements emulator.Service.
func (s *Service) Serve(w http.ResponseWriter, r *http.Request, c *emulator.Call) {
	if !isGraph(r) {
		s.serveIdentity(w, r, c)
		return
	}
	caller, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	if c.BodyErr != nil {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "The request body could not be read.")
		return
	}
	rq := &request{w: w, r: r, base: s.h.BaseURL(r), body: c.Body, caller: caller}
	s.serveGraph(rq)
}

// caller is who a Graph request comes from: "" for the configured token
// (every right), else the application id of an issued token.
type caller string

// authenticate checks the bearer token and answers 401 without a good one.
func (s *Service) authenticate(w http.ResponseWriter, r *http.Request) (caller, bool) {
	values := r.Header.Values("Authorization")
	token := ""
	if len(values) == 1 {
		scheme, t, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			token = strings.TrimSpace(t)
		}
	}
	if token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.token)) == 1 {
		return "", true
	}
	if token != "" {
		if appID, ok := s.issuedTo(token); ok {
			return caller(appID), true
		}
	}
	// Graph's 401 names its application and the authority
	// (https://learn.microsoft.com/graph/errors).
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="", authorization_uri="%s/common/oauth2/authorize", client_id="%s"`, s.h.BaseURL(r), GraphAppID))
	msg := "Access token is empty."
	if len(values) > 0 {
		msg = "Access token validation failure. Invalid audience."
	}
	writeError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
	return "", false
}

// issue remembers a new token for appID and returns it.
func (s *Service) issue(appID string, now time.Time) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	s.tokMu.Lock()
	defer s.tokMu.Unlock()
	// Forget the expired ones first, then the oldest, so the map stays
	// bounded.
	kept := s.order[:0]
	for _, t := range s.order {
		if now.Before(s.tokens[t].expires) {
			kept = append(kept, t)
		} else {
			delete(s.tokens, t)
		}
	}
	s.order = kept
	for len(s.order) >= maxTokens {
		delete(s.tokens, s.order[0])
		s.order = s.order[1:]
	}
	s.tokens[tok] = issued{appID: appID, expires: now.Add(TokenLifetime * time.Second)}
	s.order = append(s.order, tok)
	return tok
}

// issuedTo returns the application a token was issued to, if it was and
// has not expired.
func (s *Service) issuedTo(token string) (string, bool) {
	now := s.h.Now()
	s.tokMu.Lock()
	defer s.tokMu.Unlock()
	t, ok := s.tokens[token]
	if !ok || !now.Before(t.expires) {
		return "", false
	}
	return t.appID, true
}

// Errors.

// graphError is Graph's error body
// (https://learn.microsoft.com/graph/errors).
type graphError struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			Date            string `json:"date"`
			RequestID       string `json:"request-id"`
			ClientRequestID string `json:"client-request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

// writeError answers a Graph error; the request ids come from the headers
// Begin set.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	var e graphError
	e.Error.Code, e.Error.Message = code, message
	e.Error.InnerError.Date = time.Now().UTC().Format("2006-01-02T15:04:05")
	e.Error.InnerError.RequestID = w.Header().Get("request-id")
	e.Error.InnerError.ClientRequestID = w.Header().Get("client-request-id")
	writeJSON(w, status, graphContentType, &e)
}

// graphContentType is the Content-Type of Graph's JSON answers.
const graphContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store, no-cache")
	emulator.WriteJSON(w, status, v)
}

func (s *Service) internalError(rq *request, err error) {
	s.h.Logf("emulator: %v", err)
	writeError(rq.w, rq.r, http.StatusInternalServerError, "UnknownError", "The emulator could not save its state; the change was not made.")
}

var guidPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
