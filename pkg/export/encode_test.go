package export

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"
)

func TestEncodePFXRoundTrip(t *testing.T) {
	f := testFixture(t)
	tests := []struct {
		name     string
		profile  Profile
		password string
		chain    []*x509.Certificate
		want     PFXInfo
	}{
		{name: "default is compat", profile: "", password: "pw",
			want: PFXInfo{Profile: ProfileCompat, MAC: "HMAC-SHA-1", MACIterations: 1, CertEncryption: "3DES", KeyEncryption: "3DES", Iterations: 2048, KeyBags: 1}},
		{name: "compat with chain", profile: ProfileCompat, password: "pw", chain: []*x509.Certificate{f.other.Cert},
			want: PFXInfo{Profile: ProfileCompat, MAC: "HMAC-SHA-1", MACIterations: 1, CertEncryption: "3DES", KeyEncryption: "3DES", Iterations: 2048, KeyBags: 1}},
		{name: "compat with empty password", profile: ProfileCompat, password: "",
			want: PFXInfo{Profile: ProfileCompat, MAC: "HMAC-SHA-1", MACIterations: 1, CertEncryption: "3DES", KeyEncryption: "3DES", Iterations: 2048, KeyBags: 1}},
		{name: "modern", profile: ProfileModern, password: "pw",
			want: PFXInfo{Profile: ProfileModern, MAC: "HMAC-SHA-256", MACIterations: 2048, CertEncryption: "PBES2 AES-256-CBC", KeyEncryption: "PBES2 AES-256-CBC", Iterations: 2048, KeyBags: 1}},
		{name: "modern with chain and Unicode password", profile: ProfileModern, password: "Pässwörd ✓", chain: []*x509.Certificate{f.other.Cert},
			want: PFXInfo{Profile: ProfileModern, MAC: "HMAC-SHA-256", MACIterations: 2048, CertEncryption: "PBES2 AES-256-CBC", KeyEncryption: "PBES2 AES-256-CBC", Iterations: 2048, KeyBags: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := EncodePFX(f.key, f.leaf.Cert, tt.chain, PFXOptions{Profile: tt.profile, Password: tt.password})
			if err != nil {
				t.Fatalf("EncodePFX(%s) error = %v", tt.name, err)
			}
			key, cert, chain, err := pkcs12.DecodeChain(data, tt.password)
			if err != nil {
				t.Fatalf("pkcs12.DecodeChain(EncodePFX(%s)) error = %v", tt.name, err)
			}
			if !f.key.Equal(key) {
				t.Errorf("DecodeChain(EncodePFX(%s)) key differs from the encoded key", tt.name)
			}
			if !cert.Equal(f.leaf.Cert) {
				t.Errorf("DecodeChain(EncodePFX(%s)) cert = %v, want %v", tt.name, subjectOf(cert), subjectOf(f.leaf.Cert))
			}
			if len(chain) != len(tt.chain) {
				t.Fatalf("DecodeChain(EncodePFX(%s)) chain has %d certificates, want %d", tt.name, len(chain), len(tt.chain))
			}
			for i := range chain {
				if !chain[i].Equal(tt.chain[i]) {
					t.Errorf("DecodeChain(EncodePFX(%s)) chain[%d] = %v, want %v", tt.name, i, subjectOf(chain[i]), subjectOf(tt.chain[i]))
				}
			}
			if _, _, _, err := pkcs12.DecodeChain(data, tt.password+"x"); err == nil {
				t.Errorf("DecodeChain(EncodePFX(%s)) with a wrong password succeeded", tt.name)
			}
			info, err := InspectPFX(data)
			if err != nil {
				t.Fatalf("InspectPFX(EncodePFX(%s)) error = %v", tt.name, err)
			}
			if *info != tt.want {
				t.Errorf("InspectPFX(EncodePFX(%s)) = %+v, want %+v", tt.name, *info, tt.want)
			}
		})
	}
}

func TestEncodePFXErrors(t *testing.T) {
	f := testFixture(t)
	tests := []struct {
		name     string
		opts     PFXOptions
		otherKey bool
		wantErr  string
		is       error
	}{
		{name: "key of another certificate", opts: PFXOptions{Profile: ProfileCompat}, otherKey: true, wantErr: "does not belong", is: ErrKeyMismatch},
		{name: "key of another certificate, modern", opts: PFXOptions{Profile: ProfileModern}, otherKey: true, wantErr: "does not belong", is: ErrKeyMismatch},
		{name: "legacy-rc2 is never written", opts: PFXOptions{Profile: ProfileLegacyRC2}, wantErr: "never written"},
		{name: "unknown profile", opts: PFXOptions{Profile: "aes"}, wantErr: "unknown PFX profile"},
		{name: "unencrypted is not offered", opts: PFXOptions{Profile: ProfileUnencrypted}, wantErr: "unknown PFX profile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := f.key
			if tt.otherKey {
				key = f.otherKey
			}
			data, err := EncodePFX(key, f.leaf.Cert, nil, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("EncodePFX(%s) = %d bytes, %v, want an error containing %q", tt.name, len(data), err, tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(EncodePFX(%s), %v) = false, want true", tt.name, tt.is)
			}
			if data != nil {
				t.Errorf("EncodePFX(%s) returned data with an error", tt.name)
			}
		})
	}
}

func TestEncodePFXRand(t *testing.T) {
	f := testFixture(t)
	for _, p := range WritableProfiles {
		t.Run(string(p), func(t *testing.T) {
			enc := func(r byte) []byte {
				data, err := EncodePFX(f.key, f.leaf.Cert, nil, PFXOptions{Profile: p, Password: "pw", Rand: constReader(r)})
				if err != nil {
					t.Fatalf("EncodePFX(%s, Rand) error = %v", p, err)
				}
				return data
			}
			a, b, c := enc(1), enc(1), enc(2)
			if !bytes.Equal(a, b) {
				t.Errorf("EncodePFX(%s) with the same Rand gave different files, want identical", p)
			}
			if bytes.Equal(a, c) {
				t.Errorf("EncodePFX(%s) with different Rand gave identical files, want the salts to differ", p)
			}
			// Without Rand the salts come from crypto/rand.
			x, err := EncodePFX(f.key, f.leaf.Cert, nil, PFXOptions{Profile: p, Password: "pw"})
			if err != nil {
				t.Fatal(err)
			}
			y, err := EncodePFX(f.key, f.leaf.Cert, nil, PFXOptions{Profile: p, Password: "pw"})
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(x, y) {
				t.Errorf("EncodePFX(%s) without Rand gave identical files twice", p)
			}
		})
	}
}

// TestEncodePFXOpenSSLReads checks DESIGN 2.3: OpenSSL 3 opens both
// writable profiles without -legacy.
func TestEncodePFXOpenSSLReads(t *testing.T) {
	requireOpenSSL(t)
	f := testFixture(t)
	dir := t.TempDir()
	for _, p := range WritableProfiles {
		t.Run(string(p), func(t *testing.T) {
			data, err := EncodePFX(f.key, f.leaf.Cert, []*x509.Certificate{f.other.Cert}, PFXOptions{Profile: p, Password: "s3cret"})
			if err != nil {
				t.Fatal(err)
			}
			in := filepath.Join(dir, string(p)+".pfx")
			if err := os.WriteFile(in, data, 0o600); err != nil {
				t.Fatal(err)
			}
			out := runOpenSSL(t, dir, "pkcs12", "-in", in, "-passin", "pass:s3cret", "-nodes")
			var certs [][]byte
			keys := 0
			for rest := out; ; {
				var block *pem.Block
				block, rest = pem.Decode(rest)
				if block == nil {
					break
				}
				switch block.Type {
				case "CERTIFICATE":
					certs = append(certs, block.Bytes)
				case "PRIVATE KEY":
					keys++
					k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
					if err != nil || !f.key.Equal(k) {
						t.Errorf("openssl pkcs12 printed a key that is not the encoded key (%v)", err)
					}
				}
			}
			hasLeaf := slices.ContainsFunc(certs, func(c []byte) bool { return bytes.Equal(c, f.leaf.DER) })
			hasChain := slices.ContainsFunc(certs, func(c []byte) bool { return bytes.Equal(c, f.other.DER) })
			if keys != 1 || len(certs) != 2 || !hasLeaf || !hasChain {
				t.Errorf("openssl pkcs12 -in %s.pfx printed %d keys and %d certificates, want 1 key, the leaf and the chain:\n%s", p, keys, len(certs), out)
			}
		})
	}
}

func TestCertPEMAndKeyPEM(t *testing.T) {
	f := testFixture(t)
	data := CertPEM(f.leaf.Cert, f.other.Cert)
	var got [][]byte
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			if len(bytes.TrimSpace(rest)) != 0 {
				t.Errorf("CertPEM output has trailing bytes %q", rest)
			}
			break
		}
		if block.Type != "CERTIFICATE" || len(block.Headers) != 0 {
			t.Errorf("CertPEM block type %q headers %v, want CERTIFICATE without headers", block.Type, block.Headers)
		}
		got = append(got, block.Bytes)
	}
	if len(got) != 2 || !bytes.Equal(got[0], f.leaf.DER) || !bytes.Equal(got[1], f.other.DER) {
		t.Errorf("CertPEM(leaf, other) decoded to %d blocks, want the two certificates in order", len(got))
	}
	if out := CertPEM(); len(out) != 0 {
		t.Errorf("CertPEM() = %q, want empty", out)
	}

	keyPEM, err := KeyPEM(f.key)
	if err != nil {
		t.Fatalf("KeyPEM() error = %v", err)
	}
	block, rest := pem.Decode(keyPEM)
	if block == nil || block.Type != "PRIVATE KEY" || len(rest) != 0 {
		t.Fatalf("KeyPEM() = %q, want one PRIVATE KEY block", keyPEM)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil || !f.key.Equal(key) {
		t.Errorf("KeyPEM() does not decode (PKCS#8) to the key: %v", err)
	}
	// The two outputs together are a bundle Load reads back.
	b, err := Load(concat(data, keyPEM), nil)
	if err != nil || !b.Cert.Equal(f.leaf.Cert) || !b.KeyMatches() || len(b.Chain) != 1 {
		t.Errorf("Load(CertPEM + KeyPEM) = %+v, %v, want the leaf with its key and one chain certificate", b, err)
	}
}
