package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestShowEscapesCertificateNames: a certificate whose subject and names
// carry terminal escapes (an OSC title sequence, a screen clear) and line
// breaks, read from a file or from a TLS server, is shown with those
// characters escaped: `azcert show https://host` must not let a server
// write to the user's terminal. Before the fix, show printed them raw.
func TestShowEscapesCertificateNames(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "evil\x1b]0;pwned\x07.example", Organization: []string{"line\nbreak"}},
		DNSNames:     []string{"a.example\n\x1b[2J"},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "evil.cer")
	if err := os.WriteFile(path, der, 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				_ = c.(*tls.Conn).Handshake()
				c.Close()
			}(c)
		}
	}()
	for _, in := range []string{path, "https://" + ln.Addr().String()} {
		r := invoke(t, []string{"show", in}, nil, nil, func(f *factory) { f.IO.OutTTY = true })
		if r.code != 0 {
			t.Fatalf("show %s: exit %d: %s", in, r.code, r.stderr)
		}
		if i := strings.IndexFunc(r.stdout, func(c rune) bool { return c < 0x20 && c != '\n' || c == 0x7f }); i >= 0 {
			t.Errorf("show %s wrote a control character %q to the terminal:\n%q", in, r.stdout[i], r.stdout)
		}
		if !strings.Contains(r.stdout, `CN=evil\x1b]0\\;pwned\a.example`) || !strings.Contains(r.stdout, `DNS:a.example\n\x1b[2J`) {
			t.Errorf("show %s does not show the names escaped:\n%s", in, r.stdout)
		}
	}
}
