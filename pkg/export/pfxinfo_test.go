package export

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azcert/azcert/pkg/certgen"
	"software.sslmate.com/src/go-pkcs12"
)

func TestInspectPFX(t *testing.T) {
	f := testFixture(t)
	legacyTrust, err := pkcs12.LegacyDES.EncodeTrustStore(certsOf(f.leaf, f.other), "pw")
	if err != nil {
		t.Fatal(err)
	}
	plainTrust, err := pkcs12.Passwordless.EncodeTrustStore(certsOf(f.leaf), "")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		in       []byte
		want     PFXInfo
		describe string
	}{
		{
			name:     "LegacyDES",
			in:       encodePFX(t, pkcs12.LegacyDES, "pw"),
			want:     PFXInfo{Profile: ProfileCompat, MAC: "HMAC-SHA-1", MACIterations: 1, CertEncryption: "3DES", KeyEncryption: "3DES", Iterations: 2048, KeyBags: 1},
			describe: "compat (3DES, HMAC-SHA-1 MAC)",
		},
		{
			name:     "LegacyDES with chain and empty password",
			in:       encodePFX(t, pkcs12.LegacyDES, "", f.other.Cert),
			want:     PFXInfo{Profile: ProfileCompat, MAC: "HMAC-SHA-1", MACIterations: 1, CertEncryption: "3DES", KeyEncryption: "3DES", Iterations: 2048, KeyBags: 1},
			describe: "compat (3DES, HMAC-SHA-1 MAC)",
		},
		{
			name:     "LegacyDES with 10000 iterations",
			in:       encodePFX(t, pkcs12.LegacyDES.WithIterations(10000), "pw"),
			want:     PFXInfo{Profile: ProfileCompat, MAC: "HMAC-SHA-1", MACIterations: 10000, CertEncryption: "3DES", KeyEncryption: "3DES", Iterations: 10000, KeyBags: 1},
			describe: "compat (3DES, HMAC-SHA-1 MAC)",
		},
		{
			name:     "Modern2023",
			in:       encodePFX(t, pkcs12.Modern2023, "pw"),
			want:     PFXInfo{Profile: ProfileModern, MAC: "HMAC-SHA-256", MACIterations: 2048, CertEncryption: "PBES2 AES-256-CBC", KeyEncryption: "PBES2 AES-256-CBC", Iterations: 2048, KeyBags: 1},
			describe: "modern (PBES2 AES-256-CBC, HMAC-SHA-256 MAC)",
		},
		{
			name:     "LegacyRC2",
			in:       encodePFX(t, pkcs12.LegacyRC2, "pw"),
			want:     PFXInfo{Profile: ProfileLegacyRC2, MAC: "HMAC-SHA-1", MACIterations: 1, CertEncryption: "RC2-40", KeyEncryption: "3DES", Iterations: 2048, KeyBags: 1},
			describe: "legacy-rc2 (key 3DES, certificates RC2-40, HMAC-SHA-1 MAC)",
		},
		{
			name:     "Passwordless",
			in:       encodePFX(t, pkcs12.Passwordless, ""),
			want:     PFXInfo{Profile: ProfileUnencrypted, MAC: "none", CertEncryption: "none", KeyEncryption: "none", KeyBags: 1},
			describe: "unencrypted (none, none MAC)",
		},
		{
			name:     "LegacyDES trust store (no key)",
			in:       legacyTrust,
			want:     PFXInfo{Profile: ProfileCompat, MAC: "HMAC-SHA-1", MACIterations: 1, CertEncryption: "3DES", Iterations: 2048},
			describe: "compat (3DES, HMAC-SHA-1 MAC)",
		},
		{
			name:     "Passwordless trust store (no key)",
			in:       plainTrust,
			want:     PFXInfo{Profile: ProfileUnencrypted, MAC: "none", CertEncryption: "none"},
			describe: "unencrypted (none, none MAC)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := InspectPFX(tt.in)
			if err != nil {
				t.Fatalf("InspectPFX(%s) error = %v", tt.name, err)
			}
			if *got != tt.want {
				t.Errorf("InspectPFX(%s) = %+v, want %+v", tt.name, *got, tt.want)
			}
			if d := got.Describe(); d != tt.describe {
				t.Errorf("InspectPFX(%s).Describe() = %q, want %q", tt.name, d, tt.describe)
			}
		})
	}
}

// TestInspectPFXPBMAC1 checks a file whose MAC is PBMAC1 (RFC 9579, go-pkcs12's
// Modern2026, OpenSSL >= 3.4 with -pbmac1_pbkdf2). MACIterations is not
// compared: for PBMAC1 the count lives in the algorithm parameters, which
// InspectPFX does not read (see the report that came with these tests).
func TestInspectPFXPBMAC1(t *testing.T) {
	info, err := InspectPFX(encodePFX(t, pkcs12.Modern2026, "pw"))
	if err != nil {
		t.Fatalf("InspectPFX(Modern2026) error = %v", err)
	}
	got := *info
	got.MACIterations = 0
	want := PFXInfo{Profile: ProfileModern, MAC: "PBMAC1", CertEncryption: "PBES2 AES-256-CBC", KeyEncryption: "PBES2 AES-256-CBC", Iterations: 2048, KeyBags: 1}
	if got != want {
		t.Errorf("InspectPFX(Modern2026) = %+v, want %+v (MACIterations not compared)", *info, want)
	}
	if d, want := info.Describe(), "modern (PBES2 AES-256-CBC, PBMAC1 MAC)"; d != want {
		t.Errorf("InspectPFX(Modern2026).Describe() = %q, want %q", d, want)
	}
}

func certsOf(rs ...*certgen.Result) []*x509.Certificate {
	out := make([]*x509.Certificate, len(rs))
	for i, r := range rs {
		out[i] = r.Cert
	}
	return out
}

func TestInspectPFXNotPFX(t *testing.T) {
	f := testFixture(t)
	pfx := encodePFX(t, pkcs12.LegacyDES, "pw")
	version2 := bytes.Clone(pfx)
	// 30 82 LL LL 02 01 03: the version INTEGER follows the outer header.
	if !bytes.Equal(version2[4:7], []byte{0x02, 0x01, 0x03}) {
		t.Fatalf("unexpected PFX header % x", version2[:7])
	}
	version2[6] = 2

	tests := []struct {
		name string
		in   []byte
		msg  string
	}{
		{"nil", nil, ""},
		{"empty", []byte{}, ""},
		{"random bytes", randomBytes, ""},
		{"DER certificate", f.leaf.DER, ""},
		{"PEM certificate", CertPEM(f.leaf.Cert), ""},
		{"trailing data", concat(pfx, []byte{0x00}), "trailing data"},
		{"version 2", version2, "version 2, want 3"},
		{"bare SEQUENCE", []byte{0x30, 0x00}, ""},
	}
	for i := 1; i < len(pfx); i += 37 {
		tests = append(tests, struct {
			name string
			in   []byte
			msg  string
		}{fmt.Sprintf("truncated to %d bytes", i), pfx[:i], ""})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := InspectPFX(tt.in)
			if !errors.Is(err, ErrNotPFX) {
				t.Fatalf("InspectPFX(%s) = %+v, %v, want an error wrapping ErrNotPFX", tt.name, info, err)
			}
			if info != nil {
				t.Errorf("InspectPFX(%s) info = %+v with an error, want nil", tt.name, info)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("InspectPFX(%s) error = %q, want it to contain %q", tt.name, err, tt.msg)
			}
		})
	}
}

func TestInspectPFXSignedAuthSafe(t *testing.T) {
	pfx := encodePFX(t, pkcs12.LegacyDES, "pw")
	// The first pkcs7-data OID is the authSafe's content type; make it
	// pkcs7-signedData (1.2.840.113549.1.7.2).
	oidData := []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01}
	i := bytes.Index(pfx, oidData)
	if i < 0 {
		t.Fatal("no pkcs7-data OID in the PFX")
	}
	signed := bytes.Clone(pfx)
	signed[i+len(oidData)-1] = 0x02
	info, err := InspectPFX(signed)
	if err == nil || !strings.Contains(err.Error(), "public-key signatures") {
		t.Errorf("InspectPFX(signed authSafe) = %+v, %v, want an error about public-key signatures", info, err)
	}
}

// craftIterations is the iteration count the crafted files are encoded
// with; its DER encoding 02 03 01 02 03 is unlikely to occur by chance and
// has the same length as every other three-byte count, so it can be
// replaced in place without re-encoding the enclosing structures.
const craftIterations = 0x010203

var craftINT = []byte{0x02, 0x03, 0x01, 0x02, 0x03}

// craftPFX encodes the leaf with enc at craftIterations (salts from a fixed
// reader, so the output is reproducible) and returns it with the positions
// of the iteration counts, in file order.
func craftPFX(t *testing.T, enc *pkcs12.Encoder) ([]byte, []int) {
	t.Helper()
	data := encodePFX(t, enc.WithIterations(craftIterations).WithRand(constReader(0x5a)), "")
	var at []int
	for i := 0; ; {
		j := bytes.Index(data[i:], craftINT)
		if j < 0 {
			break
		}
		at = append(at, i+j)
		i += j + 1
	}
	return data, at
}

// setIterations returns a copy of data with the INTEGER at position at
// replaced by the three-byte big-endian value v (two's complement).
func setIterations(data []byte, at int, v [3]byte) []byte {
	out := bytes.Clone(data)
	copy(out[at+2:at+5], v[:])
	return out
}

func TestInspectPFXIterationBound(t *testing.T) {
	// MaxIterations is 2 000 000 = 0x1E8480; one more is refused. The
	// largest three-byte positive count is 8 388 607 (0x7FFFFF); 0x810203
	// is negative.
	if MaxIterations != 0x1E8480 {
		t.Fatalf("MaxIterations = %d, the crafted counts below assume 2000000", MaxIterations)
	}
	var (
		atMax    = [3]byte{0x1E, 0x84, 0x80}
		overMax  = [3]byte{0x1E, 0x84, 0x81}
		huge     = [3]byte{0x7F, 0xFF, 0xFF}
		negative = [3]byte{0x81, 0x02, 0x03}
	)
	encoders := []struct {
		name  string
		enc   *pkcs12.Encoder
		sites []string // what each iteration count in the file protects, in file order
	}{
		{"LegacyDES", pkcs12.LegacyDES, []string{"certificates", "key", "MAC"}},
		{"Modern2023", pkcs12.Modern2023, []string{"certificates", "key", "MAC"}},
	}
	for _, e := range encoders {
		data, at := craftPFX(t, e.enc)
		if len(at) != len(e.sites) {
			t.Fatalf("%s file has %d iteration counts of %d, want %d", e.name, len(at), craftIterations, len(e.sites))
		}
		info, err := InspectPFX(data)
		if err != nil || info.Iterations != craftIterations {
			t.Fatalf("InspectPFX(%s at %d iterations) = %+v, %v, want Iterations %d", e.name, craftIterations, info, err, craftIterations)
		}
		for i, site := range e.sites {
			t.Run(e.name+"/"+site, func(t *testing.T) {
				// Exactly MaxIterations is accepted.
				info, err := InspectPFX(setIterations(data, at[i], atMax))
				if err != nil {
					t.Fatalf("InspectPFX(%s count = MaxIterations) error = %v, want nil", site, err)
				}
				if info.Iterations != MaxIterations {
					t.Errorf("InspectPFX(%s count = MaxIterations).Iterations = %d, want %d", site, info.Iterations, MaxIterations)
				}
				if site == "MAC" && info.MACIterations != MaxIterations {
					t.Errorf("InspectPFX(MAC count = MaxIterations).MACIterations = %d, want %d", info.MACIterations, MaxIterations)
				}
				for _, c := range []struct {
					name  string
					v     [3]byte
					shown string
				}{
					{"MaxIterations+1", overMax, "2000001"},
					{"8388607", huge, "8388607"},
					{"negative", negative, "-8322557"},
				} {
					crafted := setIterations(data, at[i], c.v)
					info, err := InspectPFX(crafted)
					if err == nil {
						t.Fatalf("InspectPFX(%s count = %s) = %+v, want an error", site, c.name, info)
					}
					if !strings.Contains(err.Error(), c.shown) || !strings.Contains(err.Error(), "refuses more than 2000000") {
						t.Errorf("InspectPFX(%s count = %s) error = %q, want it to name %s and the limit", site, c.name, err, c.shown)
					}
					// Load must refuse the file before go-pkcs12 runs any key
					// derivation: the refusal comes from InspectPFX, and the
					// PasswordFunc (which Load calls only after trying the
					// empty password) is never reached.
					calls := 0
					b, err := Load(crafted, func() (string, error) { calls++; return "", nil })
					var ie *InputError
					if !errors.As(err, &ie) || !strings.Contains(err.Error(), "refuses more than") {
						t.Errorf("Load(%s count = %s) = %v, %v, want an *InputError about the iteration count", site, c.name, b, err)
					}
					if calls != 0 {
						t.Errorf("Load(%s count = %s) called the PasswordFunc %d times, want 0", site, c.name, calls)
					}
				}
			})
		}
	}
}

func TestParseProfile(t *testing.T) {
	tests := []struct {
		in      string
		want    Profile
		wantErr string
	}{
		{in: "compat", want: ProfileCompat},
		{in: "COMPAT", want: ProfileCompat},
		{in: "modern", want: ProfileModern},
		{in: "Modern", want: ProfileModern},
		{in: "legacy-rc2", wantErr: "never written"},
		{in: "LEGACY-RC2", wantErr: "never written"},
		{in: "unencrypted", wantErr: "unknown"},
		{in: "other", wantErr: "unknown"},
		{in: "aes", wantErr: "unknown"},
		{in: "", wantErr: "unknown"},
	}
	for _, tt := range tests {
		got, err := ParseProfile(tt.in)
		if tt.wantErr == "" {
			if got != tt.want || err != nil {
				t.Errorf("ParseProfile(%q) = %q, %v, want %q, nil", tt.in, got, err, tt.want)
			}
			continue
		}
		if got != "" || err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseProfile(%q) = %q, %v, want an error containing %q", tt.in, got, err, tt.wantErr)
		}
	}
}

// TestInspectPFXOpenSSL classifies files written by the real openssl
// command, the way users make them.
func TestInspectPFXOpenSSL(t *testing.T) {
	requireOpenSSL(t)
	f := testFixture(t)
	dir := t.TempDir()
	certPath, keyPath := writeLeafPEM(t, dir)
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, info *PFXInfo)
	}{
		{
			name: "OpenSSL 3 defaults",
			check: func(t *testing.T, info *PFXInfo) {
				want := PFXInfo{Profile: ProfileModern, MAC: "HMAC-SHA-256", MACIterations: 2048, CertEncryption: "PBES2 AES-256-CBC", KeyEncryption: "PBES2 AES-256-CBC", Iterations: 2048, KeyBags: 1}
				if *info != want {
					t.Errorf("InspectPFX(openssl pkcs12 -export) = %+v, want %+v", *info, want)
				}
			},
		},
		{
			name: "3DES for key and certificates",
			args: []string{"-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1"},
			check: func(t *testing.T, info *PFXInfo) {
				want := PFXInfo{Profile: ProfileCompat, MAC: "HMAC-SHA-1", MACIterations: 2048, CertEncryption: "3DES", KeyEncryption: "3DES", Iterations: 2048, KeyBags: 1}
				if *info != want {
					t.Errorf("InspectPFX(openssl pkcs12 -export -certpbe/-keypbe PBE-SHA1-3DES) = %+v, want %+v", *info, want)
				}
			},
		},
		{
			name: "descert",
			args: []string{"-descert"},
			check: func(t *testing.T, info *PFXInfo) {
				// -descert sets only the certificate algorithm. OpenSSL 1.x
				// protected the key with 3DES by default (compat); OpenSSL 3
				// uses AES-256 for it, which Cloud Services refuses, so the
				// file is not compat there.
				if info.CertEncryption != "3DES" || info.KeyBags != 1 {
					t.Errorf("InspectPFX(openssl -descert) = %+v, want 3DES certificates and one key", *info)
				}
				want := ProfileOther
				if info.KeyEncryption == "3DES" {
					want = ProfileCompat
				}
				if info.Profile != want {
					t.Errorf("InspectPFX(openssl -descert) = %+v, want profile %q", *info, want)
				}
			},
		},
		{
			name: "no encryption and no MAC",
			args: []string{"-certpbe", "NONE", "-keypbe", "NONE", "-nomac"},
			check: func(t *testing.T, info *PFXInfo) {
				want := PFXInfo{Profile: ProfileUnencrypted, MAC: "none", CertEncryption: "none", KeyEncryption: "none", KeyBags: 1}
				if *info != want {
					t.Errorf("InspectPFX(openssl -certpbe NONE -keypbe NONE -nomac) = %+v, want %+v", *info, want)
				}
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, fmt.Sprintf("out%d.pfx", i))
			args := append([]string{"pkcs12", "-export", "-in", certPath, "-inkey", keyPath, "-passout", "pass:s3cret", "-out", out}, tt.args...)
			runOpenSSL(t, dir, args...)
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			info, err := InspectPFX(data)
			if err != nil {
				t.Fatalf("InspectPFX(openssl %s) error = %v", tt.name, err)
			}
			tt.check(t, info)

			// And Load reads it with the password.
			b, err := Load(data, func() (string, error) { return "s3cret", nil })
			if err != nil {
				t.Fatalf("Load(openssl %s) error = %v", tt.name, err)
			}
			if !b.Cert.Equal(f.leaf.Cert) || !b.KeyMatches() || b.PFX == nil || *b.PFX != *info {
				t.Errorf("Load(openssl %s) = cert %v, key matches %v, PFX %+v, want the leaf, its key and %+v", tt.name, subjectOf(b.Cert), b.KeyMatches(), b.PFX, *info)
			}
		})
	}
}
