package keyvault_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/azcert/azcert/pkg/keyvault"
)

// recorded is one request as the fake vault saw it.
type recorded struct {
	Method, Path string
	Query        map[string][]string
	Auth         string
	Body         []byte
}

// fakeVault is a small Key Vault data plane for the client's tests, written
// from the REST reference: the 401 challenge, import, get, list and
// versions paged with nextLink, delete, get deleted, purge, recover. It
// counts TLS handshakes and challenges and records every request; fault,
// if set, may answer a request first.
type fakeVault struct {
	srv *httptest.Server
	tb  testing.TB

	mu         sync.Mutex
	reqs       []recorded
	handshakes int
	challenges int
	// resource and tenant are what the challenge names; accept is the
	// token prefix the vault takes ("Bearer tok-").
	resource, tenant, accept string
	pageSize                 int
	fault                    func(w http.ResponseWriter, r *http.Request, body []byte) bool

	certs   map[string][]version // name -> versions, oldest first
	deleted map[string][]version
	seq     int
}

type version struct {
	id      string
	cer     []byte
	enabled bool
	tags    map[string]string
	ct      string
	created int64
}

func newFakeVault(tb testing.TB) *fakeVault {
	tb.Helper()
	v := &fakeVault{tb: tb, resource: "https://127.0.0.1", tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47",
		accept: "Bearer tok-", pageSize: 25, certs: map[string][]version{}, deleted: map[string][]version{}}
	v.srv = httptest.NewUnstartedServer(http.HandlerFunc(v.serve))
	v.srv.TLS = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		v.mu.Lock()
		v.handshakes++
		v.mu.Unlock()
		return nil, nil
	}}
	v.srv.StartTLS()
	tb.Cleanup(v.srv.Close)
	return v
}

func (v *fakeVault) counts() (handshakes, challenges int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.handshakes, v.challenges
}

func (v *fakeVault) requests() []recorded {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]recorded(nil), v.reqs...)
}

func (v *fakeVault) kvError(w http.ResponseWriter, status int, code, inner, msg string) {
	e := map[string]any{"code": code, "message": msg}
	if inner != "" {
		e["innererror"] = map[string]any{"code": inner}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": e})
}

func (v *fakeVault) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	v.mu.Lock()
	v.reqs = append(v.reqs, recorded{r.Method, r.URL.Path, r.URL.Query(), r.Header.Get("Authorization"), body})
	n := len(v.reqs)
	v.mu.Unlock()
	w.Header().Set("x-ms-request-id", fmt.Sprint("req-", n))
	if !strings.HasPrefix(r.Header.Get("Authorization"), v.accept) {
		v.mu.Lock()
		v.challenges++
		resource, tenant := v.resource, v.tenant
		v.mu.Unlock()
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization="https://login.microsoftonline.com/%s", resource="%s"`, tenant, resource))
		v.kvError(w, http.StatusUnauthorized, "Unauthorized", "", "AKV10000: Request is missing a Bearer or PoP token.")
		return
	}
	if v.fault != nil && v.fault(w, r, body) {
		return
	}
	if r.URL.Query().Get("api-version") != keyvault.APIVersion {
		v.kvError(w, http.StatusBadRequest, "BadParameter", "", "The specified version is not supported.")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	v.mu.Lock()
	defer v.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && len(parts) == 3 && parts[0] == "certificates" && parts[2] == "import":
		v.importCert(w, parts[1], body)
	case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "certificates":
		names := make([]string, 0, len(v.certs))
		for n := range v.certs {
			names = append(names, n)
		}
		slices.Sort(names)
		v.page(w, r, names, func(n string) map[string]any {
			item := v.bundle(n, v.certs[n][len(v.certs[n])-1], false)
			item["id"] = v.srv.URL + "/certificates/" + n
			return item
		})
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "certificates" && parts[2] == "versions":
		vs, ok := v.certs[parts[1]]
		if !ok {
			v.kvError(w, http.StatusNotFound, "CertificateNotFound", "", "A certificate with (name/id) "+parts[1]+" was not found in this key vault.")
			return
		}
		idx := make([]string, len(vs))
		for i := range vs {
			idx[i] = strconv.Itoa(i)
		}
		v.page(w, r, idx, func(i string) map[string]any { k, _ := strconv.Atoi(i); return v.bundle(parts[1], vs[k], false) })
	case r.Method == http.MethodGet && (len(parts) == 2 || len(parts) == 3) && parts[0] == "certificates":
		vs, ok := v.certs[parts[1]]
		if !ok {
			v.kvError(w, http.StatusNotFound, "CertificateNotFound", "", "A certificate with (name/id) "+parts[1]+" was not found in this key vault.")
			return
		}
		ver := vs[len(vs)-1]
		if len(parts) == 3 {
			found := false
			for _, x := range vs {
				if strings.HasSuffix(x.id, "/"+parts[2]) {
					ver, found = x, true
				}
			}
			if !found {
				v.kvError(w, http.StatusNotFound, "CertificateNotFound", "", "No such version.")
				return
			}
		}
		writeJSON(w, v.bundle(parts[1], ver, true))
	case r.Method == http.MethodDelete && len(parts) == 2 && parts[0] == "certificates":
		vs, ok := v.certs[parts[1]]
		if !ok {
			v.kvError(w, http.StatusNotFound, "CertificateNotFound", "", "A certificate with (name/id) "+parts[1]+" was not found in this key vault.")
			return
		}
		delete(v.certs, parts[1])
		v.deleted[parts[1]] = vs
		writeJSON(w, v.deletedBundle(parts[1]))
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "deletedcertificates":
		if _, ok := v.deleted[parts[1]]; !ok {
			v.kvError(w, http.StatusNotFound, "CertificateNotFound", "", "Deleted Certificate not found: "+parts[1])
			return
		}
		writeJSON(w, v.deletedBundle(parts[1]))
	case r.Method == http.MethodDelete && len(parts) == 2 && parts[0] == "deletedcertificates":
		if _, ok := v.deleted[parts[1]]; !ok {
			v.kvError(w, http.StatusNotFound, "CertificateNotFound", "", "Deleted Certificate not found: "+parts[1])
			return
		}
		delete(v.deleted, parts[1])
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPost && len(parts) == 3 && parts[0] == "deletedcertificates" && parts[2] == "recover":
		vs, ok := v.deleted[parts[1]]
		if !ok {
			v.kvError(w, http.StatusNotFound, "CertificateNotFound", "", "Deleted Certificate not found: "+parts[1])
			return
		}
		delete(v.deleted, parts[1])
		v.certs[parts[1]] = vs
		writeJSON(w, v.bundle(parts[1], vs[len(vs)-1], true))
	default:
		v.kvError(w, http.StatusBadRequest, "BadParameter", "", "Unknown operation.")
	}
}

func (v *fakeVault) importCert(w http.ResponseWriter, name string, body []byte) {
	if _, ok := v.deleted[name]; ok {
		v.kvError(w, http.StatusConflict, "Conflict", "", "Certificate "+name+" is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the certificate can only be recovered or purged.")
		return
	}
	var req struct {
		Value  string `json:"value"`
		Pwd    string `json:"pwd"`
		Policy struct {
			SecretProps struct {
				ContentType string `json:"contentType"`
			} `json:"secret_props"`
		} `json:"policy"`
		Attributes *struct {
			Enabled *bool `json:"enabled"`
		} `json:"attributes"`
		Tags map[string]string `json:"tags"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Value == "" {
		v.kvError(w, http.StatusBadRequest, "BadParameter", "", "Property value is required.")
		return
	}
	var cer []byte
	switch req.Policy.SecretProps.ContentType {
	case keyvault.ContentTypePEM:
		b, _ := pem.Decode([]byte(req.Value))
		if b == nil {
			v.kvError(w, http.StatusBadRequest, "BadParameter", "", "The specified PEM X.509 certificate content is in an unexpected format.")
			return
		}
		for rest := []byte(req.Value); ; {
			var blk *pem.Block
			if blk, rest = pem.Decode(rest); blk == nil {
				break
			}
			if blk.Type == "CERTIFICATE" {
				cer = blk.Bytes
				break
			}
		}
	default:
		raw, err := base64.StdEncoding.DecodeString(req.Value)
		if err == nil {
			var c *x509.Certificate
			if _, c, _, err = pkcs12.DecodeChain(raw, req.Pwd); err == nil {
				cer = c.Raw
			}
		}
		if err != nil {
			v.kvError(w, http.StatusBadRequest, "BadParameter", "", "Private key is not specified in the specified X.509 PEM certificate content or the password is wrong.")
			return
		}
	}
	v.seq++
	ver := version{id: fmt.Sprintf("%s/certificates/%s/%032x", v.srv.URL, name, v.seq), cer: cer, enabled: true,
		tags: req.Tags, ct: req.Policy.SecretProps.ContentType, created: 1767225600 + int64(v.seq)}
	if req.Attributes != nil && req.Attributes.Enabled != nil {
		ver.enabled = *req.Attributes.Enabled
	}
	v.certs[name] = append(v.certs[name], ver)
	writeJSON(w, v.bundle(name, ver, true))
}

func (v *fakeVault) bundle(name string, ver version, full bool) map[string]any {
	sum := sha1.Sum(ver.cer)
	b := map[string]any{
		"id":  ver.id,
		"x5t": base64.RawURLEncoding.EncodeToString(sum[:]),
		"attributes": map[string]any{"enabled": ver.enabled, "nbf": 1767225600, "exp": 1798761600,
			"created": ver.created, "updated": ver.created, "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90},
		"tags": ver.tags,
	}
	if full {
		vid := ver.id[strings.LastIndex(ver.id, "/")+1:]
		b["kid"] = v.srv.URL + "/keys/" + name + "/" + vid
		b["sid"] = v.srv.URL + "/secrets/" + name + "/" + vid
		b["cer"] = base64.StdEncoding.EncodeToString(ver.cer)
		b["policy"] = map[string]any{"secret_props": map[string]any{"contentType": ver.ct}}
	}
	return b
}

func (v *fakeVault) deletedBundle(name string) map[string]any {
	vs := v.deleted[name]
	b := v.bundle(name, vs[len(vs)-1], true)
	b["recoveryId"] = v.srv.URL + "/deletedcertificates/" + name
	b["deletedDate"] = 1767312000
	b["scheduledPurgeDate"] = 1775088000
	return b
}

// page answers one page of keys from $skiptoken on, with a nextLink (the
// default port written out, as Key Vault does) while more remain.
func (v *fakeVault) page(w http.ResponseWriter, r *http.Request, keys []string, item func(string) map[string]any) {
	skip, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
	end := min(skip+v.pageSize, len(keys))
	out := map[string]any{"value": []map[string]any{}, "nextLink": nil}
	items := []map[string]any{}
	for _, k := range keys[min(skip, len(keys)):end] {
		items = append(items, item(k))
	}
	out["value"] = items
	if end < len(keys) {
		out["nextLink"] = fmt.Sprintf("%s%s?api-version=%s&$skiptoken=%d&maxresults=%d", v.srv.URL, r.URL.Path, keyvault.APIVersion, end, v.pageSize)
	}
	writeJSON(w, out)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// countingCred hands out tok-1, tok-2, ... and remembers what was asked.
type countingCred struct {
	mu   sync.Mutex
	n    int
	opts []policy.TokenRequestOptions
}

func (c *countingCred) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	c.opts = append(c.opts, o)
	return azcore.AccessToken{Token: fmt.Sprintf("tok-%d-secret", c.n), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func (c *countingCred) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// newClient makes a client for v with its own connection pool.
func newClient(tb testing.TB, v *fakeVault, cred azcore.TokenCredential, mod func(*keyvault.Options)) *keyvault.Client {
	tb.Helper()
	tr := v.srv.Client().Transport.(*http.Transport).Clone()
	tb.Cleanup(tr.CloseIdleConnections)
	o := keyvault.Options{VaultURL: v.srv.URL, Credential: cred, Transport: &http.Client{Transport: tr},
		RetryDelay: time.Millisecond}
	if mod != nil {
		mod(&o)
	}
	c, err := keyvault.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

var (
	testCertOnce sync.Once
	testKey      *ecdsa.PrivateKey
	testCert     *x509.Certificate
)

// testPFX returns a .pfx of a fresh self-signed certificate with password,
// the certificate, and the same as PEM text (PKCS#8 key and certificate).
func testPFX(tb testing.TB, password string) ([]byte, *x509.Certificate, []byte) {
	tb.Helper()
	testCertOnce.Do(func() {
		var err error
		if testKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "contoso.example"},
			NotBefore: time.Unix(1767225600, 0), NotAfter: time.Unix(1798761600, 0)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &testKey.PublicKey, testKey)
		if err != nil {
			panic(err)
		}
		if testCert, err = x509.ParseCertificate(der); err != nil {
			panic(err)
		}
	})
	pfx, err := pkcs12.Modern.Encode(testKey, testCert, nil, password)
	if err != nil {
		tb.Fatal(err)
	}
	k8, err := x509.MarshalPKCS8PrivateKey(testKey)
	if err != nil {
		tb.Fatal(err)
	}
	pemText := append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k8}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: testCert.Raw})...)
	return pfx, testCert, pemText
}
