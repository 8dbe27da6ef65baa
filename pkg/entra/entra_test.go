package entra_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/azcert/azcert/pkg/entra"
)

// The tokens are checked with golang-jwt, a verifier written independently
// of the signer; the thumbprints are recomputed here from the DER.

// fixedNow is the clock of the tokens; it has a sub-second part and a
// non-UTC zone so that truncation to whole seconds is exercised.
var fixedNow = time.Date(2026, time.December, 7, 4, 5, 6, 789000000, time.FixedZone("CET", 3600))

const (
	clientID = "11111111-2222-3333-4444-555555555555"
	objectID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	tenant   = "contoso.onmicrosoft.com"
)

var keys sync.Map // bits -> func() (*rsa.PrivateKey, error)

func rsaKey(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	f, _ := keys.LoadOrStore(bits, sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, bits) }))
	k, err := f.(func() (*rsa.PrivateKey, error))()
	if err != nil {
		t.Fatalf("rsa.GenerateKey(%d): %v", bits, err)
	}
	return k
}

// selfSigned makes a certificate for the public key of signer, signed by it.
func selfSigned(t testing.TB, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "entra-app.contoso.net"},
		NotBefore:    fixedNow.Add(-time.Hour),
		NotAfter:     fixedNow.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		t.Fatalf("x509.CreateCertificate: %v", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("x509.ParseCertificate: %v", err)
	}
	return c
}

// verify checks tok's RS256 signature with the certificate's public key at
// the time at, and returns its header and claims.
func verify(t *testing.T, tok string, cert *x509.Certificate, at time.Time, opts ...jwt.ParserOption) (map[string]any, jwt.MapClaims, error) {
	t.Helper()
	opts = append([]jwt.ParserOption{
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithTimeFunc(func() time.Time { return at }),
		jwt.WithExpirationRequired(),
		jwt.WithNotBeforeRequired(),
		jwt.WithStrictDecoding(),
	}, opts...)
	claims := jwt.MapClaims{}
	parsed, err := jwt.ParseWithClaims(tok, claims, func(tk *jwt.Token) (any, error) {
		return cert.PublicKey, nil
	}, opts...)
	if err != nil {
		return nil, nil, err
	}
	return parsed.Header, claims, nil
}

func b64(sum []byte) string { return base64.RawURLEncoding.EncodeToString(sum) }

func sortedKeys[M ~map[string]any](m M) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestClientAssertion(t *testing.T) {
	key := rsaKey(t, 2048)
	cert := selfSigned(t, key)
	aud := entra.TokenEndpoint("", tenant)
	tok, err := entra.ClientAssertion(key, cert, entra.AssertionOptions{ClientID: clientID, TokenEndpoint: aud, Now: fixedNow, ID: "jti-1"})
	if err != nil {
		t.Fatalf("ClientAssertion: %v", err)
	}
	h, c, err := verify(t, tok, cert, fixedNow, jwt.WithAudience(aud), jwt.WithIssuer(clientID), jwt.WithSubject(clientID), jwt.WithIssuedAt())
	if err != nil {
		t.Fatalf("verifying the client assertion: %v", err)
	}
	s1, s256 := sha1.Sum(cert.Raw), sha256.Sum256(cert.Raw)
	wantHeader := map[string]any{"alg": "RS256", "typ": "JWT", "x5t": b64(s1[:]), "x5t#S256": b64(s256[:])}
	if got, want := sortedKeys(h), sortedKeys(wantHeader); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("header fields = %v, want %v", got, want)
	}
	for k, v := range wantHeader {
		if h[k] != v {
			t.Errorf("header %s = %v, want %v", k, h[k], v)
		}
	}
	nbf := float64(fixedNow.Unix())
	wantClaims := map[string]any{"aud": aud, "iss": clientID, "sub": clientID, "jti": "jti-1", "nbf": nbf, "iat": nbf, "exp": nbf + 600}
	if got, want := sortedKeys(c), sortedKeys(wantClaims); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("claims = %v, want %v", got, want)
	}
	for k, v := range wantClaims {
		if c[k] != v {
			t.Errorf("claim %s = %v (%T), want %v", k, c[k], c[k], v)
		}
	}
	if aud != "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token" {
		t.Errorf("TokenEndpoint(\"\", %q) = %q", tenant, aud)
	}
}

func TestClientAssertionRandomID(t *testing.T) {
	key := rsaKey(t, 2048)
	cert := selfSigned(t, key)
	o := entra.AssertionOptions{ClientID: clientID, TokenEndpoint: entra.TokenEndpoint("", tenant), Now: fixedNow}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[any]bool{}
	for range 3 {
		tok, err := entra.ClientAssertion(key, cert, o)
		if err != nil {
			t.Fatalf("ClientAssertion: %v", err)
		}
		_, c, err := verify(t, tok, cert, fixedNow)
		if err != nil {
			t.Fatalf("verify: %v", err)
		}
		jti, _ := c["jti"].(string)
		if !uuid.MatchString(jti) {
			t.Errorf("jti = %q, want a random (v4) UUID", jti)
		}
		if seen[jti] {
			t.Errorf("jti %q repeats", jti)
		}
		seen[jti] = true
	}
}

func TestProofOfPossession(t *testing.T) {
	key := rsaKey(t, 3072)
	cert := selfSigned(t, key)
	tok, err := entra.ProofOfPossession(key, cert, entra.ProofOptions{ObjectID: objectID, Now: fixedNow})
	if err != nil {
		t.Fatalf("ProofOfPossession: %v", err)
	}
	h, c, err := verify(t, tok, cert, fixedNow, jwt.WithAudience("00000002-0000-0000-c000-000000000000"), jwt.WithIssuer(objectID))
	if err != nil {
		t.Fatalf("verifying the proof: %v", err)
	}
	s1 := sha1.Sum(cert.Raw)
	if h["alg"] != "RS256" || h["typ"] != "JWT" || h["x5t"] != b64(s1[:]) {
		t.Errorf("header = %v, want alg RS256, typ JWT, x5t %s", h, b64(s1[:]))
	}
	nbf := float64(fixedNow.Unix())
	wantClaims := map[string]any{"aud": "00000002-0000-0000-c000-000000000000", "iss": objectID, "nbf": nbf, "exp": nbf + 600}
	if got, want := sortedKeys(c), sortedKeys(wantClaims); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("claims = %v, want %v", got, want)
	}
	for k, v := range wantClaims {
		if c[k] != v {
			t.Errorf("claim %s = %v, want %v", k, c[k], v)
		}
	}
}

// TestLifetimes is a table of fixed clocks: when each token starts and
// stops verifying.
func TestLifetimes(t *testing.T) {
	key := rsaKey(t, 2048)
	cert := selfSigned(t, key)
	aud := entra.TokenEndpoint("", tenant)
	start := fixedNow.Truncate(time.Second)
	tests := []struct {
		name     string
		proof    bool
		lifetime time.Duration
		at       time.Time
		want     error
	}{
		{"assertion at nbf", false, 0, start, nil},
		{"assertion a second before nbf", false, 0, start.Add(-time.Second), jwt.ErrTokenNotValidYet},
		{"assertion a second before the default 10 minutes end", false, 0, start.Add(10*time.Minute - time.Second), nil},
		{"assertion at the default exp", false, 0, start.Add(10 * time.Minute), jwt.ErrTokenExpired},
		{"assertion of 2 minutes, after 1", false, 2 * time.Minute, start.Add(time.Minute), nil},
		{"assertion of 2 minutes, after 2", false, 2 * time.Minute, start.Add(2 * time.Minute), jwt.ErrTokenExpired},
		{"assertion of an hour, after 59 minutes", false, time.Hour, start.Add(59 * time.Minute), nil},
		{"proof at nbf", true, 0, start, nil},
		{"proof a second before nbf", true, 0, start.Add(-time.Second), jwt.ErrTokenNotValidYet},
		{"proof after 9m59s", true, 0, start.Add(10*time.Minute - time.Second), nil},
		{"proof after 10 minutes", true, 0, start.Add(10 * time.Minute), jwt.ErrTokenExpired},
		{"proof a day later", true, 0, start.Add(24 * time.Hour), jwt.ErrTokenExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tok string
			var err error
			if tt.proof {
				tok, err = entra.ProofOfPossession(key, cert, entra.ProofOptions{ObjectID: objectID, Now: fixedNow})
			} else {
				tok, err = entra.ClientAssertion(key, cert, entra.AssertionOptions{ClientID: clientID, TokenEndpoint: aud, Now: fixedNow, Lifetime: tt.lifetime})
			}
			if err != nil {
				t.Fatalf("signing: %v", err)
			}
			_, _, err = verify(t, tok, cert, tt.at)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("verify at %s = %v, want %v", tt.at.Sub(start), err, tt.want)
			}
		})
	}
}

// tamper decodes part i (0 header, 1 claims) of tok, changes it and
// encodes it again, keeping the signature.
func tamper(t *testing.T, tok string, i int, change func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	raw, err = json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	parts[i] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

func TestTampering(t *testing.T) {
	key := rsaKey(t, 2048)
	cert := selfSigned(t, key)
	other := selfSigned(t, rsaKey(t, 3072))
	tok, err := entra.ClientAssertion(key, cert, entra.AssertionOptions{ClientID: clientID, TokenEndpoint: entra.TokenEndpoint("", tenant), Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	proof, err := entra.ProofOfPossession(key, cert, entra.ProofOptions{ObjectID: objectID, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		tok  string
		cert *x509.Certificate
	}{
		{"assertion with another sub", tamper(t, tok, 1, func(m map[string]any) { m["sub"] = objectID }), cert},
		{"assertion with a later exp", tamper(t, tok, 1, func(m map[string]any) { m["exp"] = m["exp"].(float64) + 3600 }), cert},
		{"assertion with another x5t", tamper(t, tok, 0, func(m map[string]any) { m["x5t"] = "AAAA" }), cert},
		{"proof with another iss", tamper(t, proof, 1, func(m map[string]any) { m["iss"] = clientID }), cert},
		{"assertion checked with another certificate", tok, other},
		{"proof checked with another certificate", proof, other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := verify(t, tt.tok, tt.cert, fixedNow); !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
				t.Errorf("verify = %v, want %v", err, jwt.ErrTokenSignatureInvalid)
			}
		})
	}
	if _, _, err := verify(t, tok, cert, fixedNow); err != nil {
		t.Errorf("the untampered assertion does not verify: %v", err)
	}
}

// pssSigner signs with RSASSA-PSS whatever it is asked for.
type pssSigner struct{ *rsa.PrivateKey }

func (s pssSigner) Sign(r io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	return rsa.SignPSS(r, s.PrivateKey, crypto.SHA256, digest, nil)
}

func TestRefusals(t *testing.T) {
	key := rsaKey(t, 2048)
	cert := selfSigned(t, key)
	small := rsaKey(t, 1024)
	smallCert := selfSigned(t, small)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecCert := selfSigned(t, ec)
	otherCert := selfSigned(t, rsaKey(t, 3072))
	aud := entra.TokenEndpoint("", tenant)
	ok := entra.AssertionOptions{ClientID: clientID, TokenEndpoint: aud, Now: fixedNow}
	tests := []struct {
		name    string
		key     crypto.Signer
		cert    *x509.Certificate
		o       entra.AssertionOptions
		keyErr  bool
		message string
	}{
		{"ECDSA key", ec, ecCert, ok, true, "not RSA"},
		{"RSA 1024", small, smallCert, ok, true, "the RSA key has 1024 bits; Entra ID needs at least 2048"},
		{"key of another certificate", key, otherCert, ok, true, "the private key does not match the certificate (CN=entra-app.contoso.net)"},
		{"RSA key, ECDSA certificate", key, ecCert, ok, true, "the certificate's key is *ecdsa.PublicKey, not RSA"},
		{"no certificate", key, nil, ok, true, "no certificate"},
		{"no key", nil, cert, ok, true, "no private key"},
		{"no client id", key, cert, entra.AssertionOptions{TokenEndpoint: aud}, false, "no client (application) id"},
		{"no token endpoint", key, cert, entra.AssertionOptions{ClientID: clientID}, false, "no token endpoint"},
		{"http token endpoint", key, cert, entra.AssertionOptions{ClientID: clientID, TokenEndpoint: "http://login.microsoftonline.com/x/oauth2/v2.0/token"}, false, "is not an https:// URL"},
		{"negative lifetime", key, cert, entra.AssertionOptions{ClientID: clientID, TokenEndpoint: aud, Lifetime: -time.Minute}, false, "lifetime -1m0s is shorter than a second"},
		{"signer that signs PSS", pssSigner{key}, cert, ok, false, "the signature does not verify with the certificate's key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := entra.ClientAssertion(tt.key, tt.cert, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("ClientAssertion = %q, %v, want an error with %q", tok, err, tt.message)
			}
			var ke *entra.KeyError
			if errors.As(err, &ke) != tt.keyErr {
				t.Errorf("ClientAssertion error %v is a *KeyError: %v, want %v", err, !tt.keyErr, tt.keyErr)
			}
			if tt.keyErr {
				// The proof refuses the same keys.
				if _, err := entra.ProofOfPossession(tt.key, tt.cert, entra.ProofOptions{ObjectID: objectID}); !errors.As(err, &ke) {
					t.Errorf("ProofOfPossession error = %v, want a *KeyError", err)
				}
			}
		})
	}
	if _, err := entra.ProofOfPossession(key, cert, entra.ProofOptions{}); err == nil || !strings.Contains(err.Error(), "no application object id") {
		t.Errorf("ProofOfPossession without an object id = %v, want an error", err)
	}
}

func TestTokenEndpoint(t *testing.T) {
	tests := []struct{ cloud, tenant, want string }{
		{"", "common", "https://login.microsoftonline.com/common/oauth2/v2.0/token"},
		{"public", "72f988bf-86f1-41af-91ab-2d7cd011db47", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"},
		{"USGov", "contoso.onmicrosoft.us", "https://login.microsoftonline.us/contoso.onmicrosoft.us/oauth2/v2.0/token"},
		{"china", "contoso.partner.onmschina.cn", "https://login.chinacloudapi.cn/contoso.partner.onmschina.cn/oauth2/v2.0/token"},
	}
	for _, tt := range tests {
		a, err := entra.AuthorityFor(tt.cloud)
		if err != nil {
			t.Fatalf("AuthorityFor(%q): %v", tt.cloud, err)
		}
		if got := entra.TokenEndpoint(a, tt.tenant); got != tt.want {
			t.Errorf("TokenEndpoint(%q, %q) = %q, want %q", a, tt.tenant, got, tt.want)
		}
	}
	if got, want := entra.TokenEndpoint("https://login.example.test/", "t"), "https://login.example.test/t/oauth2/v2.0/token"; got != want {
		t.Errorf("TokenEndpoint with a trailing slash = %q, want %q", got, want)
	}
	if _, err := entra.AuthorityFor("germany"); err == nil || err.Error() != `unknown cloud "germany" (choose public, china or usgov)` {
		t.Errorf("AuthorityFor(germany) error = %v", err)
	}
}

// TestThumbprintHeaders compares X5T and X5TS256 with the digests computed
// here.
func TestThumbprintHeaders(t *testing.T) {
	der := []byte("not a certificate, but bytes all the same")
	s1, s256 := sha1.Sum(der), sha256.Sum256(der)
	if got, want := entra.X5T(der), b64(s1[:]); got != want {
		t.Errorf("X5T = %q, want %q", got, want)
	}
	if got, want := entra.X5TS256(der), b64(s256[:]); got != want {
		t.Errorf("X5TS256 = %q, want %q", got, want)
	}
}
