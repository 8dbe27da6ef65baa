package check_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/check"
	"github.com/azcert/azcert/pkg/export"
)

// vpnRoot is a root made as azcert new --ca makes it, with its own key.
func vpnRoot(t *testing.T, cn string, notAfter time.Time) *certgen.Issuer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return vpnRootWithKey(t, cn, notAfter, k)
}

func vpnRootWithKey(t *testing.T, cn string, notAfter time.Time, k *rsa.PrivateKey) *certgen.Issuer {
	t.Helper()
	res, err := certgen.SignCA(certgen.CARequest{CommonName: cn, Now: now, NotAfter: notAfter}, k)
	if err != nil {
		t.Fatal(err)
	}
	return &certgen.Issuer{Cert: res.Cert, Key: res.Key}
}

func level(t *testing.T, r *check.Report, id string) check.Finding {
	t.Helper()
	f, ok := r.Find(id)
	if !ok {
		t.Fatalf("no finding %s in %+v", id, r.Findings)
	}
	return f
}

func TestVPN(t *testing.T) {
	rootKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	root := vpnRootWithKey(t, "Contoso P2S Root", time.Time{}, rootKey)
	n, _ := certgen.ParseNames([]string{"alice"})
	leaf, err := certgen.Sign(certgen.Request{Names: n, Purpose: certgen.PurposeClient, Issuer: root, Now: now}, key(t, 2048))
	if err != nil {
		t.Fatal(err)
	}
	client := &export.Bundle{Format: export.FormatPKCS12, Cert: leaf.Cert, Key: leaf.Key, Chain: []*x509.Certificate{root.Cert},
		PFX: &export.PFXInfo{Profile: export.ProfileCompat}}

	t.Run("root", func(t *testing.T) {
		r := check.Run(&export.Bundle{Format: export.FormatDER, Cert: root.Cert}, check.Options{Target: check.VPNRoot, Now: now})
		if r.Failed() || r.Count(check.Warn) > 0 {
			t.Errorf("a root from azcert new --ca: %+v", r.Findings)
		}
		if f := level(t, r, check.RulePublicCertData); !strings.Contains(f.Reason, "characters") || !strings.Contains(f.Reason, "no size limit") {
			t.Errorf("public-cert-data: %+v", f)
		}
	})
	t.Run("a leaf is no root", func(t *testing.T) {
		r := check.Run(&export.Bundle{Format: export.FormatDER, Cert: leaf.Cert}, check.Options{Target: check.VPNRoot, Now: now, File: "alice.cer"})
		for _, id := range []string{check.RuleBasicConstraints, check.RuleKeyUsage} {
			if f := level(t, r, id); f.Level != check.Fail || !strings.Contains(f.Command, "azcert new --ca alice") {
				t.Errorf("%s: %+v, want FAIL with azcert new --ca", id, f)
			}
		}
		if f := level(t, r, check.RuleChain); f.Level != check.Warn {
			t.Errorf("chain of an issued certificate as a root: %+v, want WARN", f)
		}
	})
	t.Run("client with its chain", func(t *testing.T) {
		r := check.Run(client, check.Options{Target: check.VPNClient, Now: now})
		if r.Failed() || r.Count(check.Warn) > 0 {
			t.Errorf("a client certificate from azcert new --issuer: %+v", r.Findings)
		}
		if f := level(t, r, check.RuleChain); f.Level != check.Pass || !strings.Contains(f.Reason, "Contoso P2S Root") {
			t.Errorf("chain: %+v", f)
		}
	})
	t.Run("foreign root", func(t *testing.T) {
		foreign := vpnRoot(t, "Fabrikam Root", time.Time{})
		r := check.Run(client, check.Options{Target: check.VPNClient, Now: now, Issuer: foreign.Cert, IssuerFile: "fabrikam.cer"})
		f := level(t, r, check.RuleChain)
		if f.Level != check.Fail || !strings.Contains(f.Reason, "not issued by CN=Fabrikam Root") || !strings.Contains(f.Command, "--issuer fabrikam.pfx") {
			t.Errorf("chain against a foreign root: %+v", f)
		}
	})
	t.Run("impostor root of the same name", func(t *testing.T) {
		impostor := vpnRoot(t, "Contoso P2S Root", time.Time{})
		r := check.Run(client, check.Options{Target: check.VPNClient, Now: now, Issuer: impostor.Cert})
		if f := level(t, r, check.RuleChain); f.Level != check.Fail || !strings.Contains(f.Reason, "does not verify") {
			t.Errorf("chain against a root of the same name and another key: %+v", f)
		}
	})
	t.Run("no issuer", func(t *testing.T) {
		r := check.Run(&export.Bundle{Format: export.FormatDER, Cert: leaf.Cert}, check.Options{Target: check.VPNClient, Now: now, File: "alice.cer"})
		if f := level(t, r, check.RuleChain); f.Level != check.Fail || f.Command != "azcert check alice.cer --for vpn-client --issuer root.cer" {
			t.Errorf("chain without an issuer: %+v", f)
		}
		if f := level(t, r, check.RulePrivateKey); f.Level != check.Fail {
			t.Errorf("private-key of a .cer for a VPN client: %+v", f)
		}
	})
	t.Run("validity outside the issuer", func(t *testing.T) {
		// The same name and key, a shorter validity: the chain verifies
		// today, but the client outlives this root.
		short := vpnRootWithKey(t, "Contoso P2S Root", now.AddDate(0, 6, 0), rootKey)
		r := check.Run(client, check.Options{Target: check.VPNClient, Now: now, Issuer: short.Cert})
		if f := level(t, r, check.RuleChain); f.Level != check.Pass {
			t.Errorf("chain: %+v", f)
		}
		if f := level(t, r, check.RuleIssuerValidity); f.Level != check.Fail || !strings.Contains(f.Reason, "outside") {
			t.Errorf("issuer-validity: %+v", f)
		}
	})
}
