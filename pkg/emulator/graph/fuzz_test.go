package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/internal/emutest"
)

var fuzzMethods = []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete, http.MethodHead}

// FuzzRequests sends arbitrary methods, paths, queries, tokens and bodies
// to Graph and the token endpoint through Handler, with an application
// that holds a credential: the emulator must never panic nor answer 5xx,
// and must answer every 4xx in the API's format (Graph's error for
// /v1.0, the identity platform's AADSTS error otherwise).
func FuzzRequests(f *testing.F) {
	fx := emutest.Certs(f)
	srv, err := azure.New(azure.Config{ARMToken: token, EntraApps: []string{"ci-deploy"}, Now: emutest.NewClock().Now})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	app := srv.Graph.Apps()[0]
	h := srv.Handler()
	send := func(method, path, query string, tok bool, body []byte) *httptest.ResponseRecorder {
		req := &http.Request{
			Method: method, URL: &url.URL{Path: path, RawQuery: query}, Header: http.Header{}, Host: "127.0.0.1",
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, RemoteAddr: "127.0.0.1:1",
		}
		req.RequestURI = req.URL.RequestURI()
		if tok {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	obj := "/v1.0/applications/" + app.ObjectID
	patch, _ := json.Marshal(map[string]any{"keyCredentials": []any{cred(fx.Admin.Cert, nil)}})
	if rec := send(http.MethodPatch, obj, "", true, patch); rec.Code != http.StatusNoContent {
		f.Fatalf("PATCH = %d %s", rec.Code, rec.Body)
	}
	now := emutest.FixedNow
	endpoint := srv.Graph.TokenEndpoint("https://127.0.0.1")
	addKey, _ := json.Marshal(map[string]any{"keyCredential": map[string]any{"type": "AsymmetricX509Cert", "usage": "Verify", "key": emutest.B64(fx.Site.DER)},
		"passwordCredential": nil, "proof": proof(f, fx.Admin.Cert, app.ObjectID, now)})
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {app.AppID}, "scope": {"https://127.0.0.1/.default"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion(f, fx.Admin.Cert, app.AppID, endpoint, now)}}.Encode()
	tenant := srv.Graph.Tenant()
	for _, s := range []struct {
		method      uint8
		path, query string
		tok         bool
		body        []byte
	}{
		{0, obj, "", true, nil},
		{0, obj, "$select=keyCredentials,id", true, nil},
		{0, "/v1.0/servicePrincipals(appId='" + app.AppID + "')", "", true, nil},
		{0, "/v1.0/applications", "$select=displayName", true, nil},
		{2, obj, "", true, patch},
		{2, obj, "", true, []byte(`{"keyCredentials":[{"key":null}]}`)},
		{1, obj + "/addKey", "", true, addKey},
		{1, obj + "/removeKey", "", true, []byte(`{"keyId":"00000000-0000-4000-8000-000000000000","proof":"a.b.c"}`)},
		{0, obj, "", false, nil},
		{0, "/v1.0/applications(appId=')", "", true, nil},
		{1, "/" + tenant + "/oauth2/v2.0/token", "", false, []byte(form)},
		{1, "/" + tenant + "/oauth2/v2.0/token", "", false, []byte("grant_type=client_credentials&client_assertion=x.y.z")},
		{0, "/" + tenant + "/v2.0/.well-known/openid-configuration", "", false, nil},
		{0, "/common/discovery/instance", "api-version=1.1&authorization_endpoint=https%3A%2F%2F127.0.0.1%2Ft%2Foauth2%2Fv2.0%2Fauthorize", false, nil},
		{0, "/common/discovery/instance", "authorization_endpoint=%zz", false, nil},
	} {
		f.Add(s.method, s.path, s.query, s.tok, s.body)
	}
	f.Fuzz(func(t *testing.T, method uint8, path, query string, tok bool, body []byte) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		r := &http.Request{URL: &url.URL{Path: path}}
		if !srv.Graph.Owns(r) {
			return
		}
		m := fuzzMethods[int(method)%len(fuzzMethods)]
		rec := send(m, path, query, tok, body)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s = %d, want no server error (body %s)", m, path, query, rec.Code, rec.Body)
		}
		if rec.Header().Get("request-id") == "" {
			t.Fatalf("%s %s = %d without request-id", m, path, rec.Code)
		}
		if rec.Code < 400 || m == http.MethodHead {
			return
		}
		var e struct {
			Error       json.RawMessage `json:"error"`
			Description string          `json:"error_description"`
			Codes       []int           `json:"error_codes"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
			t.Fatalf("%s %s = %d with body %q: %v", m, path, rec.Code, rec.Body, err)
		}
		first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		if strings.EqualFold(first, "v1.0") {
			var g struct{ Code, Message string }
			if json.Unmarshal(e.Error, &g) != nil || g.Code == "" || g.Message == "" {
				t.Fatalf("%s %s = %d with body %q, want Graph's error", m, path, rec.Code, rec.Body)
			}
			return
		}
		if len(e.Codes) != 1 || !strings.HasPrefix(e.Description, "AADSTS") {
			t.Fatalf("%s %s = %d with body %q, want an AADSTS error", m, path, rec.Code, rec.Body)
		}
	})
}
