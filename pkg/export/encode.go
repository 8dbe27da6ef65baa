package export

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"

	"software.sslmate.com/src/go-pkcs12"
)

// ErrKeyMismatch reports a private key that is not the certificate's.
var ErrKeyMismatch = errors.New("the private key does not belong to the certificate")

// PFXOptions controls EncodePFX.
type PFXOptions struct {
	// Profile selects the algorithms; "" means ProfileCompat.
	Profile Profile
	// Password protects the file; "" writes a file with an empty password
	// (still encrypted and MACed, which Windows and OpenSSL open).
	Password string
	// Rand overrides the salt and IV source, for reproducible tests.
	Rand io.Reader
}

// EncodePFX encodes key, cert and chain as a PKCS#12 file.
func EncodePFX(key crypto.Signer, cert *x509.Certificate, chain []*x509.Certificate, opts PFXOptions) ([]byte, error) {
	profile := ProfileCompat
	if opts.Profile != "" {
		p, err := ParseProfile(string(opts.Profile))
		if err != nil {
			return nil, err
		}
		profile = p
	}
	enc := pkcs12.LegacyDES
	if profile == ProfileModern {
		enc = pkcs12.Modern2023
	}
	if opts.Rand != nil {
		enc = enc.WithRand(opts.Rand)
	}
	if !KeyMatchesCert(key, cert) {
		return nil, fmt.Errorf("%w %q", ErrKeyMismatch, cert.Subject.CommonName)
	}
	data, err := enc.Encode(key, cert, chain, opts.Password)
	if err != nil {
		return nil, fmt.Errorf("encoding .pfx: %w", err)
	}
	return data, nil
}

// CertPEM returns certificates as PEM "CERTIFICATE" blocks.
func CertPEM(certs ...*x509.Certificate) []byte {
	var buf bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return buf.Bytes()
}

// KeyPEM returns the key as an unencrypted PKCS#8 "PRIVATE KEY" block, the
// form OpenSSL 3, Node and Java read.
func KeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
