package export

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net"
	"net/url"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// derVariants are certificates of many shapes, made with crypto/x509: the
// ones IsCertificateDER must accept (RSA with the extensions Go decodes)
// and ones it must leave to the full parse.
func derVariants(t testing.TB) (accept, leave map[string][]byte) {
	f := testFixture(t)
	mk := func(tmpl *x509.Certificate, pub any, priv any) []byte {
		t.Helper()
		if tmpl.SerialNumber == nil {
			tmpl.SerialNumber = big.NewInt(42)
		}
		if tmpl.NotBefore.IsZero() {
			tmpl.NotBefore, tmpl.NotAfter = fixedNow, fixedNow.Add(24*time.Hour)
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("https://contoso.net/x")
	policy, err := x509.OIDFromInts([]uint64{2, 23, 140, 1, 2, 1})
	if err != nil {
		t.Fatal(err)
	}
	accept = map[string][]byte{
		"certgen leaf":  f.leaf.DER,
		"certgen idn":   f.idn.DER,
		"certgen other": f.other.DER,
		"ca with path length": mk(&x509.Certificate{Subject: pkix.Name{CommonName: "ca", Organization: []string{"Contoso"}, Country: []string{"NL"}},
			IsCA: true, BasicConstraintsValid: true, MaxPathLen: 2, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
			SubjectKeyId: []byte{1, 2, 3}, AuthorityKeyId: []byte{1, 2, 3}}, &f.key.PublicKey, f.key),
		"email and generalized time": mk(&x509.Certificate{Subject: pkix.Name{CommonName: "mail"}, EmailAddresses: []string{"a@contoso.net"},
			NotBefore: fixedNow, NotAfter: time.Date(2051, 1, 1, 0, 0, 0, 0, time.UTC), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
			UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 311, 10, 3, 4}}}, &f.key.PublicKey, f.key),
		"unknown extension": mk(&x509.Certificate{Subject: pkix.Name{CommonName: "x"},
			ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 21, 7}, Value: []byte{0x30, 0x00}}}}, &f.key.PublicKey, f.key),
		"ipv6 and empty subject": mk(&x509.Certificate{IPAddresses: []net.IP{net.ParseIP("2001:db8::1")}}, &f.key.PublicKey, f.key),
	}
	leave = map[string][]byte{
		"ecdsa key": mk(&x509.Certificate{Subject: pkix.Name{CommonName: "ec"}}, &ec.PublicKey, ec),
		"uri san":   mk(&x509.Certificate{Subject: pkix.Name{CommonName: "uri"}, URIs: []*url.URL{u}}, &f.key.PublicKey, f.key),
		"aia":       mk(&x509.Certificate{Subject: pkix.Name{CommonName: "aia"}, OCSPServer: []string{"http://ocsp.contoso.net"}}, &f.key.PublicKey, f.key),
		"crl dp":    mk(&x509.Certificate{Subject: pkix.Name{CommonName: "crl"}, CRLDistributionPoints: []string{"http://crl.contoso.net"}}, &f.key.PublicKey, f.key),
		"policies":  mk(&x509.Certificate{Subject: pkix.Name{CommonName: "pol"}, Policies: []x509.OID{policy}}, &f.key.PublicKey, f.key),
	}
	return accept, leave
}

func TestIsCertificateDER(t *testing.T) {
	accept, leave := derVariants(t)
	for name, der := range accept {
		if _, err := x509.ParseCertificate(der); err != nil {
			t.Fatalf("%s: the fixture does not parse: %v", name, err)
		}
		if !IsCertificateDER(der) {
			t.Errorf("IsCertificateDER(%s) = false, want true", name)
		}
	}
	for name, der := range leave {
		if IsCertificateDER(der) {
			t.Errorf("IsCertificateDER(%s) = true, want false (left to the full parse)", name)
		}
	}
	leaf := accept["certgen leaf"]
	for name, in := range map[string][]byte{
		"empty":         nil,
		"trailing data": append(bytes.Clone(leaf), 0),
		"truncated":     leaf[:len(leaf)-1],
		"pem":           CertPEM(testFixture(t).leaf.Cert),
		"a pfx":         encodePFX(t, pkcs12.LegacyDES, "x"),
	} {
		if IsCertificateDER(in) {
			t.Errorf("IsCertificateDER(%s) = true, want false", name)
		}
	}
}

// TestIsCertificateDERMutations flips every bit of real certificates, and
// sets every byte to a few telling values: whatever IsCertificateDER
// accepts, x509.ParseCertificate must accept.
func TestIsCertificateDERMutations(t *testing.T) {
	accept, _ := derVariants(t)
	for name, der := range accept {
		accepted := 0
		m := bytes.Clone(der)
		check := func(i int) {
			if IsCertificateDER(m) {
				accepted++
				if _, err := x509.ParseCertificate(m); err != nil {
					t.Fatalf("%s with byte %d = %#x: IsCertificateDER accepts what x509.ParseCertificate refuses: %v", name, i, m[i], err)
				}
			}
		}
		for i := range m {
			orig := m[i]
			for bit := range 8 {
				m[i] = orig ^ 1<<bit
				check(i)
			}
			for _, v := range []byte{0x00, 0x01, 0x7f, 0x80, 0xff, '0', 'Z', ' ', 0x05} {
				m[i] = v
				check(i)
			}
			m[i] = orig
		}
		if accepted == 0 {
			t.Errorf("%s: no mutation accepted at all (the signature bytes should be)", name)
		}
	}
}

// FuzzIsCertificateDER: whatever IsCertificateDER accepts,
// x509.ParseCertificate accepts, so `azcert thumbprint`, which hashes what
// it accepts without the full parse, refuses exactly what it refused.
func FuzzIsCertificateDER(f *testing.F) {
	accept, leave := derVariants(f)
	for _, der := range accept {
		f.Add(der)
	}
	for _, der := range leave {
		f.Add(der)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		if IsCertificateDER(der) {
			if _, err := x509.ParseCertificate(der); err != nil {
				t.Fatalf("IsCertificateDER accepts what x509.ParseCertificate refuses: %v", err)
			}
		}
	})
}

func BenchmarkIsCertificateDER(b *testing.B) {
	der := testFixture(b).leaf.DER
	b.ReportAllocs()
	for b.Loop() {
		if !IsCertificateDER(der) {
			b.Fatal("refused")
		}
	}
}
