package check_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/check"
	"github.com/azcert/azcert/pkg/export"
)

// allRules is every rule id of the targets other than VPN's; each report
// has one finding per rule.
var allRules = []string{check.RuleVersion, check.RuleKeyType, check.RuleKeySize, check.RulePrivateKey, check.RuleKeyMatch,
	check.RuleKeyUsage, check.RuleExtKeyUsage, check.RuleNames, check.RuleAzureDomain, check.RuleValidity,
	check.RulePFXEncryption, check.RuleSignature, check.RuleSerial}

// rulesOf is every rule id of the target: allRules, and for the VPN
// targets their four rules too.
func rulesOf(t check.Target) []string {
	if t == check.VPNRoot || t == check.VPNClient {
		return append(append([]string{}, allRules...), check.RuleBasicConstraints, check.RuleChain, check.RuleIssuerValidity, check.RulePublicCertData)
	}
	return allRules
}

var fuzzSeedFiles = sync.OnceValues(func() ([][]byte, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	n, err := certgen.ParseNames([]string{"contoso.net", "*.api.contoso.net", "10.0.0.1"})
	if err != nil {
		return nil, err
	}
	res, err := certgen.Sign(certgen.Request{Names: n, Now: now}, k)
	if err != nil {
		return nil, err
	}
	odd := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "x.cloudapp.net"}, DNSNames: []string{"x.cloudapp.net"},
		NotBefore: now.Add(24 * time.Hour), NotAfter: now.Add(48 * time.Hour), SignatureAlgorithm: x509.SHA1WithRSA,
	}
	oddDER, err := x509.CreateCertificate(rand.Reader, odd, odd, &k.PublicKey, k)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, e := range []*pkcs12.Encoder{pkcs12.LegacyDES, pkcs12.Modern2023, pkcs12.LegacyRC2} {
		pfx, err := e.WithIterations(2).Encode(k, res.Cert, nil, "pw")
		if err != nil {
			return nil, err
		}
		out = append(out, pfx)
	}
	keyPEM, _ := export.KeyPEM(k)
	out = append(out, res.DER, oddDER, append(export.CertPEM(res.Cert), keyPEM...),
		append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: oddDER}), keyPEM...))
	return out, nil
})

// FuzzCheckRun runs every readiness rule on whatever Load accepts and checks
// the report's shape: one finding per rule, known levels, a reason for
// each, a remedy for each that did not pass, and the same verdict twice.
func FuzzCheckRun(f *testing.F) {
	seeds, err := fuzzSeedFiles()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		f.Add(s, "contoso.net")
		f.Add(s, "www.other.example")
	}
	f.Fuzz(func(t *testing.T, data []byte, domain string) {
		b, err := export.Load(data, func() (string, error) { return "pw", nil })
		if err != nil {
			return
		}
		var domains []string
		if domain != "" {
			domains = strings.Split(domain, ",")
		}
		for _, target := range check.Targets {
			o := check.Options{Target: target, Domains: domains, Now: now}
			r := check.Run(b, o)
			rules := rulesOf(target)
			if len(r.Findings) != len(rules) {
				t.Fatalf("%s: %d findings, want %d: %+v", target, len(r.Findings), len(rules), r.Findings)
			}
			for i, id := range rules {
				if r.Findings[i].ID != id {
					t.Fatalf("%s: finding %d is %s, want %s", target, i, r.Findings[i].ID, id)
				}
				fd, ok := r.Find(id)
				if !ok {
					t.Fatalf("%s: no finding %s", target, id)
				}
				switch fd.Level {
				case check.Pass, check.Warn, check.Fail, check.NA:
				default:
					t.Fatalf("%s: finding %s has level %q", target, id, fd.Level)
				}
				if fd.Reason == "" || strings.Contains(fd.Reason, "\n") {
					t.Fatalf("%s: finding %s reason %q, want one non-empty line", target, id, fd.Reason)
				}
				if (fd.Level == check.Warn || fd.Level == check.Fail) && fd.Remedy == "" {
					t.Fatalf("%s: finding %s is %s without a remedy", target, id, fd.Level)
				}
			}
			if again := check.Run(b, o); again.Failed() != r.Failed() || again.Count(check.Warn) != r.Count(check.Warn) {
				t.Fatalf("%s: two runs disagree", target)
			}
		}
	})
}
