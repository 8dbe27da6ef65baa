package keyvault

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/export"
)

// FuzzImportRequest feeds parseImport, the parser of the untrusted
// Import Certificate body: it must not panic, refuse with a 400
// BadParameter, and accept only a certificate with an RSA key of 2048
// bits or more, or an EC key.
func FuzzImportRequest(f *testing.F) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fuzz.contoso.net"},
		NotBefore: time.Unix(1741953600, 0), NotAfter: time.Unix(1773489600, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		f.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pfx, err := export.EncodePFX(key, cert, nil, export.PFXOptions{Password: "pw"})
	if err != nil {
		f.Fatal(err)
	}
	keyPEM, _ := export.KeyPEM(key)
	pemText, _ := json.Marshal(string(export.CertPEM(cert)) + string(keyPEM))
	b64 := base64.StdEncoding.EncodeToString(pfx)
	for _, seed := range []string{
		`{"value":"` + b64 + `","pwd":"pw"}`,
		`{"value":"` + b64 + `","pwd":"wrong"}`,
		`{"value":"` + b64[:len(b64)/2] + `","pwd":"pw"}`,
		`{"value":` + string(pemText) + `,"policy":{"secret_props":{"contentType":"application/x-pem-file"}}}`,
		`{"value":"` + b64 + `","pwd":"pw","policy":{"key_props":{"exportable":false,"reuse_key":true}},"attributes":{"enabled":false,"nbf":1,"exp":2},"tags":{"a":"b"}}`,
		`{"value":"AAAA","policy":{"secret_props":{"contentType":"text/plain"}}}`,
		`{"value":null}`,
		`{"value":"` + b64 + `","attributes":{"nbf":"x"}}`,
		`[]`,
		`{`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, e := parseImport(body)
		if e != nil {
			if in != nil || e.status != http.StatusBadRequest || e.code != "BadParameter" || e.message == "" {
				t.Fatalf("parseImport(%q) = %v, %+v; want nil and a 400 BadParameter with a message", body, in, e)
			}
			return
		}
		if in.cert == nil {
			t.Fatalf("parseImport(%q) accepted no certificate", body)
		}
		if k, ok := in.cert.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
			t.Fatalf("parseImport(%q) accepted an RSA key of %d bits", body, k.N.BitLen())
		}
		if in.contentType != contentPKCS12 && in.contentType != contentPEM {
			t.Fatalf("parseImport(%q) content type %q", body, in.contentType)
		}
		if len(in.tags) > maxTags {
			t.Fatalf("parseImport(%q) accepted %d tags", body, len(in.tags))
		}
	})
}
