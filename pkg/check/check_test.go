package check_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
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

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

var keys = sync.OnceValues(func() (map[int]*rsa.PrivateKey, error) {
	m := map[int]*rsa.PrivateKey{}
	for _, bits := range []int{1024, 2048} {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return nil, err
		}
		m[bits] = k
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	m[1] = other
	return m, err
})

func key(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	m, err := keys()
	if err != nil {
		t.Fatal(err)
	}
	return m[bits]
}

// azcertBundle is what `azcert new` makes, as a .pfx of the given profile.
func azcertBundle(t *testing.T, profile export.Profile, names ...string) *export.Bundle {
	t.Helper()
	n, err := certgen.ParseNames(names)
	if err != nil {
		t.Fatal(err)
	}
	res, err := certgen.Sign(certgen.Request{Names: n, Now: now, AllowAzureDomain: true}, key(t, 2048))
	if err != nil {
		t.Fatal(err)
	}
	pfx, err := export.EncodePFX(res.Key, res.Cert, nil, export.PFXOptions{Profile: profile, Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := export.Load(pfx, func() (string, error) { return "pw", nil })
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// custom makes a certificate with crypto/x509 directly.
func custom(t *testing.T, edit func(*x509.Certificate), bits int) *export.Bundle {
	t.Helper()
	k := key(t, bits)
	tmpl := &x509.Certificate{
		SerialNumber:          new(big.Int).SetBytes([]byte{0x41, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}),
		Subject:               pkix.Name{CommonName: "contoso.net"},
		DNSNames:              []string{"contoso.net"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	edit(tmpl)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &export.Bundle{Format: export.FormatDER, Cert: c}
}

func TestRun(t *testing.T) {
	withKey := func(b *export.Bundle, k crypto.Signer) *export.Bundle { b.Key = k; return b }
	tests := []struct {
		name    string
		bundle  func(t *testing.T) *export.Bundle
		target  check.Target
		domains []string
		want    map[string]check.Level // rules not listed must PASS
	}{
		{"fresh compat pfx for a service", func(t *testing.T) *export.Bundle {
			return azcertBundle(t, export.ProfileCompat, "contoso.net", "www.contoso.net")
		},
			check.Service, []string{"contoso.net", "www.contoso.net"}, nil},
		{"fresh pfx for management", func(t *testing.T) *export.Bundle { return azcertBundle(t, export.ProfileModern, "mgmt") },
			check.Management, nil, nil},
		{"a .cer for management", func(t *testing.T) *export.Bundle { return custom(t, func(*x509.Certificate) {}, 2048) },
			check.Management, nil, nil},
		{"1024-bit key", func(t *testing.T) *export.Bundle { return custom(t, func(*x509.Certificate) {}, 1024) },
			check.Management, nil, map[string]check.Level{check.RuleKeySize: check.Fail}},
		{"expired", func(t *testing.T) *export.Bundle {
			return custom(t, func(c *x509.Certificate) { c.NotBefore, c.NotAfter = now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0) }, 2048)
		}, check.Management, nil, map[string]check.Level{check.RuleValidity: check.Fail}},
		{"not yet valid", func(t *testing.T) *export.Bundle {
			return custom(t, func(c *x509.Certificate) { c.NotBefore = now.Add(time.Hour) }, 2048)
		}, check.Management, nil, map[string]check.Level{check.RuleValidity: check.Fail}},
		{"expiring in 10 days", func(t *testing.T) *export.Bundle {
			return custom(t, func(c *x509.Certificate) { c.NotAfter = now.Add(10 * 24 * time.Hour) }, 2048)
		}, check.Management, nil, map[string]check.Level{check.RuleValidity: check.Warn}},
		{"no serverAuth for a service", func(t *testing.T) *export.Bundle {
			return withKey(custom(t, func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth} }, 2048), key(t, 2048))
		}, check.Service, nil, map[string]check.Level{check.RuleExtKeyUsage: check.Fail}},
		{"no clientAuth for management", func(t *testing.T) *export.Bundle {
			return custom(t, func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} }, 2048)
		}, check.Management, nil, map[string]check.Level{check.RuleExtKeyUsage: check.Fail}},
		{"no keyEncipherment for a service", func(t *testing.T) *export.Bundle {
			return withKey(custom(t, func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageDigitalSignature }, 2048), key(t, 2048))
		}, check.Service, nil, map[string]check.Level{check.RuleKeyUsage: check.Fail}},
		{"cloudapp.net for a service", func(t *testing.T) *export.Bundle { return azcertBundle(t, export.ProfileCompat, "web.cloudapp.net") },
			check.Service, nil, map[string]check.Level{check.RuleAzureDomain: check.Fail}},
		{"cloudapp.net for management is fine", func(t *testing.T) *export.Bundle { return azcertBundle(t, export.ProfileCompat, "web.cloudapp.net") },
			check.Management, nil, nil},
		{"AES pfx for a service", func(t *testing.T) *export.Bundle { return azcertBundle(t, export.ProfileModern, "contoso.net") },
			check.Service, nil, map[string]check.Level{check.RulePFXEncryption: check.Fail}},
		{"compat pfx for Cloud Services (extended support)", func(t *testing.T) *export.Bundle { return azcertBundle(t, export.ProfileCompat, "contoso.net") },
			check.CloudServiceES, []string{"contoso.net"}, nil},
		{"AES pfx for Cloud Services (extended support)", func(t *testing.T) *export.Bundle { return azcertBundle(t, export.ProfileModern, "contoso.net") },
			check.CloudServiceES, nil, map[string]check.Level{check.RulePFXEncryption: check.Warn}},
		{"cloudapp.net for Cloud Services (extended support)", func(t *testing.T) *export.Bundle { return azcertBundle(t, export.ProfileCompat, "web.cloudapp.net") },
			check.CloudServiceES, nil, map[string]check.Level{check.RuleAzureDomain: check.Fail}},
		{"no serverAuth for Cloud Services (extended support)", func(t *testing.T) *export.Bundle {
			return withKey(custom(t, func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth} }, 2048), key(t, 2048))
		}, check.CloudServiceES, nil, map[string]check.Level{check.RuleExtKeyUsage: check.Fail}},
		{"AES pfx for Key Vault", func(t *testing.T) *export.Bundle { return azcertBundle(t, export.ProfileModern, "contoso.net") },
			check.KeyVault, nil, map[string]check.Level{check.RulePFXEncryption: check.Warn, check.RuleKeyUsage: check.NA, check.RuleExtKeyUsage: check.NA}},
		{"a client certificate for Key Vault", func(t *testing.T) *export.Bundle {
			return withKey(custom(t, func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth} }, 2048), key(t, 2048))
		}, check.KeyVault, nil, map[string]check.Level{check.RuleKeyUsage: check.NA, check.RuleExtKeyUsage: check.NA}},
		{"an Entra ID credential's .cer", func(t *testing.T) *export.Bundle { return custom(t, func(*x509.Certificate) {}, 2048) },
			check.Entra, nil, map[string]check.Level{check.RuleExtKeyUsage: check.NA}},
		{"an Entra ID credential that cannot sign", func(t *testing.T) *export.Bundle {
			return custom(t, func(c *x509.Certificate) {
				c.KeyUsage, c.ExtKeyUsage = x509.KeyUsageKeyEncipherment, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			}, 2048)
		}, check.Entra, nil, map[string]check.Level{check.RuleKeyUsage: check.Warn, check.RuleExtKeyUsage: check.NA}},
		{"an expired Entra ID credential", func(t *testing.T) *export.Bundle {
			return custom(t, func(c *x509.Certificate) { c.NotBefore, c.NotAfter = now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0) }, 2048)
		}, check.Entra, nil, map[string]check.Level{check.RuleValidity: check.Fail, check.RuleExtKeyUsage: check.NA}},
		{"an Entra ID credential of 1024 bits", func(t *testing.T) *export.Bundle { return custom(t, func(*x509.Certificate) {}, 1024) },
			check.Entra, nil, map[string]check.Level{check.RuleKeySize: check.Fail, check.RuleExtKeyUsage: check.NA}},
		{"names do not cover the domain", func(t *testing.T) *export.Bundle { return azcertBundle(t, export.ProfileCompat, "contoso.net") },
			check.Service, []string{"www.contoso.net"}, map[string]check.Level{check.RuleNames: check.Fail}},
		{"wildcard covers one label", func(t *testing.T) *export.Bundle { return azcertBundle(t, export.ProfileCompat, "*.contoso.net") },
			check.Service, []string{"www.contoso.net", "*.contoso.net"}, nil},
		{"wildcard does not cover two labels", func(t *testing.T) *export.Bundle { return azcertBundle(t, export.ProfileCompat, "*.contoso.net") },
			check.Service, []string{"a.b.contoso.net"}, map[string]check.Level{check.RuleNames: check.Fail}},
		{"no key for a service", func(t *testing.T) *export.Bundle { return custom(t, func(*x509.Certificate) {}, 2048) },
			check.Service, nil, map[string]check.Level{check.RulePrivateKey: check.Fail}},
		{"no key for API Management", func(t *testing.T) *export.Bundle { return custom(t, func(*x509.Certificate) {}, 2048) },
			check.APIMClient, nil, map[string]check.Level{check.RulePrivateKey: check.Fail}},
		{"key does not match", func(t *testing.T) *export.Bundle {
			return withKey(custom(t, func(*x509.Certificate) {}, 2048), key(t, 1))
		},
			check.Service, nil, map[string]check.Level{check.RuleKeyMatch: check.Fail}},
		{"SHA-1 signature", func(t *testing.T) *export.Bundle {
			return custom(t, func(c *x509.Certificate) { c.SignatureAlgorithm = x509.SHA1WithRSA }, 2048)
		}, check.Management, nil, map[string]check.Level{check.RuleSignature: check.Warn}},
		{"short serial", func(t *testing.T) *export.Bundle {
			return custom(t, func(c *x509.Certificate) { c.SerialNumber = big.NewInt(7) }, 2048)
		}, check.Management, nil, map[string]check.Level{check.RuleSerial: check.Warn}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.bundle(t)
			r := check.Run(b, check.Options{Target: tt.target, Domains: tt.domains, Now: now})
			ids := map[string]bool{}
			for _, f := range r.Findings {
				if ids[f.ID] {
					t.Errorf("rule %s reported twice", f.ID)
				}
				ids[f.ID] = true
				want, ok := tt.want[f.ID]
				if !ok {
					want = check.Pass
					// Rules that do not apply to this input.
					switch {
					case f.ID == check.RuleKeyMatch && b.Key == nil,
						f.ID == check.RulePFXEncryption && b.PFX == nil,
						f.ID == check.RuleNames && len(tt.domains) == 0,
						f.ID == check.RuleAzureDomain && tt.target != check.Service && tt.target != check.CloudServiceES:
						want = check.NA
					}
				}
				if f.Level != want {
					t.Errorf("%s = %s (%s), want %s", f.ID, f.Level, f.Reason, want)
				}
				if (f.Level == check.Pass || f.Level == check.NA) && (f.Remedy != "" || f.Command != "") {
					t.Errorf("%s is %s with a remedy %q", f.ID, f.Level, f.Remedy)
				}
				if f.Command != "" && !strings.HasSuffix(f.Remedy, f.Command) {
					t.Errorf("%s: command %q is not the end of the remedy %q", f.ID, f.Command, f.Remedy)
				}
				if (f.Level == check.Warn || f.Level == check.Fail) && f.Remedy == "" {
					t.Errorf("%s is %s without a remedy", f.ID, f.Level)
				}
				if f.Reason == "" {
					t.Errorf("%s has no reason", f.ID)
				}
			}
			if len(r.Findings) != 13 {
				t.Errorf("%d findings, want one for each of the 13 rules", len(r.Findings))
			}
			wantFail := false
			for _, l := range tt.want {
				wantFail = wantFail || l == check.Fail
			}
			if r.Failed() != wantFail {
				t.Errorf("Failed() = %v, want %v", r.Failed(), wantFail)
			}
		})
	}
}

func TestRC2IsAWarning(t *testing.T) {
	n, _ := certgen.ParseNames([]string{"contoso.net"})
	res, err := certgen.Sign(certgen.Request{Names: n, Now: now}, key(t, 2048))
	if err != nil {
		t.Fatal(err)
	}
	pfx, err := pkcs12.LegacyRC2.Encode(res.Key, res.Cert, nil, "pw")
	if err != nil {
		t.Fatal(err)
	}
	b, err := export.Load(pfx, func() (string, error) { return "pw", nil })
	if err != nil {
		t.Fatal(err)
	}
	r := check.Run(b, check.Options{Target: check.Service, Now: now})
	f, _ := r.Find(check.RulePFXEncryption)
	if f.Level != check.Warn || !strings.Contains(f.Reason, "OpenSSL 3") {
		t.Errorf("RC2 .pfx: %+v, want WARN naming OpenSSL 3", f)
	}
	if r.Profile != export.ProfileLegacyRC2 {
		t.Errorf("Profile = %s, want legacy-rc2", r.Profile)
	}
}

func TestRunWithoutCertificate(t *testing.T) {
	for _, target := range check.Targets {
		b := &export.Bundle{Format: export.FormatPKCS12, PFX: &export.PFXInfo{Profile: export.ProfileModern}}
		r := check.Run(b, check.Options{Target: target, File: "nokey.pfx", PasswordSource: "env:PW"})
		if len(r.Findings) != len(rulesOf(target)) {
			t.Fatalf("%s: %d findings, want %d", target, len(r.Findings), len(rulesOf(target)))
		}
		if f, _ := r.Find(check.RulePrivateKey); f.Level != check.Fail {
			t.Errorf("%s: private-key = %s, want FAIL", target, f.Level)
		}
		if !r.Failed() {
			t.Errorf("%s: a .pfx without its key passed", target)
		}
		wantEnc := check.Pass
		switch target {
		case check.Service:
			wantEnc = check.Fail
		case check.CloudServiceES, check.KeyVault:
			wantEnc = check.Warn // Key Vault has refused AES .pfx imports
		}
		if f, _ := r.Find(check.RulePFXEncryption); f.Level != wantEnc {
			t.Errorf("%s: pfx-encryption = %s, want %s", target, f.Level, wantEnc)
		}
		if n := r.Count(check.NA); n != len(rulesOf(target))-2 {
			t.Errorf("%s: %d NA, want %d (every rule about the certificate, and key-match)", target, n, len(rulesOf(target))-2)
		}
	}
}

func TestRemedyCommands(t *testing.T) {
	b := azcertBundle(t, export.ProfileModern, "*.contoso.net")
	r := check.Run(b, check.Options{Target: check.Service, Domains: []string{"www.example.org"}, Now: now, File: "my site.pfx", PasswordSource: "env:PW"})
	want := map[string]string{
		check.RulePFXEncryption: `azcert export --pfx 'my site.pfx' --in-password env:PW --pfx-profile compat --password env:PW --out 'my site-compat.pfx'`,
		check.RuleNames:         `azcert new www.example.org --name 'my site-new' --password env:PW`,
	}
	for id, cmd := range want {
		if f, _ := r.Find(id); f.Command != cmd {
			t.Errorf("%s command = %q, want %q", id, f.Command, cmd)
		}
	}
	if got := check.ReencryptCommand("a'b.pfx", ""); got != `azcert export --pfx 'a'\''b.pfx' --in-password prompt --pfx-profile compat --password prompt --out 'a'\''b-compat.pfx'` {
		t.Errorf("ReencryptCommand quoting = %s", got)
	}
}

// TestPurposeMatchesTarget: what azcert new --for P makes passes the check
// for the target of the same name, and fails the key-usage rules of a target
// for the other direction of TLS, with a remedy naming the right purpose.
func TestPurposeMatchesTarget(t *testing.T) {
	n, err := certgen.ParseNames([]string{"contoso.net"})
	if err != nil {
		t.Fatal(err)
	}
	signed := map[certgen.Purpose]*export.Bundle{}
	for _, p := range certgen.Purposes {
		res, err := certgen.Sign(certgen.Request{Names: n, Now: now, Purpose: p}, key(t, 2048))
		if err != nil {
			t.Fatal(err)
		}
		signed[p] = &export.Bundle{Format: export.FormatDER, Cert: res.Cert, Key: res.Key}
	}
	for _, target := range check.Targets {
		if target == check.VPNRoot || target == check.VPNClient {
			continue // they need a root and a certificate it issued: TestVPN
		}
		p := target.Purpose()
		if _, err := certgen.ParsePurpose(string(p)); err != nil {
			t.Errorf("%s.Purpose() = %q: %v", target, p, err)
			continue
		}
		if r := check.Run(signed[p], check.Options{Target: target, Now: now}); r.Failed() {
			t.Errorf("a certificate from azcert new --for %s fails the check for %s: %+v", p, target, r.Findings)
		}
	}
	tests := []struct {
		made   certgen.Purpose
		target check.Target
		rule   string
		remedy string
	}{
		{certgen.PurposeClient, check.Server, check.RuleExtKeyUsage, "azcert new --for server sets serverAuth; "},
		{certgen.PurposeClient, check.Server, check.RuleKeyUsage, "azcert new --for server sets digitalSignature and keyEncipherment; "},
		{certgen.PurposeAPIMBackend, check.Service, check.RuleExtKeyUsage, "azcert new sets serverAuth and clientAuth; "},
		{certgen.PurposeServer, check.Client, check.RuleExtKeyUsage, "azcert new --for client sets clientAuth; "},
		{certgen.PurposeServer, check.APIMBackend, check.RuleExtKeyUsage, "azcert new --for apim-backend sets clientAuth; "},
		{certgen.PurposeServer, check.APIMClient, check.RuleExtKeyUsage, "azcert new --for apim-backend sets clientAuth; "},
		{certgen.PurposeServer, check.Management, check.RuleExtKeyUsage, "azcert new sets serverAuth and clientAuth; "},
	}
	for _, tt := range tests {
		r := check.Run(signed[tt.made], check.Options{Target: tt.target, Now: now, File: "x.pfx", PasswordSource: "env:PW"})
		f, _ := r.Find(tt.rule)
		if f.Level != check.Fail || !strings.HasPrefix(f.Remedy, tt.remedy) {
			t.Errorf("--for %s checked for %s: %s = %s, remedy %q; want FAIL, remedy starting %q", tt.made, tt.target, tt.rule, f.Level, f.Remedy, tt.remedy)
		}
		wantFor := " --for " + string(tt.target.Purpose()) + " "
		if tt.target == check.Service {
			wantFor = ""
		}
		if !strings.Contains(f.Command, wantFor) || !strings.HasPrefix(f.Command, "azcert new contoso.net") {
			t.Errorf("--for %s checked for %s: command %q, want azcert new with %q", tt.made, tt.target, f.Command, wantFor)
		}
	}
}

// TestClientCerNeedsNoKey: a caller's .cer is what a policy checks, so a
// client certificate without its key passes private-key; a TLS server's
// does not.
func TestClientCerNeedsNoKey(t *testing.T) {
	b := custom(t, func(c *x509.Certificate) {}, 2048)
	for target, want := range map[check.Target]check.Level{check.Client: check.Pass, check.Entra: check.Pass, check.Server: check.Fail, check.APIMBackend: check.Fail, check.KeyVault: check.Fail} {
		r := check.Run(b, check.Options{Target: target, Now: now})
		if f, _ := r.Find(check.RulePrivateKey); f.Level != want {
			t.Errorf("a .cer checked for %s: private-key = %s (%s), want %s", target, f.Level, f.Reason, want)
		}
		if f, _ := r.Find(check.RuleAzureDomain); f.Level != check.NA {
			t.Errorf("checked for %s: azure-domain = %s, want NA", target, f.Level)
		}
	}
}
