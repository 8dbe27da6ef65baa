package export

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"math"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// Summary is everything azcert reports about a certificate and its file.
type Summary struct {
	File               string    `json:"file,omitempty"`
	Format             Format    `json:"format"`
	Subject            string    `json:"subject"`
	Issuer             string    `json:"issuer"`
	SelfSigned         bool      `json:"selfSigned"`
	Version            int       `json:"version"`
	Serial             string    `json:"serial"`
	SerialBytes        int       `json:"serialBytes"`
	NotBefore          time.Time `json:"notBefore"`
	NotAfter           time.Time `json:"notAfter"`
	DaysLeft           int       `json:"daysLeft"`
	Status             string    `json:"status"`
	KeyType            string    `json:"keyType"`
	KeySize            int       `json:"keySize"`
	SignatureAlgorithm string    `json:"signatureAlgorithm"`
	DNSNames           []string  `json:"dnsNames"`
	DNSNamesUnicode    []string  `json:"dnsNamesUnicode,omitempty"`
	IPAddresses        []string  `json:"ipAddresses"`
	KeyUsage           []string  `json:"keyUsage"`
	ExtKeyUsage        []string  `json:"extKeyUsage"`
	IsCA               bool      `json:"isCA"`
	BasicConstraints   bool      `json:"basicConstraints"`
	SubjectKeyID       string    `json:"subjectKeyId,omitempty"`
	Thumbprint         string    `json:"thumbprint"`
	SHA256             string    `json:"sha256"`
	ChainCount         int       `json:"chainCertificates"`
	HasKey             bool      `json:"hasPrivateKey"`
	KeyMatches         *bool     `json:"keyMatches,omitempty"`
	PFX                *PFXInfo  `json:"pfx,omitempty"`
}

// Summarize describes the bundle's leaf certificate as of now.
func Summarize(b *Bundle, now time.Time) *Summary {
	c := b.Cert
	s := &Summary{
		Format:             b.Format,
		Subject:            c.Subject.String(),
		Issuer:             c.Issuer.String(),
		SelfSigned:         IsSelfSigned(c),
		Version:            c.Version,
		Serial:             colonHex(c.SerialNumber.Bytes()),
		SerialBytes:        len(c.SerialNumber.Bytes()),
		NotBefore:          c.NotBefore.UTC(),
		NotAfter:           c.NotAfter.UTC(),
		SignatureAlgorithm: c.SignatureAlgorithm.String(),
		DNSNames:           append([]string{}, c.DNSNames...),
		IPAddresses:        []string{},
		KeyUsage:           KeyUsageNames(c.KeyUsage),
		ExtKeyUsage:        ExtKeyUsageNames(c),
		IsCA:               c.IsCA,
		BasicConstraints:   c.BasicConstraintsValid,
		Thumbprint:         FormatThumbprint(Thumbprint(c.Raw, SHA1), SHA1, FormatAzure),
		SHA256:             FormatThumbprint(Thumbprint(c.Raw, SHA256), SHA256, FormatAzure),
		ChainCount:         len(b.Chain),
		HasKey:             b.Key != nil,
		PFX:                b.PFX,
	}
	if len(c.SubjectKeyId) > 0 {
		s.SubjectKeyID = colonHex(c.SubjectKeyId)
	}
	for _, ip := range c.IPAddresses {
		s.IPAddresses = append(s.IPAddresses, ip.String())
	}
	idn := false
	for _, d := range c.DNSNames {
		u, err := idna.ToUnicode(d)
		if err != nil {
			u = d
		}
		idn = idn || u != d
		s.DNSNamesUnicode = append(s.DNSNamesUnicode, u)
	}
	if !idn {
		s.DNSNamesUnicode = nil
	}
	s.KeyType, s.KeySize = KeyInfo(c)
	left := c.NotAfter.Sub(now)
	// Rounded, so a certificate made a moment ago for 365 days shows 365.
	s.DaysLeft = int(math.Round(left.Hours() / 24))
	switch {
	case now.Before(c.NotBefore):
		s.Status = "not yet valid"
	case now.After(c.NotAfter):
		s.Status = "expired"
	default:
		s.Status = "valid"
	}
	if b.Key != nil {
		m := b.KeyMatches()
		s.KeyMatches = &m
	}
	return s
}

// IsSelfSigned reports whether the certificate names itself as issuer and
// its signature verifies with its own key.
func IsSelfSigned(c *x509.Certificate) bool {
	// CheckSignatureFrom would insist that the issuer be a CA; a
	// self-signed leaf is not, so check the signature directly.
	return bytes.Equal(c.RawIssuer, c.RawSubject) &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// KeyInfo names the certificate's public-key algorithm and size in bits.
func KeyInfo(c *x509.Certificate) (string, int) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		return "ECDSA", k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return "Ed25519", 256
	}
	return c.PublicKeyAlgorithm.String(), 0
}

// KeyUsageNames lists key usages in OpenSSL's words.
func KeyUsageNames(ku x509.KeyUsage) []string {
	names := []struct {
		bit  x509.KeyUsage
		name string
	}{
		{x509.KeyUsageDigitalSignature, "digitalSignature"},
		{x509.KeyUsageContentCommitment, "nonRepudiation"},
		{x509.KeyUsageKeyEncipherment, "keyEncipherment"},
		{x509.KeyUsageDataEncipherment, "dataEncipherment"},
		{x509.KeyUsageKeyAgreement, "keyAgreement"},
		{x509.KeyUsageCertSign, "keyCertSign"},
		{x509.KeyUsageCRLSign, "cRLSign"},
		{x509.KeyUsageEncipherOnly, "encipherOnly"},
		{x509.KeyUsageDecipherOnly, "decipherOnly"},
	}
	out := []string{}
	for _, n := range names {
		if ku&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// ExtKeyUsageNames lists extended key usages in OpenSSL's short names.
func ExtKeyUsageNames(c *x509.Certificate) []string {
	names := map[x509.ExtKeyUsage]string{
		x509.ExtKeyUsageAny:             "any",
		x509.ExtKeyUsageServerAuth:      "serverAuth",
		x509.ExtKeyUsageClientAuth:      "clientAuth",
		x509.ExtKeyUsageCodeSigning:     "codeSigning",
		x509.ExtKeyUsageEmailProtection: "emailProtection",
		x509.ExtKeyUsageTimeStamping:    "timeStamping",
		x509.ExtKeyUsageOCSPSigning:     "OCSPSigning",
	}
	out := []string{}
	for _, u := range c.ExtKeyUsage {
		if n, ok := names[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, "other")
		}
	}
	for _, oid := range c.UnknownExtKeyUsage {
		out = append(out, oid.String())
	}
	return out
}

func colonHex(b []byte) string {
	h := strings.ToUpper(hex.EncodeToString(b))
	var sb strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(h[i : i+2])
	}
	return sb.String()
}
