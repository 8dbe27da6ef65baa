// Package export reads and writes certificates and keys in the encodings
// Azure and Windows accept: .cer (DER or PEM), PEM certificates and keys,
// and PKCS#12 (.pfx) in the compat and modern profiles. It also computes
// thumbprints in Azure's formats and writes files safely (atomically, with
// the right mode, never overwriting without being told to).
package export

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"software.sslmate.com/src/go-pkcs12"
)

// Format is an input encoding recognised by Sniff.
type Format string

const (
	FormatDER     Format = "der"
	FormatPEM     Format = "pem"
	FormatPKCS12  Format = "pkcs12"
	FormatUnknown Format = "unknown"
)

// MaxInputSize bounds what Load accepts; certificates and .pfx files are a
// few kilobytes, and PEM bundles of every public root fit in a megabyte.
const MaxInputSize = 16 << 20

// MaxPEMBlocks bounds the PEM blocks Load decodes from one input.
const MaxPEMBlocks = 1000

// Sniff guesses the encoding of data from its first bytes.
func Sniff(data []byte) Format {
	trimmed := bytes.TrimLeft(data, "\xef\xbb\xbf \t\r\n")
	if bytes.HasPrefix(trimmed, []byte("-----BEGIN ")) || bytes.Contains(data[:min(len(data), 64<<10)], []byte("\n-----BEGIN ")) {
		return FormatPEM
	}
	if len(data) < 4 || data[0] != 0x30 {
		return FormatUnknown
	}
	// A DER SEQUENCE: a certificate starts SEQUENCE { SEQUENCE { ...,
	// a PFX starts SEQUENCE { INTEGER 3, ...
	_, body, ok := derHeader(data)
	if !ok || len(body) < 3 {
		return FormatUnknown
	}
	switch {
	case bytes.HasPrefix(body, []byte{0x02, 0x01, 0x03}):
		// PFX ::= SEQUENCE { version INTEGER {v3(3)}, ...
		return FormatPKCS12
	case body[0] == 0x30:
		return FormatDER
	}
	return FormatUnknown
}

// derHeader splits off a DER tag and definite length.
func derHeader(b []byte) (tag byte, body []byte, ok bool) {
	if len(b) < 2 {
		return 0, nil, false
	}
	tag, l := b[0], int(b[1])
	b = b[2:]
	if l&0x80 != 0 {
		n := l & 0x7f
		if n == 0 || n > 4 || len(b) < n {
			return 0, nil, false
		}
		l = 0
		for _, c := range b[:n] {
			l = l<<8 | int(c)
		}
		b = b[n:]
	}
	if l > len(b) {
		return tag, b, true // truncated: still say what it looks like
	}
	return tag, b[:l], true
}

// Bundle is what Load found in an input.
type Bundle struct {
	// Format is the encoding the input was in.
	Format Format
	// Cert is the leaf certificate: the one matching Key when there is a
	// key, otherwise the first.
	Cert *x509.Certificate
	// Chain holds any other certificates, in file order.
	Chain []*x509.Certificate
	// Key is the private key, nil if the input holds none.
	Key crypto.Signer
	// PFX describes the protection of a PKCS#12 input.
	PFX *PFXInfo
	// Blocks lists the PEM block types of a PEM input, in order.
	Blocks []string
}

// KeyMatches reports whether the bundle's key belongs to its certificate.
func (b *Bundle) KeyMatches() bool {
	if b.Key == nil || b.Cert == nil {
		return false
	}
	return KeyMatchesCert(b.Key, b.Cert)
}

// KeyMatchesCert reports whether key is the private half of cert's public key.
func KeyMatchesCert(key crypto.Signer, cert *x509.Certificate) bool {
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(cert.PublicKey)
}

// PasswordFunc supplies the password of a .pfx. Load calls it only when
// the input is a PKCS#12 file that an empty password does not open.
// Errors it returns are passed through unchanged.
type PasswordFunc func() (string, error)

// InputError reports an input that cannot be read as a certificate, key or
// .pfx. Its message says what was found.
type InputError struct {
	Reason string
	Err    error
}

func (e *InputError) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *InputError) Unwrap() error { return e.Err }

// ErrWrongPassword reports a .pfx password that does not match the file's MAC.
var ErrWrongPassword = errors.New("wrong password for the .pfx (its integrity check failed)")

// Load sniffs data and decodes the certificates and key it holds. password
// is consulted only for a PKCS#12 input; it may be nil when the caller has
// no password to offer.
func Load(data []byte, password PasswordFunc) (*Bundle, error) {
	if len(data) == 0 {
		return nil, &InputError{Reason: "the input is empty"}
	}
	if len(data) > MaxInputSize {
		return nil, &InputError{Reason: fmt.Sprintf("the input is %d bytes, larger than any certificate or .pfx (limit %d)", len(data), MaxInputSize)}
	}
	switch Sniff(data) {
	case FormatPEM:
		return loadPEM(data)
	case FormatDER:
		cert, err := x509.ParseCertificate(data)
		if err != nil {
			return nil, &InputError{Reason: "the input looks like a DER certificate but does not parse", Err: err}
		}
		return &Bundle{Format: FormatDER, Cert: cert}, nil
	case FormatPKCS12:
		return loadPFX(data, password)
	}
	return nil, &InputError{Reason: describeUnknown(data)}
}

func describeUnknown(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return "the input is a zip archive, not a certificate, .pem or .pfx"
	case bytes.Contains(data[:min(len(data), 512)], []byte("<?xml")) || bytes.HasPrefix(bytes.TrimSpace(data), []byte("<")):
		return "the input is XML or HTML, not a certificate, .pem or .pfx (a .publishsettings file needs --publish-settings)"
	case utf8.Valid(data[:min(len(data), 512)]) && isBase64ish(data):
		return "the input is text without PEM markers; if it is base64, wrap it in -----BEGIN CERTIFICATE----- lines or decode it first"
	case isDERKey(data):
		return "the input is a DER private key without its certificate; convert it to PEM (openssl pkey -inform der) and pass it with --key"
	case len(data) > 0 && data[0] == 0x30:
		return "the input is DER but neither a certificate nor a .pfx (truncated or another ASN.1 structure)"
	}
	return "the input is not a certificate (DER or PEM) or a .pfx"
}

func isDERKey(data []byte) bool {
	if _, err := x509.ParsePKCS8PrivateKey(data); err == nil {
		return true
	}
	_, err := x509.ParsePKCS1PrivateKey(data)
	return err == nil
}

func isBase64ish(data []byte) bool {
	s := strings.TrimSpace(string(data[:min(len(data), 512)]))
	if len(s) < 16 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("+/=\r\n", r)) {
			return false
		}
	}
	return true
}

func loadPEM(data []byte) (*Bundle, error) {
	b := &Bundle{Format: FormatPEM}
	var certs []*x509.Certificate
	// Notepad saves UTF-8 with a byte-order mark, which encoding/pem does
	// not skip.
	rest := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	for i := 0; ; i++ {
		if i >= MaxPEMBlocks {
			return nil, &InputError{Reason: fmt.Sprintf("the PEM input has more than %d blocks", MaxPEMBlocks)}
		}
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		b.Blocks = append(b.Blocks, block.Type)
		switch block.Type {
		case "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE":
			der := block.Bytes
			if block.Type == "TRUSTED CERTIFICATE" {
				// OpenSSL's -trustout appends its trust settings after the
				// certificate; keep the certificate.
				var raw asn1.RawValue
				if _, err := asn1.Unmarshal(der, &raw); err == nil {
					der = raw.FullBytes
				}
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, &InputError{Reason: fmt.Sprintf("PEM block %d (%s) does not parse", i+1, block.Type), Err: err}
			}
			certs = append(certs, cert)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if b.Key != nil {
				return nil, &InputError{Reason: "the PEM input holds more than one private key"}
			}
			key, err := parsePrivateKey(block)
			if err != nil {
				return nil, err
			}
			b.Key = key
		case "ENCRYPTED PRIVATE KEY":
			return nil, &InputError{Reason: "the PEM key is encrypted (ENCRYPTED PRIVATE KEY); decrypt it first with: openssl pkey -in key.pem -out plain.pem"}
		case "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST":
			return nil, &InputError{Reason: "the input is a certificate signing request, not a certificate"}
		case "PUBLIC KEY", "RSA PUBLIC KEY":
			// A bare public key adds nothing we can use; keep looking.
		default:
			return nil, &InputError{Reason: fmt.Sprintf("PEM block %d has type %q, which azcert does not read", i+1, block.Type)}
		}
	}
	if len(b.Blocks) == 0 {
		return nil, &InputError{Reason: "the input has a PEM header but no complete PEM block (truncated or damaged base64)"}
	}
	if len(certs) == 0 {
		if b.Key != nil {
			return nil, &InputError{Reason: "the PEM input holds a private key but no certificate (pass the certificate too, e.g. --key for the key file)"}
		}
		return nil, &InputError{Reason: "the PEM input holds no certificate"}
	}
	b.Cert, b.Chain = pickLeaf(certs, b.Key)
	return b, nil
}

// ParseKeyPEM reads a PEM private key (PKCS#8, PKCS#1 or SEC 1).
func ParseKeyPEM(data []byte) (crypto.Signer, error) {
	rest := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	for i := 0; i < MaxPEMBlocks; i++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch block.Type {
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			return parsePrivateKey(block)
		case "ENCRYPTED PRIVATE KEY":
			return nil, &InputError{Reason: "the PEM key is encrypted (ENCRYPTED PRIVATE KEY); decrypt it first with: openssl pkey -in key.pem -out plain.pem"}
		}
	}
	return nil, &InputError{Reason: "no PEM private key found"}
}

func parsePrivateKey(block *pem.Block) (crypto.Signer, error) {
	if _, ok := block.Headers["DEK-Info"]; ok {
		return nil, &InputError{Reason: "the PEM key is encrypted (legacy DEK-Info); decrypt it first with: openssl pkey -in key.pem -out plain.pem"}
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, &InputError{Reason: fmt.Sprintf("the PEM %s does not parse", block.Type), Err: err}
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, &InputError{Reason: fmt.Sprintf("unsupported private key type %T", key)}
	}
	return signer, nil
}

func pickLeaf(certs []*x509.Certificate, key crypto.Signer) (*x509.Certificate, []*x509.Certificate) {
	leaf := 0
	if key != nil {
		for i, c := range certs {
			if KeyMatchesCert(key, c) {
				leaf = i
				break
			}
		}
	}
	chain := make([]*x509.Certificate, 0, len(certs)-1)
	chain = append(chain, certs[:leaf]...)
	chain = append(chain, certs[leaf+1:]...)
	return certs[leaf], chain
}

func loadPFX(data []byte, password PasswordFunc) (*Bundle, error) {
	info, err := InspectPFX(data)
	if err != nil {
		if errors.Is(err, ErrNotPFX) {
			return nil, &InputError{Reason: "the input looks like a .pfx but its structure is damaged or truncated", Err: errors.Unwrap(err)}
		}
		return nil, &InputError{Reason: "cannot read this .pfx", Err: err}
	}
	if info.KeyBags == 0 {
		return nil, &InputError{Reason: fmt.Sprintf("the .pfx holds no private key (%s); azcert reads .pfx files that carry a key — use the .cer for the public certificate", info.Describe())}
	}
	// Files from the portal and publish settings use an empty password; try
	// it before asking, as Windows does.
	key, cert, chain, err := decodeBounded(data, "")
	if err != nil && isPasswordError(err) && password != nil {
		pw, perr := password()
		if perr != nil {
			return nil, perr
		}
		key, cert, chain, err = decodeBounded(data, pw)
	}
	if err != nil {
		if isPasswordError(err) {
			return nil, &InputError{Reason: "cannot open the .pfx", Err: ErrWrongPassword}
		}
		if errors.Is(err, ErrTooSlow) {
			return nil, &InputError{Reason: "cannot open the .pfx", Err: err}
		}
		return nil, &InputError{Reason: "cannot decode the .pfx", Err: err}
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, &InputError{Reason: fmt.Sprintf("unsupported private key type %T in the .pfx", key)}
	}
	all := append([]*x509.Certificate{cert}, chain...)
	leaf, rest := pickLeaf(all, signer)
	return &Bundle{Format: FormatPKCS12, Cert: leaf, Chain: rest, Key: signer, PFX: info}, nil
}

// PFXDecodeTimeout bounds the time spent decrypting one .pfx. InspectPFX
// bounds the iteration counts it can see, but a key bag nested inside an
// encrypted safe is only visible after decryption; real files decode in
// well under a second.
var PFXDecodeTimeout = 20 * time.Second

// ErrTooSlow reports a .pfx whose decryption exceeded PFXDecodeTimeout.
var ErrTooSlow = errors.New("decrypting the .pfx takes too long: it asks for an unreasonable amount of key derivation")

func decodeBounded(data []byte, password string) (any, *x509.Certificate, []*x509.Certificate, error) {
	type result struct {
		key   any
		cert  *x509.Certificate
		chain []*x509.Certificate
		err   error
	}
	done := make(chan result, 1)
	go func() {
		k, c, ch, err := pkcs12.DecodeChain(data, password)
		done <- result{k, c, ch, err}
	}()
	t := time.NewTimer(PFXDecodeTimeout)
	defer t.Stop()
	select {
	case r := <-done:
		return r.key, r.cert, r.chain, r.err
	case <-t.C:
		// The goroutine finishes on its own; a command exits long before.
		return nil, nil, nil, ErrTooSlow
	}
}

func isPasswordError(err error) bool {
	return errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption) ||
		strings.Contains(err.Error(), "no MAC in data")
}
