package mgmttest_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azcert/azcert/pkg/export"
	"github.com/azcert/azcert/pkg/mgmtclient"
	"github.com/azcert/azcert/pkg/mgmtclient/mgmttest"
)

var fuzzMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead, http.MethodPatch, http.MethodOptions, "PROPFIND"}

// FuzzHandlerRequests sends requests with arbitrary methods, paths,
// queries, x-ms-version and If-Match headers, credentials and bodies
// through Handler (classic and ARM) and checks that the emulator never
// panics, never answers 5xx without an injected fault, and answers every
// 4xx with an error body in the API's format (XML for classic, JSON for
// ARM), with a request id.
func FuzzHandlerRequests(f *testing.F) {
	fx := testFixture(f)
	srv, err := mgmttest.NewUnstartedServer(mgmttest.Config{
		Trust: []*x509.Certificate{fx.admin.Cert}, Services: []string{"web"},
		APIMServices: []string{apimRG + "/" + apimName}, MaxManagementCerts: 5,
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	pfx, err := export.EncodePFX(fx.site.Key, fx.site.Cert, nil, export.PFXOptions{Password: "pw"})
	if err != nil {
		f.Fatal(err)
	}
	sub := srv.Subscription
	arm := "/subscriptions/" + sub + "/resourceGroups/" + apimRG + "/providers/Microsoft.ApiManagement/service/" + apimName + "/certificates"
	type seed struct {
		method         uint8
		path, query    string
		version, match string
		cert, token    bool
		body           []byte
	}
	for _, s := range []seed{
		{0, "/" + sub + "/certificates", "", mgmtclient.APIVersion, "", true, false, nil},
		{1, "/" + sub + "/certificates", "", mgmtclient.APIVersion, "", true, false, marshal(f, addBody(fx.certs[0]))},
		{0, "/" + sub + "/certificates/" + thumb(fx.admin.DER), "", "2012-03-01", "", true, false, nil},
		{3, "/" + sub + "/certificates/" + strings.Repeat("0", 40), "", mgmtclient.APIVersion, "", true, false, nil},
		{1, "/" + sub + "/services/hostedservices/web/certificates", "", mgmtclient.APIVersion, "", true, false,
			marshal(f, mgmtclient.CertificateFile{Data: b64(pfx), Format: "pfx", Password: "pw"})},
		{0, "/" + sub + "/services/hostedservices/web/certificates/sha1-" + thumb(fx.site.DER), "", mgmtclient.APIVersion, "", true, false, nil},
		{0, "/" + sub + "/operations/00000000-0000-0000-0000-000000000000", "", mgmtclient.APIVersion, "", true, false, nil},
		{0, "/" + sub + "/certificates", "", "", "", false, false, nil},
		{0, "/" + strings.ToUpper(sub) + "//certificates/", "", "1999-01-01", "", true, false, nil},
		{0, arm, "api-version=" + apimVersion, "", "", false, true, nil},
		{0, arm, "api-version=" + apimVersion + "&$top=1&$skip=0", "", "", false, true, nil},
		{2, arm + "/fuzz", "api-version=" + apimVersion, "", "*", false, true, []byte(`{"properties":{"data":"` + b64(pfx) + `","password":"pw"}}`)},
		{3, arm + "/fuzz", "api-version=" + apimVersion, "", `"x"`, false, true, nil},
		{4, arm + "/fuzz", "api-version=2010-01-01", "", "", false, true, nil},
		{0, "/SUBSCRIPTIONS/x/resourcegroups", "api-version=%zz", "", "", false, false, nil},
		{7, "/", "", "", "", false, false, []byte("<x/>")},
	} {
		f.Add(s.method, s.path, s.query, s.version, s.match, s.cert, s.token, s.body)
	}
	h := srv.Handler()
	unknown := fx.ecCert
	f.Fuzz(func(t *testing.T, method uint8, path, query, version, ifMatch string, cert, token bool, body []byte) {
		req := &http.Request{
			Method: fuzzMethods[int(method)%len(fuzzMethods)],
			URL:    &url.URL{Path: path, RawQuery: query},
			Header: http.Header{}, Host: "127.0.0.1",
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, RemoteAddr: "127.0.0.1:1",
		}
		req.RequestURI = req.URL.RequestURI()
		if version != "" {
			req.Header.Set("x-ms-version", version)
		}
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		if token {
			req.Header.Set("Authorization", "Bearer "+srv.ARMToken())
		}
		client := unknown
		if cert {
			client = fx.admin.Cert
		}
		req.TLS = &tls.ConnectionState{HandshakeComplete: true, PeerCertificates: []*x509.Certificate{client}}
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

// FuzzLoadState starts emulators on arbitrary state files and checks that
// a file it cannot use is refused with a *StateError and left exactly as it
// was (the emulator never overwrites a corrupt state).
func FuzzLoadState(f *testing.F) {
	fx := testFixture(f)
	dir := f.TempDir()
	good := filepath.Join(dir, "good.json")
	srv, err := mgmttest.NewUnstartedServer(mgmttest.Config{
		StatePath: good, Trust: []*x509.Certificate{fx.admin.Cert, fx.certs[0].Cert}, Services: []string{"web", "api"},
		APIMServices: []string{apimRG + "/" + apimName},
	})
	if err != nil {
		f.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		f.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		f.Fatal(err)
	}
	valid, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(valid),
		string(valid[:len(valid)/2]),
		strings.Replace(string(valid), `"version": 1`, `"version": 2`, 1),
		strings.Replace(string(valid), `"web"`, `"api"`, 1),
		`{"version":1,"subscription":"8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36","managementCertificates":[{"thumbprint":"00","data":"MAA="}]}`,
		`{"version":1,"subscription":"a/b"}`,
		`{"version":1,"subscription":"x","unknown":true}`,
		`{"version":1,"subscription":"x"} {}`,
		strings.Repeat("[", 10000),
		"null",
		"",
	} {
		f.Add([]byte(s))
	}
	path := filepath.Join(dir, "state.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		srv, err := mgmttest.NewUnstartedServer(mgmttest.Config{StatePath: path})
		if err == nil {
			srv.Close()
			return
		}
		var se *mgmttest.StateError
		if !errors.As(err, &se) {
			t.Fatalf("NewUnstartedServer on a bad state file: %T %v, want *StateError", err, err)
		}
		if se.Path != path || !strings.Contains(err.Error(), path) {
			t.Fatalf("StateError %q does not name the file", err)
		}
		after, rerr := os.ReadFile(path)
		if rerr != nil || !bytes.Equal(after, data) {
			t.Fatalf("a refused state file changed (%v)", rerr)
		}
		if strings.Count(err.Error(), "\n") > 0 && len(err.Error()) > 4096 {
			t.Fatalf("StateError is %d bytes over several lines", len(err.Error()))
		}
	})
}

// FuzzParseFault checks the --fault syntax: ParseFault never panics, and
// what it accepts it writes back (Fault.String) in a form it reads to the
// same fault.
func FuzzParseFault(f *testing.F) {
	for _, s := range []string{"throttle", "throttle:3", "internal:2", "reset:1", "delay:3s", "delay:250ms:4",
		"redirect", "redirect:2", "redirect:1:https://127.0.0.1:1/x?y=z", "delay:-1s", "throttle:0", "x:1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ft, err := mgmttest.ParseFault(s)
		if err != nil {
			if ft != (mgmttest.Fault{}) {
				t.Fatalf("ParseFault(%q) = %+v with the error %v", s, ft, err)
			}
			return
		}
		if ft.Count < 1 {
			t.Fatalf("ParseFault(%q).Count = %d", s, ft.Count)
		}
		again, err := mgmttest.ParseFault(ft.String())
		if err != nil || again != ft {
			t.Fatalf("ParseFault(%q) = %+v; ParseFault(%q) = %+v, %v", s, ft, ft.String(), again, err)
		}
	})
}
