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
	// PFX is set only for a .pfx that holds no private key (ErrNoKey).
	PFX *PFXInfo
}

func (e *InputError) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *InputError) Unwrap() error { return e.Err }

// ErrNoKey matches (errors.Is) the InputError of a .pfx that holds no
// private key. go-pkcs12 decodes a .pfx's certificates only alongside its
// key, so such a file is not read; the error's PFX tells what its
// structure shows (the encryption), for a caller that can still judge that.
var ErrNoKey = errors.New("the .pfx holds no private key")

// Is reports whether target is ErrNoKey and this is that error.
func (e *InputError) Is(target error) bool { return target == ErrNoKey && e.PFX != nil }

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
		return nil, &InputError{Reason: fmt.Sprintf("the .pfx holds no private key (%s); azcert reads .pfx files that carry a key — use the .cer for the public certificate", info.Describe()), PFX: info}
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

// IsCertificateDER reports whether der is one DER-encoded X.509 certificate
// that x509.ParseCertificate accepts, judging by its structure alone: the
// Certificate and TBSCertificate sequences of RFC 5280 with nothing after
// them, the version, a non-negative serial number, matching inner and
// outer signature algorithms, well-formed names and validity times, an RSA
// public key, and the extensions Go decodes when it parses a certificate
// (key usage, basic constraints, subject alternative names, extended key
// usage, key identifiers). It allocates nothing and takes about a
// microsecond, where x509.ParseCertificate takes tens; it is what a
// thumbprint, the hash of these very bytes, needs.
//
// It is conservative: whatever it accepts, x509.ParseCertificate accepts
// (FuzzIsCertificateDER checks that). It refuses some certificates that
// x509.ParseCertificate accepts (other key types, extensions whose contents
// it does not check, unusual time encodings); callers then parse them, as
// Load does, and get Load's answer and errors.
func IsCertificateDER(der []byte) bool {
	in := derReader(der)
	cert, ok := in.read(tagSequence)
	if !ok || len(in) != 0 {
		return false
	}
	tbs, ok1 := cert.read(tagSequence)
	outerAlg, ok2 := cert.read(tagSequence)
	sig, ok3 := cert.read(tagBitString)
	if !ok1 || !ok2 || !ok3 || len(cert) != 0 || !validBitString(sig) {
		return false
	}
	version := byte(0)
	if tbs.peek(tagExplicit0) {
		v, _ := tbs.read(tagExplicit0)
		n, ok := v.read(tagInteger)
		if !ok || len(v) != 0 || len(n) != 1 || n[0] > 2 {
			return false
		}
		version = n[0]
	}
	// Negative serial numbers are refused (unless GODEBUG says otherwise,
	// which the full parse honours).
	if serial, ok := tbs.read(tagInteger); !ok || !minimalInteger(serial) || serial[0]&0x80 != 0 {
		return false
	}
	innerAlg, ok := tbs.read(tagSequence)
	if !ok || !bytes.Equal(innerAlg, outerAlg) || !validAlgorithm(innerAlg) {
		return false
	}
	if !validName(&tbs) {
		return false
	}
	if validity, ok := tbs.read(tagSequence); !ok || !validTime(&validity) || !validTime(&validity) || len(validity) != 0 {
		return false
	}
	if !validName(&tbs) {
		return false
	}
	if spki, ok := tbs.read(tagSequence); !ok || !validRSAPublicKeyInfo(spki) {
		return false
	}
	if version >= 1 {
		for _, tag := range [...]byte{0x81, 0x82} { // issuerUniqueID, subjectUniqueID
			if tbs.peek(tag) {
				if _, ok := tbs.read(tag); !ok {
					return false
				}
			}
		}
	}
	if version == 2 && tbs.peek(tagExplicit3) {
		exts, _ := tbs.read(tagExplicit3)
		list, ok := exts.read(tagSequence)
		if !ok || len(exts) != 0 || !validExtensions(list) {
			return false
		}
	}
	return len(tbs) == 0
}

const (
	tagBoolean         = 0x01
	tagInteger         = 0x02
	tagBitString       = 0x03
	tagOctetString     = 0x04
	tagOID             = 0x06
	tagUTF8String      = 0x0c
	tagNumericString   = 0x12
	tagPrintableString = 0x13
	tagT61String       = 0x14
	tagIA5String       = 0x16
	tagUTCTime         = 0x17
	tagGeneralizedTime = 0x18
	tagBMPString       = 0x1e
	tagSequence        = 0x30
	tagSet             = 0x31
	tagExplicit0       = 0xa0
	tagExplicit3       = 0xa3
)

// derReader reads DER elements with one-byte tags and definite, minimally
// encoded lengths of at most three bytes: stricter than Go's parser
// (cryptobyte), never looser.
type derReader []byte

// readAny returns the next element's tag and contents.
func (d *derReader) readAny() (tag byte, contents derReader, ok bool) {
	b := *d
	if len(b) < 2 || b[0]&0x1f == 0x1f {
		return 0, nil, false
	}
	tag, n := b[0], int(b[1])
	b = b[2:]
	if n&0x80 != 0 {
		lenLen := n & 0x7f
		if lenLen == 0 || lenLen > 3 || len(b) < lenLen || b[0] == 0 {
			return 0, nil, false
		}
		n = 0
		for _, c := range b[:lenLen] {
			n = n<<8 | int(c)
		}
		if n < 0x80 {
			return 0, nil, false
		}
		b = b[lenLen:]
	}
	if n > len(b) {
		return 0, nil, false
	}
	*d = b[n:]
	return tag, b[:n], true
}

// read returns the contents of the next element, which must have tag.
func (d *derReader) read(tag byte) (derReader, bool) {
	rest := *d
	t, c, ok := rest.readAny()
	if !ok || t != tag {
		return nil, false
	}
	*d = rest
	return c, true
}

func (d derReader) peek(tag byte) bool { return len(d) > 0 && d[0] == tag }

// minimalInteger is cryptobyte's rule for an INTEGER's contents.
func minimalInteger(b []byte) bool {
	return len(b) == 1 || len(b) > 1 && !(b[0] == 0 && b[1]&0x80 == 0 || b[0] == 0xff && b[1]&0x80 != 0)
}

// validBitString is cryptobyte's rule for a BIT STRING's contents.
func validBitString(b []byte) bool {
	if len(b) == 0 || b[0] > 7 || len(b) == 1 && b[0] != 0 {
		return false
	}
	return b[0] == 0 || b[len(b)-1]&(1<<b[0]-1) == 0
}

// validOID checks an OBJECT IDENTIFIER's contents: base-128 components in
// their shortest form, of at most four bytes each.
func validOID(b []byte) bool {
	if len(b) == 0 || b[len(b)-1]&0x80 != 0 {
		return false
	}
	n := 0
	for _, c := range b {
		if n == 0 && c == 0x80 {
			return false
		}
		if n++; n > 4 {
			return false
		}
		if c&0x80 == 0 {
			n = 0
		}
	}
	return true
}

// validAlgorithm checks an AlgorithmIdentifier's contents: an OID and at
// most one parameters element.
func validAlgorithm(ai derReader) bool {
	oid, ok := ai.read(tagOID)
	if !ok || !validOID(oid) {
		return false
	}
	if len(ai) > 0 {
		if _, _, ok := ai.readAny(); !ok {
			return false
		}
	}
	return len(ai) == 0
}

// validName reads a Name: SEQUENCE OF SET OF {OID, string}, with the string
// types and contents Go's parser accepts.
func validName(d *derReader) bool {
	name, ok := d.read(tagSequence)
	if !ok {
		return false
	}
	for len(name) > 0 {
		set, ok := name.read(tagSet)
		if !ok {
			return false
		}
		for len(set) > 0 {
			atv, ok := set.read(tagSequence)
			if !ok {
				return false
			}
			oid, ok := atv.read(tagOID)
			if !ok || !validOID(oid) {
				return false
			}
			tag, value, ok := atv.readAny()
			if !ok || len(atv) != 0 || !validString(tag, value) {
				return false
			}
		}
	}
	return true
}

// validString is Go's parseASN1String's acceptance.
func validString(tag byte, v []byte) bool {
	switch tag {
	case tagT61String:
		return true
	case tagUTF8String:
		return utf8.Valid(v)
	case tagPrintableString:
		for _, c := range v {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || '\'' <= c && c <= ')' ||
				'+' <= c && c <= '/' || c == ' ' || c == ':' || c == '=' || c == '?' || c == '*' || c == '&') {
				return false
			}
		}
		return true
	case tagIA5String:
		return isASCII(v)
	case tagNumericString:
		for _, c := range v {
			if !('0' <= c && c <= '9' || c == ' ') {
				return false
			}
		}
		return true
	case tagBMPString:
		if len(v)%2 != 0 {
			return false
		}
		if l := len(v); l >= 2 && v[l-1] == 0 && v[l-2] == 0 {
			v = v[:l-2]
		}
		for i := 0; i < len(v); i += 2 {
			p := uint16(v[i])<<8 | uint16(v[i+1])
			if p == 0xfffe || p == 0xffff || p >= 0xfdd0 && p <= 0xfdef || p >= 0xd800 && p <= 0xdfff {
				return false
			}
		}
		return true
	}
	return false
}

func isASCII(v []byte) bool {
	for _, c := range v {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// validTime reads a UTCTime YYMMDDHHMMSSZ or a GeneralizedTime
// YYYYMMDDHHMMSSZ that is a real date and time: the forms RFC 5280 allows,
// and a subset of what Go's parser accepts.
func validTime(d *derReader) bool {
	tag, v, ok := d.readAny()
	if !ok {
		return false
	}
	var year int
	switch {
	case tag == tagUTCTime && len(v) == 13:
		yy, ok := digits(v[0:2])
		if !ok {
			return false
		}
		// time.Parse's reading of a two-digit year.
		year = 2000 + yy
		if yy >= 69 {
			year = 1900 + yy
		}
		v = v[2:]
	case tag == tagGeneralizedTime && len(v) == 15:
		y, ok := digits(v[0:4])
		if !ok {
			return false
		}
		year = y
		v = v[4:]
	default:
		return false
	}
	month, ok1 := digits(v[0:2])
	day, ok2 := digits(v[2:4])
	hour, ok3 := digits(v[4:6])
	minute, ok4 := digits(v[6:8])
	second, ok5 := digits(v[8:10])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || v[10] != 'Z' {
		return false
	}
	if month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return day <= days
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// oidRSA is rsaEncryption, 1.2.840.113549.1.1.1.
var oidRSA = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01}

// validRSAPublicKeyInfo checks a SubjectPublicKeyInfo's contents: RSA with
// NULL parameters and a positive modulus and exponent, as Go's parser
// requires. Other key types are left to the full parse.
func validRSAPublicKeyInfo(spki derReader) bool {
	alg, ok1 := spki.read(tagSequence)
	bits, ok2 := spki.read(tagBitString)
	if !ok1 || !ok2 || len(spki) != 0 || len(bits) < 1 || bits[0] != 0 {
		return false
	}
	oid, ok := alg.read(tagOID)
	if !ok || !bytes.Equal(oid, oidRSA) || !bytes.Equal(alg, []byte{0x05, 0x00}) {
		return false
	}
	key := derReader(bits[1:])
	seq, ok := key.read(tagSequence)
	if !ok || len(key) != 0 {
		return false
	}
	n, ok1 := seq.read(tagInteger)
	e, ok2 := seq.read(tagInteger)
	return ok1 && ok2 && len(seq) == 0 && positive(n) && positive(e) && len(e) <= 4
}

// positive reports whether an INTEGER's contents are minimal and above 0.
func positive(b []byte) bool {
	return minimalInteger(b) && b[0]&0x80 == 0 && !(len(b) == 1 && b[0] == 0)
}

// validExtensions checks the Extensions sequence's contents: each extension
// well formed, none twice, and the contents of those Go decodes valid. An
// extension Go decodes but this does not check sends the certificate to
// the full parse.
func validExtensions(list derReader) bool {
	var seenArray [16][]byte // enough for real certificates without allocating
	seen := seenArray[:0]
	for len(list) > 0 {
		ext, ok := list.read(tagSequence)
		if !ok {
			return false
		}
		oid, ok := ext.read(tagOID)
		if !ok || !validOID(oid) {
			return false
		}
		for _, o := range seen {
			if bytes.Equal(o, oid) {
				return false
			}
		}
		seen = append(seen, oid)
		critical := false
		if ext.peek(tagBoolean) {
			b, _ := ext.read(tagBoolean)
			if len(b) != 1 || b[0] != 0 && b[0] != 0xff {
				return false
			}
			critical = b[0] == 0xff
		}
		value, ok := ext.read(tagOctetString)
		if !ok || len(ext) != 0 || !validExtension(oid, critical, value) {
			return false
		}
	}
	return true
}

// oidAIA is authorityInfoAccess, 1.3.6.1.5.5.7.1.1, which Go decodes.
var oidAIA = []byte{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01}

// validExtension checks the contents of an extension as Go's parser does,
// for the extensions it decodes; others it ignores, and so does this.
func validExtension(oid []byte, critical bool, v derReader) bool {
	if bytes.Equal(oid, oidAIA) {
		return false // decoded by Go; not checked here
	}
	if len(oid) != 3 || oid[0] != 0x55 || oid[1] != 0x1d { // not 2.5.29.x
		return true
	}
	switch oid[2] {
	case 14: // subject key identifier
		_, ok := v.read(tagOctetString)
		return ok && !critical && len(v) == 0
	case 15: // key usage
		b, ok := v.read(tagBitString)
		return ok && len(v) == 0 && validBitString(b)
	case 17: // subject alternative names
		names, ok := v.read(tagSequence)
		if !ok || len(v) != 0 {
			return false
		}
		for len(names) > 0 {
			tag, name, ok := names.readAny()
			if !ok {
				return false
			}
			switch tag {
			case 0x81, 0x82: // rfc822Name, dNSName
				if !isASCII(name) {
					return false
				}
			case 0x87: // iPAddress
				if len(name) != 4 && len(name) != 16 {
					return false
				}
			case 0x86: // uniformResourceIdentifier: Go parses the URL
				return false
			}
		}
		return true
	case 19: // basic constraints
		bc, ok := v.read(tagSequence)
		if !ok || len(v) != 0 {
			return false
		}
		if bc.peek(tagBoolean) {
			b, _ := bc.read(tagBoolean)
			if len(b) != 1 || b[0] != 0 && b[0] != 0xff {
				return false
			}
		}
		if bc.peek(tagInteger) {
			n, _ := bc.read(tagInteger)
			if !minimalInteger(n) || n[0]&0x80 != 0 || len(n) > 4 {
				return false
			}
		}
		return len(bc) == 0
	case 35: // authority key identifier
		akid, ok := v.read(tagSequence)
		if !ok || critical || len(v) != 0 {
			return false
		}
		if akid.peek(0x80) {
			_, ok = akid.read(0x80)
		}
		return ok
	case 37: // extended key usage
		ekus, ok := v.read(tagSequence)
		if !ok || len(v) != 0 {
			return false
		}
		for len(ekus) > 0 {
			eku, ok := ekus.read(tagOID)
			if !ok || !validOID(eku) {
				return false
			}
		}
		return true
	}
	return false // another extension Go decodes: left to the full parse
}
