package graph_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/emulatortest"
	"github.com/azcert/azcert/pkg/emulator/graph"
	"github.com/azcert/azcert/pkg/emulator/internal/emutest"
	"github.com/azcert/azcert/pkg/emulator/keyvault"
	"github.com/azcert/azcert/pkg/entra"
)

const token = "graph-test-token"

// entraEmu is an emulator for a test and a plain client for it.
type entraEmu struct {
	srv *azure.Emulator
	clk *emutest.Clock
	c   *http.Client
	app graph.App // "ci-deploy"
}

func newEntra(t *testing.T, edit func(*azure.Config)) *entraEmu {
	t.Helper()
	clk := emutest.NewClock()
	cfg := azure.Config{ARMToken: token, Now: clk.Now, EntraApps: []string{"ci-deploy", "other"}}
	if edit != nil {
		edit(&cfg)
	}
	srv := emulatortest.NewServer(t, cfg)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.CertPool()}}
	t.Cleanup(tr.CloseIdleConnections)
	e := &entraEmu{srv: srv, clk: clk, c: &http.Client{Transport: tr}}
	if apps := srv.Graph.Apps(); len(apps) > 0 {
		e.app = apps[0]
	}
	return e
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends method path with body and, unless tok is "", the bearer token.
func (e *entraEmu) do(t *testing.T, method, path string, body []byte, tok string, header ...string) answer {
	t.Helper()
	a := emutest.Bearer(t, e.c, method, e.srv.URL+path, body, tok, header...)
	return answer{a.Status, a.Header, a.Body}
}

func wantStatus(t *testing.T, what string, a answer, status int) {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: status = %d, want %d (body %s)", what, a.status, status, a.body)
	}
}

// wantGraphError checks Graph's error format and its code.
func wantGraphError(t *testing.T, what string, a answer, status int, code, inMessage string) {
	t.Helper()
	wantStatus(t, what, a, status)
	var e struct {
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
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("%s: body %s is not Graph's error: %v", what, a.body, err)
	}
	if e.Error.Code != code || !strings.Contains(e.Error.Message, inMessage) {
		t.Errorf("%s: error %q %q, want code %q with %q", what, e.Error.Code, e.Error.Message, code, inMessage)
	}
	if e.Error.InnerError.RequestID == "" || e.Error.InnerError.RequestID != a.header.Get("request-id") || e.Error.InnerError.Date == "" {
		t.Errorf("%s: innerError %+v, request-id header %q", what, e.Error.InnerError, a.header.Get("request-id"))
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json;odata.metadata=minimal") {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
}

func decode[T any](t *testing.T, a answer) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("decoding %s: %v", a.body, err)
	}
	return v
}

// cred is a keyCredential as a test sends it.
func cred(c *x509.Certificate, extra map[string]any) map[string]any {
	sum := sha1.Sum(c.Raw)
	m := map[string]any{"type": "AsymmetricX509Cert", "usage": "Verify", "key": base64.StdEncoding.EncodeToString(c.Raw),
		"displayName": "CN=" + c.Subject.CommonName, "customKeyIdentifier": strings.ToUpper(hex.EncodeToString(sum[:]))}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

func (e *entraEmu) patch(t *testing.T, path string, creds ...map[string]any) answer {
	t.Helper()
	return e.do(t, http.MethodPatch, path, mustJSON(t, map[string]any{"keyCredentials": creds}), token)
}

type wireCred struct {
	CustomKeyIdentifier string  `json:"customKeyIdentifier"`
	DisplayName         string  `json:"displayName"`
	EndDateTime         string  `json:"endDateTime"`
	Key                 *string `json:"key"`
	KeyID               string  `json:"keyId"`
	StartDateTime       string  `json:"startDateTime"`
	Type                string  `json:"type"`
	Usage               string  `json:"usage"`
}

type object struct {
	Context        string     `json:"@odata.context"`
	ID             string     `json:"id"`
	AppID          string     `json:"appId"`
	DisplayName    string     `json:"displayName"`
	AppDisplayName string     `json:"appDisplayName"`
	KeyCredentials []wireCred `json:"keyCredentials"`
}

func TestIDsAreFixedByName(t *testing.T) {
	a, b := graph.AppFor("ci-deploy"), graph.AppFor("ci-deploy")
	if a != b || a.AppID == a.ObjectID || a.ObjectID == a.ServicePrincipalID || graph.AppFor("other").AppID == a.AppID {
		t.Fatalf("AppFor = %+v and %+v, want the same distinct ids for one name", a, b)
	}
	for _, id := range []string{a.AppID, a.ObjectID, a.ServicePrincipalID} {
		if len(id) != 36 || id[14] != '4' {
			t.Errorf("id %q is not a version-4 GUID", id)
		}
	}
	e := newEntra(t, nil)
	if got := e.srv.Graph.Apps(); len(got) != 2 || got[0] != a || got[1] != graph.AppFor("other") {
		t.Errorf("Apps() = %+v", got)
	}
	if e.srv.Graph.Tenant() != keyvault.DefaultTenant || e.srv.Graph.Tenant() != e.srv.KeyVault.Tenant() {
		t.Errorf("Tenant() = %q, want Key Vault's %q", e.srv.Graph.Tenant(), keyvault.DefaultTenant)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, cfg := range []graph.Config{
		{},
		{Token: "t", Apps: []string{"a", "A"}},
		{Token: "t", Apps: []string{""}},
		{Token: "t", Apps: []string{"bad\nname"}},
		{Token: "t", Tenant: "common"},
		{Token: "t", Tenant: "a/b"},
	} {
		if _, err := graph.New(cfg); err == nil {
			t.Errorf("New(%+v) = nil error", cfg)
		}
	}
}

// Both kinds of object, by object id and by app id.
func TestGetObjects(t *testing.T) {
	e := newEntra(t, nil)
	client := "0f7c8d2e-1111-4222-8333-444455556666"
	for _, tt := range []struct {
		path, kind, id string
	}{
		{"/v1.0/applications/" + e.app.ObjectID, "applications", e.app.ObjectID},
		{"/v1.0/applications(appId='" + e.app.AppID + "')", "applications", e.app.ObjectID},
		{"/V1.0/Applications/" + strings.ToUpper(e.app.ObjectID), "applications", e.app.ObjectID},
		{"/v1.0/servicePrincipals/" + e.app.ServicePrincipalID, "servicePrincipals", e.app.ServicePrincipalID},
		{"/v1.0/servicePrincipals(appId='" + e.app.AppID + "')", "servicePrincipals", e.app.ServicePrincipalID},
	} {
		a := e.do(t, http.MethodGet, tt.path, nil, token, "client-request-id", client)
		wantStatus(t, tt.path, a, http.StatusOK)
		o := decode[object](t, a)
		if o.ID != tt.id || o.AppID != e.app.AppID || o.DisplayName != "ci-deploy" || o.KeyCredentials == nil ||
			o.Context != e.srv.URL+"/v1.0/$metadata#"+tt.kind+"/$entity" {
			t.Errorf("GET %s = %+v", tt.path, o)
		}
		if (tt.kind == "servicePrincipals") != (o.AppDisplayName == "ci-deploy") {
			t.Errorf("GET %s: appDisplayName %q", tt.path, o.AppDisplayName)
		}
		if a.header.Get("client-request-id") != client || a.header.Get("request-id") == "" {
			t.Errorf("GET %s: request-id %q, client-request-id %q", tt.path, a.header.Get("request-id"), a.header.Get("client-request-id"))
		}
	}
	list := decode[struct{ Value []object }](t, e.do(t, http.MethodGet, "/v1.0/applications", nil, token))
	if len(list.Value) != 2 {
		t.Errorf("GET /v1.0/applications: %d objects, want 2", len(list.Value))
	}
	wantGraphError(t, "unknown id", e.do(t, http.MethodGet, "/v1.0/applications/"+e.app.AppID, nil, token), 404, "Request_ResourceNotFound", e.app.AppID)
	wantGraphError(t, "bad id", e.do(t, http.MethodGet, "/v1.0/applications/nope", nil, token), 400, "Request_BadRequest", "Invalid object identifier 'nope'")
	wantGraphError(t, "bad select", e.do(t, http.MethodGet, "/v1.0/applications/"+e.app.ObjectID+"?$select=secret", nil, token), 400, "Request_BadRequest", "secret")
	wantGraphError(t, "other collection", e.do(t, http.MethodGet, "/v1.0/users", nil, token), 400, "Request_BadRequest", "users")
	wantGraphError(t, "DELETE", e.do(t, http.MethodDelete, "/v1.0/applications/"+e.app.ObjectID, nil, token), 405, "Request_BadRequest", "GET, PATCH")
}

func TestAuthentication(t *testing.T) {
	e := newEntra(t, nil)
	path := "/v1.0/applications/" + e.app.ObjectID
	a := e.do(t, http.MethodGet, path, nil, "")
	wantGraphError(t, "no token", a, 401, "InvalidAuthenticationToken", "empty")
	if h := a.header.Get("WWW-Authenticate"); !strings.Contains(h, `client_id="00000003-0000-0000-c000-000000000000"`) {
		t.Errorf("WWW-Authenticate = %q", h)
	}
	wantGraphError(t, "wrong token", e.do(t, http.MethodGet, path, nil, "nope"), 401, "InvalidAuthenticationToken", "validation failure")
}

// PATCH replaces the collection; key comes back only with $select on one
// object; customKeyIdentifier is echoed, and defaults to the thumbprint.
func TestPatchKeyCredentials(t *testing.T) {
	e := newEntra(t, nil)
	fx := emutest.Certs(t)
	path := "/v1.0/applications/" + e.app.ObjectID
	keyID := "6c2f3b1a-0d4e-4f5a-8b6c-7d8e9f0a1b2c"
	wantStatus(t, "PATCH", e.patch(t, path, cred(fx.Admin.Cert, map[string]any{"keyId": keyID}), cred(fx.Certs[0].Cert, map[string]any{"customKeyIdentifier": nil, "displayName": nil,
		"startDateTime": "2025-03-15T00:00:00.123Z", "endDateTime": "2025-06-01T00:00:00Z"})), http.StatusNoContent)

	plain := decode[object](t, e.do(t, http.MethodGet, path, nil, token))
	if len(plain.KeyCredentials) != 2 || plain.KeyCredentials[0].Key != nil {
		t.Fatalf("GET without $select: %+v, want 2 credentials with key null", plain.KeyCredentials)
	}
	a := e.do(t, http.MethodGet, path+"?$select=keyCredentials", nil, token)
	if bytes.Contains(a.body, []byte(`"appId"`)) || !strings.Contains(string(a.body), `#applications(keyCredentials)/$entity`) {
		t.Errorf("GET $select=keyCredentials = %s, want only keyCredentials", a.body)
	}
	got := decode[object](t, a).KeyCredentials
	admin, second := got[0], got[1]
	if admin.Key == nil || *admin.Key != emutest.B64(fx.Admin.DER) || admin.KeyID != keyID || admin.CustomKeyIdentifier != emutest.Thumb(fx.Admin.DER) ||
		admin.StartDateTime != fx.Admin.Cert.NotBefore.UTC().Format("2006-01-02T15:04:05Z") || admin.Type != "AsymmetricX509Cert" || admin.Usage != "Verify" {
		t.Errorf("first credential = %+v", admin)
	}
	sum := sha1.Sum(fx.Certs[0].DER)
	if second.CustomKeyIdentifier != base64.StdEncoding.EncodeToString(sum[:]) || second.StartDateTime != "2025-03-15T00:00:00Z" ||
		second.EndDateTime != "2025-06-01T00:00:00Z" || len(second.KeyID) != 36 || second.DisplayName != "" {
		t.Errorf("second credential = %+v, want the thumbprint as customKeyIdentifier, dates as sent without fractions", second)
	}
	list := decode[struct{ Value []object }](t, e.do(t, http.MethodGet, "/v1.0/applications?$select=keyCredentials", nil, token))
	if k := list.Value[0].KeyCredentials; len(k) != 2 || k[0].Key != nil {
		t.Errorf("a list with $select=keyCredentials shows keys: %+v", k)
	}
	// The service principal has credentials of its own.
	sp := decode[object](t, e.do(t, http.MethodGet, "/v1.0/servicePrincipals/"+e.app.ServicePrincipalID, nil, token))
	if len(sp.KeyCredentials) != 0 {
		t.Errorf("the service principal has %d credentials, want 0", len(sp.KeyCredentials))
	}

	for _, tt := range []struct {
		name string
		body any
		want string
	}{
		{"no key", map[string]any{"keyCredentials": []any{cred(fx.Admin.Cert, map[string]any{"key": nil})}}, "'key' is required"},
		{"null key", map[string]any{"keyCredentials": []any{cred(fx.Admin.Cert, map[string]any{"key": ""})}}, "'key' is required"},
		{"not a certificate", map[string]any{"keyCredentials": []any{cred(fx.Admin.Cert, map[string]any{"key": "AAAA"})}}, "not an X.509 certificate"},
		{"symmetric", map[string]any{"keyCredentials": []any{cred(fx.Admin.Cert, map[string]any{"type": "Symmetric"})}}, "type and usage"},
		{"bad date", map[string]any{"keyCredentials": []any{cred(fx.Admin.Cert, map[string]any{"endDateTime": "tomorrow"})}}, "ISO 8601"},
		{"end after the certificate", map[string]any{"keyCredentials": []any{cred(fx.Admin.Cert, map[string]any{"endDateTime": fx.Admin.Cert.NotAfter.Add(time.Second).UTC().Format(time.RFC3339)})}}, "end date is invalid"},
		{"start before the certificate", map[string]any{"keyCredentials": []any{cred(fx.Admin.Cert, map[string]any{"startDateTime": fx.Admin.Cert.NotBefore.Add(-time.Second).UTC().Format(time.RFC3339)})}}, "start date is invalid"},
		{"twice", map[string]any{"keyCredentials": []any{cred(fx.Admin.Cert, map[string]any{"keyId": keyID}), cred(fx.Site.Cert, map[string]any{"keyId": keyID})}}, "used twice"},
		{"unknown property", map[string]any{"keyCredentials": []any{}, "identifierUris": []string{}}, "identifierUris"},
		{"not a list", map[string]any{"keyCredentials": "x"}, "collection"},
	} {
		wantGraphError(t, tt.name, e.do(t, http.MethodPatch, path, mustJSON(t, tt.body), token), 400, "Request_BadRequest", tt.want)
	}
	if n := len(decode[object](t, e.do(t, http.MethodGet, path, nil, token)).KeyCredentials); n != 2 {
		t.Errorf("after refused PATCHes: %d credentials, want the 2 from before", n)
	}
	wantStatus(t, "PATCH to none", e.patch(t, "/v1.0/applications(appId='"+e.app.AppID+"')"), http.StatusNoContent)
	if n := len(decode[object](t, e.do(t, http.MethodGet, path, nil, token)).KeyCredentials); n != 0 {
		t.Errorf("after PATCH []: %d credentials", n)
	}
}

// proof makes a proof of possession for objectID with fx's key and cert.
func proof(t testing.TB, cert *x509.Certificate, objectID string, now time.Time) string {
	t.Helper()
	p, err := entra.ProofOfPossession(emutest.Certs(t).Key, cert, entra.ProofOptions{ObjectID: objectID, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// signed makes a JWT with arbitrary claims, signed RS256 by fx's key and
// naming cert by x5t.
func signed(t testing.TB, cert *x509.Certificate, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["x5t"] = entra.X5T(cert.Raw)
	s, err := tok.SignedString(emutest.Certs(t).Key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAddKeyAndRemoveKey(t *testing.T) {
	for _, kind := range []string{"applications", "servicePrincipals"} {
		t.Run(kind, func(t *testing.T) {
			e := newEntra(t, nil)
			fx := emutest.Certs(t)
			id := e.app.ObjectID
			if kind == "servicePrincipals" {
				id = e.app.ServicePrincipalID
			}
			path := "/v1.0/" + kind + "/" + id
			wantStatus(t, "PATCH", e.patch(t, path, cred(fx.Admin.Cert, nil)), http.StatusNoContent)
			newKey := map[string]any{"type": "AsymmetricX509Cert", "usage": "Verify", "key": emutest.B64(fx.Certs[0].DER)}
			add := func(p string) answer {
				return e.do(t, http.MethodPost, path+"/addKey", mustJSON(t, map[string]any{"keyCredential": newKey, "passwordCredential": nil, "proof": p}), token)
			}
			now := e.clk.Now()
			a := add(proof(t, fx.Admin.Cert, id, now))
			wantStatus(t, "addKey", a, http.StatusOK)
			added := decode[wireCred](t, a)
			sum := sha1.Sum(fx.Certs[0].DER)
			if added.Key != nil || len(added.KeyID) != 36 || added.CustomKeyIdentifier != base64.StdEncoding.EncodeToString(sum[:]) || added.DisplayName != fx.Certs[0].Cert.Subject.String() {
				t.Errorf("addKey = %+v", added)
			}
			if n := len(decode[object](t, e.do(t, http.MethodGet, path, nil, token)).KeyCredentials); n != 2 {
				t.Errorf("after addKey: %d credentials, want 2", n)
			}
			for _, tt := range []struct {
				name, proof string
				want        string
			}{
				{"no proof", "", "no proof"},
				{"garbage", "a.b", "not a JWT"},
				{"another object's id", proof(t, fx.Admin.Cert, e.app.AppID, now), "issuer"},
				{"an unregistered certificate", proof(t, fx.Certs[3].Cert, id, now), "names none"},
				{"expired", proof(t, fx.Admin.Cert, id, now.Add(-11*time.Minute)), "not valid now"},
				{"not yet valid", proof(t, fx.Admin.Cert, id, now.Add(time.Minute)), "not valid now"},
				{"wrong audience", signed(t, fx.Admin.Cert, jwt.MapClaims{"aud": "00000003-0000-0000-c000-000000000000", "iss": id, "nbf": now.Unix(), "exp": now.Unix() + 600}), "audience"},
				{"too long", signed(t, fx.Admin.Cert, jwt.MapClaims{"aud": graph.ProofAudience, "iss": id, "nbf": now.Unix(), "exp": now.Unix() + 601}), "10 minutes"},
				{"tampered", tamper(proof(t, fx.Admin.Cert, id, now)), "signature"},
			} {
				wantGraphError(t, tt.name, add(tt.proof), 401, "Authentication_MissingOrMalformed", tt.want)
			}
			remove := func(keyID, p string) answer {
				return e.do(t, http.MethodPost, path+"/removeKey", mustJSON(t, map[string]any{"keyId": keyID, "proof": p}), token)
			}
			// The new key proves possession too, and removes itself.
			wantStatus(t, "removeKey", remove(added.KeyID, proof(t, fx.Certs[0].Cert, id, now)), http.StatusNoContent)
			wantGraphError(t, "removeKey again", remove(added.KeyID, proof(t, fx.Admin.Cert, id, now)), 404, "Request_ResourceNotFound", added.KeyID)
			got := decode[object](t, e.do(t, http.MethodGet, path, nil, token)).KeyCredentials
			if len(got) != 1 || got[0].CustomKeyIdentifier != emutest.Thumb(fx.Admin.DER) {
				t.Errorf("after removeKey: %+v", got)
			}
			// Once the only certificate has expired, no proof can be made.
			e.clk.Advance(2 * 365 * 24 * time.Hour)
			wantGraphError(t, "only an expired key", add(proof(t, fx.Admin.Cert, id, e.clk.Now())), 401, "Authentication_MissingOrMalformed", "no current certificate")
		})
	}
}

// tamper changes one claim of a JWT, keeping its signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	claims = bytes.Replace(claims, []byte(`"nbf":`), []byte(`"nbf":1,"x":`), 1)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(claims) + "." + parts[2]
}

func urlEscape(s string) string { return url.QueryEscape(s) }

func assertion(t testing.TB, cert *x509.Certificate, clientID, aud string, now time.Time) string {
	t.Helper()
	a, err := entra.ClientAssertion(emutest.Certs(t).Key, cert, entra.AssertionOptions{ClientID: clientID, TokenEndpoint: aud, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestTokenEndpoint(t *testing.T) {
	e := newEntra(t, nil)
	fx := emutest.Certs(t)
	wantStatus(t, "PATCH", e.patch(t, "/v1.0/applications/"+e.app.ObjectID, cred(fx.Admin.Cert, nil)), http.StatusNoContent)
	endpoint := e.srv.Graph.TokenEndpoint(e.srv.URL)
	now := e.clk.Now()
	form := func(edit map[string]string) map[string]string {
		f := map[string]string{"grant_type": "client_credentials", "client_id": e.app.AppID, "scope": e.srv.URL + "/.default",
			"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
			"client_assertion":      assertion(t, fx.Admin.Cert, e.app.AppID, endpoint, now)}
		for k, v := range edit {
			f[k] = v
		}
		return f
	}
	a := e.post(t, endpoint, form(nil))
	wantStatus(t, "token", a, http.StatusOK)
	tok := decode[struct {
		TokenType    string `json:"token_type"`
		ExpiresIn    int    `json:"expires_in"`
		ExtExpiresIn int    `json:"ext_expires_in"`
		AccessToken  string `json:"access_token"`
	}](t, a)
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 3599 || tok.ExtExpiresIn != 3599 || tok.AccessToken == "" {
		t.Fatalf("token = %+v", tok)
	}
	// The token reads its own application, not another's.
	wantStatus(t, "own application", e.do(t, http.MethodGet, "/v1.0/applications/"+e.app.ObjectID, nil, tok.AccessToken), http.StatusOK)
	other := graph.AppFor("other")
	wantGraphError(t, "other application", e.do(t, http.MethodGet, "/v1.0/applications/"+other.ObjectID, nil, tok.AccessToken), 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	if n := len(decode[struct{ Value []object }](t, e.do(t, http.MethodGet, "/v1.0/applications", nil, tok.AccessToken)).Value); n != 1 {
		t.Errorf("the app's token lists %d applications, want its own", n)
	}
	e.clk.Advance(3600 * time.Second)
	wantGraphError(t, "expired token", e.do(t, http.MethodGet, "/v1.0/applications/"+e.app.ObjectID, nil, tok.AccessToken), 401, "InvalidAuthenticationToken", "validation")
	now = e.clk.Now()

	unknown := "11111111-2222-4333-8444-555555555555"
	for _, tt := range []struct {
		name   string
		edit   map[string]string
		tenant string
		status int
		err    string
		code   int
	}{
		{"unknown client", map[string]string{"client_id": unknown, "client_assertion": assertion(t, fx.Admin.Cert, unknown, endpoint, now)}, "", 400, "unauthorized_client", 700016},
		{"other tenant", nil, "contoso.onmicrosoft.com", 400, "invalid_request", 90002},
		{"unregistered certificate", map[string]string{"client_assertion": assertion(t, fx.Certs[2].Cert, e.app.AppID, endpoint, now)}, "", 401, "invalid_client", 700027},
		{"wrong audience", map[string]string{"client_assertion": assertion(t, fx.Admin.Cert, e.app.AppID, "https://login.microsoftonline.com/x/oauth2/v2.0/token", now)}, "", 401, "invalid_client", 700212},
		{"expired", map[string]string{"client_assertion": assertion(t, fx.Admin.Cert, e.app.AppID, endpoint, now.Add(-11*time.Minute))}, "", 401, "invalid_client", 700024},
		{"from the future", map[string]string{"client_assertion": assertion(t, fx.Admin.Cert, e.app.AppID, endpoint, now.Add(6*time.Minute))}, "", 401, "invalid_client", 700024},
		{"iss is not client_id", map[string]string{"client_assertion": assertion(t, fx.Admin.Cert, other.AppID, endpoint, now)}, "", 401, "invalid_client", 700021},
		{"tampered", map[string]string{"client_assertion": tamper(assertion(t, fx.Admin.Cert, e.app.AppID, endpoint, now))}, "", 401, "invalid_client", 700027},
		{"malformed", map[string]string{"client_assertion": "x.y"}, "", 400, "invalid_request", 50027},
		{"no assertion", map[string]string{"client_assertion": ""}, "", 401, "invalid_client", 7000216},
		{"scope without .default", map[string]string{"scope": e.srv.URL + "/Application.ReadWrite.All"}, "", 400, "invalid_scope", 1002012},
		{"no scope", map[string]string{"scope": ""}, "", 400, "invalid_request", 900144},
		{"password grant", map[string]string{"grant_type": "password"}, "", 400, "unsupported_grant_type", 70003},
	} {
		ep := e.srv.Graph.TokenEndpoint(e.srv.URL)
		if tt.tenant != "" {
			ep = strings.Replace(ep, e.srv.Graph.Tenant(), tt.tenant, 1)
		}
		a := e.post(t, ep, form(tt.edit))
		wantAADSTS(t, tt.name, a, tt.status, tt.err, tt.code)
	}
	// An expired credential signs no more.
	e.clk.Advance(2 * 365 * 24 * time.Hour)
	late := e.clk.Now()
	wantAADSTS(t, "expired credential", e.post(t, endpoint, form(map[string]string{"client_assertion": assertion(t, fx.Admin.Cert, e.app.AppID, endpoint, late)})), 401, "invalid_client", 700027)
}

func (e *entraEmu) post(t *testing.T, endpoint string, form map[string]string) answer {
	t.Helper()
	vals := make([]string, 0, len(form))
	for k, v := range form {
		if v != "" {
			vals = append(vals, k+"="+urlEscape(v))
		}
	}
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(strings.Join(vals, "&")))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := e.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, data}
}

func wantAADSTS(t *testing.T, what string, a answer, status int, oauthErr string, code int) {
	t.Helper()
	var e struct {
		Error         string `json:"error"`
		Description   string `json:"error_description"`
		Codes         []int  `json:"error_codes"`
		Timestamp     string `json:"timestamp"`
		TraceID       string `json:"trace_id"`
		CorrelationID string `json:"correlation_id"`
		ErrorURI      string `json:"error_uri"`
	}
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("%s: body %s: %v", what, a.body, err)
	}
	prefix := "AADSTS" + itoa(code) + ": "
	if a.status != status || e.Error != oauthErr || len(e.Codes) != 1 || e.Codes[0] != code || !strings.HasPrefix(e.Description, prefix) ||
		e.TraceID == "" || e.CorrelationID == "" || e.Timestamp == "" || e.ErrorURI == "" {
		t.Errorf("%s: %d %+v, want %d %s %s", what, a.status, e, status, oauthErr, prefix)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestFaultsInEachFormat(t *testing.T) {
	e := newEntra(t, nil)
	e.srv.Inject(emulator.Fault{Kind: emulator.FaultThrottle, Count: 2})
	a := e.do(t, http.MethodGet, "/v1.0/applications/"+e.app.ObjectID, nil, token)
	wantGraphError(t, "Graph throttled", a, 429, "TooManyRequests", "retry")
	if a.header.Get("Retry-After") != "1" {
		t.Errorf("Graph throttled: Retry-After %q", a.header.Get("Retry-After"))
	}
	a = e.post(t, e.srv.Graph.TokenEndpoint(e.srv.URL), map[string]string{"grant_type": "client_credentials"})
	wantAADSTS(t, "token throttled", a, 429, "temporarily_unavailable", 90055)
	if a.header.Get("Retry-After") != "1" {
		t.Errorf("token throttled: Retry-After %q", a.header.Get("Retry-After"))
	}
	e.srv.Inject(emulator.Fault{Kind: emulator.FaultInternalError})
	wantGraphError(t, "Graph 500", e.do(t, http.MethodGet, "/v1.0/applications/"+e.app.ObjectID, nil, token), 500, "UnknownError", "")
	e.srv.Inject(emulator.Fault{Kind: emulator.FaultInternalError})
	wantAADSTS(t, "token 500", e.post(t, e.srv.Graph.TokenEndpoint(e.srv.URL), nil), 500, "server_error", 90033)
}

// Service Management's paths stay Service Management's.
func TestOwnsNoServiceManagementPath(t *testing.T) {
	g, err := graph.New(graph.Config{Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		"/v1.0/applications": true, "/V1.0": true, "/t/oauth2/v2.0/token": true, "/t/v2.0/.well-known/openid-configuration": true,
		"/common/discovery/instance": true,
		"/sub/certificates":          false, "/sub/services/hostedservices/web/certificates": false, "/sub/operations/x": false,
		"/certificates/x": false, "/subscriptions/x": false, "/": false, "/v1.0x/applications": false,
	} {
		r, _ := http.NewRequest(http.MethodGet, "https://127.0.0.1"+path, nil)
		if got := g.Owns(r); got != want {
			t.Errorf("Owns(%s) = %v, want %v", path, got, want)
		}
	}
}

func TestStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	fx := emutest.Certs(t)
	e := newEntra(t, func(c *azure.Config) { c.StatePath = state })
	wantStatus(t, "PATCH app", e.patch(t, "/v1.0/applications/"+e.app.ObjectID, cred(fx.Admin.Cert, nil), cred(fx.Site.Cert, map[string]any{"customKeyIdentifier": nil})), http.StatusNoContent)
	wantStatus(t, "PATCH sp", e.patch(t, "/v1.0/servicePrincipals/"+e.app.ServicePrincipalID, cred(fx.Certs[1].Cert, nil)), http.StatusNoContent)
	read := func(e *entraEmu, path string) []byte {
		// The context names the port, which differs after a restart.
		return mustJSON(t, decode[object](t, e.do(t, http.MethodGet, path+"?$select=id,keyCredentials", nil, token)).KeyCredentials)
	}
	before := [][]byte{read(e, "/v1.0/applications/"+e.app.ObjectID), read(e, "/v1.0/servicePrincipals/"+e.app.ServicePrincipalID)}
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(state)
	if err != nil || !bytes.Contains(data, []byte(`"entra"`)) {
		t.Fatalf("state file %s (%v), want an entra member", data, err)
	}
	// Restarted with one more application and the first not named: it
	// keeps every credential.
	again := newEntra(t, func(c *azure.Config) { c.StatePath = state; c.EntraApps = []string{"third"} })
	after := [][]byte{read(again, "/v1.0/applications/"+e.app.ObjectID), read(again, "/v1.0/servicePrincipals/"+e.app.ServicePrincipalID)}
	for i := range before {
		if !bytes.Equal(before[i], after[i]) {
			t.Errorf("after a restart:\n%s\nwant\n%s", after[i], before[i])
		}
	}
	if apps := again.srv.Graph.Apps(); len(apps) != 3 || apps[0].Name != "third" {
		t.Errorf("Apps() after a restart = %+v", apps)
	}

	// Without applications the state file has no entra member.
	plain := filepath.Join(dir, "plain.json")
	p := newEntra(t, func(c *azure.Config) { c.StatePath = plain; c.EntraApps = nil })
	wantStatus(t, "a Key Vault-free change", p.do(t, http.MethodGet, "/v1.0/applications", nil, token), http.StatusOK)
	_ = p.srv.Close()
	if data, err := os.ReadFile(plain); err == nil && bytes.Contains(data, []byte(`"entra"`)) {
		t.Errorf("state without applications = %s", data)
	}

	// A corrupt member is a StateError.
	bad := filepath.Join(dir, "bad.json")
	broken := regexp.MustCompile(`"keyId": *"`).ReplaceAll(data, []byte(`"keyId": "x`))
	if err := os.WriteFile(bad, broken, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := azure.New(azure.Config{ARMToken: token, StatePath: bad}); err == nil || !strings.Contains(err.Error(), "Entra ID application") {
		t.Errorf("a corrupt entra member: %v", err)
	}
}

// certFor makes a certificate valid now (the wall clock) for the SDK's
// tests, with fx's key.
func certFor(t *testing.T) *x509.Certificate {
	t.Helper()
	n, err := certgen.ParseNames([]string{"ci-deploy"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := certgen.Sign(certgen.Request{Names: n, Purpose: certgen.PurposeEntra, Now: time.Now()}, emutest.Certs(t).Key)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Cert.PublicKey.(*rsa.PublicKey); !ok {
		t.Fatal("not RSA")
	}
	return r.Cert
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
