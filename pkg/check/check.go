// Package check lints a certificate (and its .pfx) against what Azure
// requires of it for a given use: an SSL certificate for a cloud service, a
// management certificate, a client certificate API Management presents to a
// back end, a TLS server or client certificate, or the root and client
// certificates of point-to-site VPN. Every rule yields one
// finding, PASS, WARN, FAIL or NA, with a reason and, unless it passed, what
// to do about it.
package check

import (
	"crypto/x509"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/export"
)

// Target is the use a certificate is checked for.
type Target string

const (
	// Service is an SSL certificate uploaded to a cloud service.
	Service Target = "service"
	// Management is a management certificate of a subscription.
	Management Target = "management"
	// APIMBackend is a client certificate API Management presents to a
	// back end, as azcert new --for apim-backend makes it.
	APIMBackend Target = "apim-backend"
	// APIMClient is the older name of APIMBackend, with the same rules.
	APIMClient Target = "apim-client"
	// Server is the certificate of any other TLS server.
	Server Target = "server"
	// Client is a client certificate a caller presents in mutual TLS, for
	// example to API Management.
	Client Target = "client"
	// CloudServiceES is an SSL certificate of Cloud Services (extended
	// support), which takes it from a key vault.
	CloudServiceES Target = "cloud-service-es"
	// KeyVault is a certificate to import into Azure Key Vault, for a use
	// the vault does not know (it is checked again for that use).
	KeyVault Target = "keyvault"
	// VPNRoot is the root certificate authority a VPN gateway trusts for
	// point-to-site connections, as azcert new --ca makes it.
	VPNRoot Target = "vpn-root"
	// VPNClient is a point-to-site VPN client certificate issued by such a
	// root, as azcert new --issuer makes it.
	VPNClient Target = "vpn-client"
	// Entra is the certificate credential of a Microsoft Entra ID
	// application (service principal), as azcert new --for entra makes it:
	// its .cer is registered (azcert entra add), its .pfx signs the client
	// assertions the application signs in with.
	Entra Target = "entra"
)

// Targets lists every target, for help and completion.
var Targets = []Target{Service, Server, Client, Management, APIMBackend, APIMClient, CloudServiceES, KeyVault, VPNRoot, VPNClient, Entra}

// ParseTarget accepts the names in Targets.
func ParseTarget(s string) (Target, error) {
	for _, t := range Targets {
		if string(t) == s {
			return t, nil
		}
	}
	names := make([]string, len(Targets))
	for i, t := range Targets {
		names[i] = string(t)
	}
	return "", fmt.Errorf("unknown target %q (choose %s or %s)", s, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

// Purpose is the azcert new --for purpose that makes a certificate for the
// target.
func (t Target) Purpose() certgen.Purpose {
	switch t {
	case Management:
		return certgen.PurposeManagement
	case Server:
		return certgen.PurposeServer
	case Client, VPNClient:
		return certgen.PurposeClient
	case APIMBackend, APIMClient:
		return certgen.PurposeAPIMBackend
	case Entra:
		return certgen.PurposeEntra
	}
	return certgen.PurposeService
}

// newCmd is how remedies name the azcert new that makes a certificate for
// the target: service and management certificates get the same usages, so
// plain "azcert new" names both.
func (t Target) newCmd() string {
	if p := t.Purpose(); p != certgen.PurposeService && p != certgen.PurposeManagement {
		return "azcert new --for " + string(p)
	}
	return "azcert new"
}

// serverAuth reports whether the target is a TLS server's certificate.
func (t Target) serverAuth() bool { return t == Service || t == Server || t == CloudServiceES }

// cloudService reports the targets of a cloud service's SSL certificate,
// classic or extended support: a custom domain, the key in the .pfx.
func (t Target) cloudService() bool { return t == Service || t == CloudServiceES }

// fromKeyVault reports the targets whose .pfx Key Vault must read.
func (t Target) fromKeyVault() bool { return t == CloudServiceES || t == KeyVault }

// Describe names the target in words.
func (t Target) Describe() string {
	switch t {
	case Service:
		return "a cloud service SSL certificate"
	case Management:
		return "a management certificate"
	case APIMClient, APIMBackend:
		return "an API Management client certificate"
	case Server:
		return "a TLS server certificate"
	case Client:
		return "a client certificate"
	case CloudServiceES:
		return "a Cloud Services (extended support) certificate"
	case KeyVault:
		return "a certificate for Key Vault"
	case VPNRoot:
		return "a point-to-site VPN root certificate"
	case VPNClient:
		return "a point-to-site VPN client certificate"
	case Entra:
		return "an Entra ID application certificate credential"
	}
	return string(t)
}

// Level is a finding's verdict.
type Level string

const (
	Pass Level = "PASS"
	Warn Level = "WARN"
	Fail Level = "FAIL"
	// NA is a rule that does not apply to the input (key-match without a
	// key, pfx-encryption on a .cer), as zlint's NA: it neither passes nor
	// fails.
	NA Level = "NA"
)

// Finding is the result of one rule.
type Finding struct {
	ID     string `json:"id"`
	Level  Level  `json:"level"`
	Reason string `json:"reason"`
	Remedy string `json:"remedy,omitempty"`
	// Command, when set, is the azcert command line the remedy ends with,
	// complete and quoted for a POSIX shell, so it runs as printed.
	Command string `json:"command,omitempty"`
}

// Rule IDs, stable for scripts.
const (
	RuleVersion       = "x509-version"
	RuleKeyType       = "key-type"
	RuleKeySize       = "key-size"
	RulePrivateKey    = "private-key"
	RuleKeyMatch      = "key-match"
	RuleKeyUsage      = "key-usage"
	RuleExtKeyUsage   = "ext-key-usage"
	RuleNames         = "names"
	RuleAzureDomain   = "azure-domain"
	RuleValidity      = "validity"
	RulePFXEncryption = "pfx-encryption"
	RuleSignature     = "signature-algorithm"
	RuleSerial        = "serial-number"
)

// ExpiryWarning is how close to its end a certificate gets a WARN.
const ExpiryWarning = 30 * 24 * time.Hour

// Options tunes Run.
type Options struct {
	Target Target
	// Domains, if set, must all be covered by the certificate's names.
	Domains []string
	// Now is the time validity is judged at; zero means time.Now().
	Now time.Time
	// File is the input's name as given on the command line; remedies
	// that are commands name it.
	File string
	// PasswordSource is the password source (e.g. env:PW, prompt) that a
	// remedy command gives for the input's password and for a new .pfx's;
	// "" means prompt.
	PasswordSource string
	// Issuer is the certificate a VPNClient certificate must chain to;
	// nil means the issuer's certificate in the .pfx (its chain).
	Issuer *x509.Certificate
	// IssuerFile names Issuer in remedies.
	IssuerFile string
}

// Report is the outcome of Run.
type Report struct {
	File     string         `json:"file"`
	Target   Target         `json:"target"`
	Profile  export.Profile `json:"profile"`
	Findings []Finding      `json:"findings"`
}

// Failed reports whether any finding is a FAIL.
func (r *Report) Failed() bool { return r.Count(Fail) > 0 }

// Count returns how many findings have the level.
func (r *Report) Count(l Level) int {
	n := 0
	for _, f := range r.Findings {
		if f.Level == l {
			n++
		}
	}
	return n
}

// Find returns the finding with the rule id.
func (r *Report) Find(id string) (Finding, bool) {
	for _, f := range r.Findings {
		if f.ID == id {
			return f, true
		}
	}
	return Finding{}, false
}

// Run applies every rule to the bundle.
func Run(b *export.Bundle, o Options) *Report {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	c := b.Cert
	r := &Report{Target: o.Target}
	if b.PFX != nil {
		r.Profile = b.PFX.Profile
	}
	add := func(id string, l Level, reason, remedy string) {
		if l == Pass || l == NA {
			remedy = ""
		}
		f := Finding{ID: id, Level: l, Reason: printable(reason), Remedy: printable(remedy)}
		// A remedy that ends with a command carries it in Command too.
		if i := strings.Index(f.Remedy, ": azcert "); i >= 0 {
			f.Command = f.Remedy[i+2:]
		}
		r.Findings = append(r.Findings, f)
	}
	if c == nil {
		runWithoutCert(b, o, add)
		return r
	}
	cmds := commands{o: o, cert: c}
	newCert := "create a new one: " + cmds.newCert(nil)

	if c.Version == 3 {
		add(RuleVersion, Pass, "X.509 version 3", "")
	} else {
		add(RuleVersion, Fail, fmt.Sprintf("X.509 version %d; Azure requires version 3 (extensions)", c.Version), newCert)
	}

	typ, bits := export.KeyInfo(c)
	if typ == "RSA" {
		add(RuleKeyType, Pass, "RSA key", "")
	} else {
		add(RuleKeyType, Fail, fmt.Sprintf("%s key; Azure's certificate APIs require RSA", typ), newCert)
	}
	switch {
	case typ != "RSA":
		add(RuleKeySize, Fail, fmt.Sprintf("%s %d bits; Azure requires RSA of at least 2048 bits", typ, bits), newCert)
	case bits >= 2048:
		add(RuleKeySize, Pass, fmt.Sprintf("RSA %d bits (at least 2048)", bits), "")
	default:
		add(RuleKeySize, Fail, fmt.Sprintf("RSA %d bits; Azure requires at least 2048", bits), newCert)
	}

	switch {
	case b.Key != nil:
		add(RulePrivateKey, Pass, "the file holds the private key", "")
	case o.Target == Management:
		add(RulePrivateKey, Pass, "no private key: right for registering (upload the .cer); keep the .pfx to authenticate", "")
	case o.Target == Client:
		add(RulePrivateKey, Pass, "no private key: right for a policy that checks its thumbprint; the caller keeps the .pfx to present it", "")
	case o.Target == VPNRoot:
		add(RulePrivateKey, Pass, "no private key: right for the gateway, which takes the .cer; keep the .pfx to issue client certificates", "")
	case o.Target == VPNClient:
		add(RulePrivateKey, Fail, "no private key: the VPN client needs the .pfx with its key installed", noKeyRemedy)
	case o.Target == Entra:
		add(RulePrivateKey, Pass, "no private key: right for registering (azcert entra add takes the .cer); keep the .pfx to sign in (azcert entra signin)", "")
	case o.Target.cloudService():
		add(RulePrivateKey, Fail, "no private key: a cloud service needs a .pfx with the key to serve SSL", noKeyRemedy)
	case o.Target == KeyVault:
		add(RulePrivateKey, Fail, "no private key: Key Vault imports a certificate with its key", noKeyRemedy)
	case o.Target == Server:
		add(RulePrivateKey, Fail, "no private key: a TLS server needs the key to serve its certificate", noKeyRemedy)
	default:
		add(RulePrivateKey, Fail, "no private key: API Management needs a .pfx with the key to present it", noKeyRemedy)
	}
	switch {
	case b.Key == nil:
		add(RuleKeyMatch, NA, "no private key in the file to compare", "")
	case b.KeyMatches():
		add(RuleKeyMatch, Pass, "the private key belongs to the certificate", "")
	default:
		add(RuleKeyMatch, Fail, "the private key does not belong to the certificate", "export the .pfx again from the matching key and certificate")
	}

	if o.Target == KeyVault {
		add(RuleKeyUsage, NA, "Key Vault stores a certificate of any usage; check it for the service that reads it", "")
		add(RuleExtKeyUsage, NA, "Key Vault stores a certificate of any usage; check it for the service that reads it", "")
	} else {
		checkKeyUsage(c, o.Target, newCert, add)
		checkExtKeyUsage(c, o.Target, newCert, add)
	}
	checkNames(c, o.Domains, cmds, add)
	if o.Target.cloudService() {
		var azure []string
		for _, n := range append([]string{c.Subject.CommonName}, c.DNSNames...) {
			if s := certgen.AzureOwnedSuffix(n); s != "" && n != "" {
				azure = append(azure, n)
			}
		}
		if len(azure) == 0 {
			add(RuleAzureDomain, Pass, "no Azure-owned domain among the names", "")
		} else {
			add(RuleAzureDomain, Fail, fmt.Sprintf("%s is under a domain Azure owns; the certificate must name your custom domain", strings.Join(unique(azure), ", ")),
				"create it for your domain (e.g. contoso.net) and point that domain at the Azure name with a CNAME")
		}
	} else {
		add(RuleAzureDomain, NA, "Azure-owned domains are fine for "+o.Target.Describe(), "")
	}

	switch {
	case now.Before(c.NotBefore):
		add(RuleValidity, Fail, "not valid until "+c.NotBefore.UTC().Format(time.DateTime+" MST"), "wait, or check the clock of the machine that made it")
	case now.After(c.NotAfter):
		add(RuleValidity, Fail, "expired on "+c.NotAfter.UTC().Format(time.DateTime+" MST"), newCert)
	case c.NotAfter.Sub(now) < ExpiryWarning:
		add(RuleValidity, Warn, fmt.Sprintf("expires on %s, in %d days", c.NotAfter.UTC().Format(time.DateOnly), int(math.Round(c.NotAfter.Sub(now).Hours()/24))), "rotate it soon (azcert rotate does it for a cloud service), or "+newCert)
	default:
		add(RuleValidity, Pass, fmt.Sprintf("valid until %s (%d days)", c.NotAfter.UTC().Format(time.DateOnly), int(math.Round(c.NotAfter.Sub(now).Hours()/24))), "")
	}

	checkPFX(b.PFX, o.Target, cmds, add)

	switch c.SignatureAlgorithm {
	case x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		add(RuleSignature, Warn, "signed with SHA-1, which browsers and modern TLS stacks distrust", newCert)
	case x509.MD2WithRSA, x509.MD5WithRSA:
		add(RuleSignature, Fail, "signed with "+c.SignatureAlgorithm.String()+", which nothing accepts any more", newCert)
	default:
		add(RuleSignature, Pass, "signed with "+c.SignatureAlgorithm.String(), "")
	}

	serial := c.SerialNumber
	switch {
	case serial.Sign() <= 0:
		add(RuleSerial, Warn, "the serial number is zero or negative, which RFC 5280 forbids and some clients reject", newCert)
	case len(serial.Bytes()) > 20:
		add(RuleSerial, Fail, fmt.Sprintf("the serial number is %d bytes; RFC 5280 allows at most 20", len(serial.Bytes())), newCert)
	case len(serial.Bytes()) < 8:
		add(RuleSerial, Warn, fmt.Sprintf("the serial number is only %d bytes; at least 8 random bytes are expected", len(serial.Bytes())), newCert)
	default:
		add(RuleSerial, Pass, fmt.Sprintf("serial number of %d bytes", len(serial.Bytes())), "")
	}
	if o.Target.vpn() {
		checkVPN(b, o, now, cmds, add)
	}
	return r
}

type addFunc func(id string, l Level, reason, remedy string)

func checkKeyUsage(c *x509.Certificate, t Target, newCert string, add addFunc) {
	if c.KeyUsage == 0 {
		add(RuleKeyUsage, Pass, "no key usage extension (any usage allowed)", "")
		return
	}
	names := strings.Join(export.KeyUsageNames(c.KeyUsage), ", ")
	if t == VPNRoot {
		if c.KeyUsage&x509.KeyUsageCertSign == 0 {
			add(RuleKeyUsage, Fail, "key usage "+names+" lacks keyCertSign, which a root needs to issue client certificates", "azcert new --ca sets keyCertSign and cRLSign; "+newCert)
			return
		}
		add(RuleKeyUsage, Pass, "key usage "+names+" includes keyCertSign", "")
		return
	}
	if t.serverAuth() {
		if c.KeyUsage&x509.KeyUsageKeyEncipherment == 0 {
			add(RuleKeyUsage, Fail, "key usage "+names+" lacks keyEncipherment, which RSA key exchange in TLS needs", t.newCmd()+" sets digitalSignature and keyEncipherment; "+newCert)
			return
		}
		add(RuleKeyUsage, Pass, "key usage "+names+" includes keyEncipherment", "")
		return
	}
	if c.KeyUsage&x509.KeyUsageDigitalSignature == 0 && t == Entra {
		// Entra ID does not read the key usage; the key signs, though.
		add(RuleKeyUsage, Warn, "key usage "+names+" lacks digitalSignature: Entra ID does not check it, but the key signs the client assertions, and other verifiers may refuse it", t.newCmd()+" sets it; "+newCert)
		return
	}
	if c.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		add(RuleKeyUsage, Fail, "key usage "+names+" lacks digitalSignature, which client authentication needs", t.newCmd()+" sets it; "+newCert)
		return
	}
	add(RuleKeyUsage, Pass, "key usage "+names+" includes digitalSignature", "")
}

func checkExtKeyUsage(c *x509.Certificate, t Target, newCert string, add addFunc) {
	if t == Entra {
		add(RuleExtKeyUsage, NA, "Entra ID does not check the extended key usage of a certificate credential", "")
		return
	}
	want, wantName := x509.ExtKeyUsageClientAuth, "clientAuth"
	if t.serverAuth() {
		want, wantName = x509.ExtKeyUsageServerAuth, "serverAuth"
	}
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		add(RuleExtKeyUsage, Pass, "no extended key usage extension (any usage allowed)", "")
		return
	}
	names := strings.Join(export.ExtKeyUsageNames(c), ", ")
	sets := wantName
	if t.Purpose() == certgen.PurposeService || t.Purpose() == certgen.PurposeManagement {
		sets = "serverAuth and clientAuth"
	}
	for _, u := range c.ExtKeyUsage {
		if u == want || u == x509.ExtKeyUsageAny {
			add(RuleExtKeyUsage, Pass, "extended key usage "+names+" includes "+wantName, "")
			return
		}
	}
	add(RuleExtKeyUsage, Fail, "extended key usage "+names+" lacks "+wantName+", which "+t.Describe()+" needs",
		t.newCmd()+" sets "+sets+"; "+newCert)
}

func checkNames(c *x509.Certificate, domains []string, cmds commands, add addFunc) {
	if len(domains) == 0 {
		names := c.DNSNames
		if len(names) == 0 && c.Subject.CommonName != "" {
			names = []string{c.Subject.CommonName}
		}
		add(RuleNames, NA, "names: "+orNone(strings.Join(names, ", "))+" (give --domain to check them)", "")
		return
	}
	var missing []string
	for _, d := range domains {
		n, err := certgen.ParseName(d)
		if err != nil {
			missing = append(missing, d+" (not a valid name)")
			continue
		}
		var verr error
		if n.Kind == certgen.KindWildcard {
			verr = wildcardCovered(c, n.ASCII)
		} else {
			verr = c.VerifyHostname(n.ASCII)
		}
		if verr != nil {
			missing = append(missing, n.Unicode)
		}
	}
	if len(missing) > 0 {
		add(RuleNames, Fail, fmt.Sprintf("the certificate's names (%s) do not cover %s", orNone(strings.Join(c.DNSNames, ", ")), strings.Join(missing, ", ")),
			"create it with every name the service answers to: "+cmds.newCert(domains))
		return
	}
	add(RuleNames, Pass, "covers "+strings.Join(domains, ", "), "")
}

const noKeyRemedy = "check the .pfx that holds the key instead (azcert new writes one), or combine this certificate with its PEM key file using azcert export's --pfx and --key"

// runWithoutCert judges a .pfx whose certificate could not be read because
// it holds no key: private-key fails (passes for a management certificate,
// whose .cer is what gets registered), pfx-encryption is judged from the
// file's structure, and every rule about the certificate itself is NA.
func runWithoutCert(b *export.Bundle, o Options, add addFunc) {
	base := commands{o: o}
	skip := "the certificate cannot be read from a .pfx that holds no key; check the .cer for this rule"
	for _, id := range []string{RuleVersion, RuleKeyType, RuleKeySize} {
		add(id, NA, skip, "")
	}
	switch o.Target {
	case Management:
		add(RulePrivateKey, Fail, "the .pfx holds no private key: it cannot authenticate; register the .cer and keep the .pfx that holds the key", noKeyRemedy)
	case Client, VPNClient:
		add(RulePrivateKey, Fail, "the .pfx holds no private key: the caller cannot present it; give the caller the .pfx that holds the key", noKeyRemedy)
	case VPNRoot:
		add(RulePrivateKey, Fail, "the .pfx holds no private key: it cannot issue client certificates; upload the .cer to the gateway and keep the .pfx that holds the key", noKeyRemedy)
	case Entra:
		add(RulePrivateKey, Fail, "the .pfx holds no private key: the application cannot sign in with it; register the .cer and keep the .pfx that holds the key", noKeyRemedy)
	case Service, CloudServiceES:
		add(RulePrivateKey, Fail, "the .pfx holds no private key: a cloud service needs the key to serve SSL", noKeyRemedy)
	case KeyVault:
		add(RulePrivateKey, Fail, "the .pfx holds no private key: Key Vault imports a certificate with its key", noKeyRemedy)
	case Server:
		add(RulePrivateKey, Fail, "the .pfx holds no private key: a TLS server needs the key to serve its certificate", noKeyRemedy)
	default:
		add(RulePrivateKey, Fail, "the .pfx holds no private key: API Management needs the key to present the certificate", noKeyRemedy)
	}
	add(RuleKeyMatch, NA, "no private key in the file to compare", "")
	for _, id := range []string{RuleKeyUsage, RuleExtKeyUsage, RuleNames, RuleAzureDomain, RuleValidity} {
		add(id, NA, skip, "")
	}
	checkPFX(b.PFX, o.Target, base, add)
	for _, id := range []string{RuleSignature, RuleSerial} {
		add(id, NA, skip, "")
	}
	if o.Target.vpn() {
		for _, id := range vpnRules {
			add(id, NA, skip, "")
		}
	}
}

// commands builds the azcert command lines that remedies print, complete
// and quoted so that they run as printed.
type commands struct {
	o    Options
	cert *x509.Certificate
}

// stem is the input's file name without its extension ("site" for
// dir/site.pfx), for naming the files a remedy writes beside it.
func (c commands) stem() string {
	f := c.o.File
	if f == "" || f == "-" {
		return "certificate"
	}
	return strings.TrimSuffix(f, filepath.Ext(f))
}

// newCert is `azcert new` for the certificate's names (or names), under a
// new file name so that it does not collide with the input.
func (c commands) newCert(names []string) string {
	if len(names) == 0 && c.cert != nil {
		names = c.cert.DNSNames
		for _, ip := range c.cert.IPAddresses {
			names = append(names, ip.String())
		}
		if len(names) == 0 && c.cert.Subject.CommonName != "" {
			names = []string{c.cert.Subject.CommonName}
		}
	}
	if len(names) == 0 {
		names = []string{"contoso.net"}
	}
	args := append([]string{"azcert", "new"}, names...)
	switch p := c.o.Target.Purpose(); {
	case c.o.Target == VPNRoot:
		args = []string{"azcert", "new", "--ca", "P2S Root"}
		if c.cert != nil && c.cert.Subject.CommonName != "" {
			args[3] = c.cert.Subject.CommonName
		}
	case c.o.Target == VPNClient:
		args = append(args, "--issuer", c.issuerPFX(), "--issuer-password", orPrompt(c.o.PasswordSource))
	case p == certgen.PurposeService:
		if certgen.AzureOwnedSuffix(names[0]) != "" {
			args = append(args, "--allow-azure-domain")
		}
	default:
		args = append(args, "--for", string(p))
	}
	args = append(args, "--name", c.stem()+"-new", "--password", orPrompt(c.o.PasswordSource))
	return ShellJoin(args)
}

// protect is `azcert export` writing a password-protected copy of an
// unencrypted .pfx.
func (c commands) protect() string {
	return ShellJoin([]string{"azcert", "export", "--pfx", c.o.File, "--password", orPrompt(c.o.PasswordSource), "--out", c.stem() + "-protected.pfx"})
}

// ReencryptCommand is the azcert command that re-encrypts the .pfx file
// with the compat profile (3DES), which every Azure service accepts,
// reading it and writing the copy with the password from source.
func ReencryptCommand(file, source string) string {
	if file == "" || file == "-" {
		file = "certificate.pfx"
	}
	pw := orPrompt(source)
	stem := strings.TrimSuffix(file, filepath.Ext(file))
	return ShellJoin([]string{"azcert", "export", "--pfx", file, "--in-password", pw, "--pfx-profile", "compat", "--password", pw, "--out", stem + "-compat.pfx"})
}

func orPrompt(source string) string {
	if source == "" {
		return "prompt"
	}
	return source
}

// ShellJoin quotes each argument for a POSIX shell where it needs it, the
// way the remedies print their commands so that they run as printed.
func ShellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && !strings.ContainsFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
		}) {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

// printable keeps a reason on one printable line: names read from a
// certificate or given with --domain may hold line breaks or terminal
// escapes, which are written as Go escapes instead (\n, \x1b).
func printable(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}

// wildcardCovered reports whether the certificate holds the very wildcard.
func wildcardCovered(c *x509.Certificate, w string) error {
	for _, d := range c.DNSNames {
		if strings.EqualFold(d, w) {
			return nil
		}
	}
	return fmt.Errorf("%s not in the certificate", w)
}

func checkPFX(p *export.PFXInfo, t Target, cmds commands, add addFunc) {
	if p == nil {
		add(RulePFXEncryption, NA, "not a .pfx", "")
		return
	}
	reencrypt := "re-encrypt it: " + ReencryptCommand(cmds.o.File, cmds.o.PasswordSource)
	switch p.Profile {
	case export.ProfileCompat:
		add(RulePFXEncryption, Pass, "encrypted with 3DES (compat), which every Windows version and Azure service reads", "")
	case export.ProfileModern:
		switch {
		case t == Service:
			add(RulePFXEncryption, Fail, "encrypted with AES-256 (modern); Cloud Services does not accept AES-encrypted .pfx files", reencrypt)
		case t.fromKeyVault():
			add(RulePFXEncryption, Warn, "encrypted with AES-256 (modern); Key Vault has refused AES-encrypted .pfx imports, 3DES (compat) is what it reads", reencrypt)
		default:
			add(RulePFXEncryption, Pass, "encrypted with AES-256 (modern)", "")
		}
	case export.ProfileLegacyRC2:
		add(RulePFXEncryption, Warn, "encrypted with RC2 (legacy); OpenSSL 3 without -legacy and Node 17+ cannot read it", reencrypt)
	case export.ProfileUnencrypted:
		add(RulePFXEncryption, Warn, "not encrypted: anyone who gets the file gets the key", "protect it with a password: "+cmds.protect())
	default:
		level := Warn
		if t == Service && (strings.Contains(p.CertEncryption, "AES") || strings.Contains(p.KeyEncryption, "AES")) {
			level = Fail
		}
		add(RulePFXEncryption, level, "unusual encryption: "+p.Describe(), reencrypt)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func unique(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[strings.ToLower(x)] {
			seen[strings.ToLower(x)] = true
			out = append(out, x)
		}
	}
	return out
}
