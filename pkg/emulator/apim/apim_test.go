package apim_test

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/internal/emutest"
	"github.com/azcert/azcert/pkg/export"
)

const wwwAuthenticate = `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"`

func TestARMAuthentication(t *testing.T) {
	srv := emutest.NewARMServer(t, nil)
	c := emutest.ARMHTTPClient(t, srv)
	tests := []struct {
		name, auth    string
		status        int
		code, message string
	}{
		{"missing", "", http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."},
		{"wrong token", "Bearer not-the-token", http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid."},
		{"token of another server", "Bearer " + strings.Repeat("A", len(srv.APIM.Token())), http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid."},
		{"not bearer", "Basic " + srv.APIM.Token(), http.StatusUnauthorized, "AuthenticationFailed", "invalid format"},
		{"scheme only", "Bearer", http.StatusUnauthorized, "AuthenticationFailed", "invalid format"},
		{"token without scheme", srv.APIM.Token(), http.StatusUnauthorized, "AuthenticationFailed", "invalid format"},
		{"right token", "Bearer " + srv.APIM.Token(), http.StatusOK, "", ""},
		{"scheme in lower case", "bearer " + srv.APIM.Token(), http.StatusOK, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Authentication comes first: the request lacks an api-version.
			u := emutest.CertsPath(srv, emutest.APIMRG, emutest.APIMName)
			if tt.status == http.StatusOK {
				u += "?api-version=" + emutest.APIMVersion
			}
			r := emutest.ARMCall(t, c, srv, http.MethodGet, u, nil, "Authorization", tt.auth)
			if tt.status == http.StatusOK {
				emutest.WantARM(t, "GET", r, http.StatusOK)
				return
			}
			e := emutest.WantARMError(t, "GET", r, tt.status, tt.code, tt.message)
			if tt.code != "AuthenticationFailed" || strings.Contains(tt.message, "missing") {
				if e.Message != tt.message {
					t.Errorf("message = %q, want %q", e.Message, tt.message)
				}
			}
			if got := r.Header.Get("WWW-Authenticate"); got != wwwAuthenticate {
				t.Errorf("WWW-Authenticate = %q, want %q", got, wwwAuthenticate)
			}
		})
	}
}

func TestARMToken(t *testing.T) {
	a, b := emutest.NewARMServer(t, nil), emutest.NewARMServer(t, nil)
	if a.APIM.Token() == b.APIM.Token() {
		t.Errorf("two servers have the same generated token %q", a.APIM.Token())
	}
	if raw, err := base64.RawURLEncoding.DecodeString(a.APIM.Token()); err != nil || len(raw) != 32 {
		t.Errorf("ARMToken() = %q, want 32 random bytes in base64url (%v)", a.APIM.Token(), err)
	}
	fixed := emutest.NewARMServer(t, func(c *azure.Config) { c.ARMToken = "my-test-token" })
	if got := fixed.APIM.Token(); got != "my-test-token" {
		t.Errorf("ARMToken() with Config.ARMToken = %q, want my-test-token", got)
	}
	r := emutest.ARMCall(t, emutest.ARMHTTPClient(t, fixed), fixed, http.MethodGet, emutest.APIMURL(fixed, ""), nil, "Authorization", "Bearer my-test-token")
	emutest.WantARM(t, "GET with the configured token", r, http.StatusOK)
	if _, err := azure.New(azure.Config{ARMToken: "two words"}); err == nil {
		t.Error("azure.New(ARMToken with a space) succeeded, want an error")
	}
}

func TestARMAPIVersion(t *testing.T) {
	srv := emutest.NewARMServer(t, nil)
	c := emutest.ARMHTTPClient(t, srv)
	base := emutest.CertsPath(srv, emutest.APIMRG, emutest.APIMName)
	r := emutest.ARMCall(t, c, srv, http.MethodGet, base, nil)
	e := emutest.WantARMError(t, "GET without api-version", r, http.StatusBadRequest, "MissingApiVersionParameter", "")
	if want := "The api-version query parameter (?api-version=) is required for all requests."; e.Message != want {
		t.Errorf("message = %q, want %q", e.Message, want)
	}
	for _, v := range []string{"2020-12-01", "2024-06-01-preview", "2022-08-02", "latest"} {
		r := emutest.ARMCall(t, c, srv, http.MethodGet, base+"?api-version="+v, nil)
		emutest.WantARMError(t, "GET api-version="+v, r, http.StatusBadRequest, "InvalidApiVersionParameter", "'"+v+"'")
	}
	for _, v := range []string{"2021-08-01", "2022-08-01", "2023-09-01-preview", "2024-05-01"} {
		r := emutest.ARMCall(t, c, srv, http.MethodGet, base+"?api-version="+v, nil)
		emutest.WantARM(t, "GET api-version="+v, r, http.StatusOK)
	}
}

func TestARMNotFound(t *testing.T) {
	srv := emutest.NewARMServer(t, nil)
	c := emutest.ARMHTTPClient(t, srv)
	q := "?api-version=" + emutest.APIMVersion
	other := strings.Replace(emutest.CertsPath(srv, emutest.APIMRG, emutest.APIMName), srv.Subscription, "00000000-0000-0000-0000-000000000000", 1)
	tests := []struct {
		name, url     string
		code, message string
	}{
		{"unknown subscription", other + q, "SubscriptionNotFound", "The subscription '00000000-0000-0000-0000-000000000000' could not be found."},
		{"unknown service", emutest.CertsPath(srv, emutest.APIMRG, "nope") + q, "ResourceNotFound",
			"The Resource 'Microsoft.ApiManagement/service/nope' under resource group 'rg-api' was not found."},
		{"unknown resource group", emutest.CertsPath(srv, "rg-other", emutest.APIMName) + q, "ResourceNotFound",
			"The Resource 'Microsoft.ApiManagement/service/contoso-apim' under resource group 'rg-other' was not found."},
		{"unknown certificate", emutest.APIMURL(srv, "absent"), "ResourceNotFound", "Certificate not found."},
		{"not a certificates path", strings.TrimSuffix(emutest.CertsPath(srv, emutest.APIMRG, emutest.APIMName), "/certificates") + "/backends" + q, "NotFound", "API Management certificates"},
		{"the subscription itself", srv.URL + "/subscriptions/" + srv.Subscription + q, "NotFound", ""},
		{"too deep", emutest.APIMURL(srv, "a/b"), "NotFound", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emutest.WantARMError(t, "GET", emutest.ARMCall(t, c, srv, http.MethodGet, tt.url, nil), http.StatusNotFound, tt.code, tt.message)
		})
	}
	// Subscription, resource group, service and fixed segments are matched
	// without regard to case.
	u := srv.URL + "/SUBSCRIPTIONS/" + strings.ToUpper(srv.Subscription) + "/resourcegroups/RG-API/PROVIDERS/microsoft.apimanagement/Service/Contoso-APIM/Certificates" + q
	emutest.WantARM(t, "GET in other cases", emutest.ARMCall(t, c, srv, http.MethodGet, u, nil), http.StatusOK)
}

func TestARMAPIMServicesConfig(t *testing.T) {
	for _, spec := range []string{"no-slash", "rg/a/b", "/svc", "rg/", "rg/1starts-with-digit", "rg/ends-with-hyphen-", "rg/" + strings.Repeat("a", 51)} {
		if _, err := azure.New(azure.Config{APIMServices: []string{spec}}); err == nil {
			t.Errorf("azure.New(APIMServices %q) succeeded, want an error", spec)
		}
	}
	srv := emutest.NewARMServer(t, func(c *azure.Config) { c.APIMServices = append(c.APIMServices, "Other-RG/second") })
	if got := srv.APIM.Certificates("other-rg", "SECOND"); got == nil || len(got) != 0 {
		t.Errorf("APIMCertificates(other-rg, SECOND) = %#v, want an empty list", got)
	}
	if got := srv.APIM.Certificates(emutest.APIMRG, "nope"); got != nil {
		t.Errorf("APIMCertificates(unknown) = %v, want nil", got)
	}
	if _, err := azure.New(azure.Config{ARMPageSize: -1}); err == nil {
		t.Error("azure.New(ARMPageSize -1) succeeded, want an error")
	}
}

func TestARMInvalidID(t *testing.T) {
	f := emutest.Certs(t)
	srv := emutest.NewARMServer(t, nil)
	c := emutest.ARMHTTPClient(t, srv)
	body := emutest.PutBody(t, emutest.PFXOf(t, f.Certs[0], export.ProfileCompat, "pw"), "pw")
	for _, id := range []string{"1abc", "-abc", "abc-", "a_b", "a.b", "a%20b", "%C3%A9t%C3%A9", strings.Repeat("a", 81)} {
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			var b []byte
			if method == http.MethodPut {
				b = body
			}
			r := emutest.ARMCall(t, c, srv, method, emutest.APIMURL(srv, id), b, "If-Match", "*")
			e := emutest.WantARMError(t, method+" "+id, r, http.StatusBadRequest, "ValidationError", "letters, digits and hyphens")
			if len(e.Details) != 1 || e.Details[0].Target != "certificateId" {
				t.Errorf("%s %s: details = %+v, want one with target certificateId", method, id, e.Details)
			}
		}
	}
	if got := srv.APIM.Certificates(emutest.APIMRG, emutest.APIMName); len(got) != 0 {
		t.Errorf("after refused PUTs, APIMCertificates = %v, want none", got)
	}
	for _, id := range []string{"a", "a-1", "Z9", strings.Repeat("b", 80)} {
		r := emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, id), nil)
		emutest.WantARMError(t, "GET "+id, r, http.StatusNotFound, "ResourceNotFound", "Certificate not found.")
	}
	r := emutest.ARMCall(t, c, srv, http.MethodPut, emutest.APIMURL(srv, strings.Repeat("b", 80)), body)
	emutest.WantARM(t, "PUT an 80-character id", r, http.StatusCreated)
}

func TestARMCreateAndReplace(t *testing.T) {
	f := emutest.Certs(t)
	srv := emutest.NewARMServer(t, nil)
	c := emutest.ARMHTTPClient(t, srv)
	first, second := f.Certs[0], f.Certs[1]

	r := emutest.ARMCall(t, c, srv, http.MethodPut, emutest.APIMURL(srv, "api-client"), emutest.PutBody(t, emutest.PFXOf(t, first, export.ProfileCompat, "s3cret"), "s3cret"))
	emutest.WantARM(t, "PUT create", r, http.StatusCreated)
	etag1 := r.Header.Get("ETag")
	if !regexp.MustCompile(`^"[^"]+"$`).MatchString(etag1) {
		t.Errorf("ETag = %q, want a quoted entity tag", etag1)
	}
	got := emutest.DecodeJSON[emutest.ARMContract](t, r)
	wantID := "/subscriptions/" + srv.Subscription + "/resourceGroups/" + emutest.APIMRG + "/providers/Microsoft.ApiManagement/service/" + emutest.APIMName + "/certificates/api-client"
	if got.ID != wantID || got.Type != "Microsoft.ApiManagement/service/certificates" || got.Name != "api-client" {
		t.Errorf("contract id, type, name = %q, %q, %q; want %q, Microsoft.ApiManagement/service/certificates, api-client", got.ID, got.Type, got.Name, wantID)
	}
	p := got.Properties
	if want := emutest.SHA1Upper(first.DER); p.Thumbprint != want {
		t.Errorf("thumbprint = %q, want %q", p.Thumbprint, want)
	}
	if want := "CN=" + first.Cert.Subject.CommonName; p.Subject != want {
		t.Errorf("subject = %q, want %q", p.Subject, want)
	}
	exp, err := time.Parse(time.RFC3339, p.ExpirationDate)
	if err != nil || !exp.Equal(first.Cert.NotAfter) || !strings.HasSuffix(p.ExpirationDate, "Z") {
		t.Errorf("expirationDate = %q (%v), want %s in UTC", p.ExpirationDate, err, first.Cert.NotAfter.UTC().Format(time.RFC3339))
	}
	if p.KeyVault != nil {
		t.Errorf("keyVault = %s, want none", p.KeyVault)
	}
	if ids := srv.APIM.Certificates(emutest.APIMRG, emutest.APIMName); !slices.Equal(ids, []string{"api-client"}) {
		t.Errorf("APIMCertificates = %v, want [api-client]", ids)
	}

	// GET answers the same contract and ETag; HEAD the ETag alone.
	r = emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, "api-client"), nil)
	emutest.WantARM(t, "GET", r, http.StatusOK)
	if g := emutest.DecodeJSON[emutest.ARMContract](t, r); g.ID != got.ID || g.Properties.Thumbprint != p.Thumbprint || r.Header.Get("ETag") != etag1 {
		t.Errorf("GET = %+v with ETag %q, want %+v with %q", g, r.Header.Get("ETag"), got, etag1)
	}
	r = emutest.ARMCall(t, c, srv, http.MethodHead, emutest.APIMURL(srv, "api-client"), nil)
	if r.Status != http.StatusOK || r.Header.Get("ETag") != etag1 || len(r.Body) != 0 {
		t.Errorf("HEAD = %d with ETag %q and body %q, want 200 with %q and no body", r.Status, r.Header.Get("ETag"), r.Body, etag1)
	}

	replace := emutest.PutBody(t, emutest.PFXOf(t, second, export.ProfileCompat, "pw"), "pw")
	r = emutest.ARMCall(t, c, srv, http.MethodPut, emutest.APIMURL(srv, "api-client"), replace)
	emutest.WantARMError(t, "PUT existing without If-Match", r, http.StatusPreconditionFailed, "PreconditionFailed", "already exists; specify If-Match")

	r = emutest.ARMCall(t, c, srv, http.MethodPut, emutest.APIMURL(srv, "api-client"), replace, "If-Match", "*")
	emutest.WantARM(t, "PUT with If-Match *", r, http.StatusOK)
	etag2 := r.Header.Get("ETag")
	if etag2 == "" || etag2 == etag1 {
		t.Errorf("ETag after replacing = %q, want a new one (was %q)", etag2, etag1)
	}
	if g := emutest.DecodeJSON[emutest.ARMContract](t, r); g.Properties.Thumbprint != emutest.SHA1Upper(second.DER) || g.ID != wantID {
		t.Errorf("PUT with If-Match * = %+v, want the second certificate under the same id", g)
	}

	r = emutest.ARMCall(t, c, srv, http.MethodPut, emutest.APIMURL(srv, "api-client"), replace, "If-Match", etag1)
	emutest.WantARMError(t, "PUT with a stale ETag", r, http.StatusPreconditionFailed, "PreconditionFailed", "ETag")
	r = emutest.ARMCall(t, c, srv, http.MethodPut, emutest.APIMURL(srv, "api-client"), replace, "If-Match", "W/"+etag2)
	emutest.WantARMError(t, "PUT with a weak ETag", r, http.StatusPreconditionFailed, "PreconditionFailed", "ETag")

	// The current ETag, in a list, matches; ids are not case-sensitive and
	// keep the case they were created with.
	r = emutest.ARMCall(t, c, srv, http.MethodPut, emutest.APIMURL(srv, "API-Client"), emutest.PutBody(t, emutest.PFXOf(t, first, export.ProfileCompat, ""), ""), "If-Match", etag1+", "+etag2)
	emutest.WantARM(t, "PUT with the current ETag", r, http.StatusOK)
	if g := emutest.DecodeJSON[emutest.ARMContract](t, r); g.Name != "api-client" || g.Properties.Thumbprint != emutest.SHA1Upper(first.DER) || r.Header.Get("ETag") == etag2 {
		t.Errorf("PUT with the current ETag = %+v with ETag %q, want api-client with the first certificate and a new ETag", g, r.Header.Get("ETag"))
	}

	// A specific ETag for a certificate that does not exist fails; "*" creates.
	r = emutest.ARMCall(t, c, srv, http.MethodPut, emutest.APIMURL(srv, "other"), replace, "If-Match", etag1)
	emutest.WantARMError(t, "PUT new with an ETag", r, http.StatusPreconditionFailed, "PreconditionFailed", "does not exist")
	r = emutest.ARMCall(t, c, srv, http.MethodPut, emutest.APIMURL(srv, "other"), replace, "If-Match", "*")
	emutest.WantARM(t, "PUT new with If-Match *", r, http.StatusCreated)
	if ids := srv.APIM.Certificates(emutest.APIMRG, emutest.APIMName); !slices.Equal(ids, []string{"api-client", "other"}) {
		t.Errorf("APIMCertificates = %v, want [api-client other]", ids)
	}
}

func TestARMPutErrors(t *testing.T) {
	f := emutest.Certs(t)
	cert := f.Certs[0]
	pfx := emutest.PFXOf(t, cert, export.ProfileCompat, "pw")
	noKey, err := pkcs12.LegacyDES.EncodeTrustStore([]*x509.Certificate{cert.Cert}, "pw")
	if err != nil {
		t.Fatal(err)
	}
	good := emutest.PutBody(t, pfx, "pw")
	raw := func(props string) []byte { return []byte(`{"properties":` + props + `}`) }
	tests := []struct {
		name          string
		body          []byte
		status        int
		code, message string
	}{
		{name: "wrong password", body: emutest.PutBody(t, pfx, "wrong"), status: http.StatusBadRequest, code: "ValidationError",
			message: "Invalid certificate password or data. Cannot decrypt the certificate."},
		{name: "no password", body: raw(`{"data":"` + emutest.B64(pfx) + `"}`), status: http.StatusBadRequest, code: "ValidationError",
			message: "Invalid certificate password or data. Cannot decrypt the certificate."},
		{name: "pfx without a key", body: emutest.PutBody(t, noKey, "pw"), status: http.StatusBadRequest, code: "ValidationError", message: "no private key"},
		{name: "a certificate, not a pfx", body: emutest.PutBody(t, cert.DER, ""), status: http.StatusBadRequest, code: "ValidationError", message: "not a valid PFX"},
		{name: "truncated pfx", body: emutest.PutBody(t, pfx[:len(pfx)/2], "pw"), status: http.StatusBadRequest, code: "ValidationError", message: "not a valid PFX"},
		{name: "data not base64", body: raw(`{"data":"???","password":"pw"}`), status: http.StatusBadRequest, code: "ValidationError", message: "base64"},
		{name: "no data", body: raw(`{"password":"pw"}`), status: http.StatusBadRequest, code: "ValidationError", message: "properties.data"},
		{name: "no properties", body: []byte(`{}`), status: http.StatusBadRequest, code: "ValidationError", message: "properties"},
		{name: "key vault", body: raw(`{"keyVault":{"secretIdentifier":"https://v.vault.azure.net/secrets/c"}}`), status: http.StatusBadRequest,
			code: "ValidationError", message: "Key Vault"},
		{name: "empty body", body: []byte{}, status: http.StatusBadRequest, code: "InvalidRequestContent", message: "empty"},
		{name: "malformed JSON", body: good[:len(good)-5], status: http.StatusBadRequest, code: "InvalidRequestContent", message: "could not be deserialized"},
		{name: "unknown field", body: raw(`{"data":"` + emutest.B64(pfx) + `","password":"pw","format":"pfx"}`), status: http.StatusBadRequest,
			code: "InvalidRequestContent", message: "format"},
		{name: "data after the object", body: append(slices.Clone(good), `{}`...), status: http.StatusBadRequest, code: "InvalidRequestContent", message: "after"},
		{name: "data of the wrong type", body: raw(`{"data":42}`), status: http.StatusBadRequest, code: "InvalidRequestContent", message: ""},
		{name: "body over 4 MiB", body: append(slices.Clone(good), bytes.Repeat([]byte(" "), emulator.MaxBodySize)...), status: http.StatusBadRequest,
			code: "InvalidRequestContent", message: "larger than"},
		{name: "empty password", body: emutest.PutBody(t, emutest.PFXOf(t, cert, export.ProfileCompat, ""), ""), status: http.StatusCreated},
		{name: "AES pfx (API Management takes it)", body: emutest.PutBody(t, emutest.PFXOf(t, cert, export.ProfileModern, "pw"), "pw"), status: http.StatusCreated},
		{name: "base64 wrapped in lines", body: raw(`{"data":"` + emutest.B64(pfx)[:64] + `\n` + emutest.B64(pfx)[64:] + `","password":"pw"}`), status: http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := emutest.NewARMServer(t, nil)
			r := emutest.ARMCall(t, emutest.ARMHTTPClient(t, srv), srv, http.MethodPut, emutest.APIMURL(srv, "c1"), tt.body)
			if tt.status == http.StatusCreated {
				emutest.WantARM(t, "PUT", r, tt.status)
				if got := emutest.DecodeJSON[emutest.ARMContract](t, r); got.Properties.Thumbprint != emutest.SHA1Upper(cert.DER) {
					t.Errorf("thumbprint = %q, want %q", got.Properties.Thumbprint, emutest.SHA1Upper(cert.DER))
				}
				return
			}
			emutest.WantARMError(t, "PUT", r, tt.status, tt.code, tt.message)
			if got := srv.APIM.Certificates(emutest.APIMRG, emutest.APIMName); len(got) != 0 {
				t.Errorf("after a refused PUT, APIMCertificates = %v, want none", got)
			}
		})
	}
}

func TestARMListPaging(t *testing.T) {
	f := emutest.Certs(t)
	srv := emutest.NewARMServer(t, func(c *azure.Config) { c.ARMPageSize = 2 })
	c := emutest.ARMHTTPClient(t, srv)

	r := emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, ""), nil)
	emutest.WantARM(t, "GET empty list", r, http.StatusOK)
	if !bytes.Contains(r.Body, []byte(`"value":[]`)) || !bytes.Contains(r.Body, []byte(`"count":0`)) || bytes.Contains(r.Body, []byte("nextLink")) {
		t.Errorf("empty list = %s, want an empty value array, count 0 and no nextLink", r.Body)
	}

	ids := []string{"cert-e", "cert-b", "cert-d", "cert-a", "cert-c"}
	want := map[string]string{}
	for i, id := range ids {
		emutest.PutCert(t, c, srv, id, f.Certs[i])
		want[id] = emutest.SHA1Upper(f.Certs[i].DER)
	}
	sortedIDs := emutest.Sorted(slices.Clone(ids)...)

	var got []string
	pages := 0
	for next := emutest.APIMURL(srv, ""); next != ""; pages++ {
		if pages == 5 {
			t.Fatalf("more than 5 pages; stopped at nextLink %s", next)
		}
		if !strings.HasPrefix(next, srv.URL+"/subscriptions/") {
			t.Fatalf("nextLink %q is not an absolute URL on the server", next)
		}
		r := emutest.ARMCall(t, c, srv, http.MethodGet, next, nil)
		emutest.WantARM(t, fmt.Sprintf("page %d", pages+1), r, http.StatusOK)
		page := emutest.DecodeJSON[emutest.ARMList](t, r)
		if page.Count != 5 {
			t.Errorf("page %d: count = %d, want 5", pages+1, page.Count)
		}
		for _, v := range page.Value {
			got = append(got, v.Name)
			if v.Properties.Thumbprint != want[v.Name] {
				t.Errorf("%s: thumbprint = %q, want %q", v.Name, v.Properties.Thumbprint, want[v.Name])
			}
		}
		if page.NextLink != "" {
			q := mustParse(t, page.NextLink).Query()
			if q.Get("$skip") != fmt.Sprint(len(got)) || q.Get("api-version") != emutest.APIMVersion {
				t.Errorf("page %d: nextLink = %q, want $skip=%d and api-version=%s", pages+1, page.NextLink, len(got), emutest.APIMVersion)
			}
		}
		next = page.NextLink
	}
	if pages != 3 {
		t.Errorf("pages = %d, want 3", pages)
	}
	if !slices.Equal(got, sortedIDs) {
		t.Errorf("ids over all pages = %v, want each once, sorted: %v", got, sortedIDs)
	}

	// $top bounds the whole answer, nextLinks included; $skip starts later.
	tests := []struct {
		query string
		want  [][]string // pages
	}{
		{"$top=3", [][]string{{"cert-a", "cert-b"}, {"cert-c"}}},
		{"$top=1", [][]string{{"cert-a"}}},
		{"$skip=3", [][]string{{"cert-d", "cert-e"}}},
		{"$skip=1&$top=2", [][]string{{"cert-b", "cert-c"}}},
		{"$skip=4&$top=10", [][]string{{"cert-e"}}},
		{"$skip=9", [][]string{{}}},
	}
	for _, tt := range tests {
		var pagesGot [][]string
		for next := emutest.APIMURL(srv, "") + "&" + tt.query; next != "" && len(pagesGot) < 5; {
			page := emutest.DecodeJSON[emutest.ARMList](t, emutest.ARMCall(t, c, srv, http.MethodGet, next, nil))
			names := []string{}
			for _, v := range page.Value {
				names = append(names, v.Name)
			}
			pagesGot = append(pagesGot, names)
			next = page.NextLink
		}
		if fmt.Sprint(pagesGot) != fmt.Sprint(tt.want) {
			t.Errorf("list ?%s = pages %v, want %v", tt.query, pagesGot, tt.want)
		}
	}
	for _, q := range []string{"$top=0", "$top=x", "$skip=-1", "$filter=name eq 'a'"} {
		r := emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, "")+"&"+strings.ReplaceAll(q, " ", "%20"), nil)
		emutest.WantARMError(t, "GET ?"+q, r, http.StatusBadRequest, "ValidationError", strings.Split(q, "=")[0])
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestARMDelete(t *testing.T) {
	f := emutest.Certs(t)
	srv := emutest.NewARMServer(t, nil)
	c := emutest.ARMHTTPClient(t, srv)
	etag := emutest.PutCert(t, c, srv, "backend-cert", f.Certs[0])
	u := emutest.APIMURL(srv, "backend-cert")

	r := emutest.ARMCall(t, c, srv, http.MethodDelete, u, nil)
	emutest.WantARMError(t, "DELETE without If-Match", r, http.StatusBadRequest, "InvalidParameters", "If-Match header is required")
	r = emutest.ARMCall(t, c, srv, http.MethodDelete, u, nil, "If-Match", `"AAAAAAAAAAA="`)
	emutest.WantARMError(t, "DELETE with a stale ETag", r, http.StatusPreconditionFailed, "PreconditionFailed", "ETag")

	if err := srv.APIM.UseCertificate(emutest.APIMRG, emutest.APIMName, "backend-cert", "orders-backend"); err != nil {
		t.Fatalf("UseAPIMCertificate: %v", err)
	}
	r = emutest.ARMCall(t, c, srv, http.MethodDelete, u, nil, "If-Match", "*")
	e := emutest.WantARMError(t, "DELETE in use", r, http.StatusConflict, "CertificateInUse", "")
	if want := "Certificate 'backend-cert' is referenced by backend 'orders-backend'. Remove the reference before deleting the certificate."; e.Message != want {
		t.Errorf("message = %q, want %q", e.Message, want)
	}
	// Replacing a certificate in use is allowed, and it stays in use.
	r = emutest.ARMCall(t, c, srv, http.MethodPut, u, emutest.PutBody(t, emutest.PFXOf(t, f.Certs[1], export.ProfileCompat, "pw"), "pw"), "If-Match", etag)
	emutest.WantARM(t, "PUT over a certificate in use", r, http.StatusOK)
	etag = r.Header.Get("ETag")
	r = emutest.ARMCall(t, c, srv, http.MethodDelete, u, nil, "If-Match", etag)
	emutest.WantARMError(t, "DELETE still in use", r, http.StatusConflict, "CertificateInUse", "orders-backend")

	if err := srv.APIM.UseCertificate(emutest.APIMRG, emutest.APIMName, "backend-cert", ""); err != nil {
		t.Fatalf("UseAPIMCertificate(detach): %v", err)
	}
	r = emutest.ARMCall(t, c, srv, http.MethodDelete, u, nil, "If-Match", etag)
	emutest.WantARM(t, "DELETE", r, http.StatusOK)
	if len(r.Body) != 0 {
		t.Errorf("DELETE body = %q, want none", r.Body)
	}
	if got := srv.APIM.Certificates(emutest.APIMRG, emutest.APIMName); len(got) != 0 {
		t.Errorf("after DELETE, APIMCertificates = %v, want none", got)
	}
	r = emutest.ARMCall(t, c, srv, http.MethodDelete, u, nil, "If-Match", etag)
	emutest.WantARM(t, "DELETE again", r, http.StatusNoContent)
	r = emutest.ARMCall(t, c, srv, http.MethodGet, u, nil)
	emutest.WantARMError(t, "GET after DELETE", r, http.StatusNotFound, "ResourceNotFound", "Certificate not found.")

	if err := srv.APIM.UseCertificate(emutest.APIMRG, emutest.APIMName, "backend-cert", "b"); err == nil {
		t.Error("UseAPIMCertificate(deleted certificate) succeeded, want an error")
	}
	if err := srv.APIM.UseCertificate(emutest.APIMRG, "nope", "x", "b"); err == nil {
		t.Error("UseAPIMCertificate(unknown service) succeeded, want an error")
	}
}

func TestARMMethods(t *testing.T) {
	srv := emutest.NewARMServer(t, nil)
	c := emutest.ARMHTTPClient(t, srv)
	tests := []struct{ method, url, allow string }{
		{http.MethodPost, emutest.APIMURL(srv, ""), "GET"},
		{http.MethodPut, emutest.APIMURL(srv, ""), "GET"},
		{http.MethodDelete, emutest.APIMURL(srv, ""), "GET"},
		{http.MethodPatch, emutest.APIMURL(srv, "c1"), "GET, HEAD, PUT, DELETE"},
		{http.MethodPost, emutest.APIMURL(srv, "c1"), "GET, HEAD, PUT, DELETE"},
	}
	for _, tt := range tests {
		r := emutest.ARMCall(t, c, srv, tt.method, tt.url, []byte(`{}`))
		emutest.WantARMError(t, tt.method+" "+tt.url, r, http.StatusMethodNotAllowed, "MethodNotAllowed", tt.method)
		if got := r.Header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow = %q, want %q", tt.method, tt.url, got, tt.allow)
		}
	}
}

func TestARMHeaders(t *testing.T) {
	f := emutest.Certs(t)
	srv := emutest.NewARMServer(t, nil)
	c := emutest.ARMHTTPClient(t, srv)
	etag := emutest.PutCert(t, c, srv, "c1", f.Certs[0])
	answers := map[string]emutest.Response{
		"list":      emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, ""), nil),
		"401":       emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, ""), nil, "Authorization", ""),
		"404":       emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, "c2"), nil),
		"400":       emutest.ARMCall(t, c, srv, http.MethodGet, emutest.CertsPath(srv, emutest.APIMRG, emutest.APIMName), nil),
		"delete":    emutest.ARMCall(t, c, srv, http.MethodDelete, emutest.APIMURL(srv, "c1"), nil, "If-Match", etag),
		"no delete": emutest.ARMCall(t, c, srv, http.MethodDelete, emutest.APIMURL(srv, "c1"), nil, "If-Match", "*"),
	}
	seen := map[string]bool{}
	for name, r := range answers {
		emutest.WantARM(t, name, r, r.Status)
		id := r.Header.Get("x-ms-request-id")
		if seen[id] {
			t.Errorf("%s: x-ms-request-id %s repeats", name, id)
		}
		seen[id] = true
	}
	// A client's correlation id is echoed, as ARM does.
	const corr = "0F8FAD5B-D9CB-469F-A165-70867728950E"
	r := emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, ""), nil, "x-ms-correlation-request-id", corr)
	if got := r.Header.Get("x-ms-correlation-request-id"); got != corr {
		t.Errorf("x-ms-correlation-request-id = %q, want the client's %q", got, corr)
	}
}

func TestARMFaults(t *testing.T) {
	srv := emutest.NewARMServer(t, nil)
	c := emutest.ARMHTTPClient(t, srv)
	srv.Inject(emulator.Fault{Kind: emulator.FaultThrottle, Count: 2})
	for i := range 2 {
		r := emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, ""), nil)
		e := emutest.WantARMError(t, fmt.Sprintf("throttled request %d", i+1), r, http.StatusTooManyRequests, "TooManyRequests", "")
		if want := "Rate limit is exceeded. Try again in 1 seconds."; e.Message != want {
			t.Errorf("message = %q, want %q", e.Message, want)
		}
		if got := r.Header.Get("Retry-After"); got != "1" {
			t.Errorf("Retry-After = %q, want 1", got)
		}
	}
	emutest.WantARM(t, "after the throttling", emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, ""), nil), http.StatusOK)

	srv.Inject(emulator.Fault{Kind: emulator.FaultInternalError})
	emutest.WantARMError(t, "internal error", emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, ""), nil), http.StatusInternalServerError, "InternalServerError", "")

	srv.Inject(emulator.Fault{Kind: emulator.FaultRedirect})
	r := emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, ""), nil)
	emutest.WantARMError(t, "redirect", r, http.StatusTemporaryRedirect, "TemporaryRedirect", "")
	if got := r.Header.Get("Location"); got != emutest.APIMURL(srv, "") {
		t.Errorf("Location = %q, want %q", got, emutest.APIMURL(srv, ""))
	}

	// Faults come before authentication, as they do for the classic API.
	srv.Inject(emulator.Fault{Kind: emulator.FaultThrottle})
	r = emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, ""), nil, "Authorization", "")
	emutest.WantARMError(t, "throttled without a token", r, http.StatusTooManyRequests, "TooManyRequests", "")
}

func TestARMStateRoundTrip(t *testing.T) {
	f := emutest.Certs(t)
	path := filepath.Join(t.TempDir(), "state.json")
	srv := emutest.StartServer(t, azure.Config{StatePath: path, Trust: []*x509.Certificate{f.Admin.Cert}, APIMServices: []string{emutest.APIMRG + "/" + emutest.APIMName}})
	c := emutest.ARMHTTPClient(t, srv)
	pfx := emutest.PFXOf(t, f.Certs[0], export.ProfileCompat, "pfx-password-123")
	r := emutest.ARMCall(t, c, srv, http.MethodPut, emutest.APIMURL(srv, "kept"), emutest.PutBody(t, pfx, "pfx-password-123"))
	emutest.WantARM(t, "PUT kept", r, http.StatusCreated)
	etag := r.Header.Get("ETag")
	emutest.PutCert(t, c, srv, "used", f.Certs[1])
	if err := srv.APIM.UseCertificate(emutest.APIMRG, emutest.APIMName, "used", "payments"); err != nil {
		t.Fatal(err)
	}
	before := emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, ""), nil).Body
	// Every change is saved at once; the .pfx and its password are not.
	saved, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(saved, []byte(`"kept"`)) || !bytes.Contains(saved, []byte(`"payments"`)) {
		t.Errorf("the state file lacks a certificate or a reference before Close:\n%s", saved)
	}
	if bytes.Contains(saved, []byte("pfx-password-123")) || bytes.Contains(saved, []byte(emutest.B64(pfx)[:40])) {
		t.Errorf("the state file holds the .pfx or its password:\n%s", saved)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}

	// Restart with no APIMServices: the service comes from the state file.
	srv2 := emutest.StartServer(t, azure.Config{StatePath: path})
	defer srv2.Close()
	c2 := emutest.ARMHTTPClient(t, srv2)
	if got := srv2.APIM.Certificates(emutest.APIMRG, emutest.APIMName); !slices.Equal(got, []string{"kept", "used"}) {
		t.Errorf("APIMCertificates after restart = %v, want [kept used]", got)
	}
	after := emutest.ARMCall(t, c2, srv2, http.MethodGet, emutest.APIMURL(srv2, ""), nil).Body
	if !bytes.Equal(before, after) {
		t.Errorf("list after restart =\n%s\nwant\n%s", after, before)
	}
	r = emutest.ARMCall(t, c2, srv2, http.MethodGet, emutest.APIMURL(srv2, "kept"), nil)
	if r.Header.Get("ETag") != etag {
		t.Errorf("ETag after restart = %q, want %q", r.Header.Get("ETag"), etag)
	}
	r = emutest.ARMCall(t, c2, srv2, http.MethodDelete, emutest.APIMURL(srv2, "used"), nil, "If-Match", "*")
	emutest.WantARMError(t, "DELETE used after restart", r, http.StatusConflict, "CertificateInUse", "payments")
	r = emutest.ARMCall(t, c2, srv2, http.MethodDelete, emutest.APIMURL(srv2, "kept"), nil, "If-Match", etag)
	emutest.WantARM(t, "DELETE kept with its ETag from before the restart", r, http.StatusOK)
	// The classic state survived alongside.
	if got := srv2.ASM.ManagementCertificates(); !slices.Equal(got, []string{emutest.Thumb(f.Admin.DER)}) {
		t.Errorf("ManagementCertificates after restart = %v, want the admin certificate", got)
	}
}

func TestARMStateErrors(t *testing.T) {
	f := emutest.Certs(t)
	state := func(certs ...map[string]any) string {
		m := map[string]any{
			"version": 1, "subscription": emulator.DefaultSubscription, "managementCertificates": []any{}, "services": []any{},
			"apimServices": []any{map[string]any{"resourceGroup": emutest.APIMRG, "name": emutest.APIMName, "certificates": certs}},
		}
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	good := func(edit func(map[string]any)) map[string]any {
		c := map[string]any{"id": "c1", "data": emutest.B64(f.Certs[0].DER), "etag": `"AAAAAAAAAAE="`}
		if edit != nil {
			edit(c)
		}
		return c
	}
	tests := []struct{ name, content, reason string }{
		{"bad id", state(good(func(c map[string]any) { c["id"] = "1bad" })), "certificate 1 of API Management service"},
		{"duplicate id", state(good(nil), good(func(c map[string]any) { c["id"] = "C1" })), "listed twice"},
		{"bad data", state(good(func(c map[string]any) { c["data"] = emutest.B64([]byte("junk")) })), "certificate 1"},
		{"unquoted ETag", state(good(func(c map[string]any) { c["etag"] = "AAAA" })), "ETag"},
		{"empty back end", state(good(func(c map[string]any) { c["usedBy"] = []string{""} })), "back end"},
		{"bad service name", strings.Replace(state(), emutest.APIMName, "-bad", 1), "API Management service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := azure.New(azure.Config{StatePath: path})
			var se *emulator.StateError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("azure.New = %v, want a *StateError containing %q", err, tt.reason)
			}
		})
	}
	// The base file loads, so the cases above fail for their reason.
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte(state(good(func(c map[string]any) { c["usedBy"] = []string{"b"} }))), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := azure.New(azure.Config{StatePath: path})
	if err != nil {
		t.Fatalf("azure.New(valid state) = %v", err)
	}
	if got := srv.APIM.Certificates(emutest.APIMRG, emutest.APIMName); !slices.Equal(got, []string{"c1"}) {
		t.Errorf("APIMCertificates = %v, want [c1]", got)
	}
}

func TestARMRequestsRecorded(t *testing.T) {
	srv := emutest.NewARMServer(t, nil)
	c := emutest.ARMHTTPClient(t, srv)
	emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, ""), nil)
	emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, ""), nil, "Authorization", "Bearer wrong-token")
	emutest.ARMCall(t, c, srv, http.MethodGet, emutest.APIMURL(srv, ""), nil, "Authorization", "wrong-token-alone")
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("Requests() = %d requests, want 3", len(reqs))
	}
	wantPath := strings.TrimPrefix(emutest.CertsPath(srv, emutest.APIMRG, emutest.APIMName), srv.URL)
	for i, want := range []string{"Bearer REDACTED", "Bearer REDACTED", "REDACTED"} {
		r := reqs[i]
		if r.Method != http.MethodGet || r.Path != wantPath || r.ClientThumbprint != "" {
			t.Errorf("Requests()[%d] = %s %s (client %q), want GET %s without a client certificate", i, r.Method, r.Path, r.ClientThumbprint, wantPath)
		}
		if got := r.Header.Values("Authorization"); len(got) != 1 || got[0] != want {
			t.Errorf("Requests()[%d] Authorization = %q, want [%s]", i, got, want)
		}
		for name, values := range r.Header {
			for _, v := range values {
				if strings.Contains(v, srv.APIM.Token()) || strings.Contains(v, "wrong-token") {
					t.Errorf("Requests()[%d] header %s holds the token: %q", i, name, v)
				}
			}
		}
	}
}

// TestARMAndClassicOnOnePort: one server answers both APIs, and a client
// that presents a certificate can use ARM too.
func TestARMAndClassicOnOnePort(t *testing.T) {
	f := emutest.Certs(t)
	srv, _ := emutest.NewServer(t, func(c *azure.Config) { c.APIMServices = []string{emutest.APIMRG + "/" + emutest.APIMName} })
	withCert := emutest.Client(t, srv, f.Admin)
	emutest.WantStatus(t, "classic GET", emutest.Call(t, withCert, http.MethodGet, emutest.CertsURL(srv), nil, emutest.Version), http.StatusOK)
	emutest.WantARM(t, "ARM GET with a client certificate", emutest.ARMCall(t, withCert, srv, http.MethodGet, emutest.APIMURL(srv, ""), nil), http.StatusOK)
	// A classic request carrying the bearer token but no certificate is
	// still refused.
	r := emutest.ARMCall(t, emutest.ARMHTTPClient(t, srv), srv, http.MethodGet, emutest.CertsURL(srv), nil, "x-ms-version", emutest.Version)
	emutest.WantError(t, "classic GET with a token and no certificate", r, http.StatusForbidden, "ForbiddenError", emutest.Forbidden)
}

// FuzzARMPut puts arbitrary bodies through Handler and checks that every
// answer is a 201 with a contract or a 400 with a JSON error.
func FuzzARMPut(f *testing.F) {
	fx := emutest.Certs(f)
	srv, err := azure.New(azure.Config{APIMServices: []string{emutest.APIMRG + "/" + emutest.APIMName}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	pfx, err := export.EncodePFX(fx.Site.Key, fx.Site.Cert, nil, export.PFXOptions{Password: "pw"})
	if err != nil {
		f.Fatal(err)
	}
	body := func(data, password string) []byte {
		return []byte(`{"properties":{"data":"` + data + `","password":"` + password + `"}}`)
	}
	for _, seed := range [][]byte{
		body(emutest.B64(pfx), "pw"),
		body(emutest.B64(pfx), "wrong"),
		body(emutest.B64(pfx[:len(pfx)/2]), "pw"),
		body(emutest.B64(fx.Site.DER), ""),
		body("AAAA", ""),
		[]byte(`{"properties":null}`),
		[]byte(`{"properties":{"keyVault":{}}}`),
		[]byte(`[]`),
		[]byte(strings.Repeat("[", 1000)),
		{},
	} {
		f.Add(seed)
	}
	h := srv.Handler()
	path := "/subscriptions/" + srv.Subscription + "/resourceGroups/" + emutest.APIMRG + "/providers/Microsoft.ApiManagement/service/" + emutest.APIMName + "/certificates/fuzz?api-version=" + emutest.APIMVersion
	f.Fuzz(func(t *testing.T, b []byte) {
		req := httptest.NewRequest(http.MethodPut, path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+srv.APIM.Token())
		req.Header.Set("If-Match", "*")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusCreated, http.StatusOK:
			var c emutest.ARMContract
			if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil || c.Properties.Thumbprint == "" {
				t.Fatalf("PUT = %d with body %q, want a contract (%v)", rec.Code, rec.Body, err)
			}
		case http.StatusBadRequest:
			var e emutest.ARMError
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("PUT = 400 with body %q, want a JSON error (%v)", rec.Body, err)
			}
		default:
			t.Fatalf("PUT = %d, want 200, 201 or 400 (body %q)", rec.Code, rec.Body)
		}
	})
}
