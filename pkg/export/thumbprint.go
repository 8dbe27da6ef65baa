package export

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
)

// Algorithm is a thumbprint hash.
type Algorithm string

const (
	SHA1   Algorithm = "sha1"
	SHA256 Algorithm = "sha256"
)

// ParseAlgorithm accepts "sha1" and "sha256" (with or without the hyphen).
func ParseAlgorithm(s string) (Algorithm, error) {
	switch strings.ToLower(strings.ReplaceAll(s, "-", "")) {
	case "sha1":
		return SHA1, nil
	case "sha256":
		return SHA256, nil
	}
	return "", fmt.Errorf("unknown thumbprint algorithm %q (choose sha1 or sha256)", s)
}

// ThumbprintFormat is a way of writing a thumbprint.
type ThumbprintFormat string

const (
	// FormatAzure is upper-case hex without separators: the portal, .cscfg
	// files and the Service Management API use it.
	FormatAzure ThumbprintFormat = "azure"
	// FormatLower is lower-case hex without separators.
	FormatLower ThumbprintFormat = "lower"
	// FormatColon is upper-case hex pairs joined by colons, as OpenSSL prints.
	FormatColon ThumbprintFormat = "colon"
	// FormatASM is "sha1-<HEX>", the form in service-certificate URLs.
	FormatASM ThumbprintFormat = "asm"
	// FormatX5T is unpadded base64url, as in a JWT "x5t" or "x5t#S256" header.
	FormatX5T ThumbprintFormat = "x5t"
)

// ThumbprintFormats lists every format, for help and completion.
var ThumbprintFormats = []ThumbprintFormat{FormatAzure, FormatLower, FormatColon, FormatASM, FormatX5T}

// ParseThumbprintFormat accepts the names in ThumbprintFormats.
func ParseThumbprintFormat(s string) (ThumbprintFormat, error) {
	for _, f := range ThumbprintFormats {
		if string(f) == strings.ToLower(s) {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown thumbprint format %q (choose azure, lower, colon, asm or x5t)", s)
}

// Thumbprint hashes a certificate's DER encoding.
func Thumbprint(der []byte, alg Algorithm) []byte {
	if alg == SHA256 {
		s := sha256.Sum256(der)
		return s[:]
	}
	s := sha1.Sum(der)
	return s[:]
}

// FormatThumbprint writes a thumbprint made with alg in format f.
func FormatThumbprint(sum []byte, alg Algorithm, f ThumbprintFormat) string {
	h := strings.ToUpper(hex.EncodeToString(sum))
	switch f {
	case FormatLower:
		return strings.ToLower(h)
	case FormatColon:
		var b strings.Builder
		for i := 0; i < len(h); i += 2 {
			if i > 0 {
				b.WriteByte(':')
			}
			b.WriteString(h[i : i+2])
		}
		return b.String()
	case FormatASM:
		return string(alg) + "-" + h
	case FormatX5T:
		return base64.RawURLEncoding.EncodeToString(sum)
	}
	return h
}

// ParsedThumbprint is a thumbprint read from user input.
type ParsedThumbprint struct {
	Sum []byte
	// Stripped is true when invisible characters (such as U+200E, which the
	// Windows certificate dialog puts before a copied thumbprint) were removed.
	Stripped bool
}

// ParseThumbprint reads a thumbprint in any of the formats FormatThumbprint
// writes: hex in either case with or without ":" or " " separators, an
// optional "sha1-" or "sha256-" prefix, or base64url. Invisible format
// characters are dropped. The result is 20 bytes (SHA-1) or 32 (SHA-256).
func ParseThumbprint(s string) (ParsedThumbprint, error) {
	var p ParsedThumbprint
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Cf, r) || r == '\u00a0':
			p.Stripped = true
		case unicode.IsSpace(r) || r == ':':
		default:
			b.WriteRune(r)
		}
	}
	t := b.String()
	lower := strings.ToLower(t)
	for _, prefix := range []string{"sha1-", "sha256-"} {
		if strings.HasPrefix(lower, prefix) {
			t = t[len(prefix):]
			break
		}
	}
	if sum, err := hex.DecodeString(t); err == nil && (len(sum) == 20 || len(sum) == 32) {
		p.Sum = sum
		return p, nil
	}
	if sum, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(t, "=")); err == nil && (len(sum) == 20 || len(sum) == 32) && len(t) != 40 && len(t) != 64 {
		p.Sum = sum
		return p, nil
	}
	for _, r := range t {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) {
			return p, fmt.Errorf("thumbprint %q contains the character %U, which is not part of a thumbprint", s, r)
		}
	}
	return p, fmt.Errorf("%q is not a thumbprint: want 40 hex digits (SHA-1) or 64 (SHA-256), got %d characters", s, len(t))
}
