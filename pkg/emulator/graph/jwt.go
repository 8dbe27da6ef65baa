package graph

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/azcert/azcert/pkg/emulator"
)

// jwt is a compact JWS (RFC 7515) as read, not yet verified.
type jwt struct {
	header struct {
		Alg     string `json:"alg"`
		X5t     string `json:"x5t"`
		X5tS256 string `json:"x5t#S256"`
	}
	claims claims
	input  string // header.payload, what is signed
	sig    []byte
}

// claims are the registered claims the emulator reads (RFC 7519 section
// 4.1); times are whole seconds.
type claims struct {
	Aud audience `json:"aud"`
	Iss string   `json:"iss"`
	Sub string   `json:"sub"`
	Nbf *int64   `json:"-"`
	Exp *int64   `json:"-"`
}

// audience is aud: one string or an array of them (RFC 7519 section 4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}

// hasAud reports whether want is among the audiences, case-insensitively.
func (c claims) hasAud(want string) bool {
	for _, a := range c.Aud {
		if strings.EqualFold(a, want) {
			return true
		}
	}
	return false
}

// parseJWT splits and decodes a compact JWS; it checks the form and the
// algorithm (RS256 or PS256), not the signature.
func parseJWT(s string) (*jwt, error) {
	if len(s) > maxJWT {
		return nil, fmt.Errorf("the token is longer than %d bytes.", maxJWT)
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, errors.New("the token is not a JWT (three base64url parts separated by dots).")
	}
	var t jwt
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	pb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, errors.New("a part of the token is not base64url.")
	}
	if err := json.Unmarshal(hb, &t.header); err != nil {
		return nil, errors.New("the token's header is not a JSON object.")
	}
	if t.header.Alg != "RS256" && t.header.Alg != "PS256" {
		return nil, fmt.Errorf("the algorithm %q is not RS256 or PS256.", emulator.Clip(t.header.Alg))
	}
	if err := t.claims.read(pb); err != nil {
		return nil, err
	}
	t.input, t.sig = parts[0]+"."+parts[1], sig
	return &t, nil
}

// read decodes the claims; nbf and exp are NumericDates (RFC 7519 section
// 2), integral or not.
func (c *claims) read(payload []byte) error {
	if err := json.Unmarshal(payload, c); err != nil {
		return fmt.Errorf("the token's claims are not a JSON object with string aud, iss and sub (%s).", emulator.Clip(err.Error()))
	}
	var times struct {
		Nbf, Exp *json.Number
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&times); err != nil {
		return errors.New("the token's nbf or exp is not a number.")
	}
	for _, n := range []struct {
		from *json.Number
		into **int64
	}{{times.Nbf, &c.Nbf}, {times.Exp, &c.Exp}} {
		if n.from == nil {
			continue
		}
		f, err := n.from.Float64()
		if err != nil || math.IsNaN(f) || math.Abs(f) > 1e15 {
			return errors.New("the token's nbf or exp is not a date in seconds.")
		}
		v := int64(math.Floor(f))
		*n.into = &v
	}
	return nil
}

// match returns the credential the header's x5t or x5t#S256 names. The
// thumbprints are base64url as RFC 7515 says, but MSAL writes x5t#S256 in
// standard base64 with padding; both are read.
func (t *jwt) match(creds []*keyCred) *keyCred {
	s1, s256 := decodeThumb(t.header.X5t), decodeThumb(t.header.X5tS256)
	for _, k := range creds {
		sum1, sum256 := sha1.Sum(k.cert.Raw), sha256.Sum256(k.cert.Raw)
		if (s1 != nil && bytes.Equal(s1, sum1[:])) || (s256 != nil && bytes.Equal(s256, sum256[:])) {
			return k
		}
	}
	return nil
}

func decodeThumb(s string) []byte {
	if s == "" {
		return nil
	}
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b
		}
	}
	return nil
}

// thumbHex is how the header names the certificate, for messages: the
// SHA-1 or SHA-256 in upper-case hex.
func (t *jwt) thumbHex() string {
	if b := decodeThumb(t.header.X5t); b != nil {
		return strings.ToUpper(fmt.Sprintf("%x", b))
	}
	if b := decodeThumb(t.header.X5tS256); b != nil {
		return strings.ToUpper(fmt.Sprintf("%x", b))
	}
	return "none"
}

// verify checks the signature with cert's RSA key: RSASSA-PKCS1-v1_5
// (RS256) or RSASSA-PSS (PS256, any salt length) with SHA-256.
func (t *jwt) verify(cert *x509.Certificate) error {
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return errors.New("the certificate's key is not RSA.")
	}
	digest := sha256.Sum256([]byte(t.input))
	var err error
	if t.header.Alg == "PS256" {
		err = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], t.sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
	} else {
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], t.sig)
	}
	if err != nil {
		return errors.New("the signature does not verify with the certificate's key.")
	}
	return nil
}
