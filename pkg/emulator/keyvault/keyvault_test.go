package keyvault_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/emulator/emulatortest"
	"github.com/azcert/azcert/pkg/emulator/internal/emutest"
	"github.com/azcert/azcert/pkg/emulator/keyvault"
	"github.com/azcert/azcert/pkg/export"
)

const (
	token   = "kv-test-token"
	version = "7.5"
)

// vault is an emulator for a test and a plain client for it.
type vault struct {
	srv *azure.Emulator
	clk *emutest.Clock
	c   *http.Client
}

func newVault(t *testing.T, edit func(*azure.Config)) *vault {
	t.Helper()
	clk := emutest.NewClock()
	cfg := azure.Config{ARMToken: token, Now: clk.Now}
	if edit != nil {
		edit(&cfg)
	}
	srv := emulatortest.NewServer(t, cfg)
	tr := &http.Transport{TLSClientConfig: srv.ClientTLSConfig(emutest.TLSCert(emutest.Certs(t).Admin))}
	t.Cleanup(tr.CloseIdleConnections)
	return &vault{srv: srv, clk: clk, c: &http.Client{Transport: tr}}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends method path (with its query) with body and, unless tok is "",
// "Authorization: Bearer tok".
func (v *vault) do(t *testing.T, method, path string, body []byte, tok string) answer {
	t.Helper()
	target := path
	if !strings.HasPrefix(path, "https://") {
		target = v.srv.URL + path
	}
	a := emutest.Bearer(t, v.c, method, target, body, tok)
	return answer{a.Status, a.Header, a.Body}
}

// call sends an authenticated request with api-version 7.5 added.
func (v *vault) call(t *testing.T, method, path string, body []byte) answer {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return v.do(t, method, path+sep+"api-version="+version, body, token)
}

var guidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func wantStatus(t *testing.T, what string, a answer, status int) {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: status = %d, want %d (body %s)", what, a.status, status, a.body)
	}
	if id := a.header.Get("x-ms-request-id"); !guidPattern.MatchString(id) {
		t.Errorf("%s: x-ms-request-id = %q, want a GUID", what, id)
	}
	if sv := a.header.Get("x-ms-keyvault-service-version"); sv == "" {
		t.Errorf("%s: no x-ms-keyvault-service-version", what)
	}
}

type kvError struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError *struct {
			Code string `json:"code"`
		} `json:"innererror"`
	} `json:"error"`
}

func wantError(t *testing.T, what string, a answer, status int, code, message string) kvError {
	t.Helper()
	wantStatus(t, what, a, status)
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type = %q, want JSON", what, ct)
	}
	var e kvError
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("%s: decoding %s: %v", what, a.body, err)
	}
	if e.Error.Code != code {
		t.Errorf("%s: code = %q, want %q (message %q)", what, e.Error.Code, code, e.Error.Message)
	}
	if !strings.Contains(e.Error.Message, message) {
		t.Errorf("%s: message = %q, want it to contain %q", what, e.Error.Message, message)
	}
	return e
}

func decode[T any](t *testing.T, a answer) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("decoding %T from %s: %v", v, a.body, err)
	}
	return v
}

type attributes struct {
	Enabled         bool   `json:"enabled"`
	NotBefore       int64  `json:"nbf"`
	Expires         int64  `json:"exp"`
	Created         int64  `json:"created"`
	Updated         int64  `json:"updated"`
	RecoveryLevel   string `json:"recoveryLevel"`
	RecoverableDays int    `json:"recoverableDays"`
}

type bundle struct {
	ID          string            `json:"id"`
	Kid         string            `json:"kid"`
	Sid         string            `json:"sid"`
	X5t         string            `json:"x5t"`
	Cer         []byte            `json:"cer"`
	ContentType string            `json:"contentType"`
	Attributes  attributes        `json:"attributes"`
	Tags        map[string]string `json:"tags"`
	Policy      struct {
		ID       string `json:"id"`
		KeyProps struct {
			Exportable bool   `json:"exportable"`
			KeyType    string `json:"kty"`
			KeySize    int    `json:"key_size"`
		} `json:"key_props"`
		SecretProps struct {
			ContentType string `json:"contentType"`
		} `json:"secret_props"`
		X509Props struct {
			Subject string `json:"subject"`
		} `json:"x509_props"`
		Issuer struct {
			Name string `json:"name"`
		} `json:"issuer"`
	} `json:"policy"`
	RecoveryID         string `json:"recoveryId"`
	DeletedDate        int64  `json:"deletedDate"`
	ScheduledPurgeDate int64  `json:"scheduledPurgeDate"`
}

type item struct {
	ID                 string            `json:"id"`
	X5t                string            `json:"x5t"`
	Attributes         attributes        `json:"attributes"`
	Tags               map[string]string `json:"tags"`
	RecoveryID         string            `json:"recoveryId"`
	DeletedDate        int64             `json:"deletedDate"`
	ScheduledPurgeDate int64             `json:"scheduledPurgeDate"`
}

type list struct {
	Value    []item  `json:"value"`
	NextLink *string `json:"nextLink"`
}

// Test inputs.

var (
	pfxOnce sync.Once
	pfxData []byte
	pfxErr  error
)

// pfx is the fixture's site certificate and key as a .pfx, password "pw".
func pfx(t *testing.T) []byte {
	t.Helper()
	f := emutest.Certs(t)
	pfxOnce.Do(func() {
		pfxData, pfxErr = export.EncodePFX(f.Site.Key, f.Site.Cert, nil, export.PFXOptions{Password: "pw"})
	})
	if pfxErr != nil {
		t.Fatal(pfxErr)
	}
	return pfxData
}

func importBody(value, pwd string, extra string) []byte {
	return []byte(`{"value":"` + value + `","pwd":"` + pwd + `"` + extra + `}`)
}

func pfxBody(t *testing.T) []byte { return importBody(emutest.B64(pfx(t)), "pw", "") }

// sitePEM is the site certificate and its PKCS#8 key as PEM text, JSON-quoted.
func sitePEM(t *testing.T, pkcs1 bool) string {
	t.Helper()
	f := emutest.Certs(t)
	var key []byte
	if pkcs1 {
		key = pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(f.Site.Key))
	} else {
		var err error
		if key, err = export.KeyPEM(f.Site.Key); err != nil {
			t.Fatal(err)
		}
	}
	q, _ := json.Marshal(string(export.CertPEM(f.Site.Cert)) + string(key))
	return string(q[1 : len(q)-1])
}

func pemBlock(typ string, der []byte) []byte {
	return []byte("-----BEGIN " + typ + "-----\n" + base64.StdEncoding.EncodeToString(der) + "\n-----END " + typ + "-----\n")
}

var weak = sync.OnceValues(func() (*rsa.PrivateKey, *x509.Certificate) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "weak.contoso.net"},
		NotBefore: emutest.FixedNow, NotAfter: emutest.FixedNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return key, cert
})

func x5t(der []byte) string {
	sum := sha1.Sum(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// The tests.

// TestChallenge: a request without a token gets Key Vault's challenge,
// naming the tenant and the host the request was sent to without its
// port; a wrong token gets 401 too.
func TestChallenge(t *testing.T) {
	v := newVault(t, func(c *azure.Config) { c.KeyVaultTenant = "contoso.onmicrosoft.com" })
	wantChallenge := `Bearer authorization="https://login.microsoftonline.com/contoso.onmicrosoft.com", resource="https://127.0.0.1"`
	for _, tc := range []struct {
		name, auth, message string
	}{
		{"no token", "", "AKV10000: Request is missing a Bearer or PoP token."},
		{"wrong token", "Bearer nope", "AKV10032"},
		{"basic", "Basic " + token, "AKV10032"},
		{"empty bearer", "Bearer ", "AKV10032"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, v.srv.URL+"/certificates?api-version=7.5", nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := v.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			a := answer{resp.StatusCode, resp.Header, data}
			wantError(t, "GET /certificates", a, http.StatusUnauthorized, "Unauthorized", tc.message)
			if got := a.header.Get("WWW-Authenticate"); got != wantChallenge {
				t.Errorf("WWW-Authenticate = %s, want %s", got, wantChallenge)
			}
		})
	}
	// Without an api-version the challenge still comes first.
	a := v.do(t, http.MethodGet, "/certificates", nil, "")
	wantStatus(t, "no token, no api-version", a, http.StatusUnauthorized)
}

// TestSDKChallengeFlow performs the official SDKs' challenge flow (the
// Go SDK's keyVaultAuthorizer): the first request without its body and
// without a token, the challenge parsed, the resource's domain checked
// against the vault's host, a token asked for <resource>/.default in the
// challenge's tenant, then the request sent again with the token.
func TestSDKChallengeFlow(t *testing.T) {
	v := newVault(t, nil)
	path := "/certificates/sdk-flow/import?api-version=7.5"
	first := v.do(t, http.MethodPost, path, nil, "")
	wantStatus(t, "first request", first, http.StatusUnauthorized)
	h := first.header.Get("WWW-Authenticate")
	if !strings.HasPrefix(h, "Bearer ") {
		t.Fatalf("WWW-Authenticate = %q, want a Bearer challenge", h)
	}
	vals := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(h, "Bearer "), " ") {
		k, val, ok := strings.Cut(part, "=")
		if ok {
			vals[k] = strings.TrimSuffix(strings.ReplaceAll(val, `"`, ""), ",")
		}
	}
	resource := vals["resource"]
	ru, err := url.Parse(resource)
	if err != nil || ru.Host == "" {
		t.Fatalf("resource %q is not a URL", resource)
	}
	vaultURL, _ := url.Parse(v.srv.URL)
	// The host names, without ports, must match. (The Go SDK's own check,
	// that the host with its port ends with "."+the resource's host, holds
	// only for a vault under a domain, never for 127.0.0.1:PORT.)
	if !strings.HasSuffix(vaultURL.Hostname(), ru.Hostname()) {
		t.Fatalf("the challenge's resource %s does not match the vault host %s", resource, vaultURL.Hostname())
	}
	scope := resource + "/.default"
	if scope != "https://127.0.0.1/.default" {
		t.Errorf("scope = %s, want https://127.0.0.1/.default", scope)
	}
	au, err := url.Parse(vals["authorization"])
	if err != nil || strings.Trim(au.Path, "/") != keyvault.DefaultTenant {
		t.Fatalf("authorization = %q, want the authority and tenant %s", vals["authorization"], keyvault.DefaultTenant)
	}
	// The credential gives the token for scope in the tenant: for the
	// emulator, the ARM token it printed.
	tok := v.srv.APIM.Token()
	again := v.do(t, http.MethodPost, path, pfxBody(t), tok)
	wantStatus(t, "request with the token", again, http.StatusOK)
	if b := decode[bundle](t, again); !strings.HasPrefix(b.ID, v.srv.URL+"/certificates/sdk-flow/") {
		t.Errorf("id = %s", b.ID)
	}
}

func TestAPIVersions(t *testing.T) {
	v := newVault(t, nil)
	for _, tc := range []struct {
		version string
		status  int
		message string
	}{
		{"7.5", http.StatusOK, ""},
		{"7.4", http.StatusOK, ""},
		{"7.6-preview.2", http.StatusOK, ""},
		{"7.6", http.StatusOK, ""},
		{"2025-07-01", http.StatusOK, ""},
		{"", http.StatusBadRequest, "api-version query parameter is missing"},
		{"2016-10-01", http.StatusBadRequest, "The specified version (2016-10-01) is not recognized"},
		{"8.0", http.StatusBadRequest, "not recognized"},
	} {
		t.Run(tc.version, func(t *testing.T) {
			path := "/certificates"
			if tc.version != "" {
				path += "?api-version=" + tc.version
			}
			a := v.do(t, http.MethodGet, path, nil, token)
			if tc.status == http.StatusOK {
				wantStatus(t, "GET "+path, a, http.StatusOK)
				return
			}
			wantError(t, "GET "+path, a, tc.status, "BadParameter", tc.message)
		})
	}
}

func TestImport(t *testing.T) {
	v := newVault(t, nil)
	f := emutest.Certs(t)
	now := emutest.FixedNow.Unix()
	a := v.call(t, http.MethodPost, "/certificates/Site-1/import",
		importBody(emutest.B64(pfx(t)), "pw", `,"policy":{"key_props":{"exportable":false},"secret_props":{"contentType":"application/x-pkcs12"}},"attributes":{"enabled":false},"tags":{"env":"test"}`))
	wantStatus(t, "import", a, http.StatusOK)
	b := decode[bundle](t, a)
	idPattern := regexp.MustCompile(`^` + regexp.QuoteMeta(v.srv.URL) + `/certificates/Site-1/([0-9a-f]{32})$`)
	m := idPattern.FindStringSubmatch(b.ID)
	if m == nil {
		t.Fatalf("id = %s, want %s/certificates/Site-1/<32 hex digits>", b.ID, v.srv.URL)
	}
	ver := m[1]
	for _, c := range []struct{ name, got, want string }{
		{"kid", b.Kid, v.srv.URL + "/keys/Site-1/" + ver},
		{"sid", b.Sid, v.srv.URL + "/secrets/Site-1/" + ver},
		{"x5t", b.X5t, x5t(f.Site.DER)},
		{"contentType", b.ContentType, "application/x-pkcs12"},
		{"policy.id", b.Policy.ID, v.srv.URL + "/certificates/Site-1/policy"},
		{"policy.secret_props.contentType", b.Policy.SecretProps.ContentType, "application/x-pkcs12"},
		{"policy.key_props.kty", b.Policy.KeyProps.KeyType, "RSA"},
		{"policy.issuer.name", b.Policy.Issuer.Name, "Unknown"},
		{"attributes.recoveryLevel", b.Attributes.RecoveryLevel, "Recoverable+Purgeable"},
		{"tags.env", b.Tags["env"], "test"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if strings.Contains(b.X5t, "=") || len(b.X5t) != 27 {
		t.Errorf("x5t = %q, want 27 base64url characters without padding", b.X5t)
	}
	if !bytes.Equal(b.Cer, f.Site.DER) {
		t.Errorf("cer is not the certificate's DER")
	}
	wantAttr := attributes{Enabled: false, NotBefore: f.Site.Cert.NotBefore.Unix(), Expires: f.Site.Cert.NotAfter.Unix(),
		Created: now, Updated: now, RecoveryLevel: "Recoverable+Purgeable", RecoverableDays: 90}
	if b.Attributes != wantAttr {
		t.Errorf("attributes = %+v, want %+v", b.Attributes, wantAttr)
	}
	if b.Policy.KeyProps.Exportable || b.Policy.KeyProps.KeySize != 2048 {
		t.Errorf("policy.key_props = %+v, want exportable false and key_size 2048", b.Policy.KeyProps)
	}

	// A second import is a second version; the name is not case-sensitive.
	v.clk.Advance(time.Minute)
	a = v.call(t, http.MethodPost, "/certificates/site-1/import",
		importBody(sitePEM(t, false), "", `,"policy":{"secret_props":{"contentType":"application/x-pem-file"}}`))
	wantStatus(t, "import PEM", a, http.StatusOK)
	b2 := decode[bundle](t, a)
	if !strings.HasPrefix(b2.ID, v.srv.URL+"/certificates/Site-1/") || b2.ID == b.ID {
		t.Errorf("second id = %s, want another version of Site-1 (first %s)", b2.ID, b.ID)
	}
	if b2.ContentType != "application/x-pem-file" || !b2.Attributes.Enabled || b2.Attributes.Created != now+60 {
		t.Errorf("second import: contentType %q, attributes %+v", b2.ContentType, b2.Attributes)
	}

	// Get: the current version, and each version by its id.
	got := decode[bundle](t, v.call(t, http.MethodGet, "/certificates/SITE-1", nil))
	if got.ID != b2.ID {
		t.Errorf("GET current: id = %s, want %s", got.ID, b2.ID)
	}
	a = v.call(t, http.MethodGet, "/certificates/Site-1/"+ver, nil)
	wantStatus(t, "GET version", a, http.StatusOK)
	if got := decode[bundle](t, a); got.ID != b.ID || got.Attributes.Enabled {
		t.Errorf("GET version: id %s enabled %v, want %s disabled", got.ID, got.Attributes.Enabled, b.ID)
	}
	a = v.call(t, http.MethodGet, "/certificates/site-1/policy", nil)
	wantStatus(t, "GET policy", a, http.StatusOK)
	if p := decode[struct {
		ID          string `json:"id"`
		SecretProps struct {
			ContentType string `json:"contentType"`
		} `json:"secret_props"`
	}](t, a); p.ID != b.Policy.ID || p.SecretProps.ContentType != "application/x-pem-file" {
		t.Errorf("GET policy = %+v, want the current version's", p)
	}
	vs := decode[list](t, v.call(t, http.MethodGet, "/certificates/Site-1/versions", nil))
	if len(vs.Value) != 2 || vs.Value[0].ID != b.ID || vs.Value[1].ID != b2.ID || vs.NextLink != nil {
		t.Errorf("versions = %+v, want the two ids, oldest first, no nextLink", vs)
	}
	ls := decode[list](t, v.call(t, http.MethodGet, "/certificates", nil))
	if len(ls.Value) != 1 || ls.Value[0].ID != v.srv.URL+"/certificates/Site-1" || ls.Value[0].X5t != x5t(f.Site.DER) {
		t.Errorf("list = %+v, want one item, id without version", ls)
	}
	if !strings.Contains(string(v.call(t, http.MethodGet, "/certificates", nil).body), `"nextLink":null`) {
		t.Errorf("the last page has no \"nextLink\": null")
	}
}

func TestImportErrors(t *testing.T) {
	v := newVault(t, nil)
	f := emutest.Certs(t)
	good := emutest.B64(pfx(t))
	trust, err := pkcs12.EncodeTrustStore(rand.Reader, []*x509.Certificate{f.Site.Cert}, "pw")
	if err != nil {
		t.Fatal(err)
	}
	wk, wc := weak()
	weakPFX, err := export.EncodePFX(wk, wc, nil, export.PFXOptions{Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	certOnly, _ := json.Marshal(string(export.CertPEM(f.Site.Cert)))
	pem := `,"policy":{"secret_props":{"contentType":"application/x-pem-file"}}`
	manyTags := `,"tags":{`
	for i := range 16 {
		manyTags += fmt.Sprintf(`"t%d":"v",`, i)
	}
	manyTags = strings.TrimSuffix(manyTags, ",") + "}"
	for _, tc := range []struct {
		name, cert string
		body       []byte
		message    string
	}{
		{"wrong password", "c", importBody(good, "wrong", ""), "The specified PKCS#12 X.509 certificate content can not be read."},
		{"no password", "c", importBody(good, "", ""), "can not be read"},
		{"not base64", "c", importBody("%%%", "pw", ""), "can not be read"},
		{"not a pfx", "c", importBody(emutest.B64(f.Site.DER), "", ""), "can not be read"},
		{"truncated pfx", "c", importBody(emutest.B64(pfx(t)[:300]), "pw", ""), "can not be read"},
		{"pfx without key", "c", importBody(emutest.B64(trust), "pw", ""), "Private key is not specified in the specified PKCS#12"},
		{"rsa 1024", "c", importBody(emutest.B64(weakPFX), "pw", ""), "has 1024 bits"},
		{"pem without key", "c", importBody(string(certOnly[1:len(certOnly)-1]), "", pem), "Private key is not specified in the specified X.509 PEM"},
		{"pem pkcs1 key", "c", importBody(sitePEM(t, true), "", pem), "PKCS#8"},
		{"pem as pkcs12", "c", importBody(sitePEM(t, false), "", ""), "can not be read"},
		{"pfx as pem", "c", importBody(good, "pw", pem), "PEM certificate content can not be read"},
		{"content type", "c", importBody(good, "pw", `,"policy":{"secret_props":{"contentType":"text/plain"}}`), "content type text/plain is not supported"},
		{"too many tags", "c", importBody(good, "pw", manyTags), "16 tags"},
		{"empty body", "c", nil, "empty"},
		{"not json", "c", []byte("{"), "not a valid JSON object"},
		{"trailing data", "c", []byte(`{"value":"x"} {}`), "after the JSON object"},
		{"no value", "c", []byte(`{"pwd":"pw"}`), "Property value is required"},
		{"underscore in name", "a_b", pfxBody(t), "invalid name: a_b"},
		{"name too long", strings.Repeat("a", 128), pfxBody(t), "invalid name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := v.call(t, http.MethodPost, "/certificates/"+tc.cert+"/import", tc.body)
			wantError(t, "import", a, http.StatusBadRequest, "BadParameter", tc.message)
		})
	}
	if a := v.call(t, http.MethodPost, "/certificates/"+strings.Repeat("a", 127)+"/import", pfxBody(t)); a.status != http.StatusOK {
		t.Errorf("a name of 127 characters: status %d, want 200 (%s)", a.status, a.body)
	}
	if ls := decode[list](t, v.call(t, http.MethodGet, "/certificates", nil)); len(ls.Value) != 1 {
		t.Errorf("after the refusals the vault holds %d certificates, want 1", len(ls.Value))
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	v := newVault(t, nil)
	wantStatus(t, "import", v.call(t, http.MethodPost, "/certificates/web/import", pfxBody(t)), http.StatusOK)
	for _, tc := range []struct {
		name, method, path string
		status             int
		code, message      string
	}{
		{"get absent", http.MethodGet, "/certificates/absent", 404, "CertificateNotFound", "A certificate with (name/id) absent was not found in this key vault."},
		{"get absent version", http.MethodGet, "/certificates/web/0123456789abcdef0123456789abcdef", 404, "CertificateNotFound", "(name/id) web/versions/0123456789abcdef0123456789abcdef was not found"},
		{"policy absent", http.MethodGet, "/certificates/absent/policy", 404, "CertificateNotFound", "absent"},
		{"delete absent", http.MethodDelete, "/certificates/absent", 404, "CertificateNotFound", "absent"},
		{"get deleted absent", http.MethodGet, "/deletedcertificates/web", 404, "CertificateNotFound", "Deleted Certificate not found: web"},
		{"purge absent", http.MethodDelete, "/deletedcertificates/absent", 404, "CertificateNotFound", "Deleted Certificate not found"},
		{"recover absent", http.MethodPost, "/deletedcertificates/absent/recover", 404, "CertificateNotFound", "Deleted Certificate not found"},
		{"unknown path", http.MethodGet, "/certificates/web/a/b", 404, "NotFound", "serves only"},
		{"put", http.MethodPut, "/certificates/web", 405, "MethodNotAllowed", "PUT"},
		{"get import", http.MethodGet, "/certificates/web/import", 405, "MethodNotAllowed", "POST"},
		{"post list", http.MethodPost, "/certificates", 405, "MethodNotAllowed", "GET"},
		{"bad name", http.MethodGet, "/deletedcertificates/a.b", 400, "BadParameter", "invalid name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, tc.method+" "+tc.path, v.call(t, tc.method, tc.path, nil), tc.status, tc.code, tc.message)
		})
	}
}

// TestPaging: lists answer 25 items a page (or maxresults), with a
// nextLink carrying the api-version and a $skiptoken, null on the last.
func TestPaging(t *testing.T) {
	v := newVault(t, nil)
	body := pfxBody(t)
	for i := range 30 {
		wantStatus(t, "import", v.call(t, http.MethodPost, fmt.Sprintf("/certificates/c%02d/import", i), body), http.StatusOK)
	}
	for range 26 {
		wantStatus(t, "import version", v.call(t, http.MethodPost, "/certificates/c00/import", body), http.StatusOK)
	}
	follow := func(t *testing.T, path string) (sizes []int, ids []string) {
		t.Helper()
		next := path
		for i := 0; next != ""; i++ {
			if i > 10 {
				t.Fatal("more than 10 pages")
			}
			var a answer
			if i == 0 {
				a = v.call(t, http.MethodGet, next, nil)
			} else {
				if !strings.Contains(next, "api-version=7.5") || !strings.Contains(next, "$skiptoken=") {
					t.Errorf("nextLink %s lacks the api-version or $skiptoken", next)
				}
				a = v.do(t, http.MethodGet, next, nil, token)
			}
			wantStatus(t, "GET "+next, a, http.StatusOK)
			l := decode[list](t, a)
			sizes = append(sizes, len(l.Value))
			for _, it := range l.Value {
				ids = append(ids, it.ID)
			}
			next = ""
			if l.NextLink != nil {
				next = *l.NextLink
			}
		}
		return sizes, ids
	}
	for _, tc := range []struct {
		name, path string
		sizes      []int
	}{
		{"certificates", "/certificates", []int{25, 5}},
		{"maxresults 10", "/certificates?maxresults=10", []int{10, 10, 10}},
		{"maxresults 25", "/certificates?maxresults=25", []int{25, 5}},
		{"versions", "/certificates/c00/versions", []int{25, 2}},
		{"versions of an absent name", "/certificates/absent/versions", []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sizes, ids := follow(t, tc.path)
			if fmt.Sprint(sizes) != fmt.Sprint(tc.sizes) {
				t.Errorf("page sizes = %v, want %v", sizes, tc.sizes)
			}
			seen := map[string]bool{}
			for _, id := range ids {
				if seen[id] {
					t.Errorf("%s listed twice", id)
				}
				seen[id] = true
			}
		})
	}
	for _, tc := range []struct{ name, query, message string }{
		{"maxresults 26", "maxresults=26", "maxresults (26)"},
		{"maxresults 0", "maxresults=0", "maxresults (0)"},
		{"maxresults x", "maxresults=x", "maxresults (x)"},
		{"bad skiptoken", "$skiptoken=%25%25", "$skiptoken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, tc.query, v.call(t, http.MethodGet, "/certificates?"+tc.query, nil), http.StatusBadRequest, "BadParameter", tc.message)
		})
	}
}

func TestDeleteRecoverPurge(t *testing.T) {
	v := newVault(t, nil)
	f := emutest.Certs(t)
	imp := decode[bundle](t, v.call(t, http.MethodPost, "/certificates/web/import", pfxBody(t)))
	v.clk.Advance(time.Hour)
	deletedAt := emutest.FixedNow.Add(time.Hour).Unix()

	a := v.call(t, http.MethodDelete, "/certificates/web", nil)
	wantStatus(t, "delete", a, http.StatusOK)
	d := decode[bundle](t, a)
	if d.RecoveryID != v.srv.URL+"/deletedcertificates/web" || d.DeletedDate != deletedAt ||
		d.ScheduledPurgeDate != deletedAt+90*24*3600 || d.ID != imp.ID || d.X5t != x5t(f.Site.DER) {
		t.Errorf("DeletedCertificateBundle = %+v", d)
	}
	if !strings.HasPrefix(string(a.body), `{"recoveryId":`) {
		t.Errorf("the deleted bundle does not begin with recoveryId: %.60s", a.body)
	}
	wantError(t, "get deleted certificate", v.call(t, http.MethodGet, "/certificates/web", nil), 404, "CertificateNotFound", "web")
	wantError(t, "delete again", v.call(t, http.MethodDelete, "/certificates/web", nil), 404, "CertificateNotFound", "web")
	if ls := decode[list](t, v.call(t, http.MethodGet, "/certificates", nil)); len(ls.Value) != 0 {
		t.Errorf("list after delete = %+v, want empty", ls.Value)
	}
	dl := decode[list](t, v.call(t, http.MethodGet, "/deletedcertificates", nil))
	if len(dl.Value) != 1 || dl.Value[0].RecoveryID != d.RecoveryID || dl.Value[0].ID != v.srv.URL+"/certificates/web" || dl.Value[0].DeletedDate != deletedAt {
		t.Errorf("deleted list = %+v", dl.Value)
	}
	wantStatus(t, "get deleted", v.call(t, http.MethodGet, "/deletedcertificates/web", nil), http.StatusOK)
	e := wantError(t, "import over deleted", v.call(t, http.MethodPost, "/certificates/WEB/import", pfxBody(t)), http.StatusConflict, "Conflict",
		"Certificate web is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the certificate can only be recovered or purged.")
	if e.Error.InnerError == nil || e.Error.InnerError.Code != "ObjectIsDeletedButRecoverable" {
		t.Errorf("innererror = %+v, want ObjectIsDeletedButRecoverable", e.Error.InnerError)
	}

	a = v.call(t, http.MethodPost, "/deletedcertificates/web/recover", nil)
	wantStatus(t, "recover", a, http.StatusOK)
	if r := decode[bundle](t, a); r.ID != imp.ID || r.RecoveryID != "" {
		t.Errorf("recovered bundle = %+v, want id %s and no recoveryId", r, imp.ID)
	}
	wantStatus(t, "get recovered", v.call(t, http.MethodGet, "/certificates/web", nil), http.StatusOK)
	wantError(t, "get deleted after recover", v.call(t, http.MethodGet, "/deletedcertificates/web", nil), 404, "CertificateNotFound", "web")

	wantStatus(t, "delete", v.call(t, http.MethodDelete, "/certificates/web", nil), http.StatusOK)
	a = v.call(t, http.MethodDelete, "/deletedcertificates/web", nil)
	wantStatus(t, "purge", a, http.StatusNoContent)
	if len(a.body) != 0 {
		t.Errorf("purge body = %q, want none", a.body)
	}
	wantError(t, "get purged", v.call(t, http.MethodGet, "/deletedcertificates/web", nil), 404, "CertificateNotFound", "web")
	a = v.call(t, http.MethodPost, "/certificates/web/import", pfxBody(t))
	wantStatus(t, "import after purge", a, http.StatusOK)
	if vs := decode[list](t, v.call(t, http.MethodGet, "/certificates/web/versions", nil)); len(vs.Value) != 1 {
		t.Errorf("versions after purge and import = %d, want 1", len(vs.Value))
	}

	// At the end of the retention a deleted certificate is purged.
	wantStatus(t, "delete", v.call(t, http.MethodDelete, "/certificates/web", nil), http.StatusOK)
	v.clk.Advance(90*24*time.Hour - time.Second)
	wantStatus(t, "deleted, a second before the purge", v.call(t, http.MethodGet, "/deletedcertificates/web", nil), http.StatusOK)
	v.clk.Advance(time.Second)
	wantError(t, "deleted, at the purge date", v.call(t, http.MethodGet, "/deletedcertificates/web", nil), 404, "CertificateNotFound", "web")
}

// TestFaults: throttling and internal errors answer as Key Vault does,
// and change nothing.
func TestFaults(t *testing.T) {
	v := newVault(t, nil)
	for _, tc := range []struct {
		kind   emulator.FaultKind
		status int
		code   string
	}{
		{emulator.FaultThrottle, http.StatusTooManyRequests, "Throttled"},
		{emulator.FaultInternalError, http.StatusInternalServerError, "InternalServerError"},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			v.srv.Inject(emulator.Fault{Kind: tc.kind})
			a := v.call(t, http.MethodPost, "/certificates/web/import", pfxBody(t))
			wantError(t, "import", a, tc.status, tc.code, "")
			if tc.kind == emulator.FaultThrottle && a.header.Get("Retry-After") != "1" {
				t.Errorf("Retry-After = %q, want 1", a.header.Get("Retry-After"))
			}
			if ls := decode[list](t, v.call(t, http.MethodGet, "/certificates", nil)); len(ls.Value) != 0 {
				t.Errorf("a faulted import was made")
			}
		})
	}
}

// TestState: certificates, versions and deletions survive a restart; a
// state file without the member loads, and a bad member is refused.
func TestState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	clk := emutest.NewClock()
	cfg := azure.Config{ARMToken: token, Now: clk.Now, StatePath: path}
	v := newVault(t, func(c *azure.Config) { *c = cfg })
	body := pfxBody(t)
	first := decode[bundle](t, v.call(t, http.MethodPost, "/certificates/keep/import", importBody(emutest.B64(pfx(t)), "pw", `,"tags":{"a":"b"}`)))
	second := decode[bundle](t, v.call(t, http.MethodPost, "/certificates/keep/import", body))
	wantStatus(t, "import", v.call(t, http.MethodPost, "/certificates/gone/import", body), http.StatusOK)
	gone := decode[bundle](t, v.call(t, http.MethodDelete, "/certificates/gone", nil))
	if err := v.srv.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"keyVault"`) {
		t.Fatalf("the state file has no keyVault member:\n%s", data)
	}

	w := newVault(t, func(c *azure.Config) { *c = cfg })
	if got := decode[bundle](t, w.call(t, http.MethodGet, "/certificates/keep", nil)); got.ID != strings.Replace(second.ID, v.srv.URL, w.srv.URL, 1) {
		t.Errorf("after restart: id %s, want version of %s", got.ID, second.ID)
	}
	a := w.call(t, http.MethodGet, "/certificates/keep/"+first.ID[strings.LastIndex(first.ID, "/")+1:], nil)
	wantStatus(t, "first version after restart", a, http.StatusOK)
	if got := decode[bundle](t, a); got.Tags["a"] != "b" || got.Attributes != first.Attributes {
		t.Errorf("first version after restart: %+v, want %+v and its tag", got.Attributes, first.Attributes)
	}
	d := decode[bundle](t, w.call(t, http.MethodGet, "/deletedcertificates/gone", nil))
	if d.DeletedDate != gone.DeletedDate || d.ScheduledPurgeDate != gone.ScheduledPurgeDate {
		t.Errorf("deleted after restart: %d %d, want %d %d", d.DeletedDate, d.ScheduledPurgeDate, gone.DeletedDate, gone.ScheduledPurgeDate)
	}

	for _, tc := range []struct{ name, member, reason string }{
		{"bad version", `{"certificates":[{"name":"a","versions":[{"version":"XYZ","data":"","enabled":true,"created":0,"updated":0,"contentType":"application/x-pkcs12","exportable":true}]}]}`, "32 lower-case hex"},
		{"bad name", `{"certificates":[{"name":"a_b","versions":[]}]}`, "name"},
		{"no versions", `{"certificates":[{"name":"a","versions":[]}]}`, "no versions"},
		{"half deleted", `{"certificates":[{"name":"a","versions":[],"deletedDate":1}]}`, ""},
		{"unknown field", `{"certificates":[],"vaults":[]}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(p, []byte(`{"version":1,"subscription":"`+emulator.DefaultSubscription+`","keyVault":`+tc.member+`}`), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := azure.New(azure.Config{StatePath: p})
			var se *emulator.StateError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("New = %v, want a *StateError mentioning %q", err, tc.reason)
			}
		})
	}
	t.Run("without the member", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "state.json")
		old := `{"version":1,"subscription":"` + emulator.DefaultSubscription + `"}`
		if err := os.WriteFile(p, []byte(old), 0o600); err != nil {
			t.Fatal(err)
		}
		e, err := azure.New(azure.Config{StatePath: p, ARMToken: token})
		if err != nil {
			t.Fatalf("New(a file without keyVault) = %v", err)
		}
		if err := e.Start(); err != nil {
			t.Fatal(err)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(p); strings.Contains(string(data), "keyVault") {
			t.Errorf("an empty vault wrote its member:\n%s", data)
		}
	})
}
