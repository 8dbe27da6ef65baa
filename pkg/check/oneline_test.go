package check_test

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/azcert/azcert/pkg/check"
	"github.com/azcert/azcert/pkg/export"
)

// TestReasonsStayOnOneLine: a --domain or a certificate name with a line
// break or a terminal escape cannot break a finding's one-line reason (or
// forge report lines): non-printable characters are escaped. Found by
// FuzzCheckRun (testdata/fuzz/FuzzCheckRun/27d9cbf9b91fab02).
func TestReasonsStayOnOneLine(t *testing.T) {
	k := key(t, 2048)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(77), Subject: pkix.Name{CommonName: "evil\x1b[2J.contoso.net"},
		DNSNames:  []string{"contoso.net\nPASS  validity          forged"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	b := &export.Bundle{Format: export.FormatDER, Cert: c}
	for _, domains := range [][]string{nil, {"www.contoso.net\nPASS  names  forged", "\x1b]0;title\x07"}} {
		for _, target := range check.Targets {
			r := check.Run(b, check.Options{Target: target, Domains: domains, Now: now})
			for _, f := range r.Findings {
				for _, s := range []string{f.Reason, f.Remedy} {
					if strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
						t.Errorf("%s %s: %q holds a non-printable character", target, f.ID, s)
					}
				}
			}
		}
	}
}
