package export

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/certgen"
)

func TestSummarize(t *testing.T) {
	f := testFixture(t)
	c := f.leaf.Cert
	info := &PFXInfo{Profile: ProfileCompat}
	s := Summarize(&Bundle{Format: FormatPKCS12, Cert: c, Key: f.key, Chain: []*x509.Certificate{f.other.Cert}, PFX: info}, fixedNow)

	var serial []string
	for _, b := range c.SerialNumber.Bytes() {
		serial = append(serial, fmt.Sprintf("%02X", b))
	}
	var ski []string
	for _, b := range certgen.SubjectKeyID(&f.key.PublicKey) {
		ski = append(ski, fmt.Sprintf("%02X", b))
	}
	yes := true
	want := &Summary{
		Format:             FormatPKCS12,
		Subject:            "CN=contoso.net",
		Issuer:             "CN=contoso.net",
		SelfSigned:         true,
		Version:            3,
		Serial:             strings.Join(serial, ":"),
		SerialBytes:        16,
		NotBefore:          time.Date(2025, time.March, 14, 11, 50, 0, 0, time.UTC),
		NotAfter:           time.Date(2026, time.March, 14, 12, 0, 0, 0, time.UTC),
		DaysLeft:           365,
		Status:             "valid",
		KeyType:            "RSA",
		KeySize:            2048,
		SignatureAlgorithm: "SHA256-RSA",
		DNSNames:           []string{"contoso.net", "www.contoso.net"},
		IPAddresses:        []string{"192.0.2.10"},
		KeyUsage:           []string{"digitalSignature", "keyEncipherment"},
		ExtKeyUsage:        []string{"serverAuth", "clientAuth"},
		IsCA:               false,
		BasicConstraints:   true,
		SubjectKeyID:       strings.Join(ski, ":"),
		Thumbprint:         fmt.Sprintf("%X", sha1.Sum(c.Raw)),
		SHA256:             fmt.Sprintf("%X", sha256.Sum256(c.Raw)),
		ChainCount:         1,
		HasKey:             true,
		KeyMatches:         &yes,
		PFX:                info,
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Summarize(leaf, fixedNow) =\n%+v\nwant\n%+v", *s, *want)
	}
	if s.DNSNamesUnicode != nil {
		t.Errorf("Summarize(leaf).DNSNamesUnicode = %q, want nil for ASCII names", s.DNSNamesUnicode)
	}
}

func TestSummarizeStatus(t *testing.T) {
	f := testFixture(t)
	c := f.leaf.Cert // valid 2025-03-14T11:50:00Z to 2026-03-14T12:00:00Z
	// DaysLeft is rounded to the nearest day (half away from zero), so a
	// certificate made a moment ago for 365 days shows 365.
	tests := []struct {
		name     string
		now      time.Time
		status   string
		daysLeft int
	}{
		{"at creation", fixedNow, "valid", 365},
		{"half a second after creation", fixedNow.Add(500 * time.Millisecond), "valid", 365},
		{"a second before NotBefore", c.NotBefore.Add(-time.Second), "not yet valid", 365},
		{"a day before NotBefore", c.NotBefore.Add(-24 * time.Hour), "not yet valid", 366},
		{"at NotBefore", c.NotBefore, "valid", 365},
		{"36 hours left", c.NotAfter.Add(-36 * time.Hour), "valid", 2},
		{"35 hours left", c.NotAfter.Add(-35 * time.Hour), "valid", 1},
		{"11 hours left", c.NotAfter.Add(-11 * time.Hour), "valid", 0},
		{"at NotAfter", c.NotAfter, "valid", 0},
		{"a second after NotAfter", c.NotAfter.Add(time.Second), "expired", 0},
		{"13 hours after NotAfter", c.NotAfter.Add(13 * time.Hour), "expired", -1},
		{"30 days after NotAfter", c.NotAfter.Add(30 * 24 * time.Hour), "expired", -30},
		{"in another zone", fixedNow.In(time.FixedZone("PST", -8*3600)), "valid", 365},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Summarize(&Bundle{Format: FormatDER, Cert: c}, tt.now)
			if s.Status != tt.status || s.DaysLeft != tt.daysLeft {
				t.Errorf("Summarize(leaf, %v) Status, DaysLeft = %q, %d, want %q, %d", tt.now, s.Status, s.DaysLeft, tt.status, tt.daysLeft)
			}
		})
	}
}

func TestSummarizeKeyMatches(t *testing.T) {
	f := testFixture(t)
	tests := []struct {
		name   string
		b      *Bundle
		hasKey bool
		want   *bool
	}{
		{"matching key", &Bundle{Cert: f.leaf.Cert, Key: f.key}, true, ptr(true)},
		{"other key", &Bundle{Cert: f.leaf.Cert, Key: f.otherKey}, true, ptr(false)},
		{"no key", &Bundle{Cert: f.leaf.Cert}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Summarize(tt.b, fixedNow)
			if s.HasKey != tt.hasKey {
				t.Errorf("Summarize(%s).HasKey = %v, want %v", tt.name, s.HasKey, tt.hasKey)
			}
			switch {
			case tt.want == nil && s.KeyMatches != nil:
				t.Errorf("Summarize(%s).KeyMatches = %v, want nil", tt.name, *s.KeyMatches)
			case tt.want != nil && (s.KeyMatches == nil || *s.KeyMatches != *tt.want):
				t.Errorf("Summarize(%s).KeyMatches = %v, want %v", tt.name, s.KeyMatches, *tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestSummarizeIDN(t *testing.T) {
	f := testFixture(t)
	s := Summarize(&Bundle{Format: FormatDER, Cert: f.idn.Cert}, fixedNow)
	if want := []string{"xn--bcher-kva.de", "*.xn--bcher-kva.de"}; !reflect.DeepEqual(s.DNSNames, want) {
		t.Errorf("Summarize(IDN).DNSNames = %q, want %q", s.DNSNames, want)
	}
	if want := []string{"bücher.de", "*.bücher.de"}; !reflect.DeepEqual(s.DNSNamesUnicode, want) {
		t.Errorf("Summarize(IDN).DNSNamesUnicode = %q, want %q", s.DNSNamesUnicode, want)
	}
	if s.Subject != "CN=xn--bcher-kva.de" {
		t.Errorf("Summarize(IDN).Subject = %q, want CN=xn--bcher-kva.de", s.Subject)
	}
}

// makeCert signs a certificate for pub with signer, using parent as issuer.
func makeCert(t *testing.T, tmpl, parent *x509.Certificate, pub, signer any) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestIsSelfSigned(t *testing.T) {
	f := testFixture(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "contoso.net"},
		NotBefore:    fixedNow,
		NotAfter:     fixedNow.Add(time.Hour),
	}
	// Issued by ca.contoso.net: the issuer differs from the subject.
	issued := makeCert(t, tmpl, f.other.Cert, &f.key.PublicKey, f.otherKey)
	// Names itself as issuer but is signed by another key.
	forged := makeCert(t, tmpl, tmpl, &f.key.PublicKey, f.otherKey)
	// Names another issuer but is signed with its own key.
	otherIssuer := &x509.Certificate{Subject: pkix.Name{CommonName: "Contoso Issuing CA"}, PublicKey: &f.key.PublicKey}
	renamed := makeCert(t, tmpl, otherIssuer, &f.key.PublicKey, f.key)
	tests := []struct {
		name string
		c    *x509.Certificate
		want bool
	}{
		{"certgen leaf", f.leaf.Cert, true},
		{"other issuer name, own key", renamed, false},
		{"certgen IDN", f.idn.Cert, true},
		{"issued by another", issued, false},
		{"own name, other key", forged, false},
	}
	for _, tt := range tests {
		if got := IsSelfSigned(tt.c); got != tt.want {
			t.Errorf("IsSelfSigned(%s) = %v, want %v", tt.name, got, tt.want)
		}
		if got := Summarize(&Bundle{Cert: tt.c}, fixedNow).SelfSigned; got != tt.want {
			t.Errorf("Summarize(%s).SelfSigned = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestKeyInfo(t *testing.T) {
	f := testFixture(t)
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "x"}, NotBefore: fixedNow, NotAfter: fixedNow.Add(time.Hour)}
	tests := []struct {
		name string
		c    *x509.Certificate
		typ  string
		bits int
	}{
		{"RSA 2048", f.leaf.Cert, "RSA", 2048},
		{"ECDSA P-384", makeCert(t, tmpl, tmpl, &ecKey.PublicKey, ecKey), "ECDSA", 384},
		{"Ed25519", makeCert(t, tmpl, tmpl, edPub, edKey), "Ed25519", 256},
	}
	for _, tt := range tests {
		if typ, bits := KeyInfo(tt.c); typ != tt.typ || bits != tt.bits {
			t.Errorf("KeyInfo(%s) = %q, %d, want %q, %d", tt.name, typ, bits, tt.typ, tt.bits)
		}
	}
}

func TestKeyUsageNames(t *testing.T) {
	tests := []struct {
		ku   x509.KeyUsage
		want []string
	}{
		{0, []string{}},
		{x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, []string{"digitalSignature", "keyEncipherment"}},
		{x509.KeyUsageCertSign | x509.KeyUsageCRLSign, []string{"keyCertSign", "cRLSign"}},
		{1<<9 - 1, []string{"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"}},
	}
	for _, tt := range tests {
		if got := KeyUsageNames(tt.ku); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("KeyUsageNames(%b) = %q, want %q", tt.ku, got, tt.want)
		}
	}
}

func TestExtKeyUsageNames(t *testing.T) {
	unknown := asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 3, 4}
	c := &x509.Certificate{
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageCodeSigning, x509.ExtKeyUsageIPSECUser},
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{unknown},
	}
	want := []string{"clientAuth", "serverAuth", "codeSigning", "other", "1.3.6.1.4.1.311.10.3.4"}
	if got := ExtKeyUsageNames(c); !reflect.DeepEqual(got, want) {
		t.Errorf("ExtKeyUsageNames() = %q, want %q", got, want)
	}
	if got := ExtKeyUsageNames(&x509.Certificate{}); got == nil || len(got) != 0 {
		t.Errorf("ExtKeyUsageNames(none) = %#v, want an empty, non-nil list", got)
	}
}
