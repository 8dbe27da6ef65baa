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
	"github.com/azcert/azcert/pkg/export"
)

const wwwAuthenticate = `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"`

func TestARMAuthentication(t *testing.T) {
	srv := newARMServer(t, nil)
	c := armHTTPClient(t, srv)
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
			u := certsPath(srv, apimRG, apimName)
			if tt.status == http.StatusOK {
				u += "?api-version=" + apimVersion
			}
			r := armCall(t, c, srv, http.MethodGet, u, nil, "Authorization", tt.auth)
			if tt.status == http.StatusOK {
				wantARM(t, "GET", r, http.StatusOK)
				return
			}
			e := wantARMError(t, "GET", r, tt.status, tt.code, tt.message)
			if tt.code != "AuthenticationFailed" || strings.Contains(tt.message, "missing") {
				if e.Message != tt.message {
					t.Errorf("message = %q, want %q", e.Message, tt.message)
				}
			}
			if got := r.header.Get("WWW-Authenticate"); got != wwwAuthenticate {
				t.Errorf("WWW-Authenticate = %q, want %q", got, wwwAuthenticate)
			}
		})
	}
}

func TestARMToken(t *testing.T) {
	a, b := newARMServer(t, nil), newARMServer(t, nil)
	if a.APIM.Token() == b.APIM.Token() {
		t.Errorf("two servers have the same generated token %q", a.APIM.Token())
	}
	if raw, err := base64.RawURLEncoding.DecodeString(a.APIM.Token()); err != nil || len(raw) != 32 {
		t.Errorf("ARMToken() = %q, want 32 random bytes in base64url (%v)", a.APIM.Token(), err)
	}
	fixed := newARMServer(t, func(c *azure.Config) { c.ARMToken = "my-test-token" })
	if got := fixed.APIM.Token(); got != "my-test-token" {
		t.Errorf("ARMToken() with Config.ARMToken = %q, want my-test-token", got)
	}
	r := armCall(t, armHTTPClient(t, fixed), fixed, http.MethodGet, apimURL(fixed, ""), nil, "Authorization", "Bearer my-test-token")
	wantARM(t, "GET with the configured token", r, http.StatusOK)
	if _, err := azure.New(azure.Config{ARMToken: "two words"}); err == nil {
		t.Error("NewUnstartedServer(ARMToken with a space) succeeded, want an error")
	}
}

func TestARMAPIVersion(t *testing.T) {
	srv := newARMServer(t, nil)
	c := armHTTPClient(t, srv)
	base := certsPath(srv, apimRG, apimName)
	r := armCall(t, c, srv, http.MethodGet, base, nil)
	e := wantARMError(t, "GET without api-version", r, http.StatusBadRequest, "MissingApiVersionParameter", "")
	if want := "The api-version query parameter (?api-version=) is required for all requests."; e.Message != want {
		t.Errorf("message = %q, want %q", e.Message, want)
	}
	for _, v := range []string{"2020-12-01", "2024-06-01-preview", "2022-08-02", "latest"} {
		r := armCall(t, c, srv, http.MethodGet, base+"?api-version="+v, nil)
		wantARMError(t, "GET api-version="+v, r, http.StatusBadRequest, "InvalidApiVersionParameter", "'"+v+"'")
	}
	for _, v := range []string{"2021-08-01", "2022-08-01", "2023-09-01-preview", "2024-05-01"} {
		r := armCall(t, c, srv, http.MethodGet, base+"?api-version="+v, nil)
		wantARM(t, "GET api-version="+v, r, http.StatusOK)
	}
}

func TestARMNotFound(t *testing.T) {
	srv := newARMServer(t, nil)
	c := armHTTPClient(t, srv)
	q := "?api-version=" + apimVersion
	other := strings.Replace(certsPath(srv, apimRG, apimName), srv.Subscription, "00000000-0000-0000-0000-000000000000", 1)
	tests := []struct {
		name, url     string
		code, message string
	}{
		{"unknown subscription", other + q, "SubscriptionNotFound", "The subscription '00000000-0000-0000-0000-000000000000' could not be found."},
		{"unknown service", certsPath(srv, apimRG, "nope") + q, "ResourceNotFound",
			"The Resource 'Microsoft.ApiManagement/service/nope' under resource group 'rg-api' was not found."},
		{"unknown resource group", certsPath(srv, "rg-other", apimName) + q, "ResourceNotFound",
			"The Resource 'Microsoft.ApiManagement/service/contoso-apim' under resource group 'rg-other' was not found."},
		{"unknown certificate", apimURL(srv, "absent"), "ResourceNotFound", "Certificate not found."},
		{"not a certificates path", strings.TrimSuffix(certsPath(srv, apimRG, apimName), "/certificates") + "/backends" + q, "NotFound", "API Management certificates"},
		{"the subscription itself", srv.URL + "/subscriptions/" + srv.Subscription + q, "NotFound", ""},
		{"too deep", apimURL(srv, "a/b"), "NotFound", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantARMError(t, "GET", armCall(t, c, srv, http.MethodGet, tt.url, nil), http.StatusNotFound, tt.code, tt.message)
		})
	}
	// Subscription, resource group, service and fixed segments are matched
	// without regard to case.
	u := srv.URL + "/SUBSCRIPTIONS/" + strings.ToUpper(srv.Subscription) + "/resourcegroups/RG-API/PROVIDERS/microsoft.apimanagement/Service/Contoso-APIM/Certificates" + q
	wantARM(t, "GET in other cases", armCall(t, c, srv, http.MethodGet, u, nil), http.StatusOK)
}

func TestARMAPIMServicesConfig(t *testing.T) {
	for _, spec := range []string{"no-slash", "rg/a/b", "/svc", "rg/", "rg/1starts-with-digit", "rg/ends-with-hyphen-", "rg/" + strings.Repeat("a", 51)} {
		if _, err := azure.New(azure.Config{APIMServices: []string{spec}}); err == nil {
			t.Errorf("NewUnstartedServer(APIMServices %q) succeeded, want an error", spec)
		}
	}
	srv := newARMServer(t, func(c *azure.Config) { c.APIMServices = append(c.APIMServices, "Other-RG/second") })
	if got := srv.APIM.Certificates("other-rg", "SECOND"); got == nil || len(got) != 0 {
		t.Errorf("APIMCertificates(other-rg, SECOND) = %#v, want an empty list", got)
	}
	if got := srv.APIM.Certificates(apimRG, "nope"); got != nil {
		t.Errorf("APIMCertificates(unknown) = %v, want nil", got)
	}
	if _, err := azure.New(azure.Config{ARMPageSize: -1}); err == nil {
		t.Error("NewUnstartedServer(ARMPageSize -1) succeeded, want an error")
	}
}

func TestARMInvalidID(t *testing.T) {
	f := testFixture(t)
	srv := newARMServer(t, nil)
	c := armHTTPClient(t, srv)
	body := putBody(t, pfxOf(t, f.certs[0], export.ProfileCompat, "pw"), "pw")
	for _, id := range []string{"1abc", "-abc", "abc-", "a_b", "a.b", "a%20b", "%C3%A9t%C3%A9", strings.Repeat("a", 81)} {
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			var b []byte
			if method == http.MethodPut {
				b = body
			}
			r := armCall(t, c, srv, method, apimURL(srv, id), b, "If-Match", "*")
			e := wantARMError(t, method+" "+id, r, http.StatusBadRequest, "ValidationError", "letters, digits and hyphens")
			if len(e.Details) != 1 || e.Details[0].Target != "certificateId" {
				t.Errorf("%s %s: details = %+v, want one with target certificateId", method, id, e.Details)
			}
		}
	}
	if got := srv.APIM.Certificates(apimRG, apimName); len(got) != 0 {
		t.Errorf("after refused PUTs, APIMCertificates = %v, want none", got)
	}
	for _, id := range []string{"a", "a-1", "Z9", strings.Repeat("b", 80)} {
		r := armCall(t, c, srv, http.MethodGet, apimURL(srv, id), nil)
		wantARMError(t, "GET "+id, r, http.StatusNotFound, "ResourceNotFound", "Certificate not found.")
	}
	r := armCall(t, c, srv, http.MethodPut, apimURL(srv, strings.Repeat("b", 80)), body)
	wantARM(t, "PUT an 80-character id", r, http.StatusCreated)
}

func TestARMCreateAndReplace(t *testing.T) {
	f := testFixture(t)
	srv := newARMServer(t, nil)
	c := armHTTPClient(t, srv)
	first, second := f.certs[0], f.certs[1]

	r := armCall(t, c, srv, http.MethodPut, apimURL(srv, "api-client"), putBody(t, pfxOf(t, first, export.ProfileCompat, "s3cret"), "s3cret"))
	wantARM(t, "PUT create", r, http.StatusCreated)
	etag1 := r.header.Get("ETag")
	if !regexp.MustCompile(`^"[^"]+"$`).MatchString(etag1) {
		t.Errorf("ETag = %q, want a quoted entity tag", etag1)
	}
	got := decodeJSON[armContract](t, r)
	wantID := "/subscriptions/" + srv.Subscription + "/resourceGroups/" + apimRG + "/providers/Microsoft.ApiManagement/service/" + apimName + "/certificates/api-client"
	if got.ID != wantID || got.Type != "Microsoft.ApiManagement/service/certificates" || got.Name != "api-client" {
		t.Errorf("contract id, type, name = %q, %q, %q; want %q, Microsoft.ApiManagement/service/certificates, api-client", got.ID, got.Type, got.Name, wantID)
	}
	p := got.Properties
	if want := sha1Upper(first.DER); p.Thumbprint != want {
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
	if ids := srv.APIM.Certificates(apimRG, apimName); !slices.Equal(ids, []string{"api-client"}) {
		t.Errorf("APIMCertificates = %v, want [api-client]", ids)
	}

	// GET answers the same contract and ETag; HEAD the ETag alone.
	r = armCall(t, c, srv, http.MethodGet, apimURL(srv, "api-client"), nil)
	wantARM(t, "GET", r, http.StatusOK)
	if g := decodeJSON[armContract](t, r); g.ID != got.ID || g.Properties.Thumbprint != p.Thumbprint || r.header.Get("ETag") != etag1 {
		t.Errorf("GET = %+v with ETag %q, want %+v with %q", g, r.header.Get("ETag"), got, etag1)
	}
	r = armCall(t, c, srv, http.MethodHead, apimURL(srv, "api-client"), nil)
	if r.status != http.StatusOK || r.header.Get("ETag") != etag1 || len(r.body) != 0 {
		t.Errorf("HEAD = %d with ETag %q and body %q, want 200 with %q and no body", r.status, r.header.Get("ETag"), r.body, etag1)
	}

	replace := putBody(t, pfxOf(t, second, export.ProfileCompat, "pw"), "pw")
	r = armCall(t, c, srv, http.MethodPut, apimURL(srv, "api-client"), replace)
	wantARMError(t, "PUT existing without If-Match", r, http.StatusPreconditionFailed, "PreconditionFailed", "already exists; specify If-Match")

	r = armCall(t, c, srv, http.MethodPut, apimURL(srv, "api-client"), replace, "If-Match", "*")
	wantARM(t, "PUT with If-Match *", r, http.StatusOK)
	etag2 := r.header.Get("ETag")
	if etag2 == "" || etag2 == etag1 {
		t.Errorf("ETag after replacing = %q, want a new one (was %q)", etag2, etag1)
	}
	if g := decodeJSON[armContract](t, r); g.Properties.Thumbprint != sha1Upper(second.DER) || g.ID != wantID {
		t.Errorf("PUT with If-Match * = %+v, want the second certificate under the same id", g)
	}

	r = armCall(t, c, srv, http.MethodPut, apimURL(srv, "api-client"), replace, "If-Match", etag1)
	wantARMError(t, "PUT with a stale ETag", r, http.StatusPreconditionFailed, "PreconditionFailed", "ETag")
	r = armCall(t, c, srv, http.MethodPut, apimURL(srv, "api-client"), replace, "If-Match", "W/"+etag2)
	wantARMError(t, "PUT with a weak ETag", r, http.StatusPreconditionFailed, "PreconditionFailed", "ETag")

	// The current ETag, in a list, matches; ids are not case-sensitive and
	// keep the case they were created with.
	r = armCall(t, c, srv, http.MethodPut, apimURL(srv, "API-Client"), putBody(t, pfxOf(t, first, export.ProfileCompat, ""), ""), "If-Match", etag1+", "+etag2)
	wantARM(t, "PUT with the current ETag", r, http.StatusOK)
	if g := decodeJSON[armContract](t, r); g.Name != "api-client" || g.Properties.Thumbprint != sha1Upper(first.DER) || r.header.Get("ETag") == etag2 {
		t.Errorf("PUT with the current ETag = %+v with ETag %q, want api-client with the first certificate and a new ETag", g, r.header.Get("ETag"))
	}

	// A specific ETag for a certificate that does not exist fails; "*" creates.
	r = armCall(t, c, srv, http.MethodPut, apimURL(srv, "other"), replace, "If-Match", etag1)
	wantARMError(t, "PUT new with an ETag", r, http.StatusPreconditionFailed, "PreconditionFailed", "does not exist")
	r = armCall(t, c, srv, http.MethodPut, apimURL(srv, "other"), replace, "If-Match", "*")
	wantARM(t, "PUT new with If-Match *", r, http.StatusCreated)
	if ids := srv.APIM.Certificates(apimRG, apimName); !slices.Equal(ids, []string{"api-client", "other"}) {
		t.Errorf("APIMCertificates = %v, want [api-client other]", ids)
	}
}

func TestARMPutErrors(t *testing.T) {
	f := testFixture(t)
	cert := f.certs[0]
	pfx := pfxOf(t, cert, export.ProfileCompat, "pw")
	noKey, err := pkcs12.LegacyDES.EncodeTrustStore([]*x509.Certificate{cert.Cert}, "pw")
	if err != nil {
		t.Fatal(err)
	}
	good := putBody(t, pfx, "pw")
	raw := func(props string) []byte { return []byte(`{"properties":` + props + `}`) }
	tests := []struct {
		name          string
		body          []byte
		status        int
		code, message string
	}{
		{name: "wrong password", body: putBody(t, pfx, "wrong"), status: http.StatusBadRequest, code: "ValidationError",
			message: "Invalid certificate password or data. Cannot decrypt the certificate."},
		{name: "no password", body: raw(`{"data":"` + b64(pfx) + `"}`), status: http.StatusBadRequest, code: "ValidationError",
			message: "Invalid certificate password or data. Cannot decrypt the certificate."},
		{name: "pfx without a key", body: putBody(t, noKey, "pw"), status: http.StatusBadRequest, code: "ValidationError", message: "no private key"},
		{name: "a certificate, not a pfx", body: putBody(t, cert.DER, ""), status: http.StatusBadRequest, code: "ValidationError", message: "not a valid PFX"},
		{name: "truncated pfx", body: putBody(t, pfx[:len(pfx)/2], "pw"), status: http.StatusBadRequest, code: "ValidationError", message: "not a valid PFX"},
		{name: "data not base64", body: raw(`{"data":"???","password":"pw"}`), status: http.StatusBadRequest, code: "ValidationError", message: "base64"},
		{name: "no data", body: raw(`{"password":"pw"}`), status: http.StatusBadRequest, code: "ValidationError", message: "properties.data"},
		{name: "no properties", body: []byte(`{}`), status: http.StatusBadRequest, code: "ValidationError", message: "properties"},
		{name: "key vault", body: raw(`{"keyVault":{"secretIdentifier":"https://v.vault.azure.net/secrets/c"}}`), status: http.StatusBadRequest,
			code: "ValidationError", message: "Key Vault"},
		{name: "empty body", body: []byte{}, status: http.StatusBadRequest, code: "InvalidRequestContent", message: "empty"},
		{name: "malformed JSON", body: good[:len(good)-5], status: http.StatusBadRequest, code: "InvalidRequestContent", message: "could not be deserialized"},
		{name: "unknown field", body: raw(`{"data":"` + b64(pfx) + `","password":"pw","format":"pfx"}`), status: http.StatusBadRequest,
			code: "InvalidRequestContent", message: "format"},
		{name: "data after the object", body: append(slices.Clone(good), `{}`...), status: http.StatusBadRequest, code: "InvalidRequestContent", message: "after"},
		{name: "data of the wrong type", body: raw(`{"data":42}`), status: http.StatusBadRequest, code: "InvalidRequestContent", message: ""},
		{name: "body over 4 MiB", body: append(slices.Clone(good), bytes.Repeat([]byte(" "), emulator.MaxBodySize)...), status: http.StatusBadRequest,
			code: "InvalidRequestContent", message: "larger than"},
		{name: "empty password", body: putBody(t, pfxOf(t, cert, export.ProfileCompat, ""), ""), status: http.StatusCreated},
		{name: "AES pfx (API Management takes it)", body: putBody(t, pfxOf(t, cert, export.ProfileModern, "pw"), "pw"), status: http.StatusCreated},
		{name: "base64 wrapped in lines", body: raw(`{"data":"` + b64(pfx)[:64] + `\n` + b64(pfx)[64:] + `","password":"pw"}`), status: http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newARMServer(t, nil)
			r := armCall(t, armHTTPClient(t, srv), srv, http.MethodPut, apimURL(srv, "c1"), tt.body)
			if tt.status == http.StatusCreated {
				wantARM(t, "PUT", r, tt.status)
				if got := decodeJSON[armContract](t, r); got.Properties.Thumbprint != sha1Upper(cert.DER) {
					t.Errorf("thumbprint = %q, want %q", got.Properties.Thumbprint, sha1Upper(cert.DER))
				}
				return
			}
			wantARMError(t, "PUT", r, tt.status, tt.code, tt.message)
			if got := srv.APIM.Certificates(apimRG, apimName); len(got) != 0 {
				t.Errorf("after a refused PUT, APIMCertificates = %v, want none", got)
			}
		})
	}
}

func TestARMListPaging(t *testing.T) {
	f := testFixture(t)
	srv := newARMServer(t, func(c *azure.Config) { c.ARMPageSize = 2 })
	c := armHTTPClient(t, srv)

	r := armCall(t, c, srv, http.MethodGet, apimURL(srv, ""), nil)
	wantARM(t, "GET empty list", r, http.StatusOK)
	if !bytes.Contains(r.body, []byte(`"value":[]`)) || !bytes.Contains(r.body, []byte(`"count":0`)) || bytes.Contains(r.body, []byte("nextLink")) {
		t.Errorf("empty list = %s, want an empty value array, count 0 and no nextLink", r.body)
	}

	ids := []string{"cert-e", "cert-b", "cert-d", "cert-a", "cert-c"}
	want := map[string]string{}
	for i, id := range ids {
		putCert(t, c, srv, id, f.certs[i])
		want[id] = sha1Upper(f.certs[i].DER)
	}
	sortedIDs := sorted(slices.Clone(ids)...)

	var got []string
	pages := 0
	for next := apimURL(srv, ""); next != ""; pages++ {
		if pages == 5 {
			t.Fatalf("more than 5 pages; stopped at nextLink %s", next)
		}
		if !strings.HasPrefix(next, srv.URL+"/subscriptions/") {
			t.Fatalf("nextLink %q is not an absolute URL on the server", next)
		}
		r := armCall(t, c, srv, http.MethodGet, next, nil)
		wantARM(t, fmt.Sprintf("page %d", pages+1), r, http.StatusOK)
		page := decodeJSON[armList](t, r)
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
			if q.Get("$skip") != fmt.Sprint(len(got)) || q.Get("api-version") != apimVersion {
				t.Errorf("page %d: nextLink = %q, want $skip=%d and api-version=%s", pages+1, page.NextLink, len(got), apimVersion)
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
		for next := apimURL(srv, "") + "&" + tt.query; next != "" && len(pagesGot) < 5; {
			page := decodeJSON[armList](t, armCall(t, c, srv, http.MethodGet, next, nil))
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
		r := armCall(t, c, srv, http.MethodGet, apimURL(srv, "")+"&"+strings.ReplaceAll(q, " ", "%20"), nil)
		wantARMError(t, "GET ?"+q, r, http.StatusBadRequest, "ValidationError", strings.Split(q, "=")[0])
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
	f := testFixture(t)
	srv := newARMServer(t, nil)
	c := armHTTPClient(t, srv)
	etag := putCert(t, c, srv, "backend-cert", f.certs[0])
	u := apimURL(srv, "backend-cert")

	r := armCall(t, c, srv, http.MethodDelete, u, nil)
	wantARMError(t, "DELETE without If-Match", r, http.StatusBadRequest, "InvalidParameters", "If-Match header is required")
	r = armCall(t, c, srv, http.MethodDelete, u, nil, "If-Match", `"AAAAAAAAAAA="`)
	wantARMError(t, "DELETE with a stale ETag", r, http.StatusPreconditionFailed, "PreconditionFailed", "ETag")

	if err := srv.APIM.UseCertificate(apimRG, apimName, "backend-cert", "orders-backend"); err != nil {
		t.Fatalf("UseAPIMCertificate: %v", err)
	}
	r = armCall(t, c, srv, http.MethodDelete, u, nil, "If-Match", "*")
	e := wantARMError(t, "DELETE in use", r, http.StatusConflict, "CertificateInUse", "")
	if want := "Certificate 'backend-cert' is referenced by backend 'orders-backend'. Remove the reference before deleting the certificate."; e.Message != want {
		t.Errorf("message = %q, want %q", e.Message, want)
	}
	// Replacing a certificate in use is allowed, and it stays in use.
	r = armCall(t, c, srv, http.MethodPut, u, putBody(t, pfxOf(t, f.certs[1], export.ProfileCompat, "pw"), "pw"), "If-Match", etag)
	wantARM(t, "PUT over a certificate in use", r, http.StatusOK)
	etag = r.header.Get("ETag")
	r = armCall(t, c, srv, http.MethodDelete, u, nil, "If-Match", etag)
	wantARMError(t, "DELETE still in use", r, http.StatusConflict, "CertificateInUse", "orders-backend")

	if err := srv.APIM.UseCertificate(apimRG, apimName, "backend-cert", ""); err != nil {
		t.Fatalf("UseAPIMCertificate(detach): %v", err)
	}
	r = armCall(t, c, srv, http.MethodDelete, u, nil, "If-Match", etag)
	wantARM(t, "DELETE", r, http.StatusOK)
	if len(r.body) != 0 {
		t.Errorf("DELETE body = %q, want none", r.body)
	}
	if got := srv.APIM.Certificates(apimRG, apimName); len(got) != 0 {
		t.Errorf("after DELETE, APIMCertificates = %v, want none", got)
	}
	r = armCall(t, c, srv, http.MethodDelete, u, nil, "If-Match", etag)
	wantARM(t, "DELETE again", r, http.StatusNoContent)
	r = armCall(t, c, srv, http.MethodGet, u, nil)
	wantARMError(t, "GET after DELETE", r, http.StatusNotFound, "ResourceNotFound", "Certificate not found.")

	if err := srv.APIM.UseCertificate(apimRG, apimName, "backend-cert", "b"); err == nil {
		t.Error("UseAPIMCertificate(deleted certificate) succeeded, want an error")
	}
	if err := srv.APIM.UseCertificate(apimRG, "nope", "x", "b"); err == nil {
		t.Error("UseAPIMCertificate(unknown service) succeeded, want an error")
	}
}

func TestARMMethods(t *testing.T) {
	srv := newARMServer(t, nil)
	c := armHTTPClient(t, srv)
	tests := []struct{ method, url, allow string }{
		{http.MethodPost, apimURL(srv, ""), "GET"},
		{http.MethodPut, apimURL(srv, ""), "GET"},
		{http.MethodDelete, apimURL(srv, ""), "GET"},
		{http.MethodPatch, apimURL(srv, "c1"), "GET, HEAD, PUT, DELETE"},
		{http.MethodPost, apimURL(srv, "c1"), "GET, HEAD, PUT, DELETE"},
	}
	for _, tt := range tests {
		r := armCall(t, c, srv, tt.method, tt.url, []byte(`{}`))
		wantARMError(t, tt.method+" "+tt.url, r, http.StatusMethodNotAllowed, "MethodNotAllowed", tt.method)
		if got := r.header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow = %q, want %q", tt.method, tt.url, got, tt.allow)
		}
	}
}

func TestARMHeaders(t *testing.T) {
	f := testFixture(t)
	srv := newARMServer(t, nil)
	c := armHTTPClient(t, srv)
	etag := putCert(t, c, srv, "c1", f.certs[0])
	answers := map[string]response{
		"list":      armCall(t, c, srv, http.MethodGet, apimURL(srv, ""), nil),
		"401":       armCall(t, c, srv, http.MethodGet, apimURL(srv, ""), nil, "Authorization", ""),
		"404":       armCall(t, c, srv, http.MethodGet, apimURL(srv, "c2"), nil),
		"400":       armCall(t, c, srv, http.MethodGet, certsPath(srv, apimRG, apimName), nil),
		"delete":    armCall(t, c, srv, http.MethodDelete, apimURL(srv, "c1"), nil, "If-Match", etag),
		"no delete": armCall(t, c, srv, http.MethodDelete, apimURL(srv, "c1"), nil, "If-Match", "*"),
	}
	seen := map[string]bool{}
	for name, r := range answers {
		wantARM(t, name, r, r.status)
		id := r.header.Get("x-ms-request-id")
		if seen[id] {
			t.Errorf("%s: x-ms-request-id %s repeats", name, id)
		}
		seen[id] = true
	}
	// A client's correlation id is echoed, as ARM does.
	const corr = "0F8FAD5B-D9CB-469F-A165-70867728950E"
	r := armCall(t, c, srv, http.MethodGet, apimURL(srv, ""), nil, "x-ms-correlation-request-id", corr)
	if got := r.header.Get("x-ms-correlation-request-id"); got != corr {
		t.Errorf("x-ms-correlation-request-id = %q, want the client's %q", got, corr)
	}
}

func TestARMFaults(t *testing.T) {
	srv := newARMServer(t, nil)
	c := armHTTPClient(t, srv)
	srv.Inject(emulator.Fault{Kind: emulator.FaultThrottle, Count: 2})
	for i := range 2 {
		r := armCall(t, c, srv, http.MethodGet, apimURL(srv, ""), nil)
		e := wantARMError(t, fmt.Sprintf("throttled request %d", i+1), r, http.StatusTooManyRequests, "TooManyRequests", "")
		if want := "Rate limit is exceeded. Try again in 1 seconds."; e.Message != want {
			t.Errorf("message = %q, want %q", e.Message, want)
		}
		if got := r.header.Get("Retry-After"); got != "1" {
			t.Errorf("Retry-After = %q, want 1", got)
		}
	}
	wantARM(t, "after the throttling", armCall(t, c, srv, http.MethodGet, apimURL(srv, ""), nil), http.StatusOK)

	srv.Inject(emulator.Fault{Kind: emulator.FaultInternalError})
	wantARMError(t, "internal error", armCall(t, c, srv, http.MethodGet, apimURL(srv, ""), nil), http.StatusInternalServerError, "InternalServerError", "")

	srv.Inject(emulator.Fault{Kind: emulator.FaultRedirect})
	r := armCall(t, c, srv, http.MethodGet, apimURL(srv, ""), nil)
	wantARMError(t, "redirect", r, http.StatusTemporaryRedirect, "TemporaryRedirect", "")
	if got := r.header.Get("Location"); got != apimURL(srv, "") {
		t.Errorf("Location = %q, want %q", got, apimURL(srv, ""))
	}

	// Faults come before authentication, as they do for the classic API.
	srv.Inject(emulator.Fault{Kind: emulator.FaultThrottle})
	r = armCall(t, c, srv, http.MethodGet, apimURL(srv, ""), nil, "Authorization", "")
	wantARMError(t, "throttled without a token", r, http.StatusTooManyRequests, "TooManyRequests", "")
}

func TestARMStateRoundTrip(t *testing.T) {
	f := testFixture(t)
	path := filepath.Join(t.TempDir(), "state.json")
	srv := startServer(t, azure.Config{StatePath: path, Trust: []*x509.Certificate{f.admin.Cert}, APIMServices: []string{apimRG + "/" + apimName}})
	c := armHTTPClient(t, srv)
	pfx := pfxOf(t, f.certs[0], export.ProfileCompat, "pfx-password-123")
	r := armCall(t, c, srv, http.MethodPut, apimURL(srv, "kept"), putBody(t, pfx, "pfx-password-123"))
	wantARM(t, "PUT kept", r, http.StatusCreated)
	etag := r.header.Get("ETag")
	putCert(t, c, srv, "used", f.certs[1])
	if err := srv.APIM.UseCertificate(apimRG, apimName, "used", "payments"); err != nil {
		t.Fatal(err)
	}
	before := armCall(t, c, srv, http.MethodGet, apimURL(srv, ""), nil).body
	// Every change is saved at once; the .pfx and its password are not.
	saved, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(saved, []byte(`"kept"`)) || !bytes.Contains(saved, []byte(`"payments"`)) {
		t.Errorf("the state file lacks a certificate or a reference before Close:\n%s", saved)
	}
	if bytes.Contains(saved, []byte("pfx-password-123")) || bytes.Contains(saved, []byte(b64(pfx)[:40])) {
		t.Errorf("the state file holds the .pfx or its password:\n%s", saved)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}

	// Restart with no APIMServices: the service comes from the state file.
	srv2 := startServer(t, azure.Config{StatePath: path})
	defer srv2.Close()
	c2 := armHTTPClient(t, srv2)
	if got := srv2.APIM.Certificates(apimRG, apimName); !slices.Equal(got, []string{"kept", "used"}) {
		t.Errorf("APIMCertificates after restart = %v, want [kept used]", got)
	}
	after := armCall(t, c2, srv2, http.MethodGet, apimURL(srv2, ""), nil).body
	if !bytes.Equal(before, after) {
		t.Errorf("list after restart =\n%s\nwant\n%s", after, before)
	}
	r = armCall(t, c2, srv2, http.MethodGet, apimURL(srv2, "kept"), nil)
	if r.header.Get("ETag") != etag {
		t.Errorf("ETag after restart = %q, want %q", r.header.Get("ETag"), etag)
	}
	r = armCall(t, c2, srv2, http.MethodDelete, apimURL(srv2, "used"), nil, "If-Match", "*")
	wantARMError(t, "DELETE used after restart", r, http.StatusConflict, "CertificateInUse", "payments")
	r = armCall(t, c2, srv2, http.MethodDelete, apimURL(srv2, "kept"), nil, "If-Match", etag)
	wantARM(t, "DELETE kept with its ETag from before the restart", r, http.StatusOK)
	// The classic state survived alongside.
	if got := srv2.ASM.ManagementCertificates(); !slices.Equal(got, []string{thumb(f.admin.DER)}) {
		t.Errorf("ManagementCertificates after restart = %v, want the admin certificate", got)
	}
}

func TestARMStateErrors(t *testing.T) {
	f := testFixture(t)
	state := func(certs ...map[string]any) string {
		m := map[string]any{
			"version": 1, "subscription": emulator.DefaultSubscription, "managementCertificates": []any{}, "services": []any{},
			"apimServices": []any{map[string]any{"resourceGroup": apimRG, "name": apimName, "certificates": certs}},
		}
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	good := func(edit func(map[string]any)) map[string]any {
		c := map[string]any{"id": "c1", "data": b64(f.certs[0].DER), "etag": `"AAAAAAAAAAE="`}
		if edit != nil {
			edit(c)
		}
		return c
	}
	tests := []struct{ name, content, reason string }{
		{"bad id", state(good(func(c map[string]any) { c["id"] = "1bad" })), "certificate 1 of API Management service"},
		{"duplicate id", state(good(nil), good(func(c map[string]any) { c["id"] = "C1" })), "listed twice"},
		{"bad data", state(good(func(c map[string]any) { c["data"] = b64([]byte("junk")) })), "certificate 1"},
		{"unquoted ETag", state(good(func(c map[string]any) { c["etag"] = "AAAA" })), "ETag"},
		{"empty back end", state(good(func(c map[string]any) { c["usedBy"] = []string{""} })), "back end"},
		{"bad service name", strings.Replace(state(), apimName, "-bad", 1), "API Management service"},
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
				t.Errorf("NewUnstartedServer = %v, want a *StateError containing %q", err, tt.reason)
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
		t.Fatalf("NewUnstartedServer(valid state) = %v", err)
	}
	if got := srv.APIM.Certificates(apimRG, apimName); !slices.Equal(got, []string{"c1"}) {
		t.Errorf("APIMCertificates = %v, want [c1]", got)
	}
}

func TestARMRequestsRecorded(t *testing.T) {
	srv := newARMServer(t, nil)
	c := armHTTPClient(t, srv)
	armCall(t, c, srv, http.MethodGet, apimURL(srv, ""), nil)
	armCall(t, c, srv, http.MethodGet, apimURL(srv, ""), nil, "Authorization", "Bearer wrong-token")
	armCall(t, c, srv, http.MethodGet, apimURL(srv, ""), nil, "Authorization", "wrong-token-alone")
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("Requests() = %d requests, want 3", len(reqs))
	}
	wantPath := strings.TrimPrefix(certsPath(srv, apimRG, apimName), srv.URL)
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
	f := testFixture(t)
	srv, _ := newServer(t, func(c *azure.Config) { c.APIMServices = []string{apimRG + "/" + apimName} })
	withCert := client(t, srv, f.admin)
	wantStatus(t, "classic GET", call(t, withCert, http.MethodGet, certsURL(srv), nil, version), http.StatusOK)
	wantARM(t, "ARM GET with a client certificate", armCall(t, withCert, srv, http.MethodGet, apimURL(srv, ""), nil), http.StatusOK)
	// A classic request carrying the bearer token but no certificate is
	// still refused.
	r := armCall(t, armHTTPClient(t, srv), srv, http.MethodGet, certsURL(srv), nil, "x-ms-version", version)
	wantError(t, "classic GET with a token and no certificate", r, http.StatusForbidden, "ForbiddenError", forbidden)
}

// FuzzARMPut puts arbitrary bodies through Handler and checks that every
// answer is a 201 with a contract or a 400 with a JSON error.
func FuzzARMPut(f *testing.F) {
	fx := testFixture(f)
	srv, err := azure.New(azure.Config{APIMServices: []string{apimRG + "/" + apimName}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	pfx, err := export.EncodePFX(fx.site.Key, fx.site.Cert, nil, export.PFXOptions{Password: "pw"})
	if err != nil {
		f.Fatal(err)
	}
	body := func(data, password string) []byte {
		return []byte(`{"properties":{"data":"` + data + `","password":"` + password + `"}}`)
	}
	for _, seed := range [][]byte{
		body(b64(pfx), "pw"),
		body(b64(pfx), "wrong"),
		body(b64(pfx[:len(pfx)/2]), "pw"),
		body(b64(fx.site.DER), ""),
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
	path := "/subscriptions/" + srv.Subscription + "/resourceGroups/" + apimRG + "/providers/Microsoft.ApiManagement/service/" + apimName + "/certificates/fuzz?api-version=" + apimVersion
	f.Fuzz(func(t *testing.T, b []byte) {
		req := httptest.NewRequest(http.MethodPut, path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+srv.APIM.Token())
		req.Header.Set("If-Match", "*")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusCreated, http.StatusOK:
			var c armContract
			if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil || c.Properties.Thumbprint == "" {
				t.Fatalf("PUT = %d with body %q, want a contract (%v)", rec.Code, rec.Body, err)
			}
		case http.StatusBadRequest:
			var e armError
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("PUT = 400 with body %q, want a JSON error (%v)", rec.Body, err)
			}
		default:
			t.Fatalf("PUT = %d, want 200, 201 or 400 (body %q)", rec.Code, rec.Body)
		}
	})
}
