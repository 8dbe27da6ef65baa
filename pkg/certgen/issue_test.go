package certgen_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/azcert/azcert/pkg/certgen"
)

var issueNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// testRoot is a root made by SignCA with the shared test key.
func testRoot(t testing.TB) *certgen.Issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	res, err := certgen.SignCA(certgen.CARequest{CommonName: "Contoso P2S Root", Now: issueNow}, key)
	if err != nil {
		t.Fatalf("SignCA: %v", err)
	}
	return &certgen.Issuer{Cert: res.Cert, Key: res.Key}
}

func TestSignCA(t *testing.T) {
	root := testRoot(t)
	c := root.Cert
	if !c.IsCA || !c.BasicConstraintsValid || c.MaxPathLen != 0 || !c.MaxPathLenZero {
		t.Errorf("basic constraints: CA %v valid %v pathlen %d zero %v; want CA:TRUE pathlen 0", c.IsCA, c.BasicConstraintsValid, c.MaxPathLen, c.MaxPathLenZero)
	}
	if c.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("key usage %v, want keyCertSign|cRLSign", c.KeyUsage)
	}
	if len(c.ExtKeyUsage) != 0 {
		t.Errorf("extended key usage %v, want none", c.ExtKeyUsage)
	}
	if c.Subject.String() != "CN=Contoso P2S Root" || c.Issuer.String() != c.Subject.String() {
		t.Errorf("subject %q issuer %q", c.Subject, c.Issuer)
	}
	if c.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("signature %v", c.SignatureAlgorithm)
	}
	if want := certgen.SubjectKeyID(&root.Key.(*rsa.PrivateKey).PublicKey); !bytes.Equal(c.SubjectKeyId, want) {
		t.Errorf("subject key id %x, want %x", c.SubjectKeyId, want)
	}
	if got, want := c.NotAfter, issueNow.Add(certgen.DefaultCAValidity); !got.Equal(want) {
		t.Errorf("not after %v, want %v (ten years)", got, want)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	for _, ext := range c.Extensions {
		if ext.Id.Equal([]int{2, 5, 29, 19}) && !ext.Critical {
			t.Error("basicConstraints is not critical")
		}
		if ext.Id.Equal([]int{2, 5, 29, 15}) && !ext.Critical {
			t.Error("keyUsage is not critical")
		}
	}
}

func TestCARequestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  certgen.CARequest
		want string
	}{
		{"empty", certgen.CARequest{}, "it is empty"},
		{"long", certgen.CARequest{CommonName: strings.Repeat("a", 65)}, "at most 64"},
		{"control", certgen.CARequest{CommonName: "root\n"}, "not printable"},
		{"space", certgen.CARequest{CommonName: " root"}, "starts or ends with a space"},
		{"small key", certgen.CARequest{CommonName: "root", KeySize: 1024}, "too small"},
		{"past", certgen.CARequest{CommonName: "root", Now: issueNow, NotAfter: issueNow.Add(-time.Hour)}, "in the past"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error with %q", err, tc.want)
			}
		})
	}
	ok := certgen.CARequest{CommonName: "Contoso Root – Ünïcode"}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(%q) = %v", ok.CommonName, err)
	}
}

func TestSignIssued(t *testing.T) {
	root := testRoot(t)
	key := testKey(t, 2048)
	res, err := certgen.Sign(certgen.Request{Names: mustNames(t, "user1"), Purpose: certgen.PurposeClient, Issuer: root,
		Now: issueNow, NotAfter: issueNow.AddDate(20, 0, 0)}, key)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	c := res.Cert
	if c.Issuer.String() != "CN=Contoso P2S Root" || c.Subject.String() != "CN=user1" {
		t.Errorf("issuer %q subject %q", c.Issuer, c.Subject)
	}
	if !bytes.Equal(c.AuthorityKeyId, root.Cert.SubjectKeyId) {
		t.Errorf("authority key id %x, want the root's %x", c.AuthorityKeyId, root.Cert.SubjectKeyId)
	}
	if !bytes.Equal(c.SubjectKeyId, certgen.SubjectKeyID(&key.PublicKey)) {
		t.Errorf("subject key id %x", c.SubjectKeyId)
	}
	if c.IsCA {
		t.Error("an issued client certificate is a CA")
	}
	if c.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment {
		t.Errorf("key usage %v, want digitalSignature|keyEncipherment", c.KeyUsage)
	}
	if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
		t.Errorf("extended key usage %v, want clientAuth", c.ExtKeyUsage)
	}
	if !c.NotAfter.Equal(root.Cert.NotAfter) {
		t.Errorf("not after %v, want it clipped to the root's %v", c.NotAfter, root.Cert.NotAfter)
	}
	if c.NotBefore.Before(root.Cert.NotBefore) {
		t.Errorf("not before %v is before the root's %v", c.NotBefore, root.Cert.NotBefore)
	}
	if n := len(c.SerialNumber.Bytes()); n != 16 {
		t.Errorf("serial of %d bytes, want 16", n)
	}
	verify(t, c, root.Cert, issueNow)
	other := testRoot(t)
	if _, err := c.Verify(x509.VerifyOptions{Roots: pool(other.Cert), CurrentTime: issueNow, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("the certificate verifies against a foreign root")
	}
}

func pool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

func verify(t *testing.T, leaf, root *x509.Certificate, now time.Time) {
	t.Helper()
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: pool(root), CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if len(chains) != 1 || len(chains[0]) != 2 {
		t.Errorf("chains %v, want one of two certificates", chains)
	}
}

func TestIssuerCheck(t *testing.T) {
	root := testRoot(t)
	leafKey := testKey(t, 2048)
	leaf, err := certgen.Sign(certgen.Request{Names: mustNames(t, "user1"), Purpose: certgen.PurposeClient, Now: issueNow}, leafKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		issuer *certgen.Issuer
		now    time.Time
		want   string
	}{
		{"no key", &certgen.Issuer{Cert: root.Cert}, issueNow, "holds no private key"},
		{"key mismatch", &certgen.Issuer{Cert: root.Cert, Key: leafKey}, issueNow, "does not belong"},
		{"not a CA", &certgen.Issuer{Cert: leaf.Cert, Key: leafKey}, issueNow, "not a certificate authority"},
		{"expired", root, root.Cert.NotAfter.Add(time.Second), "expired on"},
		{"not yet valid", root, root.Cert.NotBefore.Add(-time.Second), "not valid until"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.issuer.Check(tc.now)
			var ie *certgen.IssuerError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check = %v, want an IssuerError with %q", err, tc.want)
			}
			_, err = certgen.Sign(certgen.Request{Names: mustNames(t, "user1"), Purpose: certgen.PurposeClient, Issuer: tc.issuer, Now: tc.now}, leafKey)
			if !errors.As(err, &ie) {
				t.Errorf("Sign = %v, want the IssuerError", err)
			}
		})
	}
	if err := root.Check(issueNow); err != nil {
		t.Errorf("Check of a good root = %v", err)
	}
}

func TestGenerateAll(t *testing.T) {
	root := testRoot(t)
	var reqs []certgen.Request
	for _, n := range []string{"user1", "user2", "user3", "user4", "user5"} {
		reqs = append(reqs, certgen.Request{Names: mustNames(t, n), Purpose: certgen.PurposeClient, Issuer: root, Now: issueNow})
	}
	out, err := certgen.GenerateAll(reqs, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, r := range out {
		if got := r.Cert.Subject.CommonName; got != reqs[i].Names[0].ASCII {
			t.Errorf("result %d is %q, want the order of the requests", i, got)
		}
		verify(t, r.Cert, root.Cert, issueNow)
		seen[r.Key.N.String()] = true
	}
	if len(seen) != len(reqs) {
		t.Errorf("%d distinct keys for %d requests", len(seen), len(reqs))
	}
	reqs[3].KeySize = 1024
	if _, err := certgen.GenerateAll(reqs, 2); err == nil || !strings.Contains(err.Error(), "too small") {
		t.Errorf("GenerateAll with a bad request = %v", err)
	}
}
