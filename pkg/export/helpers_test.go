package export

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/certgen"
	"software.sslmate.com/src/go-pkcs12"
)

// fixedNow is the clock for every generated certificate, so nothing here
// depends on today's date.
var fixedNow = time.Date(2025, time.March, 14, 12, 0, 0, 0, time.UTC)

// fixture holds keys and certificates generated once per test binary:
// RSA key generation is the slow part of these tests.
type fixture struct {
	key, otherKey *rsa.PrivateKey
	// leaf is contoso.net, www.contoso.net and 192.0.2.10, signed by key.
	leaf *certgen.Result
	// other is ca.contoso.net, signed by otherKey; it plays the chain
	// certificate and the certificate a key does not match.
	other *certgen.Result
	// idn is bücher.de and *.bücher.de, signed by key.
	idn *certgen.Result
}

var loadFixture = sync.OnceValues(func() (*fixture, error) {
	var f fixture
	var err error
	if f.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	if f.otherKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	sign := func(key *rsa.PrivateKey, names ...string) (*certgen.Result, error) {
		n, err := certgen.ParseNames(names)
		if err != nil {
			return nil, err
		}
		return certgen.Sign(certgen.Request{Names: n, Now: fixedNow}, key)
	}
	if f.leaf, err = sign(f.key, "contoso.net", "www.contoso.net", "192.0.2.10"); err != nil {
		return nil, err
	}
	if f.other, err = sign(f.otherKey, "ca.contoso.net"); err != nil {
		return nil, err
	}
	if f.idn, err = sign(f.key, "bücher.de", "*.bücher.de"); err != nil {
		return nil, err
	}
	return &f, nil
})

func testFixture(t testing.TB) *fixture {
	t.Helper()
	f, err := loadFixture()
	if err != nil {
		t.Fatalf("generating test certificates: %v", err)
	}
	return f
}

// encodePFX encodes the leaf certificate and its key (and chain) with a
// go-pkcs12 encoder.
func encodePFX(t testing.TB, enc *pkcs12.Encoder, password string, chain ...*x509.Certificate) []byte {
	t.Helper()
	f := testFixture(t)
	data, err := enc.Encode(f.key, f.leaf.Cert, chain, password)
	if err != nil {
		t.Fatalf("pkcs12 Encode: %v", err)
	}
	return data
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkcs8PEM(t testing.TB, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("PRIVATE KEY", der)
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// constReader returns the same byte forever; it makes encodings reproducible.
type constReader byte

func (c constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

// requireOpenSSL returns the path of the openssl command. Interoperability
// tests skip without it locally but fail under CI, so CI always runs them.
func requireOpenSSL(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("openssl is not on PATH, and CI=true requires the interoperability tests: %v", err)
		}
		t.Skipf("openssl is not on PATH (%v); install it to run this interoperability test", err)
	}
	return path
}

// runOpenSSL runs openssl with args in dir and fails the test on error.
func runOpenSSL(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(requireOpenSSL(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	return out
}

// writeLeafPEM writes the leaf certificate and key as PEM files for openssl.
func writeLeafPEM(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	f := testFixture(t)
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, CertPEM(f.leaf.Cert), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pkcs8PEM(t, f.key), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}
