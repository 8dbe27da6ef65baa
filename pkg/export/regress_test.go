package export

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"
)

// Regressions for defects the unit tests and fuzzers found.

func TestEncodePFXProfileCase(t *testing.T) {
	f := testFixture(t)
	for _, p := range []Profile{"COMPAT", "Modern", "modern", ""} {
		data, err := EncodePFX(f.key, f.leaf.Cert, nil, PFXOptions{Profile: p, Password: "pw"})
		if err != nil {
			t.Errorf("EncodePFX(profile %q) error = %v", p, err)
			continue
		}
		info, err := InspectPFX(data)
		if err != nil {
			t.Fatal(err)
		}
		want := ProfileCompat
		if strings.EqualFold(string(p), "modern") {
			want = ProfileModern
		}
		if info.Profile != want {
			t.Errorf("EncodePFX(profile %q) wrote %s, want %s", p, info.Profile, want)
		}
	}
}

func TestPBMAC1IterationsCounted(t *testing.T) {
	f := testFixture(t)
	data, err := pkcs12.Modern2026.Encode(f.key, f.leaf.Cert, nil, "pw")
	if err != nil {
		t.Fatal(err)
	}
	info, err := InspectPFX(data)
	if err != nil {
		t.Fatal(err)
	}
	if info.MAC != "PBMAC1" || info.MACIterations != 2048 {
		t.Errorf("InspectPFX(Modern2026) MAC = %s with %d iterations, want PBMAC1 with 2048", info.MAC, info.MACIterations)
	}
	big, err := pkcs12.Modern2026.WithIterations(MaxIterations+1).Encode(f.key, f.leaf.Cert, nil, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := InspectPFX(big); err == nil || !strings.Contains(err.Error(), "iterations") {
		t.Errorf("InspectPFX(PBMAC1 with %d iterations) error = %v, want refusal", MaxIterations+1, err)
	}
}

func TestTrustedCertificatePEM(t *testing.T) {
	f := testFixture(t)
	// OpenSSL's -trustout: the certificate followed by its trust settings.
	trust := []byte{0x30, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01}
	data := pemBlock("TRUSTED CERTIFICATE", append(append([]byte{}, f.leaf.DER...), trust...))
	b, err := Load(data, nil)
	if err != nil {
		t.Fatalf("Load(TRUSTED CERTIFICATE) error = %v", err)
	}
	if !b.Cert.Equal(f.leaf.Cert) {
		t.Error("Load(TRUSTED CERTIFICATE) returned another certificate")
	}
}

func TestDERKeyIsNotCalledPFX(t *testing.T) {
	f := testFixture(t)
	_, err := Load(mustPKCS1(f), nil)
	if err == nil || !strings.Contains(err.Error(), "DER private key") {
		t.Errorf("Load(DER PKCS#1 key) error = %v, want it named as a DER private key", err)
	}
}

func TestDecodeTimeout(t *testing.T) {
	f := testFixture(t)
	data := encodePFX(t, pkcs12.LegacyDES, "pw")
	old := PFXDecodeTimeout
	PFXDecodeTimeout = 0
	defer func() { PFXDecodeTimeout = old }()
	_, err := Load(data, func() (string, error) { return "pw", nil })
	if !errors.Is(err, ErrTooSlow) {
		t.Errorf("Load with a zero decode budget error = %v, want ErrTooSlow", err)
	}
	_ = f
}

func TestWriteFilesForceRollsBackNewFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.pfx"), filepath.Join(dir, "b.cer")
	setHooks(t, func(p string) error {
		if p == b {
			return fmt.Errorf("injected")
		}
		return nil
	}, nil)
	err := WriteFiles([]File{{Path: a, Data: []byte("a")}, {Path: b, Data: []byte("b")}}, true)
	if err == nil {
		t.Fatal("WriteFiles succeeded despite the injected failure")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("after a failed forced write the directory holds %v, want nothing", names)
	}
}

func mustPKCS1(f *fixture) []byte {
	return x509.MarshalPKCS1PrivateKey(f.key)
}
