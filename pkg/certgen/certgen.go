// Package certgen creates RSA keys and self-signed X.509 v3 certificates
// that meet Azure's rules for service (SSL) and management certificates,
// TLS server and client certificates for mutual TLS with and behind API
// Management, and certificate credentials of Microsoft Entra ID
// applications (see Purpose).
//
// The defaults follow PowerShell's New-SelfSignedCertificate, which
// Microsoft's Azure documentation assumes: RSA 2048, SHA-256, one year of
// validity starting ten minutes in the past, key usage digitalSignature and
// keyEncipherment, extended key usage serverAuth and clientAuth, CA:FALSE, a
// random positive 16-byte serial number, and a subject key identifier. The
// subject is CN=<first name>; every name goes into the subject alternative
// names.
package certgen

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"time"
)

// Purpose says what the certificate is for. It selects the certificate's
// key usage and extended key usage, and the validation rules (only a service
// certificate refuses a domain Azure owns).
type Purpose string

const (
	// PurposeService is an SSL certificate for a cloud service on a custom
	// domain. It has the usages New-SelfSignedCertificate gives, which
	// Azure's documentation assumes: digitalSignature and keyEncipherment,
	// serverAuth and clientAuth.
	PurposeService Purpose = "service"
	// PurposeManagement is a management certificate that authenticates
	// calls to the Service Management API (mutual TLS). It has the same
	// usages as PurposeService, as New-SelfSignedCertificate gives them.
	PurposeManagement Purpose = "management"
	// PurposeServer is the certificate of any other TLS server, such as a
	// back end behind API Management: digitalSignature and keyEncipherment,
	// serverAuth only.
	PurposeServer Purpose = "server"
	// PurposeClient is a client certificate that a caller presents in
	// mutual TLS, for example to an API Management policy that checks its
	// thumbprint: digitalSignature, clientAuth only.
	PurposeClient Purpose = "client"
	// PurposeAPIMBackend is the client certificate API Management presents
	// to a back end that requires mutual TLS (uploaded to the API
	// Management service): digitalSignature, clientAuth only.
	PurposeAPIMBackend Purpose = "apim-backend"
	// PurposeEntra is the certificate credential of a Microsoft Entra ID
	// application (service principal): the application signs client
	// assertions with its key, and Entra ID checks them against the
	// registered public key. It only signs: digitalSignature, clientAuth
	// only. The default validity (DefaultValidity, a year) is the longest
	// Microsoft advises for an application credential.
	// https://learn.microsoft.com/entra/identity-platform/certificate-credentials
	PurposeEntra Purpose = "entra"
)

// Purposes lists every purpose, in the order help and completion show them.
var Purposes = []Purpose{PurposeService, PurposeServer, PurposeClient, PurposeManagement, PurposeAPIMBackend, PurposeEntra}

// PurposeNames returns the names of Purposes, for help and completion.
func PurposeNames() []string {
	out := make([]string, len(Purposes))
	for i, p := range Purposes {
		out[i] = string(p)
	}
	return out
}

// ParsePurpose accepts the names in Purposes.
func ParsePurpose(s string) (Purpose, error) {
	for _, p := range Purposes {
		if string(p) == s {
			return p, nil
		}
	}
	names := PurposeNames()
	return "", fmt.Errorf("unknown purpose %q (want %s or %s)", s, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

// KeyUsage is the key usage a certificate for the purpose gets. TLS client
// authentication only signs (RFC 8446 section 4.4.3, RFC 5246 section
// 7.4.8), and so does an Entra ID credential, which signs JWTs; a server
// also needs keyEncipherment for RSA key exchange (RFC 5246 section
// 7.4.7.1).
func (p Purpose) KeyUsage() x509.KeyUsage {
	switch p {
	case PurposeClient, PurposeAPIMBackend, PurposeEntra:
		return x509.KeyUsageDigitalSignature
	}
	return x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
}

// ExtKeyUsage is the extended key usage a certificate for the purpose gets
// (RFC 5280 section 4.2.1.12). Entra ID reads no usages of a credential;
// clientAuth says what its key does: it authenticates the application as
// a client.
func (p Purpose) ExtKeyUsage() []x509.ExtKeyUsage {
	switch p {
	case PurposeServer:
		return []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	case PurposeClient, PurposeAPIMBackend, PurposeEntra:
		return []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	return []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
}

// Defaults for a Request's zero fields.
const (
	DefaultKeySize   = 2048
	DefaultValidity  = 365 * 24 * time.Hour
	DefaultBackdate  = 10 * time.Minute
	MinKeySize       = 2048
	MaxKeySize       = 8192
	serialNumberSize = 16
)

// AllowedKeySizes are the RSA sizes Generate accepts.
var AllowedKeySizes = []int{2048, 3072, 4096}

// Request describes the certificate to create.
type Request struct {
	// Names are the validated names; the first becomes the subject's CN.
	Names []Name
	// KeySize is the RSA modulus size in bits; 0 means DefaultKeySize.
	KeySize int
	// Purpose selects the key usages and validation rules; "" means
	// PurposeService.
	Purpose Purpose
	// AllowAzureDomain permits an Azure-owned domain for a service certificate.
	AllowAzureDomain bool
	// Now is the time of creation; zero means time.Now().
	Now time.Time
	// NotBefore defaults to Now minus ten minutes.
	NotBefore time.Time
	// NotAfter defaults to Now plus 365 days.
	NotAfter time.Time
	// Rand is the source of randomness; nil means crypto/rand.Reader.
	Rand io.Reader
	// Issuer, if set, signs the certificate instead of its own key: the
	// certificate's issuer is the Issuer's subject, its authority key
	// identifier the Issuer's subject key identifier, and its validity is
	// clipped to the Issuer's. A client certificate issued this way also
	// gets keyEncipherment, as New-SelfSignedCertificate gives the client
	// certificate of Microsoft's point-to-site VPN guide.
	Issuer *Issuer
}

// KeySizeError reports an RSA key size that Azure refuses or azcert does not offer.
type KeySizeError struct{ Bits int }

func (e *KeySizeError) Error() string {
	if e.Bits < MinKeySize {
		return fmt.Sprintf("RSA key size %d is too small: Azure requires at least %d bits", e.Bits, MinKeySize)
	}
	return fmt.Sprintf("RSA key size %d is not offered (choose 2048, 3072 or 4096)", e.Bits)
}

// AzureDomainError reports an Azure-owned domain in a service certificate.
type AzureDomainError struct {
	Name, Suffix string
}

func (e *AzureDomainError) Error() string {
	return fmt.Sprintf("%s is under Azure's own domain %s: a certificate for a cloud service must name your custom domain, and no certificate authority will issue one for %s", e.Name, e.Suffix, e.Suffix)
}

// ValidityError reports a validity period that cannot work.
type ValidityError struct{ Reason string }

func (e *ValidityError) Error() string { return "invalid validity period: " + e.Reason }

// Result is a generated key and certificate.
type Result struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
	// DER is the certificate's encoding (Cert.Raw).
	DER []byte
}

// Validate checks a request without generating anything, so callers can
// refuse bad input before spending time on a key.
func (r *Request) Validate() error {
	if len(r.Names) == 0 {
		return ErrNoNames
	}
	if err := checkKeySize(r.KeySize); err != nil {
		return err
	}
	purpose := r.Purpose
	if purpose == "" {
		purpose = PurposeService
	}
	if _, err := ParsePurpose(string(purpose)); err != nil {
		return err
	}
	if purpose == PurposeService && !r.AllowAzureDomain {
		for _, n := range r.Names {
			if n.Kind == KindIP {
				continue
			}
			if s := AzureOwnedSuffix(n.ASCII); s != "" {
				return &AzureDomainError{Name: n.Unicode, Suffix: s}
			}
		}
	}
	if r.Issuer != nil {
		if err := r.Issuer.Check(r.now()); err != nil {
			return err
		}
	}
	nb, na := r.validity()
	return checkValidity(nb, na, r.now())
}

// checkKeySize refuses a size not in AllowedKeySizes; 0 means DefaultKeySize.
func checkKeySize(bits int) error {
	if bits == 0 {
		bits = DefaultKeySize
	}
	for _, s := range AllowedKeySizes {
		if s == bits {
			return nil
		}
	}
	return &KeySizeError{Bits: bits}
}

// checkValidity refuses a period that ends before now or before it starts.
func checkValidity(nb, na, now time.Time) error {
	if !na.After(now) {
		return &ValidityError{Reason: fmt.Sprintf("the end date %s is in the past", na.UTC().Format(time.RFC3339))}
	}
	if !na.After(nb) {
		return &ValidityError{Reason: fmt.Sprintf("it ends (%s) before it starts (%s)", na.UTC().Format(time.RFC3339), nb.UTC().Format(time.RFC3339))}
	}
	return nil
}

func (r *Request) now() time.Time {
	if r.Now.IsZero() {
		return time.Now()
	}
	return r.Now
}

func (r *Request) validity() (notBefore, notAfter time.Time) {
	now := r.now()
	notBefore, notAfter = r.NotBefore, r.NotAfter
	if notBefore.IsZero() {
		notBefore = now.Add(-DefaultBackdate)
	}
	if notAfter.IsZero() {
		notAfter = now.Add(DefaultValidity)
	}
	if r.Issuer != nil {
		notBefore, notAfter = r.Issuer.clip(notBefore, notAfter)
	}
	// X.509 times have one-second resolution.
	return notBefore.UTC().Truncate(time.Second), notAfter.UTC().Truncate(time.Second)
}

// Generate validates the request, creates an RSA key and signs a
// self-signed certificate with it.
func Generate(r Request) (*Result, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	random := r.Rand
	if random == nil {
		random = rand.Reader
	}
	bits := r.KeySize
	if bits == 0 {
		bits = DefaultKeySize
	}
	key, err := rsa.GenerateKey(random, bits)
	if err != nil {
		return nil, fmt.Errorf("generating RSA key: %w", err)
	}
	return Sign(r, key)
}

// Sign builds and self-signs the certificate for an existing key.
func Sign(r Request, key *rsa.PrivateKey) (*Result, error) {
	if r.KeySize == 0 {
		r.KeySize = key.N.BitLen()
	}
	if r.KeySize != key.N.BitLen() {
		return nil, fmt.Errorf("the key has %d bits but the request asks for %d", key.N.BitLen(), r.KeySize)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	random := r.Rand
	if random == nil {
		random = rand.Reader
	}
	serial, err := SerialNumber(random)
	if err != nil {
		return nil, err
	}
	nb, na := r.validity()
	purpose := r.Purpose
	if purpose == "" {
		purpose = PurposeService
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: r.Names[0].ASCII},
		NotBefore:             nb,
		NotAfter:              na,
		KeyUsage:              purpose.KeyUsage(),
		ExtKeyUsage:           purpose.ExtKeyUsage(),
		BasicConstraintsValid: true,
		IsCA:                  false,
		SignatureAlgorithm:    x509.SHA256WithRSA,
		SubjectKeyId:          SubjectKeyID(&key.PublicKey),
	}
	for _, n := range r.Names {
		if n.Kind == KindIP {
			tmpl.IPAddresses = append(tmpl.IPAddresses, net.IP(n.IP.AsSlice()))
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n.ASCII)
		}
	}
	if r.Issuer == nil {
		return create(random, tmpl, tmpl, &key.PublicKey, key, key)
	}
	// x509.CreateCertificate takes the authority key identifier from the
	// parent's subject key identifier; set it here so that it does not
	// depend on that.
	tmpl.AuthorityKeyId = r.Issuer.Cert.SubjectKeyId
	if purpose == PurposeClient {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	return create(random, tmpl, r.Issuer.Cert, &key.PublicKey, key, r.Issuer.Key)
}

// SerialNumber returns a random positive serial number that encodes in
// exactly 16 bytes (RFC 5280 section 4.1.2.2 allows up to 20 octets).
func SerialNumber(random io.Reader) (*big.Int, error) {
	b := make([]byte, serialNumberSize)
	if _, err := io.ReadFull(random, b); err != nil {
		return nil, fmt.Errorf("generating serial number: %w", err)
	}
	// Clear the top bit so the number is positive without a leading zero
	// octet, and set the next one so it keeps all 16 octets.
	b[0] = b[0]&0x3f | 0x40
	return new(big.Int).SetBytes(b), nil
}

// SubjectKeyID computes the key identifier of RFC 5280 section 4.2.1.2,
// method (1): the SHA-1 hash of the subjectPublicKey bit string, which for
// RSA is the PKCS#1 RSAPublicKey encoding.
func SubjectKeyID(pub *rsa.PublicKey) []byte {
	sum := sha1.Sum(x509.MarshalPKCS1PublicKey(pub))
	return sum[:]
}
