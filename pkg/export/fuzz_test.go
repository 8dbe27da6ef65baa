package export

import (
	"bytes"
	"errors"
	"testing"

	"software.sslmate.com/src/go-pkcs12"
)

const fuzzPassword = "fuzz"

// fuzzSeeds are real files of every kind Load reads, made at test time so
// that nothing committed can expire.
func fuzzSeeds(f *testing.F) [][]byte {
	fx := testFixture(f)
	leafPEM := CertPEM(fx.leaf.Cert)
	keyPEM := pkcs8PEM(f, fx.key)
	enc := func(e *pkcs12.Encoder, password string) []byte {
		// Fewer iterations keep each execution fast; the structure is the
		// same as with the defaults.
		return encodePFX(f, e.WithIterations(2), password, fx.other.Cert)
	}
	compat := enc(pkcs12.LegacyDES, fuzzPassword)
	return [][]byte{
		fx.leaf.DER,
		leafPEM,
		concat(leafPEM, keyPEM),
		concat([]byte("\xef\xbb\xbf"), CertPEM(fx.other.Cert), leafPEM, keyPEM),
		compat,
		compat[:len(compat)/2],
		enc(pkcs12.Modern2023, fuzzPassword),
		enc(pkcs12.Modern2026, fuzzPassword),
		enc(pkcs12.LegacyRC2, ""),
		enc(pkcs12.Passwordless, ""),
		enc(pkcs12.LegacyDES, "wrong"),
		[]byte("PK\x03\x04"),
		[]byte(`<?xml version="1.0"?><PublishData/>`),
		{},
	}
}

func FuzzLoad(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		b, err := Load(data, func() (string, error) { return fuzzPassword, nil })
		if !bytes.Equal(in, data) {
			t.Fatalf("Load modified its input")
		}
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Load() error = %T (%v), want *InputError", err, err)
			}
			if b != nil {
				t.Fatalf("Load() returned a bundle with the error %v", err)
			}
			return
		}
		if b == nil || b.Cert == nil {
			t.Fatalf("Load() = %+v, nil, want a bundle with a certificate", b)
		}
		if b.Format != Sniff(data) {
			t.Fatalf("Load().Format = %q, Sniff = %q, want equal", b.Format, Sniff(data))
		}
		if (b.PFX != nil) != (b.Format == FormatPKCS12) {
			t.Fatalf("Load().PFX = %+v for format %q", b.PFX, b.Format)
		}
		if b.Format == FormatPKCS12 && (b.Key == nil || b.PFX.KeyBags == 0) {
			t.Fatalf("Load() of a .pfx succeeded without a key: %+v", b)
		}
		// Summarize must cope with anything Load accepts.
		_ = Summarize(b, fixedNow)
	})
}

func FuzzInspectPFX(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		if Sniff(s) == FormatPKCS12 {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := InspectPFX(data)
		if err != nil {
			if info != nil {
				t.Fatalf("InspectPFX() = %+v with error %v, want nil", info, err)
			}
			return
		}
		switch info.Profile {
		case ProfileCompat, ProfileModern, ProfileLegacyRC2, ProfileUnencrypted, ProfileOther:
		default:
			t.Fatalf("InspectPFX().Profile = %q, not a known profile", info.Profile)
		}
		if info.Iterations < 0 || info.Iterations > MaxIterations || info.MACIterations < 0 || info.MACIterations > MaxIterations {
			t.Fatalf("InspectPFX() = %+v, iteration counts outside 0..MaxIterations", info)
		}
		if (info.KeyBags == 0) != (info.KeyEncryption == "") {
			t.Fatalf("InspectPFX() = %+v: KeyBags and KeyEncryption disagree", info)
		}
		if info.CertEncryption == "" || info.MAC == "" || info.Describe() == "" {
			t.Fatalf("InspectPFX() = %+v, want CertEncryption, MAC and a description", info)
		}
	})
}

func FuzzParseThumbprint(f *testing.F) {
	fx := testFixture(f)
	for _, alg := range []Algorithm{SHA1, SHA256} {
		sum := Thumbprint(fx.leaf.DER, alg)
		for _, format := range ThumbprintFormats {
			f.Add(FormatThumbprint(sum, alg, format))
		}
	}
	f.Add("\u200e" + FormatThumbprint(Thumbprint(fx.leaf.DER, SHA1), SHA1, FormatLower))
	f.Add("ab cd")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseThumbprint(s)
		if err != nil {
			if p.Sum != nil {
				t.Fatalf("ParseThumbprint(%q) Sum = %x with error %v", s, p.Sum, err)
			}
			return
		}
		alg := SHA1
		switch len(p.Sum) {
		case 20:
		case 32:
			alg = SHA256
		default:
			t.Fatalf("ParseThumbprint(%q) = %d bytes, want 20 or 32", s, len(p.Sum))
		}
		for _, format := range ThumbprintFormats {
			out := FormatThumbprint(p.Sum, alg, format)
			again, err := ParseThumbprint(out)
			if err != nil {
				t.Fatalf("ParseThumbprint(FormatThumbprint(%x, %s, %s) = %q) error = %v", p.Sum, alg, format, out, err)
			}
			if !bytes.Equal(again.Sum, p.Sum) || again.Stripped {
				t.Fatalf("ParseThumbprint(%q) = {%x, %v}, want {%x, false}", out, again.Sum, again.Stripped, p.Sum)
			}
		}
	})
}
