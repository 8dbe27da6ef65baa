package export

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

func TestThumbprint(t *testing.T) {
	f := testFixture(t)
	der := f.leaf.DER
	s1 := sha1.Sum(der)
	s256 := sha256.Sum256(der)
	if got := Thumbprint(der, SHA1); !bytes.Equal(got, s1[:]) {
		t.Errorf("Thumbprint(der, sha1) = %x, want %x", got, s1)
	}
	if got := Thumbprint(der, SHA256); !bytes.Equal(got, s256[:]) {
		t.Errorf("Thumbprint(der, sha256) = %x, want %x", got, s256)
	}
	// A known vector, so the test does not only agree with itself.
	if got, want := FormatThumbprint(Thumbprint([]byte("abc"), SHA1), SHA1, FormatAzure), "A9993E364706816ABA3E25717850C26C9CD0D89D"; got != want {
		t.Errorf("FormatThumbprint(Thumbprint(\"abc\", sha1), azure) = %q, want %q", got, want)
	}
}

// byHand writes sum in format f with nothing but the standard library.
func byHand(sum []byte, alg Algorithm, f ThumbprintFormat) string {
	upper := fmt.Sprintf("%X", sum)
	switch f {
	case FormatAzure:
		return upper
	case FormatLower:
		return hex.EncodeToString(sum)
	case FormatColon:
		pairs := make([]string, len(sum))
		for i, b := range sum {
			pairs[i] = fmt.Sprintf("%02X", b)
		}
		return strings.Join(pairs, ":")
	case FormatASM:
		return string(alg) + "-" + upper
	case FormatX5T:
		return base64.URLEncoding.WithPadding(base64.NoPadding).EncodeToString(sum)
	}
	panic("unknown format " + f)
}

func TestFormatThumbprint(t *testing.T) {
	f := testFixture(t)
	s1 := sha1.Sum(f.leaf.DER)
	s256 := sha256.Sum256(f.leaf.DER)
	sums := []struct {
		alg Algorithm
		sum []byte
	}{{SHA1, s1[:]}, {SHA256, s256[:]}}
	for _, s := range sums {
		for _, format := range ThumbprintFormats {
			t.Run(string(s.alg)+"/"+string(format), func(t *testing.T) {
				got := FormatThumbprint(s.sum, s.alg, format)
				if want := byHand(s.sum, s.alg, format); got != want {
					t.Errorf("FormatThumbprint(%x, %s, %s) = %q, want %q", s.sum, s.alg, format, got, want)
				}
			})
		}
	}

	// Fixed expectations for one sum, independent of byHand.
	sum := []byte{0x00, 0x01, 0xab, 0xcd, 0xef, 0xfe, 0xff, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xfb}
	fixed := []struct {
		alg    Algorithm
		format ThumbprintFormat
		want   string
	}{
		{SHA1, FormatAzure, "0001ABCDEFFEFF102030405060708090A0B0C0FB"},
		{SHA1, FormatLower, "0001abcdeffeff102030405060708090a0b0c0fb"},
		{SHA1, FormatColon, "00:01:AB:CD:EF:FE:FF:10:20:30:40:50:60:70:80:90:A0:B0:C0:FB"},
		{SHA1, FormatASM, "sha1-0001ABCDEFFEFF102030405060708090A0B0C0FB"},
		{SHA256, FormatASM, "sha256-0001ABCDEFFEFF102030405060708090A0B0C0FB"},
		{SHA1, FormatX5T, "AAGrze_-_xAgMEBQYHCAkKCwwPs"},
		{SHA1, "", "0001ABCDEFFEFF102030405060708090A0B0C0FB"},
	}
	for _, tt := range fixed {
		if got := FormatThumbprint(sum, tt.alg, tt.format); got != tt.want {
			t.Errorf("FormatThumbprint(%x, %s, %q) = %q, want %q", sum, tt.alg, tt.format, got, tt.want)
		}
	}
}

func TestParseAlgorithmAndFormat(t *testing.T) {
	algs := []struct {
		in   string
		want Algorithm
		ok   bool
	}{
		{"sha1", SHA1, true}, {"SHA1", SHA1, true}, {"sha-1", SHA1, true}, {"SHA-1", SHA1, true},
		{"sha256", SHA256, true}, {"SHA-256", SHA256, true},
		{"md5", "", false}, {"sha512", "", false}, {"", "", false},
	}
	for _, tt := range algs {
		got, err := ParseAlgorithm(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseAlgorithm(%q) = %q, %v, want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	for _, f := range ThumbprintFormats {
		for _, in := range []string{string(f), strings.ToUpper(string(f))} {
			if got, err := ParseThumbprintFormat(in); got != f || err != nil {
				t.Errorf("ParseThumbprintFormat(%q) = %q, %v, want %q, nil", in, got, err, f)
			}
		}
	}
	for _, in := range []string{"", "hex", "base64", "sha1"} {
		if got, err := ParseThumbprintFormat(in); got != "" || err == nil {
			t.Errorf("ParseThumbprintFormat(%q) = %q, %v, want an error", in, got, err)
		}
	}
	if len(ThumbprintFormats) != 5 {
		t.Errorf("ThumbprintFormats = %v, want the five formats of DESIGN 2.4", ThumbprintFormats)
	}
}

func TestParseThumbprintRoundTrip(t *testing.T) {
	f := testFixture(t)
	for _, alg := range []Algorithm{SHA1, SHA256} {
		sum := Thumbprint(f.leaf.DER, alg)
		for _, format := range ThumbprintFormats {
			s := FormatThumbprint(sum, alg, format)
			t.Run(string(alg)+"/"+string(format), func(t *testing.T) {
				p, err := ParseThumbprint(s)
				if err != nil {
					t.Fatalf("ParseThumbprint(%q) error = %v", s, err)
				}
				if !bytes.Equal(p.Sum, sum) || p.Stripped {
					t.Errorf("ParseThumbprint(%q) = {%x, %v}, want {%x, false}", s, p.Sum, p.Stripped, sum)
				}
			})
		}
	}
}

func TestParseThumbprint(t *testing.T) {
	const azure = "0001ABCDEFFEFF102030405060708090A0B0C0FB"
	sum1, _ := hex.DecodeString(azure)
	const azure256 = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
	sum256, _ := hex.DecodeString(azure256)
	tests := []struct {
		name     string
		in       string
		sum      []byte
		stripped bool
	}{
		{"azure", azure, sum1, false},
		{"lower", strings.ToLower(azure), sum1, false},
		{"mixed case", "0001abCDefFEff102030405060708090a0B0c0Fb", sum1, false},
		{"colons", "00:01:AB:CD:EF:FE:FF:10:20:30:40:50:60:70:80:90:A0:B0:C0:FB", sum1, false},
		{"lower colons", "00:01:ab:cd:ef:fe:ff:10:20:30:40:50:60:70:80:90:a0:b0:c0:fb", sum1, false},
		{"spaces (Windows dialog)", "00 01 ab cd ef fe ff 10 20 30 40 50 60 70 80 90 a0 b0 c0 fb", sum1, false},
		{"surrounding whitespace and newline", "  " + azure + "\r\n", sum1, false},
		{"tabs", "0001ABCD\tEFFEFF10\t2030405060708090A0B0C0FB", sum1, false},
		{"leading U+200E", "\u200e" + azure, sum1, true},
		{"U+200E and spaces", "\u200e00 01 ab cd ef fe ff 10 20 30 40 50 60 70 80 90 a0 b0 c0 fb", sum1, true},
		{"BOM", "\ufeff" + azure, sum1, true},
		{"no-break space", azure[:20] + "\u00a0" + azure[20:], sum1, true},
		{"zero-width space inside", azure[:10] + "\u200b" + azure[10:], sum1, true},
		{"sha1- prefix", "sha1-" + azure, sum1, false},
		{"SHA1- prefix", "SHA1-" + azure, sum1, false},
		{"sha1- prefix lower", "sha1-" + strings.ToLower(azure), sum1, false},
		{"sha256- prefix", "sha256-" + azure256, sum256, false},
		{"sha256", azure256, sum256, false},
		{"sha256 lower with colons", "e3:b0:c4:42:98:fc:1c:14:9a:fb:f4:c8:99:6f:b9:24:27:ae:41:e4:64:9b:93:4c:a4:95:99:1b:78:52:b8:55", sum256, false},
		{"x5t", base64.RawURLEncoding.EncodeToString(sum1), sum1, false},
		{"x5t padded", base64.URLEncoding.EncodeToString(sum1), sum1, false},
		{"x5t#S256", base64.RawURLEncoding.EncodeToString(sum256), sum256, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseThumbprint(tt.in)
			if err != nil {
				t.Fatalf("ParseThumbprint(%q) error = %v", tt.in, err)
			}
			if !bytes.Equal(p.Sum, tt.sum) || p.Stripped != tt.stripped {
				t.Errorf("ParseThumbprint(%q) = {%x, %v}, want {%x, %v}", tt.in, p.Sum, p.Stripped, tt.sum, tt.stripped)
			}
		})
	}
}

func TestParseThumbprintErrors(t *testing.T) {
	const azure = "0001ABCDEFFEFF102030405060708090A0B0C0FB"
	tests := []struct {
		name string
		in   string
		msg  string
	}{
		{"empty", "", "got 0 characters"},
		{"only spaces", "   ", "got 0 characters"},
		{"only U+200E", "\u200e", "got 0 characters"},
		{"39 hex digits", azure[:39], "got 39 characters"},
		{"41 hex digits", azure + "0", "got 41 characters"},
		{"38 hex digits (19 bytes)", azure[:38], "got 38 characters"},
		{"42 hex digits (21 bytes)", azure + "00", "got 42 characters"},
		{"62 hex digits", strings.Repeat("AB", 31), "got 62 characters"},
		{"66 hex digits", strings.Repeat("AB", 33), "got 66 characters"},
		{"non-hex letter", "G" + azure[1:], "want 40 hex digits"},
		{"40 characters, not hex", strings.Repeat("Z", 40), "got 40 characters"},
		{"sha1- prefix only", "sha1-", "got 0 characters"},
		{"other prefix", "md5-" + azure, ""},
		{"non-ASCII letter", "é" + azure[1:], "U+00E9"},
		{"emoji", azure[:39] + "😀", "U+1F600"},
		{"control character", azure[:39] + "\x07", "U+0007"},
		{"x5t of 19 bytes", base64.RawURLEncoding.EncodeToString(make([]byte, 19)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseThumbprint(tt.in)
			if err == nil {
				t.Fatalf("ParseThumbprint(%q) = %x, want an error", tt.in, p.Sum)
			}
			if p.Sum != nil {
				t.Errorf("ParseThumbprint(%q) Sum = %x with an error, want nil", tt.in, p.Sum)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("ParseThumbprint(%q) error = %q, want it to contain %q", tt.in, err, tt.msg)
			}
		})
	}
}
