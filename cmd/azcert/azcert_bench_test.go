package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Whole-command benchmarks, run in process. CI runs them once each
// (go test -run '^$' -bench . -benchtime=1x); scripts/bench.sh compares
// the built binary with the tools users would run instead.

// benchFactory is a factory with in-memory streams and no config file.
func benchFactory(b *testing.B) (*factory, *bytes.Buffer) {
	b.Helper()
	b.Setenv("XDG_CONFIG_HOME", b.TempDir())
	var out bytes.Buffer
	f := &factory{
		IO:        &iostreams{In: strings.NewReader(""), Out: &out, ErrOut: io.Discard, colorOff: true},
		Now:       time.Now,
		lookupEnv: func(string) (string, bool) { return "", false },
	}
	return f, &out
}

// benchCerts writes n distinct DER certificates with RSA-2048 public keys
// into dir.
func benchCerts(b *testing.B, dir string, n int) []string {
	b.Helper()
	paths := make([]string, n)
	for i, der := range issueCerts(b, n) {
		paths[i] = filepath.Join(dir, fmt.Sprintf("c%04d.cer", i))
		if err := os.WriteFile(paths[i], der, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return paths
}

// issueCerts makes n distinct DER certificates with RSA-2048 public keys.
// They are signed by one ECDSA key, which keeps the set-up fast; a
// thumbprint does not depend on the issuer.
func issueCerts(tb testing.TB, n int) [][]byte {
	tb.Helper()
	rk, issuerKey := benchKeyPair()
	issuer := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench issuer"}}
	now := time.Now()
	ders := make([][]byte, n)
	for i := range n {
		name := fmt.Sprintf("c%04d.bench.example", i)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, &rk.PublicKey, issuerKey)
		if err != nil {
			tb.Fatal(err)
		}
		ders[i] = der
	}
	return ders
}

// selfSigned makes a self-signed certificate for key (for a .pfx, which
// needs the certificate's own key).
func selfSigned(tb testing.TB, key *rsa.PrivateKey, name string) *x509.Certificate {
	tb.Helper()
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return cert
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

var benchKeyPair = sync.OnceValues(func() (*rsa.PrivateKey, *ecdsa.PrivateKey) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return rk, ek
})

// BenchmarkThumbprintFiles is `azcert thumbprint` over many DER files in
// one call.
func BenchmarkThumbprintFiles(b *testing.B) {
	for _, n := range []int{1, 200} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			paths := benchCerts(b, b.TempDir(), n)
			f, out := benchFactory(b)
			args := append([]string{"thumbprint"}, paths...)
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				if code := run(args, f); code != 0 {
					b.Fatalf("azcert thumbprint exited %d", code)
				}
			}
			if got := strings.Count(out.String(), "\n"); got != n {
				b.Fatalf("%d lines of output, want %d", got, n)
			}
		})
	}
}

// BenchmarkVersion is the cost of building the command tree and running
// the cheapest command: the in-process part of start-up.
func BenchmarkVersion(b *testing.B) {
	f, out := benchFactory(b)
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if code := run([]string{"version"}, f); code != 0 {
			b.Fatalf("azcert version exited %d", code)
		}
	}
}
