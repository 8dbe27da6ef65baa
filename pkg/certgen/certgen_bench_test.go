package certgen_test

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"testing"

	"github.com/azcert/azcert/pkg/certgen"
)

// Benchmarks of what `azcert new` spends its time on. CI runs them once
// each (go test -run '^$' -bench . -benchtime=1x); they assert nothing
// about time.

// BenchmarkGenerate is `azcert new`'s defaults: an RSA-2048 key and its
// self-signed certificate. Key generation is almost all of it, and its
// time varies widely from one key to the next (it searches for primes), so
// compare many iterations, not one.
func BenchmarkGenerate(b *testing.B) {
	req := certgen.Request{Names: mustNames(b, "contoso.net", "www.contoso.net")}
	for b.Loop() {
		if _, err := certgen.Generate(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRSAGenerateKey is the floor of BenchmarkGenerate: the key alone.
func BenchmarkRSAGenerateKey(b *testing.B) {
	for b.Loop() {
		if _, err := rsa.GenerateKey(rand.Reader, 2048); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign is everything of BenchmarkGenerate but the key: the
// template, the signature and parsing the result back.
func BenchmarkSign(b *testing.B) {
	key := testKey(b, 2048)
	req := certgen.Request{Names: mustNames(b, "contoso.net", "www.contoso.net", "*.api.contoso.net", "192.0.2.10")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := certgen.Sign(req, key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseNames(b *testing.B) {
	in := []string{"contoso.net", "www.contoso.net", "*.api.contoso.net", "bücher.de", "192.0.2.10", "2001:db8::1"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := certgen.ParseNames(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIssue100 is `azcert new --issuer ... --count 100`'s work: 100
// client certificates issued by one root, their keys made in parallel.
func BenchmarkIssue100(b *testing.B) {
	root := testRoot(b)
	reqs := make([]certgen.Request, 100)
	for i := range reqs {
		reqs[i] = certgen.Request{Names: mustNames(b, fmt.Sprintf("user%03d", i+1)), Purpose: certgen.PurposeClient, Issuer: root}
	}
	for b.Loop() {
		if _, err := certgen.GenerateAll(reqs, 0); err != nil {
			b.Fatal(err)
		}
	}
}
