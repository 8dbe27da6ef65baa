package check

// The rules of point-to-site VPN with certificate authentication: the
// gateway trusts the root certificates uploaded to it (their public data,
// the base64 of the .cer's DER without a PEM header) and accepts a client
// certificate that chains to one of them and carries clientAuth.
// https://learn.microsoft.com/azure/vpn-gateway/point-to-site-certificate-gateway
// https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-certificates-point-to-site

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/azcert/azcert/pkg/export"
)

// Rule IDs of the VPN targets only.
const (
	RuleBasicConstraints = "basic-constraints"
	RuleChain            = "chain"
	RuleIssuerValidity   = "issuer-validity"
	RulePublicCertData   = "public-cert-data"
)

// vpnRules are the rules only VPNRoot and VPNClient have, in their order.
var vpnRules = []string{RuleBasicConstraints, RuleChain, RuleIssuerValidity, RulePublicCertData}

// vpn reports the point-to-site VPN targets.
func (t Target) vpn() bool { return t == VPNRoot || t == VPNClient }

// checkVPN adds the rules of vpnRules.
func checkVPN(b *export.Bundle, o Options, now time.Time, cmds commands, add addFunc) {
	c := b.Cert
	newCert := "create a new one: " + cmds.newCert(nil)
	if o.Target == VPNRoot {
		checkRoot(c, newCert, add)
		return
	}
	switch {
	case c.BasicConstraintsValid && c.IsCA:
		add(RuleBasicConstraints, Warn, "the certificate is a CA (CA:TRUE); a client certificate should not be able to issue others", newCert)
	default:
		add(RuleBasicConstraints, Pass, "not a certificate authority (CA:FALSE)", "")
	}
	issuer := findIssuer(c, o.Issuer, b.Chain)
	if issuer == nil {
		add(RuleChain, Fail, "no issuer certificate to verify the chain against: the file carries none and --issuer was not given",
			"give the root the gateway trusts: "+ShellJoin([]string{"azcert", "check", orFile(cmds.o.File), "--for", "vpn-client", "--issuer", "root.cer"}))
		add(RuleIssuerValidity, NA, "no issuer certificate", "")
	} else {
		checkChain(c, issuer, now, newCert, add)
	}
	add(RulePublicCertData, NA, "the gateway takes the public data of the root, not of a client certificate", "")
}

// checkRoot adds the rules of a root.
func checkRoot(c *x509.Certificate, newCert string, add addFunc) {
	switch {
	case !c.BasicConstraintsValid || !c.IsCA:
		add(RuleBasicConstraints, Fail, "not a certificate authority (no basicConstraints CA:TRUE): it cannot issue client certificates", newCert)
	case c.MaxPathLen > 0:
		add(RuleBasicConstraints, Pass, fmt.Sprintf("CA:TRUE, path length %d", c.MaxPathLen), "")
	case c.MaxPathLen == 0 && c.MaxPathLenZero:
		add(RuleBasicConstraints, Pass, "CA:TRUE, path length 0 (it issues client certificates, no further CAs)", "")
	default:
		add(RuleBasicConstraints, Pass, "CA:TRUE, no path length limit", "")
	}
	self := bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
	if self {
		add(RuleChain, Pass, "self-signed root", "")
	} else {
		add(RuleChain, Warn, "not self-signed (issued by "+nameOf(c.Issuer.String())+"): the gateway trusts what is uploaded, but Microsoft's guide uploads a self-signed or enterprise root", "upload the top of the chain, or make a root: "+strings.TrimPrefix(newCert, "create a new one: "))
	}
	add(RuleIssuerValidity, NA, "a root has no issuer to be inside", "")
	data := base64.StdEncoding.EncodeToString(c.Raw)
	add(RulePublicCertData, Pass, fmt.Sprintf("publicCertData (the base64 DER the gateway takes, no PEM header) is %d characters; Microsoft documents no size limit", len(data)), "")
}

// findIssuer is the certificate given, else the one of the chain that
// names the leaf's issuer, else nil.
func findIssuer(c, given *x509.Certificate, chain []*x509.Certificate) *x509.Certificate {
	if given != nil {
		return given
	}
	for _, ca := range chain {
		if bytes.Equal(ca.RawSubject, c.RawIssuer) {
			return ca
		}
	}
	return nil
}

// checkChain verifies the leaf against the issuer as a trust anchor, for
// client authentication at now, and that its validity lies inside the
// issuer's.
func checkChain(c, issuer *x509.Certificate, now time.Time, newCert string, add addFunc) {
	roots := x509.NewCertPool()
	roots.AddCert(issuer)
	name := nameOf(issuer.Subject.String())
	_, err := c.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	switch {
	case err != nil && !bytes.Equal(c.RawIssuer, issuer.RawSubject):
		add(RuleChain, Fail, fmt.Sprintf("not issued by %s (its issuer is %s): a gateway that trusts %s refuses it", name, nameOf(c.Issuer.String()), name),
			"issue it with the root the gateway trusts: "+strings.TrimPrefix(newCert, "create a new one: "))
	case err != nil:
		add(RuleChain, Fail, fmt.Sprintf("does not verify against %s: %v", name, err), newCert)
	default:
		add(RuleChain, Pass, "issued by "+name+" and verifies against it for clientAuth", "")
	}
	if c.NotBefore.Before(issuer.NotBefore) || c.NotAfter.After(issuer.NotAfter) {
		add(RuleIssuerValidity, Fail, fmt.Sprintf("valid %s to %s, outside %s's %s to %s", day(c.NotBefore), day(c.NotAfter), name, day(issuer.NotBefore), day(issuer.NotAfter)), newCert)
		return
	}
	add(RuleIssuerValidity, Pass, fmt.Sprintf("valid inside %s's validity (to %s)", name, day(issuer.NotAfter)), "")
}

func orFile(f string) string {
	if f == "" || f == "-" {
		return "client.pfx"
	}
	return f
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func nameOf(s string) string {
	if s == "" {
		return "an empty name"
	}
	return s
}

// issuerPFX is the root's .pfx a remedy issues with: the .pfx beside
// --issuer's file, or root.pfx.
func (c commands) issuerPFX() string {
	f := c.o.IssuerFile
	if f == "" || f == "-" {
		return "root.pfx"
	}
	return strings.TrimSuffix(f, filepath.Ext(f)) + ".pfx"
}
