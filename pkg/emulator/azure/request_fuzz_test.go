package azure_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/internal/emutest"
	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

var fuzzMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead, http.MethodPatch, http.MethodOptions, "PROPFIND"}

// FuzzHandlerRequests sends requests with arbitrary methods, paths,
// queries, x-ms-version and If-Match headers, credentials and bodies
// through Handler (classic and ARM) and checks that the emulator never
// panics, never answers 5xx without an injected fault, and answers every
// 4xx with an error body in the API's format (XML for classic, JSON for
// ARM and Entra ID), with a request id.
func FuzzHandlerRequests(f *testing.F) {
	fx := emutest.Certs(f)
	srv, err := azure.New(azure.Config{
		Trust: []*x509.Certificate{fx.Admin.Cert}, Services: []string{"web"},
		APIMServices: []string{emutest.APIMRG + "/" + emutest.APIMName}, MaxManagementCerts: 5,
		EntraApps:   []string{"ci-deploy"},
		VPNGateways: []string{"rg-net/vpngw"},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	pfx, err := export.EncodePFX(fx.Site.Key, fx.Site.Cert, nil, export.PFXOptions{Password: "pw"})
	if err != nil {
		f.Fatal(err)
	}
	sub := srv.Subscription
	arm := "/subscriptions/" + sub + "/resourceGroups/" + emutest.APIMRG + "/providers/Microsoft.ApiManagement/service/" + emutest.APIMName + "/certificates"
	type seed struct {
		method         uint8
		path, query    string
		version, match string
		cert, token    bool
		body           []byte
	}
	for _, s := range []seed{
		{0, "/" + sub + "/certificates", "", mgmtclient.APIVersion, "", true, false, nil},
		{1, "/" + sub + "/certificates", "", mgmtclient.APIVersion, "", true, false, emutest.Marshal(f, emutest.AddBody(fx.Certs[0]))},
		{0, "/" + sub + "/certificates/" + emutest.Thumb(fx.Admin.DER), "", "2012-03-01", "", true, false, nil},
		{3, "/" + sub + "/certificates/" + strings.Repeat("0", 40), "", mgmtclient.APIVersion, "", true, false, nil},
		{1, "/" + sub + "/services/hostedservices/web/certificates", "", mgmtclient.APIVersion, "", true, false,
			emutest.Marshal(f, mgmtclient.CertificateFile{Data: emutest.B64(pfx), Format: "pfx", Password: "pw"})},
		{0, "/" + sub + "/services/hostedservices/web/certificates/sha1-" + emutest.Thumb(fx.Site.DER), "", mgmtclient.APIVersion, "", true, false, nil},
		{0, "/" + sub + "/operations/00000000-0000-0000-0000-000000000000", "", mgmtclient.APIVersion, "", true, false, nil},
		{0, "/" + sub + "/certificates", "", "", "", false, false, nil},
		{0, "/" + strings.ToUpper(sub) + "//certificates/", "", "1999-01-01", "", true, false, nil},
		{0, arm, "api-version=" + emutest.APIMVersion, "", "", false, true, nil},
		{0, arm, "api-version=" + emutest.APIMVersion + "&$top=1&$skip=0", "", "", false, true, nil},
		{2, arm + "/fuzz", "api-version=" + emutest.APIMVersion, "", "*", false, true, []byte(`{"properties":{"data":"` + emutest.B64(pfx) + `","password":"pw"}}`)},
		{3, arm + "/fuzz", "api-version=" + emutest.APIMVersion, "", `"x"`, false, true, nil},
		{4, arm + "/fuzz", "api-version=2010-01-01", "", "", false, true, nil},
		{0, "/subscriptions/" + sub + "/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworkGateways/vpngw", "api-version=2024-05-01", "", "", false, true, nil},
		{2, "/subscriptions/" + sub + "/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworkGateways/vpngw", "api-version=2024-05-01", "", `W/"x"`, false, true, []byte(`{"properties":{}}`)},
		{0, "/subscriptions/" + sub + "/providers/Microsoft.Network/locations/westeurope/operations/x", "api-version=2024-05-01", "", "", false, true, nil},
		{0, "/SUBSCRIPTIONS/x/resourcegroups", "api-version=%zz", "", "", false, false, nil},
		{7, "/", "", "", "", false, false, []byte("<x/>")},
		{0, "/v1.0/applications/" + srv.Graph.Apps()[0].ObjectID, "$select=keyCredentials", "", "", false, true, nil},
		{5, "/v1.0/applications(appId='" + srv.Graph.Apps()[0].AppID + "')", "", "", "", false, true, []byte(`{"keyCredentials":[]}`)},
		{1, "/" + srv.Graph.Tenant() + "/oauth2/v2.0/token", "", "", "", false, false, []byte("grant_type=client_credentials&client_id=x&scope=y")},
		{0, "/common/discovery/instance", "api-version=1.1", "", "", false, false, nil},
		{0, "/" + sub + "/v2.0/.well-known/openid-configuration", "", "", "", true, false, nil},
	} {
		f.Add(s.method, s.path, s.query, s.version, s.match, s.cert, s.token, s.body)
	}
	h := srv.Handler()
	unknown := fx.ECCert
	f.Fuzz(func(t *testing.T, method uint8, path, query, msVersion, ifMatch string, cert, token bool, body []byte) {
		req := &http.Request{
			Method: fuzzMethods[int(method)%len(fuzzMethods)],
			URL:    &url.URL{Path: path, RawQuery: query},
			Header: http.Header{}, Host: "127.0.0.1",
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, RemoteAddr: "127.0.0.1:1",
		}
		req.RequestURI = req.URL.RequestURI()
		if msVersion != "" {
			req.Header.Set("x-ms-version", msVersion)
		}
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		if token {
			req.Header.Set("Authorization", "Bearer "+srv.APIM.Token())
		}
		peer := unknown
		if cert {
			peer = fx.Admin.Cert
		}
		req.TLS = &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{peer}}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		isARM := len(path) >= len("/subscriptions/") && strings.EqualFold(path[:len("/subscriptions/")], "/subscriptions/")
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s = %d, want no server error (body %q)", req.Method, path, query, rec.Code, rec.Body)
		}
		if rec.Header().Get("x-ms-request-id") == "" && rec.Code != http.StatusForbidden {
			t.Fatalf("%s %s = %d without x-ms-request-id", req.Method, path, rec.Code)
		}
		if rec.Code < 400 || req.Method == http.MethodHead {
			return
		}
		if srv.Graph.Owns(req) {
			// Graph's {"error": {"code", "message"}} or the identity
			// platform's {"error": "...", "error_codes": [...]}.
			var e struct {
				Error json.RawMessage `json:"error"`
				Codes []int           `json:"error_codes"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || len(e.Error) == 0 {
				t.Fatalf("%s %s = %d with body %q, want a JSON error (%v)", req.Method, path, rec.Code, rec.Body, err)
			}
			return
		}
		if isARM {
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%s %s = %d with body %q, want a JSON error (%v)", req.Method, path, rec.Code, rec.Body, err)
			}
			return
		}
		var e mgmtclient.ErrorBody
		if err := xml.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" || e.Message == "" {
			t.Fatalf("%s %s = %d with body %q, want an XML error (%v)", req.Method, path, rec.Code, rec.Body, err)
		}
	})
}
