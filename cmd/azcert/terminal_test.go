package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gopkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/emulator/azure"
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
	done := serveHandshakes(ln)
	defer func() { ln.Close(); <-done }()
	for _, in := range []string{path, "https://" + ln.Addr().String()} {
		r := invoke(t, []string{"show", in}, nil, nil, func(f *cmdutil.Factory) { f.IO.OutTTY = true })
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

// evilCert is a certificate whose subject carries an OSC title sequence, a
// screen clear and a line break.
func evilCert(t *testing.T) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "evil\x1b]0;pwned\x07\n\x1b[2J.example"},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// noControl fails the test if out holds a control character other than a
// line break.
func noControl(t *testing.T, what, out string) {
	t.Helper()
	if i := strings.IndexFunc(out, func(c rune) bool { return c < 0x20 && c != '\n' || c == 0x7f }); i >= 0 {
		t.Errorf("%s wrote a control character %q:\n%q", what, out[i], out)
	}
}

// TestListingsEscapeTextFromOutside: what Azure answers (the subjects of
// registered management and API Management certificates) and what a .cscfg
// holds (role and certificate names) is printed with control characters
// escaped, so neither can drive the user's terminal or forge a line.
func TestListingsEscapeTextFromOutside(t *testing.T) {
	fx := reliabilityFixtures(t)
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "dev")
	cert, key := evilCert(t)
	emu := startRelEmulator(t, fx, func(c *azure.Config) { c.Trust = append(c.Trust, cert) })
	wd := t.TempDir()
	t.Chdir(wd)
	pfx, err := gopkcs12.Modern.Encode(key, cert, nil, relPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("evil.pfx", pfx, 0o600); err != nil {
		t.Fatal(err)
	}
	up := invoke(t, []string{"apim", "upload", "evil.pfx", "--in-password", "env:RELPW", "--resource-group", "rg-api", "--service", "contoso-apim"}, nil, emu.env, nil)
	if up.code != 0 {
		t.Fatalf("apim upload: exit %d: %s", up.code, up.stderr)
	}
	noControl(t, "apim upload", up.stdout)
	for _, args := range [][]string{{"list"}, {"apim", "list", "--resource-group", "rg-api", "--service", "contoso-apim"}} {
		r := invoke(t, args, nil, emu.env, func(f *cmdutil.Factory) { f.IO.OutTTY = true })
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		noControl(t, strings.Join(args, " "), r.stdout)
		if !strings.Contains(r.stdout, `CN=evil\x1b]0\\;pwned\a\n\x1b[2J.example`) {
			t.Errorf("%v does not show the subject escaped:\n%s", args, r.stdout)
		}
	}

	cscfg := `<?xml version="1.0" encoding="utf-8"?>
<ServiceConfiguration serviceName="web" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration">
  <Role name="Web&#13;Role&#9;X">
    <Instances count="1" />
    <Certificates>
      <Certificate name="SSL&#10;PASS  forged line" thumbprint="0000000000000000000000000000000000000000" thumbprintAlgorithm="sha1" />
    </Certificates>
  </Role>
</ServiceConfiguration>
`
	if err := os.WriteFile("evil.cscfg", []byte(cscfg), 0o644); err != nil {
		t.Fatal(err)
	}
	r := invoke(t, []string{"cscfg", "show", "evil.cscfg"}, nil, nil, func(f *cmdutil.Factory) { f.IO.OutTTY = true })
	if r.code != 0 {
		t.Fatalf("cscfg show: exit %d: %s", r.code, r.stderr)
	}
	noControl(t, "cscfg show", r.stdout)
	if !strings.Contains(r.stdout, `Web\rRole\tX`) || !strings.Contains(r.stdout, `SSL\nPASS  forged line`) {
		t.Errorf("cscfg show does not show the names escaped:\n%s", r.stdout)
	}
}

// TestFileNamesCannotForgeLines: a file name with a line break or an
// escape (say, in a repository a pipeline processes) is escaped in the
// lines of thumbprint and check, so a script reading "THUMBPRINT  FILE"
// lines gets one line per file.
func TestFileNamesCannotForgeLines(t *testing.T) {
	fx := reliabilityFixtures(t)
	wd := t.TempDir()
	t.Chdir(wd)
	evil := "x.cer\n" + strings.Repeat("0", 40) + "  forged.cer\x1b[2J"
	for _, name := range []string{evil, "plain.cer"} {
		if err := os.WriteFile(name, mustRead(fx.dir, "site.cer"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := invoke(t, []string{"thumbprint", evil, "plain.cer"}, nil, nil, nil)
	if r.code != 0 {
		t.Fatalf("thumbprint: exit %d: %s", r.code, r.stderr)
	}
	noControl(t, "thumbprint", r.stdout)
	if lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n"); len(lines) != 2 || strings.Contains(r.stdout, "forged.cer\n") {
		t.Errorf("thumbprint of two files printed %d lines:\n%s", len(lines), r.stdout)
	}
	r = invoke(t, []string{"check", evil, "--for", "service", "--domain", "contoso.net"}, nil, nil, nil)
	noControl(t, "check", r.stdout)
	if !strings.Contains(r.stdout, `x.cer\n`) {
		t.Errorf("check does not show the file name escaped:\n%s", r.stdout)
	}
}

// TestErrorLineEscapesAzureText: an error answer that is not XML is quoted
// in the error line as it came (its first 300 bytes); control characters in
// it are escaped there, so a server cannot drive the terminal through
// stderr either.
func TestErrorLineEscapesAzureText(t *testing.T) {
	fx := reliabilityFixtures(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "refused\x1b]0;pwned\x07\r\x1b[2Jforged")
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"AZCERT_ENDPOINT": srv.URL, "AZCERT_CA_FILE": ca, "AZCERT_SUBSCRIPTION": "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36",
		"AZCERT_AUTH_CERT": fx.path("mgmt.pfx"), "AZCERT_AUTH_PASSWORD": relPassword,
	}
	r := invoke(t, []string{"list"}, nil, env, func(f *cmdutil.Factory) { f.IO.ErrTTY = true })
	if r.code != 5 {
		t.Fatalf("list against a server answering 400: exit %d, want 5: %s", r.code, r.stderr)
	}
	noControl(t, "the error line", r.stderr)
	if !strings.Contains(r.stderr, `refused\x1b]0;pwned\a\r\x1b[2Jforged`) {
		t.Errorf("the error line does not quote the answer escaped:\n%s", r.stderr)
	}
}
