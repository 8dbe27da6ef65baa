package graph

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/azcert/azcert/pkg/emulator"
)

// The OAuth 2.0 values of the client credentials flow with a certificate
// (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow).
const (
	grantClientCredentials = "client_credentials"
	assertionTypeJWT       = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// identityError is the identity platform's error body.
type identityError struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	Codes         []int  `json:"error_codes"`
	Timestamp     string `json:"timestamp"`
	TraceID       string `json:"trace_id"`
	CorrelationID string `json:"correlation_id"`
	ErrorURI      string `json:"error_uri"`
}

const identityContentType = "application/json; charset=utf-8"

// writeAADSTS answers an identity platform error: error is the OAuth 2.0
// error, code the AADSTS number, message its text.
func (s *Service) writeAADSTS(w http.ResponseWriter, r *http.Request, status int, oauthErr string, code int, message string) {
	now := s.h.Now().UTC()
	trace, corr := w.Header().Get("request-id"), w.Header().Get("client-request-id")
	e := identityError{
		Error: oauthErr,
		Description: fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
			code, message, trace, corr, now.Format("2006-01-02 15:04:05Z")),
		Codes: []int{code}, Timestamp: now.Format("2006-01-02 15:04:05Z"),
		TraceID: trace, CorrelationID: corr,
		ErrorURI: s.h.BaseURL(r) + "/error?code=" + fmt.Sprint(code),
	}
	w.Header().Set("x-ms-ests-server", "azcert-emulator")
	writeJSON(w, status, identityContentType, &e)
}

func (s *Service) writeIdentityFault(w http.ResponseWriter, r *http.Request, kind emulator.FaultKind, location string) {
	switch kind {
	case emulator.FaultThrottle:
		w.Header().Set("Retry-After", "1")
		s.writeAADSTS(w, r, http.StatusTooManyRequests, "temporarily_unavailable", 90055,
			"TenantThrottlingError: There are too many incoming requests. This tenant is being throttled. Retry after some time.")
	case emulator.FaultInternalError:
		s.writeAADSTS(w, r, http.StatusInternalServerError, "server_error", 90033, "A transient error has occurred. Please try again.")
	case emulator.FaultRedirect:
		s.writeAADSTS(w, r, http.StatusTemporaryRedirect, "temporarily_unavailable", 90033, "The request must be sent to "+location+".")
	}
}

// serveIdentity serves the identity platform's paths.
func (s *Service) serveIdentity(w http.ResponseWriter, r *http.Request, c *emulator.Call) {
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	path := strings.ToLower(strings.Join(segs[1:], "/"))
	switch {
	case strings.EqualFold(segs[0], "common") && path == "discovery/instance":
		if s.allowIdentity(w, r, http.MethodGet) {
			s.instanceDiscovery(w, r)
		}
	case path == "v2.0/.well-known/openid-configuration":
		if s.allowIdentity(w, r, http.MethodGet) && s.knownTenant(w, r, segs[0], "invalid_tenant") {
			s.openIDConfiguration(w, r, segs[0])
		}
	case path == "oauth2/v2.0/token":
		if s.allowIdentity(w, r, http.MethodPost) && s.knownTenant(w, r, segs[0], "invalid_request") {
			s.serveToken(w, r, c, segs[0])
		}
	default:
		s.writeAADSTS(w, r, http.StatusNotFound, "invalid_request", 900561,
			"The endpoint "+emulator.Clip(r.URL.Path)+" is not one the emulator serves (it serves /{tenant}/oauth2/v2.0/token, /{tenant}/v2.0/.well-known/openid-configuration and /common/discovery/instance).")
	}
}

func (s *Service) allowIdentity(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header().Set("Allow", method)
	s.writeAADSTS(w, r, http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts "+method+" requests. Received a "+emulator.Clip(r.Method)+" request.")
	return false
}

// knownTenant answers AADSTS90002 for a tenant other than the emulator's.
func (s *Service) knownTenant(w http.ResponseWriter, r *http.Request, tenant, oauthErr string) bool {
	if strings.EqualFold(tenant, s.tenant) {
		return true
	}
	s.writeAADSTS(w, r, http.StatusBadRequest, oauthErr, 90002, fmt.Sprintf(
		"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. The emulator's tenant is %s.", emulator.Clip(tenant), s.tenant))
	return false
}

// TokenEndpoint is the token endpoint of the emulator at base, which is
// also the audience a client assertion must name.
func (s *Service) TokenEndpoint(base string) string {
	return base + "/" + s.tenant + "/oauth2/v2.0/token"
}

// openIDConfiguration answers the OpenID Connect discovery document, with
// the fields MSAL reads (authorization_endpoint, token_endpoint, issuer).
func (s *Service) openIDConfiguration(w http.ResponseWriter, r *http.Request, tenant string) {
	base := s.h.BaseURL(r) + "/" + tenant
	writeJSON(w, http.StatusOK, identityContentType, map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                base + "/v2.0",
		"request_uri_parameter_supported":       false,
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"tenant_region_scope":                   "NA",
		"cloud_instance_name":                   "azcert-emulator",
		"msgraph_host":                          strings.TrimPrefix(s.h.BaseURL(r), "https://"),
	})
}

// instanceDiscovery answers MSAL's instance discovery (api-version 1.1)
// for an authorization_endpoint on the emulator's own host: its tenant
// discovery endpoint, and the host as the only alias. Another host is
// AADSTS50049, as Entra ID answers an unknown instance.
func (s *Service) instanceDiscovery(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	base := s.h.BaseURL(r)
	host := strings.TrimPrefix(base, "https://")
	if err != nil || q.Get("authorization_endpoint") == "" {
		s.writeAADSTS(w, r, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'authorization_endpoint'.")
		return
	}
	u, err := url.Parse(q.Get("authorization_endpoint"))
	if err != nil || u.Scheme != "https" || !strings.EqualFold(u.Host, host) {
		s.writeAADSTS(w, r, http.StatusBadRequest, "invalid_instance", 50049, "Unknown or invalid instance. The emulator is the instance "+base+".")
		return
	}
	tenant, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if tenant == "" {
		tenant = "common"
	}
	writeJSON(w, http.StatusOK, identityContentType, map[string]any{
		"tenant_discovery_endpoint": base + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": host, "preferred_cache": host, "aliases": []string{host},
		}},
	})
}

// serveToken serves the client credentials grant with a certificate's client
// assertion.
func (s *Service) serveToken(w http.ResponseWriter, r *http.Request, c *emulator.Call, tenant string) {
	if c.BodyErr != nil {
		s.writeAADSTS(w, r, http.StatusBadRequest, "invalid_request", 900144, "The request body could not be read.")
		return
	}
	form, err := url.ParseQuery(string(c.Body))
	if err != nil {
		s.writeAADSTS(w, r, http.StatusBadRequest, "invalid_request", 900144, "The request body must be application/x-www-form-urlencoded.")
		return
	}
	for _, p := range []string{"grant_type", "client_id", "scope"} {
		if form.Get(p) == "" {
			s.writeAADSTS(w, r, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: '"+p+"'.")
			return
		}
	}
	clientID := form.Get("client_id")
	switch {
	case form.Get("grant_type") != grantClientCredentials:
		s.writeAADSTS(w, r, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+emulator.Clip(form.Get("grant_type"))+"'; the emulator supports client_credentials.")
		return
	case !validScope(form.Get("scope")):
		s.writeAADSTS(w, r, http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope "+emulator.Clip(form.Get("scope"))+" is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
		return
	case form.Get("client_assertion") == "":
		s.writeAADSTS(w, r, http.StatusUnauthorized, "invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
		return
	case form.Get("client_assertion_type") != assertionTypeJWT:
		s.writeAADSTS(w, r, http.StatusBadRequest, "invalid_request", 50027, "The client_assertion_type must be "+assertionTypeJWT+".")
		return
	}
	s.h.Lock()
	a := s.byAppID(clientID)
	var creds []*keyCred
	if a != nil {
		creds = append(creds, a.appCreds...)
	}
	s.h.Unlock()
	if a == nil {
		s.writeAADSTS(w, r, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf(
			"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", emulator.Clip(clientID), s.tenant))
		return
	}
	if st, oauthErr, code, msg := s.checkAssertion(r, form.Get("client_assertion"), clientID, creds); code != 0 {
		s.writeAADSTS(w, r, st, oauthErr, code, msg)
		return
	}
	writeJSON(w, http.StatusOK, identityContentType, map[string]any{
		"token_type": "Bearer", "expires_in": TokenLifetime, "ext_expires_in": TokenLifetime,
		"access_token": s.issue(a.ids.AppID, s.h.Now()),
	})
}

// byAppID finds an application by its app id; the Host is locked.
func (s *Service) byAppID(appID string) *app {
	for _, a := range s.apps {
		if strings.EqualFold(a.ids.AppID, appID) {
			return a
		}
	}
	return nil
}

// validScope wants one scope ending in /.default; OpenID Connect's scopes
// (which MSAL adds) may come with it.
func validScope(scope string) bool {
	n := 0
	for _, sc := range strings.Fields(scope) {
		switch {
		case strings.HasSuffix(sc, "/.default") && len(sc) > len("/.default"):
			n++
		case sc == "openid" || sc == "profile" || sc == "offline_access":
		default:
			return false
		}
	}
	return n == 1
}

// checkAssertion verifies a client assertion
// (https://learn.microsoft.com/entra/identity-platform/certificate-credentials)
// against the application's certificate credentials; a code of 0 means it
// is good.
func (s *Service) checkAssertion(r *http.Request, assertion, clientID string, creds []*keyCred) (status int, oauthErr string, code int, msg string) {
	now := s.h.Now()
	bad := func(code int, msg string) (int, string, int, string) {
		return http.StatusUnauthorized, "invalid_client", code, msg
	}
	tok, err := parseJWT(assertion)
	if err != nil {
		return http.StatusBadRequest, "invalid_request", 50027, "JWT token is invalid or malformed: " + err.Error()
	}
	k := tok.match(creds)
	if k == nil {
		return bad(700027, fmt.Sprintf("The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '%s', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.]", tok.thumbHex(), clientID))
	}
	if err := tok.verify(k.cert); err != nil {
		return bad(700027, "Client assertion failed signature validation: "+err.Error())
	}
	if now.Before(k.start) || !now.Before(k.end) {
		return bad(700027, fmt.Sprintf("Client assertion contains an invalid signature. [Reason - The key used is expired or not yet valid (%s to %s).]", k.start.Format(time.RFC3339), k.end.Format(time.RFC3339)))
	}
	c := tok.claims
	aud := s.TokenEndpoint(s.h.BaseURL(r))
	switch {
	case c.Iss != clientID || c.Sub != clientID:
		return bad(700021, "Client assertion application identifier doesn't match 'client_id' parameter: iss and sub must both be "+clientID+".")
	case !c.hasAud(aud):
		return bad(700212, "The audience (aud) of the client assertion must be the token endpoint "+aud+".")
	case c.Exp == nil || now.Unix() >= *c.Exp:
		return bad(700024, "Client assertion is not within its valid time range: it has expired (exp).")
	case c.Nbf != nil && time.Unix(*c.Nbf, 0).After(now.Add(ClockSkew)):
		return bad(700024, "Client assertion is not within its valid time range: it is not valid yet (nbf).")
	}
	return 0, "", 0, ""
}
