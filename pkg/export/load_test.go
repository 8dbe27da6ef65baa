package export

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"
)

// randomBytes is fixed "random" data that starts with no known signature.
var randomBytes = []byte{0x9c, 0x1f, 0x77, 0x03, 0xe5, 0x42, 0xd8, 0xaa, 0x10, 0x6b, 0xfe, 0x31, 0x58, 0xc4, 0x0d, 0x9e, 0x72, 0x21}

func TestSniff(t *testing.T) {
	f := testFixture(t)
	der := f.leaf.DER
	certPEM := CertPEM(f.leaf.Cert)
	pfx := encodePFX(t, pkcs12.LegacyDES, "pw")
	tests := []struct {
		name string
		in   []byte
		want Format
	}{
		{"DER certificate", der, FormatDER},
		{"truncated DER certificate", der[:100], FormatDER},
		{"PEM certificate", certPEM, FormatPEM},
		{"PEM with BOM", concat([]byte("\xef\xbb\xbf"), certPEM), FormatPEM},
		{"PEM with leading whitespace", concat([]byte("\r\n \t\n"), certPEM), FormatPEM},
		{"PEM with BOM and whitespace", concat([]byte("\xef\xbb\xbf\r\n  "), certPEM), FormatPEM},
		{"PEM after text (openssl pkcs12 output)", concat([]byte("Bag Attributes\n    localKeyID: 01\nsubject=CN=contoso.net\n"), certPEM), FormatPEM},
		{"PEM key", pkcs8PEM(t, f.key), FormatPEM},
		{"PKCS#12", pfx, FormatPKCS12},
		{"truncated PKCS#12", pfx[:100], FormatPKCS12},
		{"random bytes", randomBytes, FormatUnknown},
		{"empty", []byte{}, FormatUnknown},
		{"nil", nil, FormatUnknown},
		{"short SEQUENCE", []byte{0x30, 0x01, 0x00}, FormatUnknown},
		{"SEQUENCE of OCTET STRING", []byte{0x30, 0x05, 0x04, 0x03, 0x01, 0x02, 0x03}, FormatUnknown},
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), FormatUnknown},
		{"XML", []byte(`<?xml version="1.0" encoding="utf-8"?><PublishData/>`), FormatUnknown},
		{"BEGIN not at a line start", []byte("text -----BEGIN CERTIFICATE-----"), FormatUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sniff(tt.in); got != tt.want {
				t.Errorf("Sniff(%.16q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	f := testFixture(t)
	leafPEM := CertPEM(f.leaf.Cert)
	otherPEM := CertPEM(f.other.Cert)
	keyPKCS8 := pkcs8PEM(t, f.key)
	keyPKCS1 := pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(f.key))
	pubPEM := pemBlock("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&f.key.PublicKey))

	tests := []struct {
		name     string
		in       []byte
		password string // "" means no PasswordFunc
		format   Format
		leaf     *x509.Certificate
		chain    []*x509.Certificate
		hasKey   bool
		blocks   []string
		profile  Profile
	}{
		{name: "DER certificate", in: f.leaf.DER, format: FormatDER, leaf: f.leaf.Cert},
		{name: "PEM certificate", in: leafPEM, format: FormatPEM, leaf: f.leaf.Cert, blocks: []string{"CERTIFICATE"}},
		{name: "PEM with BOM", in: concat([]byte("\xef\xbb\xbf"), leafPEM), format: FormatPEM, leaf: f.leaf.Cert, blocks: []string{"CERTIFICATE"}},
		{name: "PEM with BOM, CRLF, cert and key", in: concat([]byte("\xef\xbb\xbf"), bytes.ReplaceAll(concat(leafPEM, keyPKCS8), []byte("\n"), []byte("\r\n"))), format: FormatPEM, leaf: f.leaf.Cert, hasKey: true, blocks: []string{"CERTIFICATE", "PRIVATE KEY"}},
		{name: "PEM with CRLF and leading blank lines", in: concat([]byte("\r\n\r\n"), bytes.ReplaceAll(leafPEM, []byte("\n"), []byte("\r\n"))), format: FormatPEM, leaf: f.leaf.Cert, blocks: []string{"CERTIFICATE"}},
		{name: "PEM cert then PKCS#8 key", in: concat(leafPEM, keyPKCS8), format: FormatPEM, leaf: f.leaf.Cert, hasKey: true, blocks: []string{"CERTIFICATE", "PRIVATE KEY"}},
		{name: "PEM PKCS#8 key then cert", in: concat(keyPKCS8, leafPEM), format: FormatPEM, leaf: f.leaf.Cert, hasKey: true, blocks: []string{"PRIVATE KEY", "CERTIFICATE"}},
		{name: "PEM cert then PKCS#1 key", in: concat(leafPEM, keyPKCS1), format: FormatPEM, leaf: f.leaf.Cert, hasKey: true, blocks: []string{"CERTIFICATE", "RSA PRIVATE KEY"}},
		{name: "PEM PKCS#1 key then cert", in: concat(keyPKCS1, leafPEM), format: FormatPEM, leaf: f.leaf.Cert, hasKey: true, blocks: []string{"RSA PRIVATE KEY", "CERTIFICATE"}},
		{name: "PEM bundle, leaf chosen by key", in: concat(otherPEM, leafPEM, keyPKCS8), format: FormatPEM, leaf: f.leaf.Cert, chain: []*x509.Certificate{f.other.Cert}, hasKey: true, blocks: []string{"CERTIFICATE", "CERTIFICATE", "PRIVATE KEY"}},
		{name: "PEM bundle, key first", in: concat(keyPKCS8, otherPEM, leafPEM), format: FormatPEM, leaf: f.leaf.Cert, chain: []*x509.Certificate{f.other.Cert}, hasKey: true, blocks: []string{"PRIVATE KEY", "CERTIFICATE", "CERTIFICATE"}},
		{name: "PEM bundle without key, first is leaf", in: concat(otherPEM, leafPEM), format: FormatPEM, leaf: f.other.Cert, chain: []*x509.Certificate{f.leaf.Cert}, blocks: []string{"CERTIFICATE", "CERTIFICATE"}},
		{name: "PEM with public key block", in: concat(pubPEM, leafPEM), format: FormatPEM, leaf: f.leaf.Cert, blocks: []string{"RSA PUBLIC KEY", "CERTIFICATE"}},
		{name: "PEM after text", in: concat([]byte("subject=CN=contoso.net\n"), leafPEM), format: FormatPEM, leaf: f.leaf.Cert, blocks: []string{"CERTIFICATE"}},
		{name: "PFX compat", in: encodePFX(t, pkcs12.LegacyDES, "pw"), password: "pw", format: FormatPKCS12, leaf: f.leaf.Cert, hasKey: true, profile: ProfileCompat},
		{name: "PFX compat with chain", in: encodePFX(t, pkcs12.LegacyDES, "pw", f.other.Cert), password: "pw", format: FormatPKCS12, leaf: f.leaf.Cert, chain: []*x509.Certificate{f.other.Cert}, hasKey: true, profile: ProfileCompat},
		{name: "PFX modern", in: encodePFX(t, pkcs12.Modern2023, "pw"), password: "pw", format: FormatPKCS12, leaf: f.leaf.Cert, hasKey: true, profile: ProfileModern},
		{name: "PFX legacy RC2", in: encodePFX(t, pkcs12.LegacyRC2, "pw"), password: "pw", format: FormatPKCS12, leaf: f.leaf.Cert, hasKey: true, profile: ProfileLegacyRC2},
		{name: "PFX Unicode password", in: encodePFX(t, pkcs12.Modern2023, "pässwörd✓"), password: "pässwörd✓", format: FormatPKCS12, leaf: f.leaf.Cert, hasKey: true, profile: ProfileModern},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pw PasswordFunc
			if tt.password != "" {
				pw = func() (string, error) { return tt.password, nil }
			}
			b, err := Load(tt.in, pw)
			if err != nil {
				t.Fatalf("Load(%s) error = %v", tt.name, err)
			}
			if b.Format != tt.format {
				t.Errorf("Load(%s).Format = %q, want %q", tt.name, b.Format, tt.format)
			}
			if b.Cert == nil || !b.Cert.Equal(tt.leaf) {
				t.Fatalf("Load(%s).Cert = %v, want %v", tt.name, subjectOf(b.Cert), subjectOf(tt.leaf))
			}
			if len(b.Chain) != len(tt.chain) {
				t.Fatalf("Load(%s).Chain has %d certificates, want %d", tt.name, len(b.Chain), len(tt.chain))
			}
			for i := range tt.chain {
				if !b.Chain[i].Equal(tt.chain[i]) {
					t.Errorf("Load(%s).Chain[%d] = %v, want %v", tt.name, i, subjectOf(b.Chain[i]), subjectOf(tt.chain[i]))
				}
			}
			if (b.Key != nil) != tt.hasKey {
				t.Errorf("Load(%s).Key = %T, want a key: %v", tt.name, b.Key, tt.hasKey)
			}
			if tt.hasKey {
				if !b.KeyMatches() {
					t.Errorf("Load(%s).KeyMatches() = false, want true", tt.name)
				}
				if !f.key.Equal(b.Key) {
					t.Errorf("Load(%s).Key is not the key that was encoded", tt.name)
				}
			} else if b.KeyMatches() {
				t.Errorf("Load(%s).KeyMatches() = true without a key, want false", tt.name)
			}
			if strings.Join(b.Blocks, ",") != strings.Join(tt.blocks, ",") {
				t.Errorf("Load(%s).Blocks = %q, want %q", tt.name, b.Blocks, tt.blocks)
			}
			switch {
			case tt.profile == "" && b.PFX != nil:
				t.Errorf("Load(%s).PFX = %+v, want nil", tt.name, b.PFX)
			case tt.profile != "" && (b.PFX == nil || b.PFX.Profile != tt.profile):
				t.Errorf("Load(%s).PFX = %+v, want profile %q", tt.name, b.PFX, tt.profile)
			}
		})
	}
}

func subjectOf(c *x509.Certificate) string {
	if c == nil {
		return "<nil>"
	}
	return c.Subject.String()
}

func TestLoadEmptyPasswordPFXDoesNotAsk(t *testing.T) {
	f := testFixture(t)
	tests := []struct {
		name string
		in   []byte
	}{
		{"compat with empty password", encodePFX(t, pkcs12.LegacyDES, "")},
		{"legacy RC2 with empty password (portal, publish settings)", encodePFX(t, pkcs12.LegacyRC2, "")},
		{"modern with empty password", encodePFX(t, pkcs12.Modern2023, "")},
		{"passwordless", encodePFX(t, pkcs12.Passwordless, "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			b, err := Load(tt.in, func() (string, error) {
				calls++
				return "not the password", nil
			})
			if err != nil {
				t.Fatalf("Load(%s) error = %v", tt.name, err)
			}
			if calls != 0 {
				t.Errorf("Load(%s) called the PasswordFunc %d times, want 0", tt.name, calls)
			}
			if !b.Cert.Equal(f.leaf.Cert) || !b.KeyMatches() {
				t.Errorf("Load(%s) = cert %v, key matches %v, want the leaf and its key", tt.name, subjectOf(b.Cert), b.KeyMatches())
			}
		})
	}
}

func TestLoadPasswordFuncCalledOnce(t *testing.T) {
	in := encodePFX(t, pkcs12.LegacyDES, "pw")
	calls := 0
	_, err := Load(in, func() (string, error) {
		calls++
		return "pw", nil
	})
	if err != nil || calls != 1 {
		t.Errorf("Load(pfx) = %v with %d PasswordFunc calls, want nil and 1 call", err, calls)
	}
}

func TestLoadPasswordFuncErrorPassedThrough(t *testing.T) {
	sentinel := errors.New("no terminal to ask for a password")
	in := encodePFX(t, pkcs12.LegacyDES, "pw")
	b, err := Load(in, func() (string, error) { return "", sentinel })
	if err != sentinel { //nolint:errorlint // the contract is "unchanged"
		t.Errorf("Load(pfx, failing PasswordFunc) = %v, %v, want the PasswordFunc's error unchanged", b, err)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("errors.Is(Load(...), sentinel) = false, want true")
	}
}

func TestLoadErrors(t *testing.T) {
	f := testFixture(t)
	leafPEM := CertPEM(f.leaf.Cert)
	keyPKCS8 := pkcs8PEM(t, f.key)
	pfx := encodePFX(t, pkcs12.LegacyDES, "pw")

	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "contoso.net"}}, f.key)
	if err != nil {
		t.Fatal(err)
	}
	legacyEncrypted := pem.EncodeToMemory(&pem.Block{
		Type:    "RSA PRIVATE KEY",
		Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00112233445566778899AABBCCDDEEFF"},
		Bytes:   randomBytes,
	})
	trustStore, err := pkcs12.LegacyDES.EncodeTrustStore([]*x509.Certificate{f.leaf.Cert}, "pw")
	if err != nil {
		t.Fatal(err)
	}
	var manyBlocks []byte
	for range MaxPEMBlocks + 1 {
		manyBlocks = append(manyBlocks, pemBlock("PUBLIC KEY", []byte{1})...)
	}
	manyBlocks = append(manyBlocks, leafPEM...)

	tests := []struct {
		name     string
		in       []byte
		password string
		reason   string // fragment of InputError.Reason
		is       error  // an error the chain must contain, if any
	}{
		{name: "empty", in: []byte{}, reason: "empty"},
		{name: "nil", in: nil, reason: "empty"},
		{name: "random bytes", in: randomBytes, reason: "not a certificate"},
		{name: "too large", in: make([]byte, MaxInputSize+1), reason: "larger than any certificate"},
		{name: "truncated DER certificate", in: f.leaf.DER[:len(f.leaf.DER)/2], reason: "DER certificate but does not parse"},
		{name: "DER certificate with one byte missing", in: f.leaf.DER[:len(f.leaf.DER)-1], reason: "does not parse"},
		{name: "truncated PFX", in: pfx[:len(pfx)/2], password: "pw", reason: "damaged or truncated", is: ErrNotPFX},
		{name: "PFX with trailing garbage", in: concat(pfx, []byte{0, 0}), password: "pw", reason: "damaged or truncated", is: ErrNotPFX},
		{name: "zip archive", in: []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00rest of a zip file"), reason: "zip archive"},
		{name: "XML", in: []byte("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<PublishData></PublishData>"), reason: "XML"},
		{name: "XML after BOM", in: []byte("\xef\xbb\xbf<?xml version=\"1.0\"?><PublishData/>"), reason: "XML"},
		{name: "HTML", in: []byte("<!DOCTYPE html><html><body>Sign in</body></html>"), reason: "XML or HTML"},
		{name: "bare base64", in: []byte(base64.StdEncoding.EncodeToString(f.leaf.DER)), reason: "without PEM markers"},
		{name: "DER of another structure", in: []byte{0x30, 0x06, 0x04, 0x01, 0x00, 0x04, 0x01, 0x00}, reason: "DER but neither"},
		{name: "PEM with only a key", in: keyPKCS8, reason: "private key but no certificate"},
		{name: "PEM with only a public key", in: pemBlock("PUBLIC KEY", []byte{1}), reason: "no certificate"},
		{name: "encrypted PKCS#8 key", in: concat(leafPEM, pemBlock("ENCRYPTED PRIVATE KEY", randomBytes)), reason: "encrypted"},
		{name: "legacy encrypted PEM key", in: concat(leafPEM, legacyEncrypted), reason: "encrypted"},
		{name: "CSR", in: pemBlock("CERTIFICATE REQUEST", csrDER), reason: "certificate signing request"},
		{name: "old CSR header", in: pemBlock("NEW CERTIFICATE REQUEST", csrDER), reason: "certificate signing request"},
		{name: "two keys", in: concat(leafPEM, keyPKCS8, keyPKCS8), reason: "more than one private key"},
		{name: "damaged key", in: concat(leafPEM, pemBlock("PRIVATE KEY", randomBytes)), reason: "PRIVATE KEY does not parse"},
		{name: "damaged certificate block", in: pemBlock("CERTIFICATE", randomBytes), reason: "PEM block 1 (CERTIFICATE) does not parse"},
		{name: "unknown PEM block", in: concat(leafPEM, pemBlock("X509 CRL", randomBytes)), reason: `PEM block 2 has type "X509 CRL"`},
		{name: "PEM header without a block", in: []byte("-----BEGIN CERTIFICATE-----\nMIIB\n"), reason: "no complete PEM block"},
		{name: "too many PEM blocks", in: manyBlocks, reason: "more than 1000 blocks"},
		{name: "PFX wrong password", in: pfx, password: "hunter2", reason: "cannot open the .pfx", is: ErrWrongPassword},
		{name: "PFX without PasswordFunc", in: pfx, reason: "cannot open the .pfx", is: ErrWrongPassword},
		{name: "PFX without a key", in: trustStore, password: "pw", reason: "holds no private key", is: ErrNoKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pw PasswordFunc
			if tt.password != "" {
				pw = func() (string, error) { return tt.password, nil }
			}
			b, err := Load(tt.in, pw)
			if err == nil {
				t.Fatalf("Load(%s) = %+v, want an error", tt.name, b)
			}
			if b != nil {
				t.Errorf("Load(%s) returned a bundle with the error %v", tt.name, err)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Load(%s) error = %T (%v), want *export.InputError", tt.name, err, err)
			}
			if !strings.Contains(ie.Reason, tt.reason) {
				t.Errorf("Load(%s) InputError.Reason = %q, want it to contain %q", tt.name, ie.Reason, tt.reason)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(Load(%s), %v) = false, want true (error: %v)", tt.name, tt.is, err)
			}
			if tt.password != "" && strings.Contains(err.Error(), tt.password) {
				t.Errorf("Load(%s) error %q shows the password", tt.name, err)
			}
		})
	}
}

func TestParseKeyPEM(t *testing.T) {
	f := testFixture(t)
	keyPKCS8 := pkcs8PEM(t, f.key)
	tests := []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{name: "PKCS#8", in: keyPKCS8},
		{name: "PKCS#1", in: pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(f.key))},
		{name: "after a certificate", in: concat(CertPEM(f.leaf.Cert), keyPKCS8)},
		{name: "with BOM", in: concat([]byte("\xef\xbb\xbf"), keyPKCS8)},
		{name: "encrypted", in: pemBlock("ENCRYPTED PRIVATE KEY", randomBytes), wantErr: "encrypted"},
		{name: "certificate only", in: CertPEM(f.leaf.Cert), wantErr: "no PEM private key"},
		{name: "empty", in: nil, wantErr: "no PEM private key"},
		{name: "damaged", in: pemBlock("PRIVATE KEY", randomBytes), wantErr: "does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ParseKeyPEM(tt.in)
			if tt.wantErr == "" {
				if err != nil || !f.key.Equal(key) {
					t.Errorf("ParseKeyPEM(%s) = %T, %v, want the test key", tt.name, key, err)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseKeyPEM(%s) error = %v, want an *InputError containing %q", tt.name, err, tt.wantErr)
			}
		})
	}
}

func TestKeyMatchesCert(t *testing.T) {
	f := testFixture(t)
	tests := []struct {
		name string
		b    *Bundle
		want bool
	}{
		{"matching", &Bundle{Cert: f.leaf.Cert, Key: f.key}, true},
		{"other key", &Bundle{Cert: f.leaf.Cert, Key: f.otherKey}, false},
		{"no key", &Bundle{Cert: f.leaf.Cert}, false},
		{"no certificate", &Bundle{Key: f.key}, false},
	}
	for _, tt := range tests {
		if got := tt.b.KeyMatches(); got != tt.want {
			t.Errorf("Bundle{%s}.KeyMatches() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
