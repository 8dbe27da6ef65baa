package certgen_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"io"
	"math/big"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/certgen"
)

// fixedNow is the clock of every request; it has a sub-second part and a
// non-UTC zone so that truncation and conversion to UTC are exercised.
var fixedNow = time.Date(2025, time.March, 14, 16, 9, 26, 535897932, time.FixedZone("CET", 3600))

// RSA key generation is slow, so each size is generated once per test binary.
var (
	keyOnce sync.Map // bits -> func() *rsa.PrivateKey
)

func testKey(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	f, _ := keyOnce.LoadOrStore(bits, sync.OnceValues(func() (*rsa.PrivateKey, error) {
		return rsa.GenerateKey(rand.Reader, bits)
	}))
	key, err := f.(func() (*rsa.PrivateKey, error))()
	if err != nil {
		t.Fatalf("rsa.GenerateKey(%d): %v", bits, err)
	}
	return key
}

func mustNames(t testing.TB, in ...string) []certgen.Name {
	t.Helper()
	names, err := certgen.ParseNames(in)
	if err != nil {
		t.Fatalf("ParseNames(%q): %v", in, err)
	}
	return names
}

// constReader returns the same byte forever.
type constReader byte

func (c constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

func TestParsePurpose(t *testing.T) {
	tests := []struct {
		in      string
		want    certgen.Purpose
		wantErr bool
	}{
		{"service", certgen.PurposeService, false},
		{"management", certgen.PurposeManagement, false},
		{"server", certgen.PurposeServer, false},
		{"client", certgen.PurposeClient, false},
		{"apim-backend", certgen.PurposeAPIMBackend, false},
		{"entra", certgen.PurposeEntra, false},
		{"", "", true},
		{"Entra", "", true},
		{"apim-client", "", true},
		{"Server", "", true},
		{"bogus", "", true},
	}
	for _, tt := range tests {
		got, err := certgen.ParsePurpose(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParsePurpose(%q) = %q, %v, want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	// The error names every valid purpose, so a usage error can list them.
	_, err := certgen.ParsePurpose("website")
	if want := `unknown purpose "website" (want service, server, client, management, apim-backend or entra)`; err == nil || err.Error() != want {
		t.Errorf("ParsePurpose(website) error = %v, want %q", err, want)
	}
}

// TestPurposeUsages signs a certificate for every purpose and compares the
// key usage and extended key usage parsed back from its DER with the ones
// each purpose promises: a server signs and encrypts key exchanges and
// authenticates as a server; a client only signs and authenticates as a
// client; service and management keep New-SelfSignedCertificate's usages.
func TestPurposeUsages(t *testing.T) {
	const (
		ds = x509.KeyUsageDigitalSignature
		ke = x509.KeyUsageKeyEncipherment
	)
	server, client := x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth
	tests := []struct {
		purpose certgen.Purpose
		ku      x509.KeyUsage
		eku     []x509.ExtKeyUsage
	}{
		{"", ds | ke, []x509.ExtKeyUsage{server, client}},
		{certgen.PurposeService, ds | ke, []x509.ExtKeyUsage{server, client}},
		{certgen.PurposeManagement, ds | ke, []x509.ExtKeyUsage{server, client}},
		{certgen.PurposeServer, ds | ke, []x509.ExtKeyUsage{server}},
		{certgen.PurposeClient, ds, []x509.ExtKeyUsage{client}},
		{certgen.PurposeAPIMBackend, ds, []x509.ExtKeyUsage{client}},
		{certgen.PurposeEntra, ds, []x509.ExtKeyUsage{client}},
	}
	seen := map[certgen.Purpose]bool{}
	for _, tt := range tests {
		seen[tt.purpose] = true
		t.Run(string(tt.purpose), func(t *testing.T) {
			res, err := certgen.Sign(certgen.Request{Names: mustNames(t, "contoso.net"), Purpose: tt.purpose, Now: fixedNow}, testKey(t, 2048))
			if err != nil {
				t.Fatalf("Sign(%q): %v", tt.purpose, err)
			}
			c, err := x509.ParseCertificate(res.DER)
			if err != nil {
				t.Fatal(err)
			}
			if c.KeyUsage != tt.ku {
				t.Errorf("Sign(%q) KeyUsage = %b, want %b", tt.purpose, c.KeyUsage, tt.ku)
			}
			if !reflect.DeepEqual(c.ExtKeyUsage, tt.eku) || len(c.UnknownExtKeyUsage) != 0 {
				t.Errorf("Sign(%q) ExtKeyUsage = %v %v, want %v", tt.purpose, c.ExtKeyUsage, c.UnknownExtKeyUsage, tt.eku)
			}
			if !c.BasicConstraintsValid || c.IsCA {
				t.Errorf("Sign(%q) BasicConstraintsValid, IsCA = %v, %v, want true, false", tt.purpose, c.BasicConstraintsValid, c.IsCA)
			}
			for _, e := range c.Extensions {
				if e.Id.Equal(oidKeyUsage) && !e.Critical {
					t.Errorf("Sign(%q): the key usage extension is not critical", tt.purpose)
				}
			}
		})
	}
	for _, p := range certgen.Purposes {
		if !seen[p] {
			t.Errorf("purpose %q has no case in TestPurposeUsages", p)
		}
	}
}

// TestEntraDefaultValidity: an Entra ID credential gets a year by default,
// the longest Microsoft advises for an application credential.
func TestEntraDefaultValidity(t *testing.T) {
	res, err := certgen.Sign(certgen.Request{Names: mustNames(t, "azcert-entra-app"), Purpose: certgen.PurposeEntra, Now: fixedNow}, testKey(t, 2048))
	if err != nil {
		t.Fatalf("Sign(entra): %v", err)
	}
	c, err := x509.ParseCertificate(res.DER)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.NotAfter.Sub(fixedNow.Truncate(time.Second)), 365*24*time.Hour; got != want {
		t.Errorf("Sign(entra) NotAfter - Now = %s, want %s", got, want)
	}
}

// TestAzureDomainOnlyForService: only a cloud service's SSL certificate must
// name a custom domain; a VM's TLS server on *.cloudapp.azure.com, a client
// or a management certificate may name an Azure domain.
func TestAzureDomainOnlyForService(t *testing.T) {
	for _, p := range certgen.Purposes {
		r := certgen.Request{Names: mustNames(t, "vm1.westeurope.cloudapp.azure.com"), Purpose: p, Now: fixedNow}
		err := r.Validate()
		var ad *certgen.AzureDomainError
		if got, want := errors.As(err, &ad), p == certgen.PurposeService; got != want {
			t.Errorf("Validate(%q, cloudapp.azure.com) = %v, want an AzureDomainError: %v", p, err, want)
		}
	}
}

func TestValidate(t *testing.T) {
	base := func() certgen.Request {
		return certgen.Request{Names: mustNames(t, "contoso.net"), Now: fixedNow}
	}
	tests := []struct {
		name   string
		modify func(r *certgen.Request)
		check  func(t *testing.T, err error) // nil means Validate must succeed
	}{
		{name: "defaults", modify: func(r *certgen.Request) {}},
		{name: "key size 2048", modify: func(r *certgen.Request) { r.KeySize = 2048 }},
		{name: "key size 3072", modify: func(r *certgen.Request) { r.KeySize = 3072 }},
		{name: "key size 4096", modify: func(r *certgen.Request) { r.KeySize = 4096 }},
		{name: "key size 1024", modify: func(r *certgen.Request) { r.KeySize = 1024 }, check: wantKeySizeError(1024, "too small")},
		{name: "key size 2047", modify: func(r *certgen.Request) { r.KeySize = 2047 }, check: wantKeySizeError(2047, "too small")},
		{name: "key size 2049", modify: func(r *certgen.Request) { r.KeySize = 2049 }, check: wantKeySizeError(2049, "not offered")},
		{name: "key size 4097", modify: func(r *certgen.Request) { r.KeySize = 4097 }, check: wantKeySizeError(4097, "not offered")},
		{name: "key size 8192", modify: func(r *certgen.Request) { r.KeySize = 8192 }, check: wantKeySizeError(8192, "not offered")},
		{name: "key size negative", modify: func(r *certgen.Request) { r.KeySize = -2048 }, check: wantKeySizeError(-2048, "too small")},
		{name: "no names", modify: func(r *certgen.Request) { r.Names = nil }, check: func(t *testing.T, err error) {
			if !errors.Is(err, certgen.ErrNoNames) {
				t.Errorf("Validate() = %v, want ErrNoNames", err)
			}
		}},
		{name: "unknown purpose", modify: func(r *certgen.Request) { r.Purpose = "bogus" }, check: func(t *testing.T, err error) {
			if err == nil || !strings.Contains(err.Error(), "bogus") {
				t.Errorf("Validate() = %v, want an error naming the purpose", err)
			}
		}},
		{name: "Azure domain for default purpose", modify: func(r *certgen.Request) { r.Names = mustNames(t, "foo.cloudapp.net") },
			check: wantAzureDomainError("foo.cloudapp.net", "cloudapp.net")},
		{name: "Azure domain for service", modify: func(r *certgen.Request) {
			r.Purpose = certgen.PurposeService
			r.Names = mustNames(t, "contoso.net", "*.azurewebsites.net")
		}, check: wantAzureDomainError("*.azurewebsites.net", "azurewebsites.net")},
		{name: "Azure domain for management", modify: func(r *certgen.Request) {
			r.Purpose = certgen.PurposeManagement
			r.Names = mustNames(t, "foo.cloudapp.net")
		}},
		{name: "Azure domain allowed", modify: func(r *certgen.Request) {
			r.AllowAzureDomain = true
			r.Names = mustNames(t, "foo.cloudapp.net")
		}},
		{name: "IP for service", modify: func(r *certgen.Request) { r.Names = mustNames(t, "192.0.2.10") }},
		{name: "custom validity", modify: func(r *certgen.Request) {
			r.NotBefore = fixedNow.Add(24 * time.Hour)
			r.NotAfter = fixedNow.Add(48 * time.Hour)
		}},
		{name: "not after in the past", modify: func(r *certgen.Request) { r.NotAfter = fixedNow.Add(-time.Hour) },
			check: wantValidityError("in the past")},
		{name: "not after equal to now", modify: func(r *certgen.Request) {
			r.NotBefore = fixedNow.Add(-48 * time.Hour)
			r.NotAfter = fixedNow.Truncate(time.Second)
		}, check: wantValidityError("in the past")},
		{name: "not after later in the same second as now", modify: func(r *certgen.Request) {
			// X.509 keeps whole seconds: the certificate would end at
			// 15:09:26, before the request's 15:09:26.536.
			r.NotAfter = fixedNow.Add(300 * time.Millisecond)
		}, check: wantValidityError("in the past")},
		{name: "not after a second after now", modify: func(r *certgen.Request) {
			r.NotAfter = fixedNow.Add(time.Second)
		}},
		{name: "not after before not before", modify: func(r *certgen.Request) {
			r.NotBefore = fixedNow.Add(48 * time.Hour)
			r.NotAfter = fixedNow.Add(24 * time.Hour)
		}, check: wantValidityError("before it starts")},
		{name: "not after equal to not before", modify: func(r *certgen.Request) {
			r.NotBefore = fixedNow.Add(24 * time.Hour)
			r.NotAfter = fixedNow.Add(24 * time.Hour)
		}, check: wantValidityError("before it starts")},
		{name: "not before after default not after", modify: func(r *certgen.Request) {
			r.NotBefore = fixedNow.Add(400 * 24 * time.Hour)
		}, check: wantValidityError("before it starts")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.modify(&r)
			err := r.Validate()
			if tt.check == nil {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error")
			}
			tt.check(t, err)
		})
	}
}

func wantKeySizeError(bits int, msg string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var ke *certgen.KeySizeError
		if !errors.As(err, &ke) {
			t.Fatalf("Validate() = %T (%v), want *certgen.KeySizeError", err, err)
		}
		if ke.Bits != bits {
			t.Errorf("Validate() KeySizeError.Bits = %d, want %d", ke.Bits, bits)
		}
		if !strings.Contains(err.Error(), msg) {
			t.Errorf("Validate() = %q, want it to say %q", err, msg)
		}
	}
}

func wantAzureDomainError(name, suffix string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var ae *certgen.AzureDomainError
		if !errors.As(err, &ae) {
			t.Fatalf("Validate() = %T (%v), want *certgen.AzureDomainError", err, err)
		}
		if ae.Name != name || ae.Suffix != suffix {
			t.Errorf("Validate() = AzureDomainError{%q, %q}, want {%q, %q}", ae.Name, ae.Suffix, name, suffix)
		}
	}
}

func wantValidityError(reason string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var ve *certgen.ValidityError
		if !errors.As(err, &ve) {
			t.Fatalf("Validate() = %T (%v), want *certgen.ValidityError", err, err)
		}
		if !strings.Contains(ve.Reason, reason) {
			t.Errorf("Validate() ValidityError.Reason = %q, want it to contain %q", ve.Reason, reason)
		}
	}
}

// Extension OIDs of RFC 5280.
var (
	oidSubjectKeyID     = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidSubjectAltName   = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 37}
)

// checkCert compares every field DESIGN 2.1 prescribes, on the
// certificate parsed back from res.DER.
func checkCert(t *testing.T, res *certgen.Result, names []certgen.Name, bits int, notBefore, notAfter time.Time) {
	t.Helper()
	if res == nil || res.Key == nil || res.Cert == nil || len(res.DER) == 0 {
		t.Fatalf("Result = %+v, want Key, Cert and DER", res)
	}
	c, err := x509.ParseCertificate(res.DER)
	if err != nil {
		t.Fatalf("x509.ParseCertificate(Result.DER): %v", err)
	}
	if !bytes.Equal(res.Cert.Raw, res.DER) {
		t.Errorf("Result.Cert.Raw differs from Result.DER")
	}
	if c.Version != 3 {
		t.Errorf("Version = %d, want 3", c.Version)
	}
	if got := c.Subject.String(); got != "CN="+names[0].ASCII {
		t.Errorf("Subject = %q, want %q", got, "CN="+names[0].ASCII)
	}
	if len(c.Subject.Names) != 1 {
		t.Errorf("Subject has %d attributes, want only the CN", len(c.Subject.Names))
	}
	if !bytes.Equal(c.RawIssuer, c.RawSubject) {
		t.Errorf("Issuer = %q, want the subject %q", c.Issuer, c.Subject)
	}
	var wantDNS []string
	var wantIPs []net.IP
	for _, n := range names {
		if n.Kind == certgen.KindIP {
			wantIPs = append(wantIPs, net.IP(n.IP.AsSlice()))
		} else {
			wantDNS = append(wantDNS, n.ASCII)
		}
	}
	if !reflect.DeepEqual(c.DNSNames, wantDNS) {
		t.Errorf("DNSNames = %q, want %q", c.DNSNames, wantDNS)
	}
	if len(c.IPAddresses) != len(wantIPs) {
		t.Errorf("IPAddresses = %v, want %v", c.IPAddresses, wantIPs)
	} else {
		for i := range wantIPs {
			if !c.IPAddresses[i].Equal(wantIPs[i]) || len(c.IPAddresses[i]) != len(wantIPs[i]) {
				t.Errorf("IPAddresses[%d] = %v (%d bytes), want %v (%d bytes)", i, c.IPAddresses[i], len(c.IPAddresses[i]), wantIPs[i], len(wantIPs[i]))
			}
		}
	}
	if len(c.EmailAddresses) != 0 || len(c.URIs) != 0 {
		t.Errorf("EmailAddresses = %v, URIs = %v, want none", c.EmailAddresses, c.URIs)
	}
	if !c.NotBefore.Equal(notBefore) || c.NotBefore.Location() != time.UTC {
		t.Errorf("NotBefore = %v, want %v", c.NotBefore, notBefore)
	}
	if !c.NotAfter.Equal(notAfter) || c.NotAfter.Location() != time.UTC {
		t.Errorf("NotAfter = %v, want %v", c.NotAfter, notAfter)
	}
	if !res.Cert.NotBefore.Equal(notBefore) || !res.Cert.NotAfter.Equal(notAfter) {
		t.Errorf("Result.Cert validity = %v..%v, want %v..%v", res.Cert.NotBefore, res.Cert.NotAfter, notBefore, notAfter)
	}
	if want := x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment; c.KeyUsage != want {
		t.Errorf("KeyUsage = %b, want %b", c.KeyUsage, want)
	}
	if want := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}; !reflect.DeepEqual(c.ExtKeyUsage, want) {
		t.Errorf("ExtKeyUsage = %v, want %v", c.ExtKeyUsage, want)
	}
	if len(c.UnknownExtKeyUsage) != 0 {
		t.Errorf("UnknownExtKeyUsage = %v, want none", c.UnknownExtKeyUsage)
	}
	if !c.BasicConstraintsValid || c.IsCA {
		t.Errorf("BasicConstraintsValid, IsCA = %v, %v, want true, false", c.BasicConstraintsValid, c.IsCA)
	}
	if c.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("SignatureAlgorithm = %v, want %v", c.SignatureAlgorithm, x509.SHA256WithRSA)
	}
	if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
		t.Errorf("self-signature does not verify: %v", err)
	}
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("PublicKey is %T, want *rsa.PublicKey", c.PublicKey)
	}
	if pub.N.BitLen() != bits {
		t.Errorf("RSA key size = %d bits, want %d", pub.N.BitLen(), bits)
	}
	if !res.Key.PublicKey.Equal(pub) {
		t.Errorf("Result.Key does not belong to the certificate")
	}
	wantSKI := sha1.Sum(x509.MarshalPKCS1PublicKey(pub))
	if !bytes.Equal(c.SubjectKeyId, wantSKI[:]) {
		t.Errorf("SubjectKeyId = %x, want %x", c.SubjectKeyId, wantSKI)
	}
	if c.SerialNumber.Sign() <= 0 || len(c.SerialNumber.Bytes()) != 16 {
		t.Errorf("SerialNumber = %x (%d bytes), want positive and 16 bytes", c.SerialNumber, len(c.SerialNumber.Bytes()))
	}
	var oids []string
	for _, e := range c.Extensions {
		oids = append(oids, e.Id.String())
	}
	slices.Sort(oids)
	want := []string{oidSubjectKeyID.String(), oidKeyUsage.String(), oidSubjectAltName.String(), oidBasicConstraints.String(), oidExtKeyUsage.String()}
	slices.Sort(want)
	if !reflect.DeepEqual(oids, want) {
		t.Errorf("extensions = %v, want exactly %v", oids, want)
	}
}

func TestGenerate(t *testing.T) {
	names := mustNames(t, "contoso.net", "192.0.2.10", "www.contoso.net", "2001:db8::1", "*.contoso.net")
	res, err := certgen.Generate(certgen.Request{Names: names, Now: fixedNow})
	if err != nil {
		t.Fatalf("Generate() error = %v", err)
	}
	wantNB := time.Date(2025, time.March, 14, 14, 59, 26, 0, time.UTC) // Now - 10 min, in UTC, whole seconds
	wantNA := time.Date(2026, time.March, 14, 15, 9, 26, 0, time.UTC)  // Now + 365 days
	checkCert(t, res, names, certgen.DefaultKeySize, wantNB, wantNA)
}

func TestGenerateRefusesBeforeWork(t *testing.T) {
	tests := []struct {
		name string
		req  certgen.Request
	}{
		{"weak key", certgen.Request{Names: mustNames(t, "contoso.net"), Now: fixedNow, KeySize: 1024}},
		{"no names", certgen.Request{Now: fixedNow}},
		{"expired", certgen.Request{Names: mustNames(t, "contoso.net"), Now: fixedNow, NotAfter: fixedNow.Add(-time.Hour)}},
		{"Azure domain", certgen.Request{Names: mustNames(t, "foo.cloudapp.net"), Now: fixedNow}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A reader that fails proves nothing random was consumed.
			tt.req.Rand = failingReader{t}
			res, err := certgen.Generate(tt.req)
			if err == nil || res != nil {
				t.Errorf("Generate(%s) = %v, %v, want an error", tt.name, res, err)
			}
			if want := tt.req.Validate(); err != nil && err.Error() != want.Error() {
				t.Errorf("Generate(%s) = %v, want the Validate error %v", tt.name, err, want)
			}
		})
	}
}

type failingReader struct{ t *testing.T }

func (f failingReader) Read([]byte) (int, error) {
	f.t.Errorf("randomness read before validation")
	return 0, io.ErrUnexpectedEOF
}

func TestSign(t *testing.T) {
	key := testKey(t, 2048)
	tests := []struct {
		name   string
		req    certgen.Request
		key    *rsa.PrivateKey
		bits   int
		nb, na time.Time
	}{
		{
			name: "defaults",
			req:  certgen.Request{Names: mustNames(t, "contoso.net", "www.contoso.net"), Now: fixedNow},
			key:  key, bits: 2048,
			nb: time.Date(2025, time.March, 14, 14, 59, 26, 0, time.UTC),
			na: time.Date(2026, time.March, 14, 15, 9, 26, 0, time.UTC),
		},
		{
			name: "IDN",
			req:  certgen.Request{Names: mustNames(t, "bücher.de", "*.bücher.de"), Now: fixedNow},
			key:  key, bits: 2048,
			nb: time.Date(2025, time.March, 14, 14, 59, 26, 0, time.UTC),
			na: time.Date(2026, time.March, 14, 15, 9, 26, 0, time.UTC),
		},
		{
			name: "IP first",
			req:  certgen.Request{Names: mustNames(t, "192.0.2.10", "contoso.net"), Now: fixedNow, Purpose: certgen.PurposeManagement},
			key:  key, bits: 2048,
			nb: time.Date(2025, time.March, 14, 14, 59, 26, 0, time.UTC),
			na: time.Date(2026, time.March, 14, 15, 9, 26, 0, time.UTC),
		},
		{
			name: "explicit validity",
			req: certgen.Request{Names: mustNames(t, "contoso.net"), Now: fixedNow,
				NotBefore: time.Date(2025, time.April, 1, 2, 3, 4, 999, time.FixedZone("X", -7*3600)),
				NotAfter:  time.Date(2027, time.April, 1, 0, 0, 0, 0, time.UTC)},
			key: key, bits: 2048,
			nb: time.Date(2025, time.April, 1, 9, 3, 4, 0, time.UTC),
			na: time.Date(2027, time.April, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			name: "3072-bit key",
			req:  certgen.Request{Names: mustNames(t, "contoso.net"), Now: fixedNow, KeySize: 3072},
			key:  testKey(t, 3072), bits: 3072,
			nb: time.Date(2025, time.March, 14, 14, 59, 26, 0, time.UTC),
			na: time.Date(2026, time.March, 14, 15, 9, 26, 0, time.UTC),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := certgen.Sign(tt.req, tt.key)
			if err != nil {
				t.Fatalf("Sign() error = %v", err)
			}
			if res.Key != tt.key {
				t.Errorf("Sign() Result.Key is not the key passed in")
			}
			checkCert(t, res, tt.req.Names, tt.bits, tt.nb, tt.na)
		})
	}
}

func TestSignDistinctSerials(t *testing.T) {
	key := testKey(t, 2048)
	req := certgen.Request{Names: mustNames(t, "contoso.net"), Now: fixedNow}
	a, err := certgen.Sign(req, key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := certgen.Sign(req, key)
	if err != nil {
		t.Fatal(err)
	}
	if a.Cert.SerialNumber.Cmp(b.Cert.SerialNumber) == 0 {
		t.Errorf("two Sign() calls gave the same serial %x", a.Cert.SerialNumber)
	}
}

func TestSignUsesRand(t *testing.T) {
	key := testKey(t, 2048)
	req := certgen.Request{Names: mustNames(t, "contoso.net"), Now: fixedNow, Rand: constReader(0xFF)}
	res, err := certgen.Sign(req, key)
	if err != nil {
		t.Fatalf("Sign() error = %v", err)
	}
	want := new(big.Int).SetBytes(append([]byte{0x7F}, bytes.Repeat([]byte{0xFF}, 15)...))
	if res.Cert.SerialNumber.Cmp(want) != 0 {
		t.Errorf("Sign() with Rand all 0xFF: serial = %x, want %x", res.Cert.SerialNumber, want)
	}
}

func TestSignRefusesInvalidRequest(t *testing.T) {
	key := testKey(t, 2048)
	req := certgen.Request{Names: mustNames(t, "contoso.net"), Now: fixedNow, NotAfter: fixedNow.Add(-time.Hour)}
	res, err := certgen.Sign(req, key)
	var ve *certgen.ValidityError
	if !errors.As(err, &ve) || res != nil {
		t.Errorf("Sign(expired request) = %v, %v, want *ValidityError", res, err)
	}
}

func TestSerialNumber(t *testing.T) {
	check := func(t *testing.T, n *big.Int) {
		t.Helper()
		if n.Sign() <= 0 {
			t.Fatalf("SerialNumber() = %x, want positive", n)
		}
		if len(n.Bytes()) != 16 {
			t.Fatalf("SerialNumber() = %x (%d bytes), want 16 bytes", n, len(n.Bytes()))
		}
		der, err := asn1.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(der) != 2+16 {
			t.Fatalf("SerialNumber() = %x encodes in %d content bytes, want 16", n, len(der)-2)
		}
	}
	t.Run("crypto/rand", func(t *testing.T) {
		seen := map[string]bool{}
		for range 2000 {
			n, err := certgen.SerialNumber(rand.Reader)
			if err != nil {
				t.Fatalf("SerialNumber(rand.Reader) error = %v", err)
			}
			check(t, n)
			if seen[n.String()] {
				t.Fatalf("SerialNumber(rand.Reader) repeated %x", n)
			}
			seen[n.String()] = true
		}
	})
	for _, tt := range []struct {
		name string
		r    io.Reader
		want []byte
	}{
		{"all 0x00", constReader(0x00), append([]byte{0x40}, make([]byte, 15)...)},
		{"all 0xFF", constReader(0xFF), append([]byte{0x7F}, bytes.Repeat([]byte{0xFF}, 15)...)},
		{"all 0x80", constReader(0x80), append([]byte{0x40}, bytes.Repeat([]byte{0x80}, 15)...)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n, err := certgen.SerialNumber(tt.r)
			if err != nil {
				t.Fatalf("SerialNumber(%s) error = %v", tt.name, err)
			}
			check(t, n)
			if want := new(big.Int).SetBytes(tt.want); n.Cmp(want) != 0 {
				t.Errorf("SerialNumber(%s) = %x, want %x", tt.name, n, want)
			}
		})
	}
	t.Run("short reader", func(t *testing.T) {
		n, err := certgen.SerialNumber(bytes.NewReader(make([]byte, 15)))
		if err == nil {
			t.Errorf("SerialNumber(15 bytes) = %x, want an error", n)
		}
	})
}

func TestSubjectKeyID(t *testing.T) {
	key := testKey(t, 2048)
	want := sha1.Sum(x509.MarshalPKCS1PublicKey(&key.PublicKey))
	if got := certgen.SubjectKeyID(&key.PublicKey); !bytes.Equal(got, want[:]) {
		t.Errorf("SubjectKeyID(key) = %x, want %x", got, want)
	}
	other := testKey(t, 3072)
	if bytes.Equal(certgen.SubjectKeyID(&other.PublicKey), want[:]) {
		t.Errorf("SubjectKeyID gives the same id for two keys")
	}
}
