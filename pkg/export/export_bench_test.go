package export

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"software.sslmate.com/src/go-pkcs12"
)

// The benchmarks of the hot paths of reading and writing certificates.
// CI runs them once each (go test -run '^$' -bench . -benchtime=1x) so they
// keep compiling and running; they assert nothing about time.

func BenchmarkEncodePFX(b *testing.B) {
	f := testFixture(b)
	for _, p := range []Profile{ProfileCompat, ProfileModern} {
		b.Run(string(p), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := EncodePFX(f.key, f.leaf.Cert, nil, PFXOptions{Profile: p, Password: "bench-Pa55"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoad covers the input loader: a DER certificate, a PEM bundle of
// many blocks, and a .pfx of each profile (decoding included; the first try
// with an empty password fails the MAC, as for any protected file).
func BenchmarkLoad(b *testing.B) {
	f := testFixture(b)
	var bundle bytes.Buffer
	bundle.Write(CertPEM(f.leaf.Cert))
	bundle.Write(pkcs8PEM(b, f.key))
	for range MaxPEMBlocks/10 - 2 {
		bundle.Write(CertPEM(f.other.Cert))
	}
	inputs := []struct {
		name string
		data []byte
		pw   PasswordFunc
	}{
		{"der", f.leaf.DER, nil},
		{"pem-1", CertPEM(f.leaf.Cert), nil},
		{"pem-100-blocks", bundle.Bytes(), nil},
		{"pfx-compat", encodePFX(b, pkcs12.LegacyDES, "bench-Pa55"), func() (string, error) { return "bench-Pa55", nil }},
		{"pfx-modern", encodePFX(b, pkcs12.Modern2023, "bench-Pa55"), func() (string, error) { return "bench-Pa55", nil }},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.data)))
			for b.Loop() {
				if _, err := Load(in.data, in.pw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSniff is the format guess every input goes through.
func BenchmarkSniff(b *testing.B) {
	f := testFixture(b)
	for _, in := range []struct {
		name string
		data []byte
	}{
		{"der", f.leaf.DER},
		{"pem", CertPEM(f.leaf.Cert)},
	} {
		b.Run(in.name, func(b *testing.B) {
			for b.Loop() {
				Sniff(in.data)
			}
		})
	}
}

func BenchmarkThumbprint(b *testing.B) {
	f := testFixture(b)
	for _, alg := range []Algorithm{SHA1, SHA256} {
		b.Run(string(alg), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(f.leaf.DER)))
			for b.Loop() {
				FormatThumbprint(Thumbprint(f.leaf.DER, alg), alg, FormatAzure)
			}
		})
	}
	b.Run("parse", func(b *testing.B) {
		for b.Loop() {
			if _, err := ParseThumbprint("\u200e3b 4e 5f 60 71 82 93 a4 b5 c6 d7 e8 f9 0a 1b 2c 3d 4e 5f 60"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkWriteFiles is the atomic write of a .pfx and .cer pair (fsync
// included, so it measures the disk as much as the code).
func BenchmarkWriteFiles(b *testing.B) {
	f := testFixture(b)
	dir := b.TempDir()
	files := []File{
		{Path: filepath.Join(dir, "bench.pfx"), Data: encodePFX(b, pkcs12.LegacyDES, "x"), Mode: ModeSecret},
		{Path: filepath.Join(dir, "bench.cer"), Data: f.leaf.DER, Mode: ModePublic},
	}
	for b.Loop() {
		if err := WriteFiles(files, true); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := os.Stat(files[0].Path); err != nil {
		b.Fatal(err)
	}
}
