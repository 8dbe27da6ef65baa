// Package entra builds the two JSON Web Tokens that Microsoft Entra ID takes
// from an application that proves itself with a certificate:
//
//   - ClientAssertion, the client assertion an application signs to get a
//     token from the Microsoft identity platform (OAuth 2.0 client
//     credentials with private_key_jwt):
//     https://learn.microsoft.com/entra/identity-platform/certificate-credentials
//   - ProofOfPossession, the proof that Microsoft Graph's application addKey
//     and removeKey actions require, signed by a key the application
//     already has:
//     https://learn.microsoft.com/graph/api/application-addkey
//
// Both are RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 section 3.3)
// compact JWS (RFC 7515) with the certificate named by its thumbprints in
// the header, built with the standard library alone. Only RSA keys of at
// least 2048 bits are accepted, and the key must be the certificate's.
//
// TokenEndpoint and AuthorityFor give the token endpoint that is both the
// address of the token request and the audience of the client assertion.
//
// SignIn exchanges a client assertion for an access token at that endpoint
// (the client credentials grant) through the shared Azure transport
// (pkg/azhttp: retries, the redacting trace); the identity platform's
// refusals are *TokenError, with the AADSTS codes and a remedy (Hint):
// https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
package entra

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/azcert/azcert/pkg/azhttp"
)

// GraphAudience is the audience of a proof-of-possession token: the
// application id of the Azure AD Graph resource, which Microsoft Graph's
// addKey and removeKey require.
const GraphAudience = "00000002-0000-0000-c000-000000000000"

// DefaultAssertionLifetime is how long a client assertion is valid when
// AssertionOptions.Lifetime is zero. The assertion is used once, right away;
// Microsoft's libraries give it about ten minutes too.
const DefaultAssertionLifetime = 10 * time.Minute

// ProofLifetime is how long a proof of possession is valid: Graph wants
// exp to be nbf plus 10 minutes.
const ProofLifetime = 10 * time.Minute

// MinKeySize is the smallest RSA modulus, in bits, that the tokens are
// signed with; Entra ID refuses smaller certificate keys.
const MinKeySize = 2048

// KeyError reports a key or certificate that cannot sign these tokens: not
// RSA, too small, or not the certificate's key.
type KeyError struct{ Reason string }

func (e *KeyError) Error() string { return "cannot sign an Entra ID token: " + e.Reason }

// AssertionOptions says what a client assertion claims.
type AssertionOptions struct {
	// ClientID is the application (client) id; it becomes iss and sub.
	// Required.
	ClientID string
	// TokenEndpoint is the token endpoint the assertion is sent to, which
	// is its audience (aud), e.g. TokenEndpoint("", tenant). Required.
	TokenEndpoint string
	// Now is the time of signing (nbf and iat); zero means time.Now().
	Now time.Time
	// Lifetime is the time from nbf to exp; zero means
	// DefaultAssertionLifetime.
	Lifetime time.Duration
	// ID is the token's unique id (jti); "" means a random UUID.
	ID string
	// Rand is the source of randomness for the id and the signer; nil
	// means crypto/rand.Reader.
	Rand io.Reader
}

// ProofOptions says what a proof of possession claims.
type ProofOptions struct {
	// ObjectID is the object id of the application (or service principal)
	// whose keys are changed, not its application (client) id; it
	// becomes iss. Required.
	ObjectID string
	// Now is the time of signing (nbf); zero means time.Now().
	Now time.Time
	// Rand is the source of randomness for the signer; nil means
	// crypto/rand.Reader.
	Rand io.Reader
}

// header is a JWS protected header (RFC 7515 section 4.1).
type header struct {
	Alg     string `json:"alg"`
	Typ     string `json:"typ"`
	X5t     string `json:"x5t"`
	X5tS256 string `json:"x5t#S256,omitempty"`
}

// assertionClaims are the claims Entra ID reads in a client assertion.
type assertionClaims struct {
	Aud string `json:"aud"`
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Jti string `json:"jti"`
	Nbf int64  `json:"nbf"`
	Iat int64  `json:"iat"`
	Exp int64  `json:"exp"`
}

// proofClaims are the claims Graph reads in a proof of possession.
type proofClaims struct {
	Aud string `json:"aud"`
	Iss string `json:"iss"`
	Nbf int64  `json:"nbf"`
	Exp int64  `json:"exp"`
}

// ClientAssertion returns a signed client assertion for the application
// o.ClientID at o.TokenEndpoint, to send as client_assertion with
// client_assertion_type urn:ietf:params:oauth:client-assertion-type:jwt-bearer.
// The header names cert by x5t (SHA-1) and x5t#S256 (SHA-256); the claims
// are aud, iss, sub, jti, nbf, iat and exp.
func ClientAssertion(key crypto.Signer, cert *x509.Certificate, o AssertionOptions) (string, error) {
	if o.ClientID == "" {
		return "", errors.New("client assertion: no client (application) id")
	}
	if err := checkEndpoint(o.TokenEndpoint); err != nil {
		return "", fmt.Errorf("client assertion: %w", err)
	}
	lifetime := o.Lifetime
	if lifetime == 0 {
		lifetime = DefaultAssertionLifetime
	}
	if lifetime < time.Second {
		return "", fmt.Errorf("client assertion: lifetime %s is shorter than a second", lifetime)
	}
	if err := checkKey(key, cert); err != nil {
		return "", err
	}
	r := randOr(o.Rand)
	id := o.ID
	if id == "" {
		var err error
		if id, err = newUUID(r); err != nil {
			return "", fmt.Errorf("client assertion: making its id: %w", err)
		}
	}
	nbf := nowOr(o.Now).Unix()
	h := header{Alg: "RS256", Typ: "JWT", X5t: X5T(cert.Raw), X5tS256: X5TS256(cert.Raw)}
	c := assertionClaims{
		Aud: o.TokenEndpoint, Iss: o.ClientID, Sub: o.ClientID, Jti: id,
		Nbf: nbf, Iat: nbf, Exp: nbf + int64(lifetime/time.Second),
	}
	return sign(key, cert, r, h, c)
}

// ProofOfPossession returns a signed proof that the caller holds key, an
// existing credential of the application o.ObjectID, for the proof
// parameter of Graph's addKey and removeKey. The header names cert by x5t;
// the claims are aud (GraphAudience), iss (the object id), nbf and exp
// (nbf plus ProofLifetime).
func ProofOfPossession(key crypto.Signer, cert *x509.Certificate, o ProofOptions) (string, error) {
	if o.ObjectID == "" {
		return "", errors.New("proof of possession: no application object id")
	}
	if err := checkKey(key, cert); err != nil {
		return "", err
	}
	nbf := nowOr(o.Now).Unix()
	h := header{Alg: "RS256", Typ: "JWT", X5t: X5T(cert.Raw)}
	c := proofClaims{Aud: GraphAudience, Iss: o.ObjectID, Nbf: nbf, Exp: nbf + int64(ProofLifetime/time.Second)}
	return sign(key, cert, randOr(o.Rand), h, c)
}

// X5T is the "x5t" header of a certificate: the base64url (unpadded)
// SHA-1 digest of its DER encoding (RFC 7515 section 4.1.7).
func X5T(der []byte) string {
	sum := sha1.Sum(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// X5TS256 is the "x5t#S256" header of a certificate: the base64url
// (unpadded) SHA-256 digest of its DER encoding (RFC 7515 section 4.1.8).
func X5TS256(der []byte) string {
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// checkKey refuses what Entra ID would refuse, and a key that is not the
// certificate's, before anything is signed.
func checkKey(key crypto.Signer, cert *x509.Certificate) error {
	if key == nil {
		return &KeyError{Reason: "no private key"}
	}
	if cert == nil || len(cert.Raw) == 0 {
		return &KeyError{Reason: "no certificate"}
	}
	pub, ok := key.Public().(*rsa.PublicKey)
	if !ok {
		return &KeyError{Reason: fmt.Sprintf("the key is %T, not RSA; Entra ID certificate credentials are signed with RS256, which needs an RSA key", key.Public())}
	}
	if bits := pub.N.BitLen(); bits < MinKeySize {
		return &KeyError{Reason: fmt.Sprintf("the RSA key has %d bits; Entra ID needs at least %d", bits, MinKeySize)}
	}
	certPub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return &KeyError{Reason: fmt.Sprintf("the certificate's key is %T, not RSA", cert.PublicKey)}
	}
	if !pub.Equal(certPub) {
		return &KeyError{Reason: "the private key does not match the certificate (" + cert.Subject.String() + ")"}
	}
	return nil
}

// sign encodes the header and claims, signs them with RS256 and checks the
// signature with the certificate's key, which catches a crypto.Signer that
// signs with anything but PKCS #1 v1.5.
func sign(key crypto.Signer, cert *x509.Certificate, r io.Reader, h header, claims any) (string, error) {
	hj, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("encoding the JWT header: %w", err)
	}
	cj, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encoding the JWT claims: %w", err)
	}
	input := base64.RawURLEncoding.EncodeToString(hj) + "." + base64.RawURLEncoding.EncodeToString(cj)
	digest := sha256.Sum256([]byte(input))
	sig, err := key.Sign(r, digest[:], crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("signing the JWT: %w", err)
	}
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, digest[:], sig); err != nil {
		return "", fmt.Errorf("signing the JWT: the signature does not verify with the certificate's key: %w", err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// checkEndpoint wants an absolute https URL, as every token endpoint is.
func checkEndpoint(s string) error {
	if s == "" {
		return errors.New("no token endpoint (the audience)")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("token endpoint %q does not parse: %w", s, err)
	}
	if u.Scheme != "https" || u.Hostname() == "" {
		return fmt.Errorf("token endpoint %q is not an https:// URL", s)
	}
	if azhttp.BadPort(u) {
		return fmt.Errorf("token endpoint %q: the port is not a number from 1 to 65535", s)
	}
	return nil
}

// newUUID is a random (version 4) UUID, RFC 9562 section 5.4.
func newUUID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return strings.Join([]string{h[0:8], h[8:12], h[12:16], h[16:20], h[20:32]}, "-"), nil
}

func nowOr(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

func randOr(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}
